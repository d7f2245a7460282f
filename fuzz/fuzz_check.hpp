#pragma once
/// @file
/// What every fuzz target shares: the libFuzzer entry point's signature and the invariant
/// check. A violated invariant traps, which libFuzzer reports as a crash (and the replay
/// driver as a failed test), with the condition's text printed first.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

/// Traps when `cond` is false. Unlike STRATUS_ASSERT this is meant for outside input: it
/// checks a property the code under test promises for every input.
#define FUZZ_CHECK(cond)                                                             \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                              \
    }                                                                                \
  } while (false)

namespace stratus::fuzz {

/// The fuzz input as text (bytes, not necessarily UTF-8).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return size == 0 ? std::string_view{} : std::string_view{reinterpret_cast<const char*>(data), size};
}

/// Splits `text` at its first newline: (before, after). Without one: (text, "").
struct Split {
  std::string_view first;
  std::string_view rest;
};
inline Split split_line(std::string_view text) noexcept {
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos)
    return {text, {}};
  return {text.substr(0, nl), text.substr(nl + 1)};
}

}  // namespace stratus::fuzz
