#pragma once
/// @file
/// What the sans-I/O node engine (`NodeSession`, its `OtaEngine`) asks a driver to do:
/// MQTT publishes and subscriptions, and for firmware OTA (spec rainmaker-device.md §8) an
/// image download, its cancellation, a write of the OTA state and a reboot.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stratus::agent {

/// One image download the driver runs for an OTA job (spec rainmaker-device.md §8.2). The
/// driver reports back with `NodeSession::on_download_header`, `on_download_progress` and
/// `on_download_finished`, each carrying `id`.
struct OtaDownload {
  /// Names this download in the events; the engine ignores events of other ids (a
  /// cancelled or superseded download).
  std::uint64_t id = 0;
  std::string url;  ///< `http://` or `https://`
  /// Image size the cloud announced (`otaurl` `file_size`), bytes; unknown in params mode.
  std::optional<std::uint64_t> file_size;
  /// Expected SHA-256 of the image, hex (Stratus's `file_sha256`); the engine compares.
  std::optional<std::string> file_sha256;
  /// False: start from byte 0 (a job's first attempt, or a retry after a bad image). True:
  /// the previous attempt of this job failed while downloading, so go on from the bytes it
  /// left (`Range: bytes=N-`).
  bool resume = false;
};

/// One thing the driver must do, in order. Every publish and subscription is QoS 1
/// without retain (spec rainmaker.md §1.1).
struct MqttAction {
  enum class Kind {
    publish,          ///< publish `payload` on `topic`
    subscribe,        ///< subscribe the filter `topic`
    download,         ///< start `download` (at most one runs; a new one replaces the old)
    cancel_download,  ///< stop the running download (its events are then ignored)
    save_ota_state,   ///< write `payload` (`encode_ota_state`) to the node's persistent state
    reboot,           ///< reboot the node now: drop the connection, `NodeSession::reboot`
  };
  Kind kind = Kind::publish;
  std::string topic;    ///< publish topic, or subscription filter; empty for other kinds
  std::string payload;  ///< publish payload, or the OTA state; empty for subscriptions
  std::optional<OtaDownload> download{};  ///< set for `Kind::download` only
};

/// Actions produced by one event, appended in the order they must go out.
using MqttActions = std::vector<MqttAction>;

}  // namespace stratus::agent
