// Proves `stratusd db copy` (server/database_admin.hpp, issue 23 item 5): every table of
// the schema is in the copy list, an embedded SQLite database arrives in PostgreSQL row
// for row — text, integers, reals and BLOBs alike, group trees parents first, the
// installation's identity kept — identity columns continue after the copied ids, and a
// target that is not empty is refused with nothing written. And `stratusd db compact`:
// a database upgraded across the migration that took configs out of the node rows is
// packed on both backends with every row kept, and one not yet migrated, or with a
// stratusd running on it, is refused. And the data directory's lock both take: one
// holder at a time, released with its object. And what a failed copy must not do: migrate
// either end, create a mistyped source, run beside a stratusd; and `db check` writes
// nothing while `db migrate` waits for a stopped server.
// How: a SQLite file filled with raw SQL, a PostgreSQL server started by the test, both
// read back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "server/data_dir_lock.hpp"
#include "server/database_admin.hpp"
#include "storage/postgres/connection.hpp"
#include "storage/sqlite/connection.hpp"
#include "support/postgres_server.hpp"

namespace stratus::server {
namespace {

using storage::sql::Connection;
using storage::sql::Statement;

TEST(DatabaseCopy, TheCopyListNamesEveryTableOfTheSchema) {
  test::TempDir dir;
  auto db = storage::sqlite::open_database(dir.path() / "s.db", {}, 1);
  ASSERT_TRUE(db) << db.error().message();
  const auto tables = (*db)->with([](Connection& c) {
    return c.query_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'schema_migrations' ORDER BY name",
        [](const Statement& s) { return s.text(0); });
  });
  ASSERT_TRUE(tables);
  const std::set<std::string> in_schema(tables->begin(), tables->end());
  const std::set<std::string> copied(copied_tables().begin(), copied_tables().end());
  EXPECT_EQ(in_schema, copied);
}

TEST(DatabaseCopy, AnEmbeddedDatabaseArrivesInPostgresRowForRow) {
  STRATUS_REQUIRE_POSTGRES(server);
  test::TempDir dir;
  const auto file = dir.path() / "stratus.db";
  std::string instance_id;
  {
    auto db = storage::sqlite::open_database(file, {}, 1);
    ASSERT_TRUE(db) << db.error().message();
    (*db)->with([&](Connection& c) {
      ASSERT_TRUE(c.exec(
          "INSERT INTO users(user_id, user_name, password_hash, verified, created_at, "
          "updated_at) VALUES('u1', 'a@example.com', 'h', 1, 1, 2);"
          "INSERT INTO nodes(node_id, params, created_at) VALUES('n1', '{\"Light\":{}}', 5);"
          "INSERT INTO node_configs(node_id, config) VALUES('n1', '{\"node_id\":\"n1\"}');"
          "INSERT INTO user_nodes(user_id, node_id, role, mapped_at) VALUES('u1','n1','primary',7);"
          // The child first (foreign keys off for it): a copy in table order would
          // then break the parent reference.
          "PRAGMA foreign_keys = OFF;"
          "INSERT INTO node_groups(group_id, group_name, parent_group_id, created_at) "
          "  VALUES('child', 'c', 'root', 9);"
          "INSERT INTO node_groups(group_id, group_name, created_at) VALUES('root', 'r', 8);"
          "PRAGMA foreign_keys = ON;"
          "INSERT INTO ts_points(node_id, param_name, ts, data_type, num, source) "
          "  VALUES('n1', 'temp', 100, 'float', 21.625, 'params');"
          "INSERT INTO audit_log(actor_kind, action, outcome, at_ms) VALUES('system','a','ok',1);"
          "INSERT INTO audit_log(actor_kind, action, outcome, at_ms) "
          "VALUES('system','b','ok',2);"));
      auto s = c.prepare(
          "INSERT INTO command_requests(request_id, node_id, user_id, user_name, cmd, "
          "request_data, role, status, request_ms) VALUES('r1', 'n1', 'u1', 'a', 1, ?1, 1, "
          "'requested', 3)");
      ASSERT_TRUE(s);
      s->bind_blob(1, std::string("\x00\xff\x01", 3));
      ASSERT_TRUE(s->run());
      instance_id = *c.query_text("SELECT value FROM instance WHERE key = 'instance_id'");
    });
  }
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  const auto report = copy_database("sqlite:" + file.string(), *url, "");
  ASSERT_TRUE(report) << report.error().message();
  std::int64_t total = 0;
  for (const auto& [table, rows] : *report)
    total += rows;
  EXPECT_EQ(total, 2 + 1 + 1 + 1 + 1 + 2 + 1 + 2 + 1);  // instance has two rows

  auto pg = storage::postgres::Connection::open(*url, {});
  ASSERT_TRUE(pg);
  auto& c = **pg;
  EXPECT_EQ(*c.query_text("SELECT value FROM instance WHERE key = 'instance_id'"), instance_id);
  EXPECT_EQ(*c.query_text("SELECT user_name FROM users WHERE user_id = 'u1'"), "a@example.com");
  EXPECT_EQ(*c.query_text("SELECT params FROM nodes"), "{\"Light\":{}}");
  EXPECT_EQ(*c.query_text("SELECT config FROM node_configs"), "{\"node_id\":\"n1\"}");
  EXPECT_EQ(*c.query_text("SELECT parent_group_id FROM node_groups WHERE group_id = 'child'"),
            "root");
  const auto num = c.query_one("SELECT num FROM ts_points", {"none"},
                               [](const Statement& s) { return s.real(0); });
  ASSERT_TRUE(num);
  EXPECT_DOUBLE_EQ(*num, 21.625);
  EXPECT_EQ(*c.query_text("SELECT request_data FROM command_requests"),
            std::string("\x00\xff\x01", 3));
  // The next audit row follows the copied ones.
  ASSERT_TRUE(
      c.exec("INSERT INTO audit_log(actor_kind, action, outcome, at_ms) "
             "VALUES('system', 'c', 'ok', 3)"));
  EXPECT_EQ(*c.query_int("SELECT audit_id FROM audit_log WHERE action = 'c'"), 3);

  // A second copy into the same (now full) database is refused and writes nothing.
  const auto again = copy_database("sqlite:" + file.string(), *url, "");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::conflict) << again.error().message();
  EXPECT_EQ(*c.query_int("SELECT COUNT(*) FROM users"), 1);
  EXPECT_EQ(*c.query_int("SELECT COUNT(*) FROM audit_log"), 3);
}

