#pragma once
/// @file
/// The HTTP/1.1 server: one io_context run by `threads` threads, one coroutine
/// per connection, keep-alive, limits, timeouts, optional TLS, graceful stop.
/// Beast and Asio stay in server.cpp; this header is cheap to include.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "http/router.hpp"

namespace stratus::http {

/// PEM files for the server's TLS identity.
struct TlsFiles {
  std::filesystem::path cert_file;  ///< Certificate chain, leaf first.
  std::filesystem::path key_file;   ///< Private key of the leaf, unencrypted.
};

/// Listening address, limits and timeouts. Defaults are the documented defaults.
struct ServerOptions {
  std::string bind_address = "127.0.0.1";  ///< IPv4 or IPv6 literal.
  std::uint16_t port = 0;                  ///< 0: the OS picks a free port (see `Server::port`).
  unsigned threads = 2;                    ///< Threads running the io_context; at least 1.
  std::size_t max_header_bytes = 8192;     ///< Request line + headers; above: 431.
  /// Above: 413; the handler is not called. A route may set its own (`RouteOptions`).
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_connections = 10000;            ///< Open connections; above: 503 and close.
  std::chrono::milliseconds idle_timeout{30000};  ///< Keep-alive idle time and header read.
  /// Body read + handler; handler overrun: 503. Also the limit for writing one reply, or
  /// one chunk (64 KiB) of a file reply. `body_to_file` routes read the body under
  /// `idle_timeout` per read instead and start this clock when the body is in.
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds shutdown_grace{5000};  ///< How long `stop` lets requests finish.
  std::optional<TlsFiles> tls;  ///< When set, every connection is TLS (1.2 minimum).
  /// Where `body_to_file` routes stream request bodies (temp files `upload-<random>.part`,
  /// created with O_EXCL, mode 0600). `start` creates it (mode 0700) if missing and fails
  /// if it is empty while such a route exists.
  std::filesystem::path upload_dir;
  /// WebSocket routes: messages waiting to be sent on one connection; one more and the
  /// connection is closed with 4008 (a client that reads too slowly never slows the
  /// server: it is cut off).
  std::size_t websocket_send_queue = 1024;
  std::size_t websocket_max_message_bytes = 64 * 1024;  ///< A larger incoming message: 1009.
  /// After an overflow, how long a write the client does not read may block before the
  /// connection is dropped without a close frame.
  std::chrono::milliseconds websocket_write_grace{5000};
};

/// An HTTP/1.1 server. Every response carries Content-Length and `Server: stratus`;
/// errors produced by the server itself use `failure_response` and the codes in
/// proto/rest/error_codes.hpp (`http_error`). Each request gets one access-log line on the `http`
/// channel and increments `stratus_http_requests_total{route,status}`; the gauge
/// `stratus_http_connections` counts open connections.
///
/// Thread-safety: `start`, `stop` and `port` may be called from any thread except
/// the server's own (a handler must not call `stop`).
class Server {
 public:
  /// Keeps `metrics` by reference: it must outlive the server. Starts nothing.
  Server(ServerOptions options, Router router, MetricsRegistry& metrics);
  /// Calls `stop()`.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Loads the TLS identity if configured, creates `upload_dir` if needed, binds, listens
  /// and starts the threads. Errors: `invalid_argument` (bad option, bad address,
  /// unloadable cert/key, with the OpenSSL text; a `body_to_file` route without an
  /// `upload_dir`), `unavailable` (bind/listen failed, with the OS text, e.g. port in
  /// use; `upload_dir` cannot be created). Call at most once.
  Result<void> start();

  /// The bound port (the chosen one when `ServerOptions::port` was 0); 0 before `start`.
  [[nodiscard]] std::uint16_t port() const;

  /// Stops accepting and closes idle keep-alive connections at once; requests in
  /// flight may finish (their connections then close) for up to `shutdown_grace`,
  /// after which every socket is closed and handlers are abandoned. Joins the
  /// threads. Idempotent; a no-op if never started.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::http
