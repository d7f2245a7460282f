#pragma once
/// @file
/// Codec of `esp_local_ctrl/control` (spec rainmaker-device.md §5.1, §5.2; ESP-IDF
/// `components/esp_local_ctrl/proto/esp_local_ctrl.proto`): property count, property
/// values, set property values. Plaintexts; the session encrypts them. Decoding rules as
/// in `protocomm/wifi.hpp`. Property names are protobuf `string` (UTF-8); values are
/// bytes. Thread-safe (no state).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "protocomm/status.hpp"

namespace stratus::protocomm {

/// RainMaker's properties (esp-rainmaker `esp_rmaker_local_ctrl.c`): index 0 `config`
/// (type 1, flags 1 = read-only, the node config JSON), index 1 `params` (type 2, flags
/// 0, the params JSON; a set takes `{"<device>":{"<param>":value}}`).
inline constexpr std::uint32_t kLocalCtrlPropConfig = 0;
/// See `kLocalCtrlPropConfig`.
inline constexpr std::uint32_t kLocalCtrlPropParams = 1;
/// Property flag bit 0: read-only.
inline constexpr std::uint32_t kLocalCtrlFlagReadOnly = 1;

/// `CmdGetPropertyCount`.
struct GetPropertyCount {
  bool operator==(const GetPropertyCount&) const = default;
};
/// `CmdGetPropertyValues`: the indices to read.
struct GetPropertyValues {
  std::vector<std::uint32_t> indices;
  bool operator==(const GetPropertyValues&) const = default;
};
/// `PropertyValue`: one value to write.
struct PropertyValue {
  std::uint32_t index = 0;
  std::string value;
  bool operator==(const PropertyValue&) const = default;
};
/// `CmdSetPropertyValues`.
struct SetPropertyValues {
  std::vector<PropertyValue> props;
  bool operator==(const SetPropertyValues&) const = default;
};
/// A control request.
using LocalCtrlRequest = std::variant<GetPropertyCount, GetPropertyValues, SetPropertyValues>;

/// `RespGetPropertyCount`.
struct PropertyCount {
  Status status = Status::success;
  std::uint32_t count = 0;
  bool operator==(const PropertyCount&) const = default;
};
/// `PropertyInfo`: one property read.
struct PropertyInfo {
  Status status = Status::success;
  std::string name;
  std::uint32_t type = 0;
  std::uint32_t flags = 0;
  std::string value;
  bool operator==(const PropertyInfo&) const = default;
};
/// `RespGetPropertyValues`. The firmware sends no props when the read failed.
struct PropertyValues {
  Status status = Status::success;
  std::vector<PropertyInfo> props;
  bool operator==(const PropertyValues&) const = default;
};
/// `RespSetPropertyValues`.
struct SetPropertyResult {
  Status status = Status::success;
  bool operator==(const SetPropertyResult&) const = default;
};
/// A control response.
using LocalCtrlResponse = std::variant<PropertyCount, PropertyValues, SetPropertyResult>;

/// `LocalCtrlMessage` bytes of a request (msg 0/4/6).
std::string encode_local_ctrl_request(const LocalCtrlRequest& request);
/// Decodes a request; responses and unknown msg values (the firmware closes the
/// connection) are refused.
Result<LocalCtrlRequest> decode_local_ctrl_request(std::string_view bytes);
/// `LocalCtrlMessage` bytes of a response (msg = request's + 1).
std::string encode_local_ctrl_response(const LocalCtrlResponse& response);
/// Decodes a response; requests and unknown msg values are refused.
Result<LocalCtrlResponse> decode_local_ctrl_response(std::string_view bytes);

}  // namespace stratus::protocomm
