#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the claiming storage port
/// (migration 0004_claims.sql).

#include <memory>

#include "storage/claim_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block. Writes
/// that must be atomic run in one IMMEDIATE transaction.
class SqlClaimRepository final : public ClaimRepository {
 public:
  /// Uses `db` (migrated to at least version 4).
  explicit SqlClaimRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  /// @{
  /// ClaimRepository, documented there.
  Result<ClaimedNodeRecord> create_user_node(const ClaimedNodeRecord& node,
                                             std::size_t max_nodes_per_user) override;
  Result<ClaimedNodeRecord> get_node(std::string_view node_id) override;
  Result<std::int64_t> count_user_nodes(std::string_view user_id) override;
  Result<void> create_challenge(const ClaimChallengeRecord& challenge) override;
  Result<ClaimChallengeRecord> get_challenge(std::string_view auth_id) override;
  Result<std::int64_t> record_certificate(const ClaimedNodeRecord& node,
                                          const IssuedCertificateRecord& certificate,
                                          std::string_view consumed_auth_id,
                                          std::string_view revoke_reason) override;
  Result<std::vector<std::string>> revoked_fingerprints(std::int64_t now_at) override;
  Result<std::vector<RevokedSerialRecord>> revoked_serials(std::int64_t since) override;
  Result<bool> reclaim_blocked(std::string_view node_id) override;
  Result<std::vector<IssuedCertificateRecord>> list_certificates(std::string_view node_id) override;
  Result<std::int64_t> count_certificates() override;
  Result<std::optional<std::string>> latest_certificate_pem(std::string_view node_id,
                                                            std::int64_t now_at) override;
  /// @}

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
