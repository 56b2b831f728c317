#include "data/row_resolver.h"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace fs = std::filesystem;

namespace skingan::data {

void resolve_rows(const std::vector<LabelledRow>& rows, const std::string& csv_file,
                  const ImageIndex& index, const std::vector<std::string>& classes,
                  SourceListing& listing) {
  std::unordered_map<std::string, const fs::path*> by_stem;
  for (const auto& [stem, path] : index.files) by_stem.emplace(stem, &path);
  const std::set<std::string> accepted(classes.begin(), classes.end());
  std::unordered_map<std::string, int> first_line;
  std::set<std::string> named;
  std::string class_list;
  for (const auto& c : classes) class_list += (class_list.empty() ? "" : ", ") + c;

  for (const auto& row : rows) {
    auto problem = [&](std::string reason, std::string remedy) {
      listing.problems.push_back({csv_file, row.line, std::move(reason), std::move(remedy)});
    };
    if (const std::string unsafe = unsafe_id_reason(row.id); !unsafe.empty()) {
      problem(unsafe + " ('" + row.id + "')",
              "Use the image's file name without folder or extension.");
      continue;
    }
    named.insert(row.id);
    if (auto [it, inserted] = first_line.emplace(row.id, row.line); !inserted) {
      problem(
          "duplicate image id '" + row.id + "' (first on line " + std::to_string(it->second) + ")",
          "Remove the repeated row.");
      continue;
    }
    if (!row.label_problem.empty()) {
      problem(row.label_problem, "Fix the label cells of this row.");
      continue;
    }
    if (!accepted.count(row.label)) {
      problem("unknown label '" + row.label + "'",
              "Use one of: " + class_list + " (or list the accepted ones with --classes).");
      continue;
    }
    const auto found = by_stem.find(row.id);
    if (found == by_stem.end()) {
      problem("image '" + row.id + "' not found in the image folder(s)",
              "Add the image, fix the id, or point --images at the folder that holds it.");
      continue;
    }
    listing.records.push_back({row.id, row.label, row.group.empty() ? row.id : row.group,
                               *found->second, csv_file + ":" + std::to_string(row.line)});
  }
  for (const auto& [stem, path] : index.files) {
    if (!named.count(stem)) {
      listing.problems.push_back({path.string(), 0, "image has no row in " + csv_file,
                                  "Add a row for it, or move it out of the image folder."});
    }
  }
}

std::vector<fs::path> csv_files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (entry.is_regular_file() && ext == ".csv") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace skingan::data
