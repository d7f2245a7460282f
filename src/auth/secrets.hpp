#pragma once
/// @file
/// Small secret-handling helpers for accounts: opaque random tokens (refresh
/// tokens, request ids), their SHA-256 for storage, numeric verification codes
/// (sign-up, forgot-password, delete-user; spec rainmaker.md §4.3) and a
/// constant-time comparison. Pure: no I/O beyond the CSPRNG.

#include <cstddef>
#include <string>
#include <string_view>

namespace stratus::auth {

/// `bytes` fresh random bytes (libsodium randombytes, i.e. the kernel CSPRNG),
/// encoded as base64url without padding: ceil(4*bytes/3) characters from
/// [A-Za-z0-9_-]. 32 bytes gives a 43-character, 256-bit refresh token.
/// `bytes == 0` gives "". Thread-safe.
[[nodiscard]] std::string random_token(std::size_t bytes);

/// SHA-256 of `data` as 64 lower-case hex characters. Used to store refresh
/// tokens hashed, so a database leak does not leak live sessions. Thread-safe.
[[nodiscard]] std::string sha256_hex(std::string_view data);

/// A uniformly random decimal code of exactly `digits` digits, leading zeros
/// kept ("004217"), each digit drawn with randombytes_uniform(10) so there is
/// no modulo bias. `digits` must be in [1, 64] (asserted: it is a programmer
/// choice, never outside input). Thread-safe.
[[nodiscard]] std::string verification_code(int digits = 6);

/// HMAC-SHA-256 (RFC 2104) of `message` under `key` (any length), as 64 lower-case hex
/// digits: the webhook signature (docs/api.md "Webhooks"). Thread-safe.
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view message);

/// True if `a` and `b` are byte-for-byte equal. The comparison of equal-length
/// inputs takes time independent of their contents (sodium_memcmp); only the
/// lengths may leak, so compare fixed-length values (hashes, MACs). Thread-safe.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace stratus::auth
