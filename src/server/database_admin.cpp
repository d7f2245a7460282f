#include "server/database_admin.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <set>

#include "broker/revocation_list.hpp"
#include "server/accounts.hpp"
#include "server/data_dir_lock.hpp"
#include "storage/postgres/connection.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/database.hpp"
#include "storage/sqlite/connection.hpp"

namespace stratus::server {
namespace {

using storage::sql::Connection;
using storage::sql::Dialect;
using storage::sql::Statement;

std::filesystem::path sqlite_path(const config::Config& config) {
  return config.database.path.empty()
             ? std::filesystem::absolute(config.server.data_dir) / "stratus.db"
             : std::filesystem::path(config.database.path);
}

// A database named on the command line: `sqlite:PATH` or a PostgreSQL URL.
struct Named {
  std::filesystem::path sqlite;  // empty for PostgreSQL
  std::string url;
};

Result<Named> parse_name(std::string_view name) {
  if (name.starts_with("sqlite:")) {
    const std::filesystem::path path(name.substr(7));
    if (path.empty())
      return fail(errc::invalid_argument, "sqlite: needs a file name (sqlite:/path/stratus.db)");
    return Named{std::filesystem::absolute(path), {}};
  }
  if (name.starts_with("postgresql://") || name.starts_with("postgres://")) {
    if (config::url_holds_password(name)) {
      return fail(errc::invalid_argument,
                  storage::postgres::redact_url(name) +
                      " holds a password: use --to-password-file, ~/.pgpass or PGPASSWORD");
    }
    return Named{{}, std::string(name)};
  }
  return fail(errc::invalid_argument,
              "expected sqlite:PATH or postgresql://…, got " + storage::postgres::redact_url(name));
}

// The data directory's lock for an offline command (`whose`: which directory, for the
// message): refused while a stratusd runs there (the lock it holds, server.cpp).
Result<DataDirLock> offline_lock(const std::filesystem::path& dir, std::string_view whose = {}) {
  auto taken = DataDirLock::acquire(dir, DataDirLock::Mode::if_present);
  if (!taken && taken.error().code == errc::conflict) {
    return fail(errc::conflict, "a stratusd is running on " + dir.string() + std::string(whose) +
                                    ": stop it first");
  }
  return taken;
}

// The lock of the data directory holding a SQLite file; nothing for PostgreSQL.
Result<DataDirLock> lock_of(const Named& db, std::string_view role) {
  if (db.sqlite.empty())
    return DataDirLock{};
  return offline_lock(db.sqlite.parent_path(), ", the " + std::string(role) + "'s data directory");
}

// One connection to a named database, not migrated. With `must_exist` a SQLite file that
// is not there is `not_found` (a mistyped path would otherwise open a new, empty
// database); without, its directory is made as a data directory is (0700, DataDirLock).
Result<std::unique_ptr<Connection>> connect(
    const Named& db, const std::string& password, const char* application_name, bool must_exist,
    std::chrono::milliseconds busy_timeout = storage::sqlite::OpenOptions{}.busy_timeout) {
  if (!db.sqlite.empty()) {
    std::error_code ec;
    if (must_exist && !std::filesystem::exists(db.sqlite, ec))
      return fail(errc::not_found, "no database at " + db.sqlite.string());
    if (!must_exist && std::filesystem::create_directories(db.sqlite.parent_path(), ec))
      std::filesystem::permissions(db.sqlite.parent_path(), std::filesystem::perms::owner_all, ec);
    auto c = storage::sqlite::Connection::open(db.sqlite, {busy_timeout, false});
    if (!c)
      return fail(c.error());
    return std::unique_ptr<Connection>(std::move(*c));
  }
  storage::postgres::OpenOptions options;
  options.application_name = application_name;
  options.password = password;
  auto c = storage::postgres::Connection::open(db.url, options);
  if (!c)
    return fail(c.error());
  return std::unique_ptr<Connection>(std::move(*c));
}

std::span<const storage::Migration> migrations_of(const Connection& c) {
  return c.dialect() == Dialect::postgres ? storage::postgres::migrations()
                                          : storage::sqlite::migrations();
}

enum class Kind { text, integer, real, blob };

struct Column {
  std::string name;
  Kind kind = Kind::text;
  bool identity = false;
};

Kind kind_of(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  if (type.find("BYTEA") != std::string::npos || type.find("BLOB") != std::string::npos)
    return Kind::blob;
  if (type.find("INT") != std::string::npos)
    return Kind::integer;
  if (type.find("DOUBLE") != std::string::npos || type.find("REAL") != std::string::npos ||
      type.find("FLOAT") != std::string::npos) {
    return Kind::real;
  }
  return Kind::text;
}

// The target's columns of `table`, in order, with the types that decide the binds.
Result<std::vector<Column>> columns_of(Connection& c, std::string_view table) {
  const bool pg = c.dialect() == Dialect::postgres;
  const std::string sql =
      pg ? "SELECT column_name, data_type, is_identity FROM information_schema.columns WHERE "
           "table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position"
         : "SELECT name, type, 'NO' FROM pragma_table_info(?1) ORDER BY cid";
  auto columns = c.query_all(
      sql,
      [](const Statement& s) {
        return Column{s.text(0), kind_of(s.text(1)), s.text(2) == "YES"};
      },
      table);
  if (columns && columns->empty())
    return fail(errc::internal, "table " + std::string(table) + " has no columns");
  return columns;
}

// Rows of a self-referencing table come parents first.
std::string select_sql(std::string_view table, const std::string& list) {
  for (const std::string_view tree : {"node_groups", "mfg_groups"}) {
    if (table == tree) {
      const std::string t(tree);
      return "WITH RECURSIVE depth(group_id, d) AS (SELECT group_id, 0 FROM " + t +
             " WHERE parent_group_id IS NULL UNION ALL SELECT g.group_id, depth.d + 1 FROM " + t +
             " g JOIN depth ON g.parent_group_id = depth.group_id) SELECT " + list + " FROM " + t +
             " JOIN depth USING (group_id) ORDER BY depth.d, group_id";
    }
  }
  return "SELECT " + list + " FROM " + std::string(table);
}

// One column value read from the source, held until its row's batch is written.
struct Value {
  bool null = true;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;  // text or bytes
};

// Rows per INSERT: one round trip carries many rows (a row per statement made a copy
// with months of time series take hours over a network), within both engines' limits
// on parameters (SQLite 32 766, PostgreSQL 65 535).
std::size_t rows_per_insert(std::size_t columns) {
  return std::clamp<std::size_t>(4000 / columns, 1, 500);
}

std::string insert_sql(std::string_view table, const std::string& list, std::size_t columns,
                       std::size_t rows) {
  std::string sql = "INSERT INTO " + std::string(table) + "(" + list + ") VALUES";
  int param = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t c = 0; c < columns; ++c)
      sql += (c == 0 ? "?" : ", ?") + std::to_string(++param);
    sql += ')';
  }
  return sql;
}

