#include "data/demo_render.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace skingan::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

cv::Vec3d jitter(const cv::Vec3d& bgr, double amount, cv::RNG& rng) {
  return {bgr[0] + rng.gaussian(amount), bgr[1] + rng.gaussian(amount),
          bgr[2] + rng.gaussian(amount)};
}

// Low-frequency noise in [-1,1]: coarse random grid, smoothly enlarged.
cv::Mat smooth_noise(int width, int height, int cells, cv::RNG& rng) {
  cv::Mat coarse(cells, cells, CV_32F), fine;
  rng.fill(coarse, cv::RNG::UNIFORM, -1.0, 1.0);
  cv::resize(coarse, fine, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
  return fine;
}

// Lesion outline: radius r(theta) = R * (1 + sum a_k sin(k theta + phi_k)).
std::vector<cv::Point> outline(const DemoLesion& lesion, cv::Point2d centre, double radius,
                               double rotation) {
  std::vector<cv::Point> points;
  for (int i = 0; i < 96; ++i) {
    const double theta = 2 * kPi * i / 96.0;
    double r = 1.0;
    for (size_t k = 0; k + 1 < lesion.harmonics.size(); k += 2) {
      r += lesion.harmonics[k] *
           std::sin((k / 2 + 2) * (theta + rotation) + lesion.harmonics[k + 1]);
    }
    points.emplace_back(cv::Point(static_cast<int>(centre.x + radius * r * std::cos(theta)),
                                  static_cast<int>(centre.y + radius * r * std::sin(theta))));
  }
  return points;
}

// Adds class texture (pigment map in [0,1], colour overlay) inside the lesion.
void draw_texture(const DemoLesion& lesion, cv::Mat& pigment, cv::Mat& overlay, cv::Point2d centre,
                  double radius, cv::RNG& rng) {
  const int thin = std::max(1, static_cast<int>(radius / 25));
  if (lesion.dx == "nv") {
    // Regular pigment network: a faint lattice of darker lines.
    const double step = radius / 4.5;
    for (double d = -radius; d <= radius; d += step) {
      cv::line(pigment, centre + cv::Point2d(d, -radius), centre + cv::Point2d(d, radius), 0.25,
               thin);
      cv::line(pigment, centre + cv::Point2d(-radius, d), centre + cv::Point2d(radius, d), 0.25,
               thin);
    }
  } else if (lesion.dx == "mel") {
    // Asymmetric blotches of black and blue-grey, and peripheral streaks.
    for (int i = 0; i < 5; ++i) {
      const cv::Point2d at =
          centre + cv::Point2d(rng.gaussian(radius * 0.4), rng.gaussian(radius * 0.4));
      const cv::Size axes(static_cast<int>(radius * rng.uniform(0.15, 0.45)),
                          static_cast<int>(radius * rng.uniform(0.1, 0.3)));
      const bool blue = i % 2 == 1;
      cv::ellipse(overlay, at, axes, rng.uniform(0.0, 180.0), 0, 360,
                  blue ? cv::Scalar(150, 120, 100) : cv::Scalar(25, 25, 35), cv::FILLED);
    }
    for (int i = 0; i < 7; ++i) {
      const double a = rng.uniform(0.0, 2 * kPi);
      cv::line(pigment, centre + cv::Point2d(std::cos(a), std::sin(a)) * radius * 0.7,
               centre + cv::Point2d(std::cos(a), std::sin(a)) * radius * 1.15, 0.9, thin + 1);
    }
  } else if (lesion.dx == "bkl") {
    // Milia-like bright dots and dark fissures on a waxy surface.
    for (int i = 0; i < 14; ++i) {
      const cv::Point2d at =
          centre + cv::Point2d(rng.gaussian(radius * 0.45), rng.gaussian(radius * 0.45));
      cv::circle(overlay, at, thin + 1, cv::Scalar(200, 225, 235), cv::FILLED);
    }
    for (int i = 0; i < 6; ++i) {
      const cv::Point2d at =
          centre + cv::Point2d(rng.gaussian(radius * 0.4), rng.gaussian(radius * 0.4));
      cv::ellipse(pigment, at, cv::Size(static_cast<int>(radius * 0.25), thin + 1),
                  rng.uniform(0.0, 180.0), 0, 200, 0.7, thin);
    }
  } else if (lesion.dx == "bcc") {
    // Arborising vessels: branching thin red lines, and a blue-grey ovoid nest.
    for (int i = 0; i < 4; ++i) {
      cv::Point2d from =
          centre + cv::Point2d(rng.gaussian(radius * 0.3), rng.gaussian(radius * 0.3));
      double angle = rng.uniform(0.0, 2 * kPi);
      for (int seg = 0; seg < 6; ++seg) {
        angle += rng.gaussian(0.6);
        const cv::Point2d to = from + cv::Point2d(std::cos(angle), std::sin(angle)) * radius * 0.2;
        cv::line(overlay, from, to, cv::Scalar(40, 30, 190), thin);
        from = to;
      }
    }
    cv::ellipse(overlay, centre + cv::Point2d(radius * 0.3, 0),
                cv::Size(static_cast<int>(radius * 0.2), static_cast<int>(radius * 0.12)),
                rng.uniform(0.0, 180.0), 0, 360, cv::Scalar(140, 110, 100), cv::FILLED);
  } else {
    // vasc: red-purple lobules with darker rims.
    for (int i = 0; i < 6; ++i) {
      const cv::Point2d at =
          centre + cv::Point2d(rng.gaussian(radius * 0.35), rng.gaussian(radius * 0.35));
      const int r = static_cast<int>(radius * rng.uniform(0.2, 0.35));
      cv::circle(overlay, at, r, cv::Scalar(70, 20, 150 + rng.uniform(0, 60)), cv::FILLED);
      cv::circle(overlay, at, r, cv::Scalar(60, 15, 90), thin);
    }
  }
}

}  // namespace

