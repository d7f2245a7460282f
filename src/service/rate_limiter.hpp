#pragma once
/// @file
/// Fixed-window rate limiting for login and verification-code attempts.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace stratus::service {

/// At most `limit` events per key per `window`. Thread-safe. Memory is bounded:
/// past `max_keys` keys, expired windows are dropped, and if none has expired a
/// new key is not tracked until one does (tracked keys keep their limits). This
/// trades exactness under a flood of distinct keys for bounded memory.
///
/// State is per process: with several stratusd instances each enforces its own
/// window (docs/adr/0003-accounts.md).
class RateLimiter {
 public:
  RateLimiter(const Clock& clock, std::size_t limit, std::chrono::seconds window,
              std::size_t max_keys = 100000)
      : clock_(clock), limit_(limit), window_(window), max_keys_(max_keys) {}

  /// True if `key` is still under its limit (does not count an event).
  bool allowed(std::string_view key);
  /// Counts one event for `key`.
  void record(std::string_view key);
  /// Forgets `key` (e.g. after a successful login).
  void reset(std::string_view key);

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    std::size_t count = 0;
  };
  bool expired(const Window& w, std::chrono::steady_clock::time_point now) const {
    return now - w.start >= window_;
  }

  const Clock& clock_;
  std::size_t limit_;
  std::chrono::seconds window_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace stratus::service
