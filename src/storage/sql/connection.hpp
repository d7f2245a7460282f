#pragma once
/// @file
/// The SQL connection the repositories are written against (docs/adr/0020): one
/// interface with two drivers, `storage/sqlite` (the embedded default) and
/// `storage/postgres` (scale-out). Repositories write their SQL once, with `?N`
/// placeholders and the subset both engines accept; where the dialects differ they
/// ask `Connection::dialect()` or use the fragments below. No driver type leaks out
/// of this header.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "storage/migration.hpp"

namespace stratus::storage::sql {

/// The engine behind a connection.
enum class Dialect { sqlite, postgres };

/// A driver's prepared statement. Drivers implement it; repositories hold a
/// `Statement` handle, never this. Not thread-safe.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void bind_text(int index, std::string_view text) = 0;
  virtual void bind_integer(int index, std::int64_t value) = 0;
  virtual void bind_real(int index, double value) = 0;
  virtual void bind_blob(int index, std::string_view bytes) = 0;
  virtual void bind_null(int index) = 0;
  virtual Result<bool> step() = 0;
  [[nodiscard]] virtual std::string text(int col) const = 0;
  [[nodiscard]] virtual std::int64_t integer(int col) const = 0;
  [[nodiscard]] virtual double real(int col) const = 0;
  [[nodiscard]] virtual bool is_null(int col) const = 0;
  /// Ends the statement's execution (drops its rows, ends SQLite's read snapshot).
  virtual void reset() = 0;
};

/// A prepared statement owned by its Connection (prepared once, reused: see
/// `Connection::prepare`). Binds are numbered from 1 (`?1`), columns from 0. Not
/// thread-safe (like its connection).
///
/// A move-only handle: destroying it resets the statement, which ends its read (a
/// SQLite SELECT left un-reset would pin its WAL snapshot, and the connection would
/// stop seeing other connections' writes).
class Statement {
 public:
  explicit Statement(StatementImpl* impl) : impl_(impl) {}
  Statement(Statement&& other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() {
    if (impl_ != nullptr)
      impl_->reset();
  }

  /// Binds text (copied).
  Statement& bind(int index, std::string_view text) {
    impl_->bind_text(index, text);
    return *this;
  }
  /// Binds an integer.
  Statement& bind(int index, std::int64_t value) {
    impl_->bind_integer(index, value);
    return *this;
  }
  /// Binds a floating-point number.
  Statement& bind(int index, double value) {
    impl_->bind_real(index, value);
    return *this;
  }
  /// Binds NULL.
  Statement& bind_null(int index) {
    impl_->bind_null(index);
    return *this;
  }
  /// Binds raw bytes (a BLOB in SQLite, a bytea in PostgreSQL; copied); read them
  /// back with `text`.
  Statement& bind_blob(int index, std::string_view bytes) {
    impl_->bind_blob(index, bytes);
    return *this;
  }
  /// Binds text (the overloads spare callers conversions that would be ambiguous).
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  /// Binds text, or NULL for nullopt.
  Statement& bind(int index, const std::optional<std::string>& text) {
    return text ? bind(index, std::string_view(*text)) : bind_null(index);
  }
  /// Binds an integer, or NULL for nullopt.
  Statement& bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  /// Binds `args` to ?1, ?2, … in order (text, integers, optional text).
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int index = 1;
    (bind(index++, args), ...);
    return *this;
  }
  /// Advances: true when a row is available, false when done. The first call runs
  /// the statement. Errors as `Connection::exec` (errc::conflict for constraint
  /// violations).
  Result<bool> step() { return impl_->step(); }
  /// Steps to completion (for statements without rows).
  Result<void> run() {
    while (true) {
      auto r = step();
      if (!r)
        return fail(r.error());
      if (!*r)
        return {};
    }
  }
  /// Column `col` of the current row as text or raw BLOB/bytea bytes ("" for NULL).
  [[nodiscard]] std::string text(int col) const { return impl_->text(col); }
  /// Column `col` of the current row as an integer (0 for NULL).
  [[nodiscard]] std::int64_t integer(int col) const { return impl_->integer(col); }
  /// Column `col` of the current row as a double (0 for NULL).
  [[nodiscard]] double real(int col) const { return impl_->real(col); }
  /// True if column `col` of the current row is NULL.
  [[nodiscard]] bool is_null(int col) const { return impl_->is_null(col); }

 private:
  StatementImpl* impl_;
};

