#pragma once
/// @file
/// The SQLite driver of `sql::Connection` (the embedded default): a connection
/// with the settings Stratus relies on — WAL journal, foreign keys on, a busy
/// timeout — and the pool over one database file. No sqlite3 type leaks out of
/// this header.

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>

#include "storage/sql/connection.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sqlite {

/// How to open a connection.
struct OpenOptions {
  std::chrono::milliseconds busy_timeout{5000};
  bool read_only = false;
};

/// One connection to one database file. Not thread-safe (see `sql::Connection`).
/// Write transactions are `BEGIN IMMEDIATE`: SQLite's single writer.
class Connection final : public sql::Connection {
 public:
  /// Opens (creating if needed, unless read-only) `path`, switches to WAL and
  /// turns foreign keys on. A writable database file is made mode 0600 (created so,
  /// or tightened if group/other had access). Errors: errc::unavailable with
  /// SQLite's or the OS's message.
  static Result<std::unique_ptr<Connection>> open(const std::filesystem::path& path,
                                                  const OpenOptions& options);
  ~Connection() override;

  [[nodiscard]] sql::Dialect dialect() const override { return sql::Dialect::sqlite; }
  Result<void> exec(std::string_view sql) override;
  Result<sql::Statement> prepare(std::string_view sql) override;
  [[nodiscard]] std::int64_t changes() const override;

 protected:
  Result<void> begin_write() override;

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Opens `size` connections (≥ 1) to `path` and applies `migrations()` on the
/// first. Errors as `Connection::open` / `sql::Connection::migrate`. Thread-safe.
Result<std::shared_ptr<sql::Database>> open_database(const std::filesystem::path& path,
                                                     const OpenOptions& options, std::size_t size);

/// The migrations of the SQLite backend, compiled from
/// src/storage/sqlite/migrations/*.sql, ordered by version.
std::span<const Migration> migrations();

}  // namespace stratus::storage::sqlite
