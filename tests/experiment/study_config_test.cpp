// Study configuration: presets, TOML on top of them, and every refused key or value with the
// place and the reason in its message.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/text.h"
#include "experiment/study_config.h"
#include "experiment/study_plan.h"
#include "io/files.h"
#include "test_util.h"

using namespace skingan;
using namespace skingan::experiment;

namespace {

StudyConfig parse(const std::string& text, const std::string& preset = "smoke") {
  return parse_study_config(text, "study.toml", preset);
}

// The ConfigError message for `text`; fails the test when the text is accepted.
std::string refusal(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return "";
}

std::vector<std::string> arm_names(const StudyConfig& c) {
  std::vector<std::string> names;
  for (const auto& a : c.classifier.arms) names.push_back(a.name);
  return names;
}

}  // namespace

TEST(StudyConfig, PresetsDifferAndListTheirArms) {
  const StudyConfig smoke = preset_config("smoke"), quick = preset_config("quick"),
                    standard = preset_config("standard");
  EXPECT_EQ(smoke.data.size, 32);
  EXPECT_EQ(quick.data.size, 64);
  EXPECT_EQ(quick.gans.size(), 1u);
  EXPECT_EQ(quick.gans[0].name, "cgan");
  EXPECT_EQ(quick.gans[0].balance_to, "800");
  ASSERT_EQ(standard.gans.size(), 1u);
  EXPECT_EQ(standard.gans[0].name, "resnet");
  EXPECT_EQ(standard.classifier.seeds.size(), 3u);
  EXPECT_EQ(arm_names(standard), (std::vector<std::string>{
                                     "classic", "classic+class-weights", "classic+balanced-sampler",
                                     "classic+balanced-sampler+resnet+ratio0.25",
                                     "classic+balanced-sampler+resnet+minority+cap1x",
                                     "classic+balanced-sampler+resnet+conf0.5+ratio0.25",
                                     "classic+balanced-sampler+resnet+ratio0.25+finetune3"}));
  EXPECT_EQ(arm_names(smoke), (std::vector<std::string>{"none", "classic", "classic+class-weights",
                                                        "classic+balanced-sampler", "classic+dcgan",
                                                        "classic+cgan"}));
  EXPECT_EQ(arm_names(quick), (std::vector<std::string>{"classic", "classic+class-weights",
                                                        "classic+balanced-sampler", "classic+cgan",
                                                        "classic+balanced-sampler+cgan"}));
  EXPECT_THROW(preset_config("huge"), ConfigError);
}