Result<std::int64_t> copy_table(Connection& from, Connection& to, std::string_view table) {
  auto columns = columns_of(to, table);
  if (!columns)
    return fail(columns.error());
  // Both ends are at this binary's schema (copy_database), whose two backends have the
  // same columns (tests/integration/database_copy_postgres_test.cpp); a column only one
  // end has is refused rather than left behind.
  auto source_columns = columns_of(from, table);
  if (!source_columns)
    return fail(source_columns.error());
  std::set<std::string> in, out;
  for (const auto& c : *source_columns)
    in.insert(c.name);
  for (const auto& c : *columns)
    out.insert(c.name);
  if (in != out) {
    return fail(errc::conflict, "table " + std::string(table) +
                                    " has different columns in the source and the target");
  }
  const std::size_t width = columns->size();
  std::string list;
  for (std::size_t i = 0; i < width; ++i)
    list += (i == 0 ? "" : ", ") + (*columns)[i].name;
  auto read = from.prepare(select_sql(table, list));
  if (!read)
    return fail(read.error());
  const std::size_t batch = rows_per_insert(width);
  std::vector<Value> values;
  values.reserve(batch * width);
  const auto flush = [&]() -> Result<void> {
    const std::size_t rows = values.size() / width;
    if (rows == 0)
      return {};
    auto write = to.prepare(insert_sql(table, list, width, rows));
    if (!write)
      return fail(write.error());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const int param = static_cast<int>(i) + 1;
      const Value& v = values[i];
      if (v.null) {
        write->bind_null(param);
        continue;
      }
      switch ((*columns)[i % width].kind) {
        case Kind::integer:
          write->bind(param, v.integer);
          break;
        case Kind::real:
          write->bind(param, v.real);
          break;
        case Kind::blob:
          write->bind_blob(param, v.text);
          break;
        case Kind::text:
          write->bind(param, v.text);
          break;
      }
    }
    values.clear();
    if (auto r = write->run(); !r) {
      Error e = r.error();
      e.context = "copying " + std::string(table) + ": " + e.context;
      return fail(std::move(e));
    }
    return {};
  };
  std::int64_t rows = 0;
  while (true) {
    auto row = read->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      break;
    for (std::size_t i = 0; i < width; ++i) {
      const int col = static_cast<int>(i);
      Value& v = values.emplace_back();
      v.null = read->is_null(col);
      if (v.null)
        continue;
      switch ((*columns)[i].kind) {
        case Kind::integer:
          v.integer = read->integer(col);
          break;
        case Kind::real:
          v.real = read->real(col);
          break;
        case Kind::blob:
        case Kind::text:
          v.text = read->text(col);
          break;
      }
    }
    ++rows;
    if (values.size() == batch * width) {
      if (auto r = flush(); !r)
        return fail(r.error());
    }
  }
  if (auto r = flush(); !r)
    return fail(r.error());
  // Identity columns continue after the copied ids.
  for (const auto& column : *columns) {
    if (!column.identity)
      continue;
    const std::string t(table);
    if (auto r = to.query_int("SELECT setval(pg_get_serial_sequence('" + t + "', '" + column.name +
                              "'), (SELECT COALESCE(MAX(" + column.name + "), 0) + 1 FROM " + t +
                              "), false)");
        !r) {
      return fail(r.error());
    }
  }
  return rows;
}

}  // namespace

