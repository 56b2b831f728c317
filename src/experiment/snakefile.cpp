#include "experiment/snakefile.h"

#include <cctype>
#include <set>
#include <sstream>

#include "experiment/study_plan.h"

namespace skingan::experiment {
namespace fs = std::filesystem;
namespace {

// A Python string literal of `text`.
std::string python_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string shell_words(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + shell_quote(w);
  return line;
}

}  // namespace

std::string rule_name(const std::string& stage_name) {
  std::string name;
  for (char c : stage_name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "stage_" + name;
  return name;
}

std::string snakefile_text(const std::vector<Stage>& stages, const StageRunner& runner,
                           const SnakefileOptions& o) {
  std::ostringstream out;
  out << "# Snakemake workflow of the skingan study " << o.study.string() << "\n"
      << "# written by `skingan experiment ... --emit-snakefile`; regenerate it after changing "
         "the study.\n"
      << "# Each rule runs one study stage through `skingan experiment ... --stage NAME` (the "
         "stage's own\n"
      << "# command is in the comment above the rule), so stages finished here are skipped by "
         "a later\n"
      << "# `skingan experiment` and the other way round. Run it with\n"
      << "#   snakemake -s THIS_FILE -j 2                   (two stages at a time here)\n"
      << "#   snakemake -s THIS_FILE -j 2 --config stage_threads=2   (threads per stage)\n"
      << "#   snakemake -s THIS_FILE --profile slurm        (a cluster profile, as usual)\n"
      << "# Paths below are relative to the study folder (workdir).\n\n"
      << "STUDY = " << python_string(o.study.string()) << "\n"
      << "workdir: STUDY\n\n"
      // The command every rule runs, in three parts around Snakemake's {threads}; rules take
      // them as params (inserted as they are, so no character of a path needs escaping).
      << "SKINGAN = " << python_string(shell_quote(o.executable.string())) << "\n"
      << "GLOBAL_OPTIONS = " << python_string(shell_words(o.global_args)) << "\n"
      << "STUDY_OPTIONS = " << python_string(shell_words(o.study_args)) << "\n"
      << "STAGE_THREADS = int(config.get(\"stage_threads\", 1))\n\n"
      << "rule all:\n    input: \"report.html\"\n\n";
  // params, threads and the shell line every rule shares; `tail` goes after the study options.
  auto command = [](const std::string& tail) {
    return std::string(
               "    params: skingan=SKINGAN, options=GLOBAL_OPTIONS, study=STUDY_OPTIONS\n") +
           "    threads: STAGE_THREADS\n" +
           "    shell: \"{params.skingan} --threads {threads} {params.options} {params.study}" +
           tail + " > {log} 2>&1\"\n";
  };
  std::set<std::string> names;
  std::vector<std::string> markers;
  for (const auto& stage : stages) {
    std::string name = rule_name(stage.name);
    while (!names.insert(name).second) name += "_";
    out << "# " << stage.name << ": " << runner.command_line(stage) << "\n"
        << "rule " << name << ":\n";
    if (!stage.inputs.empty()) {
      out << "    input:\n";
      for (const auto& input : stage.inputs)
        out << "        " << python_string(input + "/stage.done") << ",\n";
    }
    // Stage names are the study's own (letters, digits, + - . _ /): no quote or brace in them.
    out << "    output: touch(" << python_string(stage.name + "/stage.done") << ")\n"
        << "    log: " << python_string(stage.name + "/snakemake.log") << "\n"
        << command(" --stage " + shell_quote(stage.name)) << "\n";
    markers.push_back(stage.name + "/stage.done");
  }
  out << "# The whole study command: every stage is finished, so it only writes the report.\n"
      << "rule report:\n    input:\n";
  for (const auto& m : markers) out << "        " << python_string(m) << ",\n";
  out << "    output: \"report.html\", \"results.json\", \"results.md\"\n"
      << "    log: \"snakemake-report.log\"\n"
      << command("");
  return out.str();
}

std::string study_snakefile(const StudyOptions& options,
                            const std::vector<std::string>& study_args) {
  validate(options.config);
  SnakefileOptions o;
  o.study = fs::absolute(options.output).lexically_normal();
  o.executable = options.executable;
  o.study_args = study_args;
  // --threads comes from each rule; the other global options as this command got them.
  for (size_t i = 0; i < options.global_args.size(); ++i) {
    if (options.global_args[i] == "--threads") {
      ++i;
      continue;
    }
    o.global_args.push_back(options.global_args[i]);
  }
  const StageRunner runner(o.study, options.executable, options.global_args, false);
  return snakefile_text(plan_stages(options.config, o.study), runner, o);
}

}  // namespace skingan::experiment
