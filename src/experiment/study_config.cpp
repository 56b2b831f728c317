#include "experiment/study_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/text.h"
#include "eval/evaluate.h"
#include "train/synthetic_policy.h"

namespace skingan::experiment {
namespace {

// A number after `prefix` in `part` ("ratio0.25" -> 0.25), within [low, high]; nullopt when the
// part has another prefix. ConfigError naming the arm for a malformed or out-of-range number.
std::optional<double> policy_number(const std::string& spec, const std::string& part,
                                    const std::string& prefix, double low, double high) {
  if (part.rfind(prefix, 0) != 0 || part.size() == prefix.size()) return std::nullopt;
  const std::string text = part.substr(prefix.size());
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value >= low && value <= high)) {
    throw ConfigError(describe_problem(
        "classifier arm '" + spec + "'", "'" + part + "'",
        prefix + " followed by a number in [" + number_text(low) + ", " + number_text(high) + "]",
        ""));
  }
  return value;
}

// The synthetic-image policy parts of an arm (see ClassifierArm). False for another part.
bool parse_policy_part(const std::string& spec, const std::string& p, ClassifierArm& arm,
                       bool& repeated) {
  if (p == "minority") {
    repeated = arm.minority;
    arm.minority = true;
  } else if (auto v = policy_number(spec, p, "ratio", 0, 1)) {
    repeated = arm.synthetic_ratio >= 0;
    arm.synthetic_ratio = *v;
  } else if (auto v = policy_number(spec, p, "finetune", 1, 1000)) {
    repeated = arm.finetune_real_epochs > 0;
    arm.finetune_real_epochs = static_cast<int64_t>(*v);
    if (static_cast<double>(arm.finetune_real_epochs) != *v) {
      throw ConfigError(describe_problem("classifier arm '" + spec + "'", "'" + p + "'",
                                         "finetune followed by a whole number of epochs", ""));
    }
  } else if (auto v = policy_number(spec, p, "conf", 0, 1)) {
    repeated = arm.min_confidence > 0;
    arm.min_confidence = *v;
  } else if (auto v = policy_number(spec, p, "top", 1e-6, 1)) {
    repeated = arm.keep_top < 1;
    arm.keep_top = *v;
  } else if (auto v = policy_number(spec, p, "weight", 0, 1000)) {
    repeated = arm.synthetic_weight != 1;
    arm.synthetic_weight = *v;
  } else if (p.rfind("cap", 0) == 0 && p.size() > 3) {
    repeated = !arm.cap.empty();
    arm.cap = p.substr(3);
    train::ClassifierConfig check;
    try {
      train::parse_synthetic_cap(arm.cap, check);
    } catch (const ConfigError&) {
      throw ConfigError(describe_problem("classifier arm '" + spec + "'", "'" + p + "'",
                                         "cap followed by a count (cap500) or a multiple of "
                                         "the real images (cap1x, cap0.5x)",
                                         ""));
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> ClassifierArm::policy_args() const {
  std::vector<std::string> args;
  auto add = [&](const std::string& option, const std::string& value) {
    args.push_back(option);
    args.push_back(value);
  };
  if (synthetic_ratio >= 0) add("--synthetic-ratio", number_text(synthetic_ratio));
  if (minority) add("--synthetic-classes", "minority");
  if (finetune_real_epochs > 0) add("--finetune-real-epochs", std::to_string(finetune_real_epochs));
  if (min_confidence > 0) add("--synthetic-min-confidence", number_text(min_confidence));
  if (keep_top < 1) add("--synthetic-keep-top", number_text(keep_top));
  if (synthetic_weight != 1) add("--synthetic-weight", number_text(synthetic_weight));
  if (!cap.empty()) add("--synthetic-cap", cap);
  return args;
}

ClassifierArm parse_classifier_arm(const std::string& spec,
                                   const std::vector<std::string>& gan_names) {
  ClassifierArm arm;
  arm.name = spec;
  std::vector<std::string> parts;
  std::stringstream stream(spec);
  for (std::string part; std::getline(stream, part, '+');) parts.push_back(part);
  const std::string expected =
      "augment[+class-weights][+balanced-sampler][+GAN[+policy...]], augment none or classic, "
      "GAN one of gan.arms (" +
      (gan_names.empty() ? std::string("none configured") : join(gan_names)) +
      "), policy parts ratioR, minority, finetuneK, confT, topF, weightW, capN or capFx";
  if (parts.empty() || (parts[0] != "none" && parts[0] != "classic")) {
    throw ConfigError(describe_problem("classifier arm '" + spec + "'",
                                       "'" + (parts.empty() ? "" : parts[0]) + "' first", expected,
                                       "Start the arm with none or classic."));
  }
  arm.augment = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    bool repeated = false;
    if (p == "class-weights") {
      repeated = arm.class_weights;
      arm.class_weights = true;
    } else if (p == "balanced-sampler") {
      repeated = arm.balanced_sampler;
      arm.balanced_sampler = true;
    } else if (contains(gan_names, p)) {
      repeated = !arm.gan.empty();
      arm.gan = p;
    } else if (parse_policy_part(spec, p, arm, repeated)) {
      if (arm.gan.empty()) {
        throw ConfigError(describe_problem(
            "classifier arm '" + spec + "'", "policy part '" + p + "' without a GAN before it",
            "policy parts after the GAN they apply to", "Write e.g. classic+cgan+" + p + "."));
      }
    } else {
      throw ConfigError(describe_problem("classifier arm '" + spec + "'", "'" + p + "'", expected,
                                         contains(gan_arm_names(), p)
                                             ? "Add '" + p + "' to gan.arms to train that GAN."
                                             : "Correct the part's spelling."));
    }
    if (repeated) {
      throw ConfigError(
          describe_problem("classifier arm '" + spec + "'", "'" + p + "' twice or a second GAN",
                           "each part once and at most one GAN", "Split it into two arms."));
    }
  }
  return arm;
}

void check_test_set(const TestSetConfig& set) {
  const bool usable =
      !set.name.empty() && std::all_of(set.name.begin(), set.name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
      });
  if (!usable) {
    throw ConfigError(describe_problem("test_sets.name '" + set.name + "'", "not a usable name",
                                       "letters, digits, '-' and '_' (it names folders)", ""));
  }
  if (set.source.empty()) {
    throw ConfigError(describe_problem("test set '" + set.name + "'", "no source",
                                       "the cohort's raw data folder", "Set its source."));
  }
  if (!set.label_map.empty()) eval::parse_label_map(set.label_map);  // ConfigError if malformed
}

void validate(const StudyConfig& c) {
  if (c.data.source.empty()) {
    throw ConfigError(describe_problem("data.source", "nothing", "the raw data set folder",
                                       "Set data.source in the file or pass --data DIR."));
  }
  double total = 0;
  for (double f : c.data.split) total += f;
  if (c.data.split.size() != 3 || std::abs(total - 1.0) > 1e-6 || c.data.split[1] <= 0 ||
      c.data.split[2] <= 0 || c.data.split[0] <= 0) {
    throw ConfigError(describe_problem("data.split",
                                       "fractions summing to " + std::to_string(total),
                                       "three positive fractions (train, val, test) summing to 1",
                                       "For example [0.7, 0.15, 0.15]."));
  }
  std::set<std::uint64_t> seeds(c.classifier.seeds.begin(), c.classifier.seeds.end());
  if (c.classifier.seeds.empty() || seeds.size() != c.classifier.seeds.size()) {
    throw ConfigError(describe_problem("classifier.seeds",
                                       std::to_string(c.classifier.seeds.size()) + " seeds, " +
                                           std::to_string(seeds.size()) + " distinct",
                                       "one or more distinct seeds", "Remove the repeated seed."));
  }
  std::set<std::string> cohorts;
  for (const auto& t : c.test_sets) {
    check_test_set(t);
    if (!cohorts.insert(t.name).second) {
      throw ConfigError(describe_problem("test_sets", "'" + t.name + "' twice",
                                         "each test set name once", "Rename one of them."));
    }
  }
  if (c.classifier.arms.empty()) {
    throw ConfigError(describe_problem("classifier.arms", "an empty list", "at least one arm",
                                       "Leave the key out for the default arms."));
  }
  std::set<std::string> names;
  std::vector<std::string> gan_names;
  for (const auto& g : c.gans) gan_names.push_back(g.name);
  bool has_baseline = false;
  for (const auto& arm : c.classifier.arms) {
    if (!names.insert(arm.name).second) {
      throw ConfigError(describe_problem("classifier.arms", "'" + arm.name + "' twice",
                                         "each arm once", "Remove the repeated arm."));
    }
    if (!arm.gan.empty() && !contains(gan_names, arm.gan)) {
      throw ConfigError(describe_problem(
          "classifier arm '" + arm.name + "'", "GAN '" + arm.gan + "'",
          "a GAN among gan.arms (" + join(gan_names) + ")", "Add it to gan.arms."));
    }
    has_baseline = has_baseline || arm.gan.empty();
    if (arm.finetune_real_epochs >= c.classifier.epochs) {
      throw ConfigError(describe_problem(
          "classifier arm '" + arm.name + "'",
          "finetune" + std::to_string(arm.finetune_real_epochs) + " with classifier.epochs " +
              std::to_string(c.classifier.epochs),
          "fewer fine-tune epochs than epochs", "Lower the finetune part or raise the epochs."));
    }
    if (arm.filters() && !c.score.enabled) {
      throw ConfigError(describe_problem("classifier arm '" + arm.name + "'",
                                         "a confidence filter (conf/top) with score.enabled false",
                                         "the study's feature classifier, which score trains",
                                         "Set score.enabled = true or drop the conf/top part."));
    }
  }
  if (!has_baseline) {
    throw ConfigError(describe_problem("classifier.arms", "only GAN arms",
                                       "at least one arm without a GAN to compare against",
                                       "Add classic or classic+class-weights."));
  }
}

nlohmann::json to_json(const StudyConfig& c) {
  nlohmann::json gans = nlohmann::json::array();
  for (const auto& g : c.gans) {
    gans.push_back({{"name", g.name},
                    {"steps", g.steps},
                    {"batch_size", g.batch_size},
                    {"channels", g.channels},
                    {"seed", g.seed},
                    {"balance_to", g.balance_to},
                    {"filter_keep", g.filter_keep},
                    {"truncation", g.truncation}});
  }
  nlohmann::json arms = nlohmann::json::array();
  for (const auto& a : c.classifier.arms) arms.push_back(a.name);
  nlohmann::json test_sets = nlohmann::json::array();
  for (const auto& t : c.test_sets) {
    test_sets.push_back(
        {{"name", t.name}, {"source", t.source}, {"format", t.format}, {"label_map", t.label_map}});
  }
  return {{"preset", c.preset},
          {"name", c.name},
          {"data",
           {{"source", c.data.source},
            {"format", c.data.format},
            {"size", c.data.size},
            {"crop", c.data.crop},
            {"hair_removal", c.data.hair_removal},
            {"color_constancy", c.data.color_constancy},
            {"split", c.data.split},
            {"split_seed", c.data.split_seed},
            {"classes", c.data.classes},
            {"allow_outside_links", c.data.allow_outside_links}}},
          {"test_sets", test_sets},
          {"gan", gans},
          {"classifier",
           {{"model", c.classifier.model},
            {"width", c.classifier.width},
            {"epochs", c.classifier.epochs},
            {"batch_size", c.classifier.batch_size},
            {"optimizer", c.classifier.optimizer},
            {"lr", c.classifier.lr},
            {"synthetic_cap", c.classifier.synthetic_cap},
            {"arms", arms},
            {"seeds", c.classifier.seeds}}},
          {"evaluate", {{"bootstrap", c.evaluate.bootstrap}, {"tta", c.evaluate.tta}}},
          {"score",
           {{"enabled", c.score.enabled},
            {"feature_epochs", c.score.feature_epochs},
            {"feature_width", c.score.feature_width},
            {"eval_every", c.score.eval_every},
            {"cas", c.score.cas},
            {"cas_epochs", c.score.cas_epochs}}}};
}

}  // namespace skingan::experiment