const std::vector<std::string_view>& copied_tables() {
  static const std::vector<std::string_view> tables{
      "instance",
      "users",
      "verification_codes",
      "sessions",
      "refresh_tokens",
      "nodes",
      "node_configs",
      "user_nodes",
      "mapping_requests",
      "node_mapping_reports",
      "alerts",
      "claimed_nodes",
      "claim_challenges",
      "mapping_challenges",
      "claim_certificates",
      "command_requests",
      "node_desired",
      "node_groups",
      "group_nodes",
      "group_users",
      "sharing_requests",
      "sharing_request_items",
      "webhooks",
      "webhook_deliveries",
      "ts_points",
      "ts_rollups",
      "ts_param_types",
      "automations",
      "automation_edges",
      "ota_images",
      "ota_jobs",
      "ota_job_nodes",
      "audit_log",
      "mfg_node_id_requests",
      "mfg_node_ids",
      "mfg_registrations",
      "mfg_cas",
      "mfg_groups",
      "mfg_group_nodes",
      "mfg_nodes",
      "node_revocations",
      "wirepas_credentials",
  };
  return tables;
}

namespace {

// One connection to the configured database, not migrated, and what `check_database`
// reports about it.
Result<std::pair<std::unique_ptr<Connection>, DatabaseStatus>> open_configured(
    const config::Config& config, const char* application_name) {
  const bool pg = !config.database.url.empty();
  const Named db = pg ? Named{{}, config.database.url} : Named{sqlite_path(config), {}};
  std::string password;
  if (pg) {
    auto read = database_password(config);
    if (!read)
      return fail(read.error());
    password = std::move(*read);
  }
  auto opened = connect(db, password, application_name, true, config.database.busy_timeout_ms);
  if (!opened)
    return fail(opened.error());
  auto c = std::move(*opened);
  DatabaseStatus status;
  status.backend = pg ? "postgres" : "sqlite";
  status.where = pg ? storage::postgres::redact_url(db.url) : db.sqlite.string();
  status.known_version = static_cast<int>(migrations_of(*c).size());
  auto version = c->schema_version();
  if (!version)
    return fail(version.error());
  status.schema_version = *version;
  return std::pair(std::move(c), std::move(status));
}

}  // namespace

