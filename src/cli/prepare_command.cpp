#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "data/problem_report.h"

namespace skingan::cli {
namespace {

data::SplitFractions parse_fractions(const std::string& text) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      values.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      values.clear();
      break;
    }
  }
  if (values.size() != 3) {
    throw ConfigError(describe_problem("--split", "'" + text + "'",
                                       "three comma-separated fractions train,val,test",
                                       "For example --split 0.7,0.15,0.15."));
  }
  data::SplitFractions fractions{values[0], values[1], values[2]};
  data::validate(fractions);
  return fractions;
}

}  // namespace

CLI::App* add_prepare_command(CLI::App& app, PrepareArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "prepare", "validate, preprocess and split a raw data set into a prepared set");
  cmd->add_option("source", args.source, "data set folder (HAM10000, ISIC or class folders)")
      ->required();
  cmd->add_option("-o,--output", args.output, "output folder of the prepared set")->required();
  cmd->add_option("--format", args.format, "auto, ham10000, isic or folders");
  cmd->add_option("--metadata", args.metadata,
                  "the metadata / ground-truth CSV (overrides detection)");
  cmd->add_option("--images", args.images, "image folder (overrides detection; repeat for several)")
      ->allow_extra_args(false);
  cmd->add_option("--classes", args.classes, "accepted class labels (default: the format's)")
      ->delimiter(',');
  cmd->add_option("--size", args.size, "output image side in pixels, 32..512");
  cmd->add_option("--crop", args.crop, "square crop: center, pad or none");
  cmd->add_flag("--no-hair-removal", args.no_hair_removal, "skip DullRazor hair removal");
  cmd->add_flag("--no-color-constancy", args.no_color_constancy, "skip Shades of Gray (p=6)");
  cmd->add_option("--split", args.split, "train,val,test fractions");
  cmd->add_option("--seed", args.seed, "split seed");
  cmd->add_option(
      "--split-file", args.split_file,
      "reuse a split: CSV with id (or image_id) and split columns, e.g. a manifest.csv");
  cmd->add_flag("--allow-outside-links", args.allow_outside_links,
                "read image files that are symbolic links to places outside the data folder "
                "(refused by default)");
  cmd->add_flag("--skip-bad", args.skip_bad,
                "leave bad inputs out (listed in OUT/problems.csv) instead of refusing");
  cmd->add_flag("--force", args.force, "replace an existing different output");
  return cmd;
}

data::PrepareOptions to_prepare_options(const PrepareArgs& args, const Runtime& runtime) {
  data::PrepareOptions options;
  options.source.root = args.source;
  options.source.format = data::parse_source_format(args.format);
  options.source.metadata = args.metadata;
  for (const auto& dir : args.images) options.source.image_dirs.emplace_back(dir);
  options.source.classes = args.classes;
  options.output = args.output;
  options.preprocess.size = args.size;
  options.preprocess.crop = preprocess::parse_crop_mode(args.crop);
  options.preprocess.remove_hair = !args.no_hair_removal;
  options.preprocess.color_constancy = !args.no_color_constancy;
  preprocess::validate(options.preprocess);
  options.fractions = parse_fractions(args.split);
  options.seed = args.seed;
  options.split_file = args.split_file;
  options.skip_bad = args.skip_bad;
  options.source.allow_outside_links = args.allow_outside_links;
  options.force = args.force;
  options.threads = runtime.threads.torch_threads;
  options.progress = runtime.progress;
  return options;
}

int run_prepare(const PrepareArgs& args, const Runtime& runtime) {
  const data::PrepareResult result = data::prepare_dataset(to_prepare_options(args, runtime));
  if (result.skipped) {
    std::cout << args.output << " is up to date (same inputs and settings); nothing to do.\n";
    return 0;
  }
  std::printf("prepared %lld images into %s in %.1f s\n", static_cast<long long>(result.images),
              args.output.c_str(), result.seconds);
  if (!result.problems.empty()) {
    std::cout << result.problems.size() << " input(s) left out, listed in " << args.output
              << "/problems.csv:\n"
              << data::format_problems(result.problems);
  }
  std::cout << "see `skingan info " << args.output
            << "` for the per-class table and contact sheets\n";
  return 0;
}

}  // namespace skingan::cli
