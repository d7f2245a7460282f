#pragma once
/// @file
/// The Wirepas provisioning protocol (spec wirepas.md §5.3): a joining node and the
/// provisioning server exchange frames on endpoints 246 (node) ↔ 255 (server), through the
/// mesh and the gateway-to-backend API. This is the codec and the secured method's
/// cryptography, shared by the simulator's joining nodes and the provisioning server.
///
/// Byte layouts (all integers little-endian), after the Wirepas SDK's
/// `libraries/provisioning` (provisioning_int.h, provisioning.c) and the server's
/// `message.py`/`session.py`:
///
///     every frame   type(1) node_address(4) session_id(1)
///     START  (1)    … method(1) iv(16) uid(1..79)
///     DATA   (2)    … key_index(1) counter(2) data(n) [mic(5), secured only]
///     DATA_ACK (3)  …
///     NACK   (4)    … reason(1)
///
/// Secured method (method with bit 0 set): the 32-byte factory key is split into the
/// authentication key (bytes 0-15, AES-CMAC) and the encryption key (16-31, AES-CTR). The
/// MIC is the first 5 bytes of AES-CMAC over the DATA frame without MIC (header, key index
/// 1, counter, plain CBOR); then CBOR + MIC are encrypted with AES-CTR whose 128-bit
/// counter block is the IV read as a little-endian integer plus the frame's counter, and
/// grows by one per 16-byte block as a little-endian integer (not the big-endian counter of
/// standard CTR: only the first block coincides).
///
/// The DATA content is a CBOR map: 0 network encryption key (16-byte byte string), 1
/// network authentication key (16 bytes), 2 network address, 3 network channel, 4 node
/// address (unsigned integers), 5 node role (a 1-byte byte string), 128-255 user-specific
/// values (integer, byte string or text). A joining node requires 0-3.
///
/// Every decoder is total: any byte string gives a value or an invalid_argument `Error`.
/// Pure (OpenSSL for AES, libcbor for CBOR); thread-safe.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/error.hpp"

