// Proves that QueuedAuditLog stamps, bounds and writes entries in order, never fails the
// caller (a refusing repository loses entries to the log, a full queue drops after its
// timeout), and that flush gives read-your-writes. How: a fake repository that records
// batches and can refuse or block; the real SQLite repository for the end-to-end case.
#include "service/audit_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "service/account_service.hpp"
#include "storage/sql/audit_repository.hpp"
#include "storage/sqlite/connection.hpp"
#include "support/temp_dir.hpp"

namespace stratus::service {
namespace {

using namespace std::chrono_literals;

class FakeAuditRepository final : public storage::AuditRepository {
 public:
  Result<void> append(std::span<const storage::AuditRecord> records) override {
    std::unique_lock lock(mutex);
    released.wait(lock, [&] { return !blocked; });
    ++batches;
    if (refuse)
      return fail(errc::unavailable, "disk on fire");
    rows.insert(rows.end(), records.begin(), records.end());
    return {};
  }
  Result<std::vector<storage::AuditRecord>> list(const storage::AuditQuery&) override {
    std::lock_guard lock(mutex);
    return rows;
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      blocked = false;
    }
    released.notify_all();
  }

  std::mutex mutex;
  std::condition_variable released;
  bool blocked = false;
  bool refuse = false;
  int batches = 0;
  std::vector<storage::AuditRecord> rows;
};

ManualClock clock_at_1000s() {
  return ManualClock(std::chrono::system_clock::time_point(1000s));
}

TEST(QueuedAuditLog, WritesStampedBoundedEntriesInOrder) {
  FakeAuditRepository repo;
  auto clock = clock_at_1000s();
  QueuedAuditLog log(repo, clock);
  log.start();
  Principal admin{"u-admin", "s", true, 0, "198.51.100.4"};
  Principal user{"u-alice", "s", false, 0, "203.0.113.9"};
  log.record(audit_entry(admin, "admin.user.disable", "user", "u-alice"));
  auto e = audit_entry(user, "node.params.set", "node", "n1");
  e.detail = std::string(5000, 'x');
  e.outcome = outcome_of(Error{errc::not_found, "gone", 108004});
  log.record(std::move(e));
  ASSERT_TRUE(log.flush(5s));
  ASSERT_EQ(repo.rows.size(), 2u);
  EXPECT_EQ(repo.rows[0].actor_kind, "admin");
  EXPECT_EQ(repo.rows[0].remote_address, "198.51.100.4");
  EXPECT_EQ(repo.rows[0].at_ms, 1'000'000);
  EXPECT_EQ(repo.rows[1].actor_kind, "user");
  EXPECT_EQ(repo.rows[1].outcome, "error:108004");
  EXPECT_LE(repo.rows[1].detail.size(), kMaxAuditDetailBytes);
  EXPECT_EQ(outcome_of(Error{errc::forbidden, "no"}), "error:forbidden");
  EXPECT_EQ(outcome_of(Result<void>{}), "ok");
}

TEST(QueuedAuditLog, StorageFailureNeverReachesTheCaller) {
  FakeAuditRepository repo;
  repo.refuse = true;
  auto clock = clock_at_1000s();
  QueuedAuditLog log(repo, clock);
  log.start();
  log.record(AuditEntry{ActorKind::system, "", "system.start", "", "", "", "ok", "", 0});
  ASSERT_TRUE(log.flush(5s));
  EXPECT_EQ(log.failed(), 1u);
  EXPECT_EQ(log.written(), 0u);
}

TEST(QueuedAuditLog, FullQueueDropsAfterTheTimeoutInsteadOfBlocking) {
  FakeAuditRepository repo;
  repo.blocked = true;  // the writer takes the first entry and hangs in append
  auto clock = clock_at_1000s();
  QueuedAuditLog log(repo, clock,
                     AuditLogOptions{.max_queue = 1, .max_batch = 1, .enqueue_timeout = 20ms});
  log.start();
  for (int i = 0; i < 4; ++i)
    log.record(AuditEntry{ActorKind::system, "", "system.tick", "", "", "", "ok", "", 0});
  // One in append, one queued, the rest dropped after waiting 20 ms each.
  EXPECT_GE(log.dropped(), 1u);
  repo.release();
  log.stop();
  EXPECT_EQ(log.written() + log.dropped(), 4u);
}

TEST(QueuedAuditLog, EntriesAfterStopAreWrittenSynchronously) {
  test::TempDir dir;
  auto db = storage::sqlite::open_database(dir.path() / "a.db", {}, 1);
  ASSERT_TRUE(db) << db.error().message();
  storage::sql::SqlAuditRepository repo(*db);
  auto clock = clock_at_1000s();
  QueuedAuditLog log(repo, clock);
  log.record(AuditEntry{ActorKind::system, "", "system.before_start", "", "", "", "ok", "", 0});
  log.start();
  log.record(AuditEntry{ActorKind::node, "n9", "node.mapping.add", "node", "n9", "", "ok", "", 0});
  log.stop();
  log.record(AuditEntry{ActorKind::system, "", "system.stop", "", "", "", "ok", "", 0});
  auto rows = repo.list({});
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].action, "system.stop");
  EXPECT_EQ((*rows)[1].actor_kind, "node");
  EXPECT_EQ((*rows)[2].action, "system.before_start");
}

}  // namespace
}  // namespace stratus::service
