#include "report/html_report.h"

#include <cmath>
#include <cstdio>

#include "io/base64.h"
#include "report/svg_chart.h"

namespace skingan::report {
namespace {

using nlohmann::json;

const char* kStyle = R"(
body{font-family:system-ui,sans-serif;max-width:1180px;margin:0 auto;padding:16px 24px;color:#222}
h1{font-size:1.6em;margin-bottom:4px} h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
.answer{background:#f3f7fb;border-left:4px solid #0072B2;padding:10px 16px;font-size:1.05em}
.answer li{margin:6px 0} .note{color:#666;font-size:.9em}
table{border-collapse:collapse;margin:8px 0;font-size:.92em} th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left} thead th{background:#f4f4f4}
tr.best td{font-weight:bold} .pos{color:#006d2c} .neg{color:#b30000}
.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start} figure{margin:0}
figcaption{font-size:.85em;color:#444;text-align:center} img{image-rendering:pixelated;max-width:100%}
pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:.85em}
nav a{margin-right:12px}
)";

// Fails loudly in the page itself: a broken image or script error shows in data-report.
const char* kScript = R"(
window.addEventListener('error', function (e) {
  document.body.setAttribute('data-report', 'error');
  document.body.setAttribute('data-report-error', String(e.message || e));
});
window.addEventListener('load', function () {
  var broken = Array.prototype.filter.call(document.images, function (i) {
    return !i.complete || i.naturalWidth === 0;
  });
  if (broken.length) {
    document.body.setAttribute('data-report', 'error');
    document.body.setAttribute('data-report-error', broken.length + ' image(s) did not decode');
  } else if (document.body.getAttribute('data-report') !== 'error') {
    document.body.setAttribute('data-report', 'ready');
  }
});
)";

std::string esc(const json& j) {
  return escape_xml(j.is_string() ? j.get<std::string>() : j.dump());
}

std::string num(const json& j, const char* format = "%.3f") {
  if (!j.is_number()) return "n/a";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), format, j.get<double>());
  return buffer;
}

std::string mean_sd(const json& s) {
  if (!s.is_object() || !s["mean"].is_number()) return "n/a";
  return num(s["mean"]) + " ± " + num(s["sd"]);
}

std::string signed_cell(const json& mean, const json& ci) {
  if (!mean.is_number()) return "<td>n/a</td>";
  const double lo = ci[0].is_number() ? ci[0].get<double>() : NAN;
  const double hi = ci[1].is_number() ? ci[1].get<double>() : NAN;
  const std::string cls = lo > 0 ? " class=\"pos\"" : (hi < 0 ? " class=\"neg\"" : "");
  return "<td" + cls + ">" + num(mean, "%+.3f") + "<br><span class=\"note\">" +
         num(ci[0], "%+.3f") + " to " + num(ci[1], "%+.3f") + "</span></td>";
}

std::string image(const std::map<std::string, std::string>& images, const std::string& key,
                  const std::string& caption, int width = 0) {
  const auto it = images.find(key);
  if (it == images.end()) return "";
  return "<figure><img alt=\"" + escape_xml(caption) + "\" src=\"data:image/png;base64," +
         io::base64_encode(it->second) + "\"" +
         (width > 0 ? " width=\"" + std::to_string(width) + "\"" : std::string()) +
         "><figcaption>" + escape_xml(caption) + "</figcaption></figure>";
}

// A series from JSON points {x_key: .., y_key: ..}; points without x are left out, a missing y
// is a gap.
SvgSeries series_from(const std::string& name, const json& points, const char* x_key,
                      const char* y_key) {
  SvgSeries s{name};
  for (const auto& p : points) {
    if (!p.contains(x_key)) continue;
    s.x.push_back(p[x_key].get<double>());
    s.y.push_back(p.value(y_key, NAN));
  }
  return s;
}

SvgChartOptions wide_chart(const std::string& title) {
  SvgChartOptions o;
  o.width = 1100;
  o.height = 320;
  o.title = title;
  return o;
}

std::string answer_section(const json& r) {
  std::string h = "<section id=\"answer\"><h2>Question and answer</h2><p><b>Question.</b> " +
                  esc(r["question"]) + "</p><div class=\"answer\"><b>Answer.</b><ul>";
  for (const auto& line : r["answer"]) h += "<li>" + esc(line) + "</li>";
  h += "</ul>";
  for (const auto& c : r["comparisons"]) {
    std::string better, worse;
    const json better_classes = c.value("classes_better", json::array());
    const json worse_classes = c.value("classes_worse", json::array());
    for (const auto& k : better_classes) better += (better.empty() ? "" : ", ") + esc(k);
    for (const auto& k : worse_classes) worse += (worse.empty() ? "" : ", ") + esc(k);
    h += "<p>" + esc(c["arm"]) + " per class (recall, interval excluding zero): better for " +
         (better.empty() ? "none" : better) + "; worse for " + (worse.empty() ? "none" : worse) +
         ".</p>";
  }
  h += "</div><p class=\"note\">Seeds " + esc(r["seeds_used"]) +
       (r["complete"].get<bool>() ? "" : " (incomplete: some seeds have not finished)") +
       ". Test split: " + esc(r["test"]["images"]) + " real images from " +
       esc(r["test"]["lesions"]) +
       " lesions, never used in training or model selection. Intervals are 95% bootstrap "
       "intervals that resample seeds and test lesions; each GAN was trained once per study, so "
       "they do not include the GAN's own training variance.</p></section>";
  return h;
}

// The paired differences of the GAN arms from `baseline` (balanced accuracy and recall of each
// class with test images), as an h3 and a table; empty without GAN arms.
std::string paired_table(const json& comparisons, const json& baseline, const json& classes,
                         const std::string& where) {
  if (comparisons.empty()) return "";
  std::vector<std::string> shown;  // classes with a difference (a cohort may lack some)
  for (const auto& k : classes) {
    for (const auto& c : comparisons) {
      if (c["per_class"][k.get<std::string>()]["mean"].is_number()) {
        shown.push_back(k);
        break;
      }
    }
  }
  std::string h = "<h3>Paired differences from " + esc(baseline) + where +
                  "</h3><table><thead><tr><th>arm</th><th>balanced accuracy</th>";
  for (const auto& k : shown) h += "<th>recall " + escape_xml(k) + "</th>";
  h += "</tr></thead><tbody>";
  for (const auto& c : comparisons) {
    h += "<tr><td>" + esc(c["arm"]) + "</td>" + signed_cell(c["mean"], c["ci95"]);
    for (const auto& k : shown) {
      const auto& pc = c["per_class"][k];
      h += signed_cell(pc["mean"], pc["ci95"]);
    }
    h += "</tr>";
  }
  return h + "</tbody></table><p class=\"note\">Arm minus " + esc(baseline) +
         " on the same test images, mean over seeds, with the 95% interval below; green or red "
         "only where the interval excludes zero.</p>";
}

// The development test split and every external cohort side by side: balanced accuracy per arm
// (and, where a cohort has fewer classes than the model, with predictions restricted to its
// mapped classes), then each cohort's paired differences from its own best arm without a GAN.
std::string cohorts_section(const json& r) {
  if (!r.contains("cohorts") || r["cohorts"].empty()) return "";
  std::string h =
      "<section id=\"cohorts\"><h2>Development test split and external cohorts</h2><table>"
      "<thead><tr><th>arm</th><th>development test</th>";
  for (const auto& c : r["cohorts"]) {
    h += "<th>" + esc(c["name"]) + "</th>";
    if (!c["label_map"].get<std::string>().empty())
      h += "<th>" + esc(c["name"]) + " (restricted)</th>";
  }
  h += "</tr></thead><tbody>";
  for (size_t i = 0; i < r["arms"].size(); ++i) {
    h += "<tr><td>" + esc(r["arms"][i]["name"]) + "</td><td>" +
         mean_sd(r["arms"][i]["summary"]["balanced_accuracy"]) + "</td>";
    for (const auto& c : r["cohorts"]) {
      const auto& summary = c["arms"][i]["summary"];
      h += "<td>" + mean_sd(summary["balanced_accuracy"]) + "</td>";
      if (!c["label_map"].get<std::string>().empty()) {
        h += "<td>" +
             (summary.contains("restricted_balanced_accuracy")
                  ? mean_sd(summary["restricted_balanced_accuracy"])
                  : std::string("-")) +
             "</td>";
      }
    }
    h += "</tr>";
  }
  h += "</tbody></table><p class=\"note\">Balanced accuracy, mean ± SD over seeds. Every "
       "cohort image is a test image (the study checks that none was trained on). Restricted: "
       "each prediction limited to the classes the cohort's labels map to.</p>";
  for (const auto& c : r["cohorts"]) {
    h += "<p class=\"note\">" + esc(c["name"]) + ": " + esc(c["source"]) + ", " +
         esc(c["test"]["images"]) + " images from " + esc(c["test"]["lesions"]) +
         " lesions; best arm without a GAN there: " + esc(c["baseline"]) + ".</p>";
    h += paired_table(c["comparisons"], c["baseline"], r["classes"], " on " + esc(c["name"]));
  }
  return h + "</section>";
}

std::string summary_section(const json& r) {
  std::string h =
      "<section id=\"summary\"><h2>Arms</h2><table><thead><tr><th>arm</th><th>balanced "
      "accuracy</th>"
      "<th>macro-F1</th><th>macro AUC</th><th>accuracy</th><th>per seed (balanced "
      "accuracy)</th></tr></thead><tbody>";
  for (const auto& a : r["arms"]) {
    std::string per_seed;
    for (const auto& s : a["seeds"])
      per_seed += (per_seed.empty() ? "" : ", ") + num(s["balanced_accuracy"]);
    h += std::string("<tr") + (a["name"] == r["baseline"] ? " class=\"best\"" : "") + "><td>" +
         esc(a["name"]) + "</td><td>" + mean_sd(a["summary"]["balanced_accuracy"]) + "</td><td>" +
         mean_sd(a["summary"]["macro_f1"]) + "</td><td>" + mean_sd(a["summary"]["macro_auc"]) +
         "</td><td>" + mean_sd(a["summary"]["accuracy"]) + "</td><td>" + per_seed + "</td></tr>";
  }
  h +=
      "</tbody></table><p class=\"note\">Mean ± SD over seeds; bold: the best arm without a GAN (" +
      esc(r["baseline"]) + "), which every GAN arm is compared with.</p>";
  h += paired_table(r["comparisons"], r["baseline"], r["classes"], "");
  return h + "</section>";
}

std::string recall_section(const json& r) {
  std::vector<std::string> classes;
  for (const auto& c : r["classes"]) classes.push_back(c);
  std::vector<SvgSeries> series;
  std::vector<std::vector<double>> errors;
  for (const auto& a : r["arms"]) {
    SvgSeries s{a["name"]};
    std::vector<double> e;
    for (const auto& c : classes) {
      const auto& v = a["summary"]["recall"][c];
      s.y.push_back(v["mean"].is_number() ? v["mean"].get<double>() : NAN);
      e.push_back(v["sd"].is_number() ? v["sd"].get<double>() : NAN);
    }
    series.push_back(s);
    errors.push_back(e);
  }
  SvgChartOptions o =
      wide_chart("Per-class recall (sensitivity) per arm, mean over seeds, bars ± SD");
  o.y_label = "recall";
  o.y_max = 1.0;
  std::string h = "<section id=\"recall\"><h2>Per-class recall</h2>" +
                  svg_grouped_bars(classes, series, errors, o);
  h += "<table><thead><tr><th>arm</th>";
  for (const auto& c : classes)
    h += "<th>" + escape_xml(c) + " (n=" + esc(r["test"]["support"][c]) + ")</th>";
  h += "</tr></thead><tbody>";
  for (const auto& a : r["arms"]) {
    h += "<tr><td>" + esc(a["name"]) + "</td>";
    for (const auto& c : classes) h += "<td>" + mean_sd(a["summary"]["recall"][c]) + "</td>";
    h += "</tr>";
  }
  return h + "</tbody></table></section>";
}

std::string gan_section(const json& r, const std::map<std::string, std::string>& images) {
  std::string h = "<section id=\"gan\"><h2>GAN training</h2>";
  if (r["gans"].empty()) h += "<p>No GAN arm in this study.</p>";
  for (const auto& g : r["gans"]) {
    h += "<h3>" + esc(g["name"]) + "</h3><div class=\"grid\">";
    const json curves = g.value("curves", json::object());  // items() must not outlive it
    for (const auto& [unit, points] : curves.items()) {
      const SvgSeries d = series_from("D loss", points, "step", "d_loss");
      const SvgSeries gl = series_from("G loss", points, "step", "g_loss");
      SvgChartOptions o;
      o.width = 360;
      o.height = 220;
      o.title = g["name"].get<std::string>() + ": " + unit;
      o.x_label = "step";
      h += svg_line_chart({d, gl}, o);
    }
    h += "</div>";
    h += image(
        images, "samples/" + g["name"].get<std::string>(),
        "final samples of " + g["name"].get<std::string>() + " (one row per class, fixed noise)");
    if (g.contains("synthetic_counts")) {
      h += "<p class=\"note\">Synthetic training images added per class: " +
           esc(g["synthetic_counts"]) + "</p>";
    }
  }
  return h + "</section>";
}

// "score (floor)" for one metric of a class's entry in scores.json.
std::string score_cell(const json& entry, const char* metric, double scale, const char* format) {
  auto value = [&](const json& side) {
    const json& v = std::string(metric) == "kid" ? side["kid"]["mean"] : side.value(metric, json());
    return v.is_number() ? num(json(v.get<double>() * scale), format) : std::string("n/a");
  };
  return "<td>" + value(entry["score"]) + "<br><span class=\"note\">" + value(entry["floor"]) +
         "</span></td>";
}

std::string quality_section(const json& r, const std::map<std::string, std::string>& images) {
  std::string h = "<section id=\"quality\"><h2>Generator quality</h2>";
  bool any = false;
  for (const auto& g : r["gans"]) {
    if (!g.contains("quality")) continue;
    any = true;
    const json& q = g["quality"];
    const std::string name = g["name"].get<std::string>();
    const json left_out = q.value("left_out", json::object());  // items() must not outlive it
    if (q["classes"].empty()) {
      h += "<h3>" + escape_xml(name) + "</h3><p>Not scored: no class has enough images.</p>";
      for (const auto& [c, why] : left_out.items()) {
        h += "<p class=\"note\">" + escape_xml(c) + ": " + esc(why) + "</p>";
      }
      continue;
    }
    h += "<h3>" + escape_xml(name) + "</h3><p class=\"note\">Against the real " +
         esc(q["reference_split"]) + " split; under each value the real floor (" + esc(q["floor"]) +
         "). Feature space: " + esc(q["feature_space_description"]) + ". " + esc(q["note"]) +
         "</p><table><thead><tr><th>class</th><th>synthetic</th><th>KID &times; 1000</th>"
         "<th>FID</th><th>precision</th><th>recall</th><th>coverage</th><th>conditional "
         "accuracy</th><th>near-copies</th></tr></thead><tbody>";
    auto row = [&](const std::string& label, const json& e, const json& copies) {
      const json cond = e.value("conditional_accuracy", json());
      const json cond_floor = e.value("conditional_accuracy_floor", json());
      return "<tr><td>" + escape_xml(label) + "</td><td>" + esc(e["score"]["synthetic"]) + "</td>" +
             score_cell(e, "kid", 1000, "%.2f") + score_cell(e, "fid", 1, "%.2f") +
             score_cell(e, "precision", 1, "%.2f") + score_cell(e, "recall", 1, "%.2f") +
             score_cell(e, "coverage", 1, "%.2f") + "<td>" + num(cond, "%.2f") +
             "<br><span class=\"note\">" + num(cond_floor, "%.2f") + "</span></td><td>" +
             num(copies.is_number() ? json(100 * copies.get<double>()) : json(), "%.1f") +
             "%</td></tr>";
    };
    for (const auto& c : q["classes"]) {
      const json& e = q["per_class"][c.get<std::string>()];
      h += row(c.get<std::string>(), e, e["memorisation"]["features"]["synthetic_near_copy_share"]);
    }
    h += row("all", q["overall"], q["overall"]["memorisation"]["near_copy_share_features"]);
    h += "</tbody></table>";
    for (const auto& [c, why] : left_out.items()) {
      h += "<p class=\"note\">" + escape_xml(c) + " left out: " + esc(why) + "</p>";
    }
    if (q["cas"].value("computed", false)) {
      h += "<p>CAS (trained on synthetic images only, tested on real test images): balanced "
           "accuracy " +
           num(q["cas"]["synthetic_balanced_accuracy"]) + " against " +
           num(q["cas"]["real_balanced_accuracy"]) +
           " trained on real images with the same "
           "budget (ratio " +
           num(q["cas"]["ratio"], "%.2f") + ").</p>";
    }
    // KID over training steps, per unit, where train-gan scored during training.
    std::vector<SvgSeries> kid;
    const json curves = g.value("curves", json::object());
    for (const auto& [unit, points] : curves.items()) {
      SvgSeries s{unit};
      for (const auto& p : points) {
        if (!p.contains("kid")) continue;
        s.x.push_back(p["step"].get<double>());
        s.y.push_back(p["kid"].get<double>());
      }
      if (!s.x.empty()) kid.push_back(s);
    }
    if (!kid.empty()) {
      SvgChartOptions o = wide_chart(name +
                                     ": KID of the EMA generator against the real "
                                     "validation images during training");
      o.x_label = "step";
      h += svg_line_chart(kid, o);
    }
    h += image(images, "pairs/" + name,
               "closest synthetic | real training pairs per class (red frame: near-copy)");
  }
  if (!any) h += "<p>No GAN arm was scored (score.enabled = false, or no GAN arm).</p>";
  return h + "</section>";
}

std::string samples_section(const json& r, const std::map<std::string, std::string>& images) {
  std::string h =
      "<section id=\"samples\"><h2>Real and synthetic images per class</h2><p class=\"note\">"
      "First row: real training images; then one row per GAN.</p><div class=\"grid\">";
  for (const auto& c : r["classes"])
    h += image(images, "grid/" + c.get<std::string>(), c.get<std::string>());
  return h + "</div></section>";
}

std::string curves_section(const json& r) {
  std::vector<SvgSeries> val;
  for (const auto& a : r["arms"]) {
    for (const auto& s : a["seeds"]) {
      const SvgSeries v =
          series_from(a["name"].get<std::string>() + " (seed " + s["seed"].dump() + ")", s["curve"],
                      "epoch", "val_balanced_accuracy");
      val.push_back(v);
    }
  }
  SvgChartOptions o = wide_chart("Validation balanced accuracy per epoch (the best epoch is kept)");
  o.x_label = "epoch";
  return "<section id=\"curves\"><h2>Classifier validation curves</h2>" + svg_line_chart(val, o) +
         "</section>";
}

std::string confusion_section(const json& r, const std::map<std::string, std::string>& images) {
  std::string h =
      "<section id=\"confusion\"><h2>Confusion matrices (first seed; rows true, columns "
      "predicted)</h2><div class=\"grid\">";
  for (const auto& a : r["arms"]) {
    h += image(images, "confusion/" + a["name"].get<std::string>(), a["name"].get<std::string>(),
               320);
  }
  return h + "</div></section>";
}

std::string stages_section(const json& r) {
  std::string h =
      "<section id=\"stages\"><h2>Wall time per stage</h2><table><thead><tr><th>stage</th>"
      "<th>seconds</th><th>attempts</th></tr></thead><tbody>";
  double total = 0;
  for (const auto& s : r["stages"]) {
    total += s["seconds"].get<double>();
    h += "<tr><td>" + esc(s["name"]) + "</td><td>" + num(s["seconds"], "%.1f") + "</td><td>" +
         esc(s["attempts"]) + "</td></tr>";
  }
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.1f", total);
  return h + "<tr><td><b>total</b></td><td><b>" + buffer +
         "</b></td><td></td></tr></tbody></table></section>";
}

}  // namespace

