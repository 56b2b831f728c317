// The stages of a study, in the order they run: prepare; the feature classifier; train,
// generate and score per GAN arm; then,
// seed by seed, train and evaluate every classifier arm (seed-major, so an interrupted study
// already holds complete comparisons for its first seeds).
//
// STUDY/prepare/set                                  the prepared real set
//      /features/train/model                         the feature classifier (score enabled)
//      /gan/<gan>/train/run, gan/<gan>/generate/set  each GAN run and its synthetic set
//      /gan/<gan>/score/scores                       skingan score of that set
//      /classifier/<arm>/seed-<s>/train/model        each classifier
//      /classifier/<arm>/seed-<s>/evaluate/eval      its test-split evaluation
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "experiment/stage_runner.h"
#include "experiment/study_config.h"

namespace skingan::experiment {

std::vector<Stage> plan_stages(const StudyConfig& config, const std::filesystem::path& study_dir);

// Stage names, shared by the planner and the result collection.
std::string prepare_stage_name();
std::string features_stage_name();  // the feature classifier of `skingan score`
std::string gan_stage_name(const std::string& gan,
                           const std::string& step);  // step: train|generate|score
std::string classifier_stage_name(const std::string& arm, std::uint64_t seed,
                                  const std::string& step);        // step: train|evaluate|cohort's
std::string cohort_prepare_stage_name(const std::string& cohort);  // "cohorts/NAME/prepare"
std::string cohort_evaluate_step(const std::string& cohort);       // "evaluate-NAME"

}  // namespace skingan::experiment
