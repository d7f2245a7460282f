#pragma once
/// @file
/// Time as a dependency: code that needs "now" takes a `Clock&`, so tests can
/// drive time with `ManualClock` instead of sleeping.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace stratus {

/// Source of wall-clock and monotonic time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time (UTC), for timestamps that leave the process.
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
  /// Monotonic time, for timeouts and durations.
  [[nodiscard]] virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

/// The real clocks. Thread-safe; stateless.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

/// A clock that moves only when told to. Thread-safe (atomic offsets).
class ManualClock final : public Clock {
 public:
  /// Starts at `start` (wall clock); the steady clock starts at its epoch.
  explicit ManualClock(std::chrono::system_clock::time_point start)
      : wall_ns_(start.time_since_epoch().count()) {}

  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(
        std::chrono::system_clock::duration(wall_ns_.load()));
  }
  [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(steady_ns_.load()));
  }
  /// Moves both clocks forward by `d`.
  void advance(std::chrono::nanoseconds d) {
    wall_ns_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d).count();
    steady_ns_ += d.count();
  }

 private:
  std::atomic<std::chrono::system_clock::rep> wall_ns_;
  std::atomic<std::int64_t> steady_ns_{0};
};

/// Milliseconds since the Unix epoch: the unit of RainMaker connectivity
/// timestamps (spec rainmaker.md §9.1).
[[nodiscard]] inline std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace stratus
