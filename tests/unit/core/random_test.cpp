// Proves that the random helpers produce the documented shapes: hex of the right length,
// alphanumerics, and version-4 UUIDs with the RFC 9562 version and variant bits. How:
// many draws checked character by character (shapes only; randomness is the kernel's).
#include "core/random.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace stratus {
namespace {

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

TEST(Random, HexHasTwoLowerCaseDigitsPerByte) {
  EXPECT_EQ(random_hex(0), "");
  const auto hex = random_hex(16);
  ASSERT_EQ(hex.size(), 32u);
  for (const char c : hex) {
    EXPECT_TRUE(is_lower_hex(c)) << hex;
  }
}

TEST(Random, AlnumIsLettersAndDigits) {
  const auto id = random_alnum(22);
  ASSERT_EQ(id.size(), 22u);
  for (const char c : id) {
    EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << id;
  }
}

TEST(Random, UuidV4HasTheTextFormVersionAndVariant) {
  std::set<std::string> seen;
  std::set<char> variants;
  for (int i = 0; i < 200; ++i) {
    const auto uuid = uuid_v4();
    ASSERT_EQ(uuid.size(), 36u) << uuid;
    for (std::size_t k = 0; k < uuid.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        EXPECT_EQ(uuid[k], '-') << uuid;
      } else {
        EXPECT_TRUE(is_lower_hex(uuid[k])) << uuid;
      }
    }
    EXPECT_EQ(uuid[14], '4') << uuid;
    EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;
    variants.insert(uuid[19]);
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(variants.size(), 4u) << "all four variant digits appear in 200 draws";
}

}  // namespace
}  // namespace stratus
