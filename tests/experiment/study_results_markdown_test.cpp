#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "experiment/study_results.h"

using namespace skingan;

namespace {

// The smallest results.json results_markdown reads: one GAN arm compared with the baseline.
nlohmann::json results_with_one_comparison() {
  nlohmann::json r;
  r["config"] = {{"name", "toy study"}};
  r["question"] = "does it help?";
  r["answer"] = {"no"};
  r["seeds_used"] = {1, 2};
  r["complete"] = true;
  r["test"] = {{"images", 10}, {"lesions", 8}};
  r["arms"] = nlohmann::json::array();
  r["classes"] = {"akiec", "mel", "vasc"};
  r["baseline"] = "classic";
  nlohmann::json per_class = {
      {"akiec", {{"mean", 0.25}, {"ci95", {0.1, 0.4}}}},             // interval above zero
      {"mel", {{"mean", -0.05}, {"ci95", {-0.2, 0.1}}}},             // covers zero
      {"vasc", {{"mean", nullptr}, {"ci95", {nullptr, nullptr}}}}};  // no test images
  r["comparisons"] = {{{"arm", "classic+cgan"},
                       {"mean", -0.01},
                       {"ci95", {-0.05, 0.03}},
                       {"per_seed", {-0.02, 0.0}},
                       {"per_class", per_class}}};
  r["cohorts"] = nlohmann::json::array();
  r["stages"] = nlohmann::json::array();
  r["gans"] = nlohmann::json::array();
  return r;
}

}  // namespace

// results.md carries the per-class paired differences in the classes' order: the mean, a star
// where the interval excludes zero, the interval, and n/a for a class without test images.
TEST(StudyResultsMarkdown, ListsThePairedDifferencesPerClass) {
  const std::string md = experiment::results_markdown(results_with_one_comparison());
  EXPECT_NE(md.find("| classic+cgan | -0.010 | -0.050 to +0.030 | -0.020, +0.000 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Paired differences per class (recall, GAN arm minus classic"),
            std::string::npos);
  EXPECT_NE(md.find("| arm | akiec | mel | vasc |"), std::string::npos) << md;
  EXPECT_NE(md.find("| classic+cgan | +0.25* [+0.10, +0.40] | -0.05 [-0.20, +0.10] | n/a |"),
            std::string::npos)
      << md;
}
