// The WAL's checkpoints on the pool's own thread (docs/adr/0032): once commits leave the
// WAL past `background_checkpoint_pages`, its pages reach the database file with no
// further commit and no checkpoint asked for by the caller; with the option at 0, SQLite's
// automatic checkpoint (1 000 pages) has not run at that size.
// How: a real database file in a temp dir, one pool connection, 3 000-byte rows committed
// one per transaction from no WAL until it holds the threshold's pages (read from the
// -wal file's size), then the database file's size polled while nothing is written.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "storage/sqlite/connection.hpp"
#include "support/temp_dir.hpp"

namespace stratus::storage::sqlite {
namespace {

using namespace std::chrono_literals;

constexpr int kThreshold = 16;

struct Files {
  std::filesystem::path db;
  std::filesystem::path wal;
  std::uintmax_t size(const std::filesystem::path& p) const {
    std::error_code ec;
    const auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : n;
  }
};

// One row of `scratch` with `bytes` as its blob, in a write transaction of its own.
Result<void> insert_row(sql::Database& db, const std::string& bytes) {
  return db.with([&](sql::Connection& c) {
    return c.transaction([&]() -> Result<void> {
      auto st = c.prepare("INSERT INTO scratch (b) VALUES (?1)");
      if (!st)
        return fail(st.error());
      return st->bind_blob(1, bytes).run();
    });
  });
}

// Opens a pool of one at `dir` with the option at `pages`, commits rows until the WAL
// holds at least the threshold's frames, and returns the database file's size then
// (`before`) and after up to `wait` with nothing written (`after`, returned as soon as
// it grows).
struct Sizes {
  std::uintmax_t before = 0;
  std::uintmax_t after = 0;
  std::uintmax_t wal_frames = 0;
};
Sizes commit_past_threshold(const test::TempDir& dir, int pages, std::chrono::milliseconds wait) {
  Files f{dir.path() / "stratus.db", dir.path() / "stratus.db-wal"};
  std::int64_t page_size = 0;
  {
    // The schema first, in a pool of its own: closing its last connection checkpoints and
    // removes the WAL, so the pool below starts from none and writes nothing when it opens
    // (its migrations are applied).
    auto setup = open_database(f.db, OpenOptions{}, 1);
    EXPECT_TRUE(setup);
    if (!setup)
      return {};
    EXPECT_TRUE((*setup)->with([&](sql::Connection& c) -> Result<void> {
      auto n = c.query_int("PRAGMA page_size");
      if (!n)
        return fail(n.error());
      page_size = *n;
      return c.exec("CREATE TABLE scratch (k INTEGER PRIMARY KEY, b BLOB)");
    }));
  }
  EXPECT_FALSE(std::filesystem::exists(f.wal));
  OpenOptions options;
  options.background_checkpoint_pages = pages;
  auto db = open_database(f.db, options, 1);
  EXPECT_TRUE(db);
  if (!db)
    return {};
  // The WAL file: a 32-byte header, then frames of a 24-byte header and one page. It is
  // written from its start again only after a checkpoint took every frame, and the loop
  // stops before a commit could find that.
  const auto frames = [&] {
    const auto n = f.size(f.wal);
    return n < 32 ? 0 : (n - 32) / (24 + static_cast<std::uintmax_t>(page_size));
  };
  const std::string row(3000, 'x');
  Sizes s;
  for (int k = 0; k < 200 && frames() < static_cast<std::uintmax_t>(kThreshold); ++k) {
    EXPECT_TRUE(insert_row(**db, row));
  }
  s.wal_frames = frames();
  s.before = f.size(f.db);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  do {
    std::this_thread::sleep_for(10ms);
    s.after = f.size(f.db);
  } while (s.after == s.before && std::chrono::steady_clock::now() < deadline);
  return s;
}

TEST(SqliteCheckpoints, PastTheThresholdTheWalReachesTheFileWithNoFurtherCommit) {
  test::TempDir dir;
  const auto s = commit_past_threshold(dir, kThreshold, 10s);
  ASSERT_GE(s.wal_frames, static_cast<std::uintmax_t>(kThreshold));
  EXPECT_LT(s.wal_frames, static_cast<std::uintmax_t>(kThreshold * 4))
      << "the committing connection's own checkpoint (at four times) was not needed";
  EXPECT_GT(s.after, s.before) << "the checkpoint thread copied the rows into the file";
}

TEST(SqliteCheckpoints, WithTheOptionOffSqlitesOwnCheckpointWaitsForItsThousandPages) {
  test::TempDir dir;
  const auto s = commit_past_threshold(dir, 0, 500ms);
  ASSERT_GE(s.wal_frames, static_cast<std::uintmax_t>(kThreshold));
  EXPECT_EQ(s.after, s.before);
}

// A commit that finds the WAL at four times the threshold checkpoints itself, possibly
// while the thread is checkpointing too (then SQLITE_BUSY): the commit happened, so it
// must report success, or a caller would apply a committed batch again.
TEST(SqliteCheckpoints, ACommitPastFourTimesTheThresholdSucceedsWhateverItsCheckpointSays) {
  test::TempDir dir;
  OpenOptions options;
  options.background_checkpoint_pages = 1;  // every commit wakes the thread
  auto db = open_database(dir.path() / "stratus.db", options, 2);
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->with([](sql::Connection& c) {
    return c.exec("CREATE TABLE scratch (k INTEGER PRIMARY KEY, b BLOB)");
  }));
  const std::string row(3000, 'x');
  constexpr int kCommits = 400;
  int failed = 0;
  for (int k = 0; k < kCommits; ++k) {
    failed += insert_row(**db, row) ? 0 : 1;
  }
  EXPECT_EQ(failed, 0);
  const auto rows =
      (*db)->with([](sql::Connection& c) { return c.query_int("SELECT COUNT(*) FROM scratch"); });
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, kCommits);
}

}  // namespace
}  // namespace stratus::storage::sqlite
