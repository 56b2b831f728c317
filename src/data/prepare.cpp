#include "data/prepare.h"

#include <chrono>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>
#include <opencv2/core.hpp>

#include "core/error.h"
#include "core/hash.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "core/threads.h"
#include "data/problem_report.h"
#include "io/csv.h"
#include "io/files.h"
#include "io/image_cache.h"
#include "io/image_codec.h"
#include "io/tensor_image.h"
#include "skingan/version.h"

namespace fs = std::filesystem;

namespace skingan::data {
namespace {

// OpenCV's own pool would nest inside our per-image workers; hold it to one thread meanwhile.
class OpenCvSingleThreaded {
 public:
  OpenCvSingleThreaded() : saved_(cv::getNumThreads()) { cv::setNumThreads(1); }
  ~OpenCvSingleThreaded() { cv::setNumThreads(saved_); }

 private:
  int saved_;
};

nlohmann::json settings_json(const PrepareOptions& options, const SourceListing& listing) {
  return {{"preprocessing", preprocess::to_json(options.preprocess)},
          {"split",
           {{"train", options.fractions.train},
            {"val", options.fractions.validation},
            {"test", options.fractions.test},
            {"seed", options.seed},
            {"split_file", options.split_file.string()}}},
          {"source_format", source_format_name(listing.format)},
          {"classes", listing.classes},
          {"skip_bad", options.skip_bad}};
}

// Result of decoding and preprocessing one image.
struct Processed {
  std::optional<std::string> problem;
  std::string content_hash;
  std::vector<std::uint8_t> pixels;  // RGB CHW, 3*S*S
};

}  // namespace

std::optional<std::string> prepare_image_bytes(const std::string& bytes,
                                               const preprocess::PreprocessOptions& options,
                                               cv::Mat& image) {
  cv::Mat decoded;
  if (auto problem = io::decode_image(bytes, decoded)) return problem;
  image = preprocess::preprocess_image(decoded, options);
  return std::nullopt;
}

namespace {

std::vector<Processed> process_images(const std::vector<SourceRecord>& records,
                                      const PrepareOptions& options, const fs::path& image_dir) {
  const int size = options.preprocess.size;
  std::vector<Processed> out(records.size());
  ProgressBar bar("prepare", static_cast<std::int64_t>(records.size()), "img", options.progress);
  OpenCvSingleThreaded single;
  parallel_for_each(
      static_cast<std::int64_t>(records.size()),
      options.threads > 0 ? options.threads : configured_threads(), [&](std::int64_t i) {
        Processed& p = out[static_cast<size_t>(i)];
        const SourceRecord& record = records[static_cast<size_t>(i)];
        std::string bytes;
        try {
          bytes = io::read_file(record.image_path);
        } catch (const IoError&) {
          p.problem = "unreadable file";
          bar.advance();
          return;
        }
        p.content_hash = hash_hex(bytes);
        cv::Mat image;
        p.problem = prepare_image_bytes(bytes, options.preprocess, image);
        if (!p.problem) {
          p.pixels.resize(static_cast<size_t>(3 * size * size));
          io::bgr_to_rgb_chw(image, p.pixels.data());
          io::write_file_in_staging(image_dir / (record.id + ".png"), io::encode_png(image));
        }
        bar.advance();
      });
  return out;
}

std::map<std::string, Split> read_split_file(const fs::path& path) {
  const io::CsvTable table = io::read_csv(path);
  int id = table.column("id");
  if (id < 0) id = table.require_column("image_id", path.string());
  const int split = table.require_column("split", path.string());
  std::map<std::string, Split> splits;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    try {
      splits[table.rows[r][id]] = parse_split(table.rows[r][split]);
    } catch (const DataError& e) {
      throw DataError(path.string() + ":" + std::to_string(table.line_numbers[r]) + ": " +
                      e.what());
    }
  }
  return splits;
}

std::vector<Split> assign_splits(const std::vector<SourceRecord>& records,
                                 const PrepareOptions& options) {
  if (options.split_file.empty()) {
    std::vector<std::string> labels, groups;
    for (const auto& r : records) {
      labels.push_back(r.label);
      groups.push_back(r.group);
    }
    return lesion_aware_split(labels, groups, options.fractions, options.seed);
  }
  const auto given = read_split_file(options.split_file);
  std::vector<Split> splits;
  std::vector<Problem> missing;
  std::map<std::string, Split> group_side;
  int lesions_on_two_sides = 0;
  for (const auto& r : records) {
    const auto it = given.find(r.id);
    if (it == given.end()) {
      missing.push_back({options.split_file.string(), 0, "no split for image '" + r.id + "'",
                         "Add a row for it."});
      continue;
    }
    splits.push_back(it->second);
    const auto [side, inserted] = group_side.emplace(r.group, it->second);
    if (!inserted && side->second != it->second) ++lesions_on_two_sides;
  }
  if (!missing.empty()) {
    throw DataError(std::to_string(missing.size()) + " image(s) have no row in the split file:\n" +
                    format_problems(missing) + "Use a split file that covers every image.");
  }
  if (lesions_on_two_sides > 0) {
    spdlog::warn(
        "the split file puts images of one lesion on two sides ({} times): test results "
        "will be optimistic",
        lesions_on_two_sides);
  }
  return splits;
}

}  // namespace

