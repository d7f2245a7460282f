// Proves the Wirepas credential use cases (docs/adr/0018): a super-admin gets a fresh
// 192-bit password whose HMAC under the stored salt is what the broker is told; names are
// validated and unique across roles; nothing is issued when the broker's list cannot be
// written; removal republishes; a disabled server or a non-admin gets a clear refusal;
// every call leaves an audit row; the password is never stored.
// How: real SQLite in a temp dir and the real QueuedAuditLog; the broker port is a
// recording fake that can be told to fail.
#include "service/wirepas_access.hpp"

#include <gtest/gtest.h>

#include "auth/secrets.hpp"
#include "core/clock.hpp"
#include "proto/rest/error_codes.hpp"
#include "service/account_service.hpp"
#include "service/audit_log.hpp"
#include "storage/sql/audit_repository.hpp"
#include "storage/sql/wirepas_credential_repository.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

using namespace std::chrono_literals;
namespace code = proto::rest::wirepas_error;

class RecordingBroker final : public WirepasBrokerAccess {
 public:
  Result<void> publish(const std::vector<storage::WirepasCredential>& credentials) override {
    if (fail_next) {
      fail_next = false;
      return fail(errc::unavailable, "disk full");
    }
    published = credentials;
    ++publishes;
    return {};
  }
  std::vector<storage::WirepasCredential> published;
  int publishes = 0;
  bool fail_next = false;
};

class WirepasAccessTest : public ::testing::Test {
 protected:
  WirepasAccessTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        repo_(db_),
        audit_repo_(db_),
        audit_(audit_repo_, clock_) {
    audit_.start();
  }
  ~WirepasAccessTest() override { audit_.stop(); }

  WirepasAccessService service(bool enabled = true) {
    return WirepasAccessService(repo_, broker_, audit_, clock_,
                                WirepasAccessOptions{enabled, {"stratus-backend"}});
  }

  std::vector<storage::AuditRecord> audit_rows(const std::string& action) {
    EXPECT_TRUE(audit_.flush(5s));
    storage::AuditQuery q;
    q.action = action;
    q.limit = 100;
    return *audit_repo_.list(q);
  }

  test::TempDir dir_;
  ManualClock clock_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlWirepasCredentialRepository repo_;
  storage::sql::SqlAuditRepository audit_repo_;
  QueuedAuditLog audit_;
  RecordingBroker broker_;
  const Principal root_{"root", "s1", true};
  const Principal alice_{"alice", "s2", false};
};

TEST_F(WirepasAccessTest, AddIssuesAPasswordWhoseMacTheBrokerLearns) {
  auto s = service();
  auto issued = s.add(root_, "gateway", "gw-1");
  ASSERT_TRUE(issued) << issued.error().message();
  EXPECT_EQ(issued->credential.name, "gw-1");
  EXPECT_EQ(issued->credential.role, "gateway");
  EXPECT_EQ(issued->credential.created_by, "root");
  EXPECT_EQ(issued->password.size(), 32u);
  ASSERT_EQ(broker_.published.size(), 1u);
  const auto& stored = broker_.published[0];
  EXPECT_EQ(stored.salt.size(), 32u);
  EXPECT_EQ(stored.mac, auth::hmac_sha256_hex(stored.salt, issued->password));
  // The database holds the same salt and MAC, never the password.
  auto rows = repo_.list();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().mac, stored.mac);
  EXPECT_EQ(rows->front().mac.find(issued->password), std::string::npos);

  auto second = s.add(root_, "operator", "console");
  ASSERT_TRUE(second);
  EXPECT_NE(second->password, issued->password);
  EXPECT_EQ(broker_.published.size(), 2u);
  auto listed = s.list(root_);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "console");  // by name
  EXPECT_EQ((*listed)[1].name, "gw-1");
  EXPECT_EQ(audit_rows("admin.wirepas.add").size(), 2u);
}

TEST_F(WirepasAccessTest, BadRolesNamesAndDuplicatesAreRefusedAndChangeNothing) {
  auto s = service();
  ASSERT_TRUE(s.add(root_, "gateway", "gw-1"));
  const int publishes = broker_.publishes;
  const auto refused = [&](std::string_view role, std::string_view name, int reason) {
    auto r = s.add(root_, role, name);
    ASSERT_FALSE(r) << role << " " << name;
    EXPECT_EQ(r.error().reason, reason) << r.error().message();
  };
  refused("admin", "gw-2", code::role_invalid);
  refused("", "gw-2", code::role_invalid);
  refused("gateway", "", code::name_invalid);
  refused("gateway", "gw/2", code::name_invalid);
  refused("gateway", "gw+", code::name_invalid);
  refused("gateway", "gw 2", code::name_invalid);
  refused("gateway", std::string(65, 'g'), code::name_invalid);
  refused("operator", "stratus-backend", code::name_invalid);
  refused("gateway", "gw-1", code::name_exists);
  refused("operator", "gw-1", code::name_exists);  // unique across roles
  EXPECT_EQ(broker_.publishes, publishes);
  EXPECT_EQ(repo_.list()->size(), 1u);
  const auto rows = audit_rows("admin.wirepas.add");
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(rows.front().outcome, "error:158004");  // newest first
}

TEST_F(WirepasAccessTest, NothingIsIssuedWhenTheBrokerCannotBeTold) {
  auto s = service();
  broker_.fail_next = true;
  auto r = s.add(root_, "gateway", "gw-1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::unavailable);
  EXPECT_TRUE(repo_.list()->empty()) << "the row is taken back";
  EXPECT_TRUE(s.add(root_, "gateway", "gw-1")) << "and the name is free again";
}

TEST_F(WirepasAccessTest, RemoveRepublishesWithoutTheName) {
  auto s = service();
  ASSERT_TRUE(s.add(root_, "gateway", "gw-1"));
  ASSERT_TRUE(s.add(root_, "gateway", "gw-2"));
  ASSERT_TRUE(s.remove(root_, "gw-1"));
  ASSERT_EQ(broker_.published.size(), 1u);
  EXPECT_EQ(broker_.published[0].name, "gw-2");
  auto again = s.remove(root_, "gw-1");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().reason, code::credential_not_found);
  auto empty = s.remove(root_, "");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().reason, code::name_invalid);
  EXPECT_EQ(audit_rows("admin.wirepas.remove").size(), 3u);
}

TEST_F(WirepasAccessTest, OnlySuperAdminsOfAnEnabledServer) {
  auto s = service();
  auto r = s.add(alice_, "gateway", "gw-1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::forbidden);
  EXPECT_FALSE(s.list(alice_));
  EXPECT_FALSE(s.remove(alice_, "gw-1"));
  EXPECT_EQ(broker_.publishes, 0);

  auto off = service(false);
  auto refused = off.add(root_, "gateway", "gw-1");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, code::disabled);
  EXPECT_EQ(*off.publish(), 0u);
  EXPECT_EQ(broker_.publishes, 0) << "a disabled server writes no credentials";
  const auto rows = audit_rows("admin.wirepas");
  EXPECT_EQ(rows.size(), 4u);
}

TEST_F(WirepasAccessTest, PublishAtStartWritesTheDatabasesList) {
  ASSERT_TRUE(service().add(root_, "operator", "console"));
  RecordingBroker fresh;
  WirepasAccessService restarted(repo_, fresh, audit_, clock_, WirepasAccessOptions{true, {}});
  auto n = restarted.publish();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  ASSERT_EQ(fresh.published.size(), 1u);
  EXPECT_EQ(fresh.published[0].name, "console");
}

}  // namespace
}  // namespace stratus::service
