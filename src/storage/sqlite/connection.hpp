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
  /// For `open_database` of a writable pool (docs/adr/0032): once a commit leaves the WAL
  /// at this many pages or more, a thread of the pool's own (`db-checkpoint`, with a
  /// connection of its own) checkpoints it (copies the pages back into the database file
  /// and syncs both), instead of the committing connection doing it inside its commit
  /// (SQLite's automatic checkpoint, at 1 000 pages). A commit that finds the WAL at
  /// four times this size checkpoints itself, as SQLite would, so the WAL stays bounded
  /// while writers never leave the checkpointer a gap. 0 = SQLite's automatic checkpoints.
  int background_checkpoint_pages = 1000;
};

/// The pool's checkpointing thread (defined in connection.cpp).
class Checkpointer;

/// Opens `size` connections (≥ 1) to `path` and applies `migrations()` on the
/// first; a writable pool with `background_checkpoint_pages` > 0 also starts the
/// `db-checkpoint` thread and its connection, stopped when the last connection closes.
/// Errors as `Connection::open` / `sql::Connection::migrate`. Thread-safe.
Result<std::shared_ptr<sql::Database>> open_database(const std::filesystem::path& path,
                                                     const OpenOptions& options, std::size_t size);

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
  friend Result<std::shared_ptr<sql::Database>> open_database(const std::filesystem::path&,
                                                              const OpenOptions&, std::size_t);
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  // Hands this connection's checkpoints to the pool's checkpointer (its WAL hook).
  void attach(std::shared_ptr<Checkpointer> checkpointer);
  std::unique_ptr<Impl> impl_;
};

/// The migrations of the SQLite backend, compiled from
/// src/storage/sqlite/migrations/*.sql, ordered by version.
std::span<const Migration> migrations();

}  // namespace stratus::storage::sqlite
