#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the Wirepas credential port
/// (table `wirepas_credentials`, migration 0016; docs/adr/0018).

#include <memory>

#include "storage/sql/database.hpp"
#include "storage/wirepas_credential_repository.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlWirepasCredentialRepository final : public WirepasCredentialRepository {
 public:
  explicit SqlWirepasCredentialRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> insert(const WirepasCredential& credential) override;
  Result<std::vector<WirepasCredential>> list() override;
  Result<bool> remove(std::string_view name) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
