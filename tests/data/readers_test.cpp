#include <gtest/gtest.h>

#include "core/error.h"
#include "data/source_listing.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace skingan;
using namespace skingan::data;

TEST(Readers, Ham10000WithImagesSplitOverTwoFolders) {
  test::TempDir dir;
  test::write_ham_set(dir.path(), test::make_rows({"nv", "mel", "bcc"}, 2, 2));
  const SourceListing listing = list_source({dir.path()});
  EXPECT_EQ(listing.format, SourceFormat::kHam10000);
  EXPECT_TRUE(listing.problems.empty()) << listing.problems.front().reason;
  EXPECT_EQ(listing.image_dirs.size(), 2u);
  ASSERT_EQ(listing.records.size(), 12u);
  EXPECT_EQ(listing.classes, (std::vector<std::string>{"bcc", "mel", "nv"}));
  EXPECT_EQ(listing.records[0].group, "L_nv0");
  EXPECT_EQ(listing.records[1].group, "L_nv0");  // two views of one lesion
  EXPECT_NE(listing.records[0].origin.find("HAM10000_metadata.csv:2"), std::string::npos);
}

TEST(Readers, Ham10000WithExplicitMetadataAndImages) {
  test::TempDir dir;
  test::write_ham_set(dir / "raw", test::make_rows({"nv", "df"}, 1, 1));
  SourceSpec spec{dir / "elsewhere",
                  SourceFormat::kHam10000,
                  dir / "raw" / "HAM10000_metadata.csv",
                  {dir / "raw" / "HAM10000_images_part_1", dir / "raw" / "HAM10000_images_part_2"}};
  const SourceListing listing = list_source(spec);
  EXPECT_EQ(listing.records.size(), 2u);
  EXPECT_TRUE(listing.problems.empty());
}

TEST(Readers, Isic2017GroundTruthWithImplicitNevus) {
  test::TempDir dir;
  test::write_text(dir / "ISIC-2017_Training_Part3_GroundTruth.csv",
                   "image_id,melanoma,seborrheic_keratosis\nA,1.0,0.0\nB,0.0,1.0\nC,0.0,0.0\n");
  test::write_text(dir / "ISIC-2017_Training_Data_metadata.csv",
                   "image_id,age_approximate,sex\nA,55,male\nB,unknown,female\nC,30,male\n");
  for (const char* id : {"A", "B", "C"}) {
    test::write_image(dir / "images" / (std::string(id) + ".jpg"),
                      test::make_lesion_image(16, 16, 1));
  }
  test::write_image(dir / "images" / "A_superpixels.png", test::make_lesion_image(16, 16, 1));
  const SourceListing listing = list_source({dir.path()});
  EXPECT_EQ(listing.format, SourceFormat::kIsic);
  EXPECT_TRUE(listing.problems.empty()) << listing.problems.front().reason;
  ASSERT_EQ(listing.records.size(), 3u);
  EXPECT_EQ(listing.records[0].label, "mel");
  EXPECT_EQ(listing.records[1].label, "sk");
  EXPECT_EQ(listing.records[2].label, "nv");
  EXPECT_EQ(listing.records[2].group, "C");
  ASSERT_EQ(listing.notes.size(), 1u);
  EXPECT_NE(listing.notes[0].find("superpixels"), std::string::npos);
}

TEST(Readers, Isic2018OneHotColumnsAndLesionIds) {
  test::TempDir dir;
  test::write_text(dir / "GroundTruth.csv", "image,MEL,NV,BCC\nX,0,1,0\nY,1,0,0\nZ,0,0,1\n");
  test::write_text(dir / "Metadata.csv", "image,lesion_id\nX,LES1\nY,LES1\n");
  for (const char* id : {"X", "Y", "Z"}) {
    test::write_image(dir / "imgs" / (std::string(id) + ".png"),
                      test::make_lesion_image(16, 16, 2));
  }
  const SourceListing listing = list_source({dir.path()});
  EXPECT_EQ(listing.format, SourceFormat::kIsic);
  ASSERT_EQ(listing.records.size(), 3u);
  EXPECT_EQ(listing.records[0].label, "nv");
  EXPECT_EQ(listing.records[2].label, "bcc");
  EXPECT_EQ(listing.records[0].group, "LES1");
  EXPECT_EQ(listing.records[2].group, "Z");
}

