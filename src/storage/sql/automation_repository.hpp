#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the automation storage port
/// (tables `automations`, SQLite migration 0012, and `automation_edges`, SQLite 0021 and
/// PostgreSQL 0007; docs/adr/0012).

#include <memory>

#include "storage/automation_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlAutomationRepository final : public AutomationRepository {
 public:
  explicit SqlAutomationRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> create(const AutomationRecord& automation) override;
  Result<void> update(const AutomationRecord& automation, std::int64_t read_updated_ms) override;
  Result<bool> remove(std::string_view user_id, std::string_view automation_id) override;
  Result<std::optional<AutomationRecord>> get(std::string_view automation_id) override;
  Result<std::vector<AutomationRecord>> list(std::string_view user_id, std::string_view node_id,
                                             std::string_view start_id, std::size_t limit) override;
  Result<std::int64_t> count(std::string_view user_id, std::string_view node_id) override;
  Result<std::vector<AutomationRecord>> all() override;
  Result<bool> claim_firing(std::string_view automation_id, std::int64_t scheduled_ms,
                            std::int64_t at_ms) override;
  Result<bool> claim_edge(std::string_view automation_id, std::int64_t report_ms,
                          std::int64_t ordinal, std::int64_t at_ms) override;
  Result<void> record_firing(std::string_view automation_id, std::int64_t at_ms,
                             std::string_view cause, std::string_view results_json) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
