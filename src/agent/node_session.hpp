#pragma once
/// @file
/// The node's side of the RainMaker MQTT protocol (spec rainmaker.md §1), sans-I/O: events
/// go in (connected, message, console commands), MQTT actions come out (publish, subscribe).
/// A driver executes the actions on a real connection: `NodeAgent` for one node over
/// `mqtt::Client`, the swarm for thousands over `mqtt::ConnectionPool`.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/node_actions.hpp"
#include "agent/node_model.hpp"
#include "agent/ota_engine.hpp"
#include "core/clock.hpp"
#include "proto/topics.hpp"

namespace stratus::agent {

/// Behaviour switches of a session.
struct SessionOptions {
  /// Publish node→cloud messages on `$aws/rules/<rule>/node/<id>/<suffix>` as default
  /// firmware does (`CONFIG_ESP_RMAKER_MQTT_USE_BASIC_INGEST_TOPICS=y`), instead of
  /// `node/<id>/<suffix>`. Subscriptions always use the plain form (spec §1.2).
  bool basic_ingest_topics = false;
  /// Largest `params/remote` payload accepted, bytes (firmware:
  /// `CONFIG_ESP_RMAKER_MAX_PARAM_DATA_SIZE`, up to 8192).
  std::size_t max_remote_payload_bytes = 8192;
  /// Command-response (spec §1.4 step 5, §3; `CONFIG_ESP_RMAKER_CMD_RESP_ENABLE`, on by
  /// default in firmware): node attribute `cmd-resp` = `1`, subscribe `to-node`, the empty
  /// poll on `from-node` on every connect, commands dispatched to the model's handlers.
  bool cmd_resp = true;
  /// Largest `to-node` request accepted, bytes (the spec allows 64 KiB of data).
  std::size_t max_command_bytes = 70000;
  /// Firmware OTA (spec rainmaker-device.md §8): unset = none. In params mode the model
  /// must have the `OTA` service (`standard::ota_service()`).
  std::optional<OtaOptions> ota{};
};

/// What a session has done, for `status` and tests.
struct SessionStats {
  std::uint64_t boots = 0;              ///< boots started (1 + reboots)
  std::uint64_t connects = 0;           ///< connections that came up
  std::uint64_t reports = 0;            ///< `params/local` publishes
  std::uint64_t time_series = 0;        ///< `tsdata` + `simple_tsdata` publishes
  std::uint64_t remote_sets = 0;        ///< `params/remote` messages handled
  std::uint64_t local_sets = 0;         ///< sets through local control handled
  std::uint64_t refused_params = 0;     ///< params refused inside remote sets
  std::uint64_t rejected_messages = 0;  ///< messages dropped whole (not JSON, oversized, ...)
  std::uint64_t alerts = 0;             ///< `alert` publishes
  std::uint64_t mappings = 0;           ///< `user/mapping` publishes
  std::uint64_t commands = 0;           ///< `to-node` requests answered (any status)
  std::uint64_t polls = 0;              ///< empty polls sent on `from-node`
};

/// Where a user's set document came from (esp-rainmaker `esp_rmaker_req_src_t`).
enum class SetOrigin : std::uint8_t {
  cloud,          ///< `params/remote` (`ESP_RMAKER_REQ_SRC_CLOUD`)
  local_control,  ///< esp_local_ctrl's `params` property (`ESP_RMAKER_REQ_SRC_LOCAL`)
};

/// The protocol state machine of one node.
///
/// Boot order on the first connection of a boot (spec §1.4, firmware
/// `esp_rmaker_core.c`): `config` → `user/mapping` when a mapping is pending → subscribe
/// `params/remote` → `params/local/init` (every param) → one `tsdata`/`simple_tsdata` per
/// time-series param. On later connections of the same boot only the subscriptions are
/// sent again (the firmware's MQTT glue resubscribes; config and init are not re-sent),
/// followed by one `params/local` with whatever changed while offline. Local changes made
/// while connected are reported by `report` on `params/local`, time-series params also on
/// `tsdata` (property `time_series`) or `simple_tsdata` (`simple_ts`). A `params/remote`
/// set is validated and applied through the model's write callbacks, and what was applied
/// is re-reported on `params/local` (spec §1.3). With `cmd_resp`, every connect also
/// subscribes `to-node` and sends the empty poll; requests are checked (request id, role
/// and command non-empty → else status 2; a handler → else 4; role in its access mask →
/// else 3) and answered with the handler's status and data (spec §3.1). Command 1 (set
/// params) is built in: it applies `{"params":{…}}` without re-reporting and answers
/// `{"status":"success"|"fail","params":{applied}}` (spec §3.3).
///
/// With `SessionOptions::ota`, an `OtaEngine` adds firmware OTA: `otaurl` subscribed on
/// every connect, `otafetch` 5 s after the first connect of a boot (from `tick`), the job's
/// download driven by the driver's events, and the reboot into the new version.
///
/// Thread-safety: none; drive it from one thread (or under one strand). It keeps a
/// reference to `model` and `clock`, which must outlive it.
class NodeSession {
 public:
  NodeSession(NodeModel& model, const Clock& clock, SessionOptions options = {});
  ~NodeSession();
  NodeSession(const NodeSession&) = delete;
  NodeSession& operator=(const NodeSession&) = delete;

  /// The MQTT connection came up (CONNACK accepted). Appends the boot sequence on the
  /// first connection of a boot, else the resubscriptions and the offline changes.
  void on_connected(MqttActions& out);

  /// The connection was lost; nothing is sent until `on_connected`.
  void on_disconnected() noexcept;

