#pragma once
/// @file
/// SQLite implementation of the Wirepas credential port (table `wirepas_credentials`,
/// migration 0016; docs/adr/0018).

#include <memory>

#include "storage/sqlite/database.hpp"
#include "storage/wirepas_credential_repository.hpp"

namespace stratus::storage::sqlite {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqliteWirepasCredentialRepository final : public WirepasCredentialRepository {
 public:
  explicit SqliteWirepasCredentialRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> insert(const WirepasCredential& credential) override;
  Result<std::vector<WirepasCredential>> list() override;
  Result<bool> remove(std::string_view name) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sqlite
