#include <iostream>

#include "cli/commands.h"
#include "data/set_summary.h"
#include "io/files.h"
#include "io/image_codec.h"
#include "io/tensor_image.h"
#include "report/image_grid.h"

namespace fs = std::filesystem;

namespace skingan::cli {

CLI::App* add_info_command(CLI::App& app, InfoArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "info", "summarise a prepared set and write a contact sheet PNG per class");
  cmd->add_option("set", args.set, "prepared set folder")->required();
  cmd->add_option("--sheets", args.sheets, "folder for the contact sheets (default: SET_sheets)");
  cmd->add_option("--per-class", args.per_class, "images per contact sheet")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--no-sheets", args.no_sheets, "print the summary only");
  cmd->add_flag("--json", args.json, "print meta.json (counts, preprocessing) for scripts");
  return cmd;
}

int run_info(const InfoArgs& args, const Runtime&) {
  const data::PreparedSet set = data::PreparedSet::open(args.set);
  if (args.json) {
    std::cout << set.meta().dump(2) << "\n";
  } else {
    std::cout << data::format_summary(set);
  }
  if (args.no_sheets) return 0;
  fs::path sheets = args.sheets;
  if (sheets.empty()) {
    const fs::path dir = fs::absolute(args.set).lexically_normal();
    sheets = dir.parent_path() / (dir.filename().string() + "_sheets");
  }
  fs::create_directories(sheets);
  const at::Tensor images = set.load_images();  // [N,3,S,S] uint8
  for (const auto& label : set.classes()) {
    const auto rows = data::sample_rows_of_class(set, label, args.per_class);
    if (rows.empty()) continue;
    std::vector<cv::Mat> tiles;
    for (const auto row : rows) tiles.push_back(io::rgb_chw_to_bgr(images[row]));
    report::GridOptions grid;
    grid.title = label + ": " + std::to_string(rows.size()) + " images";
    const fs::path file = sheets / (label + ".png");
    io::write_file_atomic(file, io::encode_png(report::make_grid(tiles, grid)));
    if (!args.json) std::cout << "contact sheet: " << file.string() << "\n";
  }
  return 0;
}

}  // namespace skingan::cli
