#pragma once
/// @file
/// Fixed-window rate limiting for login and verification-code attempts.

#include <chrono>
#include <cstddef>
#include <functional>
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
/// State is per process; several stratusd instances share their counts through the
/// observer (each `record` and `reset` is told to the others, who apply it with
/// `record_shared`/`reset_shared`, docs/adr/0021).
class RateLimiter {
 public:
  /// Told after each `record` (reset = false) and `reset` (reset = true), on the
  /// caller's thread, outside the limiter's lock. Must not block.
  using Observer = std::function<void(std::string_view key, bool reset)>;

  RateLimiter(const Clock& clock, std::size_t limit, std::chrono::seconds window,
              std::size_t max_keys = 100000, Observer observer = {})
      : clock_(clock),
        limit_(limit),
        window_(window),
        max_keys_(max_keys),
        observer_(std::move(observer)) {}

  /// True if `key` is still under its limit (does not count an event).
  bool allowed(std::string_view key);
  /// Counts one event for `key`, and tells the observer.
  void record(std::string_view key);
  /// Forgets `key` (e.g. after a successful login), and tells the observer.
  void reset(std::string_view key);
  /// `record` and `reset` of an event another instance counted: the observer is not told.
  void record_shared(std::string_view key);
  void reset_shared(std::string_view key);

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
  Observer observer_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace stratus::service
