// ISIC challenge layout: a ground-truth CSV with an image column and one 0/1 column per class
// (ISIC 2018/2019: MEL,NV,BCC,...; exactly one 1 per row), or ISIC 2017 Part 3
// (melanoma,seborrheic_keratosis, where both 0 means nevus), plus a folder of images.
// Class names are the lower-cased column names, with ISIC 2017's mapped to mel, sk and nv.
#pragma once

#include <filesystem>

#include "data/source_listing.h"

namespace skingan::data {

// spec.metadata if it is a ground-truth CSV, else the first one in spec.root; empty when none.
std::filesystem::path find_isic_ground_truth(const SourceSpec& spec);

SourceListing read_isic(const SourceSpec& spec);

}  // namespace skingan::data