/// One connection to one database. Not thread-safe: use a connection from one
/// thread at a time (borrow it from a `Database`).
///
/// Errors of every call carry the engine's message and a code: errc::unavailable
/// for busy/locked/IO/connection failures, errc::conflict for constraint
/// violations, errc::internal otherwise.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection() = default;

  /// Which engine this is, for the few statements the dialects spell differently.
  [[nodiscard]] virtual Dialect dialect() const = 0;

  /// Runs one or more statements that return no rows (no placeholders).
  virtual Result<void> exec(std::string_view sql) = 0;

  /// The statement for `sql` (placeholders `?N`), prepared on first use and cached
  /// for the connection's lifetime; returned reset with bindings cleared. Errors:
  /// errc::internal for SQL that does not compile (PostgreSQL reports that at the
  /// first `step`, when the bound types are known).
  virtual Result<Statement> prepare(std::string_view sql) = 0;

  /// Rows changed by the last INSERT/UPDATE/DELETE run on this connection.
  [[nodiscard]] virtual std::int64_t changes() const = 0;

  /// Runs a query returning one integer (first column of the first row).
  /// errc::not_found if there is no row.
  Result<std::int64_t> query_int(std::string_view sql);

  /// Runs a query returning one text value (first column of the first row).
  Result<std::string> query_text(std::string_view sql);

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

  /// Runs `body` as one write transaction and commits; rolls back when it returns
  /// an error (or COMMIT fails), so a failure writes nothing — except a PostgreSQL
  /// COMMIT whose connection broke and whose outcome the driver could not learn
  /// (errc::unavailable saying so; storage/postgres/connection.hpp). Write transactions
  /// are serialized against every other writer of the database — SQLite's
  /// `BEGIN IMMEDIATE`, PostgreSQL's transaction-scoped advisory lock (ADR 0020) —
  /// so a body's reads stay true until it commits, on either engine.
  template <class F>
  Result<void> transaction(F&& body) {
    if (auto r = begin_write(); !r)
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
  /// own write transaction (all of one migration or none of it), and records it in
  /// `schema_migrations`. Idempotent; on PostgreSQL, several instances starting at
  /// once apply each migration exactly once (the write lock serializes them).
  /// Errors: errc::invalid_argument if `migrations` are not numbered 1..N;
  /// errc::conflict if the database is newer than this binary (downgrade).
  Result<MigrationReport> migrate(std::span<const Migration> migrations);

  /// The highest applied migration version (0 for a fresh database).
  Result<int> schema_version();

  /// A table expression yielding the strings of the JSON array bound at
  /// `placeholder` (e.g. "?3") as rows of one column named `value`: SQLite's
  /// `json_each(?3)`, PostgreSQL's `jsonb_array_elements_text`.
  [[nodiscard]] std::string json_strings(std::string_view placeholder) const;

  /// A condition that `column` is one of the strings bound at `placeholder` (e.g. "?1")
  /// as `string_list(values)`: SQLite's `column IN (SELECT value FROM json_each(?1))`,
  /// PostgreSQL's `column = ANY(CAST(?1 AS text[]))`. PostgreSQL answers the latter with
  /// one index scan over the sorted array, about three times faster than joining a
  /// table expression (issue 23 item 4: the ingest writer's batch reads).
  [[nodiscard]] std::string in_string_list(std::string_view column,
                                           std::string_view placeholder) const;

  /// The value to bind for `in_string_list`: a JSON array of `values` (SQLite), a
  /// `text[]` literal (PostgreSQL). Strings containing NUL are not representable
  /// (PostgreSQL text). Pure.
  [[nodiscard]] std::string string_list(std::span<const std::string> values) const;

 protected:
  /// Starts a write transaction that excludes every other writer (see `transaction`).
  virtual Result<void> begin_write() = 0;
};

/// A JSON array of the strings `values` (for `Connection::json_strings`). Pure.
[[nodiscard]] std::string json_array(std::span<const std::string> values);

/// Appends `text` as one element of a PostgreSQL array literal: double-quoted, with `"`
/// and `\` escaped by a backslash (PostgreSQL manual, 8.15.6 "Array Input and Output
/// Syntax"), so any text, braces, commas and the word NULL included, reads back
/// unchanged. Pure.
void append_pg_array_element(std::string& out, std::string_view text);

/// A PostgreSQL `text[]` literal of `values` (`{"a","b"}`; `{}` when empty). Pure.
[[nodiscard]] std::string pg_text_array(std::span<const std::string> values);

}  // namespace stratus::storage::sql
