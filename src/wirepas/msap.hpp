#pragma once
/// @file
/// The MSAP remote-API frames a backend sends to nodes (source endpoint 255 → destination
/// endpoint 240) and the replies nodes send back from endpoint 240 (spec wirepas.md §3.4,
/// after backend-client's `messages/msap_cmds/*.py`, which cites WP-RM-117). A packet is a
/// concatenation of items `<type u8> <length u8> <data>`; a reply's type is its request's
/// with bit 7 set. All multi-byte fields little-endian. Pure codec: every byte string
/// gives a value or an `Error` (invalid_argument), never a crash. Thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace stratus::wirepas::msap {

/// Endpoints of the remote API (spec §3.4).
inline constexpr std::uint8_t kRequestSourceEndpoint = 255;
inline constexpr std::uint8_t kRemoteApiEndpoint = 240;
/// A packet of concatenated items stays below this many bytes (`maxPacketSizeBytes`).
inline constexpr std::size_t kMaxPacketBytes = 102;

/// Item types (requests; a reply sets bit 7).
enum class Type : std::uint8_t {
  ping = 0x00,
  begin = 0x01,
  end = 0x03,
  cancel = 0x04,
  update = 0x05,
  scratchpad_status = 0x19,
  scratchpad_update = 0x1A,
  diagnostic_control = 0x60,
};
/// The reply type a node sends for "invalid begin" and similar refusals.
inline constexpr std::uint8_t kErrorReplyType = 0xFB;
/// Bit 7 marks a reply.
inline constexpr std::uint8_t kReplyBit = 0x80;

/// One `<type> <length> <data>` item, uninterpreted.
struct Item {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> data;  ///< 0-255 bytes
  friend bool operator==(const Item&, const Item&) = default;
};

/// Splits a packet into its items. Errors: invalid_argument when an item's length runs
/// past the end (a truncated packet) or the packet is empty.
Result<std::vector<Item>> split(std::span<const std::uint8_t> packet);
/// Concatenates items. Errors: invalid_argument when an item holds over 255 bytes or the
/// packet would reach `kMaxPacketBytes`.
Result<std::vector<std::uint8_t>> join(const std::vector<Item>& items);

// --- Requests (what a backend sends; what a simulated node reads) ---

/// `00 <len> <reference>`: the CLI sends an 8-byte little-endian Unix-seconds reference; a
/// node echoes whatever it got (0-255 bytes).
struct Ping {
  std::vector<std::uint8_t> reference;
  friend bool operator==(const Ping&, const Ping&) = default;
};
/// `01 00`: begin a remote-API session.
struct Begin {
  friend bool operator==(const Begin&, const Begin&) = default;
};
/// `03 00`: end the session (commit).
struct End {
  friend bool operator==(const End&, const End&) = default;
};
/// `04 00`: cancel the session.
struct Cancel {
  friend bool operator==(const Cancel&, const Cancel&) = default;
};
/// `05 02 <countdown u16>`: apply after `countdown_s` seconds (10-32767).
struct Update {
  std::uint16_t countdown_s = 10;
  friend bool operator==(const Update&, const Update&) = default;
};
/// `19 00`: ask for the scratchpad status.
struct ScratchpadStatusQuery {
  friend bool operator==(const ScratchpadStatusQuery&, const ScratchpadStatusQuery&) = default;
};
/// `1A 01 <seq>`: mark the stored scratchpad (sequence 1-255) for processing.
struct ScratchpadUpdate {
  std::uint8_t sequence = 1;
  friend bool operator==(const ScratchpadUpdate&, const ScratchpadUpdate&) = default;
};
/// `60 03 <interval u16> <content u8>`: diagnostics interval (seconds; 0 with content 0xFF
/// disables all) and content (0x02 neighbour diagnostics).
struct DiagnosticControl {
  std::uint16_t interval_s = 0;
  std::uint8_t content = 0xFF;
  friend bool operator==(const DiagnosticControl&, const DiagnosticControl&) = default;
};

