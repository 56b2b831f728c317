// The real command line, fed argv vectors: accepted values reach the options structs, refused
// ones exit with the documented code and say why.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>

#include "cli/commands.h"
#include "data/prepared_set.h"
#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;

namespace {

struct Outcome {
  int code;
  std::string out, err;
};

Outcome run(std::vector<std::string> args) {
  args.insert(args.begin(), "skingan");
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  const int code = cli::run_cli(args);
  return {code, testing::internal::GetCapturedStdout(), testing::internal::GetCapturedStderr()};
}

}  // namespace

TEST(Cli, VersionAndHelpForEverySubcommand) {
  const Outcome version = run({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out.rfind("skingan ", 0), 0u);
  const Outcome help = run({"--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* sub :
       {"make-demo-data", "prepare", "info", "train-gan", "generate", "export-generator",
        "train-classifier", "evaluate", "compare", "experiment", "demo"}) {
    EXPECT_NE(help.out.find(sub), std::string::npos) << sub;
    const Outcome sub_help = run({sub, "--help"});
    EXPECT_EQ(sub_help.code, 0) << sub;
    EXPECT_NE(sub_help.out.find("Usage"), std::string::npos) << sub;
  }
}

TEST(Cli, MissingOrUnknownSubcommandIsRefused) {
  EXPECT_NE(run({}).code, 0);
  EXPECT_NE(run({"train-everything"}).code, 0);
  EXPECT_NE(run({"prepare"}).code, 0);  // SOURCE and -o are required
}

TEST(Cli, PrepareOptionsReachTheLibrary) {
  CLI::App app;
  cli::PrepareArgs args;
  cli::add_prepare_command(app, args);
  app.parse(std::vector<std::string>{"7", "--seed", "0.1,0.1,0.8", "--split", "--no-hair-removal",
                                     "pad", "--crop", "128", "--size", "out", "-o", "src",
                                     "prepare"});
  const data::PrepareOptions options = cli::to_prepare_options(args, cli::Runtime{});
  EXPECT_EQ(options.source.root, "src");
  EXPECT_EQ(options.output, "out");
  EXPECT_EQ(options.preprocess.size, 128);
  EXPECT_EQ(options.preprocess.crop, preprocess::CropMode::kPad);
  EXPECT_FALSE(options.preprocess.remove_hair);
  EXPECT_TRUE(options.preprocess.color_constancy);
  EXPECT_DOUBLE_EQ(options.fractions.test, 0.8);
  EXPECT_EQ(options.seed, 7u);
}

TEST(Cli, TrainClassifierSyntheticPolicyOptionsReachTheLibrary) {
  CLI::App app;
  cli::TrainClassifierArgs args;
  cli::add_train_classifier_command(app, args);
  app.parse(std::vector<std::string>{
      "0.3", "--synthetic-keep-top", "F", "--synthetic-filter-model", "0.5", "--synthetic-weight",
      "2", "--finetune-real-epochs", "0.25", "--synthetic-ratio", "mel,df", "--synthetic-classes",
      "1x", "--synthetic-cap", "m", "-o", "real", "--train", "train-classifier"});
  const train::ClassifierConfig c = cli::to_classifier_run_options(args, cli::Runtime{}).config;
  EXPECT_DOUBLE_EQ(c.synthetic_cap_ratio, 1.0);
  EXPECT_EQ(c.synthetic_cap, -1);
  EXPECT_EQ(c.synthetic_classes, (std::vector<std::string>{"mel", "df"}));
  EXPECT_DOUBLE_EQ(c.synthetic_ratio, 0.25);
  EXPECT_EQ(c.finetune_real_epochs, 2);
  EXPECT_DOUBLE_EQ(c.synthetic_weight, 0.5);
  EXPECT_EQ(c.synthetic_filter_model, "F");
  EXPECT_DOUBLE_EQ(c.synthetic_keep_top, 0.3);
  // Stored in config.json and read back (resume and evaluate see the same policy).
  const train::ClassifierConfig back = train::classifier_config_from_json(train::to_json(c));
  EXPECT_EQ(train::to_json(back), train::to_json(c));
}

TEST(Cli, RefusedValuesExitWithConfigCodeAndSayWhy) {
  test::TempDir dir;
  const std::string src = dir.path().string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"prepare", src, "-o", "x", "--size", "16"}, "between 32 and 512"},
      {{"prepare", src, "-o", "x", "--split", "0.5,0.5"}, "three comma-separated fractions"},
      {{"prepare", src, "-o", "x", "--split", "0.9,0.2,0.1"}, "sum to 1"},
      {{"prepare", src, "-o", "x", "--format", "coco"}, "auto, ham10000, isic or folders"},
      {{"prepare", src, "-o", "x", "--crop", "circle"}, "center, pad or none"},
      {{"--device", "tpu", "info", src}, "cpu, cuda, cuda:N or auto"},
      {{"--log-level", "loud", "info", src}, "trace, debug"},
      {{"generate", "--run", src, "-o", "x"}, "--per-class N or --balance-to N|max"},
      {{"generate", "--run", src, "-o", "x", "--balance-to", "lots"}, "a class size such as"},
      {{"generate", "--run", src, "-o", "x", "--per-class", "5"}, "no config.json there"},
      {{"export-generator", src, "-o", "x.pt"}, "no config.json there"},
      {{"evaluate", src, "--data", src, "-o", "x"}, "no config.json or best.pt"},
      {{"train-classifier", "--train", src, "-o", "x", "--synthetic-cap", "2y"}, "1x, 0.5x"},
      {{"train-classifier", "--train", src, "-o", "x", "--finetune-real-epochs", "15"}, "0 to 14"},
      {{"train-classifier", "--train", src, "-o", "x", "--synthetic-min-confidence", "0.5"},
       "no --synthetic-filter-model"},
  };
  for (const auto& [args, expected] : cases) {
    const Outcome outcome = run(args);
    EXPECT_EQ(outcome.code, 2) << args[0] << " " << outcome.err;
    EXPECT_NE(outcome.err.find(expected), std::string::npos) << outcome.err;
  }
}

