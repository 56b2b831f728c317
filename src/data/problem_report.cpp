#include "data/problem_report.h"

#include <algorithm>
#include <tuple>

#include "io/csv.h"
#include "io/files.h"

namespace skingan::data {

void sort_problems(std::vector<Problem>& problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.file, a.row) < std::tie(b.file, b.row);
  });
}

std::string format_problems(const std::vector<Problem>& problems) {
  std::string text;
  for (const auto& p : problems) {
    text += "  " + p.file + (p.row > 0 ? ":" + std::to_string(p.row) : "") + ": " + p.reason +
            ". " + p.remedy + "\n";
  }
  return text;
}

void write_problems_csv(const std::filesystem::path& path, const std::vector<Problem>& problems) {
  std::string text = io::csv_line({"file", "row", "reason", "remedy"});
  for (const auto& p : problems) {
    text += io::csv_line({p.file, p.row > 0 ? std::to_string(p.row) : "", p.reason, p.remedy});
  }
  io::write_file_atomic(path, text);
}

}  // namespace skingan::data
