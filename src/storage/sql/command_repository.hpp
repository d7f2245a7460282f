#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the command request storage
/// port (migration 0006).

#include <memory>

#include "storage/command_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlCommandRepository final : public CommandRepository {
 public:
  explicit SqlCommandRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> write(const std::function<Result<void>(CommandWriter&)>& body) override;
  Result<CommandRecord> get(std::string_view request_id, std::string_view node_id) override;
  Result<std::vector<CommandRecord>> list(const CommandFilter& filter) override;
  Result<std::int64_t> count(const CommandFilter& filter) override;
  Result<bool> any_due(std::int64_t now_ms) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
