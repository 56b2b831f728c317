// Texture in the frequency domain, for `skingan score`: how a synthetic set's mean power spectrum
// departs from a real one's. Periodic generator artefacts (the checkerboard of transposed
// convolutions, the fine mesh of repeated upsampling) are excess power at high spatial
// frequencies, often sharp peaks, that a classifier's feature space barely registers (Durall et
// al. 2020, "Watch your up-convolution"; Dzanic et al. 2020). Power is phase-blind, so a mesh
// that sits at a different offset in every image still adds up in the mean.
//
// The spectrum of one image: luma (BT.601) in [0,1], minus the image's mean, times a 2-D Hann
// window (so the image border does not leak a cross into every spectrum), |rfft2|^2 / S^2. The
// frequencies are cycles per pixel: a period of p pixels is 1/p, Nyquist is 0.5.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>
#include <nlohmann/json.hpp>

namespace skingan::eval {

// High frequencies start here: periods of 4 pixels and shorter, where upsampling artefacts live.
inline constexpr double kHighFrequencyStart = 0.25;

// The mean power spectrum of images uint8 [N,3,S,S] (N >= 1, any device): double [S, S/2+1] on
// the CPU, rows the vertical frequency in rfft2's order, columns the horizontal 0..S/2.
at::Tensor mean_power_spectrum(const at::Tensor& images);

// The separable 2-D Hann window (symmetric, torch::hann_window with periodic=false), the window
// of every spectrum here and of train-gan's spectral loss: [S,S] with `options`.
at::Tensor hann_window_2d(int64_t size, const at::TensorOptions& options);

// Radial frequency of each bin of an [S, S/2+1] spectrum, cycles per pixel: double [S, S/2+1].
at::Tensor radial_frequency(int64_t image_size);

struct SpectrumComparison {
  // Synthetic power over real power, summed over the bins at radius >= kHighFrequencyStart:
  // 1 when the sets have the same fine texture, above 1 with a mesh, below 1 when blurry.
  double high_frequency_ratio = 0;
  // The largest per-bin ratio among those bins, and where it is (a periodic artefact): the
  // vertical and horizontal frequency of the peak, cycles per pixel (vertical signed).
  double peak_ratio = 0, peak_vertical = 0, peak_horizontal = 0;
  // Ratio per radial band of width 1/16 cycles per pixel: (0, 1/16], (1/16, 2/16], ... up to 0.5
  // (the corner bins beyond 0.5 join the last band; the DC bin is in none). NaN for a band
  // without a frequency bin at this image size (null in JSON).
  std::vector<double> band_ratios;
  nlohmann::json to_json() const;
};

// Both spectra from mean_power_spectrum of one image size.
SpectrumComparison compare_spectra(const at::Tensor& real, const at::Tensor& synthetic);

// A mean power spectrum and how many images it averages, so that the means of disjoint sets pool
// exactly (weighted by count) without a second pass over the images.
struct MeanSpectrum {
  at::Tensor mean;  // double [S, S/2+1]; undefined while count is 0
  int64_t count = 0;
  void add(const MeanSpectrum& other);
};

// score's texture entry from three spectra of mean_power_spectrum: {"score": synthetic against
// reference, "floor": floor against reference}, each SpectrumComparison::to_json.
nlohmann::json texture_against_floor(const at::Tensor& reference, const at::Tensor& floor,
                                     const at::Tensor& synthetic);

}  // namespace skingan::eval
