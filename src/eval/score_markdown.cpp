// scores.md: the table of `skingan score`, score beside floor (declared in generator_score.h).
#include <string>

#include <nlohmann/json.hpp>

#include "core/text.h"
#include "eval/generator_score.h"

namespace skingan::eval {
namespace {

// The texture table: high-frequency power and the strongest spectral peak against the real
// reference, score beside floor. Older scores.json files have no texture: nothing is written.
std::string texture_markdown(const nlohmann::json& s) {
  if (!s.at("overall").contains("texture")) return "";
  auto cell = [](const nlohmann::json& t, const char* key) {
    return format_number(t.at("score").at(key).get<double>(), "%.2f") + " (" +
           format_number(t.at("floor").at(key).get<double>(), "%.2f") + ")";
  };
  auto row = [&](const std::string& name, const nlohmann::json& t) {
    const auto& at = t.at("score").at("peak_frequency");
    return "| " + name + " | " + cell(t, "high_frequency_ratio") + " | " + cell(t, "peak_ratio") +
           " | (" + format_number(at.at("vertical").get<double>(), "%.3g") + ", " +
           format_number(at.at("horizontal").get<double>(), "%.3g") + ") |\n";
  };
  std::string md =
      "\nTexture: the mean power spectrum of the images' luma against the real reference's "
      "(1 = the same). High-frequency power sums the frequencies of periods of 4 pixels and "
      "shorter: above the floor means a mesh or checkerboard, below it blur. The peak is the "
      "largest single-frequency ratio there, at (vertical, horizontal) cycles per pixel.\n\n"
      "| class | high-frequency power | strongest peak | peak at |\n"
      "| --- | ---: | ---: | --- |\n";
  for (const auto& c : s.at("classes")) {
    const std::string name = c.get<std::string>();
    md += row(name, s.at("per_class").at(name).at("texture"));
  }
  return md + row("**all**", s.at("overall").at("texture"));
}

}  // namespace

std::string scores_markdown(const nlohmann::json& s) {
  auto number = [](const nlohmann::json& j, const char* spec = "%.4g") {
    return j.is_number() ? format_number(j.get<double>(), spec) : std::string("-");
  };
  auto pair = [&](const nlohmann::json& score, const nlohmann::json& floor, const char* key,
                  double scale = 1, const char* spec = "%.3g") {
    auto get = [&](const nlohmann::json& m) {
      const nlohmann::json& v =
          std::string(key) == "kid" ? m.at("kid").at("mean") : m.value(key, nlohmann::json());
      return v.is_number() ? format_number(v.get<double>() * scale, spec) : std::string("-");
    };
    return get(score) + " (" + get(floor) + ")";
  };
  std::string md = "# Generator quality: " + s.at("synthetic").get<std::string>() + "\n\n";
  if (s.at("classes").empty()) {
    md += "Nothing was scored: no class has enough images.\n\n";
    const nlohmann::json left_out = s.value("left_out", nlohmann::json::object());
    for (const auto& [c, why] : left_out.items())
      md += "- " + c + ": " + why.get<std::string>() + "\n";
    return md;
  }
  md += "Against the real " + s.at("reference_split").get<std::string>() + " split of " +
        s.at("real").get<std::string>() + ". In brackets: the real floor (" +
        s.at("floor").get<std::string>() + "), computed the same way.\n\n";
  md += "Feature space: " + s.at("feature_space_description").get<std::string>() + ". " +
        s.at("note").get<std::string>() + "\n\n";
  md +=
      "| class | synthetic / real images | FID | KID x 1000 | precision | recall | density | "
      "coverage | conditional accuracy | near-copies (features / pixels) | inside a training "
      "image's neighbour distance (pixels) |\n";
  md += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  auto percent = [](const nlohmann::json& share) {
    return format_number(100 * share.get<double>(), "%.1f") + "%";
  };
  auto row = [&](const std::string& name, const nlohmann::json& e, const std::string& copies,
                 const std::string& inside) {
    const auto& sc = e.at("score");
    const auto& fl = e.at("floor");
    return "| " + name + " | " + std::to_string(sc.at("synthetic").get<int64_t>()) + " / " +
           std::to_string(sc.at("real").get<int64_t>()) + " | " + pair(sc, fl, "fid") + " | " +
           pair(sc, fl, "kid", 1000) + " | " + pair(sc, fl, "precision", 1, "%.2f") + " | " +
           pair(sc, fl, "recall", 1, "%.2f") + " | " + pair(sc, fl, "density", 1, "%.2f") + " | " +
           pair(sc, fl, "coverage", 1, "%.2f") + " | " +
           number(e.value("conditional_accuracy", nlohmann::json()), "%.2f") + " (" +
           number(e.value("conditional_accuracy_floor", nlohmann::json()), "%.2f") + ") | " +
           copies + " | " + inside + " |\n";
  };
  for (const auto& c : s.at("classes")) {
    const auto& e = s.at("per_class").at(c.get<std::string>());
    const auto& m = e.at("memorisation");
    const std::string copies =
        format_number(100 * m.at("features").at("synthetic_near_copy_share").get<double>(),
                      "%.1f") +
        "% / " +
        format_number(100 * m.at("pixels").at("synthetic_near_copy_share").get<double>(), "%.1f") +
        "% (real test " +
        format_number(100 * m.at("features").at("real_test_near_copy_share").get<double>(),
                      "%.1f") +
        "%)";
    const auto& pixels = m.at("pixels");
    md +=
        row(c.get<std::string>(), e, copies,
            percent(pixels.value("synthetic_inside_train_neighbour_share", 0.0)) + " (real test " +
                percent(pixels.value("real_test_inside_train_neighbour_share", 0.0)) + ")");
  }
  const auto& o = s.at("overall");
  const auto& om = o.at("memorisation");
  const nlohmann::json left_out = s.value("left_out", nlohmann::json::object());
  for (const auto& [c, why] : left_out.items()) {  // items() must not outlive left_out
    md += "| " + c + " | left out: " + why.get<std::string>() + " | | | | | | | | | |\n";
  }
  md += row("**all**", o,
            format_number(100 * om.at("near_copy_share_features").get<double>(), "%.1f") + "% / " +
                format_number(100 * om.at("near_copy_share_pixels").get<double>(), "%.1f") + "%",
            percent(om.value("inside_neighbour_share_pixels", 0.0)));
  md += "\nKID is the mean over " + std::to_string(s.at("settings").at("kid_subsets").get<int>()) +
        " subsets; its standard deviation is in scores.json. Conditional accuracy: the feature "
        "classifier's recall on the synthetic images of the class (in brackets: on the real "
        "images). Near-copies: synthetic images closer to a training image of their class than "
        "the 1st percentile of the real test images' nearest-training distances. Inside: synthetic "
        "images closer to their nearest training image than it is to its own nearest other "
        "(Alaa et al. 2022's authenticity test; a bland training image that every bland image is "
        "near has close neighbours, so it does not count them as copies).\n";
  md += texture_markdown(s);
  const auto& cas = s.at("cas");
  if (cas.value("computed", false)) {
    md += "\nCAS (train on synthetic only, test on real test images): balanced accuracy " +
          number(cas.at("synthetic_balanced_accuracy"), "%.3f") + " against " +
          number(cas.at("real_balanced_accuracy"), "%.3f") +
          " for the same classifier trained on the real training split with the same budget "
          "(ratio " +
          number(cas.at("ratio"), "%.2f") + ").\n";
  } else {
    md += "\nCAS: not computed (" + cas.value("reason", std::string("?")) + ").\n";
  }
  return md;
}

}  // namespace skingan::eval
