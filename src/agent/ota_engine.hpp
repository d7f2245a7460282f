#pragma once
/// @file
/// Firmware OTA on the node side, sans-I/O, as RainMaker firmware with app rollback does it:
/// "OTA using topics" (spec rainmaker-device.md §8.1–8.3, rainmaker.md §1.3: `otafetch`,
/// `otaurl`, `otastatus`) and "OTA using params" (§8.6: the `OTA` service). Events go in
/// (connected, `otaurl`, `OTA.URL` written, the download's header/progress/end, time),
/// actions come out (publishes, a download, a state write, a reboot). `NodeSession` owns one
/// when `SessionOptions::ota` is set and forwards its events.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "agent/node_actions.hpp"
#include "agent/node_model.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "proto/payloads.hpp"

namespace stratus::agent {

/// How the cloud reaches the node's OTA.
enum class OtaMode {
  topics,  ///< `otafetch`/`otaurl`/`otastatus` (`esp_rmaker_ota_enable_default()`)
  params,  ///< the `OTA` service's `URL`, `Info`, `Status` params (§8.6); no `otafetch`
};

/// A failure a virtual node is told to simulate, so the cloud's failure paths can be seen.
enum class OtaFault {
  none,
  checksum,  ///< the downloaded image's SHA-256 never matches: "Image validation failed"
  reject,    ///< every image is `rejected` after its header ("Image rejected by the node")
  download,  ///< every download attempt fails before a byte is read
};

/// Behaviour of an `OtaEngine`.
struct OtaOptions {
  OtaMode mode = OtaMode::topics;
  /// The running firmware's project: an image of another `project_name` is rejected. Empty:
  /// the model's `info.project_name`.
  std::string project_name;
  /// The node's chip (`esp_chip_id_t`, spec §7.4: ESP32 0x00, S3 0x09, …): an image built
  /// for another chip is rejected.
  std::uint16_t chip_id = 0x00;
  /// Anti-rollback counter of the running firmware: an image with a lower one is rejected.
  std::uint32_t secure_version = 0;
  OtaFault fault = OtaFault::none;
  /// Download attempts per job (`ESP_RMAKER_OTA_MAX_RETRIES`), at least 1.
  int max_attempts = 3;
  /// `otafetch` this long after the first connection of a boot, and after a success.
  std::chrono::milliseconds fetch_delay{5000};
  /// `otafetch` again this long after every attempt of a job failed
  /// (`ESP_RMAKER_OTA_RETRY_DELAY_MINUTES`).
  std::chrono::milliseconds retry_fetch_delay{std::chrono::minutes(5)};
  /// Reboot this long after a verified download (the firmware waits 10 s).
  std::chrono::milliseconds reboot_delay{10000};
  /// Called with every status report (also when it cannot be sent), e.g. to print it.
  /// Runs on the caller's thread inside the event; may be empty.
  std::function<void(proto::OtaState status, std::string_view info)> on_report;
};

/// What the driver learnt from a complete download.
struct DownloadedImage {
  std::uint64_t bytes = 0;  ///< image size, bytes
  std::string sha256_hex;   ///< SHA-256 of the whole image, lower-case hex
  /// Why the image is malformed (`proto::EspImageChecker`'s error), or empty when it is
  /// well formed.
  std::string structure_error;
};

/// What survives a reboot or a restart of the process (firmware: the flashed image and the
/// NVS keys `rmaker_ota_id`, `ota_update`; spec §8.1, §8.3).
struct OtaPersistentState {
  std::string fw_version;            ///< the running image's version; empty: the model's
  std::uint32_t secure_version = 0;  ///< the running image's secure version
  /// A new image was installed and not yet reported: report `success` once MQTT is up.
  bool pending_verify = false;
  std::string ota_job_id;  ///< the job of the pending image (empty in params mode)
};

/// `{"fw_version":…,"secure_version":…,"pending_verify":…,"ota_job_id":…}`. Pure.
[[nodiscard]] std::string encode_ota_state(const OtaPersistentState& state);

/// Reads what `encode_ota_state` wrote (unknown keys ignored, missing ones default).
/// Errors: invalid_argument for text that is not such an object (over 64 KiB, not JSON,
/// a field of the wrong type). Pure.
[[nodiscard]] Result<OtaPersistentState> parse_ota_state(std::string_view text);

/// Counters of an engine, for `status` and tests.
struct OtaStats {
  std::uint64_t fetches = 0;    ///< `otafetch` publishes
  std::uint64_t offers = 0;     ///< `otaurl` messages / `URL` writes that started a job
  std::uint64_t ignored = 0;    ///< offers ignored because a job was running
  std::uint64_t reports = 0;    ///< status reports sent (otastatus or params)
  std::uint64_t dropped = 0;    ///< otastatus reports dropped while offline
  std::uint64_t attempts = 0;   ///< download attempts started
  std::uint64_t installed = 0;  ///< images verified and waiting for the reboot
};

/// The OTA state machine of one node.
///
/// A job starts from an `otaurl` offer (topics) or a write of `OTA.URL` (params) and runs
/// up to `max_attempts` download attempts, each opened with `in-progress` "Starting OTA
/// Upgrade (HTTPS attempt n/N)" and a `download` action. Once the header is in, the image is
/// `rejected` for another project ("Project Name mismatch"), the running version ("Same
/// version received"), a lower secure version ("Lower secure version received") or another
/// chip ("Chip revision mismatch"): the job ends with no retry and no refetch. Otherwise
/// "Downloading Firmware Image", "Downloaded P% Firmware Image" every 10 % when the size is
/// known, "Firmware Image download complete"; then the image is checked (structure, size,
/// SHA-256 against `file_sha256`). A failed attempt reports `failed` "OTA Attempt n/N
/// failed: <reason>" and the next attempt starts; after the last one `otafetch` is sent
/// again after `retry_fetch_delay`. A verified image: `in-progress` "Rebooting into new
/// firmware (after n HTTPS attempt[s])", a `save_ota_state` action, and a `reboot` action
/// `reboot_delay` later (from `tick`). After `on_reboot` the model runs the new version
/// (`info.fw_version` in `config`); once connected, `success` "OTA Upgrade finished and
/// verified successfully" with the stored job id, the state is saved again, and `otafetch`
/// follows after `fetch_delay`. `ts` = the clock's Unix seconds.
///
/// Offers that do not parse are answered with `failed` "Aborted. JSON Payload error",
/// "Aborted. OTA Updated ID not found in JSON" or "Aborted. URL not found in JSON". Offers
/// arriving while a job runs are ignored.
///
/// Thread-safety: none; used by the thread driving its `NodeSession`. Keeps references to
/// `model` and `clock`, which must outlive it.
class OtaEngine {
 public:
  /// An engine for `model`. `report_params` sends the model's pending changes (the
  /// session's `report`); params mode calls it after each param update.
  OtaEngine(NodeModel& model, const Clock& clock, OtaOptions options, bool basic_ingest_topics,
            std::function<void(MqttActions&)> report_params);

