// Proves fleet administration and the node quota in the service layer: mapping and claiming
// stop at the quota with 157001 and a removed node gives its slot back; re-claiming a MAC
// returns the same node id even at the quota; an admin's quota override and "default";
// unmap and set-primary change exactly the relations they say; disabling ends sessions;
// every fleet call, allowed or refused, leaves an audit row with its outcome.
// How: real SQLite in a temp dir, the real QueuedAuditLog writing to the real audit table,
// services wired as in stratusd; nodes are mapped through the repository's writer.
#include "service/fleet_service.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "pki/authority.hpp"
#include "proto/rest/error_codes.hpp"
#include "server/pki_certificate_issuer.hpp"
#include "service/audit_log.hpp"
#include "service/claim_service.hpp"
#include "service/node_mapping.hpp"
#include "service/node_service.hpp"
#include "service/revocation_list.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/audit_repository.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/recording_events.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

using namespace std::chrono_literals;
namespace admin_code = proto::rest::admin_error;

class NoRevocations final : public CertificateRevocations {
 public:
  Result<void> publish(const std::vector<std::string>&) override { return {}; }
};

class FleetServiceTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kDefaultQuota = 2;

  FleetServiceTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        accounts_(db_),
        nodes_(db_),
        claims_repo_(db_),
        audit_repo_(db_),
        audit_(audit_repo_, clock_),
        node_service_(nodes_, messenger_, events_, clock_, 300s, audit_, kDefaultQuota),
        fleet_(accounts_, nodes_, audit_repo_, audit_, events_, clock_,
               FleetOptions{.default_node_quota = kDefaultQuota}),
        ca_(*pki::CertificateAuthority::create("Fleet Test CA", std::chrono::days(365), clock_)),
        issuer_(ca_, std::chrono::days(30), clock_) {
    audit_.start();
    for (const char* user : {"alice", "bob", "root"}) {
      EXPECT_TRUE(
          accounts_.create_user(storage::UserRecord{user, std::string(user) + "@example.com", "x",
                                                    true, std::string(user) == "root", "", 1, 1}));
    }
  }
  ~FleetServiceTest() override { audit_.stop(); }

  void map(const std::string& user, const std::string& node, const std::string& role) {
    ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
      if (auto r = w.ensure_node(node, 1); !r)
        return r;
      return w.add_user(user, node, role, 1);
    }));
  }

  std::vector<storage::AuditRecord> audit_rows(const std::string& action) {
    EXPECT_TRUE(audit_.flush(5s));
    storage::AuditQuery q;
    q.action = action;
    q.limit = 100;
    auto rows = audit_repo_.list(q);
    EXPECT_TRUE(rows);
    return rows.value_or(std::vector<storage::AuditRecord>{});
  }

  static void expect_error(const Error& e, errc code, int reason) {
    EXPECT_EQ(e.code, code) << e.message();
    EXPECT_EQ(e.reason, reason) << e.message();
  }

  test::TempDir dir_;
  ManualClock clock_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlNodeRepository nodes_;
  storage::sql::SqlClaimRepository claims_repo_;
  storage::sql::SqlAuditRepository audit_repo_;
  QueuedAuditLog audit_;
  test::NoMessenger messenger_;
  test::RecordingEvents events_;
  NodeService node_service_;
  FleetService fleet_;
  pki::CertificateAuthority ca_;
  server::PkiCertificateIssuer issuer_;
  NoRevocations revocations_;
  RevocationList revocation_list_{claims_repo_, revocations_, clock_};
  Principal alice_{"alice", "s-a", false, 0, "203.0.113.5"};
  Principal root_{"root", "s-r", true, 0, "198.51.100.1"};
};

TEST_F(FleetServiceTest, MappingStopsAtTheQuotaAndARemovedNodeGivesItsSlotBack) {
  map("alice", "n1", "primary");
  map("alice", "n2", "primary");
  map("alice", "s1", "secondary");  // secondary nodes take no slot
  auto refused = node_service_.request_mapping(alice_, "n3", "secret");
  ASSERT_FALSE(refused);
  expect_error(refused.error(), errc::forbidden, admin_code::node_quota_reached);
  EXPECT_NE(refused.error().context.find("2 of 2"), std::string::npos) << refused.error().context;
  // Asking again for a node it already holds takes no new slot.
  EXPECT_TRUE(node_service_.request_mapping(alice_, "n2", "secret"));

  ASSERT_TRUE(node_service_.remove_mapping(alice_, "n1"));
  EXPECT_TRUE(node_service_.request_mapping(alice_, "n3", "secret"));

  auto rows = audit_rows("node.mapping.add");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].outcome, "error:157001");
  EXPECT_EQ(rows[2].remote_address, "203.0.113.5");
  EXPECT_EQ(rows[0].outcome, "ok");
  EXPECT_EQ(audit_rows("node.mapping.remove").size(), 1u);
}

