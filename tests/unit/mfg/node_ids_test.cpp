// Proves local node ids have the shortuuid shape (22 characters of the base-57 alphabet,
// version-4 UUID inside) and that ids from files are checked before use. How: decode
// generated ids back to 128 bits and look at the version and variant bits; bad id lists.
#include "mfg/node_ids.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace stratus::mfg {
namespace {

// Decodes a base-57 shortuuid back to 16 big-endian bytes.
std::array<unsigned, 16> decode(const std::string& id) {
  std::array<unsigned, 16> number{};
  for (const char c : id) {
    unsigned carry = static_cast<unsigned>(kShortUuidAlphabet.find(c));
    for (std::size_t i = number.size(); i-- > 0;) {
      const unsigned value = number[i] * 57U + carry;
      number[i] = value & 0xFFU;
      carry = value >> 8U;
    }
    EXPECT_EQ(carry, 0U) << id;
  }
  return number;
}

TEST(NodeIds, ShortUuidShape) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = generate_node_id();
    ASSERT_EQ(id.size(), kShortUuidLength);
    for (const char c : id)
      ASSERT_NE(kShortUuidAlphabet.find(c), std::string_view::npos) << id;
    const auto bytes = decode(id);
    EXPECT_EQ(bytes[6] >> 4U, 4U) << id;  // UUID version 4
    EXPECT_EQ(bytes[8] >> 6U, 2U) << id;  // RFC 9562 variant
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2000U);
  EXPECT_EQ(kShortUuidAlphabet.size(), 57U);
  const auto ids = generate_node_ids(100);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 100U);
}

TEST(NodeIds, CheckRefusesBadIds) {
  EXPECT_TRUE(check_node_ids(
      std::vector<std::string>{"T2uNDXPMS9nj9vpKjs2QG8", "AABBCCDDEEFF", "a-b_c.d"}));
  const auto refused = [](std::vector<std::string> ids) {
    const auto result = check_node_ids(ids);
    return !result && result.error().code == errc::invalid_argument;
  };
  EXPECT_TRUE(refused({""}));
  EXPECT_TRUE(refused({std::string(kMaxNodeIdBytes + 1, 'a')}));
  EXPECT_FALSE(refused({std::string(kMaxNodeIdBytes, 'a')}));
  EXPECT_TRUE(refused({"a/b"}));
  EXPECT_TRUE(refused({"a b"}));
  EXPECT_TRUE(refused({"a,b"}));
  EXPECT_TRUE(refused({"x", "y", "x"}));
  const auto message = check_node_ids(std::vector<std::string>{"ok", "../x"}).error().context;
  EXPECT_NE(message.find("#2"), std::string::npos) << message;
}

}  // namespace
}  // namespace stratus::mfg
