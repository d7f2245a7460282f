#pragma once
/// @file
/// The node side of the RainMaker data model (spec rainmaker.md §2): a node's devices and
/// services, their params and current values, and the write callbacks that let a device
/// accept or refuse what a user sets. Sans-I/O: nothing here touches a network, a file or a
/// clock; `NodeSession` turns it into MQTT traffic.
///
/// Typical use (see `examples/agent/light.cpp`):
/// ```
/// agent::NodeModel node(node_id, {.name = "Lamp", .fw_version = "1.0", .type = "Lightbulb"});
/// node.add_device(light_spec, {{"Name", "Lamp"}, {"Power", false}},
///                 [&](const agent::ParamWrite& w) { return hardware.apply(w); });
/// ```

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "model/node_config.hpp"

namespace stratus::agent {

/// Where a param write comes from.
enum class WriteSource {
  remote,  ///< a user's set, from `params/remote` (spec §1.3)
  local,   ///< the node itself: a button, a sensor, the console's `set`
};

/// One param write offered to a device's callback. The references are valid only during
/// the call.
struct ParamWrite {
  std::string_view device;
  std::string_view param;
  const boost::json::value& value;
  WriteSource source;
};

/// A device's verdict on a remote write, called after the value passed the param's
/// validation (type, bounds, `valid_strs`). Return success to apply the value, or an error
/// to refuse it (the value is then neither stored nor re-reported, as when the firmware's
/// write callback fails). The callback may call `NodeModel::update` to change other params
/// (a light switching on may raise its brightness); those changes are reported with the
/// write. Called only for `WriteSource::remote`.
using WriteCallback = std::function<Result<void>(const ParamWrite& write)>;

/// A command request as a handler sees it (spec §3.1). Valid only during the call; copy
/// what a deferred answer needs.
struct CommandRequest {
  std::string_view request_id;
  std::uint8_t role = 0;  ///< role bits (low nibble: 0x01 admin, 0x02 primary, 0x04 secondary)
  int sub_role = 0;       ///< 0 = none, else 1–4 (the high nibble's bit)
  std::uint16_t command = 0;
  std::string_view data;        ///< raw bytes (usually UTF-8 JSON); empty when none
  std::uint32_t timestamp = 0;  ///< epoch seconds when the cloud sent one, else 0
};

/// A handler's answer: a status byte (`proto::CmdStatus`: 0 success, 1 failed, 2 invalid
/// data) with optional data, or `deferred` — the handler answers later with
/// `NodeSession::respond` (as firmware handlers returning `ESP_ERR_NOT_FINISHED` do).
struct CommandReply {
  std::uint8_t status = 0;
  std::string data;
  bool deferred = false;

  /// Status 0 with `data`.
  static CommandReply ok(std::string data = {}) { return {0, std::move(data), false}; }
  /// Status 1 (the handler failed) with optional data.
  static CommandReply failed(std::string data = {}) { return {1, std::move(data), false}; }
  /// Status 2 (invalid command data).
  static CommandReply invalid(std::string data = {}) { return {2, std::move(data), false}; }
  /// No answer now; `NodeSession::respond` sends it later.
  static CommandReply later() { return {0, {}, true}; }
};

/// Handles one command id. Runs on the driver's thread; may call `NodeModel::update`.
using CommandHandler = std::function<CommandReply(const CommandRequest& request)>;

/// Role bits a command accepts, combined with `|` (the firmware's `access` mask).
enum CommandAccess : std::uint8_t {
  admin_access = 0x01,
  primary_access = 0x02,
  secondary_access = 0x04,
  any_user_access = 0x07,
};

/// What `NodeModel::apply_set` did with a set document.
struct SetOutcome {
  /// Params that now have a new value, in the params-report shape
  /// `{"<device>":{"<param>":value}}`; they are also in `take_changes`.
  boost::json::object applied;
  /// One line per refused param, `Device.Param: reason` (unknown keys, read-only params,
  /// invalid values, callback refusals), in payload order.
  std::vector<std::string> refused;
};

/// A node's devices, services and param values.
///
/// Thread-safety: none; one owner (a `NodeSession` and the code driving it) uses it from
/// one thread at a time.
class NodeModel {
 public:
  /// A node called `node_id` (the certificate CN and MQTT client id) with the `info`
  /// object of its config. `config_version` is the firmware's constant "2020-03-20".
  NodeModel(std::string node_id, model::NodeInfo info);

  /// Adds a device (`devices[]` of the config) with every param's initial value in
  /// `initial_values` (`{"<param>": value}`). Errors: already_exists when a device or
  /// service of that name exists; invalid_argument when a param has no initial value, a
  /// value does not fit its spec, an initial value names no param, `spec.primary` names
  /// no param, or param names repeat. Nothing is added on error.
  Result<void> add_device(model::DeviceSpec spec, boost::json::object initial_values,
                          WriteCallback on_write = {});

