// Proves that argon2id hashes round-trip, reject wrong passwords and garbage
// (including hostile cost parameters), and that the password policy holds. How: real libsodium.
#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stratus::auth {
namespace {

const PasswordHashParams kFast = PasswordHashParams::minimal();

std::string hash(std::string_view password) {
  auto h = hash_password(password, kFast);
  EXPECT_TRUE(h.has_value()) << h.error().message();
  return h.value_or("");
}

TEST(PasswordHash, RoundTripsWithArgon2id) {
  const std::string encoded = hash("correct horse 1");
  EXPECT_TRUE(encoded.starts_with("$argon2id$v=19$m=8,t=1,p=1$")) << encoded;
  EXPECT_TRUE(verify_password(encoded, "correct horse 1"));
  EXPECT_FALSE(verify_password(encoded, "correct horse 2"));
  EXPECT_FALSE(verify_password(encoded, ""));
  EXPECT_FALSE(verify_password(encoded, "correct horse 1 "));
}

TEST(PasswordHash, SaltsEveryHash) {
  const std::string a = hash("same password 1");
  const std::string b = hash("same password 1");
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password(a, "same password 1"));
  EXPECT_TRUE(verify_password(b, "same password 1"));
}

TEST(PasswordHash, HandlesEmptyAndBinaryPasswords) {
  const std::string empty = hash("");
  EXPECT_TRUE(verify_password(empty, ""));
  EXPECT_FALSE(verify_password(empty, "x"));
  const std::string binary("p\0ss\xff", 5);
  const std::string encoded = hash(binary);
  EXPECT_TRUE(verify_password(encoded, binary));
  EXPECT_FALSE(verify_password(encoded, "p"));  // a C string API would stop at the NUL
}

TEST(PasswordHash, InteractiveParamsAreLibsodiumInteractive) {
  const auto params = PasswordHashParams::interactive();
  EXPECT_EQ(params.ops_limit, 2u);
  EXPECT_EQ(params.mem_limit_bytes, 64u * 1024 * 1024);
  const auto encoded = hash_password("pass word 9", params);
  ASSERT_TRUE(encoded.has_value()) << encoded.error().message();
  EXPECT_TRUE(encoded->starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << *encoded;
  EXPECT_TRUE(verify_password(*encoded, "pass word 9"));
  EXPECT_FALSE(needs_rehash(*encoded, params));
  EXPECT_TRUE(needs_rehash(*encoded, kFast));
}

TEST(PasswordHash, NeedsRehashWhenParamsDifferOrHashIsBad) {
  const std::string encoded = hash("abcdefg1");
  EXPECT_FALSE(needs_rehash(encoded, kFast));
  EXPECT_TRUE(needs_rehash(encoded, PasswordHashParams::interactive()));
  EXPECT_TRUE(needs_rehash(encoded, {kFast.ops_limit + 1, kFast.mem_limit_bytes}));
  EXPECT_TRUE(needs_rehash("", kFast));
  EXPECT_TRUE(needs_rehash("garbage", kFast));
}

TEST(PasswordHash, RejectsParamsOutOfRange) {
  for (const PasswordHashParams params :
       {PasswordHashParams{0, kFast.mem_limit_bytes}, PasswordHashParams{1, 1024},
        PasswordHashParams{17, kFast.mem_limit_bytes},
        PasswordHashParams{1, kMaxPasswordMemLimitBytes + 1}}) {
    const auto h = hash_password("abcdefg1", params);
    ASSERT_FALSE(h.has_value()) << params.ops_limit << " " << params.mem_limit_bytes;
    EXPECT_EQ(h.error().code, errc::invalid_argument);
  }
}

TEST(PasswordHash, GarbageEncodingsAreFalseNotCrashes) {
  const std::string good = hash("abcdefg1");
  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  // Well-shaped but corrupt: verification fails; needs_rehash only reads the
  // parameters, which are ours, so it says no.
  for (const std::string& corrupt : {good + "A", flipped}) {
    EXPECT_FALSE(verify_password(corrupt, "abcdefg1")) << corrupt;
    EXPECT_FALSE(needs_rehash(corrupt, kFast)) << corrupt;
  }
  const std::string cases[] = {
      "",
      "garbage",
      "$",
      "$argon2id$",
      "$argon2id$v=19$",
      "$argon2id$v=19$m=8,t=1,p=1$",
      "$argon2id$v=19$m=8,t=1,p=1$$",
      good.substr(0, good.size() / 2),
      good + std::string(1, '\0'),
      std::string(1, '\0') + good,
      std::string(300, 'a'),
      // Hostile costs: must be refused before libsodium tries to allocate or spin.
      "$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$v=19$m=8,t=4294967295,p=1$c29tZXNhbHRzb21lc2FsdA$"
      "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$v=19$m=99999999999999999999999,t=1,p=1$c29tZXNhbHQ$aGFzaA",
      "$argon2id$v=19$m=8,t=1,p=4$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$v=19$m=-8,t=1,p=1$c29tZXNhbHQ$aGFzaA",
      // Not ours: argon2i, scrypt, bcrypt.
      "$argon2i$v=19$m=8,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
      "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D",
      "$2b$12$abcdefghijklmnopqrstuuJ8yXyS4kQxRUqHQb0MZQWqT/qY4wQ2e",
  };
  for (const std::string& encoded : cases) {
    EXPECT_FALSE(verify_password(encoded, "abcdefg1")) << encoded;
    EXPECT_TRUE(needs_rehash(encoded, kFast)) << encoded;
  }
  EXPECT_TRUE(verify_password(good, "abcdefg1"));
}

TEST(PasswordPolicy, DefaultPolicyNeedsEightCharsALetterAndADigit) {
  const PasswordPolicy policy;
  const std::string message =
      "password must be at least 8 characters and contain a letter and a digit";
  for (const char* bad : {"", "abc1", "abcdefgh", "12345678", "        ", "!!!!!!!1"}) {
    const auto r = check_password_policy(bad, policy);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_EQ(r.error().context, message);
  }
  for (const char* good : {"abcdefg1", "1234567a", "Pass word 2024!", "p4ssw0rd"}) {
    EXPECT_TRUE(check_password_policy(good, policy).has_value()) << good;
  }
}

TEST(PasswordPolicy, MaxLengthAndCodePoints) {
  const PasswordPolicy policy;
  EXPECT_TRUE(check_password_policy(std::string(127, 'a') + "1", policy).has_value());
  const auto too_long = check_password_policy(std::string(128, 'a') + "1", policy);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().context, "password must be at most 128 characters");
  // "ä" is 2 bytes but 1 character; non-ASCII characters count as letters.
  EXPECT_TRUE(check_password_policy("\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
                                    "1",
                                    policy)
                  .has_value());
  EXPECT_FALSE(check_password_policy("\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
                                     "1",
                                     policy)
                   .has_value());
}

TEST(PasswordPolicy, CustomPolicies) {
  PasswordPolicy relaxed;
  relaxed.min_length = 4;
  relaxed.require_digit = false;
  EXPECT_TRUE(check_password_policy("abcd", relaxed).has_value());
  const auto r = check_password_policy("1234", relaxed);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().context, "password must be at least 4 characters and contain a letter");

  PasswordPolicy broken;
  broken.min_length = 10;
  broken.max_length = 5;
  EXPECT_EQ(check_password_policy("abcdefg1", broken).error().code, errc::invalid_argument);
}

}  // namespace
}  // namespace stratus::auth
