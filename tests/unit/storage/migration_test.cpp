// Proves that migrations apply once, in order, atomically, and that a newer
// database is refused. How: real SQLite files in a temp dir.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "storage/sqlite/connection.hpp"
#include "support/temp_dir.hpp"

namespace stratus::storage::sqlite {
namespace {

std::unique_ptr<Connection> open_in(const test::TempDir& dir) {
  auto c = Connection::open(dir.path() / "test.db", {});
  EXPECT_TRUE(c.has_value()) << c.error().message();
  return std::move(*c);
}

TEST(Migrations, ShippedMigrationsApplyOnceAndAreIdempotent) {
  test::TempDir dir;
  auto db = open_in(dir);
  const auto first = db->migrate(migrations());
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(first->from_version, 0);
  EXPECT_EQ(first->to_version, static_cast<int>(migrations().size()));
  EXPECT_EQ(first->applied.size(), migrations().size());
  const auto id = db->query_text("SELECT value FROM instance WHERE key='instance_id'");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 32u);

  const auto second = db->migrate(migrations());
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(*db->query_text("SELECT value FROM instance WHERE key='instance_id'"), *id);

  // And across a reopen, as at every start-up.
  auto again = open_in(dir);
  EXPECT_TRUE(again->migrate(migrations())->applied.empty());
  EXPECT_EQ(*again->query_text("PRAGMA journal_mode"), "wal");
}

// Migration 18 moves each stored config out of the `nodes` row into `node_configs` (the
// row the ingest writer rewrites stays small) and leaves nodes without one alone.
TEST(Migrations, NodeConfigsMoveToTheirOwnTable) {
  test::TempDir dir;
  auto db = open_in(dir);
  ASSERT_GE(migrations().size(), 18u);
  ASSERT_TRUE(db->migrate(migrations().first(17)));
  ASSERT_TRUE(
      db->exec("INSERT INTO nodes(node_id, config, params, created_at) "
               "VALUES('with', '{\"node_id\":\"with\"}', '{\"L\":{\"on\":true}}', 1);"
               "INSERT INTO nodes(node_id, created_at) VALUES('without', 1);"));
  ASSERT_TRUE(db->migrate(migrations()));
  EXPECT_EQ(*db->query_text("SELECT config FROM node_configs WHERE node_id = 'with'"),
            R"({"node_id":"with"})");
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM node_configs"), 1);
  EXPECT_EQ(*db->query_text("SELECT params FROM nodes WHERE node_id = 'with'"),
            R"({"L":{"on":true}})");
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM pragma_table_info('nodes') WHERE name = 'config'"),
            0);
  // A node's config goes with the node.
  ASSERT_TRUE(db->exec("DELETE FROM nodes WHERE node_id = 'with';"));
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM node_configs"), 0);
}

// Migration 19 drops the columns migration 7 emptied (waiting sets live in
// `node_desired`); the node rows keep everything else.
TEST(Migrations, TheUnusedDesiredColumnsAreDropped) {
  test::TempDir dir;
  auto db = open_in(dir);
  ASSERT_GE(migrations().size(), 19u);
  ASSERT_TRUE(db->migrate(migrations().first(18)));
  ASSERT_TRUE(db->exec(
      "INSERT INTO nodes(node_id, params, created_at) VALUES('n1', '{\"L\":{\"on\":true}}', 1);"));
  ASSERT_TRUE(db->migrate(migrations()));
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM pragma_table_info('nodes') WHERE name IN "
                           "('desired', 'desired_ms')"),
            0);
  EXPECT_EQ(*db->query_text("SELECT params FROM nodes WHERE node_id = 'n1'"),
            R"({"L":{"on":true}})");
}

// Issue 13, Low 7: the database and its WAL are owner-only, whatever the umask, and a
// file created too open (e.g. by hand outside the data dir) is tightened at open.
TEST(Connection, TheDatabaseFileIsOwnerOnly) {
  test::TempDir dir;
  const auto mode = [](const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  };
  const auto old_umask = ::umask(0022);
  {
    auto db = open_in(dir);
    ASSERT_TRUE(db->migrate(migrations()));
    EXPECT_EQ(mode(dir.path() / "test.db"), 0600u);
    EXPECT_EQ(mode(dir.path() / "test.db-wal"), 0600u);
  }
  const auto loose = dir.path() / "loose.db";
  std::ofstream(loose).flush();
  ::chmod(loose.c_str(), 0644);
  EXPECT_TRUE(Connection::open(loose, {}));
  EXPECT_EQ(mode(loose), 0600u);
  ::umask(old_umask);
}

