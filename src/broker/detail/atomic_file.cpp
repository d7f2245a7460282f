#include "broker/detail/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace stratus::broker::detail {

Result<void> replace_file(const std::filesystem::path& file, std::string_view content,
                          mode_t mode) {
  const auto tmp = file.string() + ".tmp";
  const auto os_error = [&](std::string what) {
    return fail(errc::unavailable, what + " " + tmp + ": " + std::strerror(errno));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return os_error("cannot create");
  // O_CREAT applies `mode` only to a new file: a leftover .tmp keeps its own bits.
  if (::fchmod(fd, mode) != 0) {
    auto e = os_error("cannot chmod");
    ::close(fd);
    return e;
  }
  std::string_view rest = content;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      auto e = os_error("cannot write");
      ::close(fd);
      return e;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    auto e = os_error("cannot sync");
    ::close(fd);
    return e;
  }
  if (::close(fd) != 0)
    return os_error("cannot close");
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    return fail(errc::unavailable,
                "cannot rename " + tmp + " to " + file.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace stratus::broker::detail
