#pragma once
/// @file
/// Plain data the REST client hands back (spec rainmaker.md §4). Open-ended JSON
/// documents (node config, params, metadata) stay raw JSON text, so no JSON
/// library type leaks into this header.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stratus::client {

/// The three tokens of a login (spec §4.2). `access_token` and `id_token` are JWTs;
/// `refresh_token` is opaque.
struct Tokens {
  std::string id_token;
  std::string access_token;
  std::string refresh_token;
};

/// `GET /v1/user2`: the logged-in user. `raw_json` is the server's answer.
struct UserInfo {
  std::string user_id;
  std::string user_name;
  std::string email;         ///< empty for phone-number accounts
  std::string phone_number;  ///< empty for e-mail accounts
  std::string name;          ///< optional display name
  bool super_admin = false;
  bool mfa = false;
  std::string raw_json;
};

/// `GET /mqtt_host`: where nodes connect. `port` is 0 when the server does not
/// say (the RainMaker cloud never does; Stratus sends the port it bound).
struct MqttEndpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string raw_json;
};

/// One page of `GET /v1/user/nodes` (ids only). `next_id` is empty on the last page.
struct NodeIdPage {
  std::vector<std::string> node_ids;
  std::string next_id;
  std::int64_t total = 0;
};

/// `status.connectivity` of a node (spec §9.1): `timestamp_ms` is the last change,
/// in milliseconds since the Unix epoch (0 when never seen).
struct Connectivity {
  bool connected = false;
  std::int64_t timestamp_ms = 0;
};

/// One entry of `GET /v1/user/nodes?node_details=true` (spec §4.4).
struct NodeDetails {
  std::string id;
  std::string role;  ///< "primary" | "secondary"
  bool primary = false;
  Connectivity connectivity;
  std::string name;                      ///< config.info.name, empty without a config
  std::string type;                      ///< config.info.type
  std::string fw_version;                ///< config.info.fw_version
  std::string config_json;               ///< the node config, empty if not reported yet
  std::string params_json;               ///< reported params, empty if not reported yet
  std::string metadata_json;             ///< metadata object, empty if none
  std::vector<std::string> tags;         ///< "key:value" strings
  std::int64_t mapping_timestamp_s = 0;  ///< seconds since the Unix epoch
  std::string raw_json;                  ///< this entry as the server sent it
};

/// One page of node details. `next_id` is empty on the last page.
struct NodeDetailsPage {
  std::vector<NodeDetails> nodes;
  std::string next_id;
  std::int64_t total = 0;
};

/// One entry of a batch set (`PUT /v1/user/nodes/params`): `payload_json` is a JSON
/// object `{"<Device>":{"<Param>":value}}`.
struct NodeParams {
  std::string node_id;
  std::string payload_json;
};

/// A command request to create (`POST v1/user/nodes/cmd`, spec §3.5).
struct CommandRequestSpec {
  std::vector<std::string> node_ids;  ///< 1..25, unique
  int cmd = 0;                        ///< 0..65535
  /// The `data` member as JSON text: an object, an array, or a JSON string (base64 text
  /// with `is_base64`). Empty = no data.
  std::string data_json;
  std::optional<int>
      timeout_s;  ///< 1..2592000 or -1 (until the node answers); none = server default
  bool is_base64 = false;
  bool override_pending = false;  ///< `override`: replace the caller's pending requests
};

/// The per-node result of a batch set (200/207 answers).
struct SetParamsOutcome {
  std::string node_id;
  bool success = false;
  std::string description;
  int error_code = 0;   ///< RainMaker code of a failure (e.g. 108019), 0 on success
  bool queued = false;  ///< accepted for an offline node, delivered when it is back
};

/// `GET /v1/user/nodes/mapping?request_id=` (spec §4.5).
enum class MappingStatus { requested, confirmed, timedout, discarded };

/// `POST /claim/verify` (spec §6.3; Stratus adds `ca_certificate` and `mqtt_port`).
struct ClaimedCertificate {
  std::string certificate_pem;
  std::string mqtt_host;           ///< empty when the server did not send one
  std::uint16_t mqtt_port = 0;     ///< 0 when the server did not send one
  std::string ca_certificate_pem;  ///< empty when the server did not send one
};

}  // namespace stratus::client
