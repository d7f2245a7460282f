#include "core/thread_name.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>

namespace stratus::core {

void name_this_thread(std::string_view name) noexcept {
  std::array<char, 16> buffer{};  // 15 bytes and the terminating zero (TASK_COMM_LEN)
  const auto n = std::min(name.size(), buffer.size() - 1);
  std::copy_n(name.data(), n, buffer.data());
  (void)pthread_setname_np(pthread_self(), buffer.data());
}

}  // namespace stratus::core