TEST(StudyConfig, FileValuesOverrideThePreset) {
  const StudyConfig c = parse(R"(
preset = "quick"
name = "mine"
[data]
source = "/data/ham"
size = 48
hair_removal = false
allow_outside_links = true
split = [0.6, 0.2, 0.2]
classes = ["mel", "nv"]
[gan]
arms = ["acgan", "dcgan"]
steps = 50
channels = 8
balance_to = "max"
[gan.dcgan]
steps = 7
[classifier]
model = "small_cnn"
epochs = 2
seeds = [3, 4, 5]
[evaluate]
bootstrap = 200
tta = true
)");
  EXPECT_EQ(c.preset, "quick");
  EXPECT_EQ(c.name, "mine");
  EXPECT_EQ(c.data.source, "/data/ham");
  EXPECT_EQ(c.data.size, 48);
  EXPECT_FALSE(c.data.hair_removal);
  EXPECT_TRUE(c.data.color_constancy);  // from the preset
  EXPECT_TRUE(c.data.allow_outside_links);
  for (const auto& stage : plan_stages(c, "/study")) {
    if (stage.name != prepare_stage_name()) continue;
    EXPECT_NE(join(stage.args, " ").find("--no-hair-removal --allow-outside-links"),
              std::string::npos)
        << join(stage.args, " ");
  }
  EXPECT_DOUBLE_EQ(c.data.split[0], 0.6);
  EXPECT_EQ(c.data.classes, (std::vector<std::string>{"mel", "nv"}));
  ASSERT_EQ(c.gans.size(), 2u);
  EXPECT_EQ(c.gans[0].name, "acgan");
  EXPECT_EQ(c.gans[0].steps, 50);
  EXPECT_EQ(c.gans[1].name, "dcgan");
  EXPECT_EQ(c.gans[1].steps, 7);  // its own table wins over the shared value
  EXPECT_EQ(c.gans[1].channels, 8);
  EXPECT_EQ(c.gans[1].balance_to, "max");
  EXPECT_EQ(c.classifier.model, "small_cnn");
  EXPECT_EQ(c.classifier.seeds, (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(c.evaluate.bootstrap, 200);
  EXPECT_TRUE(c.evaluate.tta);
  // Arms follow the configured GANs when not listed.
  EXPECT_EQ(arm_names(c), (std::vector<std::string>{
                              "classic", "classic+class-weights", "classic+balanced-sampler",
                              "classic+acgan", "classic+dcgan", "classic+balanced-sampler+acgan",
                              "classic+balanced-sampler+dcgan"}));
}

TEST(StudyConfig, ArmsAreParsedIntoTheirParts) {
  const ClassifierArm arm = parse_classifier_arm("classic+class-weights+cgan", {"cgan"});
  EXPECT_EQ(arm.augment, "classic");
  EXPECT_TRUE(arm.class_weights);
  EXPECT_FALSE(arm.balanced_sampler);
  EXPECT_EQ(arm.gan, "cgan");
  const StudyConfig c = parse(R"(
[data]
source = "x"
[classifier]
arms = ["none", "classic+balanced-sampler", "classic+cgan"]
)");
  EXPECT_EQ(arm_names(c),
            (std::vector<std::string>{"none", "classic+balanced-sampler", "classic+cgan"}));
}

TEST(StudyConfig, PolicyPartsBecomeTrainClassifierOptionsAndFiltersUseTheFeatureModel) {
  const ClassifierArm arm = parse_classifier_arm(
      "classic+balanced-sampler+cgan+ratio0.25+minority+finetune2+top0.5+weight0.5+cap1x",
      {"cgan"});
  EXPECT_EQ(arm.gan, "cgan");
  EXPECT_DOUBLE_EQ(arm.synthetic_ratio, 0.25);
  EXPECT_TRUE(arm.minority);
  EXPECT_EQ(arm.finetune_real_epochs, 2);
  EXPECT_DOUBLE_EQ(arm.keep_top, 0.5);
  EXPECT_DOUBLE_EQ(arm.synthetic_weight, 0.5);
  EXPECT_EQ(arm.cap, "1x");
  EXPECT_EQ(arm.policy_args(), (std::vector<std::string>{
                                   "--synthetic-ratio", "0.25", "--synthetic-classes", "minority",
                                   "--finetune-real-epochs", "2", "--synthetic-keep-top", "0.5",
                                   "--synthetic-weight", "0.5", "--synthetic-cap", "1x"}));
  EXPECT_TRUE(parse_classifier_arm("classic+cgan", {"cgan"}).policy_args().empty());

  const StudyConfig c = parse(R"(
[data]
source = "x"
[classifier]
arms = ["classic", "classic+cgan+conf0.6", "classic+cgan+ratio0.3"]
)");
  const auto stages = plan_stages(c, "/study");
  auto find = [&](const std::string& name) {
    for (const auto& s : stages)
      if (s.name == name) return s;
    ADD_FAILURE() << "no stage " << name;
    return Stage{};
  };
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  const Stage filtered = find(classifier_stage_name("classic+cgan+conf0.6", 1, "train"));
  EXPECT_TRUE(has(filtered.args, "--synthetic-min-confidence")) << join(filtered.args, " ");
  EXPECT_TRUE(has(filtered.args, "--synthetic-filter-model"));
  EXPECT_TRUE(has(filtered.inputs, features_stage_name()));
  const Stage mixed = find(classifier_stage_name("classic+cgan+ratio0.3", 1, "train"));
  EXPECT_TRUE(has(mixed.args, "--synthetic-ratio"));
  EXPECT_FALSE(has(mixed.args, "--synthetic-filter-model"));
}

TEST(StudyConfig, TestCohortsGetAPrepareStageAndAnEvaluationPerArmAndSeed) {
  const StudyConfig c = parse(R"(
[data]
source = "x"
[[test_sets]]
name = "isic2017"
source = "../shared/data/isic2017-train"
label_map = "sk=bkl,mel=mel,nv=nv"
[classifier]
arms = ["classic", "classic+cgan"]
seeds = [1, 2]
)");
  ASSERT_EQ(c.test_sets.size(), 1u);
  EXPECT_EQ(c.test_sets[0].format, "auto");
  const auto stages = plan_stages(c, "/study");
  int evaluations = 0;
  for (const auto& s : stages) {
    if (s.name == cohort_prepare_stage_name("isic2017")) {
      EXPECT_EQ(s.args[1], "../shared/data/isic2017-train");
      EXPECT_EQ(join(s.args, " ").find("--classes"), std::string::npos);
    }
    if (s.name.find("/evaluate-isic2017") == std::string::npos) continue;
    ++evaluations;
    const std::string line = join(s.args, " ");
    EXPECT_NE(line.find("--label-map sk=bkl,mel=mel,nv=nv --restrict-to-mapped"), std::string::npos)
        << line;
    EXPECT_NE(line.find("--split all"), std::string::npos) << line;
    EXPECT_EQ(s.inputs.back(), cohort_prepare_stage_name("isic2017"));
  }
  EXPECT_EQ(evaluations, 4);  // 2 arms x 2 seeds
  EXPECT_EQ(to_json(c).at("test_sets")[0].at("name"), "isic2017");
}

TEST(StudyConfig, TheResNetAndProgressiveGansAreStudyArms) {
  const StudyConfig c = parse(R"(
[data]
source = "x"
[gan]
arms = ["resnet", "progan"]
[classifier]
arms = ["classic", "classic+resnet", "classic+progan+ratio0.5"]
)");
  for (const char* arch : {"resnet", "progan"}) {
    bool found = false;
    for (const auto& s : plan_stages(c, "/study")) {
      if (s.name != gan_stage_name(arch, "train")) continue;
      found = true;
      EXPECT_NE(join(s.args, " ").find(std::string("--arch ") + arch), std::string::npos);
      EXPECT_EQ(join(s.args, " ").find("--per-class"), std::string::npos);
    }
    EXPECT_TRUE(found) << arch;
  }
}

TEST(StudyConfig, ThePolicyStudyExampleParses) {
  const StudyConfig c =
      load_study_config(test::source_dir() / "docs" / "study.policies.toml", "smoke");
  EXPECT_EQ(c.preset, "quick");
  EXPECT_EQ(c.test_sets.size(), 1u);
  EXPECT_EQ(c.classifier.arms.size(), 8u);
}

TEST(StudyConfig, TheStandardAndGpuStudiesParse) {
  const StudyConfig standard =
      load_study_config(test::source_dir() / "docs" / "study.standard.toml", "smoke");
  EXPECT_EQ(standard.preset, "standard");
  ASSERT_EQ(standard.test_sets.size(), 1u);
  EXPECT_EQ(standard.test_sets[0].name, "isic2017");
  EXPECT_EQ(standard.classifier.arms.size(), 7u);
  // scripts/gpu_study.sh fills in the GAN's steps.
  std::string gpu = io::read_file(test::source_dir() / "docs" / "study.gpu.toml");
  for (size_t at; (at = gpu.find("@GAN_STEPS@")) != std::string::npos;) gpu.replace(at, 11, "9000");
  const StudyConfig c = parse(gpu);
  ASSERT_EQ(c.gans.size(), 1u);
  EXPECT_EQ(c.gans[0].name, "resnet");
  EXPECT_EQ(c.gans[0].steps, 9000);
  EXPECT_EQ(c.classifier.seeds.size(), 3u);
}

TEST(StudyConfig, TheAnnotatedExampleParses) {
  const StudyConfig c =
      load_study_config(test::source_dir() / "docs" / "study.example.toml", "smoke");
  EXPECT_EQ(c.preset, "quick");
  EXPECT_EQ(c.gans.size(), 1u);
  EXPECT_EQ(c.classifier.arms.size(), 5u);
  EXPECT_TRUE(c.score.enabled);
  EXPECT_EQ(c.score.eval_every, 250);
  EXPECT_FALSE(c.score.cas);
}

TEST(StudyConfig, RefusalsNameThePlaceTheKeyAndTheRemedy) {
  const std::string src = "[data]\nsource = \"x\"\n";
  struct Case {
    std::string text, expected[3];
  };
  const std::vector<Case> cases = {
      {"colour = 1\n" + src, {"study.toml:1:1", "key 'colour'", "one of: preset, name"}},
      {src + "sise = 64\n", {"study.toml:3:1", "'data.sise'", "size"}},
      {src + "size = \"big\"\n", {"study.toml:3:8", "data.size", "an integer"}},
      {src + "size = 8\n", {"data.size", "8", "from 32 to 512"}},
      {src + "crop = \"square\"\n", {"data.crop", "'square'", "center, pad, none"}},
      {src + "split = [0.5, 0.5]\n", {"data.split", "[train, val, test]", "study.toml:3"}},
      {src + "split = [0.5, 0.3, 0.3]\n", {"data.split", "summing to 1", "For example"}},
      {"preset = \"huge\"\n" + src, {"preset", "'huge'", "smoke, quick, standard"}},
      {src + "[gan]\narms = [\"stylegan\"]\n", {"gan.arms", "'stylegan'", "dcgan, acgan, cgan"}},
      {src + "[gan]\narms = [\"cgan\", \"cgan\"]\n", {"gan.arms", "twice", "each arm once"}},
      {src + "[gan]\narms = [\"cgan\"]\n[gan.acgan]\nsteps = 5\n",
       {"gan.acgan", "does not list", "Add it to gan.arms"}},
      {src + "[gan]\nsteps = 0\n", {"gan.steps", "from 1 to", "study.toml:4"}},
      {src + "[score]\nfeature_epochs = 0\n",
       {"score.feature_epochs", "from 1 to", "study.toml:4"}},
      {src + "[score]\ncas = 1\n", {"score.cas", "true or false", "study.toml:4"}},
      {src + "[score]\nkid = 1\n", {"'score.kid'", "eval_every", "study.toml:4"}},
      {src + "[gan]\nbalance_to = \"lots\"\n",
       {"gan.balance_to", "\"max\" or a positive integer", ""}},
      {src + "[gan]\nfilter_keep = 1.5\n", {"gan.filter_keep", "a number from", ""}},
      {src + "[gan.cgan]\nlr = 1\n", {"'gan.cgan.lr'", "an unknown key", "steps"}},
      {src + "[classifier]\nmodel = \"vit\"\n",
       {"classifier.model", "'vit'", "resnet18, small_cnn"}},
      {src + "[classifier]\nseeds = []\n", {"classifier.seeds", "non-empty array", ""}},
      {src + "[classifier]\nseeds = [1, 1]\n",
       {"classifier.seeds", "2 seeds, 1 distinct", "Remove"}},
      {src + "[classifier]\narms = [\"classic+acgan\"]\n",
       {"classifier arm 'classic+acgan'", "'acgan'", "Add 'acgan' to gan.arms"}},
      {src + "[classifier]\narms = [\"flips\"]\n", {"'flips' first", "none or classic", ""}},
      {src + "[classifier]\narms = [\"classic+class-weights+class-weights\"]\n",
       {"twice", "at most one GAN", ""}},
      {src + "[classifier]\narms = [\"classic+cgan\"]\n", {"only GAN arms", "without a GAN", ""}},
      {src + "[classifier]\narms = [\"classic\", \"classic\"]\n",
       {"'classic' twice", "each arm once", ""}},
      {src + "[classifier]\narms = [\"classic\", \"classic+ratio0.3\"]\n",
       {"'ratio0.3' without a GAN", "classic+cgan+ratio0.3", ""}},
      {src + "[classifier]\narms = [\"classic\", \"classic+cgan+ratio2\"]\n",
       {"'ratio2'", "ratio followed by a number in [0, 1]", ""}},
      {src + "[classifier]\narms = [\"classic\", \"classic+cgan+ratio0.2+ratio0.3\"]\n",
       {"'ratio0.3' twice", "", ""}},
      {src + "[classifier]\narms = [\"classic\", \"classic+cgan+cap2y\"]\n",
       {"'cap2y'", "cap0.5x", ""}},
      {src + "[classifier]\narms = [\"classic\", \"classic+cgan+finetune1.5\"]\n",
       {"'finetune1.5'", "whole number", ""}},
      {src + "[classifier]\nepochs = 4\narms = [\"classic\", \"classic+cgan+finetune4\"]\n",
       {"finetune4 with classifier.epochs 4", "fewer fine-tune epochs", ""}},
      {src + "[score]\nenabled = false\n[classifier]\narms = [\"classic\", "
             "\"classic+cgan+top0.5\"]\n",
       {"confidence filter", "score.enabled = true", ""}},
      {src + "[[test_sets]]\nname = \"isic 2017\"\nsource = \"y\"\n",
       {"study.toml:3", "'isic 2017'", "letters, digits"}},
      {src + "[[test_sets]]\nname = \"isic\"\n", {"test set 'isic'", "no source", ""}},
      {src + "[[test_sets]]\nname = \"isic\"\nsource = \"y\"\nlabel_map = \"sk\"\n",
       {"--label-map entry 'sk'", "DATA_LABEL=MODEL_CLASS", ""}},
      {src + "[[test_sets]]\nname = \"a\"\nsource = \"y\"\n[[test_sets]]\nname = \"a\"\nsource = "
             "\"z\"\n",
       {"'a' twice", "each test set name once", ""}},
      {src + "[[test_sets]]\nname = \"a\"\nsource = \"y\"\nmap = \"x\"\n",
       {"'test_sets.map'", "label_map", ""}},
      {src + "[evaluate]\nbootstrap = 5\n", {"evaluate.bootstrap", "from 100", ""}},
      {src + "[evaluate]\ntta = \"yes\"\n", {"evaluate.tta", "true or false", ""}},
      {"[data\nsource = 1\n", {"study.toml:1", "not valid TOML", "Fix the syntax"}},
      {"name = \"x\"\n", {"data.source", "--data DIR", ""}},
      {"data = 3\n", {"data", "a table", ""}},
  };
  for (const auto& c : cases) {
    const std::string message = refusal(c.text);
    for (const auto& part : c.expected) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "missing '" << part << "' in: " << message << "\nfor:\n"
          << c.text;
    }
  }
}

TEST(StudyConfig, MissingFileIsRefusedWithAPointerToTheExample) {
  try {
    load_study_config("/nonexistent/study.toml", "quick");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("docs/study.example.toml"), std::string::npos);
  }
}

TEST(StudyConfig, JsonHoldsTheResolvedValues) {
  const StudyConfig c = parse("[data]\nsource = \"x\"\n[classifier]\nseeds = [9]\n");
  const auto j = to_json(c);
  EXPECT_EQ(j["data"]["source"], "x");
  EXPECT_EQ(j["classifier"]["seeds"], nlohmann::json::array({9}));
  EXPECT_EQ(j["gan"][1]["name"], "cgan");
  EXPECT_EQ(j["classifier"]["arms"].size(), c.classifier.arms.size());
}
