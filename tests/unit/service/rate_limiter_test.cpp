// Proves the fixed-window limiter counts per key, resets per window and stays bounded.
// How: a ManualClock moves time; no sleeps.
#include "service/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stratus::service {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, LimitsPerKeyWithinAWindow) {
  ManualClock clock(std::chrono::system_clock::now());
  RateLimiter limiter(clock, 3, 60s);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.allowed("a"));
    limiter.record("a");
  }
  EXPECT_FALSE(limiter.allowed("a"));
  EXPECT_TRUE(limiter.allowed("b"));
  clock.advance(60s);
  EXPECT_TRUE(limiter.allowed("a"));
  limiter.record("a");
  EXPECT_TRUE(limiter.allowed("a"));
  limiter.reset("a");
  EXPECT_TRUE(limiter.allowed("a"));
}

// Two instances of a cluster (docs/adr/0021): what one counts, the other applies through
// the observer, so together they allow what one would; shared counts are not echoed.
TEST(RateLimiter, TwoInstancesShareTheirCountsThroughTheObserver) {
  ManualClock clock(std::chrono::system_clock::now());
  std::vector<std::string> told;
  RateLimiter b(clock, 4, 60s);
  RateLimiter a(clock, 4, 60s, 100, [&](std::string_view key, bool reset) {
    told.push_back(std::string(key) + (reset ? ":reset" : ""));
    if (reset)
      b.reset_shared(key);
    else
      b.record_shared(key);
  });
  a.record("u");
  a.record("u");
  b.record("u");  // b's own count; b has no observer here
  b.record("u");
  EXPECT_FALSE(b.allowed("u")) << "a's two and b's two make four";
  EXPECT_TRUE(a.allowed("u")) << "b told a nothing in this direction";
  a.reset("u");
  EXPECT_TRUE(b.allowed("u"));
  a.record_shared("v");  // applied, not echoed
  EXPECT_EQ(told, (std::vector<std::string>{"u", "u", "u:reset"}));
}

TEST(RateLimiter, MemoryIsBoundedAndTrackedKeysKeepTheirLimits) {
  ManualClock clock(std::chrono::system_clock::now());
  RateLimiter limiter(clock, 1, 60s, 2);
  limiter.record("a");
  limiter.record("b");
  limiter.record("c");  // no room: not tracked, so "c" stays allowed...
  EXPECT_TRUE(limiter.allowed("c"));
  EXPECT_FALSE(limiter.allowed("a"));  // ...but tracked keys keep their limits
  clock.advance(61s);
  limiter.record("c");  // expired windows make room
  EXPECT_FALSE(limiter.allowed("c"));
}

}  // namespace
}  // namespace stratus::service
