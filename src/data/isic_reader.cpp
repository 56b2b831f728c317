#include "data/isic_reader.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "data/ham10000_reader.h"
#include "data/row_resolver.h"
#include "io/csv.h"

namespace fs = std::filesystem;

namespace skingan::data {
namespace {

int image_column(const io::CsvTable& table) {
  const int image = table.column("image");
  return image >= 0 ? image : table.column("image_id");
}

// 1 for "1"/"1.0", 0 for "0"/"0.0", -1 otherwise.
int parse_flag(const std::string& cell) {
  if (cell == "1" || cell == "1.0") return 1;
  if (cell == "0" || cell == "0.0") return 0;
  return -1;
}

bool is_ground_truth(const io::CsvTable& table) {
  const int image = image_column(table);
  if (image < 0 || table.header.size() < 2 || table.rows.empty()) return false;
  // Most label cells of the first rows are 0/1 (a bad cell must not hide the layout: it is
  // reported as a problem of its row instead). A metadata CSV (age, sex) fails this.
  const size_t probe = std::min<size_t>(table.rows.size(), 20);
  size_t flags = 0, cells = 0;
  for (size_t r = 0; r < probe; ++r) {
    for (size_t c = 0; c < table.header.size(); ++c) {
      if (static_cast<int>(c) == image) continue;
      ++cells;
      flags += parse_flag(table.rows[r][c]) >= 0;
    }
  }
  return flags * 5 >= cells * 4;
}

std::string class_name(std::string column) {
  if (column == "melanoma") return "mel";
  if (column == "seborrheic_keratosis") return "sk";
  std::transform(column.begin(), column.end(), column.begin(), ::tolower);
  return column;
}

// Lesion ids from another CSV in the folder with an image column and lesion_id (ISIC 2019).
std::map<std::string, std::string> find_lesion_ids(const fs::path& root, const fs::path& skip) {
  std::map<std::string, std::string> lesions;
  for (const auto& csv : csv_files_in(root)) {
    if (csv == skip) continue;
    const io::CsvTable table = io::read_csv(csv);
    const int image = image_column(table), lesion = table.column("lesion_id");
    if (image < 0 || lesion < 0) continue;
    for (const auto& row : table.rows) {
      if (!row[lesion].empty()) lesions[row[image]] = row[lesion];
    }
  }
  return lesions;
}

}  // namespace

fs::path find_isic_ground_truth(const SourceSpec& spec) {
  if (!spec.metadata.empty()) {
    return is_ground_truth(io::read_csv(spec.metadata)) ? spec.metadata : fs::path();
  }
  for (const auto& csv : csv_files_in(spec.root)) {
    if (is_ground_truth(io::read_csv(csv))) return csv;
  }
  return {};
}

SourceListing read_isic(const SourceSpec& spec) {
  SourceListing listing;
  listing.format = SourceFormat::kIsic;
  const fs::path truth = find_isic_ground_truth(spec);
  if (truth.empty()) {
    throw DataError(describe_problem(
        "ISIC ground truth",
        spec.metadata.empty() ? "no such CSV in " + spec.root.string() : spec.metadata.string(),
        "a CSV with an image (or image_id) column and one 0/1 column per class",
        "Point --metadata at the challenge's GroundTruth.csv."));
  }
  const io::CsvTable table = io::read_csv(truth);
  const int image = image_column(table);
  std::vector<int> class_cols;
  std::vector<std::string> names;
  for (size_t c = 0; c < table.header.size(); ++c) {
    if (static_cast<int>(c) == image) continue;
    class_cols.push_back(static_cast<int>(c));
    names.push_back(class_name(table.header[c]));
  }
  // ISIC 2017 Part 3 lists only the two positive classes; a row with neither is a nevus.
  const bool implicit_nevus = names == std::vector<std::string>{"mel", "sk"};
  std::vector<std::string> own_classes = names;
  if (implicit_nevus) own_classes.push_back("nv");
  listing.classes = spec.classes.empty() ? own_classes : spec.classes;
  std::sort(listing.classes.begin(), listing.classes.end());
  listing.metadata_files = {truth};
  const fs::path root = spec.root.empty() ? truth.parent_path() : spec.root;
  const auto lesions = find_lesion_ids(root, truth);

  std::vector<LabelledRow> rows;
  rows.reserve(table.rows.size());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& cells = table.rows[r];
    LabelledRow row{cells[image], "", "", table.line_numbers[r], ""};
    int ones = 0;
    for (size_t k = 0; k < class_cols.size(); ++k) {
      const int flag = parse_flag(cells[class_cols[k]]);
      if (flag < 0) {
        row.label_problem = "label cell " + table.header[class_cols[k]] + "='" +
                            cells[class_cols[k]] + "' is not 0 or 1";
        break;
      }
      if (flag == 1) {
        ++ones;
        row.label = names[k];
      }
    }
    if (row.label_problem.empty()) {
      if (ones == 0 && implicit_nevus) row.label = "nv";
      if (ones == 0 && !implicit_nevus) row.label_problem = "no class column is 1";
      if (ones > 1) row.label_problem = "more than one class column is 1";
    }
    if (auto it = lesions.find(row.id); it != lesions.end()) row.group = it->second;
    rows.push_back(std::move(row));
  }

  SourceSpec image_spec = spec;
  image_spec.root = root;
  listing.image_dirs = find_image_dirs(image_spec);
  ImageIndex index = index_image_dirs(listing.image_dirs, image_spec, listing.problems);
  // The ISIC 2017 image folder also ships superpixel maps beside the images; they are no lesions.
  const auto superpixels =
      std::remove_if(index.files.begin(), index.files.end(), [](const auto& f) {
        return f.first.size() > 12 && f.first.compare(f.first.size() - 12, 12, "_superpixels") == 0;
      });
  const auto ignored = std::distance(superpixels, index.files.end());
  index.files.erase(superpixels, index.files.end());
  if (ignored > 0) {
    listing.notes.push_back("ignored " + std::to_string(ignored) + " *_superpixels maps");
  }
  resolve_rows(rows, truth.string(), index, listing.classes, listing);
  return listing;
}

}  // namespace skingan::data