TEST(Readers, ClassFolders) {
  test::TempDir dir;
  test::write_image(dir / "benign" / "a.png", test::make_lesion_image(16, 16, 1));
  test::write_image(dir / "benign" / "b.jpg", test::make_lesion_image(16, 16, 2));
  test::write_image(dir / "malignant" / "c.png", test::make_lesion_image(16, 16, 3));
  const SourceListing listing = list_source({dir.path()});
  EXPECT_EQ(listing.format, SourceFormat::kFolders);
  EXPECT_EQ(listing.classes, (std::vector<std::string>{"benign", "malignant"}));
  ASSERT_EQ(listing.records.size(), 3u);
  EXPECT_EQ(listing.records[2].label, "malignant");
  EXPECT_EQ(listing.records[2].origin, "malignant/c.png");
}

TEST(Readers, UndetectableLayoutSaysWhatWasLookedFor) {
  test::TempDir dir;
  test::write_text(dir / "notes.txt", "nothing here");
  try {
    list_source({dir.path()});
    FAIL();
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("lesion_id,image_id,dx"), std::string::npos) << message;
    EXPECT_NE(message.find("--format"), std::string::npos) << message;
  }
}

TEST(Readers, RefusesUnknownFormatName) {
  EXPECT_THROW(parse_source_format("coco"), ConfigError);
  EXPECT_EQ(parse_source_format("isic"), SourceFormat::kIsic);
}

// A data folder whose image files are symbolic links: inside the folder they are read; one that
// leads outside is refused by name unless allow_outside_links; the same for class folders.
TEST(Readers, ImageLinksLeadingOutsideTheDataFolderAreRefusedUnlessAllowed) {
  test::TempDir dir;
  test::write_ham_set(dir / "data", test::make_rows({"nv", "mel"}, 2, 1));
  const fs::path images = dir / "data" / "HAM10000_images_part_1";
  fs::path victim;
  for (const auto& entry : fs::directory_iterator(images)) victim = entry.path();
  ASSERT_FALSE(victim.empty());
  // Inside: a link to another place in the data folder is fine.
  // (Two levels down: a folder directly in the data folder would be read as an image folder.)
  const fs::path store = dir / "data" / "store" / "originals";
  fs::create_directories(store);
  fs::rename(victim, store / victim.filename());
  fs::create_symlink(store / victim.filename(), victim);
  const SourceListing inside = list_source({dir / "data"});
  EXPECT_TRUE(inside.problems.empty()) << inside.problems.front().reason;
  // Outside: the same file moved out of the data folder.
  fs::rename(store / victim.filename(), dir / "secret.jpg");
  fs::remove(victim);
  fs::create_symlink(dir / "secret.jpg", victim);
  const SourceListing refused = list_source({dir / "data"});
  ASSERT_EQ(refused.problems.size(), 2u);  // the link, and its CSV row now without an image
  EXPECT_EQ(refused.problems[0].file, victim.string());
  EXPECT_NE(refused.problems[0].reason.find("outside the data folder"), std::string::npos)
      << refused.problems[0].reason;
  EXPECT_NE(refused.problems[0].remedy.find("--allow-outside-links"), std::string::npos);
  SourceSpec allowed{dir / "data"};
  allowed.allow_outside_links = true;
  EXPECT_TRUE(list_source(allowed).problems.empty());

  test::write_image(dir / "folders" / "mel" / "a.jpg", test::make_lesion_image(20, 20, 1));
  fs::create_directories(dir / "folders" / "nv");
  fs::create_symlink(dir / "secret.jpg", dir / "folders" / "nv" / "b.jpg");
  const SourceListing folders = list_source({dir / "folders"});
  ASSERT_EQ(folders.problems.size(), 1u);
  EXPECT_NE(folders.problems[0].reason.find("outside the data folder"), std::string::npos);
}
