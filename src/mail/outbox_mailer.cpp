#include "mail/outbox_mailer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "core/random.hpp"
#include "log/log.hpp"
#include "mail/detail/message.hpp"

namespace stratus::mail {
namespace {

Error os_error(const std::string& what, const std::filesystem::path& path, int err) {
  return Error{errc::unavailable,
               "outbox: " + what + " " + path.string() + ": " + std::strerror(err)};
}

Result<void> ensure_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec))
    return {};
  if (!dir.parent_path().empty())
    std::filesystem::create_directories(dir.parent_path(), ec);
  // mkdir with 0700 directly (not create + chmod) so the folder is never open to others.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(os_error("cannot create directory", dir, errno));
  }
  return {};
}

// Writes all of `data` to a new file (O_EXCL, 0600) and fsyncs it.
Result<void> write_new_file(const std::filesystem::path& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(os_error("cannot create", path, errno));
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return fail(os_error("cannot write", path, err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(os_error("cannot fsync", path, err));
  }
  if (::close(fd) != 0)
    return fail(os_error("cannot close", path, errno));
  return {};
}

// Makes the rename itself durable; best effort (a failure here loses nothing yet).
void sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

OutboxMailer::OutboxMailer(std::filesystem::path outbox_dir, const Clock& clock)
    : dir_(std::move(outbox_dir)), clock_(clock) {}

Result<void> OutboxMailer::send(const service::MailMessage& message) {
  if (auto r = detail::check_headers(message); !r)
    return r;
  if (auto r = ensure_dir(dir_); !r)
    return r;

  const auto now = clock_.now();
  const std::string name = detail::format_utc(now, "%Y%m%dT%H%M%SZ") + "-" + random_hex(4) + ".txt";
  const std::filesystem::path final_path = dir_ / name;
  const std::filesystem::path temp_path = dir_ / ("." + name + ".tmp");

  std::string content;
  content.reserve(message.body.size() + message.to.size() + message.subject.size() + 64);
  content += "To: " + message.to + "\n";
  content += "Subject: " + message.subject + "\n";
  content += "Date: " + detail::format_utc(now, "%Y-%m-%dT%H:%M:%SZ") + "\n\n";
  content += message.body + "\n";

  if (auto r = write_new_file(temp_path, content); !r) {
    std::remove(temp_path.c_str());
    return r;
  }
  if (std::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    std::remove(temp_path.c_str());
    return fail(os_error("cannot rename to", final_path, err));
  }
  sync_dir(dir_);
  log::info(log::Channel::service, "mail queued to outbox file={} to={}", final_path.string(),
            message.to);
  return {};
}

}  // namespace stratus::mail
