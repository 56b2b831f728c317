// What a raw data set holds before any image is decoded: one record per image with its label and
// lesion (group), and every problem found while listing it. Produced by the readers in
// ham10000_reader.h, isic_reader.h and folder_reader.h.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace skingan::data {

enum class SourceFormat { kAuto, kHam10000, kIsic, kFolders };

SourceFormat parse_source_format(const std::string& name);  // ConfigError for unknown names
std::string source_format_name(SourceFormat format);

struct SourceRecord {
  std::string id;     // image id, unique in the set
  std::string label;  // class name
  std::string group;  // lesion id; the image id when the source has none
  std::filesystem::path image_path;
  std::string origin;  // where the record came from: "file.csv:12" or "class/img.jpg"
};

// One thing wrong with the input: the file, the CSV row (0 when not a row), why, and what to do.
struct Problem {
  std::string file;
  int row = 0;
  std::string reason;
  std::string remedy;
};

struct SourceListing {
  SourceFormat format = SourceFormat::kAuto;
  std::vector<std::string> classes;  // every accepted class, sorted
  std::vector<SourceRecord> records;
  std::vector<Problem> problems;
  std::vector<std::filesystem::path> metadata_files;  // CSVs read (their bytes are fingerprinted)
  std::vector<std::filesystem::path> image_dirs;
  std::vector<std::string> notes;  // things counted but deliberately not used, for the log
};

// Where to read from. `metadata` and `image_dirs` override what detection would find.
struct SourceSpec {
  std::filesystem::path root;
  SourceFormat format = SourceFormat::kAuto;
  std::filesystem::path metadata;
  std::vector<std::filesystem::path> image_dirs;
  std::vector<std::string> classes;  // accepted labels; empty = the format's own class list
  // Image files that are symbolic links to a place outside `root` and `image_dirs` are refused
  // (a data folder from a stranger must not make skingan read other files); true reads them.
  bool allow_outside_links = false;
};

// Detects the layout (when spec.format is kAuto) and lists the set with the matching reader.
// Throws DataError when SOURCE matches no layout, saying what was looked for.
SourceListing list_source(const SourceSpec& spec);

// Shared reader helpers.
// Image files (jpg, jpeg, png, bmp, tif, tiff; any case) directly inside `dir`, by file stem.
struct ImageIndex {
  std::vector<std::pair<std::string, std::filesystem::path>> files;  // (stem, path), sorted
};
ImageIndex index_image_dirs(const std::vector<std::filesystem::path>& dirs, const SourceSpec& spec,
                            std::vector<Problem>& problems);
// The problem of `file` when it is a symbolic link leading outside the data folder (spec.root
// and spec.image_dirs); nullopt when it is no such link or spec.allow_outside_links is set.
std::optional<Problem> outside_link_problem(const std::filesystem::path& file,
                                            const SourceSpec& spec);
bool has_image_extension(const std::filesystem::path& path);

// Why `id` cannot name a file inside the image folder ("../x", "/abs", "a/b"), or "" if it can.
std::string unsafe_id_reason(const std::string& id);

}  // namespace skingan::data
