// DIR/curves.png of a classifier run: train loss and validation balanced accuracy per epoch,
// drawn from DIR/metrics.jsonl (nothing when it has no line yet).
#pragma once

#include <filesystem>

namespace skingan::train {

void write_curves(const std::filesystem::path& dir);

}  // namespace skingan::train
