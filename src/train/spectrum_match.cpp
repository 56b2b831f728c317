#include "train/spectrum_match.h"

#include <algorithm>
#include <string>

#include <torch/torch.h>  // with torch/fft.h (1.13's fft.h alone does not compile)

#include "core/error.h"
#include "eval/image_spectrum.h"
#include "models/distributed_layers.h"

namespace skingan::train {
namespace {

// Added to both powers before the log: far below what 8-bit quantisation alone puts in every bin
// of a real image (noise of variance (2/255)^2 / 12 in [-1,1] units, times the Hann window's
// mean square (3/8)^2: about 7e-7), so it only keeps a flat image's log finite.
constexpr double kPowerFloor = 1e-10;
constexpr int64_t kChunk = 256;  // real images per FFT when building the reference
// The distance per bin is Charbonnier's smooth |d|, sqrt(d^2 + delta^2) - delta: L1 beyond a
// few percent of power, but with a gradient that does not jump at d = 0, where a batch's bins
// sit at random (a jump there would make the rounding of a sum decide a bin's pull).
constexpr double kSmoothing = 0.05;

}  // namespace

torch::Tensor channel_power_spectra(const torch::Tensor& x, const torch::Tensor& window) {
  const int64_t s = x.size(-1);
  const torch::Tensor centred = (x - x.mean({2, 3}, /*keepdim=*/true)).contiguous() * window;
  // |X|^2 as re^2 + im^2: differentiable everywhere, also at X = 0.
  return torch::view_as_real(torch::fft::rfft2(centred)).square().sum(-1) /
         static_cast<double>(s * s);  // [B,3,S,S/2+1]
}

SpectrumMatch::SpectrumMatch(const torch::Tensor& images, const torch::Tensor& labels,
                             int64_t num_classes, torch::Device device) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == images.size(3) &&
                  images.size(0) >= 1 && images.scalar_type() == torch::kByte,
              "SpectrumMatch expects uint8 images [N>=1,3,S,S], got ", images.sizes(), " ",
              images.scalar_type());
  torch::NoGradGuard no_grad;
  const int64_t n = images.size(0), s = images.size(2);
  const bool conditional = labels.defined();
  const int64_t k = conditional ? num_classes : 1;
  const auto opts = torch::dtype(torch::kFloat).device(device);
  window_ = eval::hann_window_2d(s, opts);
  // Sums in double: thousands of images of power spread over six orders of magnitude.
  torch::Tensor sums = torch::zeros({k, 3, s, s / 2 + 1}, opts.dtype(torch::kDouble));
  const torch::Tensor classes =
      conditional ? labels.to(device, torch::kLong) : torch::zeros({n}, opts.dtype(torch::kLong));
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t end = std::min(n, start + kChunk);
    const torch::Tensor chunk =
        images.slice(0, start, end).to(device, torch::kFloat).div_(127.5).sub_(1.0);
    sums.index_add_(0, classes.slice(0, start, end),
                    channel_power_spectra(chunk, window_).to(torch::kDouble));
  }
  const torch::Tensor counts = torch::bincount(classes.cpu(), {}, k);  // [K]
  for (int64_t c = 0; c < k; ++c) {
    if (counts[c].item<int64_t>() == 0) {
      throw DataError(describe_problem(
          "class " + std::to_string(c) + " of the spectral loss's reference", "no training image",
          "at least one real image of every class the generator draws",
          "Drop --spectral-loss, or leave out the empty class with --classes."));
    }
  }
  reference_ = (sums / counts.to(device, torch::kDouble).view({k, 1, 1, 1})).to(torch::kFloat);
}

torch::Tensor SpectrumMatch::loss(const torch::Tensor& fake, const torch::Tensor& labels) const {
  const int64_t b = fake.size(0);
  const torch::Tensor power = channel_power_spectra(fake.to(torch::kFloat), window_);  // [B,3,S,F]
  const torch::Tensor reference =
      labels.defined() ? reference_.index_select(0, labels).sum(0) : reference_[0] * b;  // [3,S,F]
  // Sums and the image count in one all-reduce (identity in one process); the gradient to this
  // rank's images comes back through it.
  const torch::Tensor local =
      torch::cat({power.sum(0).flatten(), reference.flatten(),
                  torch::full({1}, static_cast<double>(b), power.options())});
  const torch::Tensor global = models::all_reduce_sum(local);
  const int64_t bins = power[0].numel();
  const torch::Tensor count = global.slice(0, 2 * bins);
  const torch::Tensor mean_fake = global.slice(0, 0, bins) / count;
  const torch::Tensor mean_reference = global.slice(0, bins, 2 * bins) / count;
  const torch::Tensor d = (mean_fake + kPowerFloor).log() - (mean_reference + kPowerFloor).log();
  return ((d.square() + kSmoothing * kSmoothing).sqrt() - kSmoothing).mean();
}

}  // namespace skingan::train
