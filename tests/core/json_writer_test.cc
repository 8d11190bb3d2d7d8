#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>

namespace tally {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(Quoted("plain"), "\"plain\"");
  EXPECT_EQ(Quoted(""), "\"\"");
  EXPECT_EQ(Quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quoted("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Quoted(std::string("x\0y\x1f", 4)), "\"x\\u0000y\\u001f\"");
  EXPECT_EQ(Quoted("\"start and end\""), "\"\\\"start and end\\\"\"");
  // Bytes >= 0x20 (UTF-8 included) pass through untouched.
  EXPECT_EQ(Quoted("caf\xc3\xa9 \x7f"), "\"caf\xc3\xa9 \x7f\"");
}

TEST(JsonWriterTest, DoublesPrintShortestRoundTrip) {
  EXPECT_EQ(FormatDouble(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatDouble(0.3), "0.3");
  EXPECT_EQ(FormatDouble(25.0), "25");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDouble(1e21), "1e+21");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::quiet_NaN()), "null");
}

TEST(JsonWriterTest, InsertsCommasAcrossNestingAndWritesNullForEmptyOptionals) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("a", int64_t{1});
  w.Key("list").BeginArray().Int(1).String("x").BeginObject().EndObject().Null().EndArray();
  w.Field("opt", std::optional<double>{});
  w.Field("set", std::optional<double>{2.5});
  w.Key("raw").Raw("{\"k\":[1,2]}");
  w.Field("b", true);
  w.EndObject();
  EXPECT_EQ(out, R"({"a":1,"list":[1,"x",{},null],"opt":null,"set":2.5,"raw":{"k":[1,2]},"b":true})");
}

}  // namespace
}  // namespace tally
