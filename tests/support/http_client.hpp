#pragma once
/// @file
/// A small blocking HTTP/1.1 client for tests (unit, integration, system), over
/// Beast. Every operation has a deadline; nothing here sleeps.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stratus::test {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// A response as received.
struct HttpReply {
  int status = 0;
  std::string body;
  HeaderList headers;
  /// Value of the first header named `name` (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

/// One client connection, plain or TLS; keep-alive is the default. Every call
/// throws std::runtime_error on connection failure, timeout or a malformed reply.
/// Not thread-safe: one connection per thread.
class HttpConnection {
 public:
  /// Connects to `host:port` (an IP literal or a resolvable name). With `ca_file`,
  /// speaks TLS and verifies the server's certificate against it and against
  /// `host` (DNS name or IP address).
  HttpConnection(std::string_view host, std::uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5),
                 std::optional<std::filesystem::path> ca_file = std::nullopt);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends one request (HTTP/1.1, Host set, Content-Length when there is a body)
  /// and reads the reply.
  HttpReply request(std::string_view method, std::string_view target, std::string_view body = {},
                    const HeaderList& headers = {});
  /// Writes raw bytes (for malformed requests).
  void send_raw(std::string_view bytes);
  /// Reads one reply (after `send_raw`).
  HttpReply read_reply();
  /// True if the server closes the connection within `deadline` (data it sends
  /// meanwhile is discarded); false if it is still open then.
  bool closed_by_peer_within(std::chrono::milliseconds deadline);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One request on a fresh connection. Throws std::runtime_error on failure.
HttpReply http_request(std::string_view host, std::uint16_t port, std::string_view method,
                       std::string_view target, std::string_view body = {},
                       const HeaderList& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// Same over TLS, verifying the server against `ca_file` and `host`.
HttpReply https_request(std::string_view host, std::uint16_t port,
                        const std::filesystem::path& ca_file, std::string_view method,
                        std::string_view target, std::string_view body = {},
                        const HeaderList& headers = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace stratus::test
