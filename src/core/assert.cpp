#include "core/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace stratus::detail {

void assert_fail(const char* expr, const char* why, const char* file, int line) noexcept {
  std::fprintf(stderr, "assertion failed: %s (%s) at %s:%d\n", expr, why, file, line);
  std::abort();
}

}  // namespace stratus::detail
