#pragma once
// Hex helpers and a scripted random source for the protocomm tests.

#include <cstdint>
#include <deque>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "protocomm/security.hpp"

namespace stratus::protocomm::test {

inline std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

inline std::string hex(std::string_view b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : b) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(kDigits[u >> 4U]);
    out.push_back(kDigits[u & 0xFU]);
  }
  return out;
}

/// Hands out the given chunks in order; each draw must ask for exactly the next chunk's
/// size (so a test also pins the order and sizes in which an engine draws its secrets).
inline RandomSource scripted(std::deque<std::string> chunks) {
  auto shared = std::make_shared<std::deque<std::string>>(std::move(chunks));
  return [shared](std::span<std::uint8_t> out) {
    if (shared->empty() || shared->front().size() != out.size()) {
      throw std::logic_error("scripted random: unexpected draw of " + std::to_string(out.size()) +
                             " bytes");
    }
    const auto& next = shared->front();
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<std::uint8_t>(next[i]);
    }
    shared->pop_front();
  };
}

}  // namespace stratus::protocomm::test
