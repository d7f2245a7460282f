// Proves that errors carry their code and context into messages.
// How: builds failing Results and checks value/error access.
#include "core/error.hpp"

#include <gtest/gtest.h>

namespace stratus {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0)
    return fail(errc::invalid_argument, "must be positive");
  return v;
}

TEST(Error, ResultCarriesValueOrError) {
  EXPECT_EQ(parse_positive(3).value(), 3);
  const auto r = parse_positive(-1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_EQ(r.error().message(), "invalid_argument: must be positive");
}

TEST(Error, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(errc::internal); ++c) {
    EXPECT_NE(to_string(static_cast<errc>(c)), "unknown");
  }
}

}  // namespace
}  // namespace stratus
