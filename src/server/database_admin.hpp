#pragma once
/// @file
/// `stratusd db …` (issue 23): the database's state and moving it. `migrate` applies
/// pending migrations, `check` reports the schema version without changing anything
/// but the version table, `copy` moves an embedded install's SQLite database into an
/// empty PostgreSQL database (docs/scale-out.md).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "storage/migration.hpp"

namespace stratus::storage::sql {
class Database;
}  // namespace stratus::storage::sql

namespace stratus::server {

/// What `check_database` found.
struct DatabaseStatus {
  std::string backend;     ///< "sqlite" or "postgres"
  std::string where;       ///< the file, or the URL without its password
  int schema_version = 0;  ///< applied
  int known_version = 0;   ///< the newest this binary knows
};

/// `stratusd db check`: connects to the configured database (one connection) and
/// reads its schema version, writing nothing (a database without Stratus's version
/// table is at version 0). Errors: errc::not_found when the SQLite file does not
/// exist; errc::invalid_argument for an unreadable password file; the drivers' errors.
/// A database newer or older than this binary is not an error: the caller compares.
Result<DatabaseStatus> check_database(const config::Config& config);

/// `stratusd db migrate`: opens the configured database and applies every pending
/// migration (what start-up does). Errors as `open_database_pool`, and errc::conflict on
/// SQLite while a stratusd holds the data directory's lock (`stratusd.lock`).
Result<storage::MigrationReport> migrate_database(const config::Config& config);

/// What `compact_database` did: the bytes the compacted storage took before and after.
struct CompactReport {
  std::string backend;  ///< "sqlite" or "postgres"
  std::string what;     ///< "the database file" or "table nodes"
  std::int64_t bytes_before = 0;
  std::int64_t bytes_after = 0;
};

/// `stratusd db compact`: rewrites storage into packed pages, giving back the space that
/// rows which shrank left inside their pages. An upgrade across SQLite migration 18 or
/// PostgreSQL migration 4 (node configs in their own table) leaves each node row smaller
/// but where it was; packed, the ingest writer's batches touch several times fewer pages.
/// SQLite: `VACUUM` of the whole file (stop stratusd first: it holds the database for its
/// duration and needs as much free disk as the file takes); PostgreSQL: `VACUUM FULL
/// nodes` (its lock holds the ingest for the time it takes; the other tables are left to
/// autovacuum). Sizes: SQLite page_count × page_size; PostgreSQL
/// `pg_total_relation_size('nodes')`. Errors: as `check_database`, and errc::conflict
/// when the schema is not up to date (run `db migrate` first) or, on SQLite, while a
/// stratusd holds the data directory's lock (`stratusd.lock`); the drivers' errors
/// (SQLITE_BUSY as errc::unavailable while another process writes). Thread-safe (no
/// shared state).
Result<CompactReport> compact_database(const config::Config& config);

/// `stratusd db revoked-certificates --output FILE [--every S]`: the revocation list the
/// database holds (the fingerprints of certificates revoked and not yet expired,
/// `ClaimRepository::revoked_fingerprints`), written atomically in the format the Stratus
/// mosquitto plugin reads (`plugin_opt_revoked_certificates_file`). For a shared
/// mosquitto on a host of its own (docs/scale-out.md): each instance writes the list into
/// its own data directory, which that broker does not read; run this on the broker's
/// host, repeatedly, and the plugin applies each change within about 250 ms. Reads only,
/// over one connection kept between writes. Not thread-safe (one owner).
class RevocationExport {
 public:
  /// Connects to the configured database. Errors: as `check_database`; errc::conflict
  /// when the schema is not this binary's version.
  static Result<RevocationExport> open(const config::Config& config);

  /// Reads the list and writes it to `file`, unless it equals the list this object
  /// last wrote: the number of fingerprints written, or nullopt when unchanged. Errors:
  /// the database's; errc::unavailable when the file cannot be written (the next call
  /// tries again).
  Result<std::optional<std::size_t>> write(const std::filesystem::path& file,
                                           const Clock& clock);

 private:
  RevocationExport() = default;
  std::shared_ptr<storage::sql::Database> db_;
  std::optional<std::vector<std::string>> last_;
};

/// Rows copied per table, in copy order.
using CopyReport = std::vector<std::pair<std::string, std::int64_t>>;

/// `stratusd db copy --from FROM --to TO`: every row of every Stratus table, in one
/// read snapshot of FROM and one transaction on TO, many rows per INSERT. Each is
/// `sqlite:PATH` or a `postgresql://` URL without a password (`to_password`: the
/// target's password, may be empty; the source's comes from ~/.pgpass or PGPASSWORD).
/// Nothing is changed until both are checked: FROM must exist at this binary's schema
/// version (it is never migrated); TO must be new (it is migrated) or at this version,
/// and hold no rows (its own instance row is replaced by FROM's, so the installation
/// keeps its identity); a SQLite end's data directory must not be held by a running
/// stratusd (`stratusd.lock`; stop every stratusd on a PostgreSQL source too: writes
/// made during the copy are not in it). Identity sequences continue after the copied
/// ids. Errors: errc::invalid_argument for a malformed name, a URL with a password, or
/// the same file twice; errc::not_found for a SQLite source that does not exist;
/// errc::conflict for a running stratusd, a schema version other than this binary's,
/// a table whose columns differ, or a TO that is not empty (nothing written); the
/// drivers' errors (the target transaction rolls back; errc::unavailable when its
/// commit's outcome could not be learned, ADR 0035). Thread-safe (no shared state).
Result<CopyReport> copy_database(std::string_view from, std::string_view to,
                                 const std::string& to_password);

/// The tables `copy_database` copies, parents before children. Every table of the
/// schema except `schema_migrations` is here (tests/unit/server checks it).
const std::vector<std::string_view>& copied_tables();

}  // namespace stratus::server