  /// Takes the state saved by an earlier run (before the first connection): the model's
  /// `fw_version` becomes `state.fw_version` when that is non-empty.
  void restore(const OtaPersistentState& state);

  /// The connection came up. Topics mode subscribes `otaurl` on every connection. On the
  /// first connection of a boot: a pending image is reported `success` (state saved), and
  /// `otafetch` is scheduled `fetch_delay` later (topics mode).
  void on_connected(bool first_of_boot, MqttActions& out);

  /// The connection was lost: status reports are dropped until `on_connected`.
  void on_disconnected() noexcept;

  /// The node reboots: a running job is abandoned (the driver stops its download), an
  /// installed image becomes the running one, timers are cleared.
  void on_reboot() noexcept;

  /// Handles `node/<id>/otaurl` (topics mode). Returns false for any other topic, which
  /// the caller handles.
  bool on_message(std::string_view topic, std::string_view payload, MqttActions& out);

  /// Params mode: a set applied these params (`SetOutcome::applied`); a new `OTA.URL`
  /// starts a job.
  void on_params_applied(const boost::json::object& applied, MqttActions& out);

  /// Runs what is due at the clock's steady time: `otafetch` (once connected), the reboot.
  void tick(MqttActions& out);

  /// The steady time of the next thing `tick` would do, if any.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> next_deadline() const;

  /// The first `proto::kEspImageHeaderBytes` (or more) bytes of download `id` arrived.
  void on_download_header(std::uint64_t id, std::span<const std::uint8_t> head, MqttActions& out);

  /// Download `id` has `bytes` bytes of the image so far (counted from byte 0).
  void on_download_progress(std::uint64_t id, std::uint64_t bytes, MqttActions& out);

  /// Download `id` ended: the image, or why the attempt failed (the error's `context` is
  /// the reason in "OTA Attempt n/N failed: <reason>").
  void on_download_finished(std::uint64_t id, const Result<DownloadedImage>& result,
                            MqttActions& out);

  /// True while a job runs (downloading, or installed and waiting for the reboot).
  [[nodiscard]] bool busy() const noexcept { return stage_ != Stage::idle; }
  /// The persistent state as it is now.
  [[nodiscard]] const OtaPersistentState& state() const noexcept { return state_; }
  /// The last status reported and its text (empty before the first).
  [[nodiscard]] const std::string& last_report() const noexcept { return last_report_; }
  /// Counters since construction.
  [[nodiscard]] const OtaStats& stats() const noexcept { return stats_; }
  /// The options in use.
  [[nodiscard]] const OtaOptions& options() const noexcept { return options_; }

 private:
  enum class Stage { idle, downloading, installed };

  void report(proto::OtaState status, std::string_view info, MqttActions& out);
  void report_for(std::string_view job_id, proto::OtaState status, std::string_view info,
                  MqttActions& out);
  void start_job(std::string job_id, std::string url, std::optional<std::uint64_t> file_size,
                 std::optional<std::string> file_sha256, MqttActions& out);
  void start_attempt(MqttActions& out);
  void fail_attempt(std::string_view reason, MqttActions& out);
  void end_job() noexcept;
  void save_state(MqttActions& out) const;
  void publish_fetch(MqttActions& out);
  [[nodiscard]] const std::string& project_name() const noexcept;
  [[nodiscard]] std::int64_t unix_s() const;

  NodeModel& model_;
  const Clock& clock_;
  OtaOptions options_;
  bool basic_ingest_topics_;
  std::function<void(MqttActions&)> report_params_;
  std::string otaurl_topic_;
  bool connected_ = false;
  OtaPersistentState state_;
  OtaStats stats_;
  std::string last_report_;

  Stage stage_ = Stage::idle;
  std::string job_id_;
  std::string url_;
  std::optional<std::uint64_t> file_size_;
  std::optional<std::string> file_sha256_;
  int attempt_ = 0;
  std::uint64_t download_id_ = 0;  ///< the running download's id; 0 = none
  std::uint64_t next_download_id_ = 1;
  bool header_ok_ = false;
  bool resume_next_ = false;   ///< the last attempt ended with a download error
  int progress_reported_ = 0;  ///< last "Downloaded P%" step, percent
  std::string new_version_;
  std::uint32_t new_secure_version_ = 0;
  std::optional<std::chrono::steady_clock::time_point> fetch_at_;
  std::optional<std::chrono::steady_clock::time_point> reboot_at_;
};

}  // namespace stratus::agent
