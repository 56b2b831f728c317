#include "train/growth_schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "models/gan/progressive.h"

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
  return phase_images * 2 * growths(image_size);  // 4x4, then a fade and a phase per doubling
}

std::string completed_phase_name(int64_t images_before, int64_t images_after, int64_t phase_images,
                                 int64_t image_size) {
  if (phase_images <= 0) return "";
  const int64_t phase = images_before / phase_images;
  if (images_after / phase_images == phase || phase > 2 * growths(image_size)) return "";
  const models::GrowthStage stage =
      models::growth_stage(growth_level(images_before, phase_images, image_size), image_size);
  char name[64];
  std::snprintf(name, sizeof name, "phase_%02lld_%lldpx%s", static_cast<long long>(phase),
                static_cast<long long>(stage.side()), stage.alpha > 0 ? "_fade_in" : "");
  return name;
}

}  // namespace skingan::train
