#pragma once
/// @file
/// RainMaker API error codes used by the account service (values from
/// Espressif's published OpenAPI description; Stratus-only codes are marked).
/// They travel in `Error::reason`; docs/api.md lists them with HTTP statuses.

namespace stratus::service::account_error {

inline constexpr int invalid_request_body = 100006;
inline constexpr int not_authorized = 100004;  ///< admin route, non-admin caller
inline constexpr int access_token_missing = 100046;
inline constexpr int logged_out = 100047;  ///< session revoked
inline constexpr int access_token_invalid =
    100401;  ///< Stratus: bad signature, expired, not an access token
inline constexpr int code_expired = 100068;
inline constexpr int user_name_missing = 101001;
inline constexpr int email_invalid = 101002;
inline constexpr int password_or_code_missing = 101003;
inline constexpr int password_policy = 101004;
inline constexpr int sending_code_failed = 101005;
inline constexpr int user_exists = 101006;
inline constexpr int wrong_old_password = 101007;
inline constexpr int wrong_credentials = 101009;
inline constexpr int already_verified = 101011;
inline constexpr int code_incorrect = 101012;
inline constexpr int not_verified = 101015;
inline constexpr int refresh_failed = 101017;
inline constexpr int new_password_missing = 101018;
inline constexpr int address_rate_limited = 101019;  ///< too many attempts from one client address
inline constexpr int user_not_found = 101025;
inline constexpr int code_missing = 101030;
inline constexpr int password_missing = 101032;
inline constexpr int logout_all_invalid = 101036;
inline constexpr int phone_invalid = 101037;
inline constexpr int user_rate_limited = 101057;  ///< too many attempts for one user
inline constexpr int delete_code_incorrect = 119005;
inline constexpr int delete_code_missing = 119007;
inline constexpr int delete_code_not_requested = 119015;
inline constexpr int delete_attempts_exceeded = 119016;
inline constexpr int super_admin_deletion = 119017;

}  // namespace stratus::service::account_error
