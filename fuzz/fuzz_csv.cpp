// Fuzzes io::parse_csv (metadata CSVs, ISIC ground truth, manifests, --split-file). Any input
// either parses or is refused with DataError; a parsed table keeps its shape and survives a
// write-and-read round trip through csv_line unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "io/csv.h"

using namespace skingan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  io::CsvTable table;
  try {
    table = io::parse_csv(text, "fuzz.csv");
  } catch (const DataError&) {
    return 0;  // refused by name: fine
  }
  if (table.header.empty() || table.rows.size() != table.line_numbers.size()) std::abort();
  std::string written = io::csv_line(table.header);
  for (const auto& row : table.rows) {
    if (row.size() != table.header.size()) std::abort();
    written += io::csv_line(row);
  }
  const io::CsvTable again = io::parse_csv(written, "fuzz-roundtrip.csv");
  if (again.header != table.header || again.rows != table.rows) std::abort();
  return 0;
}
