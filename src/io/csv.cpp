#include "io/csv.h"

#include "core/error.h"
#include "io/files.h"

namespace skingan::io {

int CsvTable::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int CsvTable::require_column(const std::string& name, const std::string& file) const {
  const int index = column(name);
  if (index < 0) {
    std::string found;
    for (const auto& h : header) found += (found.empty() ? "" : ",") + h;
    throw DataError(describe_problem(file + ": column '" + name + "' is missing",
                                     "columns [" + found + "]", "a column named '" + name + "'",
                                     "Check that the file is the right one and has a header row."));
  }
  return index;
}

CsvTable parse_csv(const std::string& text, const std::string& origin) {
  CsvTable table;
  size_t pos = 0;
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) pos = 3;
  int line = 1;
  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false, field_started = false, row_has_content = false;
  int row_line = 1;
  auto end_field = [&] {
    fields.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    const bool blank = fields.size() == 1 && fields[0].empty() && !row_has_content;
    if (!blank) {
      if (table.header.empty()) {
        // A repeated column name would make every lookup pick one of the two silently.
        std::map<std::string, size_t> seen;
        for (size_t i = 0; i < fields.size(); ++i) {
          const auto [first, inserted] = seen.emplace(fields[i], i);
          if (!inserted) {
            throw DataError(describe_problem(
                origin + ":" + std::to_string(row_line) + ": duplicate column '" + fields[i] + "'",
                "columns " + std::to_string(first->second + 1) + " and " + std::to_string(i + 1),
                "each column name once", "Rename or remove one of the two columns."));
          }
        }
        table.header = std::move(fields);
      } else if (fields.size() != table.header.size()) {
        throw DataError(describe_problem(
            origin + ":" + std::to_string(row_line) + ": wrong number of fields",
            std::to_string(fields.size()), std::to_string(table.header.size()) + " (the header's)",
            "Fix the row, or quote fields that contain commas."));
      } else {
        table.rows.push_back(std::move(fields));
        table.line_numbers.push_back(row_line);
      }
    }
    fields.clear();
    row_has_content = false;
  };
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (in_quotes) {
      if (c == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          field += '"';
          ++pos;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = field_started = row_has_content = true;
    } else if (c == ',') {
      end_field();
      row_has_content = true;
    } else if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      end_row();
      row_line = ++line;
    } else {
      field += c;
      field_started = row_has_content = true;
    }
  }
  if (in_quotes) {
    throw DataError(describe_problem(origin + ":" + std::to_string(row_line) + ": unclosed quote",
                                     "end of file inside a quoted field", "a closing '\"'", ""));
  }
  if (row_has_content || !field.empty() || !fields.empty()) end_row();
  if (table.header.empty()) {
    throw DataError(describe_problem(origin + ": CSV file is empty", "no header row",
                                     "a header row and data rows", ""));
  }
  return table;
}

CsvTable read_csv(const std::filesystem::path& path) {
  return parse_csv(read_file(path), path.string());
}

std::string csv_escape(const std::string& field) {
  // A leading byte-order mark is quoted too: at the start of a file a reader would drop it.
  if (field.find_first_of(",\"\r\n") == std::string::npos && field.rfind("\xEF\xBB\xBF", 0) != 0) {
    return field;
  }
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  // A row of one empty field written bare would be a blank line, which readers skip.
  if (fields.size() == 1 && fields[0].empty()) return "\"\"\n";
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    line += csv_escape(fields[i]);
  }
  return line + "\n";
}

}  // namespace skingan::io
