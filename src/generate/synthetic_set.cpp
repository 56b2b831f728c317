#include "generate/synthetic_set.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/hash.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "generate/latent.h"
#include "io/files.h"
#include "io/image_cache.h"
#include "io/image_codec.h"
#include "io/tensor_image.h"
#include "models/gan/gan_checkpoint.h"
#include "skingan/version.h"

namespace fs = std::filesystem;

namespace skingan::generate {
namespace {

using models::GanCheckpoint;
using models::GanUnit;

struct ClassPlan {
  std::string label;
  GanUnit unit;
  fs::path checkpoint;
  int64_t count = 0;       // images to write
  int64_t candidates = 0;  // images to draw
};

// One loaded checkpoint per path: a conditional run's classes share theirs.
class CheckpointCache {
 public:
  CheckpointCache(c10::Device device, bool standing_statistics, bool use_ema)
      : device_(device), standing_statistics_(standing_statistics), use_ema_(use_ema) {}
  GanCheckpoint& get(const fs::path& path) {
    auto it = loaded_.find(path.string());
    if (it == loaded_.end()) {
      it = loaded_.emplace(path.string(), models::load_gan_checkpoint(path, device_)).first;
      if (standing_statistics_) models::use_standing_statistics(it->second, use_ema_);
    }
    return it->second;
  }

