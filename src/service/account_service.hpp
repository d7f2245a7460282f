#pragma once
/// @file
/// Accounts and sessions: the use cases behind the RainMaker user API
/// (spec rainmaker.md §4.2, §4.3): signup with e-mailed codes, login, refresh
/// with rotating refresh tokens, logout, password reset and change, user info,
/// account deletion, and super-admin creation.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/audit.hpp"
#include "service/cluster.hpp"
#include "service/mailer.hpp"
#include "service/rate_limiter.hpp"
#include "storage/account_repository.hpp"

namespace stratus::auth {
class TokenSigner;
struct PasswordHashParams;
}  // namespace stratus::auth

namespace stratus::service {

/// Tunables of the account service (config section `accounts`).
struct AccountOptions {
  std::string issuer = "stratus";
  std::chrono::seconds token_lifetime{3600};  ///< access and id tokens
  std::chrono::seconds code_lifetime{900};    ///< verification codes
  int code_max_attempts = 5;                  ///< wrong tries before a code is void
  std::size_t password_max_length = 256;
  std::size_t login_failures_per_user = 10;  ///< per `rate_window`
  std::size_t attempts_per_address = 50;     ///< failed logins + wrong codes per `rate_window`
  std::size_t codes_per_user = 5;            ///< codes mailed per user per `rate_window`
  std::chrono::seconds rate_window{900};
  unsigned long long argon2_ops_limit = 2;  ///< libsodium argon2id "interactive"
  std::size_t argon2_mem_limit_bytes = 64 * 1024 * 1024;
  /// Several instances (docs/adr/0021): every count and reset of the rate limits is told
  /// here for the others; null: a sole instance.
  RateShare* rate_share = nullptr;
};

/// Who is calling, from a verified access token.
struct Principal {
  std::string user_id;
  std::string session_id;
  bool super_admin = false;
  std::int64_t expires_at = 0;  ///< the access token's `exp` (Unix seconds)
  /// The caller's IP address as the HTTP server saw it (`http::Request::remote_address`),
  /// set by the route wrapper that verified the token; what audit entries record.
  std::string remote_address{};
};

/// What a login or refresh returns (RainMaker field names in the REST layer).
struct Tokens {
  std::string id_token;
  std::string access_token;
  std::string refresh_token;  ///< empty on refresh only if rotation is off (it never is)
};

/// A user as `GET /v1/user` shows it.
struct UserInfo {
  std::string user_id;
  std::string user_name;
  std::string name;
  bool super_admin = false;
  bool is_phone = false;    ///< the user name is a phone number
  bool alert_mail = false;  ///< opted in to alert mail
};

/// The account use cases. Thread-safe; every call blocks (database, argon2id,
/// mail), so call it from the blocking pool. Failures carry a RainMaker error
/// code in `Error::reason` (proto/rest/error_codes.hpp, `account_error`).
/// Sign-up, verification, login, password change and reset, and deletion are audited
/// (`account.*` actions, docs/adr/0015), successes and failures alike.
/// A disabled user (`storage::UserRecord::disabled`) cannot log in or refresh
/// (forbidden `admin_error::user_disabled`) and its access tokens are refused.
class AccountService {
 public:
  /// Keeps references: all arguments but `options` must outlive it.
  AccountService(storage::AccountRepository& repository, Mailer& mailer,
                 const auth::TokenSigner& signer, const Clock& clock, AccountOptions options,
                 AuditLog& audit);
  ~AccountService();

  /// `POST /v1/user2 {user_name, password}`: creates an unverified account and
  /// mails a code. Repeating it for an unverified account replaces its password
  /// and mails a new code.
  Result<void> sign_up(std::string_view user_name, std::string_view password,
                       std::string_view client_address);
  /// `POST /v1/user2 {user_name, verification_code}`.
  Result<void> confirm_sign_up(std::string_view user_name, std::string_view code,
                               std::string_view client_address);
  /// `POST /v1/login2 {user_name, password}`: a new session.
  Result<Tokens> log_in(std::string_view user_name, std::string_view password,
                        std::string_view client_address);
  /// `POST /v1/login2 {refreshtoken}`: rotates the refresh token. Presenting a
  /// rotated token again revokes the whole session.
  Result<Tokens> refresh(std::string_view refresh_token, std::string_view client_address);

