#include "data/prepared_set.h"

#include <algorithm>

#include "core/error.h"
#include "core/names.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/image_cache.h"
#include "io/json_fields.h"

namespace fs = std::filesystem;

namespace skingan::data {
namespace {

const std::vector<std::string> kManifestColumns = {"id",    "file",   "label",  "group",
                                                   "split", "source", "origin", "source_hash"};
// Optional on reading: manifests written before synthetic sets existed lack them.
const std::vector<std::string> kProvenanceColumns = {
    "generator", "checkpoint_step", "seed", "sample_index", "score", "class_score"};

}  // namespace

void write_manifest(const fs::path& path, const std::vector<ManifestRow>& rows) {
  std::vector<std::string> header = kManifestColumns;
  header.insert(header.end(), kProvenanceColumns.begin(), kProvenanceColumns.end());
  std::string text = io::csv_line(header);
  for (const auto& r : rows) {
    text += io::csv_line({r.id, r.file, r.label, r.group, split_name(r.split), r.source, r.origin,
                          r.source_hash, r.generator, r.checkpoint_step, r.seed, r.sample_index,
                          r.score, r.class_score});
  }
  io::write_file_atomic(path, text);
}

std::vector<ManifestRow> read_manifest(const fs::path& path) {
  const io::CsvTable table = io::read_csv(path);
  std::vector<int> col;
  for (const auto& name : kManifestColumns)
    col.push_back(table.require_column(name, path.string()));
  std::vector<int> optional;
  for (const auto& name : kProvenanceColumns) optional.push_back(table.column(name));
  auto field = [](const std::vector<std::string>& c, int index) {
    return index < 0 ? std::string() : c[index];
  };
  std::vector<ManifestRow> rows;
  rows.reserve(table.rows.size());
  for (const auto& c : table.rows) {
    rows.push_back({c[col[0]], c[col[1]], c[col[2]], c[col[3]], parse_split(c[col[4]]), c[col[5]],
                    c[col[6]], c[col[7]], field(c, optional[0]), field(c, optional[1]),
                    field(c, optional[2]), field(c, optional[3]), field(c, optional[4]),
                    field(c, optional[5])});
  }
  return rows;
}

CountTable count_by_class_and_split(const std::vector<ManifestRow>& rows,
                                    const std::vector<std::string>& classes) {
  CountTable counts;
  for (const auto& c : classes) counts[c] = {0, 0, 0};
  for (const auto& r : rows) ++counts[r.label][static_cast<int>(r.split)];
  return counts;
}

nlohmann::json to_json(const CountTable& counts) {
  nlohmann::json j = nlohmann::json::object();
  for (int s = 0; s < kSplitCount; ++s) {
    nlohmann::json per_class = nlohmann::json::object();
    for (const auto& [label, n] : counts) per_class[label] = n[s];
    j[split_name(static_cast<Split>(s))] = per_class;
  }
  return j;
}

nlohmann::json parse_prepared_meta(const std::string& text, const fs::path& path) {
  const std::string fix = "Re-run `skingan prepare` with this version of skingan.";
  nlohmann::json meta = io::parse_json_object<DataError>(text, path.string(), fix);
  io::read_json_fields<DataError>(path.string(), fix, [&] {
    const std::string format = meta.value("format", std::string("?"));
    const int version = meta.value("version", 0);
    if (format != kPreparedSetFormat || version != kPreparedSetVersion) {
      throw DataError(describe_problem(
          path.string(), "format '" + format + "' version " + std::to_string(version),
          std::string(kPreparedSetFormat) + " version " + std::to_string(kPreparedSetVersion),
          fix));
    }
    const auto size = meta.at("size").get<std::int64_t>();
    const auto classes = meta.at("classes").get<std::vector<std::string>>();
    if (size < 1 || size > 8192 || !distinct_nonempty_names(classes)) {
      throw DataError(describe_problem(
          path.string(),
          "size " + std::to_string(size) + " and " + std::to_string(classes.size()) + " classes",
          "a size of 1..8192 px and distinct, non-empty class names", fix));
    }
    return 0;
  });
  return meta;
}

PreparedSet PreparedSet::open(const fs::path& dir) {
  const fs::path meta_path = dir / "meta.json";
  if (!fs::exists(meta_path)) {
    throw DataError(
        describe_problem(dir.string() + " is not a finished prepared set", "no meta.json",
                         "a folder written by `skingan prepare`",
                         fs::exists(dir / "manifest.csv")
                             ? "It looks interrupted; run `skingan prepare` again."
                             : "Run `skingan prepare SOURCE -o " + dir.string() + "`."));
  }
  PreparedSet set;
  set.dir_ = dir;
  set.meta_ = parse_prepared_meta(io::read_file(meta_path), meta_path);
  set.classes_ = set.meta_.at("classes").get<std::vector<std::string>>();
  set.rows_ = read_manifest(dir / "manifest.csv");
  const auto shape = io::read_image_cache_shape(dir / "images.cache");
  if (shape.count != static_cast<std::int64_t>(set.rows_.size()) ||
      shape.height != set.image_size() || shape.width != set.image_size()) {
    throw DataError(describe_problem(
        dir.string() + ": manifest, meta.json and image cache disagree",
        std::to_string(set.rows_.size()) + " rows of " + std::to_string(set.image_size()) +
            " px and " + std::to_string(shape.count) + " cached images of " +
            std::to_string(shape.height) + "x" + std::to_string(shape.width) + " px",
        "the same count and size", "Re-run `skingan prepare`."));
  }
  return set;
}

int PreparedSet::class_index(const std::string& label) const {
  const auto it = std::find(classes_.begin(), classes_.end(), label);
  if (it == classes_.end()) {
    std::string known;
    for (const auto& c : classes_) known += (known.empty() ? "" : ", ") + c;
    throw DataError(describe_problem("class '" + label + "'", "not in " + dir_.string(),
                                     "one of: " + known, ""));
  }
  return static_cast<int>(it - classes_.begin());
}

at::Tensor PreparedSet::load_images() const { return io::read_image_cache(dir_ / "images.cache"); }

bool is_finished_set(const fs::path& dir, const std::string& fingerprint) {
  try {
    const PreparedSet set = PreparedSet::open(dir);
    return set.meta().value("fingerprint", "") == fingerprint;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace skingan::data
