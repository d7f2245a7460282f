// Proves sharing, groups and group sharing (issue 14) over real HTTP, with the bodies
// and queries the real RainMaker CLI 1.13.0 sends (docs/research/rainmaker-cli-sharing-
// and-groups.md): the role matrix of every node-facing route (primary, secondary,
// unrelated user, super-admin, no token); the request lifecycle (pending → accepted,
// declined, cancelled, expired with an injected clock), transfer and unshare; groups and
// their paging; group sharing granting access to nodes added later and losing it when a
// node leaves the group or the share is removed; the role byte of command requests; a
// request of a sender disabled since gives nothing (docs/adr/0036).
// How: http::Server on 127.0.0.1 port 0 with the account, node, command, sharing and
// group routes; real SQLite in a temp dir; a ManualClock; the blocking test client. The
// MQTT side is a recording NodeMessenger (what would be published to the node).
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <mutex>
#include <sstream>

#include "api/account_routes.hpp"
#include "api/command_routes.hpp"
#include "api/group_routes.hpp"
#include "api/node_routes.hpp"
#include "api/sharing_routes.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "core/metrics.hpp"
#include "http/server.hpp"
#include "proto/cmd_resp.hpp"
#include "proto/rest/error_codes.hpp"
#include "service/account_service.hpp"
#include "service/command_service.hpp"
#include "service/group_service.hpp"
#include "service/node_service.hpp"
#include "service/sharing_service.hpp"
#include "storage/sql/access_repository.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/command_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/http_client.hpp"
#include "support/rainmaker_reply.hpp"
#include "support/recording_events.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using namespace std::chrono_literals;

class RecordingMailer final : public service::Mailer {
 public:
  Result<void> send(const service::MailMessage& m) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(m);
    return {};
  }
  std::vector<service::MailMessage> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  std::mutex mutex_;
  std::vector<service::MailMessage> sent_;
};

// What would go out on MQTT: params/remote payloads and cmd-resp requests.
class RecordingMessenger final : public service::NodeMessenger {
 public:
  Result<void> publish_params_remote(std::string_view node_id, std::string_view) override {
    std::lock_guard lock(mutex_);
    params_.emplace_back(node_id);
    return {};
  }
  Result<void> publish_ota_url(std::string_view, std::string_view) override { return {}; }
  Result<void> publish_to_node(std::string_view, std::string_view bytes) override {
    std::lock_guard lock(mutex_);
    commands_.emplace_back(bytes);
    return {};
  }
  // The role byte of the last command request sent.
  std::uint8_t last_role() {
    std::lock_guard lock(mutex_);
    if (commands_.empty())
      return 0;
    auto request = proto::decode_request(commands_.back());
    return request ? request->role : 0;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> params_, commands_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Reply {
  int status = 0;
  json::object body;
  std::string text;
};

class SharingHttpTest : public ::testing::Test {
 protected:
  SharingHttpTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 3)),
        account_repository_(db_),
        node_repository_(db_),
        command_repository_(db_),
        access_repository_(db_),
        signer_(*auth::TokenSigner::from_key(std::string(32, 'k'))),
        nodes_(node_repository_, messenger_, events_, clock_, 300s, audit_),
        commands_(command_repository_, node_repository_, account_repository_, messenger_, events_,
                  clock_, metrics_, {}, audit_),
        sharing_(access_repository_, account_repository_, mailer_, events_, clock_, audit_, {}),
        groups_(access_repository_, node_repository_, events_, clock_, {}),
        pool_(2) {
    service::AccountOptions account_options;
    account_options.argon2_ops_limit = 1;
    account_options.argon2_mem_limit_bytes = 8 * 1024;
    accounts_ = std::make_unique<service::AccountService>(account_repository_, mailer_, signer_,
                                                          clock_, account_options, audit_);
    http::Router router;
    api::add_account_routes(router, *accounts_, pool_);
    api::add_node_routes(router, *accounts_, nodes_, pool_);
    api::add_command_routes(router, *accounts_, commands_, pool_);
    api::add_sharing_routes(router, *accounts_, sharing_, pool_);
    api::add_group_routes(router, *accounts_, groups_, sharing_, pool_);
    server_ = std::make_unique<http::Server>(http::ServerOptions{}, std::move(router), metrics_);
  }

  void SetUp() override {
    ASSERT_TRUE(server_->start());
    const auto hash = auth::hash_password("secret123", auth::PasswordHashParams{1, 8 * 1024});
    ASSERT_TRUE(hash);
    int n = 0;
    for (const auto& [user_id, name, admin, token] :
         {std::tuple{"u-alice", "alice@example.com", false, &alice_},
          std::tuple{"u-bob", "bob@example.com", false, &bob_},
          std::tuple{"u-carol", "carol@example.com", false, &carol_},
          std::tuple{"u-dave", "+15551234567", false, &dave_},
          std::tuple{"u-root", "root@example.com", true, &admin_}}) {
      ASSERT_TRUE(account_repository_.create_user(
          storage::UserRecord{user_id, name, *hash, true, admin, "", ++n, 1}));
      auto tokens = accounts_->log_in(name, "secret123", "127.0.0.1");
      ASSERT_TRUE(tokens) << tokens.error().message();
      *token = tokens->access_token;
    }
    const std::string config = read_file(std::string(std::getenv("STRATUS_SOURCE_DIR")) +
                                         "/tests/data/node_config_light.json");
    for (const char* node_id : {"nodeA1", "nodeB2"}) {
      ASSERT_TRUE(node_repository_.write([&](storage::NodeWriter& w) -> Result<void> {
        if (auto r = w.ensure_node(node_id, 1); !r)
          return r;
        storage::NodeInfoIndex info{"Light", "Lightbulb", "led_light", "1.0", "esp32c3", true};
        if (auto r = w.put_config(node_id, config, info, 1); !r)
          return r;
        if (auto r = w.put_params(node_id, R"({"Light":{"Power":false}})", 1); !r)
          return r;
        if (auto r = w.set_connectivity(node_id, true, 1000); !r)
          return fail(r.error());
        return w.add_user("u-alice", node_id, "primary", 1);
      }));
    }
  }

