#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace skingan::report {
namespace {

constexpr int kLeft = 56, kRight = 16, kTop = 28, kBottom = 44, kLegendRow = 16;

std::string fmt(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

std::string tick_label(double v, double step) {
  if (std::abs(v) < step * 1e-6) v = 0;  // no "-0" from accumulated rounding
  char buffer[32];
  const int decimals = step >= 1 ? 0 : std::min(4, static_cast<int>(std::ceil(-std::log10(step))));
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, v);
  return buffer;
}

// About `count` ticks at 1, 2 or 5 times a power of ten.
double nice_step(double range, int count) {
  if (!(range > 0)) return 1;
  const double raw = range / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

struct Frame {
  double x0, x1, y0, y1;
  int width, height, legend_rows;
  double px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (width - kLeft - kRight); }
  double py(double y) const {
    const double plot_bottom = height - kBottom - legend_rows * kLegendRow;
    return plot_bottom - (y - y0) / (y1 - y0) * (plot_bottom - kTop);
  }
};

std::string open_svg(const SvgChartOptions& o, int height) {
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" +
                  std::to_string(o.width) + "\" height=\"" + std::to_string(height) +
                  "\" viewBox=\"0 0 " + std::to_string(o.width) + " " + std::to_string(height) +
                  "\" font-family=\"sans-serif\" font-size=\"11\">";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>";
  if (!o.title.empty()) {
    s += "<text x=\"" + std::to_string(o.width / 2) +
         "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">" +
         escape_xml(o.title) + "</text>";
  }
  return s;
}

std::string axes(const Frame& f, const SvgChartOptions& o, bool x_ticks) {
  std::string s;
  const double ystep = nice_step(f.y1 - f.y0, 5);
  for (double y = std::ceil(f.y0 / ystep) * ystep; y <= f.y1 + 1e-9; y += ystep) {
    s += "<line x1=\"" + fmt(kLeft) + "\" x2=\"" + fmt(f.width - kRight) + "\" y1=\"" +
         fmt(f.py(y)) + "\" y2=\"" + fmt(f.py(y)) + "\" stroke=\"#e4e4e4\"/>";
    s += "<text x=\"" + fmt(kLeft - 4) + "\" y=\"" + fmt(f.py(y) + 4) + "\" text-anchor=\"end\">" +
         tick_label(y, ystep) + "</text>";
  }
  if (x_ticks) {
    const double xstep = nice_step(f.x1 - f.x0, 6);
    for (double x = std::ceil(f.x0 / xstep) * xstep; x <= f.x1 + 1e-9; x += xstep) {
      s += "<text x=\"" + fmt(f.px(x)) + "\" y=\"" + fmt(f.py(f.y0) + 14) +
           "\" text-anchor=\"middle\">" + tick_label(x, xstep) + "</text>";
    }
  }
  s += "<line x1=\"" + fmt(kLeft) + "\" x2=\"" + fmt(f.width - kRight) + "\" y1=\"" +
       fmt(f.py(f.y0)) + "\" y2=\"" + fmt(f.py(f.y0)) + "\" stroke=\"#444\"/>";
  s += "<line x1=\"" + fmt(kLeft) + "\" x2=\"" + fmt(kLeft) + "\" y1=\"" + fmt(f.py(f.y0)) +
       "\" y2=\"" + fmt(f.py(f.y1)) + "\" stroke=\"#444\"/>";
  if (!o.x_label.empty()) {
    s += "<text x=\"" + fmt((kLeft + f.width - kRight) / 2.0) + "\" y=\"" + fmt(f.py(f.y0) + 30) +
         "\" text-anchor=\"middle\">" + escape_xml(o.x_label) + "</text>";
  }
  if (!o.y_label.empty()) {
    const double cy = (f.py(f.y0) + f.py(f.y1)) / 2;
    s += "<text transform=\"translate(12," + fmt(cy) + ") rotate(-90)\" text-anchor=\"middle\">" +
         escape_xml(o.y_label) + "</text>";
  }
  return s;
}

// Legend entries flow left to right and wrap; each is as wide as its name (about 6.5 px per
// character at 11 px) plus the swatch. Returns the x, y offsets (row index) of every entry.
std::vector<std::pair<double, int>> legend_layout(const std::vector<SvgSeries>& series, int width) {
  std::vector<std::pair<double, int>> at;
  double x = kLeft;
  int row = 0;
  for (const auto& s : series) {
    const double w = 28 + 6.5 * static_cast<double>(s.name.size());
    if (x + w > width - kRight && x > kLeft) {
      x = kLeft;
      ++row;
    }
    at.emplace_back(x, row);
    x += w;
  }
  return at;
}

int legend_rows(const std::vector<SvgSeries>& series, int width) {
  const auto at = legend_layout(series, width);
  return at.empty() ? 0 : at.back().second + 1;
}

std::string legend(const std::vector<SvgSeries>& series, const Frame& f) {
  std::string s;
  const auto at = legend_layout(series, f.width);
  for (size_t i = 0; i < series.size(); ++i) {
    const double x = at[i].first;
    const double y = f.height - f.legend_rows * kLegendRow - 4 + at[i].second * kLegendRow;
    s += "<rect x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" width=\"12\" height=\"10\" fill=\"" +
         palette_colour(i) + "\"/><text x=\"" + fmt(x + 16) + "\" y=\"" + fmt(y + 9) + "\">" +
         escape_xml(series[i].name) + "</text>";
  }
  return s;
}

}  // namespace

