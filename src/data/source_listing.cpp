#include "data/source_listing.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "data/folder_reader.h"
#include "data/ham10000_reader.h"
#include "data/isic_reader.h"

namespace fs = std::filesystem;

namespace skingan::data {

SourceFormat parse_source_format(const std::string& name) {
  if (name == "auto") return SourceFormat::kAuto;
  if (name == "ham10000") return SourceFormat::kHam10000;
  if (name == "isic") return SourceFormat::kIsic;
  if (name == "folders") return SourceFormat::kFolders;
  throw ConfigError(
      describe_problem("--format", "'" + name + "'", "auto, ham10000, isic or folders", ""));
}

std::string source_format_name(SourceFormat format) {
  switch (format) {
    case SourceFormat::kAuto:
      return "auto";
    case SourceFormat::kHam10000:
      return "ham10000";
    case SourceFormat::kIsic:
      return "isic";
    case SourceFormat::kFolders:
      return "folders";
  }
  return "?";
}

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".tif" ||
         ext == ".tiff";
}

std::string unsafe_id_reason(const std::string& id) {
  if (id.empty()) return "empty image id";
  if (id.front() == '/' || id.front() == '\\') return "absolute path as image id";
  if (id.find("..") != std::string::npos) return "image id would escape the image folder (..)";
  if (id.find_first_of("/\\") != std::string::npos) return "image id contains a path separator";
  for (unsigned char c : id) {
    if (c < 0x20) return "image id contains a control character";
  }
  return "";
}

namespace {

// Whether `path` is `folder` or lies inside it (both canonical).
bool is_within(const fs::path& path, const fs::path& folder) {
  auto p = path.begin();
  for (auto f = folder.begin(); f != folder.end(); ++f, ++p) {
    if (p == path.end() || *p != *f) return false;
  }
  return true;
}

}  // namespace

std::optional<Problem> outside_link_problem(const fs::path& file, const SourceSpec& spec) {
  std::error_code ec;
  if (spec.allow_outside_links || !fs::is_symlink(file, ec)) return std::nullopt;
  const std::string remedy =
      "Copy the image into the data folder, or pass --allow-outside-links if the link is meant.";
  const fs::path target = fs::weakly_canonical(file, ec);
  if (ec) return Problem{file.string(), 0, "symbolic link that cannot be resolved", remedy};
  std::vector<fs::path> roots = spec.image_dirs;
  // The root is a folder, or (ISIC) the ground-truth CSV beside the images.
  if (!spec.root.empty()) {
    roots.push_back(fs::is_regular_file(spec.root, ec) ? spec.root.parent_path() : spec.root);
  }
  for (const auto& root : roots) {
    const fs::path folder = fs::weakly_canonical(root, ec);
    if (!ec && is_within(target, folder)) return std::nullopt;
  }
  return Problem{file.string(), 0,
                 "symbolic link to " + target.string() + ", outside the data folder", remedy};
}

ImageIndex index_image_dirs(const std::vector<fs::path>& dirs, const SourceSpec& spec,
                            std::vector<Problem>& problems) {
  ImageIndex index;
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file() || !has_image_extension(entry.path())) continue;
      if (auto problem = outside_link_problem(entry.path(), spec)) {
        problems.push_back(std::move(*problem));
        continue;
      }
      index.files.emplace_back(entry.path().stem().string(), entry.path());
    }
    if (ec) {
      problems.push_back({dir.string(), 0, "cannot list image folder: " + ec.message(),
                          "Check the path and its permissions."});
    }
  }
  std::sort(index.files.begin(), index.files.end());
  for (size_t i = 1; i < index.files.size(); ++i) {
    if (index.files[i].first == index.files[i - 1].first) {
      problems.push_back({index.files[i].second.string(), 0,
                          "duplicate image id '" + index.files[i].first + "' (also " +
                              index.files[i - 1].second.string() + ")",
                          "Keep one of the two files."});
    }
  }
  return index;
}

SourceListing list_source(const SourceSpec& spec) {
  if (!fs::exists(spec.root) && spec.metadata.empty()) {
    throw DataError(describe_problem("source " + spec.root.string(), "nothing at that path",
                                     "a data set folder",
                                     "Check the path; `skingan make-demo-data -o DIR` makes one."));
  }
  SourceFormat format = spec.format;
  if (format == SourceFormat::kAuto) {
    if (!find_ham10000_metadata(spec).empty()) {
      format = SourceFormat::kHam10000;
    } else if (!find_isic_ground_truth(spec).empty()) {
      format = SourceFormat::kIsic;
    } else if (looks_like_class_folders(spec.root)) {
      format = SourceFormat::kFolders;
    } else {
      throw DataError(describe_problem(
          "cannot tell the layout of " + spec.root.string(),
          "no HAM10000 metadata CSV (lesion_id,image_id,dx), no ISIC ground-truth CSV "
          "(image + 0/1 class columns) and no class subfolders with images",
          "one of those layouts", "Pass --format and --metadata/--images to point at the files."));
    }
  }
  SourceListing listing = format == SourceFormat::kHam10000 ? read_ham10000(spec)
                          : format == SourceFormat::kIsic   ? read_isic(spec)
                                                            : read_class_folders(spec);
  if (spec.classes.empty()) {
    // Without --classes the set's classes are the accepted labels that occur: a HAM10000 subset
    // without `df` images must not carry an empty `df` class into training.
    std::set<std::string> present;
    for (const auto& r : listing.records) present.insert(r.label);
    listing.classes.assign(present.begin(), present.end());
  }
  return listing;
}

}  // namespace skingan::data