  void TearDown() override {
    server_->stop();
    pool_.join();
  }

  Reply call(std::string_view method, std::string_view target, std::string_view body,
             const std::string& token) {
    HeaderList h{{"Content-Type", "application/json"}};
    if (!token.empty())
      h.emplace_back("Authorization", token);
    auto r = http_request("127.0.0.1", server_->port(), method, target, body, h);
    Reply out{r.status, {}, r.body};
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (!ec && v.is_object())
      out.body = std::move(v.as_object());
    return out;
  }

  // `stratus sharing add_user` / the CLI's PUT user/nodes/sharing → request id.
  std::string share(const std::string& token, std::string_view body) {
    auto r = call("PUT", "/v1/user/nodes/sharing", body, token);
    EXPECT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(r.body["status"], "success") << r.text;
    const auto* id = r.body.if_contains("request_id");
    return id != nullptr && id->is_string() ? std::string(id->as_string()) : std::string();
  }

  void accept(const std::string& token, const std::string& request_id, bool yes = true,
              std::string_view base = "/v1/user/nodes/sharing/requests") {
    auto r =
        call("PUT", base,
             json::serialize(json::object{{"accept", yes}, {"request_id", request_id}}), token);
    EXPECT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(r.body["status"], "success") << r.text;
  }

  // The relation `user_id` has to `node_id` now ("" when none).
  std::string role_of(const std::string& user_id, const std::string& node_id) {
    auto node = node_repository_.get_user_node(user_id, node_id);
    return node ? node->role : std::string();
  }

  void expect_code(const Reply& r, int status, int code) {
    EXPECT_EQ(r.status, status) << r.text;
    const auto* st = r.body.if_contains("status");
    EXPECT_TRUE(st != nullptr && *st == "failure") << r.text;
    const auto* c = r.body.if_contains("error_code");
    ASSERT_NE(c, nullptr) << r.text;
    EXPECT_EQ(c->to_number<int>(), code) << r.text;
    EXPECT_TRUE(r.body.contains("description")) << r.text;
  }

  TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository account_repository_;
  storage::sql::SqlNodeRepository node_repository_;
  storage::sql::SqlCommandRepository command_repository_;
  storage::sql::SqlAccessRepository access_repository_;
  auth::TokenSigner signer_;
  RecordingMailer mailer_;
  RecordingMessenger messenger_;
  test::RecordingEvents events_;
  MetricsRegistry metrics_;
  service::NodeService nodes_;
  service::CommandService commands_;
  service::SharingService sharing_;
  service::GroupService groups_;
  boost::asio::thread_pool pool_;
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<http::Server> server_;
  std::string alice_, bob_, carol_, dave_, admin_;
};

