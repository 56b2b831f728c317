#include "experiment/study_plan.h"

#include <map>
#include <sstream>

#include "core/text.h"

namespace skingan::experiment {
namespace fs = std::filesystem;

namespace {

// `prepare` of a raw folder with the study's image settings (size, crop, hair removal, colour
// constancy, split): the development set and every test cohort look alike to the models.
std::vector<std::string> prepare_args(const DataConfig& d, const std::string& source,
                                      const std::string& format, const std::string& output) {
  std::vector<std::string> args = {
      "prepare",
      source,
      "-o",
      output,
      "--format",
      format,
      "--size",
      std::to_string(d.size),
      "--crop",
      d.crop,
      "--split",
      number_text(d.split[0]) + "," + number_text(d.split[1]) + "," + number_text(d.split[2]),
      "--seed",
      std::to_string(d.split_seed)};
  if (!d.hair_removal) args.push_back("--no-hair-removal");
  if (!d.color_constancy) args.push_back("--no-color-constancy");
  if (d.allow_outside_links) args.push_back("--allow-outside-links");
  return args;
}

}  // namespace

std::string prepare_stage_name() { return "prepare"; }

std::string cohort_prepare_stage_name(const std::string& cohort) {
  return "cohorts/" + cohort + "/prepare";
}

std::string cohort_evaluate_step(const std::string& cohort) { return "evaluate-" + cohort; }

std::string features_stage_name() { return "features/train"; }

std::string gan_stage_name(const std::string& gan, const std::string& step) {
  return "gan/" + gan + "/" + step;
}

std::string classifier_stage_name(const std::string& arm, std::uint64_t seed,
                                  const std::string& step) {
  return "classifier/" + arm + "/seed-" + std::to_string(seed) + "/" + step;
}

std::vector<Stage> plan_stages(const StudyConfig& c, const fs::path& study) {
  std::vector<Stage> stages;
  auto out_of = [&](const Stage& s) { return (study / s.name / s.output).string(); };

  Stage prepare{prepare_stage_name(), "set"};
  prepare.always_run = true;
  prepare.args = prepare_args(c.data, c.data.source, c.data.format, out_of(prepare));
  if (!c.data.classes.empty()) {
    prepare.args.push_back("--classes");
    for (const auto& k : c.data.classes) prepare.args.push_back(k);
  }
  stages.push_back(prepare);
  const std::string real_set = out_of(prepare);
  std::map<std::string, std::string> cohort_sets;  // cohort name -> its prepared set
  for (const auto& t : c.test_sets) {
    Stage cohort{cohort_prepare_stage_name(t.name), "set"};
    cohort.always_run = true;  // like prepare: a changed source reaches its evaluations
    cohort.args = prepare_args(c.data, t.source, t.format, out_of(cohort));
    stages.push_back(cohort);
    cohort_sets[t.name] = out_of(cohort);
  }

  // The feature space every GAN arm is scored in: one classifier on the real training split.
  Stage features{features_stage_name(), "model"};
  features.resumable = true;
  features.inputs = {prepare.name};
  features.args = {"train-classifier",
                   "--train",
                   real_set,
                   "-o",
                   out_of(features),
                   "--width",
                   std::to_string(c.score.feature_width),
                   "--epochs",
                   std::to_string(c.score.feature_epochs),
                   "--batch-size",
                   std::to_string(c.classifier.batch_size),
                   "--augment",
                   "classic",
                   "--balanced-sampler",
                   "--seed",
                   "1"};
  if (c.score.enabled && !c.gans.empty()) stages.push_back(features);
  const bool scoring = c.score.enabled && !c.gans.empty();

  std::map<std::string, std::string> synthetic_sets;
  for (const auto& g : c.gans) {
    Stage train{gan_stage_name(g.name, "train"), "run"};
    train.resumable = true;
    train.inputs = {prepare.name};
    const bool per_class = g.name == "dcgan";
    train.args = {"train-gan",    real_set,
                  "-o",           out_of(train),
                  "--arch",       per_class ? "dcgan" : g.name,
                  "--steps",      std::to_string(g.steps),
                  "--batch-size", std::to_string(g.batch_size),
                  "--g-channels", std::to_string(g.channels),
                  "--d-channels", std::to_string(g.channels),
                  "--seed",       std::to_string(g.seed)};
    if (per_class) train.args.push_back("--per-class");
    if (scoring && c.score.eval_every > 0) {
      for (const std::string& a : {std::string("--eval-every"), std::to_string(c.score.eval_every),
                                   std::string("--eval-features"), out_of(features)}) {
        train.args.push_back(a);
      }
      train.inputs.push_back(features.name);
    }
    stages.push_back(train);

    Stage generate{gan_stage_name(g.name, "generate"), "set"};
    generate.inputs = {train.name, prepare.name};
    generate.args = {
        "generate",   "--run",  out_of(train),          "-o",     out_of(generate), "--balance-to",
        g.balance_to, "--seed", std::to_string(g.seed), "--real", real_set};
    if (g.filter_keep < 1.0) {
      for (std::string a : {"--filter", "discriminator", "--keep"}) generate.args.push_back(a);
      generate.args.push_back(number_text(g.filter_keep));
    }
    if (g.truncation > 0) {
      generate.args.push_back("--truncation");
      generate.args.push_back(number_text(g.truncation));
    }
    stages.push_back(generate);
    synthetic_sets[g.name] = out_of(generate);

    if (scoring) {
      Stage score{gan_stage_name(g.name, "score"), "scores"};
      score.inputs = {generate.name, prepare.name, features.name};
      score.args = {"score",  out_of(generate), "--real",
                    real_set, "--features",     out_of(features),
                    "-o",     out_of(score),    "--skip-small-classes"};
      if (c.score.cas) {
        score.args.push_back("--cas-epochs");
        score.args.push_back(std::to_string(c.score.cas_epochs));
      } else {
        score.args.push_back("--no-cas");
      }
      stages.push_back(score);
    }
  }

  const ClassifierConfig& k = c.classifier;
  for (const auto seed : k.seeds) {
    for (const auto& arm : k.arms) {
      Stage train{classifier_stage_name(arm.name, seed, "train"), "model"};
      train.resumable = true;
      train.inputs = {prepare.name};
      train.args = {"train-classifier", "--train", real_set};
      if (!arm.gan.empty()) {
        train.args.push_back("--train");
        train.args.push_back(synthetic_sets.at(arm.gan));
        train.inputs.push_back(gan_stage_name(arm.gan, "generate"));
      }
      for (const std::string& a :
           {std::string("-o"), out_of(train), std::string("--model"), k.model,
            std::string("--width"), std::to_string(k.width), std::string("--epochs"),
            std::to_string(k.epochs), std::string("--batch-size"), std::to_string(k.batch_size),
            std::string("--optimizer"), k.optimizer, std::string("--augment"), arm.augment,
            std::string("--seed"), std::to_string(seed)}) {
        train.args.push_back(a);
      }
      if (k.lr > 0) {
        train.args.push_back("--lr");
        train.args.push_back(number_text(k.lr));
      }
      if (k.synthetic_cap >= 0 && !arm.gan.empty() && arm.cap.empty()) {  // the arm's cap wins
        train.args.push_back("--synthetic-cap");
        train.args.push_back(std::to_string(k.synthetic_cap));
      }
      if (arm.class_weights) train.args.push_back("--class-weights");
      if (arm.balanced_sampler) train.args.push_back("--balanced-sampler");
      for (const std::string& a : arm.policy_args()) train.args.push_back(a);
      if (arm.filters()) {  // the confidence filter scores with the study's feature classifier
        train.args.push_back("--synthetic-filter-model");
        train.args.push_back(out_of(features));
        train.inputs.push_back(features.name);
      }
      stages.push_back(train);

      Stage evaluate{classifier_stage_name(arm.name, seed, "evaluate"), "eval"};
      evaluate.inputs = {train.name, prepare.name};
      evaluate.args = {
          "evaluate", out_of(train),       "--data",      real_set,
          "-o",       out_of(evaluate),    "--bootstrap", std::to_string(c.evaluate.bootstrap),
          "--seed",   std::to_string(seed)};
      if (c.evaluate.tta) evaluate.args.push_back("--tta");
      stages.push_back(evaluate);

      // Every cohort: all of its images, labels mapped onto the model's classes, with the
      // figures restricted to the mapped classes beside the plain ones.
      for (const auto& t : c.test_sets) {
        Stage on{classifier_stage_name(arm.name, seed, cohort_evaluate_step(t.name)), "eval"};
        on.inputs = {train.name, cohort_prepare_stage_name(t.name)};
        on.args = {"evaluate",    out_of(train),
                   "--data",      cohort_sets.at(t.name),
                   "--split",     "all",
                   "-o",          out_of(on),
                   "--bootstrap", std::to_string(c.evaluate.bootstrap),
                   "--seed",      std::to_string(seed)};
        if (!t.label_map.empty()) {
          for (const std::string& a :
               {std::string("--label-map"), t.label_map, std::string("--restrict-to-mapped")})
            on.args.push_back(a);
        }
        if (c.evaluate.tta) on.args.push_back("--tta");
        stages.push_back(on);
      }
    }
  }
  return stages;
}

}  // namespace skingan::experiment
