// Proves the fixed-window limiter counts per key, resets per window and stays bounded.
// How: a ManualClock moves time; no sleeps.
#include "service/rate_limiter.hpp"

#include <gtest/gtest.h>

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
