#include "eval/evaluate.h"

#include <torch/serialize/input-archive.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "core/text.h"
#include "data/prepared_set.h"
#include "eval/metrics.h"
#include "eval/study_statistics.h"
#include "io/csv.h"
#include "io/files.h"
#include "models/classifier/classifier_folder.h"

namespace fs = std::filesystem;

namespace skingan::eval {
namespace {

nlohmann::json interval_json(const Interval& i) {
  if (std::isnan(i.low)) return nullptr;
  return {i.low, i.high};
}

// A metric on a subset of rows (for the bootstrap).
Metrics subset_metrics(const std::vector<int64_t>& labels,
                       const std::vector<std::vector<double>>& probs, int64_t classes,
                       const std::vector<int64_t>& rows) {
  std::vector<int64_t> l;
  std::vector<std::vector<double>> p;
  l.reserve(rows.size());
  p.reserve(rows.size());
  for (int64_t r : rows) {
    l.push_back(labels[r]);
    p.push_back(probs[r]);
  }
  return compute_metrics(l, p, classes);
}

fs::path evaluation_dir(const fs::path& path) {
  return fs::is_directory(path) ? path : path.parent_path();
}

// The evaluated rows of `set` must not be images the model trained or was selected on. The
// model's real set (its first training set) is split by lesion already and is not checked; every
// other evaluated set is compared, by image id and by content hash, with the train and val rows
// of each training set named in the model's config.json. Returns what was compared and what
// could not be (a training set no longer on disk), which the CLI prints.
nlohmann::json check_no_training_overlap(const nlohmann::json& config, const fs::path& data_set,
                                         const data::PreparedSet& set,
                                         const std::vector<int64_t>& rows) {
  const auto train_sets = config.value("train_sets", std::vector<std::string>());
  const fs::path evaluated = fs::weakly_canonical(fs::absolute(data_set));
  nlohmann::json checked = {{"against", nlohmann::json::array()}, {"skipped", nullptr}};
  if (train_sets.empty()) {
    checked["skipped"] = "the model's config.json names no training set";
    return checked;
  }
  if (fs::weakly_canonical(fs::path(train_sets.front())) == evaluated) {
    checked["skipped"] = "the model's own real set (split by lesion at prepare time)";
    return checked;
  }
  std::set<std::string> ids, hashes;
  for (const auto& path : train_sets) {
    const fs::path manifest = fs::path(path) / "manifest.csv";
    if (!fs::exists(manifest)) {  // e.g. a model shared without its data: said, not hidden
      checked["skipped"] = "training set " + path + " not found: not compared";
      continue;
    }
    for (const auto& r : data::read_manifest(manifest)) {
      if (r.split == data::Split::kTest || r.source != "real") continue;
      ids.insert(r.id);
      if (!r.source_hash.empty()) hashes.insert(r.source_hash);
    }
    checked["against"].push_back(path);
  }
  std::vector<std::string> shared;
  for (int64_t i : rows) {
    const auto& r = set.rows()[static_cast<size_t>(i)];
    if (ids.count(r.id) || (!r.source_hash.empty() && hashes.count(r.source_hash)))
      shared.push_back(r.id);
  }
  if (!shared.empty()) {
    std::vector<std::string> named(shared.begin(),
                                   shared.begin() + std::min<size_t>(shared.size(), 10));
    throw DataError(describe_problem(
        "data " + data_set.string(),
        std::to_string(shared.size()) + " images that the model trained or was selected on (" +
            join(named) + (shared.size() > named.size() ? ", ..." : "") + ")",
        "a test set disjoint from the training data (same image id or content)",
        "Remove them from the test set: results on them would be leakage."));
  }
  return checked;
}

}  // namespace

std::vector<std::vector<double>> restrict_probabilities(
    const std::vector<std::vector<double>>& probabilities, const std::vector<bool>& allowed) {
  std::vector<std::vector<double>> out = probabilities;
  for (auto& row : out) {
    double total = 0;
    for (size_t c = 0; c < row.size(); ++c) {
      if (!allowed[c]) row[c] = 0;
      total += row[c];
    }
    if (total > 0)
      for (double& v : row) v /= total;
  }
  return out;
}

std::map<std::string, std::string> parse_label_map(const std::string& text) {
  std::map<std::string, std::string> map;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const size_t comma = text.find(',', start);
    const std::string entry =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
      throw ConfigError(describe_problem("--label-map entry '" + entry + "'", "malformed",
                                         "DATA_LABEL=MODEL_CLASS, comma-separated "
                                         "(e.g. sk=bkl,mel=mel,nv=nv)",
                                         ""));
    }
    map[entry.substr(0, eq)] = entry.substr(eq + 1);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return map;
}

