// Proves that random tokens, verification codes, SHA-256 hex and the
// constant-time compare have the promised shapes. How: known vectors, many draws.
#include "auth/secrets.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

namespace stratus::auth {
namespace {

TEST(RandomToken, IsUnpaddedBase64UrlOfTheRightLength) {
  const std::string token = random_token(32);
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(random_token(0), "");
  EXPECT_EQ(random_token(1).size(), 2u);
  EXPECT_EQ(random_token(3).size(), 4u);
}

TEST(RandomToken, DrawsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i)
    seen.insert(random_token(16));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Sha256Hex, MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string("a\0b", 3)).size(), 64u);
}

TEST(VerificationCode, HasExactlyTheDigitsAskedFor) {
  EXPECT_EQ(verification_code().size(), 6u);
  for (int digits = 1; digits <= 64; ++digits) {
    const std::string code = verification_code(digits);
    ASSERT_EQ(code.size(), static_cast<std::size_t>(digits));
    EXPECT_EQ(code.find_first_not_of("0123456789"), std::string::npos) << code;
  }
}

TEST(VerificationCode, EveryDigitAppearsInEveryPositionIncludingLeadingZeros) {
  // 2000 draws: the chance that some digit never shows in some position is ~6 * 10 * 0.9^2000.
  std::array<std::array<int, 10>, 6> counts{};
  for (int i = 0; i < 2000; ++i) {
    const std::string code = verification_code(6);
    for (std::size_t pos = 0; pos < 6; ++pos) {
      ++counts[pos][static_cast<std::size_t>(code[pos] - '0')];
    }
  }
  for (std::size_t pos = 0; pos < 6; ++pos) {
    for (std::size_t d = 0; d < 10; ++d)
      EXPECT_GT(counts[pos][d], 0) << pos << " " << d;
  }
}

TEST(ConstantTimeEqual, ComparesBytes) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal(std::string("a\0c", 3), std::string("a\0c", 3)));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_FALSE(constant_time_equal(std::string("a\0c", 3), std::string("a\0d", 3)));
}

}  // namespace
}  // namespace stratus::auth
