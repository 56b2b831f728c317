#include "train/gan_curves.h"

#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/files.h"
#include "io/image_codec.h"
#include "report/line_chart.h"

namespace fs = std::filesystem;

namespace skingan::train {
namespace {

// Series of metrics.jsonl fields over steps (lines without the field are left out of it).
std::vector<report::Series> read_series(const fs::path& unit_dir,
                                        std::vector<report::Series> series,
                                        const std::vector<std::string>& fields) {
  std::ifstream in(unit_dir / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    // A run killed while appending leaves a partial last line: not a point of the curve.
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number()) continue;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (!j.contains(fields[i]) || !j[fields[i]].is_number()) continue;
      series[i].x.push_back(j.at("step"));
      series[i].y.push_back(j.at(fields[i]));
    }
  }
  return series;
}

void write_chart(const fs::path& file, const std::vector<report::Series>& series,
                 const std::string& title, int smoothing) {
  if (series.front().x.size() < 2) return;
  report::ChartOptions chart;
  chart.title = title;
  chart.x_label = "step";
  chart.smoothing = smoothing;
  io::write_file_atomic(file, io::encode_png(report::line_chart(series, chart)));
}

}  // namespace

void write_loss_curve(const fs::path& unit_dir, const std::string& name) {
  const auto series = read_series(
      unit_dir,
      {{"D loss", {}, {}, cv::Scalar(200, 80, 30)}, {"G loss", {}, {}, cv::Scalar(40, 40, 220)}},
      {"d_loss", "g_loss"});
  write_chart(unit_dir / "loss_curve.png", series, "GAN losses: " + name,
              std::max<int>(1, static_cast<int>(series.front().x.size() / 50)));
}

// KID of the EMA generator over steps (train-gan --eval-every).
void write_kid_curve(const fs::path& unit_dir, const std::string& name) {
  write_chart(unit_dir / "kid_curve.png",
              read_series(unit_dir, {{"KID (mean over classes)", {}, {}, cv::Scalar(40, 140, 40)}},
                          {"kid"}),
              "KID against the real validation images: " + name, 1);
}

}  // namespace skingan::train
