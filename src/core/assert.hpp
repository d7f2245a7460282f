#pragma once
/// @file
/// `STRATUS_ASSERT(cond, why)`: programmer errors crash, loudly and at once.
/// Never use it on outside input; that gets a `Result` error instead.

namespace stratus::detail {
/// Prints "assertion failed: <expr> (<why>) at <file>:<line>" to stderr and aborts.
[[noreturn]] void assert_fail(const char* expr, const char* why, const char* file,
                              int line) noexcept;
}  // namespace stratus::detail

#define STRATUS_ASSERT(cond, why)                                     \
  do {                                                                \
    if (!(cond))                                                      \
      ::stratus::detail::assert_fail(#cond, why, __FILE__, __LINE__); \
  } while (false)
