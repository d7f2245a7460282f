#pragma once
/// @file
/// The wall clock in milliseconds since the epoch, as the console stamps what it sees
/// (map entries, outcomes, status files). Thread-safe.

#include <chrono>
#include <cstdint>

namespace stratus::console::detail {

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace stratus::console::detail