// `count` nodes, each row holding a 1.5 KB config, written at the schema before the
// config had its own table.
std::string nodes_with_configs(int count) {
  const std::string config = "{\"node_id\":\"n\",\"pad\":\"" + std::string(1500, 'x') + "\"}";
  std::string sql;
  for (int i = 0; i < count; ++i) {
    sql += "INSERT INTO nodes(node_id, config, params, created_at) VALUES('n" + std::to_string(i) +
           "', '" + config + "', '{\"L\":{\"on\":true}}', 1);";
  }
  return sql;
}

TEST(DatabaseCompact, AnUpgradedSqliteDatabaseIsPackedWithEveryRowKept) {
  test::TempDir dir;
  config::Config config;
  config.server.data_dir = dir.path().string();
  {
    auto c = storage::sqlite::Connection::open(dir.path() / "stratus.db", {});
    ASSERT_TRUE(c);
    ASSERT_TRUE((*c)->migrate(storage::sqlite::migrations().first(17)));
    ASSERT_TRUE((*c)->exec(nodes_with_configs(400)));
    // Not migrated yet: refused, nothing changed.
    const auto early = compact_database(config);
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().code, errc::conflict) << early.error().message();
    ASSERT_TRUE((*c)->migrate(storage::sqlite::migrations()));
  }
  {
    // A stratusd running on the data directory (its lock held): refused.
    auto held = DataDirLock::acquire(dir.path(), DataDirLock::Mode::create);
    ASSERT_TRUE(held) << held.error().message();
    const auto running = compact_database(config);
    held->release();
    ASSERT_FALSE(running);
    EXPECT_EQ(running.error().code, errc::conflict) << running.error().message();
  }
  const auto report = compact_database(config);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->backend, "sqlite");
  // The configs moved to their own table, so the file does not shrink by their size;
  // the node rows' pages, about two rows each before, are what is given back.
  EXPECT_LT(report->bytes_after, report->bytes_before * 3 / 4)
      << report->bytes_before << " -> " << report->bytes_after;
  auto c = storage::sqlite::Connection::open(dir.path() / "stratus.db", {});
  ASSERT_TRUE(c);
  EXPECT_EQ(*(*c)->query_int("SELECT COUNT(*) FROM nodes WHERE params IS NOT NULL"), 400);
  EXPECT_EQ(*(*c)->query_int("SELECT COUNT(*) FROM node_configs WHERE length(config) > 1500"), 400);
}

