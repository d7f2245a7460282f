#pragma once
/// @file
/// Internals of the auth module: libsodium start-up and base64url helpers.
/// Nobody outside src/auth/ includes this.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stratus::auth::detail {

/// Calls sodium_init() exactly once per process (later calls are free).
/// Thread-safe. Aborts if libsodium cannot start (no usable randomness source).
void ensure_sodium();

/// `bytes` as base64url (RFC 4648 §5) without `=` padding. Thread-safe.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);

/// Strict inverse of base64url_encode: only the URL-safe alphabet, no padding,
/// no whitespace, zero trailing bits; nullopt otherwise. Thread-safe.
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace stratus::auth::detail
