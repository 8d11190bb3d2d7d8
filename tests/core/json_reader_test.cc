#include "core/json_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

namespace tally {
namespace {

class JsonReaderTest : public ::testing::Test {
 protected:
  Status Parse(std::string_view text) { return reader_.ParseValue(text, &value_); }
  bool Ok(std::string_view text) { return Parse(text).ok(); }
  std::vector<JsonMember> Members(std::string_view text) {
    std::vector<JsonMember> members;
    Status s = reader_.ParseObject(text, &members);
    EXPECT_TRUE(s.ok()) << s.message();
    return members;
  }

  JsonReader reader_;
  JsonValue value_;
};

TEST_F(JsonReaderTest, MembersInInputOrderWithKindsAndRawSpans) {
  std::string text = R"( {"b" : true, "a":null,"n": -12 ,"x":1.5,"s":"hi","o":{"k": [1, 2]}, "l":[] } )";
  auto m = Members(text);
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m[0].key, "b");
  EXPECT_EQ(m[0].value.kind, JsonKind::kBool);
  EXPECT_TRUE(m[0].value.boolean);
  EXPECT_EQ(m[1].value.kind, JsonKind::kNull);
  EXPECT_EQ(m[2].value.kind, JsonKind::kInteger);
  EXPECT_EQ(m[2].value.integer, -12);
  EXPECT_EQ(m[2].value.raw, "-12");
  EXPECT_EQ(m[3].value.kind, JsonKind::kNumber);
  EXPECT_EQ(m[3].value.number, 1.5);
  EXPECT_EQ(m[4].value.string, "hi");
  EXPECT_EQ(m[4].value.raw, "\"hi\"");
  EXPECT_EQ(m[5].value.kind, JsonKind::kObject);
  EXPECT_EQ(m[5].value.raw, R"({"k": [1, 2]})");  // byte for byte, inner whitespace kept, outer dropped
  EXPECT_EQ(m[6].value.kind, JsonKind::kArray);
}

TEST_F(JsonReaderTest, StringsWithoutEscapesPointIntoTheInput) {
  std::string text = R"({"key":"plain value"})";
  auto m = Members(text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_GE(m[0].value.string.data(), text.data());
  EXPECT_LT(m[0].value.string.data(), text.data() + text.size());
}

TEST_F(JsonReaderTest, EscapesAreDecoded) {
  ASSERT_TRUE(Ok(R"("a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00\u0000")"));
  std::string expected = "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  expected.push_back('\0');
  EXPECT_EQ(value_.string, expected);
  auto m = Members(R"({"k\u0065y":1})");
  EXPECT_EQ(m[0].key, "key");
}

TEST_F(JsonReaderTest, DecodedStringsStayValidUntilClear) {
  auto m = Members(R"({"a":"x\ny","b":"p\tq","c":"r\\s"})");
  EXPECT_EQ(m[0].value.string, "x\ny");
  EXPECT_EQ(m[1].value.string, "p\tq");
  EXPECT_EQ(m[2].value.string, "r\\s");
  JsonValue other;
  ASSERT_TRUE(reader_.ParseValue(R"("u\nv")", &other).ok());
  EXPECT_EQ(m[0].value.string, "x\ny");  // a second parse of the same event keeps the first's views
  EXPECT_EQ(other.string, "u\nv");
}

TEST_F(JsonReaderTest, IntegersAreLexical) {
  ASSERT_TRUE(Ok("42"));
  EXPECT_EQ(value_.kind, JsonKind::kInteger);
  for (const char* number : {"42.0", "4.2e1", "42e0", "1E2", "0.5", "-0.0"}) {
    ASSERT_TRUE(Ok(number)) << number;
    EXPECT_EQ(value_.kind, JsonKind::kNumber) << number;
  }
}

TEST_F(JsonReaderTest, NegativeZeroIsAnIntegerZeroWithNegativeDouble) {
  ASSERT_TRUE(Ok("-0"));
  EXPECT_EQ(value_.kind, JsonKind::kInteger);
  EXPECT_TRUE(value_.int_fits);
  EXPECT_EQ(value_.integer, 0);
  EXPECT_TRUE(std::signbit(value_.number));
}

TEST_F(JsonReaderTest, Int64OverflowIsReportedNotWrapped) {
  ASSERT_TRUE(Ok("9223372036854775807"));
  EXPECT_TRUE(value_.int_fits);
  EXPECT_EQ(value_.integer, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(Ok("-9223372036854775808"));
  EXPECT_TRUE(value_.int_fits);
  EXPECT_EQ(value_.integer, std::numeric_limits<int64_t>::min());
  ASSERT_TRUE(Ok("9223372036854775808"));
  EXPECT_EQ(value_.kind, JsonKind::kInteger);
  EXPECT_FALSE(value_.int_fits);
  EXPECT_DOUBLE_EQ(value_.number, 9223372036854775808.0);
  ASSERT_TRUE(Ok(std::string(500, '9')));
  EXPECT_FALSE(value_.int_fits);
  EXPECT_FALSE(value_.IsFiniteNumber());
}

TEST_F(JsonReaderTest, HugeNumbersAreValidJsonButNotFinite) {
  ASSERT_TRUE(Ok("1e400"));
  EXPECT_TRUE(std::isinf(value_.number));
  EXPECT_GT(value_.number, 0);
  EXPECT_FALSE(value_.IsFiniteNumber());
  ASSERT_TRUE(Ok("-1.5e400"));
  EXPECT_TRUE(std::isinf(value_.number));
  EXPECT_LT(value_.number, 0);
  ASSERT_TRUE(Ok("0.000001e309"));  // 1e303: in range despite the big exponent
  EXPECT_TRUE(value_.IsFiniteNumber());
  EXPECT_DOUBLE_EQ(value_.number, 1e303);
  ASSERT_TRUE(Ok("1e-400"));  // underflow is a finite zero
  EXPECT_TRUE(value_.IsFiniteNumber());
  EXPECT_EQ(value_.number, 0);
  ASSERT_TRUE(Ok("123456789e-420"));
  EXPECT_TRUE(value_.IsFiniteNumber());
}

TEST_F(JsonReaderTest, NumberGrammarIsStrict) {
  for (const char* bad : {"01", "-01", "00", "-", "+1", ".5", "1.", "1.e5", "1e", "1e+", "0x10", "NaN", "-NaN",
                          "Infinity", "-Infinity", "1_000", "١"}) {
    Status s = Parse(bad);
    EXPECT_EQ(s.code(), Code::kMalformed) << bad;
  }
  for (const char* good : {"0", "-0", "0.0", "0e0", "-1.25E+3", "1e-3", "10"}) EXPECT_TRUE(Ok(good)) << good;
}

TEST_F(JsonReaderTest, LiteralsAndStructure) {
  EXPECT_TRUE(Ok("true"));
  EXPECT_TRUE(Ok(" null "));
  EXPECT_TRUE(Ok("[1,[2,{}],\"x\"]"));
  for (const char* bad : {"", "  ", "tru", "nul", "True", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}",
                          "{'a':1}", "[1 2]", "{\"a\":1}}", "[", "{", "\"abc", "1 2", "\xef\xbb\xbf{}"}) {
    EXPECT_EQ(Parse(bad).code(), Code::kMalformed) << bad;
  }
}

TEST_F(JsonReaderTest, ParseObjectRequiresAnObject) {
  std::vector<JsonMember> members;
  EXPECT_EQ(reader_.ParseObject("[1]", &members).code(), Code::kMalformed);
  EXPECT_EQ(reader_.ParseObject("5", &members).code(), Code::kMalformed);
  EXPECT_TRUE(reader_.ParseObject(" {} ", &members).ok());
  EXPECT_TRUE(members.empty());
}

TEST_F(JsonReaderTest, DepthLimit) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(Ok(nested(kMaxJsonDepth)));
  Status s = Parse(nested(kMaxJsonDepth + 1));
  EXPECT_EQ(s.code(), Code::kMalformed);
  EXPECT_NE(s.message().find("nesting"), std::string::npos);
  std::string objects;
  for (int i = 0; i < kMaxJsonDepth; ++i) objects += "{\"a\":";
  EXPECT_TRUE(Ok(objects + "1" + std::string(kMaxJsonDepth, '}')));
  EXPECT_FALSE(Ok(objects + "{}" + std::string(kMaxJsonDepth, '}')));
  // Far deeper than the limit: rejected without exhausting the stack.
  EXPECT_FALSE(Ok(nested(1'000'000)));
}

TEST_F(JsonReaderTest, RepeatedKeysAtAnyDepth) {
  for (const char* bad : {R"({"a":1,"a":1})", R"({"a":1,"b":{"c":1,"c":2}})", R"([{"x":[{"y":1,"y":1}]}])",
                          R"({"a":1,"\u0061":2})", R"({"é":1,"\u00e9":2})"}) {
    Status s = Parse(bad);
    EXPECT_EQ(s.code(), Code::kMalformed) << bad;
    EXPECT_NE(s.message().find("repeated key"), std::string::npos) << bad;
  }
  EXPECT_TRUE(Ok(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})"));  // same name in different objects is fine
}

TEST_F(JsonReaderTest, RepeatedKeysInLargeObjects) {
  std::string text = "{";
  for (int i = 0; i < 5000; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  EXPECT_TRUE(Ok(text + "\"last\":0}"));
  Status s = Parse(text + "\"k4321\":0}");
  EXPECT_EQ(s.code(), Code::kMalformed);
  EXPECT_NE(s.message().find("\"k4321\""), std::string::npos) << s.message();
}

TEST_F(JsonReaderTest, StringsMustBeValidUtf8) {
  EXPECT_TRUE(Ok("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\""));
  for (std::string bad : {"\"\xff\"", "\"\x80\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"",
                          "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf8\x88\x80\x80\x80\"", "\"\xe2\x82\""}) {
    Status s = Parse(bad);
    EXPECT_EQ(s.code(), Code::kMalformed);
    EXPECT_NE(s.message().find("UTF-8"), std::string::npos) << s.message();
  }
}

TEST_F(JsonReaderTest, EscapeAndControlCharacterRules) {
  for (const char* bad : {R"("\ud800")", R"("\udfff")", R"("\ud800\u0041")", R"("\ud800\ud800")", R"("\ud83d")",
                          R"("\x41")", R"("\u12")", R"("\u12g4")", R"("\U0041")", R"("\)", "\"a\tb\"",
                          "\"a\nb\""}) {
    EXPECT_EQ(Parse(bad).code(), Code::kMalformed) << bad;
  }
  EXPECT_EQ(Parse(std::string("\"a\0b\"", 5)).code(), Code::kMalformed);
  EXPECT_TRUE(Ok(R"("\uDBFF\uDFFF")"));
  EXPECT_EQ(value_.string, "\xf4\x8f\xbf\xbf");
}

TEST_F(JsonReaderTest, ErrorsSayWhere) {
  Status s = Parse("[1, 2, x]");
  EXPECT_EQ(s.message(), "malformed JSON at byte 7: unexpected character 'x'");
}

// Seeded random JSON-ish text: the parser must always return, and whatever it accepts spans the whole
// (trimmed) input and re-parses to the same kind.
TEST_F(JsonReaderTest, RandomInputNeverCrashes) {
  std::mt19937 rng(42);
  const std::string alphabet = "{}[]\":,0123456789.eE-+ \t\n\\/utrfalsenx\x80\xc3\xa9\xff";
  int accepted = 0;
  for (int i = 0; i < 50'000; ++i) {
    std::string text;
    for (size_t n = rng() % 24; n > 0; --n) text.push_back(alphabet[rng() % alphabet.size()]);
    reader_.Clear();
    if (!Parse(text).ok()) continue;
    ++accepted;
    size_t b = text.find_first_not_of(" \t\n");
    size_t e = text.find_last_not_of(" \t\n");
    ASSERT_EQ(value_.raw, std::string_view(text).substr(b, e - b + 1)) << text;
    JsonValue again;
    ASSERT_TRUE(reader_.ParseValue(value_.raw, &again).ok()) << text;
    ASSERT_EQ(again.kind, value_.kind);
  }
  EXPECT_GT(accepted, 100);
}

TEST(Utf8Test, Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ab\xe2\x82"));        // truncated
  EXPECT_FALSE(IsValidUtf8("\xbf"));              // lone continuation
}

}  // namespace
}  // namespace tally
