#include "support/stub_http_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace stratus::test {
namespace {

constexpr int kPollMs = 50;
// A connection idle this long is closed (the client reconnects if it needs to).
constexpr auto kIdle = std::chrono::seconds(5);

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    default:
      return "Status";
  }
}

bool write_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string StubRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name)
      return v;
  }
  return {};
}

StubHttpServer::StubHttpServer(std::function<StubReply(const StubRequest&)> handler)
    : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 8) != 0) {
    throw std::runtime_error("StubHttpServer: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

StubHttpServer::~StubHttpServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  thread_.join();
  ::close(listen_fd_);
}

std::string StubHttpServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<StubRequest> StubHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void StubHttpServer::serve() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0)
      continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    while (serve_connection(fd)) {
    }
    ::close(fd);
  }
}

// Reads and answers one request; false when the connection should close.
bool StubHttpServer::serve_connection(int fd) {
  std::string data;
  std::size_t header_end = std::string::npos;
  std::size_t body_size = 0;
  auto last = std::chrono::steady_clock::now();
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const auto at = lower(data.substr(0, header_end)).find("\r\ncontent-length:");
        if (at != std::string::npos)
          body_size = std::stoul(data.substr(at + 17, data.find("\r\n", at + 2) - at - 17));
      }
    }
    if (header_end != std::string::npos && data.size() >= header_end + 4 + body_size)
      break;
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return false;
    }
    if (std::chrono::steady_clock::now() - last > kIdle)
      return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0)
      continue;
    char buffer[65536];
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0)
      return false;
    data.append(buffer, static_cast<std::size_t>(n));
    last = std::chrono::steady_clock::now();
  }
  StubRequest request;
  const std::string head = data.substr(0, header_end);
  std::size_t line_end = head.find("\r\n");
  const std::string first = head.substr(0, line_end);
  const auto sp1 = first.find(' ');
  const auto sp2 = first.find(' ', sp1 + 1);
  request.method = first.substr(0, sp1);
  request.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  while (line_end != std::string::npos && line_end < head.size()) {
    const auto next = head.find("\r\n", line_end + 2);
    const std::string line = head.substr(
        line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    line_end = next;
  }
  request.body = data.substr(header_end + 4, body_size);
  const StubReply reply = handler_(request);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
  }
  return write_all(fd, "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) +
                           "\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body);
}

}  // namespace stratus::test
