#pragma once
/// @file
/// Password storage for user accounts (spec rainmaker.md §4.2 `login2`, §4.3
/// `signup`, `forgotpassword`): argon2id hashes in the standard PHC encoded form
/// ("$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>") and the sign-up password
/// policy. Pure: no I/O beyond the CSPRNG for salts.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::auth {

/// Cost of one argon2id hash.
///
/// Accepted ranges (hash_password returns invalid_argument outside them, and
/// verify_password refuses stored hashes outside them, so a corrupt or hostile
/// hash can never make the server allocate or spin without bound):
/// `ops_limit` (argon2 passes) in [1, 16]; `mem_limit_bytes` in [8 KiB, 1 GiB].
struct PasswordHashParams {
  unsigned long long ops_limit = 0;  ///< argon2 iterations ("t=").
  std::size_t mem_limit_bytes = 0;   ///< memory per hash in bytes ("m=" is this / 1024).

  /// libsodium's crypto_pwhash_argon2id OPSLIMIT/MEMLIMIT_INTERACTIVE
  /// (t=2, 64 MiB): the production default.
  [[nodiscard]] static PasswordHashParams interactive();
  /// libsodium's OPSLIMIT_MIN/MEMLIMIT_MIN (t=1, 8 KiB). Fast; for tests only.
  [[nodiscard]] static PasswordHashParams minimal();
};

/// Largest `ops_limit` accepted by hash_password and verify_password.
inline constexpr unsigned long long kMaxPasswordOpsLimit = 16;
/// Largest `mem_limit_bytes` accepted by hash_password and verify_password (1 GiB).
inline constexpr std::size_t kMaxPasswordMemLimitBytes = std::size_t{1} << 30;

/// Hashes `password` (any bytes, including empty) with argon2id and a fresh
/// random 16-byte salt; returns the NUL-free PHC encoded string (< 128 chars).
/// Errors: invalid_argument if `params` is outside the accepted ranges;
/// resource_exhausted if the memory could not be allocated.
/// Thread-safe (takes `params.mem_limit_bytes` of memory while it runs).
[[nodiscard]] Result<std::string> hash_password(std::string_view password,
                                                const PasswordHashParams& params);

/// True if `password` matches `encoded`, a string from hash_password. False for
/// a wrong password and for anything that is not a well-formed argon2id
/// encoding within the accepted cost ranges (empty, garbage, truncated, argon2i,
/// embedded NUL, too long). Never throws, never crashes. Thread-safe.
[[nodiscard]] bool verify_password(std::string_view encoded, std::string_view password) noexcept;

/// True if `encoded` was not made with exactly `params`, or is not shaped like
/// an argon2id encoding within the accepted ranges, so the caller should
/// re-hash the password after a successful verify_password(). It reads only
/// the algorithm and cost fields, not the salt or hash bytes. Thread-safe.
[[nodiscard]] bool needs_rehash(std::string_view encoded, const PasswordHashParams& params);

/// What a new password must look like. Lengths count Unicode code points of
/// the UTF-8 text (a byte that is not a UTF-8 continuation byte starts one).
struct PasswordPolicy {
  std::size_t min_length = 8;    ///< fewest code points.
  std::size_t max_length = 128;  ///< most code points.
  bool require_letter = true;    ///< needs an ASCII letter or any non-ASCII character.
  bool require_digit = true;     ///< needs an ASCII digit 0-9.
};

/// Checks `password` against `policy`. Errors: invalid_argument with a message
/// fit for the end user, e.g. "password must be at least 8 characters and
/// contain a letter and a digit" (the default policy, for a too short or too
/// simple password) or "password must be at most 128 characters"; also
/// invalid_argument if the policy itself is inconsistent (min > max).
/// Thread-safe.
[[nodiscard]] Result<void> check_password_policy(std::string_view password,
                                                 const PasswordPolicy& policy);

}  // namespace stratus::auth
