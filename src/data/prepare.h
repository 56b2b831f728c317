// `skingan prepare`: raw data set -> prepared set (see prepared_set.h for the format).
//
// Order of work: list and validate the source; stop at once if OUT already holds the same
// finished set; decode + preprocess every image on all cores into a staging folder (decoding is
// where unreadable and truncated files show up); refuse with the complete problem list unless
// skip_bad; split; write manifest, cache and meta.json; rename the staging folder onto OUT.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "data/prepared_set.h"
#include "data/source_listing.h"
#include "data/split.h"
#include "preprocess/pipeline.h"

namespace skingan::data {

struct PrepareOptions {
  SourceSpec source;
  std::filesystem::path output;
  preprocess::PreprocessOptions preprocess;
  SplitFractions fractions;
  std::uint64_t seed = 42;
  std::filesystem::path split_file;  // reuse this split (CSV with id or image_id, and split)
  bool skip_bad = false;             // leave bad inputs out (listed in OUT/problems.csv)
  bool force = false;                // replace an existing different output
  int threads = 0;                   // 0 = configured_threads()
  bool progress = true;
};

struct PrepareResult {
  bool skipped = false;  // OUT already held this exact set
  std::int64_t images = 0;
  std::vector<Problem> problems;  // left out (only non-empty with skip_bad)
  CountTable counts;
  std::vector<std::string> notes;
  double seconds = 0;
};

// Throws ConfigError for bad options or an existing different OUT without force, DataError with
// every problem when the source has any and skip_bad is off. Nothing is written then.
PrepareResult prepare_dataset(const PrepareOptions& options);

// What prepare does with one image file's bytes: decode (refusing foreign, truncated and
// oversized images) and preprocess to options.size. Returns why the file is unusable, or nullopt
// with the BGR uint8 result in `image`. Never throws for bad bytes.
std::optional<std::string> prepare_image_bytes(const std::string& bytes,
                                               const preprocess::PreprocessOptions& options,
                                               cv::Mat& image);

// The fingerprint recorded in meta.json: settings + metadata bytes + split file bytes + each
// image's id, label, group, path, size and modification time. Equal fingerprints mean a rerun
// may skip.
std::string prepare_fingerprint(const PrepareOptions& options, const SourceListing& listing);

}  // namespace skingan::data
