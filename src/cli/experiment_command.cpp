#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/signals.h"
#include "experiment/snakefile.h"
#include "experiment/study.h"
#include "io/files.h"

namespace skingan::cli {
namespace fs = std::filesystem;
namespace {

// The binary each stage runs: this one, unless SKINGAN_EXECUTABLE names another (tests, which
// run the command inside the test binary, point it at the built skingan).
fs::path stage_executable() {
  if (const char* env = std::getenv("SKINGAN_EXECUTABLE"); env && *env) return env;
  return fs::read_symlink("/proc/self/exe");
}

// Runs the study with this process's global options for every stage and prints the outcome.
int run_and_report(experiment::StudyOptions o, const Runtime& runtime) {
  o.executable = stage_executable();
  o.global_args = runtime.stage_args;
  install_stop_handlers();
  const experiment::StudyResult r = experiment::run_study(o);
  std::cout << "stages run: " << r.stages_run << ", finished earlier: " << r.stages_skipped << "; "
            << format_duration(r.seconds) << "\n";
  for (const auto& line : r.answer) std::cout << "  " << line << "\n";
  std::cout << "results: " << r.results_json.string() << ", " << r.results_md.string() << "\n"
            << "report: " << r.report.string() << "\n";
  return 0;
}

// --emit-snakefile FILE: the workflow whose rules rerun this command with --stage.
int emit_snakefile(const ExperimentArgs& args, experiment::StudyOptions o, const Runtime& runtime) {
  if (!args.stage.empty() || args.report_only || args.force) {
    throw ConfigError(
        "--emit-snakefile runs nothing: leave out --stage, --report-only and --force.");
  }
  const fs::path file = args.emit_snakefile;
  if (fs::exists(file)) {
    throw ConfigError(describe_problem("--emit-snakefile " + file.string(), "an existing file",
                                       "a new file", "Delete it or choose another name."));
  }
  o.executable = stage_executable();
  o.global_args = runtime.stage_args;
  std::vector<std::string> study_args = {"experiment"};
  if (!args.config.empty())
    study_args.insert(study_args.end(), {"--config", fs::absolute(args.config).string()});
  if (!args.preset.empty()) study_args.insert(study_args.end(), {"--preset", args.preset});
  if (!args.data.empty()) study_args.insert(study_args.end(), {"--data", o.config.data.source});
  study_args.insert(study_args.end(),
                    {"-o", fs::absolute(args.output).lexically_normal().string()});
  io::write_file_atomic(file, experiment::study_snakefile(o, study_args));
  std::cout << "wrote " << file.string() << ": run it with snakemake -s " << file.string()
            << " -j 2\n";
  return 0;
}

}  // namespace

CLI::App* add_experiment_command(CLI::App& app, ExperimentArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "experiment",
      "run a whole study (prepare, GANs, synthetic sets, classifier arms x seeds, tests) and "
      "write report.html, results.json and results.md; reruns skip finished stages");
  cmd->add_option("--config", args.config, "study TOML (see docs/study.example.toml)");
  cmd->add_option("--preset", args.preset, "smoke | quick | standard: defaults under the file")
      ->check(CLI::IsMember(experiment::preset_names()));
  cmd->add_option("--data", args.data, "raw data set folder (overrides data.source)");
  cmd->add_option("-o,--output", args.output, "study folder")->required();
  cmd->add_flag("--force", args.force, "rerun stages whose settings or inputs changed");
  cmd->add_flag("--report-only", args.report_only,
                "run nothing; write the report from the seeds already finished");
  cmd->add_option("--stage", args.stage,
                  "run only this stage (e.g. gan/cgan/train; its input stages must have "
                  "finished) and write no report");
  cmd->add_option("--emit-snakefile", args.emit_snakefile,
                  "write the study as a Snakemake workflow to FILE (run nothing): snakemake -s "
                  "FILE -j N runs its stages in parallel, on Slurm through a profile");
  return cmd;
}

int run_experiment(const ExperimentArgs& args, const Runtime& runtime) {
  experiment::StudyOptions o;
  const std::string preset = args.preset.empty() ? "quick" : args.preset;
  if (!args.config.empty()) {
    o.config = experiment::load_study_config(args.config, preset);
    o.config_text = io::read_file(args.config);
  } else {
    o.config = experiment::preset_config(preset);
  }
  if (!args.data.empty()) o.config.data.source = args.data;
  if (o.config.data.source.empty()) {
    throw ConfigError(describe_problem("experiment", "no data set",
                                       "data.source in --config or --data DIR",
                                       "For example: skingan experiment --preset quick --data "
                                       "../shared/data/ham10000 -o study"));
  }
  // Stages run in their own folders: relative data paths are anchored here, once.
  o.config.data.source = fs::absolute(o.config.data.source).lexically_normal().string();
  o.output = args.output;
  o.force = args.force;
  o.report_only = args.report_only;
  o.only_stage = args.stage;
  if (!args.emit_snakefile.empty()) return emit_snakefile(args, std::move(o), runtime);
  if (!args.stage.empty()) {
    o.executable = stage_executable();
    o.global_args = runtime.stage_args;
    install_stop_handlers();
    const experiment::StudyResult r = experiment::run_study(o);
    std::cout << "stage " << args.stage << ": "
              << (r.stages_skipped ? "finished earlier, skipped"
                                   : "done in " + format_duration(r.seconds))
              << "\n";
    return 0;
  }
  return run_and_report(std::move(o), runtime);
}

CLI::App* add_demo_command(CLI::App& app, DemoArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "demo", "make the built-in demo data and run the smoke study on it (a few minutes)");
  cmd->add_option("-o,--output", args.output, "folder for the demo data and the study");
  cmd->add_flag("--force", args.force, "replace a demo folder made with other settings");
  return cmd;
}

int run_demo(const DemoArgs& args, const Runtime& runtime) {
  const fs::path root = fs::absolute(args.output).lexically_normal();
  data::DemoDataOptions demo;
  demo.output = root / "data";
  demo.force = args.force;
  std::cout << "demo data: " << demo.output.string() << "\n";
  data::make_demo_data(demo);
  experiment::StudyOptions o;
  o.config = experiment::preset_config("smoke");
  o.config.name = "skingan demo (smoke preset on the built-in demo data)";
  o.config.data.source = demo.output.string();
  o.output = root / "study";
  o.force = args.force;
  return run_and_report(std::move(o), runtime);
}

}  // namespace skingan::cli
