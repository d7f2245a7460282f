#pragma once
/// @file
/// Storage port for accounts: users, verification codes, sessions and refresh
/// tokens. The service layer sees only this interface; storage/sqlite (and
/// later storage/postgres) implement it. Times are Unix seconds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// A user account as stored.
struct UserRecord {
  std::string user_id;
  std::string user_name;
  std::string password_hash;
  bool verified = false;
  bool super_admin = false;
  std::string name;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  bool alert_mail = false;  ///< the user is mailed its nodes' alerts (opted in)
  /// Disabled by an admin: cannot log in or refresh; its access tokens are refused.
  bool disabled = false;
  /// Nodes the user may hold as primary user: nullopt = the operator's default
  /// (`accounts.default_node_quota`), 0 = unlimited.
  std::optional<std::int64_t> node_quota{};
};

/// What `PUT /v1/user` changes; an absent member stays as it is.
struct ProfileUpdate {
  std::optional<std::string> name;
  std::optional<bool> alert_mail;
};

/// What a verification code is for.
enum class CodePurpose { signup, reset_password, delete_user };

/// A pending verification code (hashed).
struct CodeRecord {
  std::string user_id;
  CodePurpose purpose = CodePurpose::signup;
  std::string code_hash;
  std::int64_t expires_at = 0;
  int attempts = 0;
  std::int64_t created_at = 0;
};

/// A refresh token looked up by its hash, with its session.
struct RefreshTokenRecord {
  std::string token_hash;
  std::string session_id;
  std::string user_id;
  std::optional<std::int64_t> rotated_at;
  std::optional<std::int64_t> session_revoked_at;
};

/// Account storage. Implementations are thread-safe; every call may block.
/// Errors: errc::not_found for unknown keys, errc::already_exists for a taken
/// user name, errc::unavailable when the database is.
class AccountRepository {
 public:
  virtual ~AccountRepository() = default;

  virtual Result<void> create_user(const UserRecord& user) = 0;
  virtual Result<UserRecord> get_user(std::string_view user_id) = 0;
  virtual Result<UserRecord> get_user_by_name(std::string_view user_name) = 0;
  /// Replaces an unverified user's password hash (a repeated signup). Answers false, and
  /// changes nothing, when the user is verified by then (a confirm between the signup's
  /// read and this write must not hand the account to the second signup's password).
  virtual Result<bool> update_password_hash(std::string_view user_id, std::string_view hash,
                                            std::int64_t now) = 0;
  /// Applies `update` (and `updated_at = now`); returns the user as stored afterwards.
  virtual Result<UserRecord> update_profile(std::string_view user_id, const ProfileUpdate& update,
                                            std::int64_t now) = 0;
  /// Removes the user with codes, sessions and tokens (cascade).
  virtual Result<void> remove_user(std::string_view user_id) = 0;
  /// Counts users (for the first-admin hint and metrics).
  virtual Result<std::int64_t> count_users() = 0;
  /// Up to `limit` users ordered by user name, starting at `start_user_name`
  /// (inclusive; empty = from the first).
  virtual Result<std::vector<UserRecord>> list_users(std::string_view start_user_name,
                                                     std::size_t limit) = 0;

  /// Creates or replaces the code of (user, purpose).
  virtual Result<void> put_code(const CodeRecord& code) = 0;
  virtual Result<CodeRecord> get_code(std::string_view user_id, CodePurpose purpose) = 0;
  /// Adds one failed attempt; returns the new count.
  virtual Result<int> add_code_attempt(std::string_view user_id, CodePurpose purpose) = 0;
  virtual Result<void> remove_code(std::string_view user_id, CodePurpose purpose) = 0;

  /// Atomically: marks the user verified and consumes the signup code.
  virtual Result<void> confirm_user(std::string_view user_id, std::int64_t now) = 0;
  /// Atomically: sets the password, consumes `consumed_code` (if any), and
  /// revokes every session of the user except `keep_session` (if non-empty).
  virtual Result<void> set_password(std::string_view user_id, std::string_view hash,
                                    std::optional<CodePurpose> consumed_code,
                                    std::string_view keep_session, std::int64_t now) = 0;

  /// Creates a session with its first refresh token.
  virtual Result<void> create_session(std::string_view session_id, std::string_view user_id,
                                      std::string_view token_hash, std::int64_t now) = 0;
  virtual Result<RefreshTokenRecord> get_refresh_token(std::string_view token_hash) = 0;
  /// Atomically exchanges `old_hash` for `new_hash` in the same session:
  /// - `old_hash` not rotated yet: mark it rotated, add `new_hash` as its successor;
  /// - already rotated, but no successor of it was ever used (a client that
  ///   keeps its first refresh token, like the RainMaker CLI): mark those unused
  ///   successors superseded and add `new_hash` as the new one;
  /// - already rotated and a successor was used, or `old_hash` itself superseded (its
  ///   parent came back after it was issued: someone else holds the family): a
  ///   replayed token. Returns errc::conflict and changes nothing (the caller revokes
  ///   the session).
  virtual Result<void> rotate_refresh_token(std::string_view old_hash, std::string_view new_hash,
                                            std::int64_t now) = 0;
  /// Revokes one session (idempotent).
  virtual Result<void> revoke_session(std::string_view session_id, std::int64_t now) = 0;
  /// Revokes every session of a user.
  virtual Result<void> revoke_all_sessions(std::string_view user_id, std::int64_t now) = 0;
  /// True if the session exists, is not revoked and its user is not disabled.
  virtual Result<bool> session_active(std::string_view session_id) = 0;

  /// Fleet administration (issue 18): disables (revoking every session in the same
  /// transaction) or enables a user. errc::not_found for an unknown user.
  virtual Result<void> set_disabled(std::string_view user_id, bool disabled, std::int64_t now) = 0;
  /// Sets the user's node quota override (nullopt: back to the default; 0: unlimited).
  /// errc::not_found for an unknown user.
  virtual Result<void> set_node_quota(std::string_view user_id, std::optional<std::int64_t> quota,
                                      std::int64_t now) = 0;
};

}  // namespace stratus::storage
