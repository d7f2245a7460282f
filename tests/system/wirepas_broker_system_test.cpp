// Wirepas gateways and operators on stratusd's embedded broker (issue 20 item 3,
// docs/adr/0018): credentials issued by `stratus-admin wirepas`, the simulator accepted on
// the Wirepas listener over TLS, an operator talking to it; a gateway cannot speak or
// listen for another gateway; an operator cannot reach node topics and a node cannot reach
// gw-* topics; nobody takes over another identity's client id; a removed credential's
// session is dropped and refused.
// How: one stratusd (wirepas.enabled, listeners on loopback) with a super-admin; the
// stratus-admin and stratus-node binaries as children; TestMqttClients as gateways,
// operators and a node (mutual TLS with a certificate from the test CA helper).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"
#include "wirepas/messages.hpp"
#include "wirepas/topics.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
namespace pb = wirepas::pb;
using namespace std::chrono_literals;

const std::vector<std::string> kSettings = {
    "--set", "accounts.argon2_ops_limit=1", "--set", "accounts.argon2_mem_limit_kib=8",
    "--set", "wirepas.enabled=true",        "--set", "wirepas.bind_address=127.0.0.1"};
constexpr const char* kAdmin = "root@example.com";
constexpr const char* kPassword = "rootpass1";

class WirepasBrokerSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto data = dir_->path() / "data";
    std::vector<std::string> add = {build_binary("stratusd").string(), "--data-dir", data.string()};
    add.insert(add.end(), kSettings.begin(), kSettings.end());
    add.insert(add.end(), {"user", "add", "--admin", kAdmin});
    const auto made = run_process(add, env(), std::string(kPassword) + "\n");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    stratusd_ = new StratusdProcess(data, kSettings);
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    ASSERT_NE(stratusd_->wirepas_port(), 0);
    const std::string url = "http://127.0.0.1:" + std::to_string(stratusd_->http_port());
    ASSERT_EQ(admin({"profile", "add", "test", "--url", url}).exit_code, 0);
    ASSERT_EQ(admin({"profile", "switch", "test"}).exit_code, 0);
    const auto login = admin({"login", "--user_name", kAdmin});
    ASSERT_EQ(login.exit_code, 0) << login.err;
  }
  static void TearDownTestSuite() {
    delete stratusd_;
    delete dir_;
  }

  static std::vector<std::string> env() {
    return cli_env(dir_->path(), {std::string("STRATUS_PASSWORD=") + kPassword});
  }

  static ProcessResult admin(std::vector<std::string> args) {
    args.insert(args.begin(), build_binary("stratus-admin").string());
    return run_process(args, env(), "", 60s);
  }

  // `stratus-admin wirepas <role> add <name>`; returns the password it printed.
  static std::string issue(const std::string& role, const std::string& name) {
    const auto r = admin({"wirepas", role, "add", name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string marker = "mqtt_password: ";
    const auto at = r.out.find(marker);
    EXPECT_NE(at, std::string::npos) << r.out;
    if (at == std::string::npos)
      return {};
    const auto start = at + marker.size();
    return r.out.substr(start, r.out.find('\n', start) - start);
  }

  static std::string ca_file() { return (stratusd_->data_dir() / "pki/ca.crt").string(); }

  // A client of the Wirepas listener (TLS with the Stratus CA).
  static std::unique_ptr<TestMqttClient> wirepas_client(const std::string& client_id,
                                                        const std::string& user,
                                                        const std::string& password) {
    TestMqttOptions o;
    o.port = stratusd_->wirepas_port();
    o.client_id = client_id;
    o.username = user;
    o.password = password;
    o.ca_file = ca_file();
    return std::make_unique<TestMqttClient>(o);
  }

  static std::unique_ptr<TestMqttClient> connected(const std::string& client_id,
                                                   const std::string& user,
                                                   const std::string& password) {
    auto c = wirepas_client(client_id, user, password);
    EXPECT_EQ(c->connect(), 0) << client_id << " as " << user;
    return c;
  }

  static TempDir* dir_;
  static StratusdProcess* stratusd_;
};

TempDir* WirepasBrokerSystemTest::dir_ = nullptr;
StratusdProcess* WirepasBrokerSystemTest::stratusd_ = nullptr;

TEST_F(WirepasBrokerSystemTest, AdminsIssueListAndRefuseCredentials) {
  EXPECT_FALSE(issue("gateway", "site-a-gw").empty());
  EXPECT_EQ(issue("operator", "ops-console").size(), 32u);  // 24 random bytes, base64url

  auto r = admin({"wirepas", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("site-a-gw"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ops-console"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("password"), std::string::npos) << "never listed";

  r = admin({"wirepas", "operator", "add", "site-a-gw"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("158004"), std::string::npos) << r.err;
  r = admin({"wirepas", "gateway", "add", "gw/1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("158003"), std::string::npos) << r.err;
  r = admin({"wirepas", "gateway", "add", "stratus-backend"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("reserved"), std::string::npos) << r.err;
  r = admin({"wirepas", "remove", "no-such-gw"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("158005"), std::string::npos) << r.err;

  // A user who is not a super-admin is refused, and so is the wrong role.
  const auto alice = signed_up_token(*stratusd_, "alice@example.com");
  auto reply = rest_call(*stratusd_, "GET", "/v1/admin/wirepas/credentials", alice);
  EXPECT_EQ(reply.status, 403) << reply.body;
  reply = rest_call(*stratusd_, "POST", "/v1/admin/wirepas/credentials", alice,
                    R"({"role":"gateway","name":"evil"})");
  EXPECT_EQ(reply.status, 403) << reply.body;
  // The file the plugin reads holds no password, and only its owner may read it.
  const auto file = stratusd_->data_dir() / "broker/wirepas_credentials";
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
}

TEST_F(WirepasBrokerSystemTest, TheSimulatorIsAcceptedAndAnOperatorTalksToIt) {
  const auto gw_password = issue("gateway", "plant1-gw0");
  const auto op_password = issue("operator", "plant1-console");
  ChildProcess gateway({build_binary("stratus-node").string(),
                        "wirepas-gateway",
                        "--mqtt_hostname",
                        "127.0.0.1",
                        "--mqtt_port",
                        std::to_string(stratusd_->wirepas_port()),
                        "--mqtt_username",
                        "plant1-gw0",
                        "--mqtt_password",
                        gw_password,
                        "--mqtt_ca_certs",
                        ca_file(),
                        "--gateways",
                        "1",
                        "--nodes",
                        "3",
                        "--gateway-prefix",
                        "plant1-gw",
                        "--data_interval",
                        "0"},
                       env(), dir_->path() / "gateway.out");
  auto op = connected("plant1-console-1", "plant1-console", op_password);
  ASSERT_EQ(op->subscribe("gw-event/status/+"), 1);
  ASSERT_TRUE(op->wait_message(
      [](const TestMessage& m) {
        if (m.topic != "gw-event/status/plant1-gw0")
          return false;
        auto d = wirepas::decode(m.payload);
        return d && d->wirepas().status_event().state() == pb::ON;
      },
      20s))
      << gateway.output() << stratusd_->output();

  ASSERT_EQ(op->subscribe("gw-response/#"), 1);
  pb::GenericMessage request;
  request.mutable_wirepas()->mutable_get_configs_req()->mutable_header()->set_req_id(
      0x5EED000000000001ull);
  ASSERT_TRUE(
      op->publish(*wirepas::build_topic({wirepas::Direction::request,
                                         wirepas::Operation::get_configs, "plant1-gw0", ""}),
                  request.SerializeAsString()));
  const auto answer = op->wait_message([](const TestMessage& m) {
    auto d = wirepas::decode(m.payload);
    return m.topic == "gw-response/get_configs/plant1-gw0" && d &&
           d->wirepas().get_configs_resp().header().req_id() == 0x5EED000000000001ull;
  });
  EXPECT_TRUE(answer) << gateway.output();
}

TEST_F(WirepasBrokerSystemTest, AGatewaySpeaksAndListensOnlyForItself) {
  const auto x = issue("gateway", "gw-x");
  const auto y = issue("gateway", "gw-y");
  const auto op_password = issue("operator", "watcher");
  auto op = connected("watcher", "watcher", op_password);
  ASSERT_EQ(op->subscribe("gw-event/#"), 1);

  // Wrong password, wrong client id, another gateway's password: refused at CONNECT.
  EXPECT_NE(wirepas_client("gw-x", "gw-x", y)->connect(), 0);
  EXPECT_NE(wirepas_client("something-else", "gw-x", x)->connect(), 0);
  EXPECT_NE(wirepas_client("gw-x", "gw-x", "")->connect(), 0);

  auto gw = connected("gw-x", "gw-x", x);
  EXPECT_EQ(gw->subscribe("gw-request/+/gw-y/#"), 128);
  EXPECT_EQ(gw->subscribe("gw-event/#"), 128);
  EXPECT_EQ(gw->subscribe("gw-request/+/gw-x/#"), 128) << "one filter per operation";
  EXPECT_EQ(gw->subscribe("gw-request/get_configs/gw-x"), 1);
  gw->publish("gw-event/status/gw-y", "forged");  // QoS 1 is acknowledged, then dropped
  gw->publish("gw-response/get_configs/gw-y", "forged");
  ASSERT_TRUE(gw->publish("gw-event/status/gw-x", "own"));
  ASSERT_TRUE(
      op->wait_message([](const TestMessage& m) { return m.topic == "gw-event/status/gw-x"; }));
  for (const auto& m : op->received())
    EXPECT_NE(m.payload, "forged") << m.topic;

  // A request for gw-x reaches it; one for gw-y does not.
  ASSERT_TRUE(op->publish("gw-request/get_configs/gw-y", "for-y"));
  ASSERT_TRUE(op->publish("gw-request/get_configs/gw-x", "for-x"));
  ASSERT_TRUE(gw->wait_message([](const TestMessage& m) { return m.payload == "for-x"; }));
  for (const auto& m : gw->received())
    EXPECT_NE(m.payload, "for-y");
}

TEST_F(WirepasBrokerSystemTest, NodeTopicsAndGwTopicsStayApart) {
  const auto op_password = issue("operator", "curious");
  auto op = connected("curious", "curious", op_password);
  EXPECT_EQ(op->subscribe("node/#"), 128);
  EXPECT_EQ(op->subscribe("#"), 128);
  EXPECT_EQ(op->subscribe("$stratus/presence/+"), 128);

  const std::string node_id = "wpnode01";
  TestMqttClient node(node_mqtt_options(*stratusd_, dir_->path(), node_id));
  ASSERT_EQ(node.connect(), 0);
  ASSERT_EQ(node.subscribe("node/" + node_id + "/params/remote"), 1);
  EXPECT_EQ(node.subscribe("gw-event/#"), 128);
  EXPECT_EQ(node.subscribe("gw-request/+/gw-x/#"), 128);

  op->publish("node/" + node_id + "/params/remote", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(op->publish("gw-request/get_configs/gw-none", "x"));
  EXPECT_FALSE(node.wait_message([](const TestMessage&) { return true; }, 1500ms))
      << "an operator reached a node";

  // Nobody takes over another identity's live client id.
  EXPECT_NE(wirepas_client(node_id, "curious", op_password)->connect(), 0);
  EXPECT_TRUE(node.connected());
  const auto z = issue("gateway", "gw-z");
  auto gw = connected("gw-z", "gw-z", z);
  EXPECT_NE(wirepas_client("gw-z", "curious", op_password)->connect(), 0);
  EXPECT_TRUE(gw->connected());

  // An operator chooses its client id, so holding a node's or a gateway's while they are
  // away keeps neither out: they take it back, and the operator's session ends.
  node.disconnect();
  gw->disconnect();
  // Once the broker has seen them go (their DISCONNECT may still be on its way).
  const auto squat = [&](const std::string& id) {
    std::unique_ptr<TestMqttClient> c;
    EXPECT_TRUE(test::wait_until(
        [&] {
          c = wirepas_client(id, "curious", op_password);
          return c->connect() == 0;
        },
        5s))
        << id;
    return c;
  };
  auto squat_node = squat(node_id);
  auto squat_gw = squat("gw-z");
  TestMqttClient back(node_mqtt_options(*stratusd_, dir_->path(), node_id));
  EXPECT_EQ(back.connect(), 0) << "a node kept out by an operator holding its id";
  auto gw_back = wirepas_client("gw-z", "gw-z", z);
  EXPECT_EQ(gw_back->connect(), 0) << "a gateway kept out by an operator holding its id";
  EXPECT_TRUE(
      test::wait_until([&] { return !squat_node->connected() && !squat_gw->connected(); }, 5s));
  EXPECT_TRUE(back.connected());
  EXPECT_TRUE(gw_back->connected());
}

TEST_F(WirepasBrokerSystemTest, ARemovedCredentialIsDroppedAndRefused) {
  const auto password = issue("gateway", "gw-gone");
  auto gw = connected("gw-gone", "gw-gone", password);
  ASSERT_TRUE(gw->connected());
  const auto r = admin({"wirepas", "remove", "gw-gone"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(wait_until([&] { return !gw->connected(); }, 10s)) << "session not dropped";
  EXPECT_NE(wirepas_client("gw-gone", "gw-gone", password)->connect(), 0);
  // Issued again, it gets a new password; the old one stays refused.
  const auto fresh = issue("gateway", "gw-gone");
  EXPECT_NE(fresh, password);
  EXPECT_NE(wirepas_client("gw-gone", "gw-gone", password)->connect(), 0);
  EXPECT_EQ(wirepas_client("gw-gone", "gw-gone", fresh)->connect(), 0);
}

}  // namespace
}  // namespace stratus::test