// Every node-facing route, for each kind of caller. An unrelated user (and a super-admin,
// whose access is separate: the admin routes) gets exactly the answer an unknown node gets.
TEST_F(SharingHttpTest, RoleMatrixOfEveryNodeFacingRoute) {
  accept(bob_, share(alice_, R"({"nodes":["nodeA1"],"user_name":"bob@example.com"})"));
  accept(dave_, share(alice_, R"({"nodes":["nodeA1"],"user_name":"+15551234567"})"));
  ASSERT_EQ(role_of("u-bob", "nodeA1"), "secondary");

  struct Route {
    std::string method, target, body;
    int primary, secondary;  // expected statuses; unrelated = the unknown node's answer
    int admin = 0;           // 0: the unknown node's answer too
  };
  const std::string cmd = R"({"node_ids":["{node}"],"cmd":1,"data":{"Light":{"Power":true}}})";
  const std::vector<Route> routes = {
      {"GET", "/v1/user/nodes?node_details=true&node_id={node}", "", 200, 200},
      {"GET", "/v1/user/nodes/config?nodeid={node}", "", 200, 200},
      {"GET", "/v1/user/nodes/status?nodeid={node}", "", 200, 200},
      {"GET", "/v1/user/nodes/params?nodeid={node}", "", 200, 200},
      {"PUT", "/v1/user/nodes/params",
       R"([{"node_id":"{node}","payload":{"Light":{"Power":true}}}])", 200, 200},
      {"PUT", "/v1/user/nodes?node_id={node}", R"({"tags":["room:hall"]})", 200, 403},
      {"DELETE", "/v1/user/nodes?node_id={node}", R"({"tags":["room:hall"]})", 200, 403},
      // A super-admin may send commands to any node (docs/adr/0006): its access is separate.
      {"POST", "/v1/user/nodes/cmd", cmd, 200, 200, 200},
      {"GET", "/v1/user/nodes/sharing?node_id={node}", "", 200, 200},
      {"PUT", "/v1/user/nodes/sharing", R"({"nodes":["{node}"],"user_name":"+15551234567"})", 200,
       403},
      {"DELETE", "/v1/user/nodes/sharing?nodes={node}&user_name=carol@example.com", "", 200, 403},
  };
  // Each route names its node as {node}.
  const auto with = [](std::string s, std::string_view node) {
    for (auto at = s.find("{node}"); at != std::string::npos; at = s.find("{node}"))
      s.replace(at, 6, node);
    return s;
  };
  for (const auto& route : routes) {
    const auto target = with(route.target, "nodeA1");
    const auto body = with(route.body, "nodeA1");
    SCOPED_TRACE(route.method + " " + target);
    EXPECT_EQ(call(route.method, target, body, alice_).status, route.primary);
    EXPECT_EQ(call(route.method, target, body, bob_).status, route.secondary);
    EXPECT_EQ(call(route.method, target, body, "").status, 401);
    // Unrelated: the same status and body as for a node that does not exist.
    const auto unknown =
        call(route.method, with(route.target, "nodeZZ9"), with(route.body, "nodeZZ9"), carol_);
    for (const auto* token : {&carol_, &admin_}) {
      auto r = call(route.method, target, body, *token);
      if (token == &admin_ && route.admin != 0) {
        EXPECT_EQ(r.status, route.admin) << r.text;
        continue;
      }
      EXPECT_EQ(r.status, unknown.status) << r.text;
      auto text = r.text;
      for (auto at = text.find("nodeA1"); at != std::string::npos; at = text.find("nodeA1"))
        text.replace(at, 6, "nodeZZ9");
      EXPECT_EQ(text, unknown.text);
    }
  }

  // Roles in the details; the command role byte follows the relation (spec §3).
  auto details = call("GET", "/v1/user/nodes?node_details=true&node_id=nodeA1", "", bob_);
  const auto& entry = details.body["node_details"].as_array().at(0).as_object();
  EXPECT_EQ(entry.at("role"), "secondary");
  EXPECT_EQ(entry.at("primary"), false);
  call("POST", "/v1/user/nodes/cmd", with(cmd, "nodeA1"), bob_);
  EXPECT_EQ(messenger_.last_role(), proto::kRoleSecondary);
  call("POST", "/v1/user/nodes/cmd", with(cmd, "nodeA1"), alice_);
  EXPECT_EQ(messenger_.last_role(), proto::kRolePrimary);

  // A secondary never sees other secondaries; the primary sees them all.
  auto seen_by_bob = call("GET", "/v1/user/nodes/sharing?node_id=nodeA1", "", bob_);
  const auto& users = seen_by_bob.body["node_sharing"].as_array().at(0).at("users").as_object();
  EXPECT_EQ(users.at("primary"), (json::array{"alice@example.com"}));
  EXPECT_EQ(users.at("secondary"), (json::array{"bob@example.com"}));
  auto seen_by_alice = call("GET", "/v1/user/nodes/sharing", "", alice_);
  bool found = false;
  for (const auto& n : seen_by_alice.body["node_sharing"].as_array()) {
    if (n.at("node_id") == "nodeA1") {
      found = true;
      EXPECT_EQ(n.at("users").at("secondary").as_array().size(), 2u);
    }
  }
  EXPECT_TRUE(found) << seen_by_alice.text;

  // A secondary may remove itself (mapping remove, or unsharing its own name).
  auto left =
      call("PUT", "/v1/user/nodes/mapping",
           R"({"user_id":"u-bob","node_id":"nodeA1","secret_key":"","operation":"remove"})", bob_);
  EXPECT_EQ(left.status, 200) << left.text;
  EXPECT_EQ(role_of("u-bob", "nodeA1"), "");
  // The CLI does not encode user_name: "+1555…" arrives as " 1555…".
  auto self =
      call("DELETE", "/v1/user/nodes/sharing?nodes=nodeA1&user_name=+15551234567", "", dave_);
  EXPECT_EQ(self.status, 200) << self.text;
  EXPECT_EQ(role_of("u-dave", "nodeA1"), "");
}