TEST_F(FleetServiceTest, ANodeReportAtTheQuotaDiscardsThePendingRequest) {
  // The request was made while alice had room; the node's report arrives after she
  // filled her quota another way: the mapping is discarded, not confirmed.
  const MappingMatcher matcher(1);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    return w.put_mapping_request(
        storage::MappingRequest{"req-1", "alice", "n9", "sec", "requested", now, now + 300});
  }));
  map("alice", "n1", "primary");
  ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node("n9", now); !r)
      return r;
    auto removed = matcher.on_node_report(w, "n9", MappingReported{"alice", "sec", false}, now);
    return removed ? Result<void>{} : Result<void>(fail(removed.error()));
  }));
  EXPECT_EQ(nodes_.get_mapping_request("req-1")->status, "discarded");
  EXPECT_TRUE(nodes_.users_of("n9")->empty());
}

TEST_F(FleetServiceTest, AnAdminQuotaOverridesTheDefaultAndDefaultRestoresIt) {
  map("alice", "n1", "primary");
  map("alice", "n2", "primary");
  auto user = fleet_.set_user_quota(root_, "alice@example.com", 0);
  ASSERT_TRUE(user) << user.error().message();
  EXPECT_EQ(user->effective_quota, 0);
  EXPECT_EQ(user->primary_nodes, 2);
  EXPECT_TRUE(user->user.password_hash.empty());
  EXPECT_TRUE(node_service_.request_mapping(alice_, "n3", "secret")) << "0 = unlimited";
  ASSERT_TRUE(fleet_.set_user_quota(root_, "alice", 1));
  EXPECT_FALSE(node_service_.request_mapping(alice_, "n4", "secret"));
  auto back = fleet_.set_user_quota(root_, "alice", std::nullopt);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->effective_quota, kDefaultQuota);
  EXPECT_FALSE(back->user.node_quota);

  auto bad = fleet_.set_user_quota(root_, "alice", -1);
  ASSERT_FALSE(bad);
  expect_error(bad.error(), errc::invalid_argument, admin_code::quota_invalid);
  auto unknown = fleet_.set_user_quota(root_, "nobody@example.com", 3);
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), errc::not_found, admin_code::user_not_found);
  EXPECT_EQ(audit_rows("admin.user.quota").size(), 5u);
}

TEST_F(FleetServiceTest, ClaimingANewMacStopsAtTheQuotaButTheSameMacKeepsItsNodeId) {
  ClaimOptions options;
  options.default_node_quota = 1;
  ClaimService claims(claims_repo_, nodes_, issuer_, revocation_list_, clock_, options, audit_);
  auto first = claims.initiate("alice", "7CDFA100033B", "esp32", "203.0.113.5");
  ASSERT_TRUE(first) << first.error().message();
  map("alice", *first, "primary");  // the claimed node is now alice's: the quota is full
  auto again = claims.initiate("alice", "7c:df:a1:00:03:3b", "esp32");
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, *first);
  auto other = claims.initiate("alice", "AABBCCDDEEFF", "esp32");
  ASSERT_FALSE(other);
  expect_error(other.error(), errc::forbidden, admin_code::node_quota_reached);
  // The slot comes back when the node goes.
  ASSERT_TRUE(fleet_.unmap_node(root_, *first));
  EXPECT_TRUE(claims.initiate("alice", "AABBCCDDEEFF", "esp32"));
  auto rows = audit_rows("claim.initiate");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].outcome, "error:157001");
  EXPECT_EQ(rows[3].object_id, *first);
  EXPECT_EQ(rows[3].remote_address, "203.0.113.5");
}

TEST_F(FleetServiceTest, UnmapAndSetPrimaryChangeExactlyTheRelations) {
  map("alice", "n1", "primary");
  map("bob", "n1", "secondary");
  ASSERT_TRUE(fleet_.set_primary(root_, "n1", "bob@example.com"));
  auto users = nodes_.users_of("n1");
  ASSERT_TRUE(users);
  EXPECT_EQ(*users, (std::vector<std::pair<std::string, std::string>>{{"bob", "primary"}}));
  map("alice", "n1", "secondary");
  ASSERT_TRUE(fleet_.set_primary(root_, "n1", "root"));
  users = nodes_.users_of("n1");
  EXPECT_EQ(*users, (std::vector<std::pair<std::string, std::string>>{{"alice", "secondary"},
                                                                      {"root", "primary"}}));
  auto detail = fleet_.get_node(root_, "n1");
  ASSERT_TRUE(detail);
  EXPECT_EQ(detail->node.primary_user_id, "root");
  EXPECT_EQ(detail->users.size(), 2u);
  EXPECT_GE(detail->history.size(), 2u) << "the set-primary rows are the node's history";
  EXPECT_EQ(detail->history.front().action, "admin.node.set_primary");

  auto removed = fleet_.unmap_node(root_, "n1");
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2);
  EXPECT_TRUE(nodes_.users_of("n1")->empty());
  EXPECT_FALSE(events_.events().empty()) << "mapping events for the users that lost access";

  auto missing = fleet_.unmap_node(root_, "no-such-node");
  ASSERT_FALSE(missing);
  expect_error(missing.error(), errc::not_found, admin_code::node_not_found);
  auto nobody = fleet_.set_primary(root_, "n1", "ghost");
  ASSERT_FALSE(nobody);
  expect_error(nobody.error(), errc::not_found, admin_code::user_not_found);
}

