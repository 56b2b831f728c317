// The TOML side of the study configuration: toml++ (Debian libtomlplusplus-dev) parses, this
// file checks every key and value and reports refusals with file, line and column.
#include "experiment/study_config.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "core/error.h"
#include "core/text.h"
#include "io/files.h"

namespace skingan::experiment {
namespace {

// Reads TOML nodes with errors that point into the file.
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& found,
                         const std::string& expected, const std::string& remedy = "") const {
    throw ConfigError(describe_problem(where(node.source()) + ": " + key, found, expected,
                                       remedy.empty() ? "Fix the value in the file." : remedy));
  }

  std::string where(const toml::source_region& region) const {
    return origin_ + ":" + std::to_string(region.begin.line) + ":" +
           std::to_string(region.begin.column);
  }

  // Refuses keys of `table` outside `known` (a typo must not be ignored silently).
  void check_keys(const toml::table& table, const std::string& prefix,
                  const std::vector<std::string>& known) const {
    for (auto&& [key, node] : table) {
      const std::string name(key.str());
      if (!contains(known, name)) {
        throw ConfigError(describe_problem(where(key.source()) + ": key '" + prefix + name + "'",
                                           "an unknown key", "one of: " + join(known),
                                           "Remove it or correct its spelling."));
      }
    }
  }

