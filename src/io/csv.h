// RFC 4180 CSV reading and writing (quoted fields, embedded commas, quotes and newlines, CRLF).
// Hand-written: none of the packages we use (OpenCV, LibTorch, nlohmann-json) reads CSV.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace skingan::io {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // every row has header.size() fields
  std::vector<int> line_numbers;               // 1-based file line where each row starts

  // Index of `column`, or -1.
  int column(const std::string& name) const;
  // Index of `column`; throws DataError naming `file` and the columns found.
  int require_column(const std::string& name, const std::string& file) const;
};

// Parses CSV text. A row whose field count differs from the header's is a DataError naming
// `origin` and the line. A UTF-8 byte-order mark is ignored. Blank lines are skipped.
CsvTable parse_csv(const std::string& text, const std::string& origin);

// Reads and parses a CSV file (IoError when unreadable).
CsvTable read_csv(const std::filesystem::path& path);

// Quotes a field when it holds a comma, quote, CR or LF.
std::string csv_escape(const std::string& field);

// One CSV line (with trailing '\n').
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace skingan::io
