// A study as a Snakemake workflow (`skingan experiment ... --emit-snakefile FILE`), so the stages
// of one study spread over the cores of a machine (snakemake -j N) or a cluster (Slurm profiles)
// with a workflow engine users already run, instead of a scheduler of skingan's own.
//
// One rule per stage. Its shell is `skingan experiment <the same study options> --stage NAME`,
// which runs the stage's command (quoted in a comment above the rule) through the StageRunner:
// stage.json and the fingerprints are kept as in a whole-study run, so stages finished by either
// path are skipped by the other. Each rule's output is a marker, STAGE_DIR/stage.done, touched by
// Snakemake on success; its inputs are the markers of the stages it reads. The last rule,
// `report`, runs the whole study command, which finds every stage finished and writes
// report.html, results.json and results.md.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "experiment/stage_runner.h"
#include "experiment/study.h"

namespace skingan::experiment {

struct SnakefileOptions {
  std::filesystem::path study;           // absolute
  std::filesystem::path executable;      // the skingan binary the rules run
  std::vector<std::string> global_args;  // --device ... --log-level ... (threads come per rule)
  std::vector<std::string> study_args;   // "experiment", --config/--preset/--data, -o STUDY
};

// The Snakefile's text for `stages` (plan order); `runner` quotes each stage's command.
std::string snakefile_text(const std::vector<Stage>& stages, const StageRunner& runner,
                           const SnakefileOptions& options);

// The workflow of the study `options` describes (validated and planned as run_study would);
// `study_args` are the experiment command's own options that select the study ("experiment",
// --config FILE, --preset NAME, --data DIR, -o STUDY), all paths absolute.
std::string study_snakefile(const StudyOptions& options,
                            const std::vector<std::string>& study_args);

// "gan/cgan/train" -> "gan_cgan_train": a Snakemake rule name (letters, digits, underscores).
std::string rule_name(const std::string& stage_name);

}  // namespace skingan::experiment
