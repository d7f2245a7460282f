#pragma once
/// @file
/// Decoders for the JSON payloads nodes publish (spec rainmaker.md §1.3): user/mapping,
/// alert, otafetch, otastatus, tsdata, simple_tsdata, plus the bounded JSON-object parser they
/// share. Strict on the fields they read (a wrong type is an error naming the field), tolerant of
/// extra fields. Pure, no I/O; every function is thread-safe and never throws (except
/// `std::bad_alloc`).

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto {

/// Default size limit for the small node→cloud messages decoded here, in bytes. Firmware
/// builds these in buffers of at most a few hundred bytes.
inline constexpr std::size_t kDefaultMaxMessageBytes = 4096;

/// Largest `alert` payload kept, in bytes: the firmware's `esp.alert.str` form is at
/// most 100 characters, its params form at most `CONFIG_ESP_RMAKER_MAX_PARAM_DATA_SIZE`
/// (≤ 8192) (spec rainmaker.md §1.3). Larger alerts are dropped as oversize.
inline constexpr std::size_t kMaxAlertBytes = 8192;

/// Parses `payload` as one JSON object. Errors (`errc::invalid_argument`): more than
/// `max_bytes` bytes; not JSON (including invalid UTF-8 and nesting deeper than 32); JSON
/// that is not an object; a number that does not fit a double (`1e400`: the parser would
/// make it infinity, which is not JSON, see `all_numbers_finite`). Duplicate keys keep
/// the last value.
Result<boost::json::object> parse_json_object(std::string_view payload, std::size_t max_bytes);

/// True when every number in `value` is finite. Boost.JSON parses a number beyond the
/// double range (`1e400`) as ±infinity; stored, that is no longer JSON and a later merge
/// would lose the document (issue 13), so every parser of outside JSON refuses it.
/// Recursion is bounded by the parser's depth limit. Pure, thread-safe.
bool all_numbers_finite(const boost::json::value& value) noexcept;

/// A `user/mapping` message (spec §1.3): the node's half of the legacy mapping handshake.
struct UserMappingMessage {
  std::string node_id;
  std::string user_id;
  std::string secret_key;
  /// `"reset":true` was sent: the node considers this a new association.
  bool reset = false;

  /// The user id the firmware sends on factory reset (with `secret_key` "failed").
  static constexpr std::string_view kResetUserId = "esp-rmaker";

  /// True when the cloud must drop the node's existing user associations (spec §1.5):
  /// `reset` is set, or the user id is `esp-rmaker`.
  [[nodiscard]] bool drops_existing_users() const noexcept {
    return reset || user_id == kResetUserId;
  }
};

/// Decodes `{"node_id":s,"user_id":s,"secret_key":s[,"reset":bool]}`. The three strings are
/// required and non-empty. Errors: `errc::invalid_argument` naming the field, or from
/// `parse_json_object`. The caller checks `node_id` against the topic's node id.
Result<UserMappingMessage> parse_user_mapping(std::string_view payload,
                                              std::size_t max_bytes = kDefaultMaxMessageBytes);

/// An `alert` message (spec §1.3), in one of its two forms.
struct Alert {
  enum class Kind {
    text,    ///< `{"esp.alert.str":"<message>"}` from `esp_rmaker_raise_alert()`
    params,  ///< a params object `{"<device>":{"<param>":value}}` from `..._update_and_notify()`
  };
  Kind kind = Kind::text;
  /// For `Kind::text` the message; for `Kind::params` the params object as compact JSON.
  std::string text;
};

/// Decodes an alert. An object with the key `esp.alert.str` is the text form (the value
/// must be a string; other keys are ignored); otherwise it must be a non-empty object whose
/// every value is an object (params shape). Errors: `errc::invalid_argument`.
Result<Alert> parse_alert(std::string_view payload,
                          std::size_t max_bytes = kDefaultMaxMessageBytes);

/// An `otafetch` request (spec §1.3): the node asks whether an OTA job applies to it.
struct OtaFetch {
  std::string node_id;
  std::string fw_version;
  /// Thread partition id, when the node sends one (string or integer on the wire).
  std::optional<std::string> network_id;
};

/// Decodes `{"node_id":s,"fw_version":s[,"network_id":s|int]}`; `node_id` must be non-empty.
/// Errors: `errc::invalid_argument` naming the field.
Result<OtaFetch> parse_ota_fetch(std::string_view payload,
                                 std::size_t max_bytes = kDefaultMaxMessageBytes);

/// The OTA progress states a node reports (spec §1.3).
enum class OtaState { in_progress, success, failed, delayed, rejected };

/// Wire spelling: "in-progress", "success", "failed", "delayed", "rejected".
std::string_view to_string(OtaState state) noexcept;

/// Parses a wire spelling of `OtaState`; `std::nullopt` if unknown.
std::optional<OtaState> parse_ota_state(std::string_view text) noexcept;

/// An `otastatus` report (spec §1.3).
struct OtaStatus {
  std::string ota_job_id;
  OtaState status = OtaState::in_progress;
  /// Free text from the node; empty when absent or null.
  std::string additional_info;
  /// Node time of the report, Unix seconds, when sent (newer firmware; 0 without valid time).
  std::optional<std::int64_t> ts_s;
  /// Thread partition id, when sent (string or integer on the wire).
  std::optional<std::string> network_id;
};

/// Decodes `{"ota_job_id":s,"status":s[,"additional_info":s|null][,"ts":int]
/// [,"network_id":s|int]}`. `ota_job_id` must be non-empty and `status` one of the
/// `OtaState` spellings. Errors: `errc::invalid_argument` naming the field.
Result<OtaStatus> parse_ota_status(std::string_view payload,
                                   std::size_t max_bytes = kDefaultMaxMessageBytes);

/// Default cap on the records of one `tsdata` message (config
/// `timeseries.max_records_per_message`).
inline constexpr std::size_t kDefaultMaxTsRecords = 500;

/// One time-series value a node reported (spec §1.3 `tsdata` record or `simple_tsdata`).
/// `value`'s JSON kind matches `data_type` (checked by the decoders).
struct TsRecord {
  std::string name;       ///< `<Device>.<Param>`
  std::string data_type;  ///< `dt`: int | float | bool | string | object | array
  std::int64_t t = 0;     ///< node time, Unix seconds (not checked against a clock here)
  boost::json::value value;
};

/// True when `data_type` is one of the six spellings above.
bool is_ts_data_type(std::string_view data_type) noexcept;

/// The largest magnitude a `float` time-series value may have. Rollups and aggregates
/// add values up (a quarter hour's sum, an hour's average); bounded so, no sum of a
/// bucket's points can overflow to infinity, which JSON cannot carry and PostgreSQL's
/// float8 addition refuses. No sensor reports more.
inline constexpr double kMaxTimeSeriesMagnitude = 1e100;

/// True when `value` may be stored as `data_type`: int → an integer; float → a number of
/// magnitude ≤ kMaxTimeSeriesMagnitude; bool → a boolean; string → a string; object → an
/// object; array → an array.
bool ts_value_matches(std::string_view data_type, const boost::json::value& value) noexcept;

/// Decodes `tsdata`: `{"ts_data_version":s,"ts_data":[{"name":s,"type"?:s,"dt":s,
/// "records":[{"t":int,"v":value}]}]}`, flattened in order. `name` must be non-empty (and
/// hold no NUL), `dt`
/// one of the six types, every `t` an integer and every `v` of type `dt`. Errors
/// (`errc::invalid_argument`, naming the field as `ts_data[i].records[j].v`): those, more
/// than `max_records` records in all, or those of `parse_json_object`.
Result<std::vector<TsRecord>> parse_tsdata(std::string_view payload,
                                           std::size_t max_records = kDefaultMaxTsRecords,
                                           std::size_t max_bytes = kDefaultMaxMessageBytes);

/// Decodes `simple_tsdata`: `{"name":s,"type"?:s,"dt":s,"t":int,"v":value[,"d":int]}`
/// (`d`, the TTL in days the official cloud honours, is read and ignored: retention is
/// the server's). Errors as `parse_tsdata`.
Result<TsRecord> parse_simple_tsdata(std::string_view payload,
                                     std::size_t max_bytes = kDefaultMaxMessageBytes);

}  // namespace stratus::proto