std::string prepare_fingerprint(const PrepareOptions& options, const SourceListing& listing) {
  Fnv1a64 hash;
  hash.update(std::string(kPreparedSetFormat) + std::to_string(kPreparedSetVersion));
  hash.update(settings_json(options, listing).dump());
  for (const auto& file : listing.metadata_files) hash.update(io::read_file(file));
  if (!options.split_file.empty()) hash.update(io::read_file(options.split_file));
  for (const auto& p : listing.problems) hash.update(p.file + p.reason);
  // The images' bytes, not their modification times: a copy, a fresh checkout or a re-provisioned
  // data folder keeps the content but not the times, and must still find its finished set (a
  // study resumed in another session). Reading is cheap next to decoding every image.
  for (const auto& r : listing.records) {
    hash.update(r.id + '\0' + r.label + '\0' + r.group + '\0' + r.image_path.string());
    hash.update(io::read_file(r.image_path));
  }
  return hash.hex();
}

PrepareResult prepare_dataset(const PrepareOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  preprocess::validate(options.preprocess);
  validate(options.fractions);
  if (options.output.empty()) throw ConfigError("prepare: no output folder given (-o OUT).");
  if (!options.split_file.empty() && !fs::exists(options.split_file)) {
    throw ConfigError(describe_problem("--split-file " + options.split_file.string(),
                                       "no such file", "a CSV with id and split columns", ""));
  }

  SourceListing listing = list_source(options.source);
  for (const auto& note : listing.notes) spdlog::info("{}", note);
  const std::string fingerprint = prepare_fingerprint(options, listing);

  PrepareResult result;
  io::remove_stale_staging(options.output);
  if (!options.force && is_finished_set(options.output, fingerprint)) {
    const PreparedSet existing = PreparedSet::open(options.output);
    result.skipped = true;
    result.images = static_cast<std::int64_t>(existing.rows().size());
    result.counts = count_by_class_and_split(existing.rows(), existing.classes());
    return result;
  }
  if (fs::exists(options.output) && !options.force) {
    throw ConfigError(describe_problem(
        "output " + options.output.string() + " already exists",
        fs::exists(options.output / "meta.json")
            ? "a prepared set made from other inputs or settings"
            : "a folder that is not a finished prepared set",
        "a new folder, or the same inputs and settings (then prepare finishes at once)",
        "Pass --force to replace it, or choose another -o."));
  }

  io::StagingDir staging(options.output);
  fs::create_directories(staging.path() / "images");
  const auto listed = std::chrono::steady_clock::now();
  const std::vector<Processed> processed =
      process_images(listing.records, options, staging.path() / "images");
  const auto decoded = std::chrono::steady_clock::now();

  std::vector<Problem> problems = listing.problems;
  std::vector<SourceRecord> good;
  std::vector<const Processed*> good_pixels;
  for (size_t i = 0; i < processed.size(); ++i) {
    if (processed[i].problem) {
      problems.push_back({listing.records[i].image_path.string(), 0, *processed[i].problem,
                          "Replace the file with a readable image, or remove it and its row."});
    } else {
      good.push_back(listing.records[i]);
      good_pixels.push_back(&processed[i]);
    }
  }
  sort_problems(problems);
  if (!problems.empty() && !options.skip_bad) {
    throw DataError(std::to_string(problems.size()) + " problem(s) in " +
                    options.source.root.string() + "; nothing was written:\n" +
                    format_problems(problems) +
                    "Fix them, or pass --skip-bad to leave these inputs out (they are then "
                    "listed in " +
                    (options.output / "problems.csv").string() + ").");
  }
  if (good.empty()) {
    throw DataError("no usable images in " + options.source.root.string() +
                    "; nothing was written. Check the source path and --format.");
  }

  const std::vector<Split> splits = assign_splits(good, options);
  std::vector<ManifestRow> rows;
  rows.reserve(good.size());
  Fnv1a64 images_hash;
  const int size = options.preprocess.size;
  io::ImageCacheWriter cache(staging.path() / "images.cache",
                             {static_cast<std::int64_t>(good.size()), 3, size, size});
  for (size_t i = 0; i < good.size(); ++i) {
    const auto& r = good[i];
    rows.push_back({r.id, "images/" + r.id + ".png", r.label, r.group, splits[i], "real", r.origin,
                    good_pixels[i]->content_hash});
    images_hash.update(good_pixels[i]->content_hash);
    cache.append(good_pixels[i]->pixels.data());
  }
  cache.finish();
  write_manifest(staging.path() / "manifest.csv", rows);
  if (!problems.empty()) write_problems_csv(staging.path() / "problems.csv", problems);

  result.counts = count_by_class_and_split(rows, listing.classes);
  nlohmann::json inputs = {{"root", fs::absolute(options.source.root).string()},
                           {"images_hash", images_hash.hex()},
                           {"images", listing.records.size()}};
  for (const auto& file : listing.metadata_files) {
    inputs["metadata"][file.filename().string()] = hash_hex(io::read_file(file));
  }
  nlohmann::json meta = settings_json(options, listing);
  meta["format"] = kPreparedSetFormat;
  meta["version"] = kPreparedSetVersion;
  meta["size"] = options.preprocess.size;
  meta["channels"] = 3;
  meta["count"] = rows.size();
  meta["counts"] = to_json(result.counts);
  meta["skipped_inputs"] = problems.size();
  meta["inputs"] = inputs;
  meta["fingerprint"] = fingerprint;
  meta["created_by"] = std::string("skingan ") + kVersion;
  io::write_file_atomic(staging.path() / "meta.json", meta.dump(2) + "\n");
  staging.commit(options.force);
  const auto seconds = [](auto from, auto to) {
    return std::chrono::duration<double>(to - from).count();
  };
  spdlog::debug(
      "prepare stages: list+validate {:.2f} s, decode+preprocess {:.2f} s, write {:.2f} s",
      seconds(start, listed), seconds(listed, decoded),
      seconds(decoded, std::chrono::steady_clock::now()));

  result.images = static_cast<std::int64_t>(rows.size());
  result.problems = std::move(problems);
  result.notes = listing.notes;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace skingan::data
