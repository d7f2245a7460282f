#pragma once
/// @file
/// A SQLite connection (RAII) with the settings Stratus relies on: WAL journal,
/// foreign keys on, a busy timeout. No sqlite3 type leaks out of this header.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "storage/migration.hpp"

namespace stratus::storage::sqlite {

/// How to open a connection.
struct OpenOptions {
  std::chrono::milliseconds busy_timeout{5000};
  bool read_only = false;
};

/// One connection to one database file. Not thread-safe: use a connection from
/// one thread at a time (SQLite's serialized mode is not relied on).
class Connection {
 public:
  /// Opens (creating if needed, unless read-only) `path`, switches to WAL and
  /// turns foreign keys on. Errors: errc::unavailable with SQLite's message.
  static Result<Connection> open(const std::filesystem::path& path, const OpenOptions& options);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// Runs one or more statements that return no rows. Errors carry SQLite's
  /// message: errc::unavailable for busy/locked/IO, errc::conflict for
  /// constraint violations, errc::internal otherwise.
  Result<void> exec(std::string_view sql);

  /// Runs a query returning one integer (first column of the first row).
  /// errc::not_found if there is no row.
  Result<std::int64_t> query_int(std::string_view sql);

  /// Runs a query returning one text value (first column of the first row).
  Result<std::string> query_text(std::string_view sql);

  /// Cheap liveness check (`SELECT 1`).
  Result<void> ping();

  /// Applies every migration newer than the recorded schema version, each in its
  /// own IMMEDIATE transaction (all of one migration or none of it). Idempotent.
  /// Errors: errc::invalid_argument if `migrations` are not numbered 1..N;
  /// errc::conflict if the database is newer than this binary (downgrade).
  Result<MigrationReport> migrate(std::span<const Migration> migrations);

  /// The highest applied migration version (0 for a fresh database).
  Result<int> schema_version();

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The migrations of the SQLite backend, compiled from
/// src/storage/sqlite/migrations/*.sql, ordered by version.
std::span<const Migration> migrations();

}  // namespace stratus::storage::sqlite
