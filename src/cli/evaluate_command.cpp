#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/text.h"
#include "io/files.h"
#include "io/image_codec.h"
#include "report/confusion_image.h"

namespace skingan::cli {
namespace {

std::string percent(const nlohmann::json& value) {
  if (value.is_null()) return "  n/a";
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%5.1f", 100 * value.get<double>());
  return buffer;
}

}  // namespace

CLI::App* add_evaluate_command(CLI::App& app, EvaluateArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "evaluate", "test a trained classifier on a prepared set's real images (metrics.json)");
  cmd->add_option("model", args.model, "model folder from `skingan train-classifier`")->required();
  cmd->add_option("--data", args.data, "prepared set to evaluate on")->required();
  cmd->add_option("-o,--output", args.output, "output folder")->required();
  cmd->add_option("--split", args.split, "test (default), val, train or all")
      ->check(CLI::IsMember({"test", "val", "train", "all"}));
  cmd->add_option("--label-map", args.label_map,
                  "DATA=MODEL class pairs, e.g. sk=bkl,mel=mel,nv=nv (other labels are reported "
                  "as excluded)");
  cmd->add_flag("--restrict-to-mapped", args.restrict_to_mapped,
                "with --label-map onto fewer classes than the model: also report the figures "
                "with predictions restricted to the mapped classes (metrics.json 'restricted')");
  cmd->add_flag("--tta", args.tta, "average over flips and a 180-degree rotation");
  cmd->add_option("--bootstrap", args.bootstrap, "bootstrap resamples over lesions")
      ->check(CLI::Range(10, 100000));
  cmd->add_option("--seed", args.seed, "bootstrap seed");
  cmd->add_flag("--force", args.force, "replace an existing output folder");
  return cmd;
}

int run_evaluate(const EvaluateArgs& args, const Runtime& runtime) {
  eval::EvaluateOptions o;
  o.model_dir = args.model;
  o.data_set = args.data;
  o.output = args.output;
  o.split = args.split;
  o.label_map = args.label_map;
  o.restrict_to_mapped = args.restrict_to_mapped;
  o.tta = args.tta;
  o.bootstrap = args.bootstrap;
  o.seed = args.seed;
  o.force = args.force;
  o.device = runtime.device;
  o.extra_outputs = [](const std::filesystem::path& staging, const nlohmann::json& result) {
    const auto& m = result.at("metrics");
    io::write_file_in_staging(
        staging / "confusion.png",
        io::encode_png(report::confusion_image(
            m.at("confusion").get<std::vector<std::vector<int64_t>>>(),
            m.at("classes").get<std::vector<std::string>>(),
            "confusion matrix (" + result.at("split").get<std::string>() + ")")));
  };
  const nlohmann::json r = eval::evaluate_model(o);
  const auto& m = r.at("metrics");
  const auto& ci = r.at("ci95");
  auto with_ci = [&](const char* key) {
    std::string s = percent(m.at(key));
    if (!ci.at(key).is_null())
      s += " [" + percent(ci.at(key)[0]) + "," + percent(ci.at(key)[1]) + "]";
    return s;
  };
  std::printf("%lld images, %lld lesions (%s split)\n", m.at("count").get<long long>(),
              r.at("bootstrap").at("lesions").get<long long>(), args.split.c_str());
  std::printf(
      "accuracy           %s\nbalanced accuracy  %s\nmacro-F1           %s\nmacro AUC          "
      "%s\n",
      with_ci("accuracy").c_str(), with_ci("balanced_accuracy").c_str(),
      with_ci("macro_f1").c_str(), with_ci("macro_auc").c_str());
  std::printf(
      "(%%, 95%% bootstrap CI over lesions)\n\nclass    support  recall  precision  "
      "specificity    F1    AUC\n");
  for (const auto& c : m.at("classes")) {
    const auto& pc = m.at("per_class").at(c.get<std::string>());
    std::printf("%-8s %7lld  %s      %s        %s  %s  %s\n", c.get<std::string>().c_str(),
                pc.at("support").get<long long>(), percent(pc.at("recall")).c_str(),
                percent(pc.at("precision")).c_str(), percent(pc.at("specificity")).c_str(),
                percent(pc.at("f1")).c_str(), percent(pc.at("auc")).c_str());
  }
  if (r.contains("restricted")) {
    const auto& rm = r.at("restricted").at("metrics");
    const auto& rci = r.at("restricted").at("ci95").at("balanced_accuracy");
    std::printf(
        "restricted to %s: accuracy %s, balanced accuracy %s%s\n",
        join(r.at("restricted").at("classes").get<std::vector<std::string>>()).c_str(),
        percent(rm.at("accuracy")).c_str(), percent(rm.at("balanced_accuracy")).c_str(),
        rci.is_null() ? "" : (" [" + percent(rci[0]) + "," + percent(rci[1]) + "]").c_str());
  }
  for (const auto& [label, n] : r.at("excluded").items())
    std::printf("excluded: %lld images of '%s' (not a class of the model)\n", n.get<long long>(),
                label.c_str());
  const auto& leakage = r.at("leakage_check");
  if (leakage.at("skipped").is_string())
    std::printf("leakage check: %s\n", leakage.at("skipped").get<std::string>().c_str());
  std::cout << "wrote " << args.output << "/metrics.json\n";
  return 0;
}

CLI::App* add_compare_command(CLI::App& app, CompareArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "compare", "paired comparison of two evaluations on the same images (B minus A)");
  cmd->add_option("a", args.a, "evaluate output folder (or its metrics.json)")->required();
  cmd->add_option("b", args.b, "evaluate output folder (or its metrics.json)")->required();
  cmd->add_option("--bootstrap", args.bootstrap, "paired bootstrap resamples over lesions")
      ->check(CLI::Range(10, 100000));
  cmd->add_option("--seed", args.seed, "bootstrap seed");
  cmd->add_flag("--json", args.json, "print the result as JSON");
  return cmd;
}

int run_compare(const CompareArgs& args, const Runtime&) {
  const nlohmann::json r = eval::compare_evaluations(args.a, args.b, args.bootstrap, args.seed);
  if (args.json) {
    std::cout << r.dump(2) << "\n";
    return 0;
  }
  const auto& ci = r.at("balanced_accuracy_difference_ci95");
  std::printf("%lld paired images\nbalanced accuracy: A %.4f, B %.4f, B - A %+.4f",
              r.at("images").get<long long>(), r.at("balanced_accuracy_a").get<double>(),
              r.at("balanced_accuracy_b").get<double>(),
              r.at("balanced_accuracy_difference").get<double>());
  if (!ci.is_null())
    std::printf(" [95%% CI %+.4f, %+.4f]", ci[0].get<double>(), ci[1].get<double>());
  const auto& t = r.at("mcnemar");
  std::printf("\nMcNemar: only A right %lld, only B right %lld, p = %.4g\n%s\n",
              t.at("only_a_correct").get<long long>(), t.at("only_b_correct").get<long long>(),
              t.at("p_value").get<double>(), r.at("conclusion").get<std::string>().c_str());
  return 0;
}

}  // namespace skingan::cli
