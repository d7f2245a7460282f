#pragma once
/// @file
/// The gateway-to-backend payloads (spec wirepas.md §2): the protobuf messages generated
/// from `proto/*.proto` (our files, written from the documented definitions: package
/// `wirepas.proto.gateway_api`, proto2, same field numbers and enums), plus the envelope
/// rules every user of them needs. Unlike `protocomm` (docs/adr/0016) the generated types
/// are this module's public API (docs/adr/0017): the simulator and the console read and
/// write every field of some 35 messages, and only they include this header.
///
/// Thread-safety: free functions are thread-safe; a message object is not.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "generic_message.pb.h"  // IWYU pragma: export
#include "wirepas/topics.hpp"

namespace stratus::wirepas {

/// The generated messages, shorter.
namespace pb = ::wirepas::proto::gateway_api;

/// Largest payload `decode` accepts: a 1 MiB scratchpad (spec §2.7) plus headers.
inline constexpr std::size_t kMaxPayloadBytes = 1024 * 1024 + 4096;

/// The API's message-definition version in `StatusEvent.version`: clients refuse anything
/// else (spec §1.5).
inline constexpr std::uint32_t kStatusVersion = 1;

/// How strictly `decode` reads required fields.
enum class Strictness : std::uint8_t {
  /// Every proto2 `required` field must be present (what a C++ `ParseFromString` does).
  strict,
  /// Missing required fields are tolerated, as the Python clients do (spec §1.5): the
  /// console shows what arrived instead of dropping a real gateway's slightly short
  /// message. Absent fields read as their defaults; `has_*` says which were sent.
  tolerant,
};

/// Parses an MQTT payload as a `GenericMessage`. Errors: invalid_argument for an empty
/// payload (a cleared retained status, spec §1.4, is for the caller to recognise first),
/// one over `kMaxPayloadBytes`, bytes that are not the message, or — when strict — a
/// missing required field (named in the error).
Result<pb::GenericMessage> decode(std::span<const std::byte> payload,
                                  Strictness strictness = Strictness::strict);
/// `decode` over a string's bytes.
Result<pb::GenericMessage> decode(std::string_view payload,
                                  Strictness strictness = Strictness::strict);

/// Serializes `message` for publishing. Errors: invalid_argument naming the missing
/// required fields (we never send a message a strict parser refuses).
Result<std::string> encode(const pb::GenericMessage& message);

/// Which member of `WirepasMessage` is set, as the topic it travels on: `direction` and
/// `operation`. Errors: invalid_argument when no member or more than one is set (the API
/// carries exactly one per payload, spec §1).
struct MessageKind {
  Direction direction = Direction::event;
  Operation operation = Operation::status;
  friend bool operator==(const MessageKind&, const MessageKind&) = default;
};
/// See `MessageKind`.
Result<MessageKind> kind_of(const pb::WirepasMessage& message);

/// A new request id: 64 bits from the CSPRNG (the API asks for at least 48 random bits,
/// spec §1.1), never 0 (0 marks unsolicited responses, §1.4).
std::uint64_t new_request_id();

/// A new event id: 64 random bits (backends drop duplicates by it, spec §1.1).
std::uint64_t new_event_id();

/// The request header of a message, whichever request it is; nullptr for an event or a
/// response. The pointer is into `message`.
const pb::RequestHeader* request_header(const pb::WirepasMessage& message) noexcept;
/// The response header of a message, whichever response it is; nullptr otherwise.
const pb::ResponseHeader* response_header(const pb::WirepasMessage& message) noexcept;
/// The event header of a status or received-data event; nullptr otherwise.
const pb::EventHeader* event_header(const pb::WirepasMessage& message) noexcept;

/// The node role as the Python libraries' integer (spec §2.4): low nibble the base role
/// (1 sink, 2 router, 3 non-router), 0x10 LOW_LATENCY, 0x80 AUTOROLE. 17 = sink + low
/// latency.
std::uint32_t role_to_int(const pb::NodeRole& role);
/// The inverse of `role_to_int`. Errors: invalid_argument for a base role other than
/// 1-3 or bits other than those.
Result<pb::NodeRole> role_from_int(std::uint32_t role);

/// The name the Python clients print for a result code (`GW_RES_OK`,
/// `GW_RES_INVALID_SINK_ID`, `GW_RES_UNKNOWN_ERROR` for -1 or a value we do not know).
std::string result_name(int code);

}  // namespace stratus::wirepas
