// The progressive GAN's growth schedule (Karras et al. 2018, section A.1): phases measured in
// real images shown, not steps, so a schedule means the same thing at any batch size.
#pragma once

#include <cstdint>
#include <string>

namespace skingan::train {

// The level (models/gan/progressive.h) after `images_shown` images: 4x4 for one phase, then per
// resolution one phase fading it in and one phase training it, and the image size to the end.
//   images / phase_images:  [0,1) -> 2;  [1,2) -> 2..3 (fade);  [2,3) -> 3;  [3,4) -> 3..4; ...
double growth_level(int64_t images_shown, int64_t phase_images, int64_t image_size);

// Images shown when the schedule reaches the image size (end of its last fade).
int64_t images_to_full_size(int64_t phase_images, int64_t image_size);

// The name of the growth phase that a step from `images_before` to `images_after` images shown
// completes, "phase_NN_<side>px" or "phase_NN_<side>px_fade_in" (NN counted from 0, the side the
// phase draws at), for the sample grid written then; empty when the step completes no phase, when
// the phase lies beyond the first one at the image size, or without growing (phase_images 0).
std::string completed_phase_name(int64_t images_before, int64_t images_after, int64_t phase_images,
                                 int64_t image_size);

}  // namespace skingan::train
