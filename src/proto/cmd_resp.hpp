#pragma once
/// @file
/// The command-response wire format (spec rainmaker.md §3.1, `esp-rainmaker-common:
/// components/rmaker_cmd_resp/src/cmd_resp.c`): TLV8 records on `node/<id>/to-node`
/// (requests) and `from-node` (responses). Pure byte codecs: no I/O; thread-safe.
///
/// A record is 1 byte type, 1 byte length, value. A value longer than 255 bytes is split
/// into consecutive records of the same type; a record of exactly 255 bytes means "the
/// value continues in the next record if it has the same type" (so a 255-byte value is
/// one record and a 510-byte value two, with no empty trailer, as the firmware writes).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::proto {

/// TLV8 record types (spec §3.1).
enum class CmdTlvType : std::uint8_t {
  request_id = 1,  ///< string; the firmware keeps at most 31 bytes
  role = 2,        ///< 1 byte: role bits | sub-role bits
  status = 3,      ///< 1 byte, responses: a `CmdStatus`
  timestamp = 4,   ///< 4 bytes little-endian epoch seconds, requests, optional
  command = 5,     ///< 2 bytes little-endian
  data = 6,        ///< bytes, typically UTF-8 JSON
};

/// Role bits (low nibble of the role byte).
inline constexpr std::uint8_t kRoleSuperAdmin = 0x01;
inline constexpr std::uint8_t kRolePrimary = 0x02;
inline constexpr std::uint8_t kRoleSecondary = 0x04;
inline constexpr std::uint8_t kRoleNode = 0x08;

/// The sub-role bits for sub-role `n` (1–4 → 0x10, 0x20, 0x40, 0x80; anything else → 0).
[[nodiscard]] constexpr std::uint8_t sub_role_bits(int n) noexcept {
  return (n >= 1 && n <= 4) ? static_cast<std::uint8_t>(0x10U << static_cast<unsigned>(n - 1))
                            : std::uint8_t{0};
}

/// The response status byte (spec §3.1).
enum class CmdStatus : std::uint8_t {
  success = 0,
  failed = 1,
  invalid = 2,      ///< invalid command or data (empty request id, role or command)
  auth_failed = 3,  ///< the caller's role is not in the handler's access mask
  not_found = 4,    ///< no handler for the command
};

/// Standard command ids (spec §3.3): 1 = set params.
inline constexpr std::uint16_t kCmdSetParams = 1;

/// Longest request id a node accepts (its buffer is 32 bytes with the terminator).
inline constexpr std::size_t kMaxRequestIdBytes = 31;

/// A request, cloud → node.
struct CmdRequest {
  std::string request_id;
  std::uint8_t role = 0;
  std::optional<std::uint32_t> timestamp;  ///< epoch seconds
  std::uint16_t command = 0;
  std::string data;  ///< raw bytes; no record when empty
};

/// A response, node → cloud. The empty poll (spec §3.4) is a response with an empty
/// request id, status 0 and command 0.
struct CmdResponse {
  std::string request_id;
  std::uint8_t status = 0;  ///< a `CmdStatus` value (0–4); other values are kept as sent
  std::uint16_t command = 0;
  std::string data;  ///< raw bytes; empty when the node sent none
  /// True for the pending-command poll: empty request id and command 0.
  [[nodiscard]] bool is_poll() const noexcept { return request_id.empty() && command == 0; }
};

/// Request records in the order the firmware's test sender writes them: request id, role,
/// timestamp (when set), command, data (when non-empty).
std::string encode_request(const CmdRequest& request);

/// Response records as the firmware writes them: request id, status, command, data (when
/// non-empty).
std::string encode_response(const CmdResponse& response);

/// The pending-command poll a node sends on every connect: bytes
/// `01 00 03 01 00 05 02 00 00` (spec §3.4).
std::string encode_poll();

/// Decodes a request. Records of unknown types are skipped; a type that appears again
/// after another type is refused (fragments must be consecutive). Errors
/// (invalid_argument, the context names the problem): a record running past the end;
/// no command record, or one that is not 2 bytes; a role or timestamp of the wrong size.
/// A missing request id or role decodes as empty/0 (the node answers those with status 2).
Result<CmdRequest> decode_request(std::string_view bytes);

/// Decodes a response. Errors as `decode_request`, plus: no status record, or one that is
/// not 1 byte. Unknown status values are kept. Never throws.
Result<CmdResponse> decode_response(std::string_view bytes);

}  // namespace stratus::proto
