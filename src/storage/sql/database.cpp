#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

Database::Database(std::vector<std::unique_ptr<Connection>> connections, MigrationReport report)
    : all_(std::move(connections)), dialect_(all_.front()->dialect()), report_(std::move(report)) {
  for (auto& c : all_)
    idle_.push_back(c.get());
}

Result<std::shared_ptr<Database>> Database::open(
    std::size_t size, const std::function<Result<std::unique_ptr<Connection>>()>& open,
    std::span<const Migration> migrations, bool migrate) {
  std::vector<std::unique_ptr<Connection>> connections;
  MigrationReport report;
  for (std::size_t i = 0; i < std::max<std::size_t>(size, 1); ++i) {
    auto conn = open();
    if (!conn)
      return fail(conn.error());
    if (i == 0 && migrate) {
      auto migrated = (*conn)->migrate(migrations);
      if (!migrated)
        return fail(migrated.error());
      report = *migrated;
    }
    connections.push_back(std::move(*conn));
  }
  return std::make_shared<Database>(std::move(connections), std::move(report));
}

Database::Lease::Lease(Database& d) : db(d) {
  std::unique_lock lock(db.mutex_);
  db.available_.wait(lock, [this] { return !db.idle_.empty(); });
  connection = db.idle_.back();
  db.idle_.pop_back();
}

Database::Lease::~Lease() {
  {
    std::lock_guard lock(db.mutex_);
    db.idle_.push_back(connection);
  }
  db.available_.notify_one();
}

}  // namespace stratus::storage::sql