nlohmann::json evaluate_model(const EvaluateOptions& o) {
  if (o.split != "test" && o.split != "val" && o.split != "train" && o.split != "all") {
    throw ConfigError(
        describe_problem("--split " + o.split, "unknown", "test, val, train or all", ""));
  }
  if (fs::exists(o.output) && !o.force) {
    throw ConfigError(describe_problem("output " + o.output.string(), "already exists",
                                       "a new folder", "Pass --force to replace it."));
  }
  models::ClassifierFolder folder = models::load_classifier_folder(o.model_dir, o.device);
  models::Classifier& model = folder.model;
  const std::vector<std::string>& classes = folder.classes;
  const int64_t k = static_cast<int64_t>(classes.size());
  const std::map<std::string, std::string> map = parse_label_map(o.label_map);
  if (o.restrict_to_mapped && map.empty()) {
    throw ConfigError(describe_problem("--restrict-to-mapped", "no --label-map",
                                       "a label map naming the classes to restrict to", ""));
  }
  for (const auto& [from, to] : map) {
    if (std::find(classes.begin(), classes.end(), to) == classes.end()) {
      std::string known;
      for (const auto& c : classes) known += (known.empty() ? "" : ", ") + c;
      throw ConfigError(describe_problem("--label-map " + from + "=" + to,
                                         "class '" + to + "' is not a class of the model",
                                         "one of: " + known, ""));
    }
  }

  const data::PreparedSet set = data::PreparedSet::open(o.data_set);
  std::vector<int64_t> rows, labels;
  std::map<std::string, int64_t> excluded;  // data label -> images the model cannot classify
  for (size_t i = 0; i < set.rows().size(); ++i) {
    const auto& r = set.rows()[i];
    if (r.source != "real") continue;  // synthetic images are never test data
    if (o.split != "all" && data::split_name(r.split) != o.split) continue;
    std::string label = r.label;
    if (!map.empty()) {
      const auto it = map.find(r.label);
      if (it == map.end()) {
        ++excluded[r.label];
        continue;
      }
      label = it->second;
    }
    const auto it = std::find(classes.begin(), classes.end(), label);
    if (it == classes.end()) {
      ++excluded[r.label];
      continue;
    }
    rows.push_back(static_cast<int64_t>(i));
    labels.push_back(it - classes.begin());
  }
  if (rows.empty()) {
    throw ConfigError(describe_problem("data " + o.data_set.string() + " split " + o.split,
                                       "no image of a class the model knows",
                                       "images labelled with the model's classes",
                                       "Check --split, or map the labels with --label-map."));
  }

  if (model->options().image_size() != set.image_size()) {
    throw ConfigError(describe_problem(
        "data " + o.data_set.string(), std::to_string(set.image_size()) + " px images",
        std::to_string(model->options().image_size()) + " px like the model's training data",
        "Prepare it with --size " + std::to_string(model->options().image_size()) + "."));
  }
  const nlohmann::json overlap = check_no_training_overlap(folder.config, o.data_set, set, rows);
  const torch::Tensor images = set.load_images().index_select(0, torch::tensor(rows, torch::kLong));
  const torch::Tensor probabilities =
      models::predict_probabilities(model, images, 256, o.device, o.tta).to(torch::kDouble);
  std::vector<std::vector<double>> probs(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const double* p = probabilities[static_cast<int64_t>(i)].data_ptr<double>();
    probs[i].assign(p, p + k);
  }
  const Metrics m = compute_metrics(labels, probs, k);
  std::vector<std::string> groups;
  for (int64_t r : rows) groups.push_back(set.rows()[r].group);
  auto intervals = [&](const std::vector<std::vector<double>>& p) {
    auto ci = [&](double Metrics::*field) {
      return interval_json(bootstrap_interval(
          groups,
          [&](const std::vector<int64_t>& drawn) {
            return subset_metrics(labels, p, k, drawn).*field;
          },
          o.bootstrap, o.seed));
    };
    return nlohmann::json{{"accuracy", ci(&Metrics::accuracy)},
                          {"balanced_accuracy", ci(&Metrics::balanced_accuracy)},
                          {"macro_f1", ci(&Metrics::macro_f1)},
                          {"macro_auc", ci(&Metrics::macro_auc)}};
  };
  std::vector<std::vector<double>> restricted;
  std::vector<std::string> mapped;
  if (o.restrict_to_mapped) {
    std::vector<bool> allowed(static_cast<size_t>(k), false);
    for (const auto& [from, to] : map) {
      const auto c =
          static_cast<size_t>(std::find(classes.begin(), classes.end(), to) - classes.begin());
      allowed[c] = true;
    }
    for (size_t c = 0; c < classes.size(); ++c)
      if (allowed[c]) mapped.push_back(classes[c]);
    restricted = restrict_probabilities(probs, allowed);
  }
  nlohmann::json result = {
      {"model", fs::absolute(o.model_dir).lexically_normal().string()},
      {"data", fs::absolute(o.data_set).lexically_normal().string()},
      {"split", o.split},
      {"tta", o.tta},
      {"label_map", map},
      {"excluded", excluded},
      {"metrics", to_json(m, classes)},
      {"ci95", intervals(probs)},
      {"leakage_check", overlap},
      {"bootstrap",
       {{"resamples", o.bootstrap},
        {"unit", "lesion"},
        {"seed", o.seed},
        {"lesions", std::set<std::string>(groups.begin(), groups.end()).size()}}}};

  if (o.restrict_to_mapped) {
    result["restricted"] = {{"classes", mapped},
                            {"metrics", to_json(compute_metrics(labels, restricted, k), classes)},
                            {"ci95", intervals(restricted)}};
  }
  io::remove_stale_staging(o.output);
  io::StagingDir staging(o.output);
  std::vector<std::string> header = {"id", "group", "label", "predicted"};
  for (const auto& c : classes) header.push_back("p_" + c);
  if (o.restrict_to_mapped) header.push_back("predicted_restricted");
  std::string csv = io::csv_line(header);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = set.rows()[rows[i]];
    const int64_t predicted = std::max_element(probs[i].begin(), probs[i].end()) - probs[i].begin();
    std::vector<std::string> line = {r.id, r.group, classes[labels[i]], classes[predicted]};
    for (double p : probs[i]) {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.6g", p);
      line.push_back(buffer);
    }
    if (o.restrict_to_mapped) {
      const auto& r = restricted[i];
      line.push_back(classes[std::max_element(r.begin(), r.end()) - r.begin()]);
    }
    csv += io::csv_line(line);
  }
  io::write_file_in_staging(staging.path() / "predictions.csv", csv);
  std::vector<std::string> confusion_header = {"true\\predicted"};
  confusion_header.insert(confusion_header.end(), classes.begin(), classes.end());
  std::string confusion = io::csv_line(confusion_header);
  for (int64_t i = 0; i < k; ++i) {
    std::vector<std::string> line = {classes[i]};
    for (int64_t j = 0; j < k; ++j) line.push_back(std::to_string(m.confusion[i][j]));
    confusion += io::csv_line(line);
  }
  io::write_file_in_staging(staging.path() / "confusion.csv", confusion);
  io::write_file_in_staging(staging.path() / "metrics.json", result.dump(2) + "\n");
  if (o.extra_outputs) o.extra_outputs(staging.path(), result);
  staging.commit(o.force);
  return result;
}