TEST(DataDirLock, OneHolderAtATimeReleasedWithItsObject) {
  test::TempDir dir;
  const auto data_dir = dir.path() / "data";
  // No directory yet: nothing to hold for an offline command, created for a server.
  auto none = DataDirLock::acquire(data_dir, DataDirLock::Mode::if_present);
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_FALSE(std::filesystem::exists(data_dir));
  {
    auto first = DataDirLock::acquire(data_dir, DataDirLock::Mode::create);
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(std::filesystem::status(data_dir).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_all);
    std::string pid;
    std::getline(std::ifstream(data_dir / DataDirLock::kFileName), pid);
    EXPECT_EQ(pid, std::to_string(::getpid()));
    for (const auto mode : {DataDirLock::Mode::create, DataDirLock::Mode::if_present}) {
      const auto second = DataDirLock::acquire(data_dir, mode);
      ASSERT_FALSE(second);
      EXPECT_EQ(second.error().code, errc::conflict) << second.error().message();
    }
    DataDirLock moved = std::move(*first);  // the lock goes with the object
    EXPECT_FALSE(DataDirLock::acquire(data_dir, DataDirLock::Mode::if_present));
  }
  EXPECT_TRUE(DataDirLock::acquire(data_dir, DataDirLock::Mode::if_present));
}

TEST(DatabaseCompact, PostgresPacksTheNodesTableWithEveryRowKept) {
  STRATUS_REQUIRE_POSTGRES(server);
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  auto pg = storage::postgres::Connection::open(*url, {});
  ASSERT_TRUE(pg);
  auto& c = **pg;
  ASSERT_TRUE(c.migrate(storage::postgres::migrations().first(3)));
  ASSERT_TRUE(c.exec(nodes_with_configs(400)));
  ASSERT_TRUE(c.migrate(storage::postgres::migrations()));
  config::Config config;
  config.database.url = *url;
  const auto report = compact_database(config);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->backend, "postgres");
  EXPECT_LT(report->bytes_after, report->bytes_before / 2)
      << report->bytes_before << " -> " << report->bytes_after;
  EXPECT_EQ(*c.query_int("SELECT COUNT(*) FROM nodes WHERE params IS NOT NULL"), 400);
  EXPECT_EQ(*c.query_int("SELECT COUNT(*) FROM node_configs WHERE length(config) > 1500"), 400);
}

TEST(DatabaseCopy, MalformedNamesAreRefused) {
  EXPECT_EQ(copy_database("mysql://x", "sqlite:/tmp/x", "").error().code, errc::invalid_argument);
  EXPECT_EQ(copy_database("sqlite:", "sqlite:/tmp/x", "").error().code, errc::invalid_argument);
  // A password in the URL would show in `ps`: refused, as in database.url.
  const auto inline_password = copy_database("sqlite:/tmp/x", "postgresql://u:pw@h/db", "");
  ASSERT_FALSE(inline_password);
  EXPECT_EQ(inline_password.error().code, errc::invalid_argument);
  EXPECT_EQ(inline_password.error().context.find("pw@"), std::string::npos);
}

int version_of(const std::filesystem::path& file) {
  auto c = storage::sqlite::Connection::open(file, {});
  EXPECT_TRUE(c);
  return c ? *(*c)->schema_version() : -1;
}

// A copy that fails changes neither end: the source is never migrated, the target only
// when it is new, and a mistyped source path creates nothing.
TEST(DatabaseCopy, AFailedCopyChangesNeitherDatabase) {
  test::TempDir dir;
  const auto old_file = dir.path() / "old" / "stratus.db";
  std::filesystem::create_directories(old_file.parent_path());
  {
    auto c = storage::sqlite::Connection::open(old_file, {});
    ASSERT_TRUE(c);
    ASSERT_TRUE((*c)->migrate(storage::sqlite::migrations().first(17)));
  }
  const auto target = dir.path() / "new" / "stratus.db";
  const auto older = copy_database("sqlite:" + old_file.string(), "sqlite:" + target.string(), "");
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().code, errc::conflict) << older.error().message();
  EXPECT_NE(older.error().context.find("db migrate"), std::string::npos);
  EXPECT_EQ(version_of(old_file), 17) << "the source was migrated";
  EXPECT_FALSE(std::filesystem::exists(target)) << "the target was created";
  // A bad target after a good source: the source stays as it was.
  const auto bad_target = copy_database("sqlite:" + old_file.string(), "mysql://x", "");
  ASSERT_FALSE(bad_target);
  EXPECT_EQ(version_of(old_file), 17);

  const auto missing = dir.path() / "old" / "stratus.sqlite";
  const auto typo = copy_database("sqlite:" + missing.string(), "sqlite:" + target.string(), "");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, errc::not_found) << typo.error().message();
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_FALSE(std::filesystem::exists(target));

  // A target at another schema version (a running installation's, say) is not migrated.
  const auto other = dir.path() / "other" / "stratus.db";
  std::filesystem::create_directories(other.parent_path());
  {
    auto c = storage::sqlite::Connection::open(other, {});
    ASSERT_TRUE(c);
    ASSERT_TRUE((*c)->migrate(storage::sqlite::migrations().first(16)));
    ASSERT_TRUE((*c)->migrate(storage::sqlite::migrations()));
  }
  const auto same = copy_database("sqlite:" + other.string(), "sqlite:" + old_file.string(), "");
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, errc::conflict) << same.error().message();
  EXPECT_EQ(version_of(old_file), 17) << "the target was migrated";
}

