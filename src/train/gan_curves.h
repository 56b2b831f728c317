// The PNG curves of a GAN unit, drawn from its metrics.jsonl: losses (loss_curve.png) and, with
// --eval-every, KID over steps (kid_curve.png).
#pragma once

#include <filesystem>
#include <string>

namespace skingan::train {

void write_loss_curve(const std::filesystem::path& unit_dir, const std::string& name);
void write_kid_curve(const std::filesystem::path& unit_dir, const std::string& name);

}  // namespace skingan::train