TEST_F(SharingHttpTest, RequestLifecycleAcceptDeclineCancelExpire) {
  // Pending: the recipient is mailed and sees it; the sender sees it with primary_user=True.
  const auto id = share(alice_, R"({"nodes":["nodeA1","nodeB2"],"user_name":"bob@example.com"})");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(role_of("u-bob", "nodeA1"), "");
  const auto mails = mailer_.sent();
  ASSERT_FALSE(mails.empty());
  EXPECT_EQ(mails.back().to, "bob@example.com");
  EXPECT_NE(mails.back().body.find(id), std::string::npos);
  auto received = call("GET", "/v1/user/nodes/sharing/requests?primary_user=False", "", bob_);
  ASSERT_EQ(received.status, 200) << received.text;
  const auto& req = received.body["sharing_requests"].as_array().at(0).as_object();
  EXPECT_EQ(req.at("request_id"), json::value(id));
  EXPECT_EQ(req.at("request_status"), "pending");
  EXPECT_EQ(req.at("node_ids"), (json::array{"nodeA1", "nodeB2"}));
  EXPECT_EQ(req.at("primary_user_name"), "alice@example.com");
  EXPECT_EQ(req.at("user_name"), "bob@example.com");
  EXPECT_TRUE(req.at("request_timestamp").is_int64());
  EXPECT_FALSE(received.body.contains("next_request_id"));
  auto sent = call("GET", "/v1/user/nodes/sharing/requests?primary_user=True", "", alice_);
  EXPECT_EQ(sent.body["sharing_requests"].as_array().size(), 1u) << sent.text;
  expect_code(call("GET", "/v1/user/nodes/sharing/requests?primary_user=maybe", "", bob_), 400,
              rest::sharing_error::primary_user_invalid);

  // Declined: answering again says so; only the recipient may answer.
  expect_code(call("PUT", "/v1/user/nodes/sharing/requests",
                   R"({"accept":true,"request_id":")" + id + "\"}", carol_),
              404, rest::sharing_error::request_not_found);
  accept(bob_, id, false);
  expect_code(call("PUT", "/v1/user/nodes/sharing/requests",
                   R"({"accept":true,"request_id":")" + id + "\"}", bob_),
              409, rest::sharing_error::request_declined);
  EXPECT_EQ(role_of("u-bob", "nodeA1"), "");

  // Cancelled by the sender: it can no longer be accepted.
  const auto cancelled = share(alice_, R"({"nodes":["nodeA1"],"user_name":"bob@example.com"})");
  expect_code(call("DELETE", "/v1/user/nodes/sharing/requests?request_id=" + cancelled, "", bob_),
              404, rest::sharing_error::request_not_found);
  auto cancel =
      call("DELETE", "/v1/user/nodes/sharing/requests?request_id=" + cancelled, "", alice_);
  EXPECT_EQ(cancel.status, 200) << cancel.text;
  expect_code(call("PUT", "/v1/user/nodes/sharing/requests",
                   R"({"accept":true,"request_id":")" + cancelled + "\"}", bob_),
              409, rest::sharing_error::request_handled);

  // Expired after 7 days (the clock is the service's).
  const auto expiring = share(alice_, R"({"nodes":["nodeA1"],"user_name":"bob@example.com"})");
  clock_.advance(std::chrono::hours(24 * 7 + 1));
  // Access tokens last an hour: both users log in again.
  for (const auto& [name, token] :
       {std::pair{"alice@example.com", &alice_}, std::pair{"bob@example.com", &bob_}}) {
    auto tokens = accounts_->log_in(name, "secret123", "127.0.0.1");
    ASSERT_TRUE(tokens) << tokens.error().message();
    *token = tokens->access_token;
  }
  auto listed = call(
      "GET", "/v1/user/nodes/sharing/requests?primary_user=False&request_id=" + expiring, "", bob_);
  EXPECT_EQ(listed.body["sharing_requests"].as_array().at(0).at("request_status"), "expired");
  expect_code(call("PUT", "/v1/user/nodes/sharing/requests",
                   R"({"accept":true,"request_id":")" + expiring + "\"}", bob_),
              409, rest::sharing_error::request_handled);

  // Accepted: bob is a secondary user with the requested sub_role.
  const auto granted =
      share(alice_, R"({"nodes":["nodeA1"],"user_name":"bob@example.com","sub_role":2})");
  accept(bob_, granted);
  EXPECT_EQ(role_of("u-bob", "nodeA1"), "secondary");
  call("POST", "/v1/user/nodes/cmd", R"({"node_ids":["nodeA1"],"cmd":1,"data":{}})", bob_);
  EXPECT_EQ(messenger_.last_role(), proto::kRoleSecondary | proto::sub_role_bits(2));

  // Sharing with someone who already has access applies at once, still with a request id.
  const auto at_once = share(alice_, R"({"nodes":["nodeA1"],"user_name":"bob@example.com",
                                         "primary":true})");
  EXPECT_FALSE(at_once.empty());
  EXPECT_EQ(role_of("u-bob", "nodeA1"), "primary");

  // Input the rules refuse, each with its code; nothing changes.
  const auto put = [&](std::string_view body) {
    return call("PUT", "/v1/user/nodes/sharing", body, alice_);
  };
  expect_code(put(R"({"nodes":[],"user_name":"bob@example.com"})"), 400,
              rest::sharing_error::nodes_missing);
  expect_code(put(R"({"nodes":["nodeA1"]})"), 400, rest::sharing_error::user_name_missing);
  expect_code(put(R"({"nodes":["nodeA1"],"user_name":"nobody@example.com"})"), 404,
              rest::sharing_error::user_not_found);
  expect_code(put(R"({"nodes":["nodeA1"],"user_name":"alice@example.com"})"), 400,
              rest::sharing_error::self_sharing);
  expect_code(put(R"({"nodes":["nodeA1"],"user_name":"carol@example.com","sub_role":5})"), 400,
              rest::sharing_error::sub_role_invalid);
  expect_code(put(R"({"nodes":["nodeA1"],"user_name":"carol@example.com","sub_role":300})"), 400,
              rest::sharing_error::sub_role_invalid);
  expect_code(put(R"({"nodes":["nodeA1"],"user_name":"carol@example.com","new_role":"x",
                      "transfer":true})"),
              400, rest::sharing_error::new_role_invalid);
  expect_code(put(R"({"nodes":["nodeA1"],"user_name":"carol@example.com",
                      "new_role":"secondary"})"),
              400, rest::sharing_error::new_role_without_transfer);
  expect_code(put(R"({"nodes":"nodeA1","user_name":"carol@example.com"})"), 400,
              rest::request_error::invalid_request_body);
  expect_code(put(R"({"nodes":["nodeZZ9"],"user_name":"carol@example.com"})"), 404,
              rest::node_error::node_not_found);
  expect_code(put("{"), 400, rest::request_error::invalid_request_body);
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "");
}

