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

// The escaper looks at 8 bytes at a time: every byte that needs an escape, at every position of strings of every
// length around the word size, next to UTF-8 and 0x7f, must come out as the one-byte-at-a-time rule says.
TEST(JsonWriterTest, EscapesAtEveryPositionAndLength) {
  auto reference = [](std::string_view in) {
    std::string out = "\"";
    for (unsigned char c : in) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c < 0x20) out += "\\u00" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 0xF];
      else out.push_back(static_cast<char>(c));
    }
    return out + "\"";
  };
  const std::string specials = std::string("\"\\\n\x01\x1f\0", 6);
  const std::string harmless = "a\x7f\xc3\xa9 ~!#";  // just above and below the escaped ranges
  for (size_t length = 0; length <= 40; ++length) {
    std::string base;
    for (size_t i = 0; i < length; ++i) base.push_back(harmless[i % harmless.size()]);
    EXPECT_EQ(Quoted(base), reference(base)) << length;
    for (size_t pos = 0; pos < length; ++pos) {
      for (char special : specials) {
        std::string s = base;
        s[pos] = special;
        ASSERT_EQ(Quoted(s), reference(s)) << "length " << length << " position " << pos << " byte "
                                           << static_cast<int>(static_cast<unsigned char>(special));
      }
    }
  }
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
