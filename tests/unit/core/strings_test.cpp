// Proves that trim strips exactly the given characters (ASCII whitespace by default,
// like std::isspace in the "C" locale), that split_list splits, trims and drops
// empty items, and that append_json_string writes a literal a JSON parser reads back as
// the input. How: literal inputs against expected outputs; trim checked against
// std::isspace and append_json_string against Boost.JSON's parser for every byte value.
#include "core/strings.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
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

TEST(AppendJsonString, EscapesQuotesBackslashesAndControlCharactersOnly) {
  std::string out = "x";
  append_json_string(out, "");
  EXPECT_EQ(out, "x\"\"") << "appends, and an empty text is two quotes";
  out.clear();
  append_json_string(out, "a\"b\\c\n\x1f\x7f/\xc3\xa9");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u001f\x7f/\xc3\xa9\"");
}

TEST(AppendJsonString, EveryByteReadsBackUnchanged) {
  for (int c = 0; c < 256; ++c) {
    const std::string text = std::string("<") + static_cast<char>(c) + ">";
    std::string out;
    append_json_string(out, text);
    if (c >= 0x80) {  // copied as is (alone it is not UTF-8, which the parser refuses)
      EXPECT_EQ(out, '"' + text + '"') << "byte " << c;
      continue;
    }
    boost::system::error_code ec;
    const auto v = boost::json::parse(out, ec);
    ASSERT_FALSE(ec) << "byte " << c << ": " << out;
    ASSERT_TRUE(v.is_string());
    EXPECT_EQ(std::string_view(v.get_string()), text) << "byte " << c;
  }
}

}  // namespace
}  // namespace stratus