TEST_F(FleetServiceTest, ListNodesFiltersAndPages) {
  for (const char* n : {"a1", "a2", "a3", "b1"})
    map("alice", n, "primary");
  map("bob", "b2", "primary");
  storage::FleetNodeFilter alice;
  alice.user_id = "alice";
  auto page = fleet_.list_nodes(root_, alice, "", 2);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->nodes.size(), 2u);
  EXPECT_EQ(page->next_id, "a3");
  page = fleet_.list_nodes(root_, alice, page->next_id, 2);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->nodes.size(), 2u);
  EXPECT_EQ(page->nodes[1].node_id, "b1");
  EXPECT_TRUE(page->next_id.empty());
  storage::FleetNodeFilter prefix;
  prefix.id_prefix = "b";
  page = fleet_.list_nodes(root_, prefix, "", 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->nodes.size(), 2u);
  EXPECT_EQ(page->nodes[1].primary_user_name, "bob@example.com");
  storage::FleetNodeFilter online;
  online.online = true;
  EXPECT_TRUE(fleet_.list_nodes(root_, online, "", 10)->nodes.empty());
}

TEST_F(FleetServiceTest, DisablingEndsSessionsAndAnAdminCannotDisableItself) {
  ASSERT_TRUE(accounts_.create_session("sess-1", "alice", "hash-1", 1));
  EXPECT_TRUE(*accounts_.session_active("sess-1"));
  ASSERT_TRUE(fleet_.set_user_disabled(root_, "alice@example.com", true));
  EXPECT_FALSE(*accounts_.session_active("sess-1"));
  EXPECT_TRUE(accounts_.get_user("alice")->disabled);
  ASSERT_TRUE(fleet_.set_user_disabled(root_, "alice", false));
  EXPECT_FALSE(accounts_.get_user("alice")->disabled);
  EXPECT_FALSE(*accounts_.session_active("sess-1")) << "enabling does not revive sessions";
  auto self = fleet_.set_user_disabled(root_, "root", true);
  ASSERT_FALSE(self);
  expect_error(self.error(), errc::invalid_argument, admin_code::disable_self);
  EXPECT_EQ(audit_rows("admin.user.disable").size(), 2u);
  EXPECT_EQ(audit_rows("admin.user.enable").size(), 1u);
}

TEST_F(FleetServiceTest, EveryCallIsAuditedAndUsersAreRefused) {
  map("alice", "n1", "primary");
  using Call = std::function<bool(const Principal&)>;
  const std::vector<std::pair<std::string, Call>> calls{
      {"admin.node.list", [&](const Principal& p) { return !!fleet_.list_nodes(p, {}, "", 10); }},
      {"admin.node.show", [&](const Principal& p) { return !!fleet_.get_node(p, "n1"); }},
      {"admin.user.list", [&](const Principal& p) { return !!fleet_.list_users(p, "", 10); }},
      {"admin.user.quota",
       [&](const Principal& p) { return !!fleet_.set_user_quota(p, "bob", 3); }},
      {"admin.user.disable",
       [&](const Principal& p) { return !!fleet_.set_user_disabled(p, "bob", true); }},
      {"admin.user.enable",
       [&](const Principal& p) { return !!fleet_.set_user_disabled(p, "bob", false); }},
      {"admin.node.set_primary",
       [&](const Principal& p) { return !!fleet_.set_primary(p, "n1", "bob"); }},
      {"admin.node.unmap", [&](const Principal& p) { return !!fleet_.unmap_node(p, "n1"); }},
      {"admin.audit.list", [&](const Principal& p) { return !!fleet_.audit_log(p, {}); }},
  };
  for (const auto& [action, call] : calls) {
    EXPECT_FALSE(call(alice_)) << action << " must refuse a user";
    EXPECT_TRUE(call(root_)) << action;
    const auto rows = audit_rows(action);
    ASSERT_GE(rows.size(), 2u) << action;
    // Newest first: the admin's call, then the user's refusal.
    EXPECT_EQ(rows[0].actor_kind, "admin") << action;
    EXPECT_EQ(rows[0].outcome, "ok") << action;
    EXPECT_EQ(rows[0].remote_address, "198.51.100.1") << action;
    EXPECT_EQ(rows[1].actor_kind, "user") << action;
    EXPECT_EQ(rows[1].actor_id, "alice") << action;
    EXPECT_EQ(rows[1].outcome, "error:100004") << action;
  }
  storage::AuditQuery by_alice;
  by_alice.actor_id = "alice";
  by_alice.limit = 3;
  auto page = fleet_.audit_log(root_, by_alice);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->records.size(), 3u);
  EXPECT_FALSE(page->next_id.empty());
}

}  // namespace
}  // namespace stratus::service
