#pragma once
/// @file
/// JSON Web Tokens (RFC 7519) signed with HS256, as handed to the RainMaker CLI
/// by `login2` (spec rainmaker.md §4.2): the access token (claims `exp`, `iss`)
/// and the id token (claims `custom:user_id`, `email`/`phone_number`).
///
/// Compatibility rule (§4.2): the CLI decodes the payload segment with Python's
/// *standard* base64 decoder, which chokes on `-` and `_`. Every payload segment
/// that TokenSigner::sign() emits is therefore free of `-` and `_`, so it reads
/// the same in both alphabets. How: the payload JSON is written in pure ASCII
/// with the four characters `>` `?` `~` DEL (and everything non-ASCII or
/// control) spelled as `\uXXXX` escapes. Base64 only emits the 6-bit values 62
/// (`-`) and 63 (`_`) from bytes >= 0x80 or, in the last sextet of a 3-byte
/// group, from bytes whose low 6 bits are 11111x, i.e. exactly those four ASCII
/// characters; the written JSON contains none of them. One pass, no retries.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace stratus::auth {

/// A claim's value: a JSON string, a JSON integer (64-bit signed), or a JSON
/// boolean. Other JSON types (null, floats, arrays, objects) are not used by
/// Stratus and are refused by TokenSigner::verify().
using ClaimValue = std::variant<std::string, std::int64_t, bool>;

/// The payload of a token: named claims in order. Names are unique when only
/// set() is used to add them; sign() writes `items` as they are.
/// Strings should be valid UTF-8: sign() writes each invalid byte as U+FFFD.
/// Not thread-safe for concurrent mutation (a plain value type).
struct Claims {
  std::vector<std::pair<std::string, ClaimValue>> items;  ///< (name, value), in payload order.

  /// Sets claim `name` to `v`: replaces the value in place if `name` exists,
  /// appends it otherwise.
  void set(std::string name, ClaimValue v);
  /// The value of claim `name`, or nullptr. Valid until `items` changes.
  [[nodiscard]] const ClaimValue* find(std::string_view name) const;
  /// The value of claim `name` if it exists and is a string.
  [[nodiscard]] std::optional<std::string> get_string(std::string_view name) const;
  /// The value of claim `name` if it exists and is an integer.
  [[nodiscard]] std::optional<std::int64_t> get_int(std::string_view name) const;

  /// Same claims, same values, same order.
  friend bool operator==(const Claims&, const Claims&) = default;
};

/// Signs and verifies HS256 JWTs with one secret key. Immutable after
/// construction, so one instance may be shared by all threads.
///
/// verify() returns errc::unauthenticated with one of these context prefixes,
/// stable enough to test and log against:
///   "token too long"             — more than kMaxTokenBytes;
///   "malformed token: ..."       — not 3 segments or a segment not strict
///                                  base64url (no padding);
///   "unsupported token header: ..." — header not a flat JSON object, `alg`
///                                  other than "HS256" ("none", "HS512",
///                                  "RS256", missing, ...), or a `crit` member;
///   "bad token signature"        — HMAC mismatch (constant-time compare);
///   "malformed token: payload ..." — payload not a JSON object, a claim of an
///                                  unsupported type (null, float, array,
///                                  object, integer beyond int64), or a
///                                  non-integer exp/iat/nbf;
///   "token expired"              — `exp` present and now >= exp + leeway;
///   "token issued in the future" — `iat` present and iat > now + leeway;
///   "token not yet valid"        — `nbf` present and nbf > now + leeway.
/// Checks run in that order, so the payload JSON is only parsed once the
/// signature is good. A token without `exp` passes: callers that need one
/// check for it. With leeway 0 a token is valid for now in [iat, exp).
class TokenSigner {
 public:
  /// Tokens longer than this (bytes) are refused by verify() unparsed.
  static constexpr std::size_t kMaxTokenBytes = 8192;
  /// Shortest key from_key() accepts: 32 bytes = 256 bits, the HS256 output size.
  static constexpr std::size_t kMinKeyBytes = 32;

  /// A signer for the raw key bytes `key` (not hex, not base64).
  /// Errors: invalid_argument if `key` is shorter than kMinKeyBytes.
  [[nodiscard]] static Result<TokenSigner> from_key(std::string_view key);

  /// A fresh key: kMinKeyBytes random raw bytes from the CSPRNG. Thread-safe.
  [[nodiscard]] static std::string generate_key();

  /// `base64url(header).base64url(payload).base64url(HMAC-SHA256)`, no padding,
  /// header exactly {"alg":"HS256","typ":"JWT"}. The payload segment never
  /// contains `-` or `_` (see the file comment); its JSON is at most 6 bytes
  /// per byte of claim names and values plus a constant per claim. Linear
  /// time, no retry loop. Never fails. Thread-safe.
  [[nodiscard]] std::string sign(const Claims& claims) const;

  /// Checks `token` at time `now` (wall clock, truncated to whole seconds)
  /// with `leeway` of clock skew allowed on exp/iat/nbf, and returns its claims
  /// in payload order. Errors: unauthenticated as listed on the class;
  /// invalid_argument if `leeway` is negative. Never throws. Thread-safe.
  [[nodiscard]] Result<Claims> verify(std::string_view token,
                                      std::chrono::system_clock::time_point now,
                                      std::chrono::seconds leeway = std::chrono::seconds(30)) const;

 private:
  explicit TokenSigner(std::string key) : key_(std::move(key)) {}

  [[nodiscard]] std::string mac(std::string_view signing_input) const;

  std::string key_;  // raw HMAC key bytes
};

}  // namespace stratus::auth