std::string render_study_report(const json& r, const std::map<std::string, std::string>& images) {
  std::string h = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                  esc(r["config"]["name"]) + " · skingan report</title><style>" + kStyle +
                  "</style><script>" + kScript + "</script></head><body data-report=\"loading\">";
  h += "<h1>" + esc(r["config"]["name"]) + "</h1><p class=\"note\">skingan study report · preset " +
       esc(r["config"]["preset"]) + " · data " + esc(r["config"]["data"]["source"]) + "</p>";
  h += "<nav><a href=\"#answer\">answer</a><a href=\"#summary\">arms</a><a href=\"#recall\">per "
       "class</a>"
       "<a href=\"#gan\">GANs</a><a href=\"#quality\">generator quality</a><a "
       "href=\"#samples\">images</a><a href=\"#curves\">curves</a>"
       "<a href=\"#confusion\">confusion</a><a href=\"#stages\">time</a><a "
       "href=\"#config\">configuration</a></nav>";
  h += answer_section(r) + summary_section(r) + cohorts_section(r) + recall_section(r) +
       gan_section(r, images) + quality_section(r, images) + samples_section(r, images) +
       curves_section(r) + confusion_section(r, images) + stages_section(r);
  h += "<section id=\"config\"><h2>Configuration and software</h2><pre>" +
       escape_xml(r["config"].dump(2)) + "</pre><pre>" +
       escape_xml(r.value("versions", json::object()).dump(2)) + "</pre></section>";
  return h + "</body></html>\n";
}

}  // namespace skingan::report
