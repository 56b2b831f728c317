// Image-folder layout: ROOT/<class>/<image>.{jpg,png,...}, one subfolder per class
// (torchvision's ImageFolder). No lesion ids: every image is its own group.
#pragma once

#include <filesystem>

#include "data/source_listing.h"

namespace skingan::data {

// True when `root` has at least one subfolder that holds image files.
bool looks_like_class_folders(const std::filesystem::path& root);

SourceListing read_class_folders(const SourceSpec& spec);

}  // namespace skingan::data