const std::vector<DemoClass>& demo_classes() {
  static const std::vector<DemoClass> classes = {
      {"nv", 0.55}, {"mel", 0.16}, {"bkl", 0.14}, {"bcc", 0.09}, {"vasc", 0.06}};
  return classes;
}

DemoLesion make_demo_lesion(const std::string& dx, cv::RNG& rng) {
  DemoLesion lesion;
  lesion.dx = dx;
  lesion.seed = static_cast<std::uint64_t>(rng.next()) << 32 | rng.next();
  // Skin tone: mostly a brightness change, with a little hue variation.
  const double tone = rng.uniform(0.85, 1.1);
  lesion.skin_bgr = jitter({150 * tone, 175 * tone, 215 * tone}, 4, rng);
  double irregular = 0.04, r = 0.28;
  if (dx == "nv") lesion.lesion_bgr = jitter({50, 80, 125}, 10, rng);
  if (dx == "mel") lesion.lesion_bgr = jitter({35, 50, 80}, 8, rng), irregular = 0.16, r = 0.34;
  if (dx == "bkl") lesion.lesion_bgr = jitter({95, 135, 170}, 10, rng), irregular = 0.07, r = 0.3;
  if (dx == "bcc") lesion.lesion_bgr = jitter({135, 140, 205}, 8, rng), irregular = 0.08, r = 0.26;
  if (dx == "vasc") lesion.lesion_bgr = jitter({90, 60, 170}, 10, rng), irregular = 0.05, r = 0.22;
  lesion.radius_fraction = r * rng.uniform(0.8, 1.2);
  for (int k = 0; k < 4; ++k) {
    lesion.harmonics.push_back(irregular * rng.uniform(0.3, 1.0) / (1 + 0.4 * k));
    lesion.harmonics.push_back(rng.uniform(0.0, 2 * kPi));
  }
  return lesion;
}

