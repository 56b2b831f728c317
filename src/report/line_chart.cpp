#include "report/line_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace skingan::report {
namespace {

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), std::fabs(v) >= 1000 ? "%.0f" : "%.3g", v);
  return buffer;
}

}  // namespace

std::vector<double> moving_average(const std::vector<double>& values, int window) {
  if (window <= 1) return values;
  std::vector<double> out(values.size());
  const int half = window / 2;
  for (size_t i = 0; i < values.size(); ++i) {
    const size_t lo = i >= static_cast<size_t>(half) ? i - half : 0;
    const size_t hi = std::min(values.size(), i + half + 1);
    double sum = 0;
    for (size_t k = lo; k < hi; ++k) sum += values[k];
    out[i] = sum / static_cast<double>(hi - lo);
  }
  return out;
}

cv::Mat line_chart(const std::vector<Series>& series, const ChartOptions& options) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  std::vector<std::vector<double>> smoothed;
  for (const auto& s : series) {
    if (s.x.size() != s.y.size())
      throw DataError("line_chart: series '" + s.name + "' has x and y of different lengths.");
    smoothed.push_back(moving_average(s.y, options.smoothing));
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(smoothed.back()[i])) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, smoothed.back()[i]);
      y1 = std::max(y1, smoothed.back()[i]);
    }
  }
  if (!std::isfinite(x0)) throw DataError("line_chart: nothing to plot.");
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  // The legend follows the title on its line when both fit, else it gets a line of its own
  // below the title (long titles, like "KID against ...: resnet", overlapped it before).
  const int left = 70, right = 20, bottom = 44;
  int baseline = 0;
  const int title_width =
      cv::getTextSize(options.title, cv::FONT_HERSHEY_SIMPLEX, 0.55, 1, &baseline).width;
  int legend_width = 0;
  for (const auto& s : series) legend_width += 40 + 9 * static_cast<int>(s.name.size());
  const bool legend_beside_title = left + title_width + 24 + legend_width <= options.width - right;
  const int top = legend_beside_title ? 36 : 56;
  const int legend_y = legend_beside_title ? 22 : 44;
  cv::Mat image(options.height, options.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Rect plot(left, top, options.width - left - right, options.height - top - bottom);
  cv::rectangle(image, plot, cv::Scalar(160, 160, 160));
  const auto to_px = [&](double x, double y) {
    return cv::Point(plot.x + static_cast<int>((x - x0) / (x1 - x0) * plot.width),
                     plot.y + plot.height - static_cast<int>((y - y0) / (y1 - y0) * plot.height));
  };
  const auto text = [&](const std::string& t, cv::Point at, double scale = 0.42) {
    cv::putText(image, t, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(40, 40, 40), 1,
                cv::LINE_AA);
  };
  text(options.title, {left, 22}, 0.55);
  text(number(y1), {4, plot.y + 10});
  text(number(y0), {4, plot.y + plot.height});
  text(number(x0), {plot.x, plot.y + plot.height + 16});
  text(number(x1), {plot.x + plot.width - 40, plot.y + plot.height + 16});
  text(options.x_label, {plot.x + plot.width / 2 - 20, plot.y + plot.height + 34});
  int legend_x = legend_beside_title ? left + title_width + 24 : left;
  for (size_t k = 0; k < series.size(); ++k) {
    std::vector<cv::Point> points;
    for (size_t i = 0; i < series[k].x.size(); ++i) {
      if (std::isfinite(smoothed[k][i])) points.push_back(to_px(series[k].x[i], smoothed[k][i]));
    }
    if (points.size() > 1) cv::polylines(image, points, false, series[k].colour, 1, cv::LINE_AA);
    cv::line(image, {legend_x, legend_y - 5}, {legend_x + 20, legend_y - 5}, series[k].colour, 2);
    text(series[k].name, {legend_x + 25, legend_y});
    legend_x += 40 + 9 * static_cast<int>(series[k].name.size());
  }
  return image;
}

}  // namespace skingan::report
