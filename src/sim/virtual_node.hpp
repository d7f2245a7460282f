#pragma once
/// @file
/// Virtual devices for demos, tests and load: built-in models (light, switch, fan,
/// temperature-sensor, outlet) with believable behaviour, and any node described in a YAML
/// model file. A virtual node is an `agent::NodeModel` plus periodic behaviours; a driver
/// (`agent::NodeAgent`, the swarm) runs it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/node_model.hpp"
#include "agent/node_session.hpp"
#include "agent/provisioning.hpp"
#include "core/error.hpp"

namespace stratus::sim {

/// Something a virtual node does by itself every `period`: a sensor reading, a drifting
/// value. `tick` changes params through the model (`NodeModel::update`); the driver then
/// reports the changes.
struct Behaviour {
  std::string description;  ///< e.g. "Sensor.Temperature random walk 18..26"
  std::chrono::milliseconds period{10000};
  std::function<void(agent::NodeModel& model)> tick;
};

/// A node model with its behaviours and its firmware OTA.
struct VirtualNode {
  std::unique_ptr<agent::NodeModel> model;
  std::vector<Behaviour> behaviours;
  /// How the node takes firmware updates (spec rainmaker-device.md §8); unset: no OTA (a
  /// model file's `ota: {mode: off}`). Built-in models: topics mode, project = the model's
  /// name, chip esp32. In params mode the model has the `OTA` service. The driver puts it
  /// into `agent::SessionOptions::ota` (adding `on_report`, delays).
  std::optional<agent::OtaOptions> ota;
  /// The access points its simulated Wi-Fi station sees during provisioning (a model
  /// file's `wifi.networks`; else `agent::default_wifi_networks()`).
  std::vector<agent::WifiNetwork> wifi_networks = agent::default_wifi_networks();
};

/// Settings shared by all virtual nodes.
struct VirtualNodeOptions {
  /// Period of sensor readings (built-in sensors; YAML behaviours set their own).
  std::chrono::milliseconds sensor_period{10000};
  /// Seed of the node's random source (sensor noise); 0 = from the node id, so a node
  /// behaves the same on every run.
  std::uint64_t seed = 0;
  /// Called (on the driver's thread) when a user writes `System.Reboot` = true; the
  /// driver reboots the node. Empty: the write is accepted and nothing happens.
  std::function<void()> on_reboot;
  /// Called for every remote write a device applies, with `Device.Param` and the value as
  /// JSON text, e.g. to print "Light.Power = true". Optional.
  std::function<void(std::string_view param, std::string_view value)> on_apply;
  /// Runs a task later on the driver's thread (`agent::NodeAgent::after`), for deferred
  /// command answers. Empty: deferred commands answer at once.
  std::function<void(std::chrono::milliseconds delay,
                     std::function<void(agent::NodeSession&, agent::MqttActions&)> task)>
      defer;
};

/// Sample commands every virtual node registers (spec §3; custom ids ≥ 0x1000).
/// `identify` {"seconds":1..60, default 3}: blinks and answers when done (a deferred
/// answer), any user. `reboot`: answers, then reboots; primary user and admin only.
/// `configure` {<key>: <value>, ...}: stores node-local settings and answers the keys it
/// applied; primary user and admin only.
inline constexpr std::uint16_t kIdentifyCommand = 0x1001;
inline constexpr std::uint16_t kRebootCommand = 0x1002;
inline constexpr std::uint16_t kConfigureCommand = 0x1003;

/// Names of the built-in models: "light", "switch", "fan", "temperature-sensor", "outlet".
const std::vector<std::string_view>& builtin_models();

/// A virtual node of a built-in model, or of the YAML model file at `model` when it is not
/// a built-in name. Every node also has the firmware's `System` and `Time` services.
/// Built-in models run firmware version "1.0.0", project = the model name (also the
/// config's `info.project_name`), OTA using topics.
/// Errors: not_found for an unknown model name that is no readable file; invalid_argument
/// for a YAML file that does not describe a valid node (the context names the file and
/// the place).
Result<VirtualNode> make_virtual_node(std::string_view model, std::string node_id,
                                      const VirtualNodeOptions& options);

/// A virtual node from YAML text (format in docs/stratus-node.md):
/// ```yaml
/// info: {name: Kitchen, type: Lightbulb, fw_version: "1.0"}
/// devices:
///   - name: Light
///     type: esp.device.lightbulb
///     primary: Power
///     params:
///       - {name: Power, type: esp.param.power, data_type: bool,
///          properties: [read, write], ui_type: esp.ui.toggle, value: false}
/// services: []          # same shape; System and Time are added when neither is given
/// behaviours:
///   - {param: Light.Power, every_s: 30, toggle: true}
///   - {param: Sensor.Temperature, every_s: 5, walk: {min: 18, max: 26, step: 0.3}}
/// ota: {mode: topics, project_name: kitchen, chip: esp32s3, fw_version: "1.0.0",
///       secure_version: 0, fail: none, reboot_delay_s: 10}
/// wifi:
///   networks:
///     - {ssid: home, passphrase: secret-pass, rssi: -40, channel: 6, auth: wpa2_psk}
/// ```
/// `wifi` (optional): the access points provisioning scans and joins; `passphrase` is the
/// one the AP accepts (any other fails with `auth_error`), empty for an open network;
/// `auth` defaults to wpa2_psk (open without a passphrase), `rssi` to -50, `channel` to 6.
/// `ota` (every key optional): `mode` topics (default) | params (adds the `OTA` service) |
/// off; `project_name` (default `info.model`, else "custom"; also the config's
/// `info.project_name`); `chip` a name `proto::esp_chip_id` knows (default esp32);
/// `fw_version` the initial version (default `info.fw_version`, else "1.0.0");
/// `secure_version` (default 0); `fail` none | checksum | reject | download (see
/// `agent::OtaFault`); `reboot_delay_s` seconds from a verified image to the reboot
/// (default 10).
/// Errors: invalid_argument naming the place (`devices[0].params[1].value: expected a
/// bool`, `ota.chip: unknown chip "esp99"`) for malformed YAML, unknown keys' wrong
/// types, or values that do not fit their params.
Result<VirtualNode> parse_yaml_model(std::string_view yaml, std::string node_id,
                                     const VirtualNodeOptions& options);

}  // namespace stratus::sim
