// Proves the contract the repositories rely on from either driver (sql/connection.hpp):
// values round-trip through binds and columns, `?N` placeholders may repeat and come in
// any order, constraint violations are errc::conflict, a failed transaction writes
// nothing, a write transaction excludes every other writer until it commits, and the
// dialect fragments work. How: the backend under test (SQLite here, PostgreSQL in the
// `_postgres` run), real connections from one migrated pool, scratch tables.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <limits>
#include <string>
#include <thread>

#include "support/test_database.hpp"

namespace stratus::storage::sql {
namespace {

using namespace std::chrono_literals;

class SqlConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::open_test_database(dir_, 2);
    ASSERT_TRUE(db_->with([](Connection& c) {
      return c.exec(
          "CREATE TABLE scratch (k TEXT PRIMARY KEY, n BIGINT, r DOUBLE PRECISION, "
          "b " +
          std::string(c.dialect() == Dialect::postgres ? "BYTEA" : "BLOB") + ")");
    }));
  }
  test::TempDir dir_;
  std::shared_ptr<Database> db_;
};

TEST_F(SqlConnectionTest, ValuesRoundTrip) {
  const std::string text = "it's \"quoted\" — ünïcode, a ? and a $1";
  const std::string blob("\x00\x01\xff\\x00'", 7);
  db_->with([&](Connection& c) {
    ASSERT_TRUE(c.execute("INSERT INTO scratch(k, n, r, b) VALUES(?1, ?2, ?3, NULL)", text,
                          std::numeric_limits<std::int64_t>::min(), std::int64_t{0}));
    auto s = c.prepare("INSERT INTO scratch(k, n, r, b) VALUES(?1, ?2, ?3, ?4)");
    ASSERT_TRUE(s);
    s->bind(1, "max").bind(2, std::numeric_limits<std::int64_t>::max()).bind(3, 0.1);
    s->bind_blob(4, blob);
    ASSERT_TRUE(s->run());
  });
  db_->with([&](Connection& c) {
    const auto row = c.query_one(
        "SELECT k, n, r, b FROM scratch WHERE k = ?1", {"missing"},
        [](const Statement& s) {
          return std::make_tuple(s.text(0), s.integer(1), s.real(2), s.is_null(3));
        },
        text);
    ASSERT_TRUE(row) << row.error().message();
    EXPECT_EQ(std::get<0>(*row), text);
    EXPECT_EQ(std::get<1>(*row), std::numeric_limits<std::int64_t>::min());
    EXPECT_TRUE(std::get<3>(*row));
    const auto max = c.query_one(
        "SELECT n, r, b FROM scratch WHERE k = 'max'", {"missing"},
        [](const Statement& s) { return std::make_tuple(s.integer(0), s.real(1), s.text(2)); });
    ASSERT_TRUE(max);
    EXPECT_EQ(std::get<0>(*max), std::numeric_limits<std::int64_t>::max());
    EXPECT_DOUBLE_EQ(std::get<1>(*max), 0.1);
    EXPECT_EQ(std::get<2>(*max), blob);
    EXPECT_EQ(c.query_one("SELECT k FROM scratch WHERE k = 'none'", {"no such row"},
                          [](const Statement& s) { return s.text(0); })
                  .error()
                  .code,
              errc::not_found);
  });
}

TEST_F(SqlConnectionTest, PlaceholdersRepeatAndComeInAnyOrder) {
  db_->with([](Connection& c) {
    const auto row = c.query_one(
        "SELECT ?2 || '-' || ?1 || '-' || ?2, CAST(?3 AS BIGINT) + 1", {"none"},
        [](const Statement& s) { return std::make_pair(s.text(0), s.integer(1)); }, "a", "b",
        std::int64_t{41});
    ASSERT_TRUE(row) << row.error().message();
    EXPECT_EQ(row->first, "b-a-b");
    EXPECT_EQ(row->second, 42);
    // The same statement again, with another type in the same slot (a fresh prepared
    // statement on PostgreSQL), and a '?' inside a string literal left alone.
    const auto again = c.query_one(
        "SELECT ?2 || '-' || ?1 || '-' || ?2, CAST(?3 AS BIGINT) + 1", {"none"},
        [](const Statement& s) { return s.integer(1); }, "?", "?", "1");
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(*again, 2);
  });
}

TEST_F(SqlConnectionTest, ConstraintViolationsAreConflictsAndChangesCount) {
  db_->with([](Connection& c) {
    ASSERT_TRUE(c.execute("INSERT INTO scratch(k, n) VALUES(?1, ?2)", "a", std::int64_t{1}));
    const auto dup = c.execute("INSERT INTO scratch(k, n) VALUES(?1, ?2)", "a", std::int64_t{2});
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, errc::conflict) << dup.error().message();
    ASSERT_TRUE(c.execute("INSERT INTO scratch(k, n) VALUES('b', 1), ('c', 1)"));
    ASSERT_TRUE(c.execute("UPDATE scratch SET n = n + 1 WHERE n = ?1", std::int64_t{1}));
    EXPECT_EQ(c.changes(), 3);
    ASSERT_TRUE(c.execute("INSERT INTO scratch(k, n) VALUES(?1, 9) ON CONFLICT DO NOTHING", "a"));
    EXPECT_EQ(c.changes(), 0);
    // A statement may skip placeholder numbers (the command repository's UPDATE does).
    auto skip = c.prepare("UPDATE scratch SET n = ?3 WHERE k = ?1");
    ASSERT_TRUE(skip);
    skip->bind(1, "a").bind(3, std::int64_t{7});
    ASSERT_TRUE(skip->run());
    EXPECT_EQ(c.changes(), 1);
  });
}