std::string palette_colour(size_t i) {
  static const char* kColours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00",
                                   "#56B4E9", "#F0E442", "#000000", "#888888", "#BBBBBB"};
  return kColours[i % (sizeof(kColours) / sizeof(kColours[0]))];
}

std::string escape_xml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string svg_line_chart(const std::vector<SvgSeries>& all_series, const SvgChartOptions& o) {
  std::vector<SvgSeries> series;
  for (const auto& s : all_series)
    if (!s.x.empty() && s.x.size() == s.y.size()) series.push_back(s);
  const double inf = std::numeric_limits<double>::infinity();
  double x0 = inf, x1 = -inf, y0 = inf, y1 = -inf;
  for (const auto& s : series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isnan(s.y[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  }
  const int rows = legend_rows(series, o.width);
  const int height = o.height + rows * kLegendRow;
  std::string svg = open_svg(o, height);
  if (!(x0 <= x1)) {
    return svg + "<text x=\"" + std::to_string(o.width / 2) + "\" y=\"" +
           std::to_string(height / 2) + "\" text-anchor=\"middle\">no data</text></svg>";
  }
  if (o.y_from_zero) y0 = std::min(0.0, y0);
  if (o.y_max > 0) y1 = o.y_max;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const Frame f{x0, x1, y0, y1, o.width, height, rows};
  svg += axes(f, o, true);
  for (size_t i = 0; i < series.size(); ++i) {
    std::string points;
    auto flush = [&] {
      if (!points.empty()) {
        svg += "<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"" + palette_colour(i) +
               "\" points=\"" + points + "\"/>";
      }
      points.clear();
    };
    for (size_t j = 0; j < series[i].x.size(); ++j) {
      const double y = series[i].y[j];
      if (std::isnan(y) || !std::isfinite(y)) {
        flush();
        continue;
      }
      points += fmt(f.px(series[i].x[j])) + "," + fmt(f.py(std::min(y, y1))) + " ";
    }
    flush();
  }
  return svg + legend(series, f) + "</svg>";
}

std::string svg_grouped_bars(const std::vector<std::string>& categories,
                             const std::vector<SvgSeries>& series,
                             const std::vector<std::vector<double>>& errors,
                             const SvgChartOptions& o) {
  double y1 = o.y_max > 0 ? o.y_max : 0;
  for (const auto& s : series)
    for (double v : s.y)
      if (std::isfinite(v)) y1 = std::max(y1, v);
  if (y1 <= 0) y1 = 1;
  const int rows = legend_rows(series, o.width);
  const int height = o.height + rows * kLegendRow;
  const Frame f{0, static_cast<double>(categories.size()), 0, y1, o.width, height, rows};
  std::string svg = open_svg(o, height) + axes(f, o, false);
  const double group = f.px(1) - f.px(0);
  const double bar = group * 0.8 / std::max<size_t>(1, series.size());
  for (size_t c = 0; c < categories.size(); ++c) {
    svg += "<text x=\"" + fmt(f.px(c + 0.5)) + "\" y=\"" + fmt(f.py(0) + 14) +
           "\" text-anchor=\"middle\">" + escape_xml(categories[c]) + "</text>";
    for (size_t i = 0; i < series.size(); ++i) {
      if (c >= series[i].y.size() || !std::isfinite(series[i].y[c])) continue;
      const double v = series[i].y[c];
      const double x = f.px(c) + group * 0.1 + bar * i;
      svg += "<rect x=\"" + fmt(x) + "\" y=\"" + fmt(f.py(v)) + "\" width=\"" + fmt(bar * 0.92) +
             "\" height=\"" + fmt(f.py(0) - f.py(v)) + "\" fill=\"" + palette_colour(i) +
             "\"><title>" +
             escape_xml(series[i].name + " / " + categories[c] + ": " + tick_label(v, 0.001)) +
             "</title></rect>";
      if (i < errors.size() && c < errors[i].size() && std::isfinite(errors[i][c]) &&
          errors[i][c] > 0) {
        const double cx = x + bar * 0.46;
        svg += "<line x1=\"" + fmt(cx) + "\" x2=\"" + fmt(cx) + "\" y1=\"" +
               fmt(f.py(std::min(y1, v + errors[i][c]))) + "\" y2=\"" +
               fmt(f.py(std::max(0.0, v - errors[i][c]))) + "\" stroke=\"#222\"/>";
      }
    }
  }
  return svg + legend(series, f) + "</svg>";
}

}  // namespace skingan::report
