// The study report: one self-contained HTML file (inline CSS, SVG charts, PNGs as data: URIs,
// no network), opened from disk. Sections, in order, with these element ids:
//   answer       the question and the answer, first
//   summary      per-arm table (mean ± SD over seeds) and the paired differences per GAN arm
//   recall       per-class recall per arm (chart and table)
//   gan          GAN loss curves and final sample grids
//   quality      generator quality per GAN arm (skingan score): per-class table beside the real
//                floor, KID over training steps, closest synthetic/real training pairs
//   samples      per class, real training images beside each GAN's synthetic ones
//   curves       classifier validation curves
//   confusion    a confusion matrix per arm
//   stages       wall time per stage
//   config       the configuration and the software versions
// A small script marks <body data-report="ready"> once every image has decoded, or
// data-report="error" with the reason, so a headless browser can check the page.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace skingan::report {

// `results` as written to results.json by the study; `images` PNG bytes by key:
// "samples/<gan>", "pairs/<gan>", "grid/<class>", "confusion/<arm>" (missing keys are left out of
// the page).
std::string render_study_report(const nlohmann::json& results,
                                const std::map<std::string, std::string>& images);

}  // namespace skingan::report
