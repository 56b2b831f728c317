// results.md: the study's results.json summarised as Markdown (the answer, the arms per test
// set, the paired differences overall and per class, wall time per stage, generator quality).
#include <cstdio>
#include <string>

#include "eval/generator_score.h"
#include "experiment/study_results.h"

namespace skingan::experiment {

namespace {

// The header rows of a table with one column per class after the arm's.
std::string class_table_header(const nlohmann::json& classes) {
  std::string md = "| arm |";
  for (const auto& c : classes) md += " " + c.get<std::string>() + " |";
  md += "\n| --- |";
  for (size_t i = 0; i < classes.size(); ++i) md += " ---: |";
  return md + "\n";
}

// The paired GAN-vs-baseline differences as Markdown tables (empty without GAN arms): balanced
// accuracy with the per-seed differences, then recall per class in `classes` order.
std::string comparisons_markdown(const nlohmann::json& comparisons, const nlohmann::json& baseline,
                                 const nlohmann::json& classes) {
  if (comparisons.empty()) return "";
  std::string md = "\nPaired differences (GAN arm minus " + baseline.get<std::string>() +
                   ", balanced accuracy; 95% CI resampling seeds and test lesions):\n\n"
                   "| arm | difference | 95% CI | per seed |\n| --- | ---: | --- | --- |\n";
  for (const auto& c : comparisons) {
    std::string per_seed;
    for (const auto& d : c["per_seed"]) {
      char one[32];
      std::snprintf(one, sizeof(one), "%s%+.3f", per_seed.empty() ? "" : ", ", d.get<double>());
      per_seed += one;
    }
    char buffer[256];
    std::snprintf(buffer, sizeof(buffer), "| %s | %+.3f | %+.3f to %+.3f | %s |\n",
                  c["arm"].get<std::string>().c_str(), c["mean"].get<double>(),
                  c["ci95"][0].get<double>(), c["ci95"][1].get<double>(), per_seed.c_str());
    md += buffer;
  }
  md += "\nPaired differences per class (recall, GAN arm minus " + baseline.get<std::string>() +
        "; 95% CI; * where the interval excludes zero; n/a: a class without test images):\n\n" +
        class_table_header(classes);
  for (const auto& c : comparisons) {
    md += "| " + c["arm"].get<std::string>() + " |";
    for (const auto& k : classes) {
      const nlohmann::json cell = c.value("per_class", nlohmann::json::object())
                                      .value(k.get<std::string>(), nlohmann::json::object());
      const nlohmann::json ci = cell.value("ci95", nlohmann::json());
      if (!cell.value("mean", nlohmann::json()).is_number() || !ci.is_array() || ci.size() != 2 ||
          !ci[0].is_number() || !ci[1].is_number()) {
        md += " n/a |";
        continue;
      }
      const double low = ci[0].get<double>(), high = ci[1].get<double>();
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), " %+.2f%s [%+.2f, %+.2f] |", cell["mean"].get<double>(),
                    low > 0 || high < 0 ? "*" : "", low, high);
      md += buffer;
    }
    md += "\n";
  }
  return md;
}

}  // namespace

std::string results_markdown(const nlohmann::json& r) {
  std::string quality;
  for (const auto& g : r["gans"]) {
    if (!g.contains("quality")) continue;
    std::string table = eval::scores_markdown(g["quality"]);
    table = "\n## Generator quality: " + g["name"].get<std::string>() +
            table.substr(table.find('\n'));  // its own title replaced by the arm's
    quality += table;
  }
  auto fmt = [](const nlohmann::json& summary) {
    if (!summary["mean"].is_number()) return std::string("n/a");
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.3f ± %.3f", summary["mean"].get<double>(),
                  summary["sd"].get<double>());
    return std::string(buffer);
  };
  std::string md = "# " + r["config"]["name"].get<std::string>() + "\n\n**Question.** " +
                   r["question"].get<std::string>() + "\n\n**Answer.**\n";
  for (const auto& line : r["answer"]) md += "- " + line.get<std::string>() + "\n";
  md += "\nSeeds: " + r["seeds_used"].dump() +
        (r["complete"].get<bool>() ? "" : " (incomplete study)") +
        "; test images: " + r["test"]["images"].dump() + " from " + r["test"]["lesions"].dump() +
        " lesions. Mean ± SD over seeds.\n\n";
  md +=
      "| arm | balanced accuracy | macro-F1 | macro AUC | accuracy |\n| --- | --- | --- | --- | "
      "--- |\n";
  for (const auto& a : r["arms"]) {
    md += "| " + a["name"].get<std::string>() + " | " + fmt(a["summary"]["balanced_accuracy"]) +
          " | " + fmt(a["summary"]["macro_f1"]) + " | " + fmt(a["summary"]["macro_auc"]) + " | " +
          fmt(a["summary"]["accuracy"]) + " |\n";
  }
  md += "\nPer-class recall (mean over seeds):\n\n" + class_table_header(r["classes"]);
  for (const auto& a : r["arms"]) {
    md += "| " + a["name"].get<std::string>() + " |";
    for (const auto& c : r["classes"]) {
      const auto& s = a["summary"]["recall"][c.get<std::string>()];
      char buffer[32];
      if (s["mean"].is_number()) {
        std::snprintf(buffer, sizeof(buffer), " %.3f |", s["mean"].get<double>());
      } else {
        std::snprintf(buffer, sizeof(buffer), " n/a |");
      }
      md += buffer;
    }
    md += "\n";
  }
  md += comparisons_markdown(r["comparisons"], r["baseline"], r["classes"]);
  for (const auto& cohort : r["cohorts"]) {
    md += "\n## External test cohort: " + cohort["name"].get<std::string>() + "\n\n" +
          cohort["source"].get<std::string>() + ", every image" +
          (cohort["label_map"].get<std::string>().empty()
               ? std::string()
               : " (labels mapped " + cohort["label_map"].get<std::string>() + ")") +
          "; " + cohort["test"]["images"].dump() + " images from " +
          cohort["test"]["lesions"].dump() +
          " lesions. Restricted: each prediction restricted to the mapped classes.\n\n"
          "| arm | balanced accuracy | restricted | macro AUC | accuracy |\n"
          "| --- | --- | --- | --- | --- |\n";
    for (const auto& a : cohort["arms"]) {
      const auto& summary = a["summary"];
      md += "| " + a["name"].get<std::string>() + " | " + fmt(summary["balanced_accuracy"]) +
            " | " +
            (summary.contains("restricted_balanced_accuracy")
                 ? fmt(summary["restricted_balanced_accuracy"])
                 : std::string("-")) +
            " | " + fmt(summary["macro_auc"]) + " | " + fmt(summary["accuracy"]) + " |\n";
    }
    md += comparisons_markdown(cohort["comparisons"], cohort["baseline"], r["classes"]);
  }
  md +=
      "\nWall time per stage (seconds, all attempts):\n\n| stage | seconds | attempts |\n| --- | "
      "---: | ---: |\n";
  for (const auto& s : r["stages"]) {
    char buffer[256];
    std::snprintf(buffer, sizeof(buffer), "| %s | %.1f | %d |\n",
                  s["name"].get<std::string>().c_str(), s["seconds"].get<double>(),
                  s["attempts"].get<int>());
    md += buffer;
  }
  return md + quality;
}

}  // namespace skingan::experiment
