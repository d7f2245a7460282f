#pragma once
/// @file
/// Codecs of the Wi-Fi provisioning endpoints (spec rainmaker-device.md §3; ESP-IDF
/// `components/wifi_provisioning/proto/wifi_{constants,config,scan,ctrl}.proto`):
/// `prov-config` (`WiFiConfigPayload`), `prov-scan` (`WiFiScanPayload`), `prov-ctrl`
/// (`WiFiCtrlPayload`). These are the plaintexts; the session encrypts them.
///
/// Decoding rules, the same for every endpoint: the bytes must parse as the endpoint's
/// protobuf message; `msg` names the message; the `payload` oneof must be the one `msg`
/// names, except that it may be absent when that message has no fields of its own (it then
/// reads as its defaults). Errors are invalid_argument with the reason; decoders never
/// throw, and `decode(encode(x)) == x` for every value. Byte fields (SSIDs, passphrases,
/// BSSIDs) are raw bytes; `ip4_addr` is a protobuf `string` and must be UTF-8.
/// Thread-safe (no state).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "protocomm/status.hpp"

namespace stratus::protocomm {

/// `WifiStationState`.
enum class WifiStationState : std::int32_t {
  connected = 0,
  connecting = 1,
  disconnected = 2,
  connection_failed = 3,
};

/// `WifiConnectFailedReason`.
enum class WifiFailReason : std::int32_t {
  auth_error = 0,
  network_not_found = 1,
};

/// `WifiAuthMode`.
enum class WifiAuthMode : std::int32_t {
  open = 0,
  wep = 1,
  wpa_psk = 2,
  wpa2_psk = 3,
  wpa_wpa2_psk = 4,
  wpa2_enterprise = 5,
  wpa3_psk = 6,
  wpa2_wpa3_psk = 7,
};

/// `WifiConnectedState`: where the station is connected.
struct WifiConnected {
  std::string ip4_addr;  ///< dotted quad, UTF-8
  WifiAuthMode auth_mode = WifiAuthMode::open;
  std::string ssid;   ///< bytes
  std::string bssid;  ///< bytes (6 when known)
  std::int32_t channel = 0;
  bool operator==(const WifiConnected&) const = default;
};

// --- prov-config -------------------------------------------------------------------------

/// `CmdGetStatus`.
struct WifiGetStatus {
  bool operator==(const WifiGetStatus&) const = default;
};
/// `CmdSetConfig`: credentials. The firmware refuses (status invalid_argument) an SSID over
/// 32 bytes, a passphrase over 64, a BSSID other than 0 or 6 bytes.
struct WifiSetConfig {
  std::string ssid;
  std::string passphrase;
  std::string bssid;
  std::int32_t channel = 0;
  bool operator==(const WifiSetConfig&) const = default;
};
/// `CmdApplyConfig`.
struct WifiApplyConfig {
  bool operator==(const WifiApplyConfig&) const = default;
};
/// A `prov-config` request.
using WifiConfigRequest = std::variant<WifiGetStatus, WifiSetConfig, WifiApplyConfig>;

/// `RespGetStatus`. At most one of `fail_reason`, `connected`, `attempts_remaining` (the
/// `state` oneof): connecting → none; connected → `connected`; connection_failed →
/// `fail_reason`; a failed attempt with retries left (connecting) → `attempts_remaining`.
struct WifiStatus {
  Status status = Status::success;
  WifiStationState state = WifiStationState::connected;
  std::optional<WifiFailReason> fail_reason;
  std::optional<WifiConnected> connected;
  std::optional<std::uint32_t> attempts_remaining;
  bool operator==(const WifiStatus&) const = default;
};
/// `RespSetConfig`.
struct WifiSetConfigResult {
  Status status = Status::success;
  bool operator==(const WifiSetConfigResult&) const = default;
};
/// `RespApplyConfig`.
struct WifiApplyConfigResult {
  Status status = Status::success;
  bool operator==(const WifiApplyConfigResult&) const = default;
};
/// A `prov-config` response.
using WifiConfigResponse = std::variant<WifiStatus, WifiSetConfigResult, WifiApplyConfigResult>;

/// `WiFiConfigPayload` bytes of a request (msg 0/2/4).
std::string encode_wifi_config_request(const WifiConfigRequest& request);
/// Decodes a request; a response message (odd `msg`) or an unknown `msg` is refused.
/// A status with more than one of its oneof fields cannot occur (protobuf keeps the last).
Result<WifiConfigRequest> decode_wifi_config_request(std::string_view bytes);
/// `WiFiConfigPayload` bytes of a response (msg 1/3/5). A `WifiStatus` with more than one
/// optional set is encoded with the first set in the order fail_reason, connected,
/// attempts_remaining.
std::string encode_wifi_config_response(const WifiConfigResponse& response);
/// Decodes a response; request messages and unknown `msg` values are refused.
Result<WifiConfigResponse> decode_wifi_config_response(std::string_view bytes);

// --- prov-scan ---------------------------------------------------------------------------

/// `CmdScanStart`. The CLI sends blocking, active, 5 channels per group (SoftAP), 120 ms.
struct WifiScanStart {
  bool blocking = false;
  bool passive = false;
  std::uint32_t group_channels = 0;
  std::uint32_t period_ms = 0;
  bool operator==(const WifiScanStart&) const = default;
};
/// `CmdScanStatus`.
struct WifiScanStatus {
  bool operator==(const WifiScanStatus&) const = default;
};
/// `CmdScanResult`: a page of results.
struct WifiScanResults {
  std::uint32_t start_index = 0;
  std::uint32_t count = 0;
  bool operator==(const WifiScanResults&) const = default;
};
/// A `prov-scan` request.
using WifiScanRequest = std::variant<WifiScanStart, WifiScanStatus, WifiScanResults>;

/// `WiFiScanResult`: one access point.
struct WifiScanEntry {
  std::string ssid;  ///< bytes
  std::uint32_t channel = 0;
  std::int32_t rssi = 0;
  std::string bssid;  ///< bytes
  WifiAuthMode auth = WifiAuthMode::open;
  bool operator==(const WifiScanEntry&) const = default;
};
/// `RespScanStart` (with the payload's `status`).
struct WifiScanStarted {
  Status status = Status::success;
  bool operator==(const WifiScanStarted&) const = default;
};
/// `RespScanStatus`.
struct WifiScanProgress {
  Status status = Status::success;
  bool finished = false;
  std::uint32_t result_count = 0;
  bool operator==(const WifiScanProgress&) const = default;
};
/// `RespScanResult`.
struct WifiScanPage {
  Status status = Status::success;
  std::vector<WifiScanEntry> entries;
  bool operator==(const WifiScanPage&) const = default;
};
/// A `prov-scan` response.
using WifiScanResponse = std::variant<WifiScanStarted, WifiScanProgress, WifiScanPage>;

/// `WiFiScanPayload` bytes of a request (msg 0/2/4).
std::string encode_wifi_scan_request(const WifiScanRequest& request);
/// Decodes a request. Errors as `decode_wifi_config_request`.
Result<WifiScanRequest> decode_wifi_scan_request(std::string_view bytes);
/// `WiFiScanPayload` bytes of a response (msg 1/3/5).
std::string encode_wifi_scan_response(const WifiScanResponse& response);
/// Decodes a response. Errors as `decode_wifi_config_response`.
Result<WifiScanResponse> decode_wifi_scan_response(std::string_view bytes);

// --- prov-ctrl ---------------------------------------------------------------------------

/// What a `prov-ctrl` message asks or answers.
enum class WifiCtrlCommand : std::uint8_t {
  reset,   ///< forget failed credentials and accept new ones (only after a failure)
  reprov,  ///< provision again after success
};
/// A `prov-ctrl` request (`CmdCtrlReset`, `CmdCtrlReprov`).
struct WifiCtrlRequest {
  WifiCtrlCommand command = WifiCtrlCommand::reset;
  bool operator==(const WifiCtrlRequest&) const = default;
};
/// A `prov-ctrl` response (`RespCtrlReset`, `RespCtrlReprov`) with the payload's status.
struct WifiCtrlResponse {
  WifiCtrlCommand command = WifiCtrlCommand::reset;
  Status status = Status::success;
  bool operator==(const WifiCtrlResponse&) const = default;
};

/// `WiFiCtrlPayload` bytes (msg 1/3).
std::string encode_wifi_ctrl_request(const WifiCtrlRequest& request);
/// Decodes a request; msg 0 (reserved), responses and unknown values are refused.
Result<WifiCtrlRequest> decode_wifi_ctrl_request(std::string_view bytes);
/// `WiFiCtrlPayload` bytes (msg 2/4).
std::string encode_wifi_ctrl_response(const WifiCtrlResponse& response);
/// Decodes a response; requests, msg 0 and unknown values are refused.
Result<WifiCtrlResponse> decode_wifi_ctrl_response(std::string_view bytes);

}  // namespace stratus::protocomm