TEST(Cli, TrainingOnAFolderThatIsNoPreparedSetExitsWithTheDataCode) {
  test::TempDir dir;
  const Outcome outcome =
      run({"train-classifier", "--train", dir.path().string(), "-o", (dir / "model").string()});
  EXPECT_EQ(outcome.code, 3) << outcome.err;
  EXPECT_NE(outcome.err.find("not a finished prepared set"), std::string::npos) << outcome.err;
  EXPECT_FALSE(fs::exists(dir / "model"));
}

TEST(Cli, DemoPrepareInfoEndToEnd) {
  test::TempDir dir;
  const std::string demo = (dir / "demo").string(), set = (dir / "set").string();
  ASSERT_EQ(run({"make-demo-data", "-o", demo, "--lesions", "12"}).code, 0);
  const Outcome prepared = run({"-q", "prepare", demo, "-o", set, "--size", "32"});
  ASSERT_EQ(prepared.code, 0) << prepared.err;
  EXPECT_NE(prepared.out.find("prepared"), std::string::npos);
  const Outcome again = run({"-q", "prepare", demo, "-o", set, "--size", "32"});
  EXPECT_NE(again.out.find("up to date"), std::string::npos) << again.out;
  const Outcome info = run({"info", set, "--per-class", "4"});
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("class"), std::string::npos);
  const data::PreparedSet prepared_set = data::PreparedSet::open(set);
  for (const auto& label : prepared_set.classes()) {
    EXPECT_TRUE(fs::exists(dir / "set_sheets" / (label + ".png"))) << label;
  }
  const Outcome missing = run({"info", (dir / "nothing").string()});
  EXPECT_EQ(missing.code, 3);
  EXPECT_NE(missing.err.find("not a finished prepared set"), std::string::npos) << missing.err;
}

TEST(Cli, BadSourceExitsWithDataCodeAndFullProblemList) {
  test::TempDir dir;
  test::write_ham_set(dir / "src", test::make_rows({"nv"}, 2, 1));
  test::write_text(dir / "src" / "HAM10000_images_part_1" / "IMG_0.jpg", "garbage");
  const Outcome outcome =
      run({"-q", "prepare", (dir / "src").string(), "-o", (dir / "out").string()});
  EXPECT_EQ(outcome.code, 3);
  EXPECT_NE(outcome.err.find("IMG_0.jpg: not an image file"), std::string::npos) << outcome.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Cli, ExperimentRefusesMissingDataUnknownPresetsAndBadConfigs) {
  const Outcome no_data = run({"experiment", "--preset", "smoke", "-o", "/tmp/never-written"});
  EXPECT_EQ(no_data.code, 2);
  EXPECT_NE(no_data.err.find("data.source in --config or --data DIR"), std::string::npos)
      << no_data.err;
  EXPECT_FALSE(fs::exists("/tmp/never-written"));
  EXPECT_NE(run({"experiment", "--preset", "huge", "-o", "x"}).code, 0);
  test::TempDir dir;
  test::write_text(dir / "s.toml", "[data]\nsource = \"x\"\n[classifier]\nepochs = -1\n");
  const Outcome bad =
      run({"experiment", "--config", (dir / "s.toml").string(), "-o", (dir / "out").string()});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("s.toml:4:10: classifier.epochs"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
  // A mistyped cohort path is refused before any stage runs (the data folder exists).
  test::write_text(dir / "c.toml", "[data]\nsource = \"" + dir.path().string() +
                                       "\"\n[[test_sets]]\nname = \"isic\"\nsource = \"" +
                                       (dir / "no-such-cohort").string() + "\"\n");
  const Outcome cohort =
      run({"experiment", "--config", (dir / "c.toml").string(), "-o", (dir / "out").string()});
  EXPECT_EQ(cohort.code, 2);
  EXPECT_NE(cohort.err.find("test set 'isic' source"), std::string::npos) << cohort.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

// A checkpoint write past a file-size limit (ulimit -f; a full disk fails the same way): the
// process is not killed by SIGXFSZ but exits with the I/O code, names the file, and leaves no
// temporary file and no half-written checkpoint behind.
TEST(Cli, AFileSizeLimitFailsTheCheckpointWriteByNameWithoutLeftovers) {
  test::TempDir dir;
  test::write_ham_set(dir / "src", test::make_rows({"nv", "mel", "bkl"}, 8, 2), 40, 30);
  test::prepare_test_set(dir / "src", dir / "set", 32);
  const fs::path model = dir / "model", log = dir / "log.txt";
  // 16 blocks of 512 bytes: config.json fits, the first checkpoint does not.
  const std::string command =
      "sh -c 'ulimit -f 16; exec \"" + test::skingan_binary().string() +
      "\" -q train-classifier --train \"" + (dir / "set").string() + "\" -o \"" + model.string() +
      "\" --model small_cnn --width 8 --epochs 1 --batch-size 8' >\"" + log.string() + "\" 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal";
  EXPECT_EQ(WEXITSTATUS(status), 4) << io::read_file(log);
  const std::string output = io::read_file(log);
  EXPECT_NE(output.find("cannot write " + (model / "best.pt").string()), std::string::npos)
      << output;
  EXPECT_NE(output.find("File too large"), std::string::npos) << output;
  EXPECT_TRUE(fs::exists(model / "config.json"));
  EXPECT_FALSE(fs::exists(model / "best.pt"));
  for (const auto& entry : fs::recursive_directory_iterator(model)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}
