#pragma once
/// @file
/// The node configuration a node reports on `node/<id>/config` (spec rainmaker.md §2):
/// its devices and services, their params with data types, properties, bounds and valid
/// strings. Pure: parsing and lookups only, no I/O. A parsed `NodeConfig` is an immutable
/// value, safe to share between threads for reading.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace stratus::model {

/// A param's value type (spec §2.1 `data_type`). Wire spellings: `bool`, `int`, `float`,
/// `string`, `object`, `array`.
enum class DataType { boolean, integer, floating, string, object, array };

/// The wire spelling of `type` ("bool", "int", ...).
std::string_view to_string(DataType type) noexcept;

/// Parses a wire spelling of `DataType`; `std::nullopt` if unknown.
std::optional<DataType> parse_data_type(std::string_view text) noexcept;

/// Numeric bounds of an int or float param (spec §2.1 `bounds`). Firmware omits `step`
/// when it is 0.
struct Bounds {
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> step;
};

/// One param of a device or service (spec §2.1).
struct ParamSpec {
  std::string name;     ///< key in params JSON, unique within its device
  std::string type;     ///< e.g. "esp.param.power"; may be empty
  std::string ui_type;  ///< e.g. "esp.ui.slider"; empty when absent
  DataType data_type = DataType::string;
  bool readable = false;     ///< property `read`
  bool writable = false;     ///< property `write`: users may set it via params/remote
  bool time_series = false;  ///< property `time_series`
  bool simple_ts = false;    ///< property `simple_ts`
  bool persist = false;      ///< property `persist` (node-local; firmware normally omits it)
  Bounds bounds;
  std::vector<std::string> valid_strs;  ///< allowed string values; empty = any
};

/// A device or a service (same schema, spec §2.1).
struct DeviceSpec {
  std::string name;  ///< key in params JSON, unique within the node
  std::string type;  ///< e.g. "esp.device.light", "esp.service.schedule"; may be empty
  /// Name of the primary param (the firmware reports the param's name, not a flag);
  /// empty when the device has none.
  std::string primary;
  std::vector<ParamSpec> params;

  /// The param called `name`, or nullptr. The pointer lives as long as this value.
  [[nodiscard]] const ParamSpec* find_param(std::string_view name) const noexcept;
};

/// The node's `info` object (spec §2.1); absent fields are empty.
struct NodeInfo {
  std::string name;
  std::string fw_version;
  std::string type;
  std::string model;
  std::string project_name;
  std::string platform;
};

/// A parsed node config (spec §2.1).
struct NodeConfig {
  std::string node_id;
  std::string config_version;  ///< "2020-03-20" for all current firmware
  NodeInfo info;
  std::vector<DeviceSpec> devices;
  std::vector<DeviceSpec> services;
  /// Node attributes, `{name, value}` in the reported order (e.g. `cmd-resp` = `1`).
  std::vector<std::pair<std::string, std::string>> attributes;

  /// The device or service called `name` (devices first), or nullptr.
  [[nodiscard]] const DeviceSpec* find_device(std::string_view name) const noexcept;
  /// The param `param` of device or service `device`, or nullptr.
  [[nodiscard]] const ParamSpec* find_param(std::string_view device,
                                            std::string_view param) const noexcept;
  /// The value of node attribute `name`, or nullptr (first match).
  [[nodiscard]] const std::string* find_attribute(std::string_view name) const noexcept;
  /// True if the node attribute `cmd-resp` is "1" (spec §1.4 step 5, §3).
  [[nodiscard]] bool supports_cmd_resp() const noexcept;
};

/// Parses a node config JSON document (spec §2.1, example §2.3). Tolerant of fields it
/// does not use (subtype, readme, secure_boot_digest, device attributes, ...) and of missing
/// optional ones; strict on the types of those it reads. Required: a top-level object with
/// a non-empty string `node_id`; every device/service a non-empty string `name`; every param
/// a non-empty string `name` and a `data_type` of the six spellings. Device/service names
/// must be unique across both lists, param names unique within a device (they are keys in
/// params JSON). Unknown `properties` strings are ignored; `bounds` members may be numbers
/// or null. Errors: `errc::invalid_argument` whose context names the path, e.g.
/// `devices[1].params[0].data_type: expected a string`. Never throws (except bad_alloc).
Result<NodeConfig> parse_node_config(std::string_view json);

/// The node config as the firmware's generator writes it (spec §2.1, `esp-rainmaker:
/// src/core/esp_rmaker_node_config.c`): keys in the firmware's order; `info` fields and
/// `type`/`primary`/`ui_type` only when non-empty; `attributes` only when non-empty;
/// `properties` from the flags (`persist` is node-local and never written); `bounds`
/// with `step` only when it is set and non-zero; `valid_strs` only when non-empty.
/// `parse_node_config(to_json(c))` gives back `c` (without `persist`). Thread-safe.
std::string to_json(const NodeConfig& config);

}  // namespace stratus::model
