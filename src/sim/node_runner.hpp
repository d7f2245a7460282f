#pragma once
/// @file
/// `NodeRunner`: one virtual node on a real connection (`stratus-node run`): the virtual
/// device, its behaviours on timers, the `agent::NodeAgent`, and the console commands.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "protocomm/security.hpp"
#include "sim/console.hpp"

namespace stratus::sim {

/// Provisioning over protocomm's SoftAP HTTP transport (`ProvisioningServer`) before the
/// node goes online, as firmware that has no Wi-Fi credentials yet.
struct ProvisioningRunOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: the OS picks; the runner prints the address
  protocomm::SecurityVersion security = protocomm::SecurityVersion::sec1;
  std::string pop;  ///< proof of possession (sec2: the SRP password of "wifiprov")
  bool challenge_response = true;
  /// Marks a provisioned node (the firmware's Wi-Fi credentials in NVS): written with the
  /// SSID when the station connects; when it exists at start, provisioning is skipped.
  /// Empty: the node provisions on every start.
  std::string wifi_file;
  /// From applied credentials to the station's address.
  std::chrono::milliseconds connect_delay{1000};
};

/// Local control (esp_local_ctrl over protocomm HTTP, `agent::LocalControlEngine`) once the
/// node is on its network, as firmware with `CONFIG_ESP_RMAKER_LOCAL_CTRL_AUTO_ENABLE`.
struct LocalControlRunOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 8080;  ///< the firmware's default; 0: the OS picks
  protocomm::SecurityVersion security = protocomm::SecurityVersion::sec1;
  /// The PoP. Empty: read from `pop_file`, else a new random one (8 hex characters) that
  /// is written there, as the firmware keeps its generated PoP in NVS.
  std::string pop;
  std::string pop_file;
};

/// The on-network challenge-response service once the node is on its network, as firmware
/// with `CONFIG_ESP_RMAKER_ON_NETWORK_CHAL_RESP_ENABLE` (default config: port 80, security
/// 1 without PoP). Signs with the node key.
struct OnNetworkRunOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 80;
  protocomm::SecurityVersion security = protocomm::SecurityVersion::sec1;
  std::string pop;  ///< sec1: empty = none; sec2: the password of "wifiprov" (required)
};

/// Where and as what a virtual node runs.
struct RunOptions {
  std::string node_id;
  std::string mqtt_host;
  std::uint16_t mqtt_port = 8883;
  std::string ca_file;    ///< CA that signed the broker's certificate
  std::string cert_file;  ///< node certificate (CN = node id)
  std::string key_file;   ///< node private key
  /// A built-in model name or a YAML model file (see `make_virtual_node`).
  std::string model = "light";
  /// Period of built-in sensor readings.
  std::chrono::milliseconds sensor_period{10000};
  /// Publish on `$aws/rules/...` topics as default firmware does.
  bool basic_ingest_topics = false;
  /// Where param values persist across runs, as firmware keeps params flagged `persist`
  /// in NVS: loaded at start (values that no longer fit the model are skipped), written
  /// atomically within a second of a change and at stop. Empty: nothing persists.
  std::string state_file;
  /// Firmware OTA (the model's `ota`, spec rainmaker-device.md §8): the directory holding
  /// the OTA state (`ota.json`: the running version and a pending job id) and the download
  /// (`ota-image.bin`); downloads trust `ca_file`. Empty: the node has no OTA.
  std::string ota_dir;
  /// Time from a verified image to the reboot into it; unset: the model's (default 10 s).
  std::optional<std::chrono::milliseconds> ota_reboot_delay;
  /// Set: the node waits unprovisioned (no MQTT) until a client provisions it over
  /// protocomm; `cloud_user_assoc` then becomes a `user/mapping` publish in the boot
  /// sequence, `ch_resp` signs with `key_file`.
  std::optional<ProvisioningRunOptions> provisioning;
  /// Set: local control serves once the node is on its network (at start, or when
  /// provisioning connected the station), also while the broker is unreachable; the node
  /// config carries the `Local Control` service with its `POP` and `Type`.
  std::optional<LocalControlRunOptions> local_control;
  /// Set: the on-network challenge-response service runs once the node is on its network.
  std::optional<OnNetworkRunOptions> on_network;
};

/// Receives one line of human-readable output (no trailing newline). Called from the
/// runner's thread and from the thread calling `execute`; the sink serialises.
using LineSink = std::function<void(const std::string& line)>;

/// One running virtual node.
///
/// Thread-safety: `execute` and `stop` may be called from any thread, one at a time.
class NodeRunner {
 public:
  /// Builds the virtual node and starts connecting, or, with `provisioning` and no
  /// `wifi_file` yet, starts the provisioning transport and connects once the simulated
  /// station has joined; local control and the on-network service start with the
  /// connection. Errors: invalid_argument for a model that already has a `Local Control`
  /// service, an unwritable `pop_file`, security 2 without a PoP; those of
  /// `ProtocommServer::start` (port in use; when the node starts after provisioning they
  /// are printed instead); those of `make_virtual_node` (unknown model, bad YAML), of
  /// `agent::NodeAgent::start` (unreadable certificate files), of
  /// `agent::ProvisioningEngine::create` and `ProvisioningServer::start` (port in use), and
  /// invalid_argument for an unreadable node key when provisioning.
  static Result<std::unique_ptr<NodeRunner>> start(const RunOptions& options, LineSink sink);

  ~NodeRunner();
  NodeRunner(const NodeRunner&) = delete;
  NodeRunner& operator=(const NodeRunner&) = delete;

  /// Runs a console command and waits until it is done (at most 5 s). Returns the line to
  /// print (`ok`, the status report, or `error: <reason>`); `quit` returns "bye" and the
  /// caller stops.
  std::string execute(const ConsoleCommand& command);

  /// The provisioning transport's port while it runs, else 0.
  [[nodiscard]] std::uint16_t provisioning_port() const;
  /// The local-control transport's port while it runs, else 0.
  [[nodiscard]] std::uint16_t local_control_port() const;
  /// The on-network challenge-response transport's port while it runs, else 0.
  [[nodiscard]] std::uint16_t on_network_port() const;
  /// The local-control PoP in use (empty without local control or without a PoP).
  [[nodiscard]] std::string local_control_pop() const;

  /// Disconnects and stops. Idempotent.
  void stop();

 private:
  struct Impl;
  explicit NodeRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::sim
