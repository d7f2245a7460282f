#include "broker/ports.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace stratus::broker {
namespace {

// IPv4 or IPv6 socket address for a numeric host; "0.0.0.0"/"::" included.
bool make_address(const std::string& host, std::uint16_t port, sockaddr_storage& out,
                  socklen_t& len) {
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

}  // namespace

Result<std::uint16_t> pick_free_port(const std::string& bind_address) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (!make_address(bind_address, 0, addr, len)) {
    return fail(errc::invalid_argument, "not a numeric address: " + bind_address);
  }
  Fd s{::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0)
    return fail(errc::unavailable, std::string("socket: ") + std::strerror(errno));
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return fail(errc::unavailable,
                "bind " + bind_address + ":0: " + std::string(std::strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    return fail(errc::unavailable, std::string("getsockname: ") + std::strerror(errno));
  }
  const std::uint16_t port = bound.ss_family == AF_INET
                                 ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                                 : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return port;
}

bool tcp_accepts(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (!make_address(host, port, addr, len))
    return false;
  Fd s{::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (s.fd < 0)
    return false;
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), len) == 0)
    return true;
  if (errno != EINPROGRESS)
    return false;
  pollfd p{s.fd, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1)
    return false;
  int err = 0;
  socklen_t err_len = sizeof err;
  ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  return err == 0;
}

}  // namespace stratus::broker
