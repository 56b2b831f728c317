// HAM10000 layout: HAM10000_metadata.csv (lesion_id,image_id,dx,...) and the images in one or
// more folders (the official download splits them over HAM10000_images_part_1 and _part_2).
#pragma once

#include <filesystem>

#include "data/source_listing.h"

namespace skingan::data {

// The seven HAM10000 diagnoses.
const std::vector<std::string>& ham10000_classes();

// The metadata CSV to use: spec.metadata, else the CSV in spec.root whose header has
// lesion_id, image_id and dx; empty when none.
std::filesystem::path find_ham10000_metadata(const SourceSpec& spec);

SourceListing read_ham10000(const SourceSpec& spec);

// Image folders of a HAM10000-style root: spec.image_dirs, else every subfolder holding images
// (images/, HAM10000_images_part_1/2, ...), else the root itself.
std::vector<std::filesystem::path> find_image_dirs(const SourceSpec& spec);

}  // namespace skingan::data
