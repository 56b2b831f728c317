// Colour constancy by Shades of Gray (Finlayson & Trezzi 2004): the illuminant is estimated per
// channel as the Minkowski p-norm mean of the pixels and divided out. p=1 is Gray World,
// p=inf is max-RGB; p=6 is what the ISIC 2017-2019 winners used (Barata et al. 2015).
#pragma once

#include <array>

#include <opencv2/core.hpp>

namespace skingan::preprocess {

// Per-channel illuminant estimate (B,G,R order, in 0..255 units) of a BGR uint8 image.
std::array<double, 3> shades_of_gray_illuminant(const cv::Mat& bgr, double p);

// The image with its illuminant corrected to neutral grey (same mean brightness); uint8 BGR.
cv::Mat shades_of_gray(const cv::Mat& bgr, double p = 6.0);

}  // namespace skingan::preprocess