  std::string string(const toml::node& node, const std::string& key) const {
    if (!node.is_string()) fail(node, key, type_of(node), "a string");
    return *node.value<std::string>();
  }
  int64_t integer(const toml::node& node, const std::string& key, int64_t min, int64_t max) const {
    if (!node.is_integer()) fail(node, key, type_of(node), "an integer");
    const int64_t v = *node.value<int64_t>();
    if (v < min || v > max) {
      fail(node, key, std::to_string(v),
           "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return v;
  }
  double number(const toml::node& node, const std::string& key, double min, double max) const {
    if (!node.is_number()) fail(node, key, type_of(node), "a number");
    const double v = *node.value<double>();
    if (!(v >= min && v <= max)) {
      std::ostringstream range;
      range << "a number from " << min << " to " << max;
      fail(node, key, std::to_string(v), range.str());
    }
    return v;
  }
  bool boolean(const toml::node& node, const std::string& key) const {
    if (!node.is_boolean()) fail(node, key, type_of(node), "true or false");
    return *node.value<bool>();
  }
  std::string choice(const toml::node& node, const std::string& key,
                     const std::vector<std::string>& allowed) const {
    const std::string v = string(node, key);
    if (!contains(allowed, v)) fail(node, key, "'" + v + "'", "one of: " + join(allowed));
    return v;
  }
  std::vector<std::string> strings(const toml::node& node, const std::string& key) const {
    const toml::array* array = node.as_array();
    if (!array) fail(node, key, type_of(node), "an array of strings");
    std::vector<std::string> out;
    for (const auto& item : *array) out.push_back(string(item, key));
    return out;
  }
  const toml::table& table(const toml::node& node, const std::string& key) const {
    const toml::table* t = node.as_table();
    if (!t) fail(node, key, type_of(node), "a table ([" + key + "])");
    return *t;
  }

  static std::string type_of(const toml::node& node) {
    switch (node.type()) {
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer (" + std::to_string(*node.value<int64_t>()) + ")";
      case toml::node_type::floating_point:
        return "a floating-point number";
      case toml::node_type::boolean:
        return "a boolean";
      case toml::node_type::array:
        return "an array";
      case toml::node_type::table:
        return "a table";
      default:
        return "a date or time";
    }
  }

 private:
  std::string origin_;
};

void read_data(const Reader& r, const toml::table& t, DataConfig& d) {
  r.check_keys(t, "data.",
               {"source", "format", "size", "crop", "hair_removal", "color_constancy", "split",
                "split_seed", "classes", "allow_outside_links"});
  for (auto&& [key, node] : t) {
    const std::string k(key.str()), full = "data." + k;
    if (k == "source") d.source = r.string(node, full);
    if (k == "format") d.format = r.choice(node, full, {"auto", "ham10000", "isic", "folders"});
    if (k == "size") d.size = static_cast<int>(r.integer(node, full, 32, 512));
    if (k == "crop") d.crop = r.choice(node, full, {"center", "pad", "none"});
    if (k == "hair_removal") d.hair_removal = r.boolean(node, full);
    if (k == "color_constancy") d.color_constancy = r.boolean(node, full);
    if (k == "split_seed") d.split_seed = r.integer(node, full, 0, INT64_MAX);
    if (k == "classes") d.classes = r.strings(node, full);
    if (k == "allow_outside_links") d.allow_outside_links = r.boolean(node, full);
    if (k == "split") {
      const toml::array* a = node.as_array();
      if (!a || a->size() != 3)
        r.fail(node, full, Reader::type_of(node), "[train, val, test], e.g. [0.7, 0.15, 0.15]");
      d.split.clear();
      for (const auto& item : *a) d.split.push_back(r.number(item, full, 0.0, 1.0));
    }
  }
}

const std::vector<std::string> kGanArmKeys = {"steps",      "batch_size",  "channels",  "seed",
                                              "balance_to", "filter_keep", "truncation"};

void read_gan_value(const Reader& r, const toml::node& node, const std::string& k,
                    const std::string& full, GanArmConfig& g) {
  if (k == "steps") g.steps = r.integer(node, full, 1, 100000000);
  if (k == "batch_size") g.batch_size = r.integer(node, full, 2, 4096);
  if (k == "channels") g.channels = r.integer(node, full, 4, 1024);
  if (k == "seed") g.seed = r.integer(node, full, 0, INT64_MAX);
  if (k == "filter_keep") g.filter_keep = r.number(node, full, 1e-6, 1.0);
  if (k == "truncation") g.truncation = r.number(node, full, 0.0, 10.0);
  if (k == "balance_to") {
    if (node.is_integer()) {
      g.balance_to = std::to_string(r.integer(node, full, 1, 100000000));
    } else if (!node.is_string() || *node.value<std::string>() != "max") {
      r.fail(node, full, Reader::type_of(node), "\"max\" or a positive integer (images per class)");
    } else {
      g.balance_to = "max";
    }
  }
}

void read_gan(const Reader& r, const toml::table& t, const std::string& preset,
              std::vector<GanArmConfig>& gans) {
  std::vector<std::string> known = kGanArmKeys;
  known.push_back("arms");
  for (const auto& a : gan_arm_names()) known.push_back(a);
  r.check_keys(t, "gan.", known);
  if (const toml::node* arms = t.get("arms")) {
    const std::vector<std::string> names = r.strings(*arms, "gan.arms");
    std::set<std::string> seen;
    std::vector<GanArmConfig> chosen;
    for (const auto& name : names) {
      if (!contains(gan_arm_names(), name)) {
        r.fail(*arms, "gan.arms", "'" + name + "'", "GAN arms among: " + join(gan_arm_names()));
      }
      if (!seen.insert(name).second)
        r.fail(*arms, "gan.arms", "'" + name + "' twice", "each arm once");
      auto it =
          std::find_if(gans.begin(), gans.end(), [&](const auto& g) { return g.name == name; });
      chosen.push_back(it != gans.end() ? *it : preset_gan_arm(preset, name));
    }
    gans = chosen;
  }
  // Shared values first, then each arm's own table, which wins.
  for (auto&& [key, node] : t) {
    const std::string k(key.str());
    if (!contains(kGanArmKeys, k)) continue;
    for (auto& g : gans) read_gan_value(r, node, k, "gan." + k, g);
  }
  for (const auto& arch : gan_arm_names()) {
    const toml::node* sub = t.get(arch);
    if (!sub) continue;
    const toml::table& arm_table = r.table(*sub, "gan." + arch);
    r.check_keys(arm_table, "gan." + arch + ".", kGanArmKeys);
    auto it = std::find_if(gans.begin(), gans.end(), [&](const auto& g) { return g.name == arch; });
    if (it == gans.end()) {
      r.fail(*sub, "gan." + arch, "settings for a GAN arm that gan.arms does not list",
             "gan.arms to include '" + arch + "'", "Add it to gan.arms or remove the table.");
    }
    for (auto&& [key, node] : arm_table) {
      read_gan_value(r, node, std::string(key.str()), "gan." + arch + "." + std::string(key.str()),
                     *it);
    }
  }
}

void read_classifier(const Reader& r, const toml::table& t, const std::vector<GanArmConfig>& gans,
                     ClassifierConfig& c, std::vector<std::string>& arm_specs) {
  r.check_keys(t, "classifier.",
               {"model", "width", "epochs", "batch_size", "optimizer", "lr", "synthetic_cap",
                "arms", "seeds"});
  std::vector<std::string> gan_names;
  for (const auto& g : gans) gan_names.push_back(g.name);
  for (auto&& [key, node] : t) {
    const std::string k(key.str()), full = "classifier." + k;
    if (k == "model") c.model = r.choice(node, full, {"resnet18", "small_cnn"});
    if (k == "width") c.width = r.integer(node, full, 4, 512);
    if (k == "epochs") c.epochs = r.integer(node, full, 1, 10000);
    if (k == "batch_size") c.batch_size = r.integer(node, full, 2, 4096);
    if (k == "optimizer") c.optimizer = r.choice(node, full, {"adamw", "sgd"});
    if (k == "lr") c.lr = r.number(node, full, 0.0, 10.0);
    if (k == "synthetic_cap") c.synthetic_cap = r.integer(node, full, -1, 100000000);
    if (k == "arms") {
      arm_specs = r.strings(node, full);
      for (const auto& spec : arm_specs) {
        try {
          parse_classifier_arm(spec, gan_names);
        } catch (const ConfigError& e) {
          throw ConfigError(r.where(node.source()) + ": classifier.arms: " + e.what());
        }
      }
    }
    if (k == "seeds") {
      const toml::array* a = node.as_array();
      if (!a || a->empty())
        r.fail(node, full, Reader::type_of(node), "a non-empty array of integers");
      c.seeds.clear();
      for (const auto& item : *a) c.seeds.push_back(r.integer(item, full, 0, INT64_MAX));
    }
  }
}

void read_evaluate(const Reader& r, const toml::table& t, EvaluateConfig& e) {
  r.check_keys(t, "evaluate.", {"bootstrap", "tta"});
  for (auto&& [key, node] : t) {
    const std::string k(key.str()), full = "evaluate." + k;
    if (k == "bootstrap") e.bootstrap = static_cast<int>(r.integer(node, full, 100, 1000000));
    if (k == "tta") e.tta = r.boolean(node, full);
  }
}

void read_score(const Reader& r, const toml::table& t, ScoreConfig& s) {
  r.check_keys(t, "score.",
               {"enabled", "feature_epochs", "feature_width", "eval_every", "cas", "cas_epochs"});
  for (auto&& [key, node] : t) {
    const std::string k(key.str()), full = "score." + k;
    if (k == "enabled") s.enabled = r.boolean(node, full);
    if (k == "feature_epochs") s.feature_epochs = r.integer(node, full, 1, 1000);
    if (k == "feature_width") s.feature_width = r.integer(node, full, 4, 512);
    if (k == "eval_every") s.eval_every = r.integer(node, full, 0, INT64_MAX);
    if (k == "cas") s.cas = r.boolean(node, full);
    if (k == "cas_epochs") s.cas_epochs = r.integer(node, full, 1, 1000);
  }
}

void read_test_sets(const Reader& r, const toml::node& node, std::vector<TestSetConfig>& sets) {
  const toml::array* array = node.as_array();
  if (!array)
    r.fail(node, "test_sets", Reader::type_of(node), "an array of tables ([[test_sets]])");
  sets.clear();
  for (const auto& item : *array) {
    const toml::table& t = r.table(item, "test_sets");
    r.check_keys(t, "test_sets.", {"name", "source", "format", "label_map"});
    TestSetConfig set;
    for (auto&& [key, value] : t) {
      const std::string k(key.str()), full = "test_sets." + k;
      if (k == "name") set.name = r.string(value, full);
      if (k == "source") set.source = r.string(value, full);
      if (k == "format")
        set.format = r.choice(value, full, {"auto", "ham10000", "isic", "folders"});
      if (k == "label_map") set.label_map = r.string(value, full);
    }
    try {
      check_test_set(set);
    } catch (const ConfigError& e) {
      throw ConfigError(r.where(item.source()) + ": " + e.what());
    }
    sets.push_back(set);
  }
}

}  // namespace

StudyConfig parse_study_config(const std::string& toml_text, const std::string& origin,
                               const std::string& default_preset) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw ConfigError(origin + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                      ": not valid TOML: " + std::string(e.description()) +
                      ". Fix the syntax (see docs/study.example.toml).");
  }
  const Reader r(origin);
  r.check_keys(root, "",
               {"preset", "name", "data", "test_sets", "gan", "classifier", "evaluate", "score"});
  std::string preset = default_preset;
  if (const toml::node* p = root.get("preset")) preset = r.choice(*p, "preset", preset_names());
  StudyConfig c = preset_config(preset);
  if (const toml::node* n = root.get("name")) c.name = r.string(*n, "name");
  if (const toml::node* n = root.get("data")) read_data(r, r.table(*n, "data"), c.data);
  if (const toml::node* n = root.get("test_sets")) read_test_sets(r, *n, c.test_sets);
  if (const toml::node* n = root.get("gan")) read_gan(r, r.table(*n, "gan"), preset, c.gans);
  std::vector<std::string> arm_specs;
  if (const toml::node* n = root.get("classifier")) {
    read_classifier(r, r.table(*n, "classifier"), c.gans, c.classifier, arm_specs);
  }
  if (const toml::node* n = root.get("evaluate"))
    read_evaluate(r, r.table(*n, "evaluate"), c.evaluate);
  if (const toml::node* n = root.get("score")) read_score(r, r.table(*n, "score"), c.score);
  std::vector<std::string> gan_names;
  for (const auto& g : c.gans) gan_names.push_back(g.name);
  if (arm_specs.empty()) {
    c.classifier.arms = default_arms(preset, c.gans);
  } else {
    c.classifier.arms.clear();
    for (const auto& spec : arm_specs)
      c.classifier.arms.push_back(parse_classifier_arm(spec, gan_names));
  }
  try {
    validate(c);
  } catch (const ConfigError& e) {
    throw ConfigError(origin + ": " + e.what());
  }
  return c;
}

StudyConfig load_study_config(const std::filesystem::path& path,
                              const std::string& default_preset) {
  if (!std::filesystem::is_regular_file(path)) {
    throw ConfigError(describe_problem("--config " + path.string(), "no such file",
                                       "a TOML study configuration",
                                       "See docs/study.example.toml for an annotated example."));
  }
  return parse_study_config(io::read_file(path), path.string(), default_preset);
}

}  // namespace skingan::experiment
