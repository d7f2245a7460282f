// Proves the user-name Unicode rules of issue 13 (Low 10): NFKC folds equivalent
// spellings, invisible/control/bidi characters are refused, and a part that mixes
// scripts like a look-alike is refused while single-script names pass.
// How: feeds strings written with explicit code points.
#include "auth/user_names.hpp"

#include <gtest/gtest.h>

namespace stratus::auth {
namespace {

TEST(UserNames, NfkcFoldsEquivalentSpellings) {
  EXPECT_EQ(*nfkc_normalize("alice"), "alice");
  EXPECT_EQ(*nfkc_normalize("\xEF\xBD\x81lice"), "alice");       // U+FF41 full-width a
  EXPECT_EQ(*nfkc_normalize("a\xEF\xBC\xA0" "b"), "a@b");        // U+FF20 full-width @
  EXPECT_EQ(*nfkc_normalize("\xEF\xAC\x81le"), "file");          // U+FB01 ligature fi
  EXPECT_EQ(*nfkc_normalize("mu\xCC\x88nchen"), "m\xC3\xBCnchen");  // u + combining diaeresis
}

TEST(UserNames, InvisibleControlAndBidiCharactersAreRefused) {
  for (const char* bad : {"ali\xE2\x80\xAE" "ecil",  // U+202E right-to-left override
                          "al\xE2\x80\x8Bice",       // U+200B zero-width space
                          "al\xEF\xBB\xBFice",       // U+FEFF BOM
                          "al\x01ice",               // C0 control
                          "al\xC2\x85ice",           // U+0085 C1 control
                          "al\xE2\x80\xA8ice",       // U+2028 line separator
                          "al\xEE\x80\x80ice",       // U+E000 private use
                          "al ice"}) {
    const auto r = nfkc_normalize(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
  }
  const auto invalid_utf8 = nfkc_normalize("al\xC3ice");
  ASSERT_FALSE(invalid_utf8);
  EXPECT_NE(invalid_utf8.error().context.find("UTF-8"), std::string::npos);
}

TEST(UserNames, MixedScriptLookAlikesAreRefusedSingleScriptsPass) {
  EXPECT_FALSE(check_not_spoofable("\xD0\xB0lice"));     // Cyrillic а + Latin lice
  EXPECT_FALSE(check_not_spoofable("p\xD0\xB0ypal.com"));  // Cyrillic а inside a domain
  EXPECT_TRUE(check_not_spoofable("alice"));
  EXPECT_TRUE(check_not_spoofable("example.com"));
  EXPECT_TRUE(check_not_spoofable("\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD"));  // иван
  EXPECT_TRUE(check_not_spoofable("m\xC3\xBCnchen.de"));
  EXPECT_TRUE(check_not_spoofable("\xE5\xB1\xB1\xE7\x94\xB0"));  // 山田
}

TEST(UserNames, DomainsLowerCaseWithUnicodeRules) {
  EXPECT_EQ(*unicode_lower("EXAMPLE.COM"), "example.com");
  EXPECT_EQ(*unicode_lower("M\xC3\x9CNCHEN.DE"), "m\xC3\xBCnchen.de");  // MÜNCHEN
}

}  // namespace
}  // namespace stratus::auth
