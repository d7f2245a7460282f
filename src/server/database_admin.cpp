#include "server/database_admin.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include "server/accounts.hpp"
#include "server/data_dir_lock.hpp"
#include "storage/postgres/connection.hpp"
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

// A database named on the command line, opened (and migrated) with one connection.
Result<std::shared_ptr<storage::sql::Database>> open_named(std::string_view name,
                                                           const std::string& password) {
  if (name.starts_with("sqlite:")) {
    const std::filesystem::path path(name.substr(7));
    if (path.empty())
      return fail(errc::invalid_argument, "sqlite: needs a file name (sqlite:/path/stratus.db)");
    return storage::sqlite::open_database(path, {}, 1);
  }
  if (name.starts_with("postgresql://") || name.starts_with("postgres://")) {
    storage::postgres::OpenOptions options;
    options.application_name = "stratusd db copy";
    options.password = password;
    return storage::postgres::open_database(name, options, 1);
  }
  return fail(errc::invalid_argument,
              "expected sqlite:PATH or postgresql://…, got " + storage::postgres::redact_url(name));
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

Result<std::int64_t> copy_table(Connection& from, Connection& to, std::string_view table) {
  auto columns = columns_of(to, table);
  if (!columns)
    return fail(columns.error());
  std::string list;
  std::string params;
  for (std::size_t i = 0; i < columns->size(); ++i) {
    list += (i == 0 ? "" : ", ") + (*columns)[i].name;
    params += (i == 0 ? "?" : ", ?") + std::to_string(i + 1);
  }
  auto read = from.prepare(select_sql(table, list));
  if (!read)
    return fail(read.error());
  const std::string insert =
      "INSERT INTO " + std::string(table) + "(" + list + ") VALUES(" + params + ")";
  std::int64_t rows = 0;
  while (true) {
    auto row = read->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      break;
    auto write = to.prepare(insert);
    if (!write)
      return fail(write.error());
    for (std::size_t i = 0; i < columns->size(); ++i) {
      const int col = static_cast<int>(i);
      const int param = col + 1;
      if (read->is_null(col)) {
        write->bind_null(param);
        continue;
      }
      switch ((*columns)[i].kind) {
        case Kind::integer:
          write->bind(param, read->integer(col));
          break;
        case Kind::real:
          write->bind(param, read->real(col));
          break;
        case Kind::blob:
          write->bind_blob(param, read->text(col));
          break;
        case Kind::text:
          write->bind(param, read->text(col));
          break;
      }
    }
    if (auto r = write->run(); !r) {
      Error e = r.error();
      e.context = "copying " + std::string(table) + ": " + e.context;
      return fail(std::move(e));
    }
    ++rows;
  }
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
  DatabaseStatus status;
  std::unique_ptr<Connection> c;
  if (!config.database.url.empty()) {
    auto password = database_password(config);
    if (!password)
      return fail(password.error());
    storage::postgres::OpenOptions options;
    options.application_name = application_name;
    options.password = *password;
    auto opened = storage::postgres::Connection::open(config.database.url, options);
    if (!opened)
      return fail(opened.error());
    c = std::move(*opened);
    status.backend = "postgres";
    status.where = storage::postgres::redact_url(config.database.url);
    status.known_version = static_cast<int>(storage::postgres::migrations().size());
  } else {
    const auto path = sqlite_path(config);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return fail(errc::not_found, "no database at " + path.string());
    auto opened = storage::sqlite::Connection::open(path, {config.database.busy_timeout_ms, false});
    if (!opened)
      return fail(opened.error());
    c = std::move(*opened);
    status.backend = "sqlite";
    status.where = path.string();
    status.known_version = static_cast<int>(storage::sqlite::migrations().size());
  }
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
    const auto data_dir = std::filesystem::absolute(config.server.data_dir);
    auto taken = DataDirLock::acquire(data_dir, DataDirLock::Mode::if_present);
    if (!taken && taken.error().code == errc::conflict)
      return fail(errc::conflict,
                  "a stratusd is running on " + data_dir.string() + ": stop it first");
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
  auto db = open_database_pool(config, std::filesystem::absolute(config.server.data_dir));
  if (!db)
    return fail(db.error());
  return (*db)->migration_report();
}

Result<CopyReport> copy_database(std::string_view from, std::string_view to,
                                 const std::string& to_password) {
  auto source = open_named(from, "");
  if (!source)
    return fail(source.error());
  auto target = open_named(to, to_password);
  if (!target)
    return fail(target.error());
  CopyReport report;
  return (*source)->with([&](Connection& in) -> Result<CopyReport> {
    return (*target)->with([&](Connection& out) -> Result<CopyReport> {
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
    });
  });
}

}  // namespace stratus::server