  /// Applies a count (or a reset) of `limit` for `key` that another instance of a cluster
  /// made (`RateShare`), without telling it again. Thread-safe; never blocks.
  void apply_shared_count(RateLimit limit, std::string_view key, bool reset);
  /// `POST /v1/logout2`: this session, or every session of the user.
  Result<void> log_out(const Principal& who, bool all_sessions);
  /// `PUT /v1/forgotpassword2` step 1: mails a reset code. An unknown user name gets
  /// the same success (nothing is mailed), so accounts cannot be enumerated.
  Result<void> request_password_reset(std::string_view user_name, std::string_view client_address);
  /// `PUT /v1/forgotpassword2` step 2: sets the password, revokes all sessions. An
  /// unknown user name fails like a wrong code (invalid_argument `account_error::code_incorrect`).
  Result<void> reset_password(std::string_view user_name, std::string_view code,
                              std::string_view new_password, std::string_view client_address);
  /// `PUT /v1/password`: checks the old password, sets the new one, revokes
  /// every other session.
  Result<void> change_password(const Principal& who, std::string_view old_password,
                               std::string_view new_password, std::string_view client_address);
  /// `GET /v1/user`.
  Result<UserInfo> get_user(const Principal& who);
  /// `PUT /v1/user`: changes the display name and/or the alert-mail opt-in; returns the
  /// user afterwards. Errors: storage; not_found when the user is gone.
  Result<UserInfo> update_user(const Principal& who, const storage::ProfileUpdate& update);
  /// `DELETE /v1/user2?request=true`: mails a deletion code.
  Result<void> request_deletion(const Principal& who);
  /// `DELETE /v1/user2?verification_code=…`: removes the user and everything
  /// that hangs off it.
  Result<void> delete_user(const Principal& who, std::string_view code,
                           std::string_view client_address);
  /// `stratusd user add --admin`: a verified super-admin.
  Result<UserInfo> create_super_admin(std::string_view user_name, std::string_view password);

  /// Verifies an access token (signature, expiry, `token_use`) and that its
  /// session is still active. Errors: errc::unauthenticated with
  /// `account_error::access_token_invalid` or `account_error::logged_out` (logged out).
  Result<Principal> authenticate(std::string_view access_token);

  /// Whether `who`'s session is still active: not logged out, its user not disabled or
  /// deleted (each of which ends the session). For callers that hold a verified
  /// principal for long (an event stream). Errors: the repository's (the database could
  /// not be read). Thread-safe; blocks on the database.
  Result<bool> session_active(const Principal& who);

  /// Normalises a RainMaker user name: e-mail addresses are trimmed, normalised to
  /// NFKC, refused when they hold control, bidi or invisible characters or when their
  /// local part or domain mixes scripts like a look-alike (`аlice` with a Cyrillic `а`),
  /// and lower-cased (the domain with Unicode case mapping, the local part in ASCII);
  /// phone numbers must be `+` and 6–15 digits. Errors: invalid_argument with
  /// `account_error::user_name_missing` / `account_error::email_invalid` /
  /// `account_error::phone_invalid`.
  static Result<std::string> normalize_user_name(std::string_view user_name);

 private:
  // The use cases themselves; the public entry points above audit their outcome.
  Result<void> sign_up_unaudited(std::string_view user_name, std::string_view password,
                                 std::string_view client_address);
  Result<void> confirm_sign_up_unaudited(std::string_view user_name, std::string_view code,
                                         std::string_view client_address);
  Result<Tokens> log_in_unaudited(std::string_view user_name, std::string_view password,
                                  std::string_view client_address);
  Result<void> request_password_reset_unaudited(std::string_view user_name,
                                                std::string_view client_address);
  Result<void> reset_password_unaudited(std::string_view user_name, std::string_view code,
                                        std::string_view new_password,
                                        std::string_view client_address);
  Result<void> change_password_unaudited(const Principal& who, std::string_view old_password,
                                         std::string_view new_password,
                                         std::string_view client_address);
  Result<void> delete_user_unaudited(const Principal& who, std::string_view code,
                                     std::string_view client_address);
  // The e-mail branch of normalize_user_name, on NFKC text.
  static Result<std::string> normalize_email(std::string_view name);
  Result<void> check_password_policy(std::string_view password) const;
  Result<void> send_code(const storage::UserRecord& user, storage::CodePurpose purpose,
                         std::string_view subject);
  Result<void> check_code(const storage::UserRecord& user, storage::CodePurpose purpose,
                          std::string_view code, std::string_view client_address);
  Result<Tokens> issue_tokens(const storage::UserRecord& user, std::string_view session_id,
                              std::string refresh_token);
  Result<void> rate_check(std::string_view user_key, std::string_view client_address);
  RateLimiter::Observer share(RateLimit limit);
  RateLimiter& limiter(RateLimit limit);
  std::int64_t now_s() const;

  void audit_anonymous(std::string action, std::string_view user_name,
                       std::string_view client_address, const std::string& outcome,
                       std::string_view user_id = {});

  storage::AccountRepository& repository_;
  AuditLog& audit_;
  Mailer& mailer_;
  const auth::TokenSigner& signer_;
  const Clock& clock_;
  AccountOptions options_;
  std::unique_ptr<auth::PasswordHashParams> hashing_;
  std::string dummy_hash_;  // verified against for unknown users: same cost either way
  RateLimiter user_failures_;
  RateLimiter address_failures_;
  RateLimiter code_sends_;
};

}  // namespace stratus::service
