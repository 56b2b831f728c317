#include "data/set_summary.h"

#include <cstdio>

namespace skingan::data {
namespace {

std::string padded(const std::string& text, size_t width, bool right) {
  if (text.size() >= width) return text;
  const std::string fill(width - text.size(), ' ');
  return right ? fill + text : text + fill;
}

std::string describe_step(const nlohmann::json& step) {
  if (step.is_null()) return "off";
  std::string text;
  for (const auto& [key, value] : step.items()) {
    text += (text.empty() ? "" : ", ") + key + "=" +
            (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

}  // namespace

std::string format_summary(const PreparedSet& set) {
  const CountTable counts = count_by_class_and_split(set.rows(), set.classes());
  const auto& meta = set.meta();
  std::string out = "prepared set " + set.dir().string() + "\n";
  out += "  images: " + std::to_string(set.rows().size()) + " at " +
         std::to_string(set.image_size()) + "x" + std::to_string(set.image_size()) + " px, " +
         std::to_string(set.classes().size()) + " classes, source format " +
         meta.value("source_format", "?") + "\n";
  out += "  left out (problems.csv): " + std::to_string(meta.value("skipped_inputs", 0)) + "\n\n";
  size_t name_width = 5;
  for (const auto& c : set.classes()) name_width = std::max(name_width, c.size());
  out += padded("class", name_width, false);
  for (const char* column : {"train", "val", "test", "total", "share"})
    out += padded(column, 8, true);
  out += "\n";
  std::array<std::int64_t, kSplitCount> column_totals = {0, 0, 0};
  const double all = static_cast<double>(std::max<size_t>(1, set.rows().size()));
  for (const auto& [label, n] : counts) {
    out += padded(label, name_width, false);
    std::int64_t total = 0;
    for (int s = 0; s < kSplitCount; ++s) {
      out += padded(std::to_string(n[s]), 8, true);
      total += n[s];
      column_totals[s] += n[s];
    }
    char share[16];
    std::snprintf(share, sizeof(share), "%.1f%%", 100.0 * total / all);
    out += padded(std::to_string(total), 8, true) + padded(share, 8, true) + "\n";
  }
  out += padded("all", name_width, false);
  for (int s = 0; s < kSplitCount; ++s) out += padded(std::to_string(column_totals[s]), 8, true);
  out += padded(std::to_string(set.rows().size()), 8, true) + padded("100%", 8, true) + "\n\n";

  const auto& pre = meta.at("preprocessing");
  out += "preprocessing\n";
  out += "  crop:            " + pre.value("crop", "?") + "\n";
  out += "  hair removal:    " + describe_step(pre.at("hair_removal")) + "\n";
  out += "  colour constancy: " + describe_step(pre.at("color_constancy")) + "\n";
  const auto& split = meta.at("split");
  out += "split: train/val/test " + split.at("train").dump() + "/" + split.at("val").dump() + "/" +
         split.at("test").dump() + ", seed " + split.at("seed").dump() +
         (split.value("split_file", "").empty() ? ", lesion-aware"
                                                : ", from " + split.value("split_file", "")) +
         "\n";
  return out;
}

std::vector<std::int64_t> sample_rows_of_class(const PreparedSet& set, const std::string& label,
                                               int max_count) {
  std::vector<std::int64_t> rows;
  for (size_t i = 0; i < set.rows().size(); ++i) {
    if (set.rows()[i].label == label) rows.push_back(static_cast<std::int64_t>(i));
  }
  if (static_cast<int>(rows.size()) <= max_count) return rows;
  std::vector<std::int64_t> picked;
  for (int k = 0; k < max_count; ++k) {
    picked.push_back(rows[static_cast<size_t>(k) * rows.size() / static_cast<size_t>(max_count)]);
  }
  return picked;
}

}  // namespace skingan::data
