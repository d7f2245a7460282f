#include "storage/sql/wirepas_credential_repository.hpp"

namespace stratus::storage::sql {

Result<void> SqlWirepasCredentialRepository::insert(const WirepasCredential& w) {
  return db_->with([&](Connection& c) {
    return c.execute(
        "INSERT INTO wirepas_credentials(name, role, salt, mac, created_by, created_ms) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        w.name, w.role, w.salt, w.mac, w.created_by, w.created_ms);
  });
}

Result<std::vector<WirepasCredential>> SqlWirepasCredentialRepository::list() {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT name, role, salt, mac, created_by, created_ms FROM wirepas_credentials "
        "ORDER BY name",
        [](const Statement& s) {
          return WirepasCredential{s.text(0), s.text(1), s.text(2),
                                   s.text(3), s.text(4), s.integer(5)};
        });
  });
}

Result<bool> SqlWirepasCredentialRepository::remove(std::string_view name) {
  return db_->with([&](Connection& c) -> Result<bool> {
    auto r = c.execute("DELETE FROM wirepas_credentials WHERE name = ?1", name);
    if (!r)
      return fail(r.error());
    return c.changes() > 0;
  });
}

}  // namespace stratus::storage::sql
