#pragma once
/// @file
/// The swarm: many virtual nodes in one process on one thread (`mqtt::ConnectionPool`, no
/// thread per node), each speaking the full node protocol (`agent::NodeSession`: boot
/// sequence, remote sets, reports), with params reports at a fixed total rate. For load
/// tests and benchmarks (`stratus-node swarm`, `bench/run ingest`).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace stratus::sim {

/// One swarm node's identity and where it connects.
struct SwarmNode {
  std::string node_id;
  std::string mqtt_host;
  std::uint16_t mqtt_port = 8883;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

/// A live view of a running swarm, handed to `SwarmOptions::observer`.
struct SwarmSnapshot {
  double elapsed_s = 0;            ///< seconds since the swarm started
  std::size_t nodes = 0;           ///< nodes in the swarm
  std::size_t connected = 0;       ///< connected now
  std::size_t ever_connected = 0;  ///< nodes that have connected at least once
  std::uint64_t publishes = 0;     ///< every publish so far
  std::uint64_t pubacks = 0;       ///< PUBACKs received so far
  std::uint64_t reports = 0;       ///< rate-driven reports so far
  std::uint64_t ota_updated = 0;   ///< OTA `success` reports so far (with `SwarmOptions::ota`)
  std::uint64_t ota_failed = 0;    ///< OTA `failed` and `rejected` reports so far
};

/// Receives a snapshot, on the swarm's thread: it must return quickly (copy what it needs
/// into atomics; never block on I/O).
using SwarmObserver = std::function<void(const SwarmSnapshot& snapshot)>;

/// Firmware OTA in a swarm (spec rainmaker-device.md §8): every node of a model with OTA
/// (`VirtualNode::ota`; built-in models: topics mode, chip esp32, project = model name) runs
/// `agent::OtaEngine` as `stratus-node run` does, but its downloads share one
/// `DownloadPool`. A node's OTA state lives as long as the swarm (no `ota.json`).
struct SwarmOta {
  /// Where images are downloaded, one file per node (`<node id>.bin`, removed once
  /// "flashed"); created if missing.
  std::filesystem::path dir;
  /// Download threads shared by all nodes: at most this many images download at once.
  int download_workers = 8;
  /// `otafetch` this long after the first connection of a boot (firmware: 5 s).
  std::chrono::milliseconds fetch_delay{std::chrono::seconds(5)};
  /// Reboot this long after a verified image (firmware: 10 s).
  std::chrono::milliseconds reboot_delay{std::chrono::seconds(1)};
};

/// How the swarm behaves.
struct SwarmOptions {
  /// Virtual model of every node (built-in name or YAML file, see `make_virtual_node`).
  std::string model = "switch";
  /// Params reports per second over the whole swarm (0 = none): each report changes the
  /// primary param of a connected node, round robin, and publishes it on `params/local`.
  /// Ignored when `unlimited_rate` is set.
  double rate_per_s = 100;
  /// When set, the total rate is read from here on every loop instead of `rate_per_s`
  /// (reports per second; it may change while the swarm runs), so a driver can steer the
  /// load, e.g. to what the consumers behind the broker keep up with (`bench/run ingest`).
  /// Takes precedence over `unlimited_rate`. Must outlive the run.
  const std::atomic<double>* rate_control = nullptr;
  /// Report as fast as the broker acknowledges: every connected, booted node keeps
  /// `max_in_flight` reports unacknowledged (a new one goes out on each PUBACK). For
  /// throughput benchmarks (`stratus-node swarm --unlimited`, `bench/run ingest`).
  bool unlimited_rate = false;
  /// QoS-1 publishes per node sent and not yet acknowledged, at most, for rate-driven
  /// reports: a node at the limit is skipped (its boot sequence and the re-reports after
  /// remote sets are never held back, but count). Flow control, as a real MQTT client's
  /// in-flight window. At least 1.
  int max_in_flight = 8;
  /// How long to run once started. Bounded: at most 24 h.
  std::chrono::milliseconds duration{std::chrono::seconds(30)};
  /// Connection attempts (TLS handshakes) in progress at once.
  int max_connects_in_flight = 64;
  /// Interval of progress lines; 0 = none.
  std::chrono::milliseconds progress_interval{std::chrono::seconds(1)};
  /// Publish on `$aws/rules/...` topics as default firmware does.
  bool basic_ingest_topics = false;
  /// Seed of the choice of values; 0 = fixed default.
  std::uint64_t seed = 0;
  /// Called every `observer_interval` with a snapshot (unset = never).
  SwarmObserver observer;
  /// Interval of `observer` calls.
  std::chrono::milliseconds observer_interval{100};
  /// Firmware OTA; unset: the nodes take no firmware updates.
  std::optional<SwarmOta> ota;
};

/// What happened, for the summary and benchmarks. Rates are over `elapsed_s`.
struct SwarmReport {
  std::size_t nodes = 0;
  std::size_t connected_at_end = 0;  ///< connected when the duration ran out
  std::size_t peak_connected = 0;
  /// Seconds from the first connection attempt (credentials loaded) until every node had
  /// connected once; < 0 if that never happened.
  double all_connected_s = -1;
  /// Seconds spent reading every node's credentials into its TLS context, before the first
  /// attempt (mqtt::ConnectionPool::add).
  double credentials_s = 0;
  double elapsed_s = 0;
  std::uint64_t connects = 0;         ///< CONNACK successes (incl. reconnects)
  std::uint64_t disconnects = 0;      ///< established connections lost
  std::uint64_t failed_attempts = 0;  ///< attempts without CONNACK success
  std::uint64_t publishes = 0;        ///< every publish (boot sequence, reports, ...)
  std::uint64_t pubacks = 0;          ///< PUBACKs received
  std::uint64_t reports = 0;          ///< rate-driven `params/local` reports
  std::uint64_t remote_sets = 0;      ///< messages received on subscriptions
  std::uint64_t errors = 0;           ///< failed attempts + failed publishes/subscribes
  // With `SwarmOptions::ota`:
  std::uint64_t ota_downloads = 0;          ///< image downloads that completed
  std::uint64_t ota_download_failures = 0;  ///< downloads that failed or were cancelled
  /// Those failures by error text (`DownloadPoolStats::failure_reasons`).
  std::map<std::string, std::uint64_t> ota_download_failure_reasons;
  std::uint64_t ota_download_bytes = 0;  ///< bytes of the completed downloads
  std::uint64_t ota_updated = 0;         ///< `success` reports (new firmware verified)
  std::uint64_t ota_failed = 0;          ///< `failed` and `rejected` reports
  std::uint64_t reboots = 0;             ///< nodes rebooted into new firmware
};

/// Receives a progress line (no trailing newline), on the calling thread.
using ProgressSink = std::function<void(const std::string& line)>;

/// Runs the swarm until `options.duration` has passed or `*stop` becomes true, then
/// disconnects every node (bounded: at most 5 s more). Blocking; everything runs on the
/// calling thread. The process must ignore SIGPIPE and allow about 3 file descriptors per
/// node (`mqtt::ConnectionPool`). With `options.ota`, downloads run on
/// `ota->download_workers` more threads and a reboot replaces the node's connection. Errors:
/// invalid_argument for no nodes, a bad model, or options out of range (rate < 0, duration outside
/// (0, 24 h], max_in_flight < 1); those of `DownloadPool::create`,
/// `mqtt::ConnectionPool::create`/`add`.
Result<SwarmReport> run_swarm(const std::vector<SwarmNode>& nodes, const SwarmOptions& options,
                              const ProgressSink& progress,
                              const std::atomic<bool>* stop = nullptr);

/// The report as a one-line JSON object (keys as the field names), for scripts and
/// `bench/`.
std::string to_json(const SwarmReport& report);

}  // namespace stratus::sim
