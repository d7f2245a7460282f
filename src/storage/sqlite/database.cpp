#include "storage/sqlite/database.hpp"

namespace stratus::storage::sqlite {

Result<std::shared_ptr<Database>> Database::open(const std::filesystem::path& path,
                                                 const OpenOptions& options, std::size_t size) {
  auto db = std::make_shared<Database>();
  for (std::size_t i = 0; i < std::max<std::size_t>(size, 1); ++i) {
    auto conn = Connection::open(path, options);
    if (!conn)
      return fail(conn.error());
    if (i == 0) {
      auto report = conn->migrate(migrations());
      if (!report)
        return fail(report.error());
      db->report_ = *report;
    }
    db->all_.push_back(std::make_unique<Connection>(std::move(*conn)));
    db->idle_.push_back(db->all_.back().get());
  }
  return db;
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

}  // namespace stratus::storage::sqlite