TEST(Migrations, FailedMigrationChangesNothing) {
  test::TempDir dir;
  auto db = open_in(dir);
  const Migration list[] = {
      {1, "one", "CREATE TABLE a(x INTEGER);"},
      {2, "two", "CREATE TABLE b(y INTEGER); INSERT INTO a VALUES(1); SELEKT broken;"},
  };
  const auto r = db->migrate(list);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().context.find("migration 2 (two)"), std::string::npos);
  EXPECT_EQ(*db->schema_version(), 1);
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM a"), 0);
  EXPECT_EQ(*db->query_int("SELECT COUNT(*) FROM sqlite_master WHERE name='b'"), 0);
}

TEST(Migrations, NewerDatabaseIsRefused) {
  test::TempDir dir;
  auto db = open_in(dir);
  const Migration two[] = {{1, "one", "CREATE TABLE a(x);"}, {2, "two", "CREATE TABLE b(x);"}};
  ASSERT_TRUE(db->migrate(two).has_value());
  const auto r = db->migrate(std::span(two).first(1));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::conflict);
}

TEST(Migrations, GapsInNumberingAreRejected) {
  test::TempDir dir;
  auto db = open_in(dir);
  const Migration gap[] = {{1, "one", "SELECT 1;"}, {3, "three", "SELECT 1;"}};
  const auto r = db->migrate(gap);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_EQ(*db->schema_version(), 0);
}

TEST(Connection, ErrorsCarrySqliteText) {
  test::TempDir dir;
  auto db = open_in(dir);
  const auto r =
      db->exec("CREATE TABLE t(x PRIMARY KEY); INSERT INTO t VALUES(1); INSERT INTO t VALUES(1);");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_NE(r.error().context.find("UNIQUE"), std::string::npos);
  EXPECT_FALSE(Connection::open("/nonexistent/dir/x.db", {}).has_value());
}

}  // namespace
}  // namespace stratus::storage::sqlite

namespace stratus::storage::sqlite {
namespace {

// Issue 13 (found by crash_system_test): opening another connection must not drop the
// POSIX locks the first one holds on the database file. Without its SHARED lock, another
// process closing its last connection checkpoints and deletes the WAL under this one.
TEST(Connection, OpeningAnotherConnectionKeepsTheLocksOfTheFirst) {
  test::TempDir dir;
  const auto path = dir.path() / "locks.db";
  auto first = Connection::open(path, {});
  ASSERT_TRUE(first);
  ASSERT_TRUE((*first)->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1);"));
  // This process's POSIX locks on the database file, as the kernel lists them.
  const auto locks_held = [&] {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    const std::string inode = ":" + std::to_string(st.st_ino) + " ";
    const std::string pid = " " + std::to_string(::getpid()) + " ";
    std::ifstream in("/proc/locks");
    int held = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.find(inode) != std::string::npos && line.find(pid) != std::string::npos)
        ++held;
    }
    return held;
  };
  ASSERT_GT(locks_held(), 0) << "a WAL connection holds a SHARED lock on the database file";
  auto second = Connection::open(path, {});
  ASSERT_TRUE(second);
  EXPECT_GT(locks_held(), 0) << "opening a second connection dropped the first one's lock";
}

TEST(Statement, FinishedReadsDoNotPinTheSnapshot) {
  // A pooled connection must see rows another connection (or process) wrote
  // after its previous query: statements reset when their handle goes away.
  test::TempDir dir;
  auto reader = Connection::open(dir.path() / "s.db", {});
  auto writer = Connection::open(dir.path() / "s.db", {});
  ASSERT_TRUE(reader && writer);
  ASSERT_TRUE((*writer)->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1);"));
  // Two different statements: a pinned snapshot from the first would hide the
  // writer's row from the second.
  const auto count = [&](const char* sql) {
    auto s = (*reader)->prepare(sql);
    EXPECT_TRUE(s.has_value());
    EXPECT_TRUE(*s->step());
    return s->integer(0);
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM t"), 1);
  ASSERT_TRUE((*writer)->exec("INSERT INTO t VALUES(2);"));
  EXPECT_EQ(count("SELECT COUNT(x) FROM t"), 2);
}

}  // namespace
}  // namespace stratus::storage::sqlite
