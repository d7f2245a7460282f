#pragma once
/// @file
/// Codecs of the RainMaker user-node mapping endpoints (spec rainmaker-device.md §4.1,
/// §4.2; rainmaker.md §8, §4.3): `cloud_user_assoc` (`rainmaker.RMakerConfigPayload`,
/// esp-rainmaker `esp_rmaker_user_mapping.proto`) and `ch_resp`
/// (`rmaker_ch_resp.RMakerChRespPayload`, `esp_rmaker_chal_resp.proto`). Plaintexts; the
/// session encrypts them. Decoding rules as in `protocomm/wifi.hpp` (msg names the
/// message, the oneof must match or be absent for a message without fields, errors are
/// invalid_argument, `decode(encode(x)) == x`). String fields must be UTF-8 (protobuf
/// `string`): user id, secret key, node id. Thread-safe (no state).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/error.hpp"

namespace stratus::protocomm {

// --- cloud_user_assoc ----------------------------------------------------------------------

/// `RMakerConfigStatus`. Unknown values are kept as sent.
enum class UserMappingStatus : std::int32_t {
  success = 0,
  invalid_param = 1,
  invalid_state = 2,
};

/// `CmdSetUserMapping`: the user the node is to be mapped to and the secret the node will
/// publish on `user/mapping` (the CLI uses a fresh UUID4).
struct UserMappingRequest {
  std::string user_id;
  std::string secret_key;
  /// False for a `CmdSetUserMapping` carrying another payload or none: the firmware
  /// answers it `InvalidParam` and keeps the session (spec §4.1); ids are then empty.
  bool payload_matches = true;
  bool operator==(const UserMappingRequest&) const = default;
};

/// `RespSetUserMapping`: the node's answer with its node id.
struct UserMappingResponse {
  UserMappingStatus status = UserMappingStatus::success;
  std::string node_id;
  bool operator==(const UserMappingResponse&) const = default;
};

/// `RMakerConfigPayload` bytes of the request (msg 0, `cmd_set_user_mapping`).
std::string encode_user_mapping_request(const UserMappingRequest& request);
/// Decodes the request. invalid_argument for bytes that are not an `RMakerConfigPayload`
/// or a msg other than 0; a request whose oneof is not `cmd_set_user_mapping` decodes
/// with `payload_matches` false (the firmware answers it InvalidParam, spec §4.1).
Result<UserMappingRequest> decode_user_mapping_request(std::string_view bytes);
/// `RMakerConfigPayload` bytes of the response (msg 1, `resp_set_user_mapping`).
std::string encode_user_mapping_response(const UserMappingResponse& response);
/// Decodes the response; msg must be 1. An absent oneof reads as status success with no
/// node id.
Result<UserMappingResponse> decode_user_mapping_response(std::string_view bytes);

// --- ch_resp ---------------------------------------------------------------------------------

/// `RMakerChRespStatus`. Unknown values are kept as sent.
enum class ChRespStatus : std::int32_t {
  success = 0,
  fail = 1,
  invalid_param = 2,
  disabled = 3,  ///< challenge-response was disabled on this node
};

/// `CmdCRPayload`: the cloud's challenge (from `user/nodes/mapping/initiate`), as bytes.
struct ChallengeRequest {
  std::string challenge;
  bool operator==(const ChallengeRequest&) const = default;
};
/// `CmdGetNodeIDPayload` (the firmware does not answer it).
struct GetNodeIdRequest {
  bool operator==(const GetNodeIdRequest&) const = default;
};
/// `CmdDisableChalRespPayload`: turn challenge-response off on the node.
struct DisableChallengeResponseRequest {
  bool operator==(const DisableChallengeResponseRequest&) const = default;
};
/// A `ch_resp` request.
using ChRespRequest =
    std::variant<ChallengeRequest, GetNodeIdRequest, DisableChallengeResponseRequest>;

/// `RespCRPayload` with the payload's status: the raw signature of SHA-256(challenge) with
/// the node key (ECDSA → DER; RSA → RSA-PSS) and the node id. A disabled node answers msg 1
/// with status disabled and no payload.
struct ChallengeResponse {
  ChRespStatus status = ChRespStatus::success;
  std::string signature;
  std::string node_id;
  bool operator==(const ChallengeResponse&) const = default;
};
/// `RespGetNodeIDPayload` with the payload's status.
struct GetNodeIdResponse {
  ChRespStatus status = ChRespStatus::success;
  std::string node_id;
  bool operator==(const GetNodeIdResponse&) const = default;
};
/// `RespDisableChalRespPayload` with the payload's status.
struct DisableChallengeResponseResult {
  ChRespStatus status = ChRespStatus::success;
  bool operator==(const DisableChallengeResponseResult&) const = default;
};
/// A `ch_resp` response.
using ChRespResponse =
    std::variant<ChallengeResponse, GetNodeIdResponse, DisableChallengeResponseResult>;

/// `RMakerChRespPayload` bytes of a request (msg 0/2/4).
std::string encode_ch_resp_request(const ChRespRequest& request);
/// Decodes a request; responses and unknown msg values are refused.
Result<ChRespRequest> decode_ch_resp_request(std::string_view bytes);
/// `RMakerChRespPayload` bytes of a response (msg 1/3/5).
std::string encode_ch_resp_response(const ChRespResponse& response);
/// Decodes a response; requests and unknown msg values are refused.
Result<ChRespResponse> decode_ch_resp_response(std::string_view bytes);

}  // namespace stratus::protocomm
