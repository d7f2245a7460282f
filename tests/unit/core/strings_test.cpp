// Proves that trim strips exactly the given characters (ASCII whitespace by default,
// like std::isspace in the "C" locale) and that split_list splits, trims and drops
// empty items. How: literal inputs against expected outputs, and trim checked against
// std::isspace for every byte value.
#include "core/strings.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

namespace stratus {
namespace {

using List = std::vector<std::string>;

TEST(Trim, StripsAsciiWhitespaceAtBothEndsOnly) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim("\v\fx\f\v"), "x");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\n\v\f\r"), "");
  EXPECT_EQ(trim("\xc2\xa0x\xc2\xa0"), "\xc2\xa0x\xc2\xa0") << "UTF-8 no-break space is not ASCII";
}

TEST(Trim, DefaultSetIsWhatIsspaceAcceptsInTheCLocale) {
  for (int c = 0; c < 256; ++c) {
    const std::string s(1, static_cast<char>(c));
    EXPECT_EQ(trim(s).empty(), std::isspace(c) != 0) << "byte " << c;
  }
}

TEST(Trim, StripsOnlyTheGivenCharacters) {
  EXPECT_EQ(trim("  a\t ", " "), "a\t");
  EXPECT_EQ(trim("\v a \v", " \t\r\n"), "\v a \v");
  EXPECT_EQ(trim("--a-b--", "-"), "a-b");
  EXPECT_EQ(trim("abc", ""), "abc");
}

TEST(Trim, ReturnsAViewIntoTheInput) {
  const std::string text = "  abc  ";
  const auto view = trim(text);
  EXPECT_EQ(view.data(), text.data() + 2);
}

TEST(SplitList, SplitsOnCommasTrimsSpacesDropsEmptyItems) {
  EXPECT_EQ(split_list("a,b,c"), (List{"a", "b", "c"}));
  EXPECT_EQ(split_list(" a , b ,,c "), (List{"a", "b", "c"}));
  EXPECT_EQ(split_list("one"), (List{"one"}));
  EXPECT_EQ(split_list(""), List{});
  EXPECT_EQ(split_list(" , ,"), List{});
  EXPECT_EQ(split_list(",a,"), (List{"a"}));
  EXPECT_EQ(split_list("a b, c d"), (List{"a b", "c d"})) << "inner spaces are kept";
  EXPECT_EQ(split_list("\ta,b\t"), (List{"\ta", "b\t"})) << "only spaces are trimmed";
}

TEST(JoinList, PutsTheSeparatorBetweenItemsOnly) {
  EXPECT_EQ(join_list(List{}), "");
  EXPECT_EQ(join_list(List{"a"}), "a");
  EXPECT_EQ(join_list(List{"a", "b", "c"}), "a,b,c");
  EXPECT_EQ(join_list(List{"", "b"}), ",b") << "an empty first item keeps its place";
  EXPECT_EQ(join_list(List{"k=v", "x=y"}, "&"), "k=v&x=y");
  EXPECT_EQ(split_list(join_list(List{"a", "b"})), (List{"a", "b"}));
}

}  // namespace
}  // namespace stratus
