// Every kind of bad input is refused with its message, nothing is written, and --skip-bad
// leaves exactly the bad inputs out and lists them in problems.csv.
#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "data/prepare.h"
#include "io/csv.h"
#include "io/files.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;
using namespace skingan::data;

namespace {

struct Corruption {
  std::string name;
  std::function<void(const fs::path& root)> apply;
  std::string expected_reason;  // substring of the problem's reason
  int expected_good;            // images prepared with --skip-bad (of 12)
};

void append_row(const fs::path& root, const std::string& row) {
  const std::string csv = io::read_file(root / "HAM10000_metadata.csv");
  test::write_text(root / "HAM10000_metadata.csv", csv + row + "\n");
}

fs::path image_of(const fs::path& root, int index) {
  // write_ham_set alternates the two part folders, starting with part_1.
  return root / (index % 2 ? "HAM10000_images_part_2" : "HAM10000_images_part_1") /
         ("IMG_" + std::to_string(index) + ".jpg");
}

std::vector<Corruption> corruptions() {
  return {
      {"missing_image", [](const fs::path& r) { fs::remove(image_of(r, 3)); }, "not found", 11},
      {"truncated_jpeg",
       [](const fs::path& r) {
         const std::string bytes = io::read_file(image_of(r, 4));
         test::write_text(image_of(r, 4), bytes.substr(0, bytes.size() / 2));
       },
       "truncated JPEG", 11},
      {"not_an_image", [](const fs::path& r) { test::write_text(image_of(r, 5), "plain text"); },
       "not an image file", 11},
      {"duplicate_id", [](const fs::path& r) { append_row(r, "L_x,IMG_1,nv,histo,1,male,back"); },
       "duplicate image id 'IMG_1'", 12},
      {"unknown_label",
       [](const fs::path& r) { append_row(r, "L_y,IMG_99,tumour,histo,1,male,back"); },
       "unknown label 'tumour'", 12},
      {"escaping_id",
       [](const fs::path& r) { append_row(r, "L_z,../../etc/passwd,nv,histo,1,male,back"); },
       "escape the image folder", 12},
      {"absolute_id",
       [](const fs::path& r) { append_row(r, "L_z,/etc/passwd,nv,histo,1,male,back"); },
       "absolute path", 12},
      {"image_without_row",
       [](const fs::path& r) {
         test::write_image(r / "HAM10000_images_part_1" / "ORPHAN.jpg",
                           test::make_lesion_image(40, 30, 9));
       },
       "image has no row", 12},
  };
}

// Names the case in test output instead of dumping its bytes.
void PrintTo(const Corruption& c, std::ostream* os) { *os << c.name; }

class ValidationTest : public ::testing::TestWithParam<Corruption> {};

PrepareOptions options_for(const test::TempDir& dir) {
  PrepareOptions options;
  options.source.root = dir / "src";
  options.output = dir / "out";
  options.preprocess.size = 32;
  options.progress = false;
  options.threads = 2;
  return options;
}

}  // namespace

TEST_P(ValidationTest, RefusedWithMessageAndNothingWritten) {
  test::TempDir dir;
  test::write_ham_set(dir / "src", test::make_rows({"nv", "mel"}, 3, 2));
  GetParam().apply(dir / "src");
  try {
    prepare_dataset(options_for(dir));
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(GetParam().expected_reason), std::string::npos) << message;
    EXPECT_NE(message.find("nothing was written"), std::string::npos) << message;
    EXPECT_NE(message.find("--skip-bad"), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().find("out.partial"), std::string::npos);
  }
}

TEST_P(ValidationTest, SkipBadListsTheProblemBesideTheOutput) {
  test::TempDir dir;
  test::write_ham_set(dir / "src", test::make_rows({"nv", "mel"}, 3, 2));
  GetParam().apply(dir / "src");
  PrepareOptions options = options_for(dir);
  options.skip_bad = true;
  const PrepareResult result = prepare_dataset(options);
  EXPECT_EQ(result.images, GetParam().expected_good);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].reason.find(GetParam().expected_reason), std::string::npos)
      << result.problems[0].reason;
  const io::CsvTable listed = io::read_csv(dir / "out" / "problems.csv");
  ASSERT_EQ(listed.rows.size(), 1u);
  EXPECT_NE(listed.rows[0][2].find(GetParam().expected_reason), std::string::npos);
  EXPECT_FALSE(listed.rows[0][3].empty()) << "every problem carries a remedy";
}

INSTANTIATE_TEST_SUITE_P(EveryBadInput, ValidationTest, ::testing::ValuesIn(corruptions()),
                         [](const auto& info) { return info.param.name; });

TEST(Validation, ReportsEveryProblemAtOnce) {
  test::TempDir dir;
  test::write_ham_set(dir / "src", test::make_rows({"nv", "mel"}, 3, 2));
  for (const auto& c : corruptions()) c.apply(dir / "src");
  try {
    prepare_dataset(options_for(dir));
    FAIL();
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("8 problem(s)", 0), 0u) << message;
    for (const auto& c : corruptions()) {
      EXPECT_NE(message.find(c.expected_reason), std::string::npos) << c.name;
    }
  }
}

TEST(Validation, IsicRowWithTwoClassesOrBadCell) {
  test::TempDir dir;
  test::write_text(dir / "src" / "GroundTruth.csv", "image,MEL,NV\nA,1,1\nB,0,yes\nC,0,1\n");
  for (const char* id : {"A", "B", "C"}) {
    test::write_image(dir / "src" / "images" / (std::string(id) + ".png"),
                      test::make_lesion_image(16, 16, 1));
  }
  try {
    prepare_dataset(options_for(dir));
    FAIL();
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("GroundTruth.csv:2: more than one class column is 1"), std::string::npos)
        << message;
    EXPECT_NE(message.find("GroundTruth.csv:3: label cell NV='yes' is not 0 or 1"),
              std::string::npos)
        << message;
  }
}
