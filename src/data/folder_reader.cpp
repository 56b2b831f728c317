#include "data/folder_reader.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"

namespace fs = std::filesystem;

namespace skingan::data {

bool looks_like_class_folders(const fs::path& root) {
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(root, ec)) {
    if (!dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(dir.path(), ec)) {
      if (file.is_regular_file() && has_image_extension(file.path())) return true;
    }
  }
  return false;
}

SourceListing read_class_folders(const SourceSpec& spec) {
  SourceListing listing;
  listing.format = SourceFormat::kFolders;
  if (!fs::is_directory(spec.root)) {
    throw DataError(describe_problem("image folder tree " + spec.root.string(), "no folder",
                                     "ROOT/<class>/<image files>", "Check the path."));
  }
  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(spec.root)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (entry.is_directory()) {
      class_dirs.push_back(entry.path());
    } else if (has_image_extension(entry.path())) {
      listing.problems.push_back({entry.path().string(), 0, "image is not inside a class folder",
                                  "Move it into the folder of its class."});
    }
  }
  std::sort(class_dirs.begin(), class_dirs.end());
  const std::set<std::string> accepted(spec.classes.begin(), spec.classes.end());
  std::map<std::string, fs::path> seen;
  for (const auto& dir : class_dirs) {
    const std::string label = dir.filename().string();
    if (!accepted.empty() && !accepted.count(label)) {
      listing.problems.push_back({dir.string(), 0, "unknown label '" + label + "' (class folder)",
                                  "Add it to --classes or move the folder out of the tree."});
      continue;
    }
    listing.classes.push_back(label);
    listing.image_dirs.push_back(dir);
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name[0] == '.') continue;
      if (entry.is_directory()) {
        listing.notes.push_back("ignored nested folder " + entry.path().string());
      } else {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::string id = file.stem().string();
      const std::string origin = label + "/" + file.filename().string();
      if (!has_image_extension(file)) {
        listing.problems.push_back({file.string(), 0, "not an image file (extension)",
                                    "Remove it from the class folder."});
      } else if (auto problem = outside_link_problem(file, spec)) {
        listing.problems.push_back(std::move(*problem));
      } else if (auto [it, inserted] = seen.emplace(id, file); !inserted) {
        listing.problems.push_back(
            {file.string(), 0, "duplicate image id '" + id + "' (also " + it->second.string() + ")",
             "Rename or remove one of the two files."});
      } else {
        listing.records.push_back({id, label, id, file, origin});
      }
    }
  }
  if (!spec.classes.empty()) {
    listing.classes = spec.classes;
    std::sort(listing.classes.begin(), listing.classes.end());
  }
  return listing;
}

}  // namespace skingan::data
