#pragma once
/// @file
/// The command-response resources (spec rainmaker.md §3.5; docs/adr/0006):
/// `POST|GET|DELETE v1/user/nodes/cmd`. Conventions as accounts.hpp. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// `POST v1/user/nodes/cmd` `{node_ids, cmd, data?, is_base64?, timeout?, override?}`.
/// The parser checks types only; the ranges (`limits`) are the service's to check, with
/// their own codes.
struct CommandRequest {
  std::vector<std::string> node_ids;
  std::int64_t cmd = 0;
  /// The bytes the node receives: a JSON object or array as its text, a JSON string's
  /// contents, or (with `is_base64`) the decoded bytes. Empty = no data.
  std::string data;
  bool is_base64 = false;
  /// Seconds; nullopt = the server's default; -1 = until the node answers.
  std::optional<std::int64_t> timeout_s;
  bool override_pending = false;  ///< JSON `override`: supersede the caller's pending ones
};
/// Errors (invalid_argument): `invalid_body` for a malformed body, `node_ids` not an
/// array of strings or a flag not a boolean; `command_error::invalid_cmd` when `cmd` is
/// not an integer; `invalid_data` for `data` of another type (or not a string with
/// `is_base64`); `invalid_base64`; `invalid_timeout` when `timeout` is not an integer.
[[nodiscard]] Result<CommandRequest> parse_command_request(const boost::json::object& body);
/// Writes `data` as JSON when it parses as an object or array (and not `is_base64`),
/// else as a string (base64 of it with `is_base64`).
[[nodiscard]] boost::json::object to_json(const CommandRequest& request);

/// Nodes that had the same outcome, as the 207 answer groups them:
/// `{"node_ids":[…],"response":{"status","error_code"?,"description"}}`.
struct CommandResponseGroup {
  std::vector<std::string> node_ids;
  bool success = false;  ///< sent to the node (now in progress)
  int error_code = 0;    ///< on failure: a `command_error`/`node_error` code
  std::string description;
};
/// The answer to the POST: 200 `{"request_id","status":"success"}` when every node was
/// sent to (`responses` empty), else 207 `{"request_id","responses":[…]}`.
struct CommandCreated {
  std::string request_id;
  std::vector<CommandResponseGroup> responses;
  /// Whether every node was sent to (the 200 answer).
  [[nodiscard]] bool all_sent() const noexcept { return responses.empty(); }
};
/// The outcome of one node, for `group_command_outcomes`.
struct CommandNodeResult {
  std::string node_id;
  bool sent = false;
  int error_code = 0;
  std::string description;
};
/// Groups per-node outcomes (identical success, code and description share an entry,
/// in the order they first appear); no groups when every node was sent to.
[[nodiscard]] CommandCreated group_command_outcomes(std::string request_id,
                                                    const std::vector<CommandNodeResult>& nodes);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const CommandCreated& created);
/// Errors: internal when `request_id` is missing.
[[nodiscard]] Result<CommandCreated> parse_command_created(const boost::json::object& answer);

/// One record of `GET v1/user/nodes/cmd` (times in seconds since the Unix epoch).
struct CommandRecord {
  std::string request_id;
  std::string node_id;
  std::string status;  ///< requested | in_progress | success | failure | timed_out | …
  std::int64_t cmd = 0;
  std::string user_name;
  std::string request_data_json;  ///< the `request_data` member's JSON text
  std::int64_t request_timestamp_s = 0;
  std::optional<std::int64_t> device_status;
  std::string status_description;  ///< empty = absent
  std::string response_data_json;  ///< empty = absent
  bool is_base64 = false;
  std::optional<std::int64_t> response_timestamp_s;
  std::optional<std::int64_t> expiration_timestamp_s;  ///< nullopt: `indefinite_timeout`
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const CommandRecord& record);
/// Reads an answer (tolerant: absent members read as empty). Pure; thread-safe.
[[nodiscard]] CommandRecord parse_command_record(const boost::json::object& entry);

/// The JSON text of command data for `request_data`/`response_data`: the bytes when
/// they are JSON, else a JSON string of them — base64 when `is_base64` or they are not
/// UTF-8.
[[nodiscard]] std::string command_data_json(std::string_view bytes, bool is_base64);
/// What a person reads for a data member's JSON text: a string's contents, any other
/// JSON as it is.
[[nodiscard]] std::string command_data_text(std::string_view json_text);

/// `{"requests":[…],"next_id"?}`; `next_id` (a decimal string) is empty on the last page.
struct CommandPage {
  std::vector<CommandRecord> requests;
  std::string next_id;
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const CommandPage& page);
/// Reads an answer (tolerant: absent members read as empty). Pure; thread-safe.
[[nodiscard]] CommandPage parse_command_page(const boost::json::object& answer);

/// `DELETE v1/user/nodes/cmd`: `{"status","description","cancelled":N}`.
[[nodiscard]] boost::json::object commands_cancelled_json(std::int64_t cancelled);

}  // namespace stratus::proto::rest
