#include "data/ham10000_reader.h"

#include <algorithm>
#include <fstream>

#include "core/error.h"
#include "data/row_resolver.h"
#include "io/csv.h"

namespace fs = std::filesystem;

namespace skingan::data {
namespace {

bool first_line_has(const fs::path& csv, const std::vector<std::string>& columns) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  for (const auto& column : columns) {
    if (line.find(column) == std::string::npos) return false;
  }
  return true;
}

bool holds_images(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && has_image_extension(entry.path())) return true;
  }
  return false;
}

}  // namespace

const std::vector<std::string>& ham10000_classes() {
  static const std::vector<std::string> classes = {"akiec", "bcc", "bkl", "df",
                                                   "mel",   "nv",  "vasc"};
  return classes;
}

fs::path find_ham10000_metadata(const SourceSpec& spec) {
  if (!spec.metadata.empty()) {
    return first_line_has(spec.metadata, {"lesion_id", "image_id", "dx"}) ? spec.metadata
                                                                          : fs::path();
  }
  for (const auto& csv : csv_files_in(spec.root)) {
    if (first_line_has(csv, {"lesion_id", "image_id", "dx"})) return csv;
  }
  return {};
}

std::vector<fs::path> find_image_dirs(const SourceSpec& spec) {
  if (!spec.image_dirs.empty()) {
    for (const auto& dir : spec.image_dirs) {
      if (!fs::is_directory(dir)) {
        throw DataError(describe_problem("--images " + dir.string(), "no folder at that path",
                                         "a folder of images", "Check the path."));
      }
    }
    return spec.image_dirs;
  }
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(spec.root, ec)) {
    if (entry.is_directory() && holds_images(entry.path())) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty()) dirs.push_back(spec.root);
  return dirs;
}

SourceListing read_ham10000(const SourceSpec& spec) {
  SourceListing listing;
  listing.format = SourceFormat::kHam10000;
  const fs::path metadata = find_ham10000_metadata(spec);
  if (metadata.empty()) {
    throw DataError(describe_problem(
        "HAM10000 metadata",
        spec.metadata.empty() ? "no CSV in " + spec.root.string() : spec.metadata.string(),
        "a CSV whose header has lesion_id, image_id and dx",
        "Point --metadata at HAM10000_metadata.csv."));
  }
  const io::CsvTable table = io::read_csv(metadata);
  const int id_col = table.require_column("image_id", metadata.string());
  const int dx_col = table.require_column("dx", metadata.string());
  const int lesion_col = table.require_column("lesion_id", metadata.string());
  listing.classes = spec.classes.empty() ? ham10000_classes() : spec.classes;
  std::sort(listing.classes.begin(), listing.classes.end());
  listing.metadata_files = {metadata};
  listing.image_dirs = find_image_dirs(spec);

  std::vector<LabelledRow> rows;
  rows.reserve(table.rows.size());
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const auto& cells = table.rows[i];
    rows.push_back({cells[id_col], cells[dx_col], cells[lesion_col], table.line_numbers[i], ""});
  }
  const ImageIndex index = index_image_dirs(listing.image_dirs, spec, listing.problems);
  resolve_rows(rows, metadata.string(), index, listing.classes, listing);
  return listing;
}

}  // namespace skingan::data