  /// A message arrived on a subscribed topic. `params/remote` is applied and re-reported;
  /// a payload that is not a JSON object, or over `max_remote_payload_bytes`, is dropped
  /// and counted in `rejected_messages`; topics of other nodes or suffixes are ignored.
  void on_message(std::string_view topic, std::string_view payload, MqttActions& out);

  /// Applies a user's set document `{"<device>":{"<param>":value}}` exactly as a
  /// `params/remote` message is applied (the firmware's `esp_rmaker_handle_set_params`,
  /// shared by MQTT and local control): `NodeModel::apply_set` validates and applies each
  /// param, what was applied is reported (`report`: on `params/local` now when connected,
  /// else with the next connection's offline changes), and OTA using params sees the
  /// applied values. Counted in `remote_sets` or `local_sets` by `origin`. Errors
  /// (nothing applied): invalid_argument for a payload that is not a JSON object or is over
  /// `max_remote_payload_bytes` (from `proto::parse_json_object`).
  Result<SetOutcome> apply_user_set(std::string_view payload, MqttActions& out, SetOrigin origin);

  /// Answers a command whose handler returned `CommandReply::later()`: publishes the
  /// response TLV (request id, status, command, data) on `from-node`. Dropped when not
  /// connected (the cloud re-sends the request on the next poll). Returns whether sent.
  bool respond(std::string_view request_id, std::uint16_t command, std::uint8_t status,
               std::string_view data, MqttActions& out);

  /// The firmware console's `add-user <user_id> <secret_key>`: publishes
  /// `{"node_id","user_id","secret_key"[,"reset":true]}` on `user/mapping` (spec §1.3) now
  /// when the boot sequence is done, else in the boot sequence after `config`. `reset` is
  /// set when `user_id` differs from the user of the previous mapping of this session
  /// (`CONFIG_ESP_RMAKER_USER_ID_CHECK`), and on the first mapping after construction.
  void start_mapping(std::string user_id, std::string secret_key, MqttActions& out);

  /// Reports the model's pending changes on `params/local` (and time series) when the
  /// boot sequence is done and connected; otherwise they wait (and go into the init
  /// snapshot if the boot sequence has not run yet).
  void report(MqttActions& out);

  /// `esp_rmaker_raise_alert`: `{"esp.alert.str":"<text>"}` on `alert`, the text cut to
  /// 100 bytes (at a UTF-8 boundary). Dropped when not connected (the firmware does the
  /// same). Returns whether it was sent.
  bool raise_alert(std::string_view text, MqttActions& out);

  /// Starts a new boot: the next `on_connected` runs the full boot sequence again. The
  /// driver reconnects (a real reboot drops the connection) and stops a running OTA
  /// download; an OTA image installed before becomes the running firmware.
  void reboot() noexcept;

  /// Runs what is due at the clock's time (OTA: `otafetch`, the reboot after an update).
  /// Drivers call it periodically (a few times a second is plenty) or at `next_deadline`.
  void tick(MqttActions& out);

  /// The steady time at which `tick` has something to do next, if anything.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> next_deadline() const;

  /// OTA events from the driver's download of `MqttAction::download` `id` (see
  /// `OtaEngine`): the first `proto::kEspImageHeaderBytes` bytes; the bytes received so far
  /// (from byte 0); the end (the image's size, SHA-256 and structure, or the error whose
  /// context is the failure reason). Events of other ids, or without OTA, are ignored.
  void on_download_header(std::uint64_t id, std::span<const std::uint8_t> head, MqttActions& out);
  /// See `on_download_header`.
  void on_download_progress(std::uint64_t id, std::uint64_t bytes, MqttActions& out);
  /// See `on_download_header`.
  void on_download_finished(std::uint64_t id, const Result<DownloadedImage>& result,
                            MqttActions& out);

  /// Takes the OTA state an earlier run saved (a `save_ota_state` payload) before the first
  /// connection. Ignored without OTA.
  void restore_ota(const OtaPersistentState& state);

  /// The OTA engine, or nullptr when `SessionOptions::ota` is unset.
  [[nodiscard]] const OtaEngine* ota() const noexcept { return ota_.get(); }

  /// True between `on_connected` and `on_disconnected`.
  [[nodiscard]] bool connected() const noexcept { return connected_; }
  /// True once the boot sequence of the current boot has been sent.
  [[nodiscard]] bool booted() const noexcept { return booted_; }
  /// Counters since construction.
  [[nodiscard]] const SessionStats& stats() const noexcept { return stats_; }
  /// The session's options.
  [[nodiscard]] const SessionOptions& options() const noexcept { return options_; }
  /// The node model this session drives.
  [[nodiscard]] NodeModel& model() noexcept { return model_; }

 private:
  void publish(proto::Suffix suffix, std::string payload, MqttActions& out) const;
  void subscribe_all(MqttActions& out) const;
  void start_cmd_resp(MqttActions& out);
  void handle_command(std::string_view payload, MqttActions& out);
  CommandReply set_params_command(const CommandRequest& request, boost::json::object& applied);
  void publish_mapping(MqttActions& out);
  void publish_changes(const boost::json::object& changes, MqttActions& out);
  void publish_time_series(std::string_view device, const model::ParamSpec& spec,
                           const boost::json::value& value, MqttActions& out);

  NodeModel& model_;
  const Clock& clock_;
  SessionOptions options_;
  std::string remote_topic_;
  std::string to_node_topic_;
  bool connected_ = false;
  bool booted_ = false;
  bool mapping_pending_ = false;
  std::string mapping_user_id_;
  std::string mapping_secret_;
  std::string last_mapped_user_id_;
  SessionStats stats_;
  std::unique_ptr<OtaEngine> ota_;
};

}  // namespace stratus::agent
