#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the mapping challenge storage
/// port (migration 0005_mapping_challenges.sql).

#include <memory>

#include "storage/mapping_challenge_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlMappingChallengeRepository final : public MappingChallengeRepository {
 public:
  /// Uses `db` (migrated to at least version 5).
  explicit SqlMappingChallengeRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  /// @{
  /// MappingChallengeRepository, documented there.
  Result<void> create(const MappingChallengeRecord& challenge) override;
  Result<MappingChallengeRecord> get(std::string_view request_id) override;
  Result<void> mark_used(std::string_view request_id, std::int64_t at) override;
  /// @}

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
