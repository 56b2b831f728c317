#include <gtest/gtest.h>

#include "core/error.h"
#include "io/csv.h"

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
