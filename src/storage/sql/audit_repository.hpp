#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the audit-log storage port
/// (table `audit_log`, migration 0014; docs/adr/0015). The table's triggers refuse UPDATE and
/// DELETE.

#include <memory>

#include "storage/audit_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlAuditRepository final : public AuditRepository {
 public:
  explicit SqlAuditRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> append(std::span<const AuditRecord> records) override;
  Result<std::vector<AuditRecord>> list(const AuditQuery& query) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
