#pragma once
/// @file
/// `NodeAgent`: runs one `NodeSession` on a real MQTT connection (mutual TLS, client id =
/// node id, MQTT 3.1.1 as the firmware speaks), with reconnects and resubscription, on a
/// thread of its own. This is the driver a Linux device uses; see `examples/agent/`.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "agent/node_model.hpp"
#include "agent/node_session.hpp"
#include "agent/ota_download.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "mqtt/client.hpp"

namespace stratus::agent {

/// Where and how an agent runs OTA jobs (when `SessionOptions::ota` is set).
struct AgentOtaOptions {
  /// The node's persistent directory (a credentials directory): `ota.json` (the OTA state,
  /// read at `start`, written on `save_ota_state`) and `ota-image.bin` (the download,
  /// removed at the reboot into it). Required with OTA.
  std::filesystem::path dir;
  /// CA file, timeouts and size limit of downloads (`ca_file`: the node's `ca.crt`).
  DownloadOptions download{};
  /// How often the session's `tick` runs (the `otafetch` and reboot timers' resolution).
  std::chrono::milliseconds tick_period{200};
};

/// The OTA state file and the download inside `AgentOtaOptions::dir`.
inline constexpr std::string_view kOtaStateFile = "ota.json";
inline constexpr std::string_view kOtaImageFile = "ota-image.bin";

/// How an agent connects.
struct AgentOptions {
  /// Broker address, TLS files, keepalive and backoff. `client_id` is replaced by the
  /// node id. To look like firmware on the wire use `protocol_version = 4` (MQTT 3.1.1)
  /// and `keepalive = 120 s` (`firmware_mqtt_options` does).
  mqtt::ClientOptions mqtt;
  SessionOptions session;
  /// Used when `session.ota` is set.
  AgentOtaOptions ota{};
};

/// `mqtt::ClientOptions` as RainMaker firmware connects (spec §1.1): MQTT 3.1.1, keepalive
/// 120 s, clean session, mutual TLS with `cert_file`/`key_file`, server checked with
/// `ca_file`.
mqtt::ClientOptions firmware_mqtt_options(std::string host, std::uint16_t port,
                                          mqtt::TlsOptions tls);

/// Work run on the agent's thread with the session; append MQTT actions to `out`.
using SessionTask = std::function<void(NodeSession& session, MqttActions& out)>;

/// One node on one MQTT connection.
///
/// With OTA (`options.session.ota`), the agent loads `<ota.dir>/ota.json` at `start`, ticks
/// the session every `ota.tick_period`, runs each `download` action with `download_image`
/// on a worker thread of its own (one download at a time; events are posted back to the
/// agent's thread), writes `save_ota_state` payloads atomically (mode 0600), and reboots on
/// the `reboot` action.
///
/// Thread-safety: `post`, `every`, `reboot`, `on_connection` and `stop` may be called
/// from any thread. The model and session are touched only on the agent's thread: reach
/// them through `post`. Callbacks run on the agent's thread.
class NodeAgent {
 public:
  /// An agent for `model` (which must outlive it). Nothing happens before `start`.
  NodeAgent(NodeModel& model, const Clock& clock, AgentOptions options);
  ~NodeAgent();
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  /// Called on each connection change: `true` after CONNACK, `false` with libmosquitto's
  /// reason when the connection is lost or refused. Set before `start`.
  void on_connection(std::function<void(bool connected, const std::string& reason)> handler);

  /// Starts the agent's thread and the connection. Errors: invalid_argument for unusable
  /// options (unreadable certificate files, ..., from `mqtt::Client::start`; OTA without
  /// `ota.dir`). A broker that is down is not an error: the agent keeps retrying with
  /// backoff. An unreadable `ota.json` is logged and ignored.
  Result<void> start();

  /// Disconnects, stops a running download, and joins the threads. Idempotent.
  void stop();

  /// Runs `task` on the agent's thread, then sends the actions it produced.
  void post(SessionTask task);

  /// Runs `task` every `period` on the agent's thread, from `start` until `stop`.
  void every(std::chrono::milliseconds period, SessionTask task);

  /// Runs `task` once, `delay` from now, on the agent's thread (e.g. a deferred command
  /// answer). Dropped if the agent stops first.
  void after(std::chrono::milliseconds delay, SessionTask task);

  /// A new boot: drops the connection, reconnects, and sends the full boot sequence
  /// (config, mapping if pending, subscriptions, init), as after a power cycle.
  void reboot();

  /// Publishes that failed because the connection was lost in between (the firmware
  /// drops those too). Thread-safe.
  [[nodiscard]] std::uint64_t failed_publishes() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::agent
