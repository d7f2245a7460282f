#pragma once
/// @file
/// The PostgreSQL driver of `sql::Connection` (the scale-out mode, docs/adr/0020),
/// over libpq, and the pool over one `postgresql://` URL. No libpq type leaks out of
/// this header.
///
/// What the repositories rely on, and how this driver keeps it:
/// - `?N` placeholders: rewritten to `$N` once per statement (`to_dollar_params`).
/// - Prepared statements: prepared on a statement's first run (when the bound types
///   are known: integers int8, reals float8, blobs bytea, text and NULL left for the
///   server to infer) and reused for the connection's lifetime.
/// - One writer at a time, as SQLite's: a write transaction takes the
///   transaction-scoped advisory lock `kWriteLock`, and so does every INSERT, UPDATE
///   or DELETE run outside one (wrapped in its own short transaction). Reads never
///   wait. Several stratusd instances on one database serialize their writes here.
/// - A lost connection (server restart, failover) is reset at the next use outside a
///   transaction; the statement that found it lost fails with errc::unavailable.
/// - A COMMIT whose connection is lost is settled, not guessed: each write transaction
///   learns its id as it begins (`pg_current_xact_id()`, PostgreSQL ≥ 13), and a new
///   session asks `pg_xact_status` (ending the old session if it still runs the
///   transaction) for about 10 s, plus one connection attempt (`connect_timeout_s`).
///   Committed is success; rolled back is errc::unavailable; no answer in time is
///   errc::unavailable saying the outcome is unknown, the one case where a retry may
///   write twice (docs/adr/0035). The caller's thread blocks meanwhile.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sql/connection.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::postgres {

/// The advisory lock key every write transaction holds (ASCII "STRATUS" and 1).
inline constexpr std::int64_t kWriteLock = 0x5354524154555301;

/// How to connect.
struct OpenOptions {
  /// Seconds libpq waits for a connection (`connect_timeout`); 0 = libpq's default.
  int connect_timeout_s = 10;
  /// `application_name` the server shows in pg_stat_activity.
  std::string application_name = "stratusd";
  /// The password, when it is not in the URL, a ~/.pgpass or the environment.
  std::string password;
};

/// One connection to one PostgreSQL database. Not thread-safe (see
/// `sql::Connection`).
class Connection final : public sql::Connection {
 public:
  /// Connects to `url` (`postgresql://user:password@host:port/dbname?…`, any libpq
  /// connection string). Errors: errc::unavailable with libpq's message (the
  /// password is never part of it); errc::invalid_argument for a malformed URL.
  static Result<std::unique_ptr<Connection>> open(std::string_view url, const OpenOptions& options);
  ~Connection() override;

  [[nodiscard]] sql::Dialect dialect() const override { return sql::Dialect::postgres; }
  Result<void> exec(std::string_view sql) override;
  Result<sql::Statement> prepare(std::string_view sql) override;
  [[nodiscard]] std::int64_t changes() const override;

  struct Impl;

 protected:
  Result<void> begin_write() override;

 private:
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Opens `size` connections (≥ 1) to `url` and applies `migrations()` on the first
/// (instances starting together apply each migration once: see `kWriteLock`).
/// Errors as `Connection::open` / `sql::Connection::migrate`. Thread-safe.
Result<std::shared_ptr<sql::Database>> open_database(std::string_view url,
                                                     const OpenOptions& options, std::size_t size);

/// The migrations of the PostgreSQL backend, compiled from
/// src/storage/postgres/migrations/*.sql, ordered by version.
std::span<const Migration> migrations();

/// `sql` with its `?N` placeholders as PostgreSQL's `$N` (a bare `?` takes the
/// next number), leaving quoted strings, quoted identifiers and comments alone;
/// `params` is set to the highest number used and, when given, `used[N-1]` tells
/// whether `$N` occurs (a statement may skip numbers; the driver types those as
/// text, since the server cannot infer them). Pure; thread-safe.
std::string to_dollar_params(std::string_view sql, int& params, std::vector<bool>* used = nullptr);

/// `url` with its password, if any, replaced by "***" (for logs and errors).
std::string redact_url(std::string_view url);

}  // namespace stratus::storage::postgres
