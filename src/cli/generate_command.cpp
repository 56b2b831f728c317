#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "data/prepared_set.h"
#include "io/files.h"
#include "io/image_codec.h"
#include "io/tensor_image.h"
#include "report/image_grid.h"

namespace fs = std::filesystem;

namespace skingan::cli {
namespace {

// One row per class of the first `columns` images of each class: a quick look at the set.
void write_preview(const fs::path& set_dir, const fs::path& file, int columns) {
  const data::PreparedSet set = data::PreparedSet::open(set_dir);
  const at::Tensor images = set.load_images();
  std::vector<cv::Mat> tiles;
  report::GridOptions grid;
  grid.columns = columns;
  for (const auto& label : set.classes()) {
    int taken = 0;
    for (size_t i = 0; i < set.rows().size() && taken < columns; ++i) {
      if (set.rows()[i].label != label) continue;
      tiles.push_back(io::rgb_chw_to_bgr(images[static_cast<int64_t>(i)]));
      ++taken;
    }
    if (taken == 0) continue;
    // Pad a short row with blank tiles so every class starts a new row.
    for (; taken < columns; ++taken)
      tiles.push_back(cv::Mat(tiles.back().size(), CV_8UC3, grid.background));
    grid.row_labels.push_back(label);
  }
  if (tiles.empty()) return;
  grid.title = "synthetic: " + fs::absolute(set_dir).lexically_normal().filename().string();
  io::write_file_atomic(file, io::encode_png(report::make_grid(tiles, grid)));
}

}  // namespace

CLI::App* add_generate_command(CLI::App& app, GenerateArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "generate", "draw a synthetic set (prepared-set format) from a trained GAN run");
  cmd->add_option("--run", args.run, "GAN run folder (from `skingan train-gan`)")->required();
  cmd->add_option("-o,--output", args.output, "output folder for the synthetic set")->required();
  auto* per_class = cmd->add_option("--per-class", args.per_class, "images per class")
                        ->check(CLI::NonNegativeNumber);
  auto* balance = cmd->add_option("--balance-to", args.balance_to,
                                  "N or max: add to each class of the real training split just "
                                  "enough images to reach N (or the largest class)");
  per_class->excludes(balance);
  cmd->add_option("--classes", args.classes, "only these classes (default: all of the run)")
      ->delimiter(',');
  cmd->add_option("--seed", args.seed, "generation seed");
  cmd->add_option("--truncation", args.truncation,
                  "redraw noise entries beyond +-T (0 = off; 1.5 trades variety for fidelity)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--use-ema,!--no-ema", args.use_ema,
                "sample the EMA generator when the run kept one (default on)");
  cmd->add_option("--bn-statistics", args.bn_statistics,
                  "standing: recompute the generator's BatchNorm statistics from 2,048 fresh "
                  "draws before sampling (default); running: the averages kept in training")
      ->check(CLI::IsMember({"standing", "running"}));
  cmd->add_option("--checkpoint", args.checkpoint,
                  "checkpoint step, or best (lowest KID of --eval-every; default: the latest)")
      ->transform(CLI::Transformer(std::map<std::string, std::string>{{"best", "-2"}}));
  cmd->add_option("--filter", args.filter, "none or discriminator")
      ->check(CLI::IsMember({"none", "discriminator"}));
  cmd->add_option("--keep", args.keep,
                  "with --filter discriminator: keep this fraction of drawn candidates, in (0,1]");
  cmd->add_option("--real", args.real,
                  "the real prepared set (default: the set the run was trained on)");
  cmd->add_option("--preview", args.preview, "also write a PNG grid, one row per class");
  cmd->add_flag("--force", args.force, "replace an existing output folder");
  return cmd;
}

