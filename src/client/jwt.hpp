#pragma once
/// @file
/// Reading (never verifying) the payload of RainMaker JWTs, as the RainMaker CLI
/// does (spec rainmaker.md §4.2): the access token's `exp` decides when to refresh,
/// the id token's `custom:user_id` and `email`/`phone_number` name the user.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::client {

/// The claims a client needs. Missing claims stay empty / 0.
struct TokenClaims {
  std::int64_t exp = 0;      ///< expiry, seconds since the Unix epoch
  std::string user_id;       ///< `custom:user_id`
  std::string email;         ///< id token only
  std::string phone_number;  ///< id token only, when the account is a phone number
  std::string token_use;     ///< "access" | "id" (Stratus and Cognito tokens)

  /// `email`, else `phone_number` (what "logged in as" shows).
  [[nodiscard]] const std::string& account_name() const {
    return email.empty() ? phone_number : email;
  }
};

/// Decodes base64 in either alphabet (standard `+/` or URL-safe `-_`), with or
/// without '=' padding. Errors: invalid_argument for other characters or an
/// impossible length. Pure; thread-safe.
[[nodiscard]] Result<std::string> decode_base64(std::string_view text);

/// The payload segment (the part between the two dots) of `token`, decoded: JSON
/// text. Errors: invalid_argument for a token that is not three dot-separated
/// segments or whose payload is not base64. Pure; thread-safe.
[[nodiscard]] Result<std::string> jwt_payload(std::string_view token);

/// The claims of `token`'s payload. Errors: invalid_argument as `jwt_payload`, or
/// when the payload is not a JSON object. The signature is not checked. Pure;
/// thread-safe.
[[nodiscard]] Result<TokenClaims> decode_token_claims(std::string_view token);

}  // namespace stratus::client