Result<DatabaseStatus> check_database(const config::Config& config) {
  auto opened = open_configured(config, "stratusd db check");
  if (!opened)
    return fail(opened.error());
  return std::move(opened->second);
}

Result<CompactReport> compact_database(const config::Config& config) {
  auto opened = open_configured(config, "stratusd db compact");
  if (!opened)
    return fail(opened.error());
  auto& [c, status] = *opened;
  if (status.schema_version != status.known_version) {
    return fail(errc::conflict, "schema version " + std::to_string(status.schema_version) + " of " +
                                    std::to_string(status.known_version) +
                                    ": run stratusd db migrate first");
  }
  const bool pg = status.backend == "postgres";
  // SQLite: refused while a stratusd runs on the data directory (the lock it holds,
  // server.cpp), whose writers would wait behind the VACUUM; the lock is held while
  // packing, so none starts meanwhile.
  DataDirLock lock;
  if (!pg) {
    auto taken = offline_lock(std::filesystem::absolute(config.server.data_dir));
    if (!taken)
      return fail(taken.error());
    lock = std::move(*taken);
  }
  const char* size_sql =
      pg ? "SELECT pg_total_relation_size('nodes')"
         : "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
  CompactReport report{status.backend, pg ? "table nodes" : "the database file", 0, 0};
  auto before = c->query_int(size_sql);
  if (!before)
    return fail(before.error());
  report.bytes_before = *before;
  if (auto r = c->exec(pg ? "VACUUM FULL nodes" : "VACUUM"); !r)
    return fail(r.error());
  auto after = c->query_int(size_sql);
  if (!after)
    return fail(after.error());
  report.bytes_after = *after;
  return report;
}

Result<storage::MigrationReport> migrate_database(const config::Config& config) {
  const auto data_dir = std::filesystem::absolute(config.server.data_dir);
  // SQLite: refused while a stratusd runs on the data directory, whose statements a
  // migration would change underneath it (PostgreSQL instances take the write lock).
  DataDirLock lock;
  if (config.database.url.empty()) {
    auto taken = offline_lock(data_dir);
    if (!taken)
      return fail(taken.error());
    lock = std::move(*taken);
  }
  auto db = open_database_pool(config, data_dir);
  if (!db)
    return fail(db.error());
  return (*db)->migration_report();
}

Result<RevocationExport> RevocationExport::open(const config::Config& config) {
  auto opened = open_configured(config, "stratusd db revoked-certificates");
  if (!opened)
    return fail(opened.error());
  const auto& status = opened->second;
  if (status.schema_version != status.known_version) {
    return fail(errc::conflict, "schema version " + std::to_string(status.schema_version) +
                                    " where this stratusd knows " +
                                    std::to_string(status.known_version) +
                                    ": use the stratusd of the instances' version");
  }
  // The one connection, not a pool (which would migrate: this reader must not take the
  // cluster's write lock, nor need the right to create tables).
  std::vector<std::unique_ptr<Connection>> connections;
  connections.push_back(std::move(opened->first));
  RevocationExport e;
  e.db_ =
      std::make_shared<storage::sql::Database>(std::move(connections), storage::MigrationReport{});
  return e;
}

