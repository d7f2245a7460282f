#pragma once
/// @file
/// A simulated Wirepas gateway, sans-I/O (issue 20; spec wirepas.md §1-§2, §3.4, §6): the
/// reference gateway's behaviour toward the backend (wirepas/gateway `transport_service.py`)
/// over sinks and virtual mesh nodes. The driver (`WirepasGatewayRunner`) connects it to a
/// broker: it publishes what this returns, feeds it what arrives, and calls `tick` when
/// `next_wakeup` comes.
///
/// What it does, as the reference gateway:
/// - status: retained `StatusEvent` ONLINE (version 1, every sink config, model, version,
///   `max_scratchpad_size`, features) at QoS 1; the last will is the retained OFFLINE status
///   at QoS 2; after each configuration change the new status, a `GetConfigsResp` with
///   `req_id` 0 and a `SetConfigResp` with `req_id` 0 for the changed sink (spec §1.4);
/// - answers every request of the topic table at QoS 2, echoing `req_id`, with
///   `gw_id`, sink id and every required field (`SetConfigResp.config` even on error);
/// - uplinks (`gw-event/received_data/…`, QoS 1, random `event_id`): application data on
///   the configured endpoints and interval, diagnostics 251-254 in the documented layouts
///   at the sink's `app_config_diag` interval, remote-API replies on endpoint 240 to
///   downlinks from 255, and an echo of downlinks to the nodes' echo endpoint;
/// - joining nodes (`WirepasJoiningNodeModel`): the joining side of the provisioning
///   protocol on endpoint 246 → 255 (spec §5.3, the Wirepas SDK's
///   `libraries/provisioning`): START, a wait doubled after each silent try, DATA checked
///   (MIC, CBOR), DATA_ACK; then the node takes the provisioned node address and, when the
///   network address and channel are its sink's, appears among the sink's nodes. Like the
///   SDK's node it never sends NACK: a bad DATA counts as a failed try and START goes again.
///
/// Not thread-safe: one owner. Times are the caller's (steady clock).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::sim {

/// One MQTT publish the driver must send.
struct WirepasPublish {
  std::string topic;
  std::string payload;  ///< a serialized GenericMessage; empty only for a cleared status
  int qos = 1;
  bool retain = false;
};

/// One virtual mesh node behind a sink.
struct WirepasNodeModel {
  std::uint32_t address = 0;  ///< 1..0xFFFFFFFE, unique in its network
  std::uint8_t hops = 1;      ///< hop distance to the sink, 1..15
};

/// A node that is not configured yet and joins by the provisioning protocol.
struct WirepasJoiningNodeModel {
  std::uint32_t address = 0;  ///< its address while joining (unique behind the sink)
  std::uint8_t hops = 1;
  std::string uid;          ///< 1..79 bytes
  std::uint8_t method = 1;  ///< 0 unsecured, 1 secured (with `factory_key`)
  std::string factory_key;  ///< 32 bytes when secured
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  ///< first wait for DATA
  int retries = 3;  ///< STARTs after the first, each after twice the last wait
};

/// One sink and the network it serves.
struct WirepasSinkModel {
  std::string sink_id = "sink0";
  /// False: shipped unconfigured (no role, address, network, channel, app config; stopped),
  /// as SolidRun gateways come. A `set_config` configures it.
  bool configured = true;
  std::uint32_t node_address = 1;
  std::uint64_t network_address = 0x123456;  ///< 24 bits in practice
  std::uint32_t network_channel = 5;
  std::uint32_t role = 0x11;  ///< the Python integer form: sink + low latency
  std::uint32_t diag_interval_s = 60;
  std::string app_config_data = std::string("\x01\x02", 2);
  std::uint32_t app_config_seq = 1;
  bool started = true;
  std::vector<WirepasNodeModel> nodes;
  /// Nodes that join through this sink by the provisioning protocol.
  std::vector<WirepasJoiningNodeModel> joining;
};