TEST_F(SharingHttpTest, TransferUnshareAndTheLastPrimaryLeaving) {
  // Transfer: bob becomes primary on acceptance, alice keeps new_role.
  const auto id = share(alice_, R"({"nodes":["nodeA1"],"user_name":"bob@example.com",
                                    "transfer":true,"new_role":"secondary"})");
  EXPECT_EQ(role_of("u-alice", "nodeA1"), "primary");
  accept(bob_, id);
  EXPECT_EQ(role_of("u-bob", "nodeA1"), "primary");
  EXPECT_EQ(role_of("u-alice", "nodeA1"), "secondary");
  expect_code(call("PUT", "/v1/user/nodes/sharing",
                   R"({"nodes":["nodeA1"],"user_name":"carol@example.com"})", alice_),
              403, rest::sharing_error::not_primary);

  // A pending request whose sender lost the node is re-checked when accepted.
  const auto stale = share(alice_, R"({"nodes":["nodeB2"],"user_name":"carol@example.com"})");
  accept(bob_, share(alice_, R"({"nodes":["nodeB2"],"user_name":"bob@example.com",
                                 "transfer":true})"));
  EXPECT_EQ(role_of("u-alice", "nodeB2"), "");
  expect_code(call("PUT", "/v1/user/nodes/sharing/requests",
                   R"({"accept":true,"request_id":")" + stale + "\"}", carol_),
              409, rest::sharing_error::request_handled);
  EXPECT_EQ(role_of("u-carol", "nodeB2"), "");

  // Unshare by the primary; then the last primary leaving takes everyone with it.
  auto removed =
      call("DELETE", "/v1/user/nodes/sharing?nodes=nodeA1&user_name=alice@example.com", "", bob_);
  EXPECT_EQ(removed.status, 200) << removed.text;
  EXPECT_EQ(role_of("u-alice", "nodeA1"), "");
  accept(carol_, share(bob_, R"({"nodes":["nodeA1"],"user_name":"carol@example.com"})"));
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "secondary");
  auto gone = call("PUT", "/v1/user/nodes/mapping",
                   R"({"node_id":"nodeA1","secret_key":"","operation":"remove"})", bob_);
  EXPECT_EQ(gone.status, 200) << gone.text;
  EXPECT_EQ(role_of("u-bob", "nodeA1"), "");
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "");
}

// A request made before its sender was disabled (a stolen password) gives nothing when
// accepted afterwards: the sender keeps its node, the recipient gets none.
TEST_F(SharingHttpTest, ARequestOfASenderDisabledSinceGivesNothing) {
  const auto id = share(alice_, R"({"nodes":["nodeA1"],"user_name":"carol@example.com",
                                    "transfer":true})");
  ASSERT_TRUE(account_repository_.set_disabled("u-alice", true, 1));
  expect_code(call("PUT", "/v1/user/nodes/sharing/requests",
                   R"({"accept":true,"request_id":")" + id + "\"}", carol_),
              409, rest::sharing_error::request_handled);
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "");
  EXPECT_EQ(role_of("u-alice", "nodeA1"), "primary") << "a disabled user keeps its nodes";
}

