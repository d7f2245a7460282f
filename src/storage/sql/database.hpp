#pragma once
/// @file
/// A pool of connections to one database, for use from the blocking thread pool.
/// The drivers open it: `sqlite::open_database` (a file) and
/// `postgres::open_database` (a `postgresql://` URL).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/sql/connection.hpp"

namespace stratus::storage::sql {

/// Owns a fixed set of connections. Thread-safe: `with` borrows one connection for
/// the duration of the call, waiting when all are borrowed.
class Database {
 public:
  /// Takes ownership of `connections` (at least one), already migrated; `report`
  /// is what the start-up migration did.
  Database(std::vector<std::unique_ptr<Connection>> connections, MigrationReport report);

  /// What a driver's `open_database` does: opens `size` connections (≥ 1) with
  /// `open` and, when `migrate`, applies `migrations` on the first. Errors: the first
  /// failure of `open` or `Connection::migrate`.
  static Result<std::shared_ptr<Database>> open(
      std::size_t size, const std::function<Result<std::unique_ptr<Connection>>()>& open,
      std::span<const Migration> migrations, bool migrate = true);

  /// Calls `f(Connection&)` with a borrowed connection and returns its result.
  template <class F>
  auto with(F&& f) {
    Lease lease(*this);
    return f(*lease.connection);
  }

  /// The engine behind the pool.
  [[nodiscard]] Dialect dialect() const { return dialect_; }

  /// What the start-up migration did.
  [[nodiscard]] const MigrationReport& migration_report() const { return report_; }

 private:
  struct Lease {
    explicit Lease(Database& db);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Database& db;
    Connection* connection;
  };

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> all_;
  std::vector<Connection*> idle_;
  Dialect dialect_;
  MigrationReport report_;
};

}  // namespace stratus::storage::sql
