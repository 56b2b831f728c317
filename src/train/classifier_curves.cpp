#include "train/classifier_curves.h"

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "io/files.h"
#include "io/image_codec.h"
#include "report/line_chart.h"

namespace fs = std::filesystem;

namespace skingan::train {

void write_curves(const fs::path& dir) {
  report::Series loss{"train loss", {}, {}, cv::Scalar(200, 80, 30)},
      val{"val balanced accuracy", {}, {}, cv::Scalar(40, 160, 40)};
  std::ifstream in(dir / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    // A run killed while appending leaves a partial last line: not a point of the curve.
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("epoch") || !j.contains("train_loss") ||
        !j.contains("val_balanced_accuracy") || !j["epoch"].is_number() ||
        !j["train_loss"].is_number() || !j["val_balanced_accuracy"].is_number()) {
      continue;
    }
    const double epoch = j.at("epoch").get<double>();
    loss.x.push_back(epoch);
    loss.y.push_back(j.at("train_loss").get<double>());
    val.x.push_back(epoch);
    val.y.push_back(j.at("val_balanced_accuracy").get<double>());
  }
  if (loss.x.empty()) return;
  report::ChartOptions chart;
  chart.title = "classifier: train loss and validation balanced accuracy";
  chart.x_label = "epoch";
  io::write_file_atomic(dir / "curves.png", io::encode_png(report::line_chart({loss, val}, chart)));
}

}  // namespace skingan::train