 private:
  c10::Device device_;
  bool standing_statistics_, use_ema_;
  std::map<std::string, GanCheckpoint> loaded_;
};

// Images in [-1,1] for indices [block * kLatentBlock, (block + 1) * kLatentBlock) of `label`:
// float [kLatentBlock,3,S,S] on the checkpoint's device.
torch::Tensor draw_block(GanCheckpoint& c, const GanUnit& unit, const std::string& label,
                         uint64_t seed, int64_t block, double truncation, bool use_ema) {
  torch::NoGradGuard no_grad;
  models::Generator& g = models::sampling_generator(c, use_ema);
  const c10::Device device = g->parameters().front().device();
  const torch::Tensor z =
      latent_block(seed, label, block, c.config.latent_dim, truncation).to(device);
  const torch::Tensor labels =
      unit.label_index >= 0
          ? torch::full({kLatentBlock}, unit.label_index, torch::dtype(torch::kLong).device(device))
          : torch::Tensor();
  return g->forward(z, labels);
}

struct Scores {
  torch::Tensor score;        // float [B] on the CPU: higher = more real (and on-class)
  torch::Tensor class_score;  // float [B]: D's probability of the requested class, or undefined
};

// Scores generated images with the run's discriminator. Unconditional: the real/fake logit.
// ACGAN: the logit plus log p(class | x) from the auxiliary head. Projection cGAN: the logit
// given the requested class (the projection already rewards agreement); its class score is the
// softmax over classes of the logits given each class.
Scores score_block(GanCheckpoint& c, const GanUnit& unit, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  const auto device = images.device();
  const int64_t n = images.size(0);
  Scores s;
  if (unit.label_index < 0) {
    s.score = c.discriminator->forward(images).logits.to(torch::kCPU);
    return s;
  }
  auto labels_of = [&](int64_t k) {
    return torch::full({n}, k, torch::dtype(torch::kLong).device(device));
  };
  if (c.config.arch == models::GanArch::kAcgan) {
    const auto out = c.discriminator->forward(images);
    const torch::Tensor log_p = torch::log_softmax(out.class_logits, 1).select(1, unit.label_index);
    s.score = (out.logits + log_p).to(torch::kCPU);
    s.class_score = log_p.exp().to(torch::kCPU);
    return s;
  }
  const auto out = c.discriminator->forward(images, labels_of(unit.label_index));
  s.score = out.logits.to(torch::kCPU);
  s.class_score = torch::softmax(out.class_logits, 1).select(1, unit.label_index).to(torch::kCPU);
  return s;
}

std::string sanitize(const std::string& text) {
  std::string out;
  for (char ch : text) out += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ? ch : '-';
  return out;
}

std::string format_score(float value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

void validate(const GenerateOptions& o) {
  if (o.output.empty()) throw ConfigError("generate: no output folder given (-o OUT).");
  if (!(o.keep > 0.0 && o.keep <= 1.0)) {
    throw ConfigError(describe_problem("--keep " + format_score(static_cast<float>(o.keep)),
                                       "outside (0,1]",
                                       "the fraction of drawn candidates to keep, e.g. 0.5", ""));
  }
  if (o.keep < 1.0 && !o.filter) {
    throw ConfigError(
        "--keep needs --filter discriminator (without a filter every drawn image "
        "is kept).");
  }
  if (o.truncation < 0) throw ConfigError("--truncation must be 0 (off) or positive.");
  if (o.count.kind != CountRequest::Kind::kBalanceToMax && o.count.n < 0) {
    throw ConfigError(describe(o.count) + ": the count must be zero or positive.");
  }
}

// Real training images per class of the set at `dir`, and its class list.
struct RealSet {
  std::vector<std::string> classes;
  std::map<std::string, int64_t> train_counts;
};

RealSet read_real_set(const fs::path& dir) {
  const data::PreparedSet set = data::PreparedSet::open(dir);
  RealSet real{set.classes(), {}};
  for (const auto& row : set.rows()) {
    if (row.split == data::Split::kTrain && row.source == "real") ++real.train_counts[row.label];
  }
  return real;
}

std::string fingerprint_of(const GenerateOptions& o, const std::vector<ClassPlan>& plans) {
  Fnv1a64 h;
  std::map<std::string, std::string> checkpoint_hashes;
  for (const auto& p : plans) {
    auto& hash = checkpoint_hashes[p.checkpoint.string()];
    if (hash.empty()) hash = Fnv1a64().update(io::read_file(p.checkpoint)).hex();
    h.update(p.label).update(hash).update_u64(static_cast<uint64_t>(p.count));
    h.update_u64(static_cast<uint64_t>(p.candidates));
  }
  h.update_u64(o.seed).update(format_score(static_cast<float>(o.truncation)));
  h.update(o.use_ema ? "ema" : "raw").update(o.filter ? "filter" : "all");
  h.update(o.standing_statistics ? "standing" : "running");
  h.update(format_score(static_cast<float>(o.keep)));
  return h.hex();
}

}  // namespace

GenerateResult generate_synthetic_set(const GenerateOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  validate(o);
  const models::GanRun run = models::read_gan_run(o.run_dir);
  const std::vector<std::string> classes = o.classes.empty() ? run.classes : o.classes;

  const fs::path real_dir = o.real_set.empty() ? run.set_dir : o.real_set;
  RealSet real{run.classes, {}};
  if (!real_dir.empty() && fs::exists(real_dir)) {
    real = read_real_set(real_dir);
  } else if (o.count.kind != CountRequest::Kind::kPerClass) {
    throw ConfigError(describe_problem(
        describe(o.count), "needs the real training set, and " + real_dir.string() + " is gone",
        "the prepared set the GAN was trained on", "Pass it with --real SET."));
  } else {
    spdlog::warn("the run's prepared set {} is gone; the synthetic set lists the run's classes",
                 real_dir.string());
  }
  const std::map<std::string, int64_t> counts =
      synthetic_counts(o.count, classes, real.train_counts);

  std::vector<ClassPlan> plans;
  for (const auto& label : classes) {
    ClassPlan p;
    p.label = label;
    p.unit = run.unit_for(label);  // refuses an unknown class
    if (std::find(real.classes.begin(), real.classes.end(), label) == real.classes.end()) {
      throw ConfigError("class '" + label + "' is not a class of the real set " +
                        real_dir.string() + ", so the synthetic set could not merge with it.");
    }
    p.checkpoint = models::find_checkpoint(p.unit, o.checkpoint_step);
    p.count = counts.at(label);
    p.candidates =
        o.filter ? static_cast<int64_t>(std::ceil(static_cast<double>(p.count) / o.keep)) : p.count;
    plans.push_back(p);
  }

  const std::string fingerprint = fingerprint_of(o, plans);
  GenerateResult result;
  io::remove_stale_staging(o.output);
  if (!o.force && data::is_finished_set(o.output, fingerprint)) {
    const data::PreparedSet existing = data::PreparedSet::open(o.output);
    result.skipped = true;
    result.images = static_cast<int64_t>(existing.rows().size());
    for (const auto& row : existing.rows()) ++result.counts[row.label];
    return result;
  }
  if (fs::exists(o.output) && !o.force) {
    throw ConfigError(describe_problem(
        "output " + o.output.string() + " already exists",
        fs::exists(o.output / "meta.json") ? "a set generated with other inputs or settings"
                                           : "a folder that is not a finished set",
        "a new folder, or the same run and options (then generate finishes at once)",
        "Pass --force to replace it, or choose another -o."));
  }

  int64_t total = 0, total_candidates = 0;
  for (const auto& p : plans) {
    total += p.count;
    total_candidates += p.candidates;
  }
  CheckpointCache checkpoints(o.device, o.standing_statistics, o.use_ema);
  const int64_t size = run.config.image_size;
  io::StagingDir staging(o.output);
  fs::create_directories(staging.path() / "images");
  io::ImageCacheWriter cache(staging.path() / "images.cache", {total, 3, size, size});
  std::vector<data::ManifestRow> rows;
  nlohmann::json checkpoint_steps = nlohmann::json::object(), drawn = nlohmann::json::object();
  const std::string run_tag =
      sanitize(fs::absolute(o.run_dir).lexically_normal().filename().string());
  const std::string generator = fs::absolute(o.run_dir).lexically_normal().string();
  ProgressBar bar("generate", total_candidates, "img", o.progress);
  for (const auto& p : plans) {
    GanCheckpoint& c = checkpoints.get(p.checkpoint);
    checkpoint_steps[p.label] = c.step;
    drawn[p.label] = p.candidates;
    // Draw every candidate (whole noise blocks), keep uint8 pixels and scores.
    std::vector<torch::Tensor> pixels, scores, class_scores;
    for (int64_t block = 0; block * kLatentBlock < p.candidates; ++block) {
      const torch::Tensor images =
          draw_block(c, p.unit, p.label, o.seed, block, o.truncation, o.use_ema);
      const int64_t take = std::min(kLatentBlock, p.candidates - block * kLatentBlock);
      if (o.filter) {
        const Scores s = score_block(c, p.unit, images);
        scores.push_back(s.score.slice(0, 0, take));
        if (s.class_score.defined()) class_scores.push_back(s.class_score.slice(0, 0, take));
      }
      pixels.push_back(io::unit_range_to_uint8(images.slice(0, 0, take)));
      bar.advance(take);
    }
    if (p.candidates == 0) continue;
    const torch::Tensor all_pixels = torch::cat(pixels);  // uint8 [M,3,S,S]
    std::vector<int64_t> kept(static_cast<size_t>(p.candidates));
    std::iota(kept.begin(), kept.end(), 0);
    torch::Tensor score, class_score;
    if (o.filter) {
      score = torch::cat(scores);
      if (!class_scores.empty()) class_score = torch::cat(class_scores);
      const float* sc = score.data_ptr<float>();
      std::stable_sort(kept.begin(), kept.end(),
                       [&](int64_t a, int64_t b) { return sc[a] > sc[b]; });
      kept.resize(static_cast<size_t>(p.count));
      std::sort(kept.begin(), kept.end());
    }
    // PNGs in parallel (coarse, independent), cache and manifest in index order.
    const float* score_of = score.defined() ? score.data_ptr<float>() : nullptr;
    const float* class_score_of = class_score.defined() ? class_score.data_ptr<float>() : nullptr;
    std::vector<data::ManifestRow> class_rows(kept.size());
    parallel_for_each(static_cast<int64_t>(kept.size()), at::get_num_threads(), [&](int64_t i) {
      const int64_t index = kept[static_cast<size_t>(i)];
      char suffix[32];
      std::snprintf(suffix, sizeof(suffix), "-s%llu-%06lld",
                    static_cast<unsigned long long>(o.seed), static_cast<long long>(index));
      data::ManifestRow& r = class_rows[static_cast<size_t>(i)];
      r.id = "syn-" + sanitize(p.label) + "-" + run_tag + suffix;
      r.file = "images/" + r.id + ".png";
      r.label = p.label;
      r.group = r.id;  // every synthetic image is its own "lesion"
      r.split = data::Split::kTrain;
      r.source = "synthetic";
      r.origin = fs::absolute(p.checkpoint).lexically_normal().string();
      const std::string png = io::encode_png(io::rgb_chw_to_bgr(all_pixels[index]));
      io::write_file_in_staging(staging.path() / r.file, png);
      r.source_hash = Fnv1a64().update(png).hex();
      r.generator = generator;
      r.checkpoint_step = std::to_string(c.step);
      r.seed = std::to_string(o.seed);
      r.sample_index = std::to_string(index);
      if (score_of) r.score = format_score(score_of[index]);
      if (class_score_of) r.class_score = format_score(class_score_of[index]);
    });
    for (size_t i = 0; i < kept.size(); ++i) {
      cache.append(all_pixels[kept[i]].contiguous().data_ptr<uint8_t>());
      rows.push_back(std::move(class_rows[i]));
    }
    result.counts[p.label] = static_cast<int64_t>(kept.size());
  }
  bar.finish();
  cache.finish();
  data::write_manifest(staging.path() / "manifest.csv", rows);

  nlohmann::json meta;
  meta["format"] = data::kPreparedSetFormat;
  meta["version"] = data::kPreparedSetVersion;
  meta["size"] = size;
  meta["channels"] = 3;
  meta["count"] = rows.size();
  meta["classes"] = real.classes;
  meta["counts"] = data::to_json(data::count_by_class_and_split(rows, real.classes));
  meta["synthetic"] = {{"run", generator},
                       {"arch", models::gan_arch_name(run.config.arch)},
                       {"per_class", run.config.per_class},
                       {"request", describe(o.count)},
                       {"seed", o.seed},
                       {"truncation", o.truncation},
                       {"use_ema", o.use_ema},
                       {"bn_statistics", o.standing_statistics ? "standing" : "running"},
                       {"filter", o.filter ? "discriminator" : "none"},
                       {"keep", o.keep},
                       {"checkpoint_steps", checkpoint_steps},
                       {"candidates", drawn},
                       {"real_set", real_dir.empty() ? "" : fs::absolute(real_dir).string()}};
  meta["fingerprint"] = fingerprint;
  meta["created_by"] = std::string("skingan ") + kVersion;
  io::write_file_atomic(staging.path() / "meta.json", meta.dump(2) + "\n");
  staging.commit(o.force);

  result.images = static_cast<int64_t>(rows.size());
  result.candidates = total_candidates;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

at::Tensor regenerate_image(const fs::path& set_dir, const data::ManifestRow& row,
                            c10::Device device) {
  if (row.source != "synthetic" || row.generator.empty()) {
    throw DataError("row " + row.id + " is not a synthetic image with provenance.");
  }
  const data::PreparedSet set = data::PreparedSet::open(set_dir);
  const nlohmann::json& synthetic = set.meta().at("synthetic");
  const models::GanRun run = models::read_gan_run(row.generator);
  const GanUnit unit = run.unit_for(row.label);
  GanCheckpoint c = models::load_gan_checkpoint(
      models::find_checkpoint(unit, std::stoll(row.checkpoint_step)), device);
  // Sets written before standing statistics existed sampled with the running ones.
  const bool use_ema = synthetic.at("use_ema").get<bool>();
  if (synthetic.value("bn_statistics", "running") == "standing")
    models::use_standing_statistics(c, use_ema);
  const int64_t index = std::stoll(row.sample_index);
  const torch::Tensor images =
      draw_block(c, unit, row.label, std::stoull(row.seed), index / kLatentBlock,
                 synthetic.at("truncation").get<double>(), use_ema);
  return io::unit_range_to_uint8(
      images.slice(0, index % kLatentBlock, index % kLatentBlock + 1))[0];
}

}  // namespace skingan::generate
