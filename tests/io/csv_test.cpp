#include <gtest/gtest.h>

#include "core/error.h"
#include "io/csv.h"

using namespace skingan;
using skingan::io::parse_csv;

TEST(Csv, ParsesQuotedFieldsCrlfAndBom) {
  const auto table =
      parse_csv("\xEF\xBB\xBFid,note\r\na,\"x, y\"\r\nb,\"say \"\"hi\"\"\nthere\"\r\n", "t.csv");
  ASSERT_EQ(table.header, (std::vector<std::string>{"id", "note"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][1], "x, y");
  EXPECT_EQ(table.rows[1][1], "say \"hi\"\nthere");
  EXPECT_EQ(table.line_numbers[0], 2);
  EXPECT_EQ(table.line_numbers[1], 3);
}

TEST(Csv, EmptyTrailingFieldAndBlankLines) {
  const auto table = parse_csv("a,b\n1,\n\n2,3", "t.csv");
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][1], "");
  EXPECT_EQ(table.rows[1][1], "3");
  EXPECT_EQ(table.line_numbers[1], 4);
}

TEST(Csv, WrongFieldCountNamesFileAndLine) {
  try {
    parse_csv("a,b\n1,2\n3\n", "meta.csv");
    FAIL() << "expected DataError";
  } catch (const skingan::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("meta.csv:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("found 1"), std::string::npos) << e.what();
  }
}

TEST(Csv, MissingColumnListsColumnsFound) {
  const auto table = parse_csv("x,y\n1,2\n", "m.csv");
  try {
    table.require_column("image_id", "m.csv");
    FAIL();
  } catch (const skingan::DataError& e) {
    EXPECT_NE(std::string(e.what()).find("[x,y]"), std::string::npos) << e.what();
  }
}

TEST(Csv, EscapeRoundTrip) {
  const std::vector<std::string> fields = {"plain", "with,comma", "with\"quote", "multi\nline"};
  const auto table = parse_csv(skingan::io::csv_line(fields) + skingan::io::csv_line(fields), "r");
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0], fields);
}

TEST(Csv, DuplicateColumnsAreRefusedNamingBoth) {
  try {
    io::parse_csv("image_id,dx,image_id\na,mel,b\n", "meta.csv");
    FAIL();
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("meta.csv:1: duplicate column 'image_id'"), std::string::npos) << what;
    EXPECT_NE(what.find("columns 1 and 3"), std::string::npos) << what;
  }
}

// Inputs the fuzzer (fuzz/fuzz_csv.cpp) found, each once a failed write-and-read round trip.
TEST(Csv, FuzzerFoundRoundTripsHold) {
  const std::vector<std::vector<std::string>> tables = {
      {"v", "", "x"},                            // a lone empty field is not a blank line
      {"\xEF\xBB\xBF", "a"},                     // a header starting with a byte-order mark
      {"\x94\xD3I", "1.\"\"v", "caf\xC3\xA9"}};  // non-UTF-8 and UTF-8 bytes pass unchanged
  for (const auto& column : tables) {
    std::string text;
    for (const auto& field : column) text += io::csv_line({field});
    const io::CsvTable t = io::parse_csv(text, "t.csv");
    ASSERT_EQ(t.header, std::vector<std::string>{column[0]});
    ASSERT_EQ(t.rows.size(), column.size() - 1);
    for (size_t i = 1; i < column.size(); ++i) EXPECT_EQ(t.rows[i - 1][0], column[i]);
  }
}
