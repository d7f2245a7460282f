// Proves that the audit table is append-only (UPDATE and DELETE refused by the schema, not
// only by the repository) and that list filters and pages as documented. How: real SQLite
// in a temp dir or PostgreSQL (the `_postgres` run), migrations applied, raw SQL against the
// table.
#include "storage/sql/audit_repository.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_database.hpp"

namespace stratus::storage::sql {
namespace {

AuditRecord row(std::string actor, std::string action, std::string object, std::int64_t at_ms) {
  AuditRecord r;
  r.actor_kind = "user";
  r.actor_id = std::move(actor);
  r.action = std::move(action);
  r.object_kind = "node";
  r.object_id = std::move(object);
  r.remote_address = "192.0.2.7";
  r.outcome = "ok";
  r.at_ms = at_ms;
  return r;
}

class AuditRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::open_test_database(dir_, 2);
    repo_ = std::make_unique<SqlAuditRepository>(db_);
    std::vector<AuditRecord> rows{
        row("alice", "node.params.set", "n1", 1000), row("bob", "ota.job.create", "j1", 2000),
        row("alice", "ota.image.delete", "i1", 3000), row("alice", "otax.thing", "n1", 4000)};
    ASSERT_TRUE(repo_->append(rows));
  }

  std::vector<std::string> actions(const AuditQuery& q) {
    auto rows = repo_->list(q);
    EXPECT_TRUE(rows) << rows.error().message();
    std::vector<std::string> out;
    for (const auto& r : rows.value_or(std::vector<AuditRecord>{}))
      out.push_back(r.action);
    return out;
  }

  test::TempDir dir_;
  std::shared_ptr<Database> db_;
  std::unique_ptr<SqlAuditRepository> repo_;
};

TEST_F(AuditRepositoryTest, UpdateAndDeleteAreRefusedByTheSchema) {
  const auto update =
      db_->with([](Connection& c) { return c.exec("UPDATE audit_log SET outcome = 'forged'"); });
  ASSERT_FALSE(update);
  EXPECT_NE(update.error().context.find("append-only"), std::string::npos);
  const auto remove = db_->with([](Connection& c) { return c.exec("DELETE FROM audit_log"); });
  ASSERT_FALSE(remove);
  EXPECT_NE(remove.error().context.find("append-only"), std::string::npos);
  auto rows = repo_->list(AuditQuery{});
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 4u);
  for (const auto& r : *rows)
    EXPECT_EQ(r.outcome, "ok");
}

TEST_F(AuditRepositoryTest, ListsNewestFirstWithFilters) {
  EXPECT_EQ(actions({}), (std::vector<std::string>{"otax.thing", "ota.image.delete",
                                                   "ota.job.create", "node.params.set"}));
  AuditQuery by_actor;
  by_actor.actor_id = "alice";
  EXPECT_EQ(actions(by_actor).size(), 3u);
  AuditQuery by_object;
  by_object.object_id = "n1";
  EXPECT_EQ(actions(by_object), (std::vector<std::string>{"otax.thing", "node.params.set"}));
  AuditQuery by_action;  // a dotted prefix, not a string prefix: "otax" is not "ota.*"
  by_action.action = "ota";
  EXPECT_EQ(actions(by_action), (std::vector<std::string>{"ota.image.delete", "ota.job.create"}));
  by_action.action = "ota.job.create";
  EXPECT_EQ(actions(by_action), (std::vector<std::string>{"ota.job.create"}));
  AuditQuery by_time;
  by_time.from_ms = 2000;
  by_time.to_ms = 3000;
  EXPECT_EQ(actions(by_time), (std::vector<std::string>{"ota.image.delete", "ota.job.create"}));
}

TEST_F(AuditRepositoryTest, PagesByStartId) {
  AuditQuery q;
  q.limit = 2;
  auto first = repo_->list(q);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  q.start_id = first->back().audit_id - 1;
  auto second = repo_->list(q);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ(second->front().action, "ota.job.create");
  EXPECT_EQ(second->back().action, "node.params.set");
  EXPECT_EQ(second->back().remote_address, "192.0.2.7");
}

}  // namespace
}  // namespace stratus::storage::sql
