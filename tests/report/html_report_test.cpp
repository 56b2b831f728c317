// The study report: sections, escaping, embedded images, SVG charts, and the page rendered by
// headless Chromium (Debian chromium-headless-shell, installed by scripts/setup.sh --tests).
#include <gtest/gtest.h>

#include <cstdio>

#include <opencv2/imgcodecs.hpp>

#include "io/base64.h"
#include "io/files.h"
#include "report/html_report.h"
#include "report/svg_chart.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;
using nlohmann::json;

namespace {

json arm(const std::string& name, const std::string& gan, double bal) {
  json summary = {{"n", 2}, {"mean", bal}, {"sd", 0.01}, {"min", bal - 0.01}, {"max", bal + 0.01}};
  json a = {{"name", name}, {"gan", gan}, {"augment", "classic"}};
  a["summary"] = {{"balanced_accuracy", summary},
                  {"macro_f1", summary},
                  {"macro_auc", summary},
                  {"accuracy", summary},
                  {"recall", {{"mel", summary}, {"nv", summary}}}};
  for (int seed : {1, 2}) {
    a["seeds"].push_back({{"seed", seed},
                          {"balanced_accuracy", bal},
                          {"confusion_png", ""},
                          {"curve",
                           {{{"epoch", 1}, {"val_balanced_accuracy", 0.4}},
                            {{"epoch", 2}, {"val_balanced_accuracy", bal}}}}});
  }
  return a;
}

json sample_results() {
  json r;
  r["config"] = {{"name", "test <study> & co"}, {"preset", "smoke"}, {"data", {{"source", "/d"}}}};
  r["question"] = "Does it help?";
  r["answer"] = {"No significant difference between classic+cgan and classic: +0.010."};
  r["seeds_used"] = {1, 2};
  r["complete"] = true;
  r["classes"] = {"mel", "nv"};
  r["test"] = {{"images", 10}, {"lesions", 8}, {"support", {{"mel", 4}, {"nv", 6}}}};
  r["baseline"] = "classic";
  r["arms"] = {arm("classic", "", 0.6), arm("classic+cgan", "cgan", 0.61)};
  r["comparisons"] = {{{"arm", "classic+cgan"},
                       {"baseline", "classic"},
                       {"mean", 0.01},
                       {"ci95", {-0.02, 0.04}},
                       {"per_seed", {0.0, 0.02}},
                       {"conclusion", "No significant difference"},
                       {"per_class",
                        {{"mel", {{"mean", 0.1}, {"ci95", {0.05, 0.15}}}},
                         {"nv", {{"mean", -0.05}, {"ci95", {-0.1, 0.01}}}}}},
                       {"classes_better", {"mel"}}}};
  r["gans"] = {{{"name", "cgan"},
                {"curves",
                 {{"all classes",
                   {{{"step", 10}, {"d_loss", 1.0}, {"g_loss", 0.5}, {"kid", 0.25}},
                    {{"step", 20}, {"d_loss", 0.8}, {"g_loss", 0.7}, {"kid", 0.125}}}}}},
                {"synthetic_counts", {{"mel", 3}}}}};
  // skingan score's output for the arm (the fields the report reads).
  const nlohmann::json side = {
      {"synthetic", 3},   {"real", 4},      {"fid", 12.5},     {"kid", {{"mean", 0.0421}}},
      {"precision", 0.5}, {"recall", 0.25}, {"coverage", 0.75}};
  const nlohmann::json floor = {
      {"synthetic", 4},   {"real", 4},     {"fid", 3.0},      {"kid", {{"mean", 0.0012}}},
      {"precision", 0.9}, {"recall", 0.8}, {"coverage", 0.95}};
  r["gans"][0]["quality"] = {
      {"reference_split", "val"},
      {"floor", "real train split vs real val split"},
      {"feature_space_description", "skingan classifier <x>: penultimate layer, 8-d"},
      {"note", "not comparable with Inception FIDs"},
      {"classes", {"mel"}},
      {"left_out", {{"vasc", "too few"}}},
      {"per_class",
       {{"mel",
         {{"score", side},
          {"floor", floor},
          {"conditional_accuracy", 0.4},
          {"conditional_accuracy_floor", 0.7},
          {"memorisation", {{"features", {{"synthetic_near_copy_share", 0.02}}}}}}}}},
      {"overall",
       {{"score", side}, {"floor", floor}, {"memorisation", {{"near_copy_share_features", 0.02}}}}},
      {"cas", {{"computed", false}}}};
  r["stages"] = {{{"name", "prepare"}, {"seconds", 1.5}, {"attempts", 1}}};
  r["versions"] = {{"skingan", "0.1.0"}};
  return r;
}

std::string png(int side) {
  std::vector<uchar> bytes;
  cv::imencode(".png", cv::Mat(side, side, CV_8UC3, cv::Scalar(10, 200, 30)), bytes);
  return std::string(bytes.begin(), bytes.end());
}

std::string find_browser() {
  for (const char* name : {"chromium-headless-shell", "chromium"}) {
    const std::string probe = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return name;
  }
  return "";
}

std::string run_capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  pclose(pipe);
  return out;
}

std::string body_tag(const std::string& dom) {
  const size_t start = dom.find("<body");
  return start == std::string::npos ? "" : dom.substr(start, dom.find('>', start) - start + 1);
}

}  // namespace

