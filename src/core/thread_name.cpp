#include "core/thread_name.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace stratus::core {

void name_this_thread(std::string_view name) noexcept {
  std::array<char, 16> buffer{};  // 15 bytes and the terminating zero (TASK_COMM_LEN)
  const auto n = std::min(name.size(), buffer.size() - 1);
  std::copy_n(name.data(), n, buffer.data());
  (void)pthread_setname_np(pthread_self(), buffer.data());
}

Result<void> set_this_thread_nice(int nice) {
  if (nice < 0 || nice > 19)
    return fail(errc::invalid_argument, "nice value " + std::to_string(nice) + " not in 0-19");
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice) != 0) {
    const int err = errno;
    return fail(errc::forbidden,
                "setpriority(" + std::to_string(nice) + "): " + std::strerror(err));
  }
  return {};
}

int this_thread_nice() noexcept {
  errno = 0;
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
}

double this_thread_cpu_seconds() noexcept {
  timespec t{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0)
    return 0;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace stratus::core
