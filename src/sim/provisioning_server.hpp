#pragma once
/// @file
/// `ProvisioningServer`: the SoftAP HTTP transport of protocomm (ESP-IDF
/// `protocomm_httpd.c` over esp_http_server; spec rainmaker-device.md §1.1-§1.2) in front
/// of an `agent::ProvisioningEngine`, on a loopback address instead of 192.168.4.1:80.
///
/// Wire behaviour, as the firmware's: `POST /<endpoint>` with the raw (protobuf, or
/// encrypted protobuf) body, answered 200 with the handler's bytes (`Content-Type:
/// text/html`, the server default); one protocomm session, continued by the `Cookie:
/// session=<id>` it hands out in `Set-Cookie` on a session's first answer, or by the
/// connection without a cookie (`agent::SessionCookies`). A body that is empty or over 4096
/// bytes, or any handler error (bad protobuf, wrong state, a failed handshake, a wrong PoP),
/// closes the connection without an answer. An unknown endpoint gets 404 and a known one
/// another method 405, then the connection closes. One connection at a time (the
/// firmware's `max_open_sockets` 1 with LRU purge): a new connection closes the older one.
/// About `finish_delay` after the engine reported `connected`, the server stops, as the
/// provisioning manager does after `wifi_prov_mgr_done`.
///
/// A `ProtocommServer` (which see for the wire rules) with the engine as its handler; the
/// engine's events go to the sink after each request and timer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/provisioning.hpp"
#include "core/error.hpp"
#include "sim/protocomm_server.hpp"

namespace stratus::sim {

/// Where and how the transport listens (`name` defaults to "protocomm"; the provisioning
/// server logs as "provisioning").
using ProvisioningServerOptions = ProtocommServerOptions;

/// Receives the engine's events on the server's thread.
using ProvisioningEventSink = std::function<void(const agent::ProvisioningEvent& event)>;

/// A running transport. Thread-safety: `port`, `stop`, `wait_stopped` and `running` from
/// any thread; the engine is only touched on the server's thread.
class ProvisioningServer {
 public:
  /// Binds, listens and starts the server's thread. Errors: invalid_argument for an
  /// address that does not parse; unavailable when bind/listen fails (port in use).
  static Result<std::unique_ptr<ProvisioningServer>> start(
      std::unique_ptr<agent::ProvisioningEngine> engine, ProvisioningServerOptions options,
      ProvisioningEventSink sink);

  /// Calls `stop`.
  ~ProvisioningServer();
  ProvisioningServer(const ProvisioningServer&) = delete;
  ProvisioningServer& operator=(const ProvisioningServer&) = delete;

  /// The bound port.
  [[nodiscard]] std::uint16_t port() const noexcept;

  /// Closes the listener and the connection and joins the thread. Idempotent.
  void stop();

  /// False once the server stopped by itself (provisioning finished) or by `stop`.
  [[nodiscard]] bool running() const noexcept;

 private:
  explicit ProvisioningServer(std::unique_ptr<ProtocommServer> server);
  std::unique_ptr<ProtocommServer> server_;
};

}  // namespace stratus::sim