TEST_F(SharingHttpTest, GroupsAsTheCliDrivesThem) {
  // `group add --name Home` sends is_matter and mutually_exclusive.
  auto created = call("POST", "/v1/user/node_group",
                      R"({"group_name":"Home","is_matter":true,"mutually_exclusive":false,
                          "nodes":["nodeA1"],"custom_data":{"floor":1}})",
                      alice_);
  ASSERT_EQ(created.status, 200) << created.text;
  const std::string home(created.body["group_id"].as_string());
  expect_code(
      call("POST", "/v1/user/node_group", R"({"group_name":"Home","is_matter":true})", alice_), 409,
      rest::group_error::name_exists);
  expect_code(call("POST", "/v1/user/node_group", R"({"is_matter":true})", alice_), 400,
              rest::group_error::name_missing);
  expect_code(call("POST", "/v1/user/node_group", R"({"group_name":" Bad"})", alice_), 400,
              rest::group_error::name_invalid);
  expect_code(
      call("POST", "/v1/user/node_group", R"({"group_name":"X","nodes":["nodeZZ9"]})", alice_), 404,
      rest::group_error::nodes_not_mapped);

  // Sub-groups: nodes must be in the parent; depth is bounded (3 levels).
  expect_code(
      call("POST", "/v1/user/node_group",
           R"({"group_name":"Hall","parent_group_id":")" + home + R"(","nodes":["nodeB2"]})",
           alice_),
      400, rest::group_error::nodes_not_in_parent);
  auto hall = call("POST", "/v1/user/node_group",
                   R"({"group_name":"Hall","parent_group_id":")" + home +
                       R"(","nodes":["nodeA1"],"mutually_exclusive":false})",
                   alice_);
  ASSERT_EQ(hall.status, 200) << hall.text;
  const std::string hall_id(hall.body["group_id"].as_string());
  auto shelf = call("POST", "/v1/user/node_group",
                    R"({"group_name":"Shelf","parent_group_id":")" + hall_id + "\"}", alice_);
  ASSERT_EQ(shelf.status, 200) << shelf.text;
  expect_code(call("POST", "/v1/user/node_group",
                   R"({"group_name":"Box","parent_group_id":")" +
                       std::string(shelf.body["group_id"].as_string()) + "\"}",
                   alice_),
              400, rest::group_error::too_deep);
  // A sub-group is shared through its root (the table's 409).
  expect_code(call("PUT", "/v1/user/node_group/sharing",
                   json::serialize(json::object{{"groups", json::array{json::string(hall_id)}},
                                                {"user_name", "carol@example.com"}}),
                   alice_),
              409, rest::group_error::shared_via_parent);

  // `group list --sub-groups`, `group show`, `group list-nodes [--node-details]`.
  auto list = call("GET", "/v1/user/node_group?sub_groups=true", "", alice_);
  ASSERT_EQ(list.status, 200) << list.text;
  EXPECT_FALSE(list.body.contains("next_id")) << list.text;
  const auto& g = list.body["groups"].as_array().at(0).as_object();
  EXPECT_EQ(g.at("group_name"), "Home");
  EXPECT_EQ(g.at("custom_data"), (json::object{{"floor", 1}}));
  EXPECT_EQ(g.at("sub_groups").as_array().at(0).at("group_name"), "Hall");
  auto ids = call("GET", "/v1/user/node_group?group_id=" + home + "&node_list=true", "", alice_);
  EXPECT_EQ(ids.body["groups"].as_array().at(0).at("nodes"), (json::array{"nodeA1"}));
  auto detailed =
      call("GET", "/v1/user/node_group?group_id=" + home + "&node_details=true", "", alice_);
  const auto& d = detailed.body["groups"].as_array().at(0).at("node_details").as_array();
  ASSERT_EQ(d.size(), 1u) << detailed.text;
  EXPECT_EQ(d.at(0).at("id"), "nodeA1");
  EXPECT_EQ(d.at(0).at("role"), "primary");

  // `group add-nodes` / `remove-nodes` (lower-case operation), `group edit`.
  auto added = call("PUT", "/v1/user/node_group?group_id=" + home,
                    R"({"nodes":["nodeB2"],"operation":"add"})", alice_);
  EXPECT_EQ(added.status, 200) << added.text;
  auto edited = call("PUT", "/v1/user/node_group?group_id=" + home,
                     R"({"group_name":"House","custom_data":{"floor":null,"k":"v"}})", alice_);
  EXPECT_EQ(edited.status, 200) << edited.text;
  auto shown = call("GET", "/v1/user/node_group?group_id=" + home + "&node_list=true", "", alice_);
  const auto& house = shown.body["groups"].as_array().at(0).as_object();
  EXPECT_EQ(house.at("group_name"), "House");
  EXPECT_EQ(house.at("custom_data"), (json::object{{"k", "v"}}));
  EXPECT_EQ(house.at("nodes"), (json::array{"nodeA1", "nodeB2"}));
  // Removing from a group removes from the groups below it.
  auto out = call("PUT", "/v1/user/node_group?group_id=" + home,
                  R"({"nodes":["nodeA1"],"operation":"REMOVE"})", alice_);
  EXPECT_EQ(out.status, 200) << out.text;
  auto hall_nodes =
      call("GET", "/v1/user/node_group?group_id=" + hall_id + "&node_list=true", "", alice_);
  EXPECT_EQ(hall_nodes.body["groups"].as_array().at(0).at("nodes"), json::array());
  expect_code(call("PUT", "/v1/user/node_group?group_id=" + home, "{}", alice_), 400,
              rest::group_error::nothing_to_update);
  expect_code(call("PUT", "/v1/user/node_group?group_id=" + home,
                   R"({"nodes":["nodeA1"],"operation":"move"})", alice_),
              400, rest::group_error::operation_invalid);
  expect_code(call("PUT", "/v1/user/node_group?group_id=" + home, R"({"group_name":"H"})", bob_),
              404, rest::group_error::group_not_found);
  expect_code(call("GET", "/v1/user/node_group?group_id=" + home, "", bob_), 404,
              rest::group_error::group_not_found);

  // Paging: the CLI follows next_id until it is absent.
  for (const char* name : {"G1", "G2", "G3"})
    call("POST", "/v1/user/node_group", json::serialize(json::object{{"group_name", name}}),
         alice_);
  std::size_t seen = 0;
  std::string start;
  for (int page = 0; page < 10; ++page) {
    auto r =
        call("GET", "/v1/user/node_group?limit=2" + (start.empty() ? "" : "&start_id=" + start), "",
             alice_);
    ASSERT_EQ(r.status, 200) << r.text;
    seen += r.body["groups"].as_array().size();
    if (!r.body.contains("next_id"))
      break;
    start = std::string(r.body["next_id"].as_string());
  }
  EXPECT_EQ(seen, 4u);

  // `group remove` deletes it with its sub-groups.
  EXPECT_EQ(call("DELETE", "/v1/user/node_group?group_id=" + home, "", alice_).status, 200);
  expect_code(call("GET", "/v1/user/node_group?group_id=" + hall_id, "", alice_), 404,
              rest::group_error::group_not_found);
}

