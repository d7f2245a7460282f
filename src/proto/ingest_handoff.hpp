#pragma once
/// @file
/// The ingest handoff's wire format (docs/adr/0025): how the broker plugin inside the
/// embedded mosquitto passes node messages to stratusd in batches over a Unix stream
/// socket instead of forwarding each one as an MQTT PUBLISH on the backend connection.
/// Header-only and standard-library-only on purpose: the plugin links no Stratus library
/// (it runs inside an uninstrumented mosquitto), and both ends must frame bytes alike.
/// Pure functions over bytes: no I/O, never throw, thread-safe.
///
/// A frame is a 4-byte little-endian body length, a 1-byte kind, then the body (the
/// length counts the body only, at most kMaxHandoffBodyBytes):
///
/// | kind | direction | body |
/// |---|---|---|
/// | 1 `hello` | plugin → stratusd, first frame | u32 version (1), u64 session, the backend secret
/// (rest) | | 2 `message` | plugin → stratusd | u64 sequence, u16 topic length, topic, payload
/// (rest) | | 3 `ack` | stratusd → plugin | u64 sequence: every message up to it is committed |
///
/// Integers are little-endian. Sequences start at 1 for each session (a new session is a
/// new plugin, i.e. a restarted mosquitto) and grow by one per message; after a reconnect
/// the plugin sends again everything not acknowledged, so the receiver skips what it has
/// seen of the same session.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stratus::proto {

/// The version a `hello` carries; a receiver refuses any other.
inline constexpr std::uint32_t kHandoffVersion = 1;

/// Bytes before a frame's body: the u32 length and the kind.
inline constexpr std::size_t kHandoffHeaderBytes = 5;

/// Largest body accepted, in bytes (16 MiB): above any MQTT payload the broker accepts
/// (`message_size_limit`) plus the longest topic. A longer length is a broken stream.
inline constexpr std::size_t kMaxHandoffBodyBytes = std::size_t{16} << 20;

/// Longest topic a `message` frame can carry (its u16 length).
inline constexpr std::size_t kMaxHandoffTopicBytes = 0xFFFF;

/// Frame kinds (the table above).
enum class HandoffKind : std::uint8_t { hello = 1, message = 2, ack = 3 };

/// A `hello` body. `secret` views the decoded buffer.
struct HandoffHello {
  std::uint32_t version = 0;
  std::uint64_t session = 0;
  std::string_view secret;
};

/// A `message` body. `topic` and `payload` view the decoded buffer.
struct HandoffMessage {
  std::uint64_t sequence = 0;
  std::string_view topic;
  std::string_view payload;
};

/// One frame found at the start of a buffer: its kind, its body (a view into the
/// buffer) and the bytes it takes, header included.
struct HandoffFrame {
  HandoffKind kind = HandoffKind::message;
  std::string_view body;
  std::size_t size = 0;
};

/// What `next_handoff_frame` found: a frame, not enough bytes yet (`need_more`: read more
/// and call again with the same start), or a broken stream (`error` names why; the
/// connection must be closed, since framing is lost).
struct HandoffDecode {
  enum class Status { frame, need_more, malformed };
  Status status = Status::need_more;
  HandoffFrame frame;
  const char* error = "";
};

namespace handoff_detail {

inline void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

inline std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)])} << (8 * i);
  return v;
}

inline void put_header(std::string& out, std::size_t body, HandoffKind kind) {
  put_le(out, body, 4);
  out.push_back(static_cast<char>(kind));
}

}  // namespace handoff_detail

/// Appends a `hello` frame to `out`. `secret` must be shorter than kMaxHandoffBodyBytes
/// minus 12 (the backend secret is 64 characters).
inline void append_handoff_hello(std::string& out, std::uint64_t session, std::string_view secret) {
  handoff_detail::put_header(out, 12 + secret.size(), HandoffKind::hello);
  handoff_detail::put_le(out, kHandoffVersion, 4);
  handoff_detail::put_le(out, session, 8);
  out.append(secret);
}

/// Appends a `message` frame to `out`. Returns false and appends nothing when the topic is
/// longer than kMaxHandoffTopicBytes or the body would pass kMaxHandoffBodyBytes.
[[nodiscard]] inline bool append_handoff_message(std::string& out, std::uint64_t sequence,
                                                 std::string_view topic, std::string_view payload) {
  if (topic.size() > kMaxHandoffTopicBytes)
    return false;
  const std::size_t body = 10 + topic.size() + payload.size();
  if (body > kMaxHandoffBodyBytes)
    return false;
  handoff_detail::put_header(out, body, HandoffKind::message);
  handoff_detail::put_le(out, sequence, 8);
  handoff_detail::put_le(out, topic.size(), 2);
  out.append(topic);
  out.append(payload);
  return true;
}

/// Appends an `ack` frame to `out`.
inline void append_handoff_ack(std::string& out, std::uint64_t sequence) {
  handoff_detail::put_header(out, 8, HandoffKind::ack);
  handoff_detail::put_le(out, sequence, 8);
}

/// The frame at the start of `buffer` (see HandoffDecode). Malformed: a length above
/// kMaxHandoffBodyBytes or an unknown kind, both knowable from the header alone.
[[nodiscard]] inline HandoffDecode next_handoff_frame(std::string_view buffer) {
  HandoffDecode d;
  if (buffer.size() < kHandoffHeaderBytes)
    return d;
  const std::uint64_t body = handoff_detail::get_le(buffer, 0, 4);
  const auto kind = static_cast<std::uint8_t>(buffer[4]);
  if (body > kMaxHandoffBodyBytes) {
    d.status = HandoffDecode::Status::malformed;
    d.error = "frame longer than the limit";
    return d;
  }
  if (kind < 1 || kind > 3) {
    d.status = HandoffDecode::Status::malformed;
    d.error = "unknown frame kind";
    return d;
  }
  if (buffer.size() - kHandoffHeaderBytes < body)
    return d;
  d.status = HandoffDecode::Status::frame;
  d.frame.kind = static_cast<HandoffKind>(kind);
  d.frame.body = buffer.substr(kHandoffHeaderBytes, static_cast<std::size_t>(body));
  d.frame.size = kHandoffHeaderBytes + static_cast<std::size_t>(body);
  return d;
}

/// A `hello` body, or nothing when it is shorter than its fixed fields.
[[nodiscard]] inline std::optional<HandoffHello> parse_handoff_hello(std::string_view body) {
  if (body.size() < 12)
    return std::nullopt;
  return HandoffHello{static_cast<std::uint32_t>(handoff_detail::get_le(body, 0, 4)),
                      handoff_detail::get_le(body, 4, 8), body.substr(12)};
}

/// A `message` body, or nothing when it is shorter than its fixed fields or its topic
/// length runs past the body. The payload may be empty.
[[nodiscard]] inline std::optional<HandoffMessage> parse_handoff_message(std::string_view body) {
  if (body.size() < 10)
    return std::nullopt;
  const auto topic_bytes = static_cast<std::size_t>(handoff_detail::get_le(body, 8, 2));
  if (body.size() - 10 < topic_bytes)
    return std::nullopt;
  return HandoffMessage{handoff_detail::get_le(body, 0, 8), body.substr(10, topic_bytes),
                        body.substr(10 + topic_bytes)};
}

/// An `ack` body's sequence, or nothing when the body is not exactly 8 bytes.
[[nodiscard]] inline std::optional<std::uint64_t> parse_handoff_ack(std::string_view body) {
  if (body.size() != 8)
    return std::nullopt;
  return handoff_detail::get_le(body, 0, 8);
}

}  // namespace stratus::proto