namespace stratus::wirepas::provisioning {

/// The joining node's endpoint (source of its frames, destination of the server's).
inline constexpr std::uint8_t kNodeEndpoint = 246;
/// The server's endpoint.
inline constexpr std::uint8_t kServerEndpoint = 255;
/// Longest UID a START carries (the SDK's `PROV_UID_MAX_SIZE_BYTES`).
inline constexpr std::size_t kMaxUidBytes = 79;
/// MIC bytes of a secured DATA frame.
inline constexpr std::size_t kMicBytes = 5;
/// Bytes before a DATA frame's data.
inline constexpr std::size_t kDataOffset = 9;
/// Longest frame a joining node keeps (wm-sdk 2.4's `PROV_PDU_SIZE`; older SDKs: 102).
inline constexpr std::size_t kMaxFrameBytes = 135;

/// Frame types (byte 0).
enum class FrameType : std::uint8_t { start = 1, data = 2, data_ack = 3, nack = 4 };

/// Provisioning methods (START byte 6). Bit 0 = secured.
enum class Method : std::uint8_t { unsecured = 0, secured = 1, extended = 3 };

/// NACK reasons (byte 6 of a NACK).
enum class NackReason : std::uint8_t {
  not_authorized = 0,
  method_not_supported = 1,
  invalid_data = 2,
  invalid_key = 3,
};

/// What identifies a session on the wire (with the packet's source address).
struct FrameHeader {
  std::uint32_t node_address = 0;  ///< the joining node's own address
  std::uint8_t session_id = 0;
  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

using Iv = std::array<std::uint8_t, 16>;
using Key = std::array<std::uint8_t, 16>;

/// START: the node asks to be provisioned.
struct Start {
  FrameHeader header;
  std::uint8_t method = 0;  ///< `Method` as sent (unknown values are kept, not refused)
  Iv iv{};                  ///< random per session; sent even when unsecured
  std::string uid;          ///< 1..79 bytes
  friend bool operator==(const Start&, const Start&) = default;
};

/// DATA: the server's answer. `body` is the data as on the wire: plain CBOR with key index
/// 0; with key index 1, CBOR + MIC encrypted (see `seal`/`open`).
struct Data {
  FrameHeader header;
  std::uint8_t key_index = 0;  ///< 0 unsecured, 1 the factory key
  std::uint16_t counter = 0;
  std::string body;
  friend bool operator==(const Data&, const Data&) = default;
};

/// DATA_ACK: the node took the data.
struct DataAck {
  FrameHeader header;
  friend bool operator==(const DataAck&, const DataAck&) = default;
};

/// NACK: refused, with a reason (unknown values kept).
struct Nack {
  FrameHeader header;
  std::uint8_t reason = 0;
  friend bool operator==(const Nack&, const Nack&) = default;
};

using Frame = std::variant<Start, Data, DataAck, Nack>;

/// Decodes one frame. Errors (invalid_argument, naming the problem): empty, unknown type,
/// shorter than its layout, a START without UID or with one over 79 bytes, a DATA without
/// data, a DATA_ACK or NACK with trailing bytes.
[[nodiscard]] Result<Frame> decode_frame(std::string_view payload);

/// The frame's bytes. A START's UID must be 1..79 bytes (asserted by the caller's
/// construction; longer UIDs are cut to 79 so the frame stays decodable).
[[nodiscard]] std::string encode(const Frame& frame);

/// One user-specific value (keys 128-255).
struct UserValue {
  enum class Kind : std::uint8_t { integer, bytes, text } kind = Kind::integer;
  std::int64_t integer = 0;
  std::string bytes;  ///< bytes or UTF-8 text
  friend bool operator==(const UserValue&, const UserValue&) = default;
};

/// The DATA content.
struct Content {
  Key encryption_key{};
  Key authentication_key{};
  std::optional<std::uint32_t> network_address;  ///< 24 bits in practice
  std::optional<std::uint32_t> network_channel;
  std::optional<std::uint32_t> node_address;
  std::optional<std::uint8_t> node_role;
  std::map<std::uint8_t, UserValue> user_specific;  ///< keys 128-255
  friend bool operator==(const Content&, const Content&) = default;
};

/// CBOR of `content`: a definite map, keys ascending; absent optionals are left out.
[[nodiscard]] std::string encode_content(const Content& content);

/// Reads a content map as a joining node does: a definite map of unsigned keys; 0 and 1
/// 16-byte byte strings, 2-4 unsigned integers up to 32 bits, 5 a 1-byte byte string,
/// 128-255 an integer, byte string or text; keys 0-3 required; nothing else (other keys,
/// nested items, floats, trailing bytes). Errors: invalid_argument naming the key.
[[nodiscard]] Result<Content> decode_content(std::string_view cbor);

/// The factory key's halves.
struct FactoryKey {
  Key authentication{};  ///< bytes 0-15: AES-CMAC
  Key encryption{};      ///< bytes 16-31: AES-CTR
  /// Splits 32 bytes. Errors: invalid_argument for another length.
  static Result<FactoryKey> split(std::string_view bytes);
};

/// The counter block of the first AES-CTR block: (`iv` as a 128-bit little-endian integer
/// + `counter`) mod 2^128, little-endian.
[[nodiscard]] Iv initial_counter_block(const Iv& iv, std::uint16_t counter) noexcept;

/// The secured DATA frame for `content_cbor`: key index 1, MIC over the plain frame, CBOR
/// + MIC encrypted under `key` with `iv` (the START's) and `counter`.
[[nodiscard]] Data seal(const FactoryKey& key, const Iv& iv, FrameHeader header,
                        std::uint16_t counter, std::string_view content_cbor);

/// Decrypts and checks a secured DATA frame; returns the plain CBOR. Errors:
/// invalid_argument when the key index is not 1, the body is shorter than the MIC, or the
/// MIC does not match (wrong key, IV or tampered frame).
[[nodiscard]] Result<std::string> open(const FactoryKey& key, const Iv& iv, const Data& data);

/// A byte string as the Wirepas provisioning tools write them in YAML (the server's
/// `convert_to_bytes`, spec §5.3): text that starts with `0x` or `0X` is hex, every `0x`
/// prefix and all white space removed ("0x01 0x02", "0x0102" and "0x01 0X02" are 01 02);
/// any other text is its own UTF-8 bytes. Errors: invalid_argument for an odd number of hex
/// digits or a character that is not one. Pure.
[[nodiscard]] Result<std::string> parse_byte_string(std::string_view text);

}  // namespace stratus::wirepas::provisioning
