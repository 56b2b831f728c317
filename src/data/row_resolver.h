// Turns labelled CSV rows into records: the checks every CSV-based reader (HAM10000, ISIC) shares.
#pragma once

#include <string>
#include <vector>

#include "data/source_listing.h"

namespace skingan::data {

struct LabelledRow {
  std::string id;
  std::string label;
  std::string group;          // empty: the row's image is its own group
  int line = 0;               // CSV line
  std::string label_problem;  // set by the reader when the label cells are invalid
};

// Appends a record per valid row to listing.records and a Problem per bad one: unsafe ids,
// duplicate ids, invalid or unknown labels, rows whose image is missing, and image files in the
// indexed folders that no row names. `classes` is the accepted label list.
void resolve_rows(const std::vector<LabelledRow>& rows, const std::string& csv_file,
                  const ImageIndex& index, const std::vector<std::string>& classes,
                  SourceListing& listing);

// The CSV files directly inside `dir`, sorted.
std::vector<std::filesystem::path> csv_files_in(const std::filesystem::path& dir);

}  // namespace skingan::data