void draw_hairs(cv::Mat& image, int count, cv::RNG& rng) {
  const int w = image.cols, h = image.rows;
  for (int i = 0; i < count; ++i) {
    cv::Point2d p(rng.uniform(0, w), rng.uniform(0, h));
    double angle = rng.uniform(0.0, 2 * kPi);
    const double curl = rng.gaussian(0.08);
    const int thickness =
        std::max(1, static_cast<int>(std::lround(h / 110.0 * rng.uniform(0.8, 1.6))));
    const cv::Scalar colour(rng.uniform(10, 35), rng.uniform(15, 40), rng.uniform(20, 50));
    const int segments = 12 + rng.uniform(0, 12);
    for (int s = 0; s < segments; ++s) {
      angle += curl;
      const cv::Point2d q = p + cv::Point2d(std::cos(angle), std::sin(angle)) * (h / 14.0);
      cv::line(image, p, q, colour, thickness, cv::LINE_AA);
      p = q;
    }
  }
}

cv::Mat render_demo_image(const DemoLesion& lesion, int width, int height, bool hairy,
                          cv::RNG& rng) {
  cv::RNG lesion_rng(lesion.seed);  // same texture layout in every view of this lesion
  const double rotation = rng.uniform(0.0, 2 * kPi);
  const double radius = lesion.radius_fraction * height * rng.uniform(0.9, 1.1);
  const cv::Point2d centre(width / 2.0 + rng.gaussian(width * 0.04),
                           height / 2.0 + rng.gaussian(height * 0.04));

  // Skin: base tone, low-frequency mottling, fine grain.
  cv::Mat skin(height, width, CV_32FC3,
               cv::Scalar(lesion.skin_bgr[0], lesion.skin_bgr[1], lesion.skin_bgr[2]));
  cv::Mat mottle = smooth_noise(width, height, 5, rng), grain(height, width, CV_32F);
  rng.fill(grain, cv::RNG::NORMAL, 0.0, 3.0);
  std::vector<cv::Mat> channels;
  cv::split(skin, channels);
  for (auto& c : channels) c += mottle * 10.0 + grain;

  // Lesion mask (soft border) and pigment intensity map.
  cv::Mat mask = cv::Mat::zeros(height, width, CV_32F);
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{outline(lesion, centre, radius, rotation)},
               1.0);
  const double softness = lesion.dx == "mel" ? 0.03 : 0.08;
  const int blur = static_cast<int>(radius * softness) * 2 + 1;
  cv::GaussianBlur(mask, mask, cv::Size(blur, blur), 0);
  cv::Mat pigment = smooth_noise(width, height, 4, lesion_rng) * 0.15 + 0.85;
  cv::Mat overlay(height, width, CV_32FC3, cv::Scalar(-1, -1, -1));
  draw_texture(lesion, pigment, overlay, centre, radius, lesion_rng);
  cv::GaussianBlur(pigment, pigment, cv::Size(3, 3), 0);

  cv::Mat image(height, width, CV_32FC3);
  const double light = rng.uniform(0.9, 1.1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const float m = mask.at<float>(y, x);
      const float p = std::min(1.0f, pigment.at<float>(y, x));
      const cv::Vec3f& o = overlay.at<cv::Vec3f>(y, x);
      cv::Vec3f out;
      for (int c = 0; c < 3; ++c) {
        const float lesion_colour =
            o[0] >= 0 ? o[c] : static_cast<float>(lesion.lesion_bgr[c]) * (1.6f - 0.6f * p);
        out[c] = channels[c].at<float>(y, x) * (1 - m) + lesion_colour * m;
      }
      // Dermoscopy vignette: the round field of view darkens towards the corners.
      const double dx = (x - width / 2.0) / (width / 2.0), dy = (y - height / 2.0) / (height / 2.0);
      const double vignette = std::clamp(1.25 - 0.55 * (dx * dx + dy * dy), 0.15, 1.0);
      image.at<cv::Vec3f>(y, x) = out * static_cast<float>(vignette * light);
    }
  }
  cv::Mat bgr;
  image.convertTo(bgr, CV_8UC3);
  if (hairy) draw_hairs(bgr, 2 + rng.uniform(0, 7), rng);
  return bgr;
}

}  // namespace skingan::data
