#pragma once
/// @file
/// Runs simulated Wirepas gateways (`WirepasGateway`) against a broker: one MQTT
/// connection per gateway on one `mqtt::ConnectionPool` (one thread, epoll), as
/// `stratus-node wirepas-gateway` does (issue 20). Each connection uses the gateway id as
/// client id, keep-alive 20 s, MQTT 3.1.1, clean session unless `persist_session`, the
/// retained OFFLINE status as last will, and on every connect subscribes the gateway's
/// request filters at QoS 2 and publishes its status. A clean stop publishes OFFLINE
/// before disconnecting.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "sim/wirepas_gateway.hpp"

namespace stratus::sim {

/// What to simulate and where.
struct WirepasSimOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8883;
  std::string username;  ///< empty: none
  std::string password;
  std::string ca_file;    ///< TLS trust; empty: the system's CAs
  bool insecure = false;  ///< plain TCP (`mqtt_force_unsecure`)
  bool persist_session = false;
  int gateways = 1;  ///< 1..10000
  int nodes = 10;    ///< mesh nodes behind each gateway's first sink, 0..100000
  int sinks = 1;     ///< 1 or 2; a second sink is left unconfigured (as SolidRun ships)
  int max_hops = 3;  ///< nodes sit at hop distances 1..max_hops (1..15)
  std::string gateway_prefix = "gw-sim-";  ///< gateway i is `<prefix><i>`
  std::chrono::milliseconds duration{0};   ///< 0: until `stop`
  std::chrono::milliseconds tick{100};     ///< how often uplinks are sent
  /// Joining nodes (spec §5.3): node k joins through gateway k % gateways, sink0; an
  /// address of 0 becomes 900000 + k.
  std::vector<WirepasJoiningNodeModel> joining;
  /// Per-gateway behaviour (`gw_id` is replaced per gateway).
  WirepasGatewayOptions gateway;
};

/// Totals of a run.
struct WirepasSimReport {
  int gateways = 0;
  std::uint64_t connects = 0;
  std::uint64_t requests = 0;
  std::uint64_t responses = 0;
  std::uint64_t uplinks = 0;
  std::uint64_t downlinks_delivered = 0;
  std::uint64_t ignored = 0;
  std::uint64_t provisioned = 0;          ///< joining nodes that completed provisioning
  std::uint64_t provisioning_failed = 0;  ///< joining nodes that gave up
  std::uint64_t publish_failures = 0;     ///< publishes refused (not connected): dropped
  double seconds = 0;
};

/// Runs until `options.duration` passes or `*stop` becomes true, then stops cleanly
/// (OFFLINE statuses, DISCONNECT). `log` receives progress lines (may be empty).
/// Errors: invalid_argument for options out of range or unusable TLS files; unavailable
/// when the pool cannot be created. A broker that is down is not an error: connections
/// retry with backoff.
Result<WirepasSimReport> run_wirepas_gateways(const WirepasSimOptions& options,
                                              const std::function<void(const std::string&)>& log,
                                              const std::atomic<bool>* stop = nullptr);

}  // namespace stratus::sim
