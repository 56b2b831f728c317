// Presenting validation problems: as text (in the refusal message) and as problems.csv.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "data/source_listing.h"

namespace skingan::data {

// Sorts by file then row, so reports are stable.
void sort_problems(std::vector<Problem>& problems);

// One line per problem: "file:row: reason. remedy".
std::string format_problems(const std::vector<Problem>& problems);

// file,row,reason,remedy
void write_problems_csv(const std::filesystem::path& path, const std::vector<Problem>& problems);

}  // namespace skingan::data