Result<std::optional<std::size_t>> RevocationExport::write(const std::filesystem::path& file,
                                                           const Clock& clock) {
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  storage::sql::SqlClaimRepository claims(db_);
  auto list = claims.revoked_fingerprints(now_s);
  if (!list)
    return fail(list.error());
  // Unchanged: not written again, so the plugin does not re-read it and walk its
  // sessions every tick.
  if (last_ == *list)
    return std::optional<std::size_t>{};
  if (auto r = broker::write_revocation_list(file, *list); !r)
    return fail(r.error());
  last_ = std::move(*list);
  return std::optional<std::size_t>(last_->size());
}

Result<CopyReport> copy_database(std::string_view from, std::string_view to,
                                 const std::string& to_password) {
  // Everything is checked before anything is changed: the names, that no stratusd runs
  // on a SQLite end, that the source exists at this binary's schema (it is never
  // migrated, so a failed copy leaves it as the stratusd it came from can still run),
  // and that the target is new or at this schema (only a new one is migrated, so a
  // mistyped URL of a running cluster's database is refused before its schema changes).
  auto source_name = parse_name(from);
  if (!source_name)
    return fail(source_name.error());
  auto target_name = parse_name(to);
  if (!target_name)
    return fail(target_name.error());
  if (!source_name->sqlite.empty() && source_name->sqlite == target_name->sqlite)
    return fail(errc::invalid_argument, "the source and the target are the same file");
  auto source_lock = lock_of(*source_name, "source");
  if (!source_lock)
    return fail(source_lock.error());
  DataDirLock target_lock;
  if (target_name->sqlite.empty() ||
      source_name->sqlite.parent_path() != target_name->sqlite.parent_path()) {
    auto taken = lock_of(*target_name, "target");
    if (!taken)
      return fail(taken.error());
    target_lock = std::move(*taken);
  }
  auto source = connect(*source_name, "", "stratusd db copy", true);
  if (!source)
    return fail(source.error());
  Connection& in = **source;
  const auto known = static_cast<int>(migrations_of(in).size());
  auto source_version = in.schema_version();
  if (!source_version)
    return fail(source_version.error());
  if (*source_version != known) {
    return fail(errc::conflict,
                "the source's schema is version " + std::to_string(*source_version) +
                    " and this stratusd's " + std::to_string(known) +
                    (*source_version < known ? ": run stratusd db migrate on the source first"
                                             : ": copy with a stratusd as new as the source"));
  }
  auto target = connect(*target_name, to_password, "stratusd db copy", false);
  if (!target)
    return fail(target.error());
  Connection& out = **target;
  const auto target_migrations = migrations_of(out);
  auto target_version = out.schema_version();
  if (!target_version)
    return fail(target_version.error());
  if (*target_version != 0 && *target_version != static_cast<int>(target_migrations.size())) {
    return fail(errc::conflict, "the target's schema is version " +
                                    std::to_string(*target_version) +
                                    ": copy into a new database, or one made by this stratusd");
  }
  if (auto r = out.migrate(target_migrations); !r)
    return fail(r.error());

  CopyReport report;
  // One snapshot of the source for the whole copy.
  if (auto r = in.exec(in.dialect() == Dialect::postgres
                           ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                           : "BEGIN");
      !r) {
    return fail(r.error());
  }
  auto copied = out.transaction([&]() -> Result<void> {
    for (const auto table : copied_tables()) {
      if (table == "instance")
        continue;
      auto rows = out.query_int("SELECT COUNT(*) FROM " + std::string(table));
      if (!rows)
        return fail(rows.error());
      if (*rows > 0) {
        return fail(errc::conflict, "the target is not empty (table " + std::string(table) +
                                        " has " + std::to_string(*rows) + " rows)");
      }
    }
    if (auto r = out.exec("DELETE FROM instance"); !r)
      return r;
    for (const auto table : copied_tables()) {
      auto rows = copy_table(in, out, table);
      if (!rows)
        return fail(rows.error());
      report.emplace_back(std::string(table), *rows);
    }
    return {};
  });
  (void)in.exec("COMMIT");
  if (!copied)
    return fail(copied.error());
  return report;
}

}  // namespace stratus::server