/// How a gateway behaves.
struct WirepasGatewayOptions {
  std::string gw_id = "gw-sim-0";
  std::string gw_model = "stratus-sim";
  std::string gw_version = "1.0.0";
  /// The largest scratchpad one upload message may carry, advertised in the status and
  /// gateway info; larger images come as chunks (`SCRATCHPAD_CHUNK_V1`), as
  /// wirepas-mqtt-library's `upload_scratchpad` sends them.
  std::uint32_t max_scratchpad_size = 1024 * 1024;
  /// The sink's scratchpad area: no image, whole or chunked, may exceed it.
  std::uint32_t scratchpad_capacity = 1024 * 1024;
  std::uint32_t app_config_max_size = 80;
  /// Application data each node sends: endpoints and interval (0: none).
  std::uint8_t data_source_endpoint = 1;
  std::uint8_t data_destination_endpoint = 1;
  std::chrono::milliseconds data_interval{std::chrono::seconds(60)};
  std::size_t data_payload_bytes = 8;
  /// A downlink to this destination endpoint is echoed back (endpoints swapped).
  std::uint8_t echo_endpoint = 50;
  /// Radio time per hop: travel time = hops × this.
  std::chrono::milliseconds per_hop{10};
  /// At most this many uplinks per `tick` call (the bounded uplink rate, with the driver's
  /// tick period); what is due beyond waits for the next tick.
  std::size_t max_uplinks_per_tick = 1000;
  /// Seed for payload bytes and jitter (event ids come from the CSPRNG).
  std::uint64_t seed = 1;
};

/// Counters a driver or test reads.
struct WirepasGatewayStats {
  std::uint64_t requests = 0;
  std::uint64_t responses = 0;
  std::uint64_t errors_answered = 0;  ///< responses with a result other than OK
  std::uint64_t uplinks = 0;
  std::uint64_t downlinks_delivered = 0;
  std::uint64_t ignored = 0;              ///< payloads or topics that were not requests to us
  std::uint64_t provisioned = 0;          ///< joining nodes that sent DATA_ACK
  std::uint64_t provisioning_failed = 0;  ///< joining nodes that gave up (NACK, no DATA)
};

/// See the file comment.
class WirepasGateway {
 public:
  using Clock = std::chrono::steady_clock;

  /// Errors: invalid_argument for an invalid gateway or sink id, duplicate sink ids, no
  /// sink, more than 2 sinks, a node address of 0 or 0xFFFFFFFF, or a joining node with
  /// a UID of 0 or more than 79 bytes, a method other than 0 or 1, a secured method without
  /// a 32-byte factory key, a wait of 0 or negative retries.
  static Result<std::unique_ptr<WirepasGateway>> create(WirepasGatewayOptions options,
                                                        std::vector<WirepasSinkModel> sinks);
  ~WirepasGateway();
  WirepasGateway(const WirepasGateway&) = delete;
  WirepasGateway& operator=(const WirepasGateway&) = delete;

  /// The gateway id (the MQTT client id).
  [[nodiscard]] const std::string& gw_id() const noexcept;
  /// The request filters to subscribe (QoS 2), as the reference gateway's list (spec §1.3).
  [[nodiscard]] std::vector<std::string> subscriptions() const;
  /// The last will: the retained OFFLINE status (model and version, no configs), QoS 2.
  [[nodiscard]] WirepasPublish last_will() const;

  /// After each CONNACK: the ONLINE status and the unsolicited configuration messages.
  std::vector<WirepasPublish> on_connected(Clock::time_point now);
  /// One arrived message. Requests for this gateway are answered (and may schedule
  /// uplinks); anything else is counted in `ignored` and answered with nothing.
  std::vector<WirepasPublish> on_message(std::string_view topic, std::string_view payload,
                                         Clock::time_point now);
  /// The uplinks due at `now` (at most `max_uplinks_per_tick`).
  std::vector<WirepasPublish> tick(Clock::time_point now);
  /// When `tick` has something next (`nullopt`: nothing scheduled).
  [[nodiscard]] std::optional<Clock::time_point> next_wakeup() const;
  /// A clean stop: the retained OFFLINE status, to publish before disconnecting.
  [[nodiscard]] WirepasPublish offline_status() const;

  [[nodiscard]] const WirepasGatewayStats& stats() const noexcept;

 private:
  struct Impl;
  explicit WirepasGateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::sim
