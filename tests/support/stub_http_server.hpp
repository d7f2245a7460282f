#pragma once
/// @file
/// A scripted HTTP/1.1 server on 127.0.0.1 (port 0) for unit tests of HTTP clients: each
/// request is recorded and answered by a handler the test gives, on one background
/// thread, one connection at a time (keep-alive honoured). Plain sockets; requests with a
/// `Content-Length` body only (no chunked bodies). Every wait is bounded.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace stratus::test {

/// One request as received.
struct StubRequest {
  std::string method;
  std::string target;                                        ///< path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;
  /// The first header named `name` (lower case), or "".
  [[nodiscard]] std::string header(const std::string& name) const;
};

/// What the handler answers.
struct StubReply {
  int status = 200;
  std::string body;  ///< sent with `Content-Type: application/json`
};

/// The server. Starts listening in the constructor; the destructor stops the thread.
/// The handler runs on the server's thread; `requests()` may be read from any thread.
class StubHttpServer {
 public:
  explicit StubHttpServer(std::function<StubReply(const StubRequest&)> handler);
  ~StubHttpServer();
  StubHttpServer(const StubHttpServer&) = delete;
  StubHttpServer& operator=(const StubHttpServer&) = delete;

  /// "http://127.0.0.1:<port>".
  [[nodiscard]] std::string url() const;
  /// Every request so far, in order.
  [[nodiscard]] std::vector<StubRequest> requests() const;

 private:
  void serve();
  bool serve_connection(int fd);

  std::function<StubReply(const StubRequest&)> handler_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  bool stopping_ = false;
  mutable std::mutex mutex_;
  std::vector<StubRequest> requests_;
  std::thread thread_;
};

}  // namespace stratus::test
