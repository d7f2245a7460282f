#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the account storage port.

#include <memory>

#include "storage/account_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlAccountRepository final : public AccountRepository {
 public:
  explicit SqlAccountRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> create_user(const UserRecord& user) override;
  Result<UserRecord> get_user(std::string_view user_id) override;
  Result<UserRecord> get_user_by_name(std::string_view user_name) override;
  Result<bool> update_password_hash(std::string_view user_id, std::string_view hash,
                                    std::int64_t now) override;
  Result<UserRecord> update_profile(std::string_view user_id, const ProfileUpdate& update,
                                    std::int64_t now) override;
  Result<void> remove_user(std::string_view user_id) override;
  Result<std::int64_t> count_users() override;
  Result<std::vector<UserRecord>> list_users(std::string_view start_user_name,
                                             std::size_t limit) override;
  Result<void> put_code(const CodeRecord& code) override;
  Result<CodeRecord> get_code(std::string_view user_id, CodePurpose purpose) override;
  Result<int> add_code_attempt(std::string_view user_id, CodePurpose purpose) override;
  Result<void> remove_code(std::string_view user_id, CodePurpose purpose) override;
  Result<void> confirm_user(std::string_view user_id, std::int64_t now) override;
  Result<void> set_password(std::string_view user_id, std::string_view hash,
                            std::optional<CodePurpose> consumed_code, std::string_view keep_session,
                            std::int64_t now) override;
  Result<void> create_session(std::string_view session_id, std::string_view user_id,
                              std::string_view token_hash, std::int64_t now) override;
  Result<RefreshTokenRecord> get_refresh_token(std::string_view token_hash) override;
  Result<void> rotate_refresh_token(std::string_view old_hash, std::string_view new_hash,
                                    std::int64_t now) override;
  Result<void> revoke_session(std::string_view session_id, std::int64_t now) override;
  Result<void> revoke_all_sessions(std::string_view user_id, std::int64_t now) override;
  Result<bool> session_active(std::string_view session_id) override;
  Result<void> set_disabled(std::string_view user_id, bool disabled, std::int64_t now) override;
  Result<void> set_node_quota(std::string_view user_id, std::optional<std::int64_t> quota,
                              std::int64_t now) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
