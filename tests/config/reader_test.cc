// Unit tests of the schema reader's value parsers.
#include "config/reader.h"

#include <gtest/gtest.h>

namespace shaobing::config {
namespace {

TEST(ParseDuration, AcceptsUnits) {
  EXPECT_DOUBLE_EQ(*parseDuration("30"), 30.0);
  EXPECT_DOUBLE_EQ(*parseDuration("30s"), 30.0);
  EXPECT_DOUBLE_EQ(*parseDuration("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(*parseDuration("5m"), 300.0);
  EXPECT_DOUBLE_EQ(*parseDuration("36h"), 129600.0);
  EXPECT_DOUBLE_EQ(*parseDuration("7d"), 604800.0);
}

TEST(ParseDuration, RejectsGarbage) {
  EXPECT_FALSE(parseDuration(""));
  EXPECT_FALSE(parseDuration("abc"));
  EXPECT_FALSE(parseDuration("5 weeks"));
  EXPECT_FALSE(parseDuration("-5s"));
}

TEST(ParseBytes, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(*parseBytes("65536"), 65536);
  EXPECT_EQ(*parseBytes("64KiB"), 65536);
  EXPECT_EQ(*parseBytes("2GiB"), 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(*parseBytes("10MB"), 10'000'000);
  EXPECT_FALSE(parseBytes("10 parsecs"));
  EXPECT_FALSE(parseBytes("99999999999999999999GiB"));
}

TEST(IsValidId, AllowsLettersDigitsDashUnderscoreDot) {
  EXPECT_TRUE(isValidId("door-b3_1.east"));
  EXPECT_FALSE(isValidId(""));
  EXPECT_FALSE(isValidId("has space"));
  EXPECT_FALSE(isValidId("slash/inside"));
  EXPECT_FALSE(isValidId("plus+"));
  EXPECT_FALSE(isValidId(std::string(65, 'a')));
}

TEST(MapReader, ReportsUnknownKeysWithPosition) {
  Diagnostics diag;
  {
    MapReader r(YAML::Load("a: 1\nbee: 2\n"), "root", diag);
    int a = 0;
    r.integer("a", a, 0, 10);
  }
  ASSERT_EQ(diag.items().size(), 1u);
  EXPECT_EQ(diag.items()[0].key_path, "root.bee");
  EXPECT_EQ(diag.items()[0].line, 2);
  EXPECT_EQ(diag.items()[0].column, 1);
  EXPECT_EQ(diag.items()[0].message, "unknown key");
}

TEST(MapReader, LeavesOutputUntouchedOnBadValue) {
  Diagnostics diag;
  MapReader r(YAML::Load("n: twelve\n"), "", diag);
  int n = 7;
  EXPECT_FALSE(r.integer("n", n, 0, 100));
  EXPECT_EQ(n, 7);
  EXPECT_EQ(diag.items().size(), 1u);
}

}  // namespace
}  // namespace shaobing::config
