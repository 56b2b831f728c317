// How synthetic images enter a classifier's training (`train-classifier`'s --synthetic-* options):
// which classes receive them, how many per class, which survive a confidence filter, and how
// their loss is weighted. The batch mix itself is data/mix_sampler.h, the schedule (fine-tuning
// on real images only) lives in classifier_run.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "train/classifier_config.h"

namespace skingan::train {

// "minority" resolved to the classes with fewer real training images than the mean per class
// (the classes that inverse-frequency class weights up-weight); a list is checked against the
// set's classes. Empty spec: every class. ConfigError naming an unknown class and the known ones.
std::vector<std::string> receiving_classes(const std::vector<std::string>& spec,
                                           const std::vector<std::string>& classes,
                                           const std::vector<int64_t>& real_counts);

inline constexpr double kMaxSyntheticCap = 1e12, kMaxSyntheticCapRatio = 1000;
// `--synthetic-cap` text: "N" (images per class) or "Fx" (F times the class's real training
// images). Sets config.synthetic_cap or config.synthetic_cap_ratio; ConfigError otherwise.
void parse_synthetic_cap(const std::string& text, ClassifierConfig& config);

// The most synthetic images a class with `real_count` real training images may receive
// (-1: no limit): the smaller of the absolute and the relative cap.
int64_t synthetic_limit(const ClassifierConfig& config, int64_t real_count);

// The confidence filter: confidence float [N] (the feature classifier's probability of each
// image's intended class), labels long [N]. Keeps every row with confidence >= min_confidence,
// and with keep_top < 1 only the ceil(keep_top * n_c) most confident rows of each class c.
// Returns the kept row indices, ascending.
std::vector<int64_t> confident_rows(const torch::Tensor& confidence, const torch::Tensor& labels,
                                    double min_confidence, double keep_top);

// Cross-entropy with per-class weights (may be undefined) and per-sample weights [B]:
// sum_i w_{y_i} s_i l_i / sum_i w_{y_i}, which with every s_i = 1 is torch's mean reduction.
torch::Tensor weighted_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets,
                                     const torch::Tensor& class_weights,
                                     const torch::Tensor& sample_weights, double label_smoothing);

// Refuses (ConfigError, before any work) settings that contradict each other or are out of range.
void check_synthetic_policy(const ClassifierConfig& config);

}  // namespace skingan::train
