#pragma once
/// @file
/// The node resources of the RainMaker REST API (spec rainmaker.md §4.3–4.5, §9.1,
/// §9.6): node lists and details, status, batch sets and their per-node outcomes,
/// user-node mapping, tags and metadata. Conventions as accounts.hpp.
///
/// Open-ended documents the node defines (config, params, metadata) travel as JSON
/// text in answers (the server stores them as text; clients print them). In requests
/// the server consumes them as JSON, so request DTOs point into the parsed body
/// (`const boost::json::object*`, valid while that body lives). Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// `status.connectivity` of a node (spec §9.1): `timestamp_ms` is the last change, in
/// milliseconds since the Unix epoch (0 when never seen).
struct Connectivity {
  bool connected = false;
  std::int64_t timestamp_ms = 0;  ///< JSON `timestamp`
};
/// `{"connected","timestamp"}`.
[[nodiscard]] boost::json::object to_json(const Connectivity& c);
/// `GET v1/user/nodes/status` answers `{"connectivity":{…}}`; this reads that object.
[[nodiscard]] Connectivity parse_node_status(const boost::json::object& answer);
/// `{"connectivity":{…}}`, the answer of `GET v1/user/nodes/status`.
[[nodiscard]] boost::json::object node_status_json(const Connectivity& c);

/// One entry of `GET v1/user/nodes?node_details=true` (spec §4.4).
struct NodeDetails {
  std::string id;    ///< JSON `id`, with the deprecated alias `node_id` (the TS SDK reads it)
  std::string role;  ///< "primary" | "secondary"
  int sub_role = 0;
  Connectivity connectivity;             ///< JSON `status.connectivity`
  std::int64_t mapping_timestamp_s = 0;  ///< seconds since the Unix epoch
  std::vector<std::string> tags;         ///< "key:value" strings
  std::string metadata_json;             ///< the metadata object; empty = null
  std::string config_json;               ///< the node config; empty = not reported (absent)
  std::string params_json;               ///< the reported params; empty = not reported (absent)
  /// Read from `config.info` by the parser (not written by `to_json`): empty without
  /// a config.
  std::string name, type, fw_version;

  /// Whether `role` is "primary" (JSON `primary`).
  [[nodiscard]] bool primary() const noexcept { return role == "primary"; }
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const NodeDetails& node);
/// Tolerant: `id` falls back to `node_id`.
[[nodiscard]] NodeDetails parse_node_details(const boost::json::object& entry);

/// One page of `GET v1/user/nodes`: ids (`nodes`) or, with `node_details=true`,
/// details (`node_details`). `next_id` is empty on the last page.
struct NodePage {
  std::vector<std::string> node_ids;
  std::vector<NodeDetails> node_details;
  bool with_details = false;  ///< which of the two lists the page carries
  std::string next_id;
  std::int64_t total = 0;  ///< the caller's node count
};
/// `{"nodes"|"node_details":[…],"next_id"?,"total"}`.
[[nodiscard]] boost::json::object to_json(const NodePage& page);
/// `total` falls back to the number of entries.
[[nodiscard]] NodePage parse_node_page(const boost::json::object& answer);
/// `to_json(page)` serialized, for callers that print it (the CLI's `--json`) without a
/// JSON library of their own.
[[nodiscard]] std::string json_text(const NodePage& page);

/// One entry of a batch set, `PUT v1/user/nodes/params` `[{"node_id","payload"}]`
/// (1..`limits::kMaxSetsPerRequest` entries). `payload` points into the parsed body.
struct ParamsSet {
  std::string node_id;
  const boost::json::object* payload = nullptr;  ///< `{"<Device>":{"<Param>":value}}`
};
/// Reads a set body: the batch array, or (the older single-node form) an object
/// payload with `?node_id=` given as `query_node_id`. Errors: `invalid_body` for
/// another shape, an entry without a string `node_id` and an object `payload`, or
/// not 1..25 entries. The result points into `body`.
[[nodiscard]] Result<std::vector<ParamsSet>> parse_params_sets(const boost::json::value& body,
                                                               std::string_view query_node_id);
/// The batch body. Precondition: every `payload` is non-null.
[[nodiscard]] boost::json::array to_json(const std::vector<ParamsSet>& sets);

