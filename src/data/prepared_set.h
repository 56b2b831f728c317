// The prepared-set format, shared by real and synthetic data (see ARCHITECTURE.md):
//   DIR/manifest.csv   one row per image: id,file,label,group,split,source,origin,source_hash,
//                      then the provenance of synthetic rows (empty for real ones):
//                      generator,checkpoint_step,seed,sample_index,score,class_score
//   DIR/images/ID.png  the preprocessed image
//   DIR/images.cache   all images as uint8 RGB [N,3,S,S] in manifest order (io/image_cache.h)
//   DIR/meta.json      format, version, size, classes, counts per split, preprocessing, inputs,
//                      fingerprint; written last, so a folder without it is not a finished set
//   DIR/problems.csv   only with --skip-bad: every input that was left out, and why
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "data/split.h"

namespace skingan::data {

inline constexpr const char* kPreparedSetFormat = "skingan-prepared-set";
inline constexpr int kPreparedSetVersion = 1;

struct ManifestRow {
  std::string id;
  std::string file;  // relative to the set's folder
  std::string label;
  std::string group;
  Split split = Split::kTrain;
  std::string source = "real";  // real | synthetic
  std::string origin;           // the input row or file this image came from
  std::string source_hash;      // FNV-1a 64 of the input image file's bytes (synthetic: PNG's)
  // Synthetic rows only (empty otherwise): the GAN run folder (and class unit) that drew the
  // image, its checkpoint step, the generation seed and the sample's index in its class's
  // noise stream (the same four regenerate the image), and the filter's scores.
  std::string generator;
  std::string checkpoint_step;
  std::string seed;
  std::string sample_index;
  std::string score;        // discriminator score when filtered
  std::string class_score;  // conditional runs: probability D gives the requested class
};

void write_manifest(const std::filesystem::path& path, const std::vector<ManifestRow>& rows);
std::vector<ManifestRow> read_manifest(const std::filesystem::path& path);

// Images per class (rows) and split (columns).
using CountTable = std::map<std::string, std::array<std::int64_t, kSplitCount>>;
CountTable count_by_class_and_split(const std::vector<ManifestRow>& rows,
                                    const std::vector<std::string>& classes);
nlohmann::json to_json(const CountTable& counts);

// Parses and checks the text of a meta.json (read from `path`): a JSON object of this format and
// version whose "size" is 1..8192 px and whose "classes" are distinct non-empty names. DataError
// naming the path and the field otherwise. PreparedSet::open reads meta.json through it.
nlohmann::json parse_prepared_meta(const std::string& text, const std::filesystem::path& path);

// A finished prepared set opened for reading; images load on request.
class PreparedSet {
 public:
  // Opens DIR; DataError when it is not a finished prepared set (no meta.json, another format or
  // version, manifest and cache disagree), saying what to do.
  static PreparedSet open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const nlohmann::json& meta() const { return meta_; }
  const std::vector<ManifestRow>& rows() const { return rows_; }
  const std::vector<std::string>& classes() const { return classes_; }
  int image_size() const { return meta_.at("size").get<int>(); }
  // Index of `label` in classes(); DataError if absent.
  int class_index(const std::string& label) const;

  // All images, uint8 [N,3,S,S] RGB on the CPU, in manifest order (one read of images.cache).
  at::Tensor load_images() const;

 private:
  std::filesystem::path dir_;
  nlohmann::json meta_;
  std::vector<ManifestRow> rows_;
  std::vector<std::string> classes_;
};

// True when DIR holds a finished prepared set whose meta.json fingerprint equals `fingerprint`
// and whose manifest and cache are complete. Never throws.
bool is_finished_set(const std::filesystem::path& dir, const std::string& fingerprint);

}  // namespace skingan::data