TEST_F(SqlConnectionTest, AFailedTransactionWritesNothing) {
  db_->with([](Connection& c) {
    const auto r = c.transaction([&]() -> Result<void> {
      if (auto w = c.execute("INSERT INTO scratch(k) VALUES('x')"); !w)
        return w;
      return c.execute("INSERT INTO scratch(k) VALUES('x')");  // duplicate key
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::conflict);
    EXPECT_EQ(*c.query_int("SELECT COUNT(*) FROM scratch"), 0);
    // A body that ignores a failed statement still cannot commit half of its work on
    // PostgreSQL; on SQLite the other statements stand, as they always did.
    const auto ignored = c.transaction([&]() -> Result<void> {
      (void)c.execute("INSERT INTO scratch(k) VALUES('y')");
      (void)c.execute("INSERT INTO scratch(k) VALUES('y')");
      return {};
    });
    if (c.dialect() == Dialect::postgres) {
      EXPECT_FALSE(ignored);
      EXPECT_EQ(*c.query_int("SELECT COUNT(*) FROM scratch"), 0);
    } else {
      EXPECT_TRUE(ignored);
    }
  });
}

TEST_F(SqlConnectionTest, AWriteTransactionExcludesOtherWriters) {
  std::promise<void> inside;
  std::promise<void> release;
  std::atomic<bool> committed{false};
  std::thread first([&] {
    db_->with([&](Connection& c) {
      ASSERT_TRUE(c.transaction([&]() -> Result<void> {
        if (auto r = c.execute("INSERT INTO scratch(k, n) VALUES('first', 1)"); !r)
          return r;
        inside.set_value();
        release.get_future().wait();
        committed = true;
        return {};
      }));
    });
  });
  inside.get_future().wait();
  auto second = std::async(std::launch::async, [&] {
    return db_->with([&](Connection& c) {
      // A plain INSERT outside a transaction waits for the writer too, and sees its row.
      auto r = c.execute("INSERT INTO scratch(k, n) SELECT 'second', COUNT(*) FROM scratch");
      return std::make_pair(r.has_value(), committed.load());
    });
  });
  EXPECT_EQ(second.wait_for(300ms), std::future_status::timeout)
      << "a second writer ran while the first one's transaction was open";
  release.set_value();
  const auto [ok, after_commit] = second.get();
  first.join();
  EXPECT_TRUE(ok);
  EXPECT_TRUE(after_commit);
  db_->with([](Connection& c) {
    EXPECT_EQ(*c.query_int("SELECT n FROM scratch WHERE k = 'second'"), 1);
  });
}

TEST_F(SqlConnectionTest, JsonStringsIsATableOfTheArraysStrings) {
  db_->with([](Connection& c) {
    const auto rows = c.query_all(
        "SELECT value FROM " + c.json_strings("?1") + " ORDER BY value",
        [](const Statement& s) { return s.text(0); }, R"(["b","a \"q\"","c"])");
    ASSERT_TRUE(rows) << rows.error().message();
    EXPECT_EQ(*rows, (std::vector<std::string>{"a \"q\"", "b", "c"}));
  });
}

TEST_F(SqlConnectionTest, InStringListMatchesExactlyTheListedStrings) {
  db_->with([](Connection& c) {
    // Quotes, backslashes, braces, commas, the word NULL and the empty string stay
    // themselves in both encodings; a string not listed does not match.
    const std::vector<std::string> listed = {"a \"q\"", "b\\c", "{1,2}", "NULL", ""};
    const std::vector<std::string> all = {"a \"q\"", "b\\c", "{1,2}", "NULL", "", "null", "b"};
    for (const auto& value : all) {
      const auto hit = c.query_one(
          "SELECT CASE WHEN " + c.in_string_list("?1", "?2") + " THEN 1 ELSE 0 END", {"no row"},
          [](const Statement& s) { return s.integer(0); }, value, c.string_list(listed));
      ASSERT_TRUE(hit) << hit.error().message();
      const bool want = std::find(listed.begin(), listed.end(), value) != listed.end();
      EXPECT_EQ(*hit, want ? 1 : 0) << "'" << value << "'";
    }
    const auto none = c.query_one(
        "SELECT CASE WHEN " + c.in_string_list("?1", "?2") + " THEN 1 ELSE 0 END", {"no row"},
        [](const Statement& s) { return s.integer(0); }, std::string_view("a"), c.string_list({}));
    ASSERT_TRUE(none) << none.error().message();
    EXPECT_EQ(*none, 0) << "an empty list matches nothing";
  });
}

TEST(PgTextArray, QuotesEveryElement) {
  const std::vector<std::string> values = {"a", "b\"c", "d\\e", "NULL", ""};
  EXPECT_EQ(pg_text_array(values), R"({"a","b\"c","d\\e","NULL",""})");
  EXPECT_EQ(pg_text_array({}), "{}");
}

TEST_F(SqlConnectionTest, MigratingAgainAppliesNothing) {
  EXPECT_GT(db_->migration_report().to_version, 0);
  db_->with([&](Connection& c) {
    const auto version = c.schema_version();
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, db_->migration_report().to_version);
  });
}

}  // namespace
}  // namespace stratus::storage::sql