/// The per-node result of a batch set (the 200/207 answer's entries):
/// `{"node_id","status":"success"|"failure","description"[,"queued":true]
/// [,"error_code"]}`.
struct SetOutcome {
  std::string node_id;
  bool success = false;
  std::string description;
  int error_code = 0;   ///< a `node_error` code on failure, 0 on success
  bool queued = false;  ///< accepted for an offline node, delivered when it is back
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const SetOutcome& outcome);
/// Reads the answer to a batch set. A non-array 2xx answer means success for every
/// node (spec §4.3, setparams): then the outcomes are built from `node_ids`.
[[nodiscard]] std::vector<SetOutcome> parse_set_outcomes(const boost::json::value& answer,
                                                         const std::vector<std::string>& node_ids);

/// `PUT v1/user/nodes/mapping {node_id, secret_key, operation, user_id}` (spec §4.5).
struct MappingRequest {
  std::string node_id;                 ///< required
  std::string secret_key;              ///< "" to remove
  std::string operation = "add";       ///< "add" | "remove" (absent = add)
  std::optional<std::string> user_id;  ///< must be the caller's when present
};
/// Errors: `invalid_body` for a non-string member; invalid_argument
/// `invalid_request_body` "node_id is missing".
[[nodiscard]] Result<MappingRequest> parse_mapping_request(const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const MappingRequest& request);

/// The answer to a mapping "add": `{"status","description","request_id"}`.
[[nodiscard]] boost::json::object mapping_created_json(std::string_view request_id);
/// Errors: internal when `request_id` is missing.
[[nodiscard]] Result<std::string> parse_mapping_created(const boost::json::object& answer);

/// `GET v1/user/nodes/mapping?request_id=` → `{"request_status"}` (spec §4.5).
enum class MappingStatus { requested, confirmed, timedout, discarded };
/// The wire word: "requested", "confirmed", "timedout", "discarded".
[[nodiscard]] std::string_view to_string(MappingStatus status) noexcept;
/// Writes the answer body. Pure; thread-safe.
[[nodiscard]] boost::json::object mapping_status_json(std::string_view status);
/// Accepts "timeout" for "timedout" (older servers). Errors: internal for a word this
/// client does not know.
[[nodiscard]] Result<MappingStatus> parse_mapping_status(const boost::json::object& answer);

/// `POST v1/user/nodes/mapping/initiate` `{"timeout"?}` (the CLI always sends 360;
/// other clients may send no body). Errors: `mapping_error::timeout_invalid` when
/// `timeout` is not a whole number of seconds that fits (360.0 is accepted); range
/// checks are the service's.
struct MappingChallengeRequest {
  std::optional<std::int64_t> timeout_s;
};
/// Reads a request body (strict; errors as the file comment says). Pure; thread-safe.
[[nodiscard]] Result<MappingChallengeRequest> parse_mapping_challenge_request(
    const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const MappingChallengeRequest& request);

/// The answer to initiate: `{"request_id","challenge"}`.
struct MappingChallenge {
  std::string request_id;
  std::string challenge;
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const MappingChallenge& challenge);
/// Errors: internal when `request_id` or `challenge` is missing.
[[nodiscard]] Result<MappingChallenge> parse_mapping_challenge(const boost::json::object& answer);

/// `POST v1/user/nodes/mapping/verify` `{"request_id","node_id","challenge_response",
/// "tags"?,"metadata"?}`; missing strings read as empty (the service names which).
/// Errors: `invalid_body` for a non-string member, `tags` not an array of strings or
/// `metadata` not an object.
struct MappingVerifyRequest {
  std::string request_id;
  std::string node_id;
  std::string challenge_response;
};
/// Reads a request body (strict; errors as the file comment says). Pure; thread-safe.
[[nodiscard]] Result<MappingVerifyRequest> parse_mapping_verify_request(
    const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const MappingVerifyRequest& request);

/// `PUT|DELETE v1/user/nodes?node_id=` `{"tags":[…],"metadata":…}` (spec §9.6).
/// `metadata` points into the parsed body: absent = nullptr; JSON null deletes all
/// metadata, `{"k":null}` deletes a key, objects merge.
struct NodeUpdate {
  std::vector<std::string> tags;
  const boost::json::value* metadata = nullptr;
};
/// Errors: `invalid_body` when `tags` is not an array of strings, or neither tags nor
/// metadata are given.
[[nodiscard]] Result<NodeUpdate> parse_node_update(const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const NodeUpdate& update);

}  // namespace stratus::proto::rest