TEST(Base64, KnownVectors) {
  // RFC 4648 section 10.
  EXPECT_EQ(io::base64_encode(""), "");
  EXPECT_EQ(io::base64_encode("f"), "Zg==");
  EXPECT_EQ(io::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(io::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(io::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(io::base64_encode(std::string("\xff\x00\x10", 3)), "/wAQ");
}

TEST(SvgChart, LinesBarsGapsAndEmptyCharts) {
  report::SvgChartOptions o;
  o.title = "a<b";
  const std::string line = report::svg_line_chart({{"s", {0, 1, 2, 3}, {1, NAN, 2, 3}}}, o);
  EXPECT_EQ(line.rfind("<svg", 0), 0u);
  EXPECT_NE(line.find("a&lt;b"), std::string::npos);
  // The NaN splits the series into two polylines.
  size_t polylines = 0;
  for (size_t at = line.find("<polyline"); at != std::string::npos;
       at = line.find("<polyline", at + 1))
    ++polylines;
  EXPECT_EQ(polylines, 2u);
  EXPECT_NE(report::svg_line_chart({}, o).find("no data"), std::string::npos);
  const std::string bars = report::svg_grouped_bars(
      {"mel", "nv"}, {{"x", {}, {0.5, 1.0}}, {"y", {}, {0.2, NAN}}}, {{0.1, 0.1}}, o);
  size_t rects = 0;
  for (size_t at = bars.find("<rect x="); at != std::string::npos;
       at = bars.find("<rect x=", at + 1))
    ++rects;
  EXPECT_EQ(rects, 3u + 2u);  // three bars (NaN left out) and two legend swatches
  EXPECT_NE(bars.find("<title>x / nv: 1.000</title>"), std::string::npos);
}

TEST(HtmlReport, HasEverySectionEscapesTextAndEmbedsImages) {
  const std::string html = report::render_study_report(
      sample_results(),
      {{"grid/mel", png(8)}, {"samples/cgan", png(8)}, {"confusion/classic", png(8)}});
  for (const char* id : {"answer", "summary", "recall", "gan", "quality", "samples", "curves",
                         "confusion", "stages", "config"}) {
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
  }
  // Generator quality: KID x 1000 beside its floor, the escaped feature space, the left-out
  // class and the KID-over-steps chart.
  const std::string quality = html.substr(html.find("id=\"quality\""));
  EXPECT_NE(quality.find("<td>42.10<br><span class=\"note\">1.20</span></td>"), std::string::npos);
  EXPECT_NE(quality.find("skingan classifier &lt;x&gt;"), std::string::npos);
  EXPECT_NE(quality.find("vasc left out: too few"), std::string::npos);
  EXPECT_NE(quality.find("KID of the EMA generator"), std::string::npos);
  EXPECT_LT(html.find("id=\"gan\""), html.find("id=\"quality\""));
  EXPECT_LT(html.find("id=\"answer\""), html.find("id=\"summary\""));  // the answer comes first
  EXPECT_NE(html.find("test &lt;study&gt; &amp; co"), std::string::npos);
  EXPECT_EQ(html.find("test <study>"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64," + io::base64_encode(png(8))), std::string::npos);
  EXPECT_NE(html.find("better for mel"), std::string::npos);
  EXPECT_NE(html.find("class=\"pos\""), std::string::npos);  // mel's interval excludes zero
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no network resources
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(HtmlReport, RendersInHeadlessChromiumWithoutErrors) {
  const std::string browser = find_browser();
  ASSERT_FALSE(browser.empty()) << "no chromium-headless-shell or chromium in PATH: run "
                                   "scripts/setup.sh --tests (installs chromium-headless-shell)";
  test::TempDir dir;
  const fs::path page = dir / "report.html";
  io::write_file_atomic(page,
                        report::render_study_report(sample_results(), {{"grid/mel", png(16)}}));
  const std::string flags =
      " --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 ";
  const std::string dom =
      run_capture(browser + flags + "--dump-dom file://" + page.string() + " 2>/dev/null");
  ASSERT_FALSE(dom.empty()) << "the browser printed no DOM";
  // The script sets its verdict on <body> (its own text names the attributes too).
  const std::string body = body_tag(dom);
  EXPECT_NE(body.find("data-report=\"ready\""), std::string::npos) << body;
  EXPECT_EQ(body.find("data-report-error"), std::string::npos) << body;
  for (const char* id : {"answer", "summary", "recall", "gan", "quality", "samples", "curves",
                         "confusion", "stages", "config"}) {
    EXPECT_NE(dom.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  }
  // A page whose image does not decode reports itself as broken: the check above can fail.
  std::string broken = report::render_study_report(sample_results(), {{"grid/mel", "not a png"}});
  io::write_file_atomic(dir / "broken.html", broken);
  const std::string broken_dom = run_capture(browser + flags + "--dump-dom file://" +
                                             (dir / "broken.html").string() + " 2>/dev/null");
  EXPECT_NE(body_tag(broken_dom).find("data-report=\"error\""), std::string::npos)
      << body_tag(broken_dom);
  EXPECT_NE(body_tag(broken_dom).find("did not decode"), std::string::npos);
  // And a screenshot comes out as a PNG of the window's size.
  const fs::path shot = dir / "shot.png";
  run_capture(browser + flags + "--screenshot=" + shot.string() + " file://" + page.string() +
              " 2>/dev/null");
  const cv::Mat image = cv::imread(shot.string());
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 1280);
}
