#include "train/growth_schedule.h"

#include <algorithm>
#include <cmath>

namespace skingan::train {
namespace {

int64_t growths(int64_t image_size) {
  int64_t k = 0;
  while ((int64_t{4} << k) < image_size) ++k;
  return k;  // 4 -> S in k doublings
}

}  // namespace

double growth_level(int64_t images_shown, int64_t phase_images, int64_t image_size) {
  const double top = 2.0 + static_cast<double>(growths(image_size));
  if (phase_images <= 0) return top;
  const double t = static_cast<double>(images_shown) / static_cast<double>(phase_images);
  if (t < 1.0) return 2.0;
  const double u = t - 1.0;  // phases since the 4x4 one: fade, stable, fade, stable, ...
  const double stage = std::floor(u / 2.0);
  const double within = u - 2.0 * stage;
  return std::min(top, 2.0 + stage + std::min(within, 1.0));
}

int64_t images_to_full_size(int64_t phase_images, int64_t image_size) {
  return phase_images * (1 + 2 * growths(image_size) - 1);
}

}  // namespace skingan::train
