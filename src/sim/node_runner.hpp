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
  /// station has joined. Errors: those of `make_virtual_node` (unknown model, bad YAML), of
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

  /// Disconnects and stops. Idempotent.
  void stop();

 private:
  struct Impl;
  explicit NodeRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::sim
