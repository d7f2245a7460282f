// Proves that to_hex and from_hex are inverse for every byte value, that from_hex takes
// either case and refuses odd lengths, prefixes and non-hex characters, and that
// hex_digit knows exactly the 22 hex characters. How: all 256 bytes round-tripped, literal
// refusals, every char value.
#include "core/hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stratus {
namespace {

TEST(Hex, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b)
    all.push_back(static_cast<char>(b));
  const auto text = to_hex(all);
  ASSERT_EQ(text.size(), 512u);
  EXPECT_EQ(text.substr(0, 6), "000102");
  EXPECT_EQ(text.substr(506), "fdfeff");
  EXPECT_EQ(from_hex(text), all);
}

TEST(Hex, ReadsEitherCase) {
  EXPECT_EQ(from_hex("ABcd"), std::string("\xab\xcd"));
  EXPECT_EQ(from_hex("01"), std::string("\x01"));
  EXPECT_EQ(from_hex(""), std::string());
}

TEST(Hex, DigitsAreTheTwentyTwoHexCharacters) {
  int digits = 0;
  for (int c = -128; c < 128; ++c) {
    const int v = hex_digit(static_cast<char>(c));
    EXPECT_TRUE(v >= -1 && v < 16);
    digits += v >= 0 ? 1 : 0;
  }
  EXPECT_EQ(digits, 22);
  EXPECT_EQ(hex_digit('f'), 15);
  EXPECT_EQ(hex_digit('F'), 15);
  EXPECT_EQ(hex_digit('g'), -1);
}

TEST(Hex, RefusesOddLengthsAndOtherCharacters) {
  EXPECT_EQ(from_hex("abc"), std::nullopt);
  EXPECT_EQ(from_hex("zz"), std::nullopt);
  EXPECT_EQ(from_hex("0x0f"), std::nullopt);  // no prefix
  EXPECT_EQ(from_hex("0g"), std::nullopt);
  EXPECT_EQ(from_hex(" 01"), std::nullopt);
  EXPECT_EQ(from_hex("-1"), std::nullopt);
}

}  // namespace
}  // namespace stratus
