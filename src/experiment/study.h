// `skingan experiment`: runs a study's stages (study_plan.h) through the StageRunner, then writes
// STUDY/results.json, STUDY/results.md, STUDY/report.html and the report's pictures in
// STUDY/figures/. The study folder also keeps study.toml (the configuration as given) and
// config.json (as resolved). One study runs at a time per folder (a lock refuses a second).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "experiment/study_config.h"

namespace skingan::experiment {

struct StudyOptions {
  StudyConfig config;
  std::filesystem::path output;
  std::filesystem::path executable;      // the skingan binary that runs each stage
  std::vector<std::string> global_args;  // passed to every stage (--threads, --device)
  std::string config_text;               // the TOML as given ("" with a preset only)
  bool force = false;                    // rerun stages whose settings changed
  bool report_only = false;              // no stage runs: report the seeds already finished
  // Run this one stage (its inputs must have finished) and write no report: what each rule of
  // an emitted Snakemake workflow runs (experiment/snakefile.h).
  std::string only_stage;
};

struct StudyResult {
  std::filesystem::path report, results_json, results_md;
  int stages_run = 0, stages_skipped = 0;
  double seconds = 0;
  std::vector<std::string> answer;
};

// Throws ConfigError (refused settings, a stage run with other settings, a study already
// running), StageFailed (with the stage's command line and log) or StudyInterrupted.
StudyResult run_study(const StudyOptions& options);

}  // namespace skingan::experiment