// A group's node gives the group's users access only while the group's primary user is
// the node's primary user. One that gives none (bob, a secondary user of nodeA1, put it in
// his group) is neither listed nor counted for them: another user's node looks unknown.
TEST_F(SharingHttpTest, AGroupListsOnlyTheNodesItsReaderMaySee) {
  accept(bob_, share(alice_, R"({"nodes":["nodeA1"],"user_name":"bob@example.com"})"));
  auto created =
      call("POST", "/v1/user/node_group", R"({"group_name":"Borrowed","nodes":["nodeA1"]})", bob_);
  ASSERT_EQ(created.status, 200) << created.text;
  const std::string group(created.body["group_id"].as_string());
  const auto base = std::string("/v1/user/node_group/sharing");
  auto shared = call("PUT", base,
                     json::serialize(json::object{{"groups", json::array{json::string(group)}},
                                                  {"user_name", "carol@example.com"}}),
                     bob_);
  ASSERT_EQ(shared.status, 200) << shared.text;
  accept(carol_, std::string(shared.body["request_id"].as_string()), true, base + "/requests");
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "");

  const auto list = "/v1/user/node_group?group_id=" + group + "&node_list=true";
  auto theirs = call("GET", list, "", carol_);
  ASSERT_EQ(theirs.status, 200) << theirs.text;
  const auto& g = theirs.body["groups"].as_array().at(0).as_object();
  EXPECT_EQ(g.at("total"), 0) << theirs.text;
  EXPECT_EQ(g.at("nodes"), json::array()) << theirs.text;
  auto his = call("GET", list, "", bob_);
  const auto& h = his.body["groups"].as_array().at(0).as_object();
  EXPECT_EQ(h.at("total"), 1) << his.text;
  EXPECT_EQ(h.at("nodes"), (json::array{"nodeA1"})) << his.text;
}

// A flag that is neither true nor false is an error, not false; an empty group_id is a
// missing one.
TEST_F(SharingHttpTest, QueryFlagsAndIdsAreCheckedNotGuessed) {
  expect_code(call("GET", "/v1/user/node_group?sub_groups=yes", "", alice_), 400,
              rest::request_error::invalid_request_body);
  expect_code(call("GET", "/v1/user/node_group?node_list=maybe", "", alice_), 400,
              rest::request_error::invalid_request_body);
  expect_code(call("GET", "/v1/user/nodes?node_details=maybe", "", alice_), 400,
              rest::request_error::invalid_request_body);
  EXPECT_EQ(call("GET", "/v1/user/nodes?node_details=True", "", alice_).status, 200);
  EXPECT_EQ(call("GET", "/v1/user/node_group?sub_groups=false", "", alice_).status, 200);
  expect_code(call("GET", "/v1/user/node_group?group_id=", "", alice_), 400,
              rest::group_error::group_id_missing);
  // Blobs stored with a group or a share and sent with every read are bounded (16 KiB).
  const std::string big(16 * 1024, 'x');
  expect_code(call("POST", "/v1/user/node_group",
                   R"({"group_name":"Big","custom_data":{"k":")" + big + R"("}})", alice_),
              400, rest::request_error::invalid_request_body);
  expect_code(
      call("POST", "/v1/user/node_group", R"({"group_name":"Typed","type":"a\u0001"})", alice_),
      400, rest::request_error::invalid_request_body);
  expect_code(call("PUT", "/v1/user/nodes/sharing",
                   R"({"nodes":["nodeA1"],"user_name":"carol@example.com","metadata":{"k":")" +
                       big + R"("}})",
                   alice_),
              400, rest::request_error::invalid_request_body);
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "");
}

