#pragma once
/// @file
/// A small pool of SQLite connections to one database file, for use from the
/// blocking thread pool. SQLite allows many readers and one writer at a time
/// (WAL); writers queue on the busy timeout.

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/sqlite/connection.hpp"

namespace stratus::storage::sqlite {

/// Owns `size` connections. Thread-safe: `with` borrows one connection for the
/// duration of the call, waiting when all are borrowed.
class Database {
 public:
  /// Opens `size` connections (≥ 1) to `path` and applies the migrations on the
  /// first. Errors as `Connection::open` / `Connection::migrate`.
  static Result<std::shared_ptr<Database>> open(const std::filesystem::path& path,
                                                const OpenOptions& options, std::size_t size);

  /// Calls `f(Connection&)` with a borrowed connection and returns its result.
  template <class F>
  auto with(F&& f) {
    Lease lease(*this);
    return f(*lease.connection);
  }

  /// What the start-up migration did.
  [[nodiscard]] const MigrationReport& migration_report() const { return report_; }

 private:
  struct Lease {
    explicit Lease(Database& db);
    ~Lease();
    Database& db;
    Connection* connection;
  };

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> all_;
  std::vector<Connection*> idle_;
  MigrationReport report_;
};

}  // namespace stratus::storage::sqlite