nlohmann::json compare_evaluations(const fs::path& a_path, const fs::path& b_path, int resamples,
                                   uint64_t seed) {
  struct Predictions {
    std::vector<std::string> classes;
    std::map<std::string, std::tuple<std::string, int64_t, int64_t>> by_id;  // group,label,pred
  };
  auto read = [](const fs::path& path) {
    const PredictionTable t = read_prediction_table(evaluation_dir(path));
    Predictions p{t.classes, {}};
    for (size_t i = 0; i < t.ids.size(); ++i)
      p.by_id[t.ids[i]] = {t.groups[i], t.labels[i], t.predicted[i]};
    return p;
  };
  const Predictions a = read(a_path), b = read(b_path);
  if (a.classes != b.classes) {
    throw ConfigError(
        "compare: the two evaluations have different class lists; compare models "
        "of the same classes.");
  }
  std::vector<std::string> groups;
  std::vector<int64_t> labels, pred_a, pred_b;
  for (const auto& [id, va] : a.by_id) {
    const auto it = b.by_id.find(id);
    if (it == b.by_id.end()) continue;
    if (std::get<1>(va) != std::get<1>(it->second)) {
      throw ConfigError("compare: image " + id + " has label " + a.classes[std::get<1>(va)] +
                        " in A but " + a.classes[std::get<1>(it->second)] +
                        " in B; evaluate both on the same data.");
    }
    groups.push_back(std::get<0>(va));
    labels.push_back(std::get<1>(va));
    pred_a.push_back(std::get<2>(va));
    pred_b.push_back(std::get<2>(it->second));
  }
  if (labels.empty()) throw ConfigError("compare: the two evaluations share no image id.");
  const int64_t k = static_cast<int64_t>(a.classes.size());
  auto one_hot = [&](const std::vector<int64_t>& pred) {
    std::vector<std::vector<double>> p(pred.size(), std::vector<double>(k, 0.0));
    for (size_t i = 0; i < pred.size(); ++i) p[i][pred[i]] = 1.0;
    return p;
  };
  const auto pa = one_hot(pred_a), pb = one_hot(pred_b);
  auto difference = [&](const std::vector<int64_t>& rows, double Metrics::*field) {
    return subset_metrics(labels, pb, k, rows).*field - subset_metrics(labels, pa, k, rows).*field;
  };
  std::vector<int64_t> all(labels.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  std::vector<bool> correct_a(labels.size()), correct_b(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    correct_a[i] = pred_a[i] == labels[i];
    correct_b[i] = pred_b[i] == labels[i];
  }
  const McNemar test = mcnemar(correct_a, correct_b);
  const double d_bacc = difference(all, &Metrics::balanced_accuracy);
  const Interval ci_bacc = bootstrap_interval(
      groups,
      [&](const std::vector<int64_t>& r) { return difference(r, &Metrics::balanced_accuracy); },
      resamples, seed);
  const Interval ci_acc = bootstrap_interval(
      groups, [&](const std::vector<int64_t>& r) { return difference(r, &Metrics::accuracy); },
      resamples, seed);
  const bool significant = !std::isnan(ci_bacc.low) && (ci_bacc.low > 0 || ci_bacc.high < 0);
  return {{"a", a_path.string()},
          {"b", b_path.string()},
          {"images", labels.size()},
          {"balanced_accuracy_a", subset_metrics(labels, pa, k, all).balanced_accuracy},
          {"balanced_accuracy_b", subset_metrics(labels, pb, k, all).balanced_accuracy},
          {"balanced_accuracy_difference", d_bacc},
          {"balanced_accuracy_difference_ci95", interval_json(ci_bacc)},
          {"accuracy_difference", difference(all, &Metrics::accuracy)},
          {"accuracy_difference_ci95", interval_json(ci_acc)},
          {"mcnemar",
           {{"only_a_correct", test.only_a_correct},
            {"only_b_correct", test.only_b_correct},
            {"p_value", test.p_value}}},
          {"conclusion", significant ? (d_bacc > 0 ? "B is better (95% CI excludes 0)"
                                                   : "A is better (95% CI excludes 0)")
                                     : "no significant difference (95% CI covers 0)"},
          {"bootstrap", {{"resamples", resamples}, {"unit", "lesion"}, {"seed", seed}}}};
}

}  // namespace skingan::eval
