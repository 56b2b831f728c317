// How a generator doubles its feature maps' side (see models/gan/generator.h for why it matters).
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

namespace skingan::models {

enum class Upsample {
  kTransposed,  // 4x4 stride-2 transposed convolution (DCGAN, pytorch/examples)
  kResizeConv,  // nearest-neighbour x2, then a 3x3 convolution
  // Bilinear x2 (align_corners false), then a 3x3 convolution. Doubling the side puts a mirror
  // image of every frequency f of the small map at 1/2 - f (cycles per output pixel); nearest
  // resizing filters it by |cos(pi f)| only, bilinear by |cos(pi f)|^3 (the [1,3,3,1]/4 filter
  // StyleGAN2 upsamples with), so the mirror images of a lesion's coarse structure do not become a
  // fine mesh that the convolutions after it must learn to cancel.
  kBilinear,
  // ResNet generator only: nearest x2 + 3x3 convolution in the residual branch, bilinear x2 in the
  // shortcut. The shortcut is a 1x1 convolution of the resized map, which no 3x3 convolution
  // follows inside the block, so with nearest resizing every block adds a map made of 2x2 tiles
  // whose mirror frequencies the residual branch must cancel; bilinear keeps them out while the
  // branch still draws fine detail from sharp nearest-resized maps (the same split as StyleGAN2's
  // skip generator, whose to-RGB path is resized with a low-pass filter).
  kSkipBilinear,
  // ResNet generator only: kSkipBilinear in every block but the last, whose residual branch
  // resizes bilinearly too. The strongest mesh left by kSkipBilinear sits near Nyquist of the
  // output (periods of about 2 pixels), the mirror image of the 32x32 map's coarse structure made
  // by the last doubling, which nearest resizing attenuates by |cos(pi f)| only; the earlier blocks
  // keep nearest branches, whose sharp maps gave the variety that bilinear everywhere lost.
  kSkipBilinearLast,
};

// Whether this upsampling names resizings of residual shortcuts, which only the ResNet generator
// has (kSkipBilinear, kSkipBilinearLast).
bool resizes_residual_shortcuts(Upsample upsample);

// How one block of a ResNet generator resizes under `upsample`: kSkipBilinearLast is
// kSkipBilinear except in the last block (the doubling to the image's size), where it is
// kBilinear; every other upsampling is itself in every block.
Upsample block_upsample(Upsample upsample, bool last_block);

// "transposed" | "resize" | "bilinear" | "skip-bilinear" | "skip-bilinear-last"; ConfigError
// otherwise.
Upsample parse_upsample(const std::string& name);
std::string upsample_name(Upsample upsample);

// How a block with a residual shortcut resizes in its convolution branch and in its shortcut:
// kSkipBilinear is nearest then bilinear, kResizeConv and kBilinear are themselves in both (a
// block's upsampling, from block_upsample: not kSkipBilinearLast).
Upsample branch_upsample(Upsample upsample);
Upsample shortcut_upsample(Upsample upsample);

// Resizes x [N,C,H,W] -> [N,C,2H,2W] as kResizeConv or kBilinear do (not for kTransposed or
// the modes that name two resizings: see block_upsample, branch_upsample and shortcut_upsample).
at::Tensor resize_twice(const at::Tensor& x, Upsample upsample);
// The same as a line of TorchScript source on a tensor named `input`, for exported generators.
std::string resize_twice_script(const std::string& input, Upsample upsample);

}  // namespace skingan::models