generate::GenerateOptions to_generate_options(const GenerateArgs& args, const Runtime& runtime) {
  generate::GenerateOptions o;
  o.run_dir = args.run;
  o.output = args.output;
  if (args.per_class >= 0) {
    o.count = {generate::CountRequest::Kind::kPerClass, args.per_class};
  } else if (args.balance_to == "max") {
    o.count = {generate::CountRequest::Kind::kBalanceToMax, 0};
  } else if (!args.balance_to.empty()) {
    try {
      size_t used = 0;
      o.count = {generate::CountRequest::Kind::kBalanceTo, std::stoll(args.balance_to, &used)};
      if (used != args.balance_to.size()) throw std::invalid_argument("trailing characters");
    } catch (const std::exception&) {
      throw ConfigError(describe_problem("--balance-to " + args.balance_to, "not a number",
                                         "a class size such as 1000, or max", ""));
    }
  } else {
    throw ConfigError("generate: say how many images: --per-class N or --balance-to N|max.");
  }
  o.classes = args.classes;
  o.seed = args.seed;
  o.truncation = args.truncation;
  o.use_ema = args.use_ema;
  o.standing_statistics = args.bn_statistics == "standing";
  o.checkpoint_step = args.checkpoint;
  o.filter = args.filter == "discriminator";
  o.keep = args.keep;
  o.real_set = args.real;
  o.force = args.force;
  o.device = runtime.device;
  o.progress = runtime.progress;
  return o;
}

int run_generate(const GenerateArgs& args, const Runtime& runtime) {
  const generate::GenerateResult result =
      generate::generate_synthetic_set(to_generate_options(args, runtime));
  if (result.skipped) {
    std::cout << args.output << " is already there with the same run and options (" << result.images
              << " images); nothing to do\n";
  } else {
    std::printf("wrote %lld synthetic images (%lld drawn) to %s in %.1f s\n",
                static_cast<long long>(result.images), static_cast<long long>(result.candidates),
                args.output.c_str(), result.seconds);
  }
  for (const auto& [label, n] : result.counts)
    std::printf("  %-10s %6lld\n", label.c_str(), static_cast<long long>(n));
  if (!args.preview.empty()) {
    write_preview(args.output, args.preview, 8);
    std::cout << "preview: " << args.preview << "\n";
  }
  return 0;
}

CLI::App* add_export_generator_command(CLI::App& app, ExportGeneratorArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "export-generator", "write a run's generator as TorchScript that PyTorch loads directly");
  cmd->add_option("run", args.run, "GAN run folder")->required();
  cmd->add_option("-o,--output", args.output, "output file (.pt)")->required();
  cmd->add_option("--checkpoint", args.checkpoint,
                  "checkpoint step, or best (lowest KID of --eval-every; default: the latest)")
      ->transform(CLI::Transformer(std::map<std::string, std::string>{{"best", "-2"}}));
  cmd->add_flag("--use-ema,!--no-ema", args.use_ema, "export the EMA generator (default on)");
  cmd->add_option("--bn-statistics", args.bn_statistics,
                  "standing (default, as generate) or running BatchNorm statistics")
      ->check(CLI::IsMember({"standing", "running"}));
  cmd->add_flag("--force", args.force, "replace an existing file");
  return cmd;
}

int run_export_generator(const ExportGeneratorArgs& args, const Runtime&) {
  generate::ExportOptions o;
  o.run_dir = args.run;
  o.output = args.output;
  o.checkpoint_step = args.checkpoint;
  o.use_ema = args.use_ema;
  o.standing_statistics = args.bn_statistics == "standing";
  o.force = args.force;
  const generate::ExportResult result = generate::export_generator(o);
  std::cout << "wrote " << args.output << " (latent " << result.latent_dim << ", "
            << result.image_size << " px, classes";
  for (const auto& c : result.classes) std::cout << " " << c;
  std::cout << ")\nPython:\n"
            << "  g = torch.jit.load(\"" << args.output << "\")\n"
            << "  z = torch.randn(16, g.latent_dim)\n"
            << "  labels = torch.full((16,), g.classes.index(\"" << result.classes.front()
            << "\"))\n"
            << "  images = g(z, labels)  # [16,3," << result.image_size << "," << result.image_size
            << "] in (-1,1)\n";
  return 0;
}

}  // namespace skingan::cli