TEST(DatabaseCopy, ARunningStratusdOnEitherEndIsRefused) {
  test::TempDir dir;
  const auto source = dir.path() / "a" / "stratus.db";
  const auto target = dir.path() / "b" / "stratus.db";
  std::filesystem::create_directories(source.parent_path());
  ASSERT_TRUE(storage::sqlite::open_database(source, {}, 1));
  for (const auto& running : {source.parent_path(), target.parent_path()}) {
    auto held = DataDirLock::acquire(running, DataDirLock::Mode::create);
    ASSERT_TRUE(held) << held.error().message();
    const auto r = copy_database("sqlite:" + source.string(), "sqlite:" + target.string(), "");
    ASSERT_FALSE(r) << running;
    EXPECT_EQ(r.error().code, errc::conflict) << r.error().message();
    EXPECT_NE(r.error().context.find("stop it first"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_FALSE(copy_database("sqlite:" + source.string(), "sqlite:" + source.string(), ""));
}

// Rows go many to an INSERT: full batches and a remainder arrive whole, in a SQLite to
// SQLite copy (which needs no PostgreSQL).
TEST(DatabaseCopy, ManyRowsArriveWholeInBatches) {
  test::TempDir dir;
  const auto source = dir.path() / "a" / "stratus.db";
  std::filesystem::create_directories(source.parent_path());
  {
    auto db = storage::sqlite::open_database(source, {}, 1);
    ASSERT_TRUE(db);
    (*db)->with([](Connection& c) {
      ASSERT_TRUE(
          c.exec("INSERT INTO nodes(node_id, created_at) VALUES('n1', 1);"
                 "WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < 1203) "
                 "INSERT INTO ts_points(node_id, param_name, ts, data_type, num, source) "
                 "SELECT 'n1', 'temp', x, 'float', x / 4.0, 'params' FROM i;"))
          << "seed";
    });
  }
  const auto target = dir.path() / "b" / "stratus.db";
  const auto report = copy_database("sqlite:" + source.string(), "sqlite:" + target.string(), "");
  ASSERT_TRUE(report) << report.error().message();
  auto c = storage::sqlite::Connection::open(target, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(*(*c)->query_int("SELECT COUNT(*) FROM ts_points"), 1203);
  EXPECT_EQ(*(*c)->query_int("SELECT SUM(ts) FROM ts_points"), 1203 * 1204 / 2);
  EXPECT_EQ(*(*c)->query_int("SELECT CAST(SUM(num) * 4 AS INTEGER) FROM ts_points"),
            1203 * 1204 / 2);
  EXPECT_EQ(version_of(target), static_cast<int>(storage::sqlite::migrations().size()));
}

// The copy moves columns by name, so the two backends' schemas must have the same
// columns in every table (a migration written for one backend only shows here).
TEST(DatabaseCopy, BothBackendsHaveTheSameColumnsInEveryTable) {
  STRATUS_REQUIRE_POSTGRES(server);
  test::TempDir dir;
  auto lite = storage::sqlite::open_database(dir.path() / "s.db", {}, 1);
  ASSERT_TRUE(lite) << lite.error().message();
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  auto pg = storage::postgres::open_database(*url, {}, 1);
  ASSERT_TRUE(pg) << pg.error().message();
  const auto name = [](const Statement& s) { return s.text(0); };
  for (const auto table : copied_tables()) {
    const auto a = (*lite)->with([&](Connection& c) {
      return c.query_all("SELECT name FROM pragma_table_info(?1)", name, table);
    });
    const auto b = (*pg)->with([&](Connection& c) {
      return c.query_all(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = "
          "current_schema() AND table_name = ?1",
          name, table);
    });
    ASSERT_TRUE(a && b) << table;
    EXPECT_EQ(std::set<std::string>(a->begin(), a->end()),
              std::set<std::string>(b->begin(), b->end()))
        << table;
  }
}

// `db check` writes nothing (not even the version table), and `db migrate` waits for no
// running stratusd on a SQLite data directory: it is refused.
TEST(DatabaseAdmin, CheckWritesNothingAndMigrateWaitsForAStoppedServer) {
  test::TempDir dir;
  config::Config config;
  config.server.data_dir = dir.path().string();
  ASSERT_TRUE(storage::sqlite::Connection::open(dir.path() / "stratus.db", {}));
  const auto status = check_database(config);
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->schema_version, 0);
  {
    auto c = storage::sqlite::Connection::open(dir.path() / "stratus.db", {});
    ASSERT_TRUE(c);
    EXPECT_EQ(*(*c)->query_int("SELECT COUNT(*) FROM sqlite_master"), 0);
  }
  {
    auto held = DataDirLock::acquire(dir.path(), DataDirLock::Mode::create);
    ASSERT_TRUE(held);
    const auto running = migrate_database(config);
    ASSERT_FALSE(running);
    EXPECT_EQ(running.error().code, errc::conflict) << running.error().message();
    EXPECT_EQ(check_database(config)->schema_version, 0);
  }
  const auto migrated = migrate_database(config);
  ASSERT_TRUE(migrated) << migrated.error().message();
  EXPECT_EQ(check_database(config)->schema_version,
            static_cast<int>(storage::sqlite::migrations().size()));
}

// `db revoked-certificates`: what a shared mosquitto on a host of its own reads, written
// from the database (certificates revoked and not expired, nothing else), and refused,
// with nothing written, against a schema of another version.
TEST(DatabaseAdmin, TheRevocationListIsWrittenFromTheDatabase) {
  test::TempDir dir;
  config::Config config;
  config.server.data_dir = dir.path().string();
  const std::string revoked(64, 'a'), expired(64, 'b'), valid(64, 'c');
  {
    auto c = storage::sqlite::Connection::open(dir.path() / "stratus.db", {});
    ASSERT_TRUE(c);
    ASSERT_TRUE((*c)->migrate(storage::sqlite::migrations().first(19)));
  }
  const auto out = dir.path() / "broker" / "revoked";
  std::filesystem::create_directories(out.parent_path());
  SystemClock clock;
  const auto early = RevocationExport::open(config);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, errc::conflict) << early.error().message();
  EXPECT_FALSE(std::filesystem::exists(out));
  {
    auto c = storage::sqlite::Connection::open(dir.path() / "stratus.db", {});
    ASSERT_TRUE(c);
    ASSERT_TRUE((*c)->migrate(storage::sqlite::migrations()));
    const auto row = [](const std::string& fp, std::int64_t not_after, const char* revoked_at) {
      return "INSERT INTO claim_certificates(node_id, serial_hex, fingerprint_hex, not_after, "
             "issued_at, method, revoked_at) VALUES('n', '01', '" +
             fp + "', " + std::to_string(not_after) + ", 1, 'self', " + revoked_at + ");";
    };
    ASSERT_TRUE((*c)->exec(row(revoked, 4102444800, "5") + row(expired, 1000, "5") +
                           row(valid, 4102444800, "NULL")));
  }
  auto exporter = RevocationExport::open(config);
  ASSERT_TRUE(exporter) << exporter.error().message();
  const auto written = exporter->write(out, clock);
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(*written, std::optional<std::size_t>(1));
  const auto read = [&] {
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const auto text = read();
  EXPECT_NE(text.find(revoked), std::string::npos) << text;
  EXPECT_EQ(text.find(expired), std::string::npos) << text;
  EXPECT_EQ(text.find(valid), std::string::npos) << text;
  // Unchanged: not written again (the plugin would re-read it and walk its sessions).
  std::filesystem::remove(out);
  EXPECT_EQ(*exporter->write(out, clock), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(out));
  {
    auto c = storage::sqlite::Connection::open(dir.path() / "stratus.db", {});
    ASSERT_TRUE(c);
    ASSERT_TRUE((*c)->exec("UPDATE claim_certificates SET revoked_at = 6 WHERE revoked_at IS NULL"));
  }
  EXPECT_EQ(*exporter->write(out, clock), std::optional<std::size_t>(2));
  EXPECT_NE(read().find(valid), std::string::npos);
}

}  // namespace
}  // namespace stratus::server
