#pragma once
/// @file
/// "OTA using params" (spec rainmaker.md §4.6, the RainMaker CLI's historical `otaupgrade`):
/// a node whose firmware called `esp_rmaker_ota_enable(…, OTA_USING_PARAMS)` has a service
/// of type `esp.service.ota` in its node config with three params — `esp.param.ota_url`
/// (write: the image URL starts the update), `esp.param.ota_status` and
/// `esp.param.ota_info` (read: progress). This reads that service out of a node config,
/// writes the set that starts an update, and reads the progress out of a params report.
/// The client's codec (`client::Session`); pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// Service type of the OTA service in a node config.
inline constexpr std::string_view kOtaServiceType = "esp.service.ota";
/// Param types of that service.
inline constexpr std::string_view kOtaUrlParamType = "esp.param.ota_url";
inline constexpr std::string_view kOtaStatusParamType = "esp.param.ota_status";
inline constexpr std::string_view kOtaInfoParamType = "esp.param.ota_info";

/// The names a node gave its OTA service and that service's params (the firmware's
/// defaults are "OTA", "URL", "Status", "Info", but only the types are fixed).
struct OtaParamsService {
  std::string name;          ///< the service's `name` (the key in params documents)
  std::string url_param;     ///< name of the `esp.param.ota_url` param; empty if it has none
  std::string status_param;  ///< name of the `esp.param.ota_status` param; may be empty
  std::string info_param;    ///< name of the `esp.param.ota_info` param; may be empty
};

/// The first service of type `esp.service.ota` in `node_config` (`{"services":[{"name",
/// "type","params":[{"name","type"}]}]}`), or nullopt when the config has none. Tolerant:
/// entries of another shape are skipped.
[[nodiscard]] std::optional<OtaParamsService> find_ota_params_service(
    const boost::json::object& node_config);

/// The set that starts an update: `{"<service>":{"<url param>":"<url>"}}`.
/// `service.url_param` must not be empty.
[[nodiscard]] boost::json::object ota_url_set(const OtaParamsService& service,
                                              std::string_view url);

/// What a params report says of an update in progress: the values of the status and
/// info params (empty when not reported or not strings). Status values of the firmware:
/// `in-progress`, `success`, `failed`, `rejected`, `delayed` (esp_rmaker_ota.h).
struct OtaParamsProgress {
  std::string status;
  std::string info;
  /// Whether `status` ends an update: `success`, `failed` or `rejected`.
  [[nodiscard]] bool finished() const noexcept {
    return status == "success" || status == "failed" || status == "rejected";
  }
  friend bool operator==(const OtaParamsProgress&, const OtaParamsProgress&) = default;
};

/// Reads `params[service.name][status_param|info_param]` of a params report
/// (`GET v1/user/nodes/params`). Tolerant: missing members read as empty.
[[nodiscard]] OtaParamsProgress parse_ota_params_progress(const boost::json::object& params,
                                                          const OtaParamsService& service);

}  // namespace stratus::proto::rest
