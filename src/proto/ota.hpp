#pragma once
/// @file
/// The OTA messages between cloud and node in "OTA using topics" mode (spec rainmaker.md
/// §1.3, rainmaker-device.md §8.1): the cloud's `otaurl` offer (encoded here, decoded by
/// nodes) and the node's `otafetch`/`otastatus` (decoded in `payloads.hpp`, encoded here for
/// node agents). Pure, no I/O; every function is thread-safe and never throws (except
/// `std::bad_alloc`).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "proto/payloads.hpp"

namespace stratus::proto {

/// An `otaurl` offer (spec rainmaker.md §1.3; firmware `esp_rmaker_ota_using_topics.c`).
struct OtaUrl {
  std::string ota_job_id;  ///< required, non-empty
  std::string url;         ///< required, non-empty: where the node downloads the image
  /// Image size in bytes. The firmware reads the key `file_size` (its comment says
  /// `filesize`); it enables progress reports.
  std::optional<std::int64_t> file_size;
  /// The firmware uses it only as the resume key (never checks the data against it).
  std::optional<std::string> file_md5;
  std::optional<std::string> fw_version;  ///< the version the image carries
  /// Compact JSON object forwarded verbatim (`download_window`, `validity`, `esp.ota.target`).
  std::optional<std::string> metadata;
  /// Stratus extension: SHA-256 of the image, 64 lower-case hex digits. Firmware ignores
  /// unknown keys; `stratus-node` checks the downloaded image against it.
  std::optional<std::string> file_sha256;
};

/// Encodes `offer` as the `otaurl` JSON object; absent optionals are left out and
/// `metadata` (which must be a JSON object, as `parse_ota_url` gives it) is embedded as
/// an object. Pure.
[[nodiscard]] std::string encode_ota_url(const OtaUrl& offer);

/// Decodes an `otaurl` message as the firmware does: `ota_job_id` and `url` are required
/// non-empty strings; `file_size` a non-negative integer; `file_md5`, `fw_version`,
/// `file_sha256` strings; `metadata` an object. Unknown keys are ignored. Errors:
/// `errc::invalid_argument` naming the field (the firmware's texts: "Aborted. OTA Updated
/// ID not found in JSON" and "Aborted. URL not found in JSON" are the caller's to report).
[[nodiscard]] Result<OtaUrl> parse_ota_url(std::string_view payload,
                                           std::size_t max_bytes = kDefaultMaxMessageBytes);

/// Encodes `{"node_id":…,"fw_version":…}` (`otafetch`, spec §1.3). Pure.
[[nodiscard]] std::string encode_ota_fetch(std::string_view node_id, std::string_view fw_version);

/// Encodes `{"ota_job_id":…,"status":…,"additional_info":…,"ts":…}` (`otastatus`, spec
/// §1.3; `ts` is left out when `ts_s` is empty, as firmware without time does). Pure.
[[nodiscard]] std::string encode_ota_status(std::string_view ota_job_id, OtaState status,
                                            std::string_view additional_info,
                                            std::optional<std::int64_t> ts_s);

}  // namespace stratus::proto
