#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the manufacturing storage port
/// (migrations 0015_manufacturing.sql and 0017_registration_leases.sql; PostgreSQL 0003).

#include <memory>

#include "storage/manufacturing_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block. Writes that must
/// be atomic run in one IMMEDIATE transaction.
class SqlManufacturingRepository final : public ManufacturingRepository {
 public:
  /// Uses `db` (migrated to at least version 15).
  explicit SqlManufacturingRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  /// @{
  /// ManufacturingRepository, documented there.
  Result<void> create_node_ids(std::string_view request_id,
                               const std::vector<std::string>& node_ids,
                               std::string_view created_by, std::int64_t at) override;
  Result<std::vector<std::string>> node_ids(std::string_view request_id) override;
  Result<void> create_registration(const RegistrationRecord& record) override;
  Result<RegistrationRecord> get_registration(std::string_view request_id) override;
  Result<void> update_registration(const RegistrationRecord& record,
                                   RegistrationState expected) override;
  Result<std::optional<RegistrationRecord>> claim_registration(std::string_view request_id,
                                                               std::string_view worker,
                                                               std::int64_t now,
                                                               std::int64_t lease_until) override;
  Result<bool> update_claimed_registration(const RegistrationRecord& record,
                                           std::string_view worker,
                                           std::int64_t lease_until) override;
  Result<std::vector<std::string>> claimable_registrations(std::int64_t now,
                                                           std::size_t limit) override;
  Result<void> create_ca(const ManufacturingCaRecord& ca) override;
  Result<std::vector<ManufacturingCaRecord>> list_cas() override;
  Result<AdminGroupRecord> ensure_group(std::string_view name,
                                        const std::optional<std::string>& parent_group_id,
                                        std::string_view new_group_id, std::int64_t at) override;
  Result<std::vector<AdminGroupRecord>> find_groups(std::string_view name) override;
  Result<std::pair<RegistrationOutcome, std::int64_t>> register_node(
      const NodeRegistration& registration) override;
  Result<std::vector<std::string>> registered_fingerprints(std::int64_t now_at) override;
  Result<std::int64_t> revoke_node(std::string_view node_id, std::string_view reason,
                                   std::string_view revoked_by, std::int64_t at) override;
  Result<void> allow_reclaim(std::string_view node_id) override;
  Result<std::optional<NodeRevocationRecord>> node_revocation(std::string_view node_id) override;
  Result<std::vector<RevokedCertificate>> list_revoked(std::string_view node_id, std::size_t offset,
                                                       std::size_t limit) override;
  /// @}

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
