#include "console/fluentd.hpp"

#include <msgpuck.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace stratus::console {
namespace {

// Waits until `fd` is ready for `events` or `timeout` passes.
bool wait_ready(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  int rc = 0;
  do {
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0;
}

}  // namespace

FluentdSender::FluentdSender(FluentdSettings settings, std::chrono::milliseconds timeout,
                             std::chrono::milliseconds retry_after)
    : settings_(std::move(settings)), timeout_(timeout), retry_after_(retry_after) {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0)
    host_ = name;
}

FluentdSender::~FluentdSender() {
  close();
}

void FluentdSender::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

bool FluentdSender::connect() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_)
    return false;
  next_attempt_ = now + retry_after_;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(settings_.port);
  if (::getaddrinfo(settings_.hostname.c_str(), port.c_str(), &hints, &found) != 0)
    return false;
  for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS && wait_ready(fd, POLLOUT, timeout_)) {
      int err = 0;
      socklen_t len = sizeof err;
      rc = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0 ? 0 : -1;
    }
    if (rc == 0)
      fd_ = fd;
    else
      ::close(fd);
  }
  ::freeaddrinfo(found);
  return fd_ >= 0;
}

std::string FluentdSender::encode(std::string_view tag, std::int64_t time_s,
                                  const std::vector<std::pair<std::string, std::string>>& record) {
  const auto str_size = [](std::size_t n) { return mp_sizeof_str(static_cast<std::uint32_t>(n)); };
  std::size_t size =
      mp_sizeof_array(3) + str_size(tag.size()) +
      (time_s < 0 ? mp_sizeof_int(time_s) : mp_sizeof_uint(static_cast<std::uint64_t>(time_s))) +
      mp_sizeof_map(static_cast<std::uint32_t>(record.size()));
  for (const auto& [k, v] : record)
    size += str_size(k.size()) + str_size(v.size());
  std::string out(size, '\0');
  char* p = out.data();
  p = mp_encode_array(p, 3);
  p = mp_encode_str(p, tag.data(), static_cast<std::uint32_t>(tag.size()));
  p = time_s < 0 ? mp_encode_int(p, time_s) : mp_encode_uint(p, static_cast<std::uint64_t>(time_s));
  p = mp_encode_map(p, static_cast<std::uint32_t>(record.size()));
  for (const auto& [k, v] : record) {
    p = mp_encode_str(p, k.data(), static_cast<std::uint32_t>(k.size()));
    p = mp_encode_str(p, v.data(), static_cast<std::uint32_t>(v.size()));
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
  return out;
}

bool FluentdSender::post(std::string_view level, std::string_view message,
                         const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::pair<std::string, std::string>> record;
  record.reserve(fields.size() + 4);
  record.emplace_back("host", host_);
  record.emplace_back("where", "stratus-console");
  record.emplace_back("type", std::string(level));
  record.emplace_back("message", std::string(message));
  record.insert(record.end(), fields.begin(), fields.end());
  const auto now = std::chrono::system_clock::now();
  const auto bytes = encode(
      settings_.tag + "." + settings_.record,
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(), record);
  if (fd_ < 0 && !connect()) {
    ++dropped_;
    return false;
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_ready(fd_, POLLOUT, timeout_))
      continue;
    // A half-written record would corrupt the stream: drop the connection with it.
    close();
    ++dropped_;
    return false;
  }
  return true;
}

}  // namespace stratus::console
