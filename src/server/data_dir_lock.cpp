#include "server/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace stratus::server {

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir, Mode mode) {
  const auto path = data_dir / kFileName;
  if (mode == Mode::create) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec)
      return fail(errc::unavailable, "cannot create " + data_dir.string() + ": " + ec.message());
    ::chmod(data_dir.c_str(), 0700);
  }
  const int flags = O_RDWR | O_CLOEXEC | (mode == Mode::create ? O_CREAT : 0);
  DataDirLock lock(::open(path.c_str(), flags, 0600));
  if (lock.fd_ < 0) {
    if (mode == Mode::if_present && errno == ENOENT)
      return DataDirLock{};
    return fail(errc::unavailable, "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  if (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0)
    return fail(errc::conflict, "another stratusd is using " + data_dir.string());
  if (mode == Mode::create) {
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock.fd_, 0) != 0 || ::write(lock.fd_, pid.data(), pid.size()) < 0)
      return fail(errc::unavailable, "cannot write " + path.string());
  }
  return lock;
}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void DataDirLock::release() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace stratus::server
