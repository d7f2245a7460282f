#pragma once
/// @file
/// What a device tells before any session: the `proto-ver` JSON of provisioning (spec
/// rainmaker-device.md §1.5; ESP-IDF wifi_provisioning `manager.c`
/// `wifi_prov_get_info_json`, `wifi_prov_mgr_set_app_info`; esp-rainmaker
/// `esp_rmaker_chal_resp.c`, `esp_rmaker_claim.c`) and the `esp_local_ctrl/version` JSON
/// (§5.1), plus the endpoint names (§1.4, §5.1). Thread-safe (no state).
///
/// Shape: `{"<app>":{"ver":"…","cap":[…]},…,"prov":{"ver":"v1.1","sec_ver":N,
/// "sec_patch_ver":P,"cap":["no_sec"|"no_pop",…,"wifi_scan"]}}`, the application entries
/// (RainMaker: `rmaker` while claiming, `rmaker_extra` with `ch_resp`) first in
/// registration order, then `prov`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "protocomm/security.hpp"

namespace stratus::protocomm {

// Endpoint names of provisioning (the SoftAP transport serves `POST /<name>`).
/// The capabilities JSON (no session).
inline constexpr std::string_view kEndpointProtoVer = "proto-ver";
/// The handshake (`SessionData`).
inline constexpr std::string_view kEndpointSession = "prov-session";
/// `WiFiConfigPayload`.
inline constexpr std::string_view kEndpointConfig = "prov-config";
/// `WiFiScanPayload`.
inline constexpr std::string_view kEndpointScan = "prov-scan";
/// `WiFiCtrlPayload`.
inline constexpr std::string_view kEndpointCtrl = "prov-ctrl";
/// `RMakerConfigPayload`.
inline constexpr std::string_view kEndpointUserMapping = "cloud_user_assoc";
/// `RMakerChRespPayload`.
inline constexpr std::string_view kEndpointChallengeResponse = "ch_resp";
// Endpoint names of local control.
/// Local control: version JSON.
inline constexpr std::string_view kEndpointLocalCtrlVersion = "esp_local_ctrl/version";
/// Local control: the handshake.
inline constexpr std::string_view kEndpointLocalCtrlSession = "esp_local_ctrl/session";
/// Local control: `LocalCtrlMessage`.
inline constexpr std::string_view kEndpointLocalCtrlControl = "esp_local_ctrl/control";

// Capability names.
/// `prov.cap`: security 0.
inline constexpr std::string_view kCapNoSec = "no_sec";
/// `prov.cap`: security 1 without PoP.
inline constexpr std::string_view kCapNoPop = "no_pop";
/// `prov.cap`: `prov-scan` served.
inline constexpr std::string_view kCapWifiScan = "wifi_scan";
/// `rmaker_extra.cap`: `ch_resp` served.
inline constexpr std::string_view kCapChallengeResponse = "ch_resp";
/// `rmaker_extra.cap`: local control enabled.
inline constexpr std::string_view kCapLocalCtrl = "local_ctrl";
/// `rmaker.cap`: assisted claiming pending (the CLI refuses to provision).
inline constexpr std::string_view kCapClaim = "claim";
/// `rmaker.cap`: camera claiming pending.
inline constexpr std::string_view kCapCameraClaim = "camera_claim";

/// One `{"ver","cap"}` entry (an application's, or `prov`'s).
struct AppInfo {
  std::string name;  ///< the JSON key ("rmaker", "rmaker_extra", ...)
  std::string ver;
  std::vector<std::string> cap;
  [[nodiscard]] bool has(std::string_view capability) const noexcept;
  bool operator==(const AppInfo&) const = default;
};

/// The `proto-ver` answer.
struct ProtoVersion {
  std::string prov_ver = "v1.1";
  /// `prov.sec_ver`; absent from old firmware (the CLI then assumes 0 or 1 by `no_sec`).
  std::optional<int> sec_ver;
  /// `prov.sec_patch_ver` (1 for sec2 on current firmware); the CLI reads 0 when absent.
  std::optional<int> sec_patch_ver;
  std::vector<std::string> prov_cap;
  std::vector<AppInfo> apps;  ///< in the order sent
  /// True when the device answered a plain version string instead of JSON (firmware
  /// without capabilities); only `prov_ver` is then set.
  bool plain = false;

  /// `prov.cap` holds `capability`.
  [[nodiscard]] bool has_prov(std::string_view capability) const noexcept;
  /// The entry named `name`, or nullptr.
  [[nodiscard]] const AppInfo* app(std::string_view name) const noexcept;
  /// The entry `name` exists and holds `capability` (e.g. `rmaker_extra`, `ch_resp`).
  [[nodiscard]] bool app_has(std::string_view name, std::string_view capability) const noexcept;
  bool operator==(const ProtoVersion&) const = default;
};

/// What a RainMaker node advertises: `prov` v1.1 with `sec_ver`, `sec_patch_ver` (1 for
/// sec2, else 0), `no_sec` (sec0) or `no_pop` (sec1 without PoP), `wifi_scan`; then
/// `rmaker_extra` {"ver":"1.0","cap":["ch_resp"(,"local_ctrl")]} when `challenge_response`.
[[nodiscard]] ProtoVersion rainmaker_proto_version(SecurityVersion sec, bool pop_set,
                                                   bool challenge_response,
                                                   bool local_ctrl = false);

/// The JSON text (compact; the firmware prints it formatted, which no client minds). A
/// `plain` value is written as its bare `prov_ver`.
[[nodiscard]] std::string to_json(const ProtoVersion& info);

/// Reads a `proto-ver` answer. Text that does not start with `{` (after blanks) is a plain
/// version string when it is 1..64 printable ASCII characters. Errors (invalid_argument):
/// not JSON, not an object, no `prov` object or `prov.ver` string, a `cap` that is not an
/// array of strings, a `sec_ver`/`sec_patch_ver` that is not an integer 0..255. Entries
/// other than `prov` whose value is not an object, or lacks `ver`/`cap`, are skipped.
Result<ProtoVersion> parse_proto_version(std::string_view text);

/// The `esp_local_ctrl/version` answer: `{"local_ctrl":{"ver":"v1.0","sec_ver":N,
/// "sec_patch_ver":P}}`.
struct LocalCtrlVersion {
  std::string ver = "v1.0";
  int sec_ver = 0;
  int sec_patch_ver = 0;
  bool operator==(const LocalCtrlVersion&) const = default;
};
/// Compact JSON as the firmware writes it.
[[nodiscard]] std::string to_json(const LocalCtrlVersion& version);
/// Reads it; `sec_patch_ver` defaults to 0. Errors (invalid_argument): not an object with
/// a `local_ctrl` object holding a string `ver` and integer `sec_ver` 0..255.
Result<LocalCtrlVersion> parse_local_ctrl_version(std::string_view text);

}  // namespace stratus::protocomm
