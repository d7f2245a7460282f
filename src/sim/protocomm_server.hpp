#pragma once
/// @file
/// `ProtocommServer`: ESP-IDF's protocomm HTTP transport (`protocomm_httpd.c` over
/// esp_http_server; spec rainmaker-device.md §1.1-§1.2) on a loopback address, in front of
/// any set of protocomm endpoints (`ProtocommHandler`): the SoftAP provisioning transport
/// (`ProvisioningServer`), local control (esp_local_ctrl's HTTP transport, which is the
/// same protocomm_httpd) and the on-network challenge-response service.
///
/// Wire behaviour, as the firmware's: `POST /<endpoint>` with the raw (protobuf, or
/// encrypted protobuf) body, answered 200 with the handler's bytes (`Content-Type:
/// text/html`, the server default); one protocomm session, continued by the `Cookie:
/// session=<id>` it hands out in `Set-Cookie` on a session's first answer, or by the
/// connection without a cookie (`agent::SessionCookies`). A body that is empty or over
/// `max_body_bytes` (4096), or any handler error (bad protobuf, wrong state, a failed
/// handshake, a wrong PoP), closes the connection without an answer. An unknown endpoint
/// gets 404 and a known one another method 405, then the connection closes. One connection
/// at a time (`max_open_sockets` 1 with LRU purge): a new connection closes the older one.
/// About `finish_delay` after the handler reports `finished()`, the server stops.
///
/// Not the `http` module's server: that one has no way to close a connection without an
/// answer, no per-connection identity for the cookie-less session rule and no
/// one-connection LRU; this transport needs all three and nothing of the rest.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::sim {

/// The endpoints a `ProtocommServer` serves. All calls come from the server's thread, one
/// at a time.
class ProtocommHandler {
 public:
  virtual ~ProtocommHandler() = default;
  ProtocommHandler() = default;
  ProtocommHandler(const ProtocommHandler&) = delete;
  ProtocommHandler& operator=(const ProtocommHandler&) = delete;

  /// Whether `endpoint` (the path without its leading '/') is served; others get 404.
  [[nodiscard]] virtual bool serves(std::string_view endpoint) const = 0;
  /// One request body; the answer's body, or an error (the connection closes unanswered).
  virtual Result<std::string> handle(std::string_view endpoint, std::string_view body) = 0;
  /// A new protocomm session began (a new cookie): reset the security session.
  virtual void new_session() = 0;
  /// Called after every request and after `tick`: when `tick` is due next, if ever.
  [[nodiscard]] virtual std::optional<std::chrono::steady_clock::time_point> next_deadline() {
    return std::nullopt;
  }
  /// Runs what is due (at `next_deadline`).
  virtual void tick() {}
  /// True once the service should stop (the server stops `finish_delay` later).
  [[nodiscard]] virtual bool finished() { return false; }
};

/// Where and how the transport listens.
struct ProtocommServerOptions {
  std::string bind_address = "127.0.0.1";  ///< IPv4 or IPv6 literal
  std::uint16_t port = 0;                  ///< 0: the OS picks (see `port()`)
  std::size_t max_body_bytes = 4096;       ///< protocomm_httpd's MAX_REQ_BODY_LEN
  std::size_t max_header_bytes = 8192;
  /// A connection idle this long (or a request this slow) is closed.
  std::chrono::milliseconds idle_timeout{30000};
  /// From `finished()` to the server's stop (the provisioning manager's cleanup delay;
  /// the on-network service's 2 s).
  std::chrono::milliseconds finish_delay{1000};
  /// Names the service in log lines ("provisioning", "local control", ...).
  std::string name = "protocomm";
};

/// A running transport. Thread-safety: `port`, `stop` and `running` from any thread; the
/// handler is only called on the server's thread.
class ProtocommServer {
 public:
  /// Binds, listens and starts the server's thread. Errors: invalid_argument for an
  /// address that does not parse or a null handler; unavailable when bind/listen fails
  /// (port in use).
  static Result<std::unique_ptr<ProtocommServer>> start(std::unique_ptr<ProtocommHandler> handler,
                                                        ProtocommServerOptions options);

  /// Calls `stop`.
  ~ProtocommServer();
  ProtocommServer(const ProtocommServer&) = delete;
  ProtocommServer& operator=(const ProtocommServer&) = delete;

  /// The bound port.
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// Closes the listener and the connection and joins the thread; the handler is
  /// destroyed after. Idempotent.
  void stop();

  /// False once the server stopped by itself (`finished()`) or by `stop`.
  [[nodiscard]] bool running() const noexcept;

 private:
  struct Impl;
  explicit ProtocommServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace stratus::sim
