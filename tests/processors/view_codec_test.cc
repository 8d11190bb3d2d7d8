// The order-preserving string encoding every view key is built with (processors/view_codec.h).
#include "processors/view_codec.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace tally {
namespace {

std::string Encoded(std::string_view s) {
  std::string out;
  AppendOrderedString(&out, s);
  return out;
}

TEST(OrderedStringTest, EscapesZeroBytesAndEndsWithTheTerminator) {
  std::string out = "k";
  AppendOrderedString(&out, std::string("a\0b\0", 4));
  EXPECT_EQ(out, std::string("ka\0\xFF"
                             "b\0\xFF"
                             "\0\x01",
                             9));
  EXPECT_EQ(Encoded(""), std::string("\0\x01", 2));
  EXPECT_EQ(Encoded("store-7"), std::string("store-7\0\x01", 9));
}

// Every string of up to 4 bytes over {0x00, 0x01, 'a', 0xFF}: decoding gives it back, the encodings sort as the
// strings do, and none is a prefix of another.
TEST(OrderedStringTest, RoundTripsKeepsOrderAndIsPrefixFree) {
  const char alphabet[] = {'\0', '\x01', 'a', '\xFF'};
  std::vector<std::string> strings = {""};
  for (size_t begin = 0, length = 1; length <= 4; ++length) {
    size_t end = strings.size();
    for (size_t i = begin; i < end; ++i) {
      for (char c : alphabet) strings.push_back(strings[i] + c);
    }
    begin = end;
  }
  ASSERT_EQ(strings.size(), 1u + 4 + 16 + 64 + 256);
  for (const std::string& s : strings) {
    std::string encoded = Encoded(s) + "rest";
    std::string_view in = encoded;
    std::optional<std::string> decoded = ConsumeOrderedString(&in);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, s);
    EXPECT_EQ(in, "rest");
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const std::string& a = strings[rng() % strings.size()];
    const std::string& b = strings[rng() % strings.size()];
    std::string ea = Encoded(a), eb = Encoded(b);
    EXPECT_EQ(a < b, ea < eb) << i;
    if (a != b) {
      EXPECT_NE(eb.compare(0, ea.size(), ea), 0) << i;  // ea is not a prefix of eb
    }
  }
}

}  // namespace
}  // namespace tally