/// A request item, decoded.
using Request = std::variant<Ping, Begin, End, Cancel, Update, ScratchpadStatusQuery,
                             ScratchpadUpdate, DiagnosticControl>;

/// The item of `request`. `Update` outside 10-32767 and a sequence of 0 are still encoded
/// (a test may send them); `decode_request` refuses them.
Item encode(const Request& request);
/// Reads a request item. Errors: invalid_argument for a reply or unknown type, a length
/// that is not the type's, an update countdown outside 10-32767, a scratchpad sequence 0.
Result<Request> decode_request(const Item& item);

// --- Replies (what a node sends; what a backend reads) ---

/// The firmware version bytes of a scratchpad status.
struct Version {
  std::uint8_t major = 0, minor = 0, maint = 0, devel = 0;
  friend bool operator==(const Version&, const Version&) = default;
};

/// The application part of the 39-byte scratchpad status.
struct ApplicationStatus {
  std::uint32_t processed_length = 0;
  std::uint16_t processed_crc = 0;
  std::uint8_t processed_sequence = 0;
  std::uint32_t area_id = 0;
  Version version;
  friend bool operator==(const ApplicationStatus&, const ApplicationStatus&) = default;
};

/// `99 <24|39> …`: the node's scratchpad state (layout in spec §3.4).
struct ScratchpadStatusReply {
  std::uint32_t stored_length = 0;
  std::uint16_t stored_crc = 0;
  std::uint8_t stored_sequence = 0;
  std::uint8_t stored_type = 0;    ///< raw, as the node sends it
  std::uint8_t stored_status = 0;  ///< raw, as the node sends it
  std::uint32_t processed_length = 0;
  std::uint16_t processed_crc = 0;
  std::uint8_t processed_sequence = 0;
  std::uint32_t firmware_area_id = 0;
  Version firmware;
  /// Present in the 39-byte form only.
  std::optional<ApplicationStatus> application;
  friend bool operator==(const ScratchpadStatusReply&, const ScratchpadStatusReply&) = default;
};

/// A reply to `Ping`: the reference echoed.
struct PingReply {
  std::vector<std::uint8_t> reference;
  friend bool operator==(const PingReply&, const PingReply&) = default;
};
/// `81 00`, `83 00`, `84 00`: which of begin, end, cancel was accepted.
struct Ack {
  Type request = Type::begin;
  friend bool operator==(const Ack&, const Ack&) = default;
};
/// `85 02 <u16>`: the countdown the node applied.
struct UpdateReply {
  std::uint16_t countdown_s = 0;
  friend bool operator==(const UpdateReply&, const UpdateReply&) = default;
};
/// `9A 01 <seq>`.
struct ScratchpadUpdateReply {
  std::uint8_t sequence = 0;
  friend bool operator==(const ScratchpadUpdateReply&, const ScratchpadUpdateReply&) = default;
};
/// `E0 <len> …`: the diagnostics control was applied (data kept as sent).
struct DiagnosticControlReply {
  std::vector<std::uint8_t> data;
  friend bool operator==(const DiagnosticControlReply&, const DiagnosticControlReply&) = default;
};
/// `FB <len> …`: the node refused a request ("invalid begin"); data kept as sent.
struct ErrorReply {
  std::vector<std::uint8_t> data;
  friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};

/// A reply item, decoded.
using Reply = std::variant<PingReply, Ack, UpdateReply, ScratchpadStatusReply,
                           ScratchpadUpdateReply, DiagnosticControlReply, ErrorReply>;

/// The item of `reply` (a scratchpad status is 24 bytes without `application`, else 39).
Item encode(const Reply& reply);
/// Reads a reply item. Errors: invalid_argument for a request type, an unknown reply
/// type, or a length that is not the type's (a scratchpad status of other than 24 or 39
/// bytes; backend-client's 24-byte parser could not read its own form, spec §3.4).
Result<Reply> decode_reply(const Item& item);

/// The 8-byte little-endian reference the CLI's ping carries for `unix_seconds`.
std::vector<std::uint8_t> ping_reference(std::uint64_t unix_seconds);

}  // namespace stratus::wirepas::msap
