#pragma once
/// @file
/// A SQLite connection (RAII) with the settings Stratus relies on: WAL journal,
/// foreign keys on, a busy timeout. No sqlite3 type leaks out of this header.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "storage/migration.hpp"

namespace stratus::storage::sqlite {

/// How to open a connection.
struct OpenOptions {
  std::chrono::milliseconds busy_timeout{5000};
  bool read_only = false;
};

/// A prepared statement owned by its Connection (prepared once, reused: see
/// `Connection::prepare`). Columns and bind indexes as SQLite numbers them:
/// binds from 1, columns from 0. Not thread-safe (like its connection).
///
/// This is a move-only handle: destroying it resets the statement, which ends
/// its read transaction. (A SELECT left un-reset would pin its WAL snapshot, and
/// the connection would stop seeing other connections' writes.)
class Statement {
 public:
  Statement(Statement&& other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  /// Binds text (copied).
  Statement& bind(int index, std::string_view text);
  /// Binds an integer.
  Statement& bind(int index, std::int64_t value);
  /// Binds a floating-point number (REAL).
  Statement& bind(int index, double value);
  /// Binds NULL.
  Statement& bind_null(int index);
  /// Binds raw bytes as a BLOB (copied); read them back with `text`.
  Statement& bind_blob(int index, std::string_view bytes);
  /// Binds text (the overloads spare callers conversions that would be ambiguous).
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  /// Binds text, or NULL for nullopt.
  Statement& bind(int index, const std::optional<std::string>& text);
  /// Binds an integer, or NULL for nullopt.
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  /// Binds `args` to ?1, ?2, … in order (text, integers, optional text).
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int index = 1;
    (bind(index++, args), ...);
    return *this;
  }
  /// Advances: true when a row is available, false when done. Errors as
  /// `Connection::exec` (errc::conflict for constraint violations).
  Result<bool> step();
  /// Steps to completion (for statements without rows).
  Result<void> run();
  /// Column `col` of the current row as text or raw BLOB bytes ("" for NULL).
  [[nodiscard]] std::string text(int col) const;
  /// Column `col` of the current row as an integer (0 for NULL).
  [[nodiscard]] std::int64_t integer(int col) const;
  /// Column `col` of the current row as a double (0 for NULL).
  [[nodiscard]] double real(int col) const;
  /// True if column `col` of the current row is NULL.
  [[nodiscard]] bool is_null(int col) const;

 private:
  friend class Connection;
  struct Impl;
  explicit Statement(Impl* impl) : impl_(impl) {}
  Impl* impl_;
};

/// One connection to one database file. Not thread-safe: use a connection from
/// one thread at a time (SQLite's serialized mode is not relied on).
class Connection {
 public:
  /// Opens (creating if needed, unless read-only) `path`, switches to WAL and
  /// turns foreign keys on. A writable database file is made mode 0600 (created so,
  /// or tightened if group/other had access). Errors: errc::unavailable with
  /// SQLite's or the OS's message.
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

  /// The statement for `sql`, prepared on first use and cached for the
  /// connection's lifetime; returned reset with bindings cleared. The reference
  /// stays valid until the connection is destroyed. Errors: errc::internal for
  /// SQL that does not compile.
  Result<Statement> prepare(std::string_view sql);

  /// Prepares (cached) `sql`, binds `args` to ?1, ?2, … and runs it to
  /// completion: one statement without result rows. Errors as `exec`.
  template <class... Args>
  Result<void> execute(std::string_view sql, const Args&... args) {
    auto s = prepare(sql);
    if (!s)
      return fail(s.error());
    s->bind_all(args...);
    return s->run();
  }

  /// What `query_one` answers when there is no row: errc::not_found with this text
  /// (no RainMaker code: the service that knows what the row is names it).
  struct NotFound {
    std::string_view text;
  };

  /// Runs a query that yields at most one row and returns `read(row)`, or the
  /// `missing` error when there is none. `read` is called with the statement
  /// positioned on the row.
  template <class Read, class... Args>
  auto query_one(std::string_view sql, NotFound missing, Read&& read, const Args&... args)
      -> Result<std::invoke_result_t<Read&, const Statement&>> {
    auto s = prepare(sql);
    if (!s)
      return fail(s.error());
    s->bind_all(args...);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      return fail(errc::not_found, std::string(missing.text));
    return read(static_cast<const Statement&>(*s));
  }

  /// Runs a query and returns `read(row)` for every row, in order.
  template <class Read, class... Args>
  auto query_all(std::string_view sql, Read&& read, const Args&... args)
      -> Result<std::vector<std::invoke_result_t<Read&, const Statement&>>> {
    auto s = prepare(sql);
    if (!s)
      return fail(s.error());
    s->bind_all(args...);
    std::vector<std::invoke_result_t<Read&, const Statement&>> rows;
    while (true) {
      auto row = s->step();
      if (!row)
        return fail(row.error());
      if (!*row)
        return rows;
      rows.push_back(read(static_cast<const Statement&>(*s)));
    }
  }

  /// Rows changed by the last INSERT/UPDATE/DELETE.
  [[nodiscard]] std::int64_t changes() const;

  /// Runs `body` inside BEGIN IMMEDIATE … COMMIT; rolls back when it returns an
  /// error (or COMMIT fails), so a failure writes nothing.
  template <class F>
  Result<void> transaction(F&& body) {
    if (auto r = exec("BEGIN IMMEDIATE"); !r)
      return r;
    Result<void> result = body();
    if (result)
      result = exec("COMMIT");
    if (!result)
      (void)exec("ROLLBACK");
    return result;
  }

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
