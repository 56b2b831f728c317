#include <iostream>

#include "cli/commands.h"

namespace skingan::cli {

CLI::App* add_make_demo_data_command(CLI::App& app, MakeDemoDataArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "make-demo-data", "write a small procedural dermoscopy-like data set in HAM10000's layout");
  cmd->add_option("-o,--output", args.output, "output folder")->required();
  cmd->add_option("--seed", args.seed, "random seed (same seed, same files)");
  cmd->add_option("--lesions", args.lesions, "number of lesions over all classes");
  cmd->add_option("--max-views", args.max_views, "images per lesion: 1..N");
  cmd->add_option("--hair-fraction", args.hair_fraction, "share of images with hairs (0..1)");
  cmd->add_flag("--force", args.force, "replace an existing output folder");
  return cmd;
}

data::DemoDataOptions to_demo_data_options(const MakeDemoDataArgs& args) {
  data::DemoDataOptions options;
  options.output = args.output;
  options.seed = args.seed;
  options.lesions = args.lesions;
  options.max_views = args.max_views;
  options.hair_fraction = args.hair_fraction;
  options.force = args.force;
  return options;
}

int run_make_demo_data(const MakeDemoDataArgs& args, const Runtime&) {
  const data::DemoDataResult result = data::make_demo_data(to_demo_data_options(args));
  std::cout << "demo data set: " << args.output << " (" << result.images << " images)\n";
  for (const auto& [dx, n] : result.images_per_class) {
    std::cout << "  " << dx << ": " << n << " images of " << result.lesions_per_class.at(dx)
              << " lesions\n";
  }
  return 0;
}

}  // namespace skingan::cli
