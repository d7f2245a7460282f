#include "system/fluentd_listener.hpp"

#include <gtest/gtest.h>
#include <msgpuck.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace stratus::test {

FluentdListener::FluentdListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
  EXPECT_EQ(::listen(fd_, 4), 0);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

FluentdListener::~FluentdListener() {
  stop_ = true;
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  thread_.join();
}

std::vector<FluentdRecord> FluentdListener::records() const {
  const std::lock_guard lock(mutex_);
  return records_;
}

bool FluentdListener::wait_for(const std::function<bool(const FluentdRecord&)>& match,
                               std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  do {
    for (const auto& r : records()) {
      if (match(r))
        return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

void FluentdListener::run() {
  while (!stop_) {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0)
      return;
    std::string buffer;
    char chunk[4096];
    ssize_t n = 0;
    while ((n = ::read(c, chunk, sizeof chunk)) > 0) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      decode(buffer);
    }
    ::close(c);
  }
}

void FluentdListener::decode(std::string& buffer) {
  for (;;) {
    const char* p = buffer.data();
    const char* check = p;
    if (buffer.empty() || mp_check(&check, buffer.data() + buffer.size()) != 0)
      return;  // incomplete (or garbage, which the test then misses)
    FluentdRecord record;
    if (mp_typeof(*p) == MP_ARRAY && mp_decode_array(&p) == 3 && mp_typeof(*p) == MP_STR) {
      std::uint32_t len = 0;
      const char* tag = mp_decode_str(&p, &len);
      record.tag.assign(tag, len);
      mp_next(&p);  // time
      if (mp_typeof(*p) == MP_MAP) {
        for (std::uint32_t m = mp_decode_map(&p); m > 0; --m) {
          if (mp_typeof(*p) != MP_STR) {
            mp_next(&p);
            mp_next(&p);
            continue;
          }
          const char* k = mp_decode_str(&p, &len);
          const std::string key(k, len);
          if (mp_typeof(*p) == MP_STR) {
            const char* v = mp_decode_str(&p, &len);
            record.fields[key].assign(v, len);
          } else {
            mp_next(&p);
          }
        }
      }
    }
    {
      const std::lock_guard lock(mutex_);
      records_.push_back(std::move(record));
    }
    buffer.erase(0, static_cast<std::size_t>(check - buffer.data()));
  }
}

}  // namespace stratus::test
