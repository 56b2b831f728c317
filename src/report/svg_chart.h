// Inline SVG charts for the HTML report: text that scales, needs no image files and no script.
// Hand-written: none of the packages we use draws SVG.
#pragma once

#include <string>
#include <vector>

namespace skingan::report {

struct SvgSeries {
  std::string name;
  std::vector<double> x, y;  // NaN y values leave a gap
};

struct SvgChartOptions {
  int width = 640, height = 300;
  std::string title, x_label, y_label;
  bool y_from_zero = false;  // else the y range fits the data
  double y_max = 0;          // > 0: fixed upper limit (e.g. 1 for recall)
};

// One polyline per series, axes with rounded ticks, a legend. Empty series are left out; with no
// points at all the chart says so instead of failing.
std::string svg_line_chart(const std::vector<SvgSeries>& series, const SvgChartOptions& options);

// Grouped vertical bars: one group per category, one bar per series (series[i].y[category]);
// optional error bars (`errors[i][category]`, half-length, empty for none).
std::string svg_grouped_bars(const std::vector<std::string>& categories,
                             const std::vector<SvgSeries>& series,
                             const std::vector<std::vector<double>>& errors,
                             const SvgChartOptions& options);

// The i-th colour of a palette readable by colour-blind viewers (Okabe-Ito, then greys).
std::string palette_colour(size_t i);

// Escapes &, <, >, " and ' for HTML and SVG text.
std::string escape_xml(const std::string& text);

}  // namespace skingan::report