// The TS SDK leaves a group and removes another user's share through DELETE
// /v1/user/node_group with `leave=true` or `remove_sharing=true&user_name=` (spec §2.4):
// neither deletes the group. The only primary user cannot leave.
TEST_F(SharingHttpTest, LeavingAGroupOrRemovingAShareKeepsTheGroup) {
  auto created =
      call("POST", "/v1/user/node_group", R"({"group_name":"Kept","nodes":["nodeA1"]})", alice_);
  ASSERT_EQ(created.status, 200) << created.text;
  const std::string group(created.body["group_id"].as_string());
  const auto base = std::string("/v1/user/node_group/sharing");
  const auto share_with = [&](const std::string& user_name) {
    auto shared = call("PUT", base,
                       json::serialize(json::object{{"groups", json::array{json::string(group)}},
                                                    {"user_name", user_name}}),
                       alice_);
    EXPECT_EQ(shared.status, 200) << shared.text;
    const auto* id = shared.body.if_contains("request_id");
    return id != nullptr && id->is_string() ? std::string(id->as_string()) : std::string();
  };
  accept(carol_, share_with("carol@example.com"), true, base + "/requests");
  accept(bob_, share_with("bob@example.com"), true, base + "/requests");
  ASSERT_EQ(role_of("u-carol", "nodeA1"), "secondary");
  const auto at = "/v1/user/node_group?group_id=" + group;

  expect_code(call("DELETE", at + "&leave=true", "", alice_), 409, rest::group_error::sole_primary);
  expect_code(call("DELETE", at + "&remove_sharing=true", "", alice_), 400,
              rest::group_error::user_name_missing);
  expect_code(call("DELETE", at + "&leave=true&remove_sharing=true", "", alice_), 400,
              rest::request_error::invalid_request_body);
  auto removed =
      call("DELETE", at + "&remove_sharing=true&user_name=carol@example.com", "", alice_);
  EXPECT_EQ(removed.status, 200) << removed.text;
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "") << "carol's share is gone";
  EXPECT_EQ(call("GET", at, "", alice_).status, 200) << "the group is kept";
  auto left = call("DELETE", at + "&leave=true", "", bob_);
  EXPECT_EQ(left.status, 200) << left.text;
  expect_code(call("GET", at, "", bob_), 404, rest::group_error::group_not_found);
  EXPECT_EQ(call("GET", at, "", alice_).status, 200) << "the group is kept";
}

// Group sharing: access to every node of the group, including nodes added later, until
// the node leaves the group or the share is removed.
TEST_F(SharingHttpTest, GroupSharingGrantsAndRevokesNodeAccess) {
  auto created = call("POST", "/v1/user/node_group",
                      R"({"group_name":"Lights","is_matter":true,"nodes":["nodeA1"]})", alice_);
  const std::string group(created.body["group_id"].as_string());
  const auto base = std::string("/v1/user/node_group/sharing");
  auto shared = call("PUT", base,
                     json::serialize(json::object{{"groups", json::array{json::string(group)}},
                                                  {"user_name", "carol@example.com"}}),
                     alice_);
  ASSERT_EQ(shared.status, 200) << shared.text;
  const std::string id(shared.body["request_id"].as_string());
  auto pending = call("GET", base + "/requests?primary_user=false", "", carol_);
  const auto& req = pending.body["sharing_requests"].as_array().at(0).as_object();
  EXPECT_EQ(req.at("group_ids"), (json::array{json::string(group)}));
  EXPECT_EQ(req.at("group_names"), (json::array{"Lights"}));
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "");
  accept(carol_, id, true, base + "/requests");

  // carol reads and controls nodeA1 as a secondary user; the role byte says so.
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "secondary");
  EXPECT_EQ(call("GET", "/v1/user/nodes/params?nodeid=nodeA1", "", carol_).status, 200);
  call("POST", "/v1/user/nodes/cmd", R"({"node_ids":["nodeA1"],"cmd":1,"data":{}})", carol_);
  EXPECT_EQ(messenger_.last_role(), proto::kRoleSecondary);
  auto users = call("GET", base + "?group_id=" + group, "", alice_);
  EXPECT_EQ(users.body["group_sharing"].as_array().at(0).at("users").at("secondary"),
            (json::array{"carol@example.com"}));
  auto visible =
      call("GET", "/v1/user/node_group?group_id=" + group + "&node_list=true", "", carol_);
  EXPECT_EQ(visible.status, 200) << visible.text;
  expect_code(
      call("PUT", "/v1/user/node_group?group_id=" + group, R"({"group_name":"Mine"})", carol_), 403,
      rest::group_error::not_primary);

  // A node added later is shared too; removing it from the group takes it away.
  EXPECT_EQ(role_of("u-carol", "nodeB2"), "");
  call("PUT", "/v1/user/node_group?group_id=" + group, R"({"nodes":["nodeB2"],"operation":"add"})",
       alice_);
  EXPECT_EQ(role_of("u-carol", "nodeB2"), "secondary");
  call("PUT", "/v1/user/node_group?group_id=" + group,
       R"({"nodes":["nodeB2"],"operation":"remove"})", alice_);
  EXPECT_EQ(role_of("u-carol", "nodeB2"), "");
  expect_code(call("GET", "/v1/user/nodes/params?nodeid=nodeB2", "", carol_), 404,
              rest::node_error::node_not_found);

  // Group-derived access is changed through the group, not node by node.
  expect_code(
      call("DELETE", "/v1/user/nodes/sharing?nodes=nodeA1&user_name=carol@example.com", "", alice_),
      409, rest::sharing_error::group_derived);
  expect_code(call("PUT", "/v1/user/nodes/mapping",
                   R"({"node_id":"nodeA1","secret_key":"","operation":"remove"})", carol_),
              409, rest::sharing_error::group_derived);

  // Unsharing the group takes the nodes away.
  auto unshared =
      call("DELETE", base + "?groups=" + group + "&user_name=carol@example.com", "", alice_);
  EXPECT_EQ(unshared.status, 200) << unshared.text;
  EXPECT_EQ(role_of("u-carol", "nodeA1"), "");
  expect_code(call("GET", "/v1/user/node_group?group_id=" + group, "", carol_), 404,
              rest::group_error::group_not_found);
}

}  // namespace
}  // namespace stratus::test