  /// Adds a service (`services[]` of the config: System, Time, OTA, ...). Same rules and
  /// errors as `add_device`.
  Result<void> add_service(model::DeviceSpec spec, boost::json::object initial_values,
                           WriteCallback on_write = {});

  /// Sets node attribute `name` (config `attributes[]`), replacing an earlier value.
  void set_attribute(std::string name, std::string value);

  /// Sets `info.fw_version` (the running firmware's version, published in `config`): an
  /// OTA's new image after its reboot (spec rainmaker-device.md §8.3).
  void set_fw_version(std::string fw_version) { config_.info.fw_version = std::move(fw_version); }

  /// Sets `info.platform` (the firmware's `CONFIG_IDF_TARGET`, e.g. "esp32s3": the chip the
  /// cloud matches OTA images against).
  void set_platform(std::string platform) { config_.info.platform = std::move(platform); }

  /// Sets `info.project_name` (the firmware's project, as its image header names it).
  void set_project_name(std::string project_name) {
    config_.info.project_name = std::move(project_name);
  }

  /// Registers the handler of command `command` for callers whose role bits meet
  /// `access` (spec §3.1; `esp_rmaker_cmd_register`). Custom commands use ids ≥ 0x1000;
  /// command 1 (set params) is built in and cannot be replaced. Errors: already_exists
  /// for an id that has a handler; invalid_argument for id 0 or an empty `access`.
  Result<void> register_command(std::uint16_t command, std::uint8_t access, CommandHandler handler);

  /// The handler and access mask of `command`, or nullptr when none is registered.
  [[nodiscard]] const std::pair<std::uint8_t, CommandHandler>* find_command(
      std::uint16_t command) const noexcept;

  /// The node id given at construction.
  [[nodiscard]] const std::string& node_id() const noexcept { return config_.node_id; }

  /// The node config (spec §2.1) as a value.
  [[nodiscard]] const model::NodeConfig& config() const noexcept { return config_; }

  /// The node config JSON the node publishes on `config` (spec §2.1, firmware key order).
  [[nodiscard]] std::string config_json() const;

  /// Every param's current value, `{"<device>":{"<param>":value}}`: the
  /// `params/local/init` payload (spec §1.3).
  [[nodiscard]] const boost::json::object& params() const noexcept { return values_; }

  /// The current value of `device`.`param`, or nullptr.
  [[nodiscard]] const boost::json::value* value(std::string_view device,
                                                std::string_view param) const noexcept;

  /// A change made by the node itself (sensor reading, physical switch). The value is
  /// validated like a user's (type, bounds, `valid_strs`) but the `write` property is not
  /// required. A value equal to the current one changes nothing. Returns whether the value
  /// changed. Errors: not_found for an unknown device or param; invalid_argument for a
  /// value that does not fit (context: `Device.Param: reason`). Nothing changes on error.
  Result<bool> update(std::string_view device, std::string_view param, boost::json::value value);

  /// Applies a user's set document (`params/remote`, spec §1.3) the way the firmware's
  /// `esp_rmaker_handle_set_params` does: each param is handled on its own; unknown
  /// devices and params, params without the `write` property, invalid values and values
  /// the device's callback refuses are skipped and listed in `refused`; every other value
  /// is stored and listed in `applied`, even when equal to the current one (the firmware
  /// re-reports what a user wrote).
  /// With `report` false the applied values are not added to `take_changes` (a set made
  /// by command 1 answers with its params and is not re-reported, spec §3.3).
  SetOutcome apply_set(const boost::json::object& payload, bool report = true);

  /// The params changed since the last call (by `update` or `apply_set`), in the
  /// `params/local` shape, and forgets them. Empty when nothing changed.
  boost::json::object take_changes();

  /// True if a change is waiting for `take_changes`.
  [[nodiscard]] bool has_changes() const noexcept { return !changes_.empty(); }

  /// Forgets pending changes: used when a full `params/local/init` snapshot is sent.
  void clear_changes() noexcept { changes_.clear(); }

 private:
  Result<void> add(model::DeviceSpec spec, boost::json::object initial_values,
                   WriteCallback on_write, bool is_service);
  [[nodiscard]] const model::ParamSpec* find_param(std::string_view device,
                                                   std::string_view param) const noexcept;
  void store(std::string_view device, std::string_view param, const boost::json::value& value,
             bool report = true);

  model::NodeConfig config_;
  boost::json::object values_;
  boost::json::object changes_;
  /// Write callbacks by device or service name.
  std::vector<std::pair<std::string, WriteCallback>> callbacks_;
  /// Command handlers with their access masks, by command id.
  std::vector<std::pair<std::uint16_t, std::pair<std::uint8_t, CommandHandler>>> commands_;
};

}  // namespace stratus::agent
