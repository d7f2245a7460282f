#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the access storage port
/// (relations, groups, sharing requests; docs/adr/0009). The effective relation is the
/// `node_access` view of migration 0008.

#include <memory>

#include "storage/access_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlAccessRepository final : public AccessRepository {
 public:
  explicit SqlAccessRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> write(const std::function<Result<void>(AccessStore&)>& body) override;
  Result<void> read(const std::function<Result<void>(AccessStore&)>& body) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
