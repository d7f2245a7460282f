// Proves the command-response framework end to end (docs/adr/0006): a command to an
// offline node is stored, delivered as TLV after the node connects and polls (also across
// a stratusd restart), and its answer is stored; a secondary user's role byte and the
// node's status-3 refusal; malformed TLV changes nothing; timeouts; the 207 shapes.
// How: the real stratusd and mosquitto on free loopback ports; nodes are test MQTT clients
// with certificates from the data dir's CA, speaking TLV with `proto`'s codec.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "proto/cmd_resp.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The firmware's poll: an empty request id, status 0, command 0 (spec §3.4).
std::string poll_bytes() {
  return proto::encode_poll();
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class CommandsSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ =
        new StratusdProcess(dir_->path() / "data",
                            {"--set", "accounts.argon2_mem_limit_kib=8", "--set",
                             "accounts.argon2_ops_limit=1", "--set", "nodes.command_sweep_ms=100"});
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    alice_ = new std::string(user_token("alice@example.com"));
    bob_ = new std::string(user_token("bob@example.com"));
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete bob_;
    delete stratusd_;
    delete dir_;
  }

  static HttpReply call(std::string_view method, std::string_view target, const std::string& token,
                        std::string_view body = {}) {
    return rest_call(*stratusd_, method, target, token, body);
  }

  static std::string user_token(const std::string& user) {
    return signed_up_token(*stratusd_, user);
  }

  static std::string user_id_of(const std::string& token) { return user_id_for(*stratusd_, token); }

  static TestMqttOptions node_options(const std::string& node_id) {
    return node_mqtt_options(*stratusd_, dir_->path(), node_id);
  }

  // Connects as the firmware does after mapping: subscribe to-node, then poll.
  static std::unique_ptr<TestMqttClient> connect_node(const std::string& node_id) {
    auto node = std::make_unique<TestMqttClient>(node_options(node_id));
    EXPECT_EQ(node->connect(), 0);
    EXPECT_EQ(node->subscribe("node/" + node_id + "/to-node"), 1);
    EXPECT_TRUE(
        node->publish("$aws/rules/esp_cmd_resp/node/" + node_id + "/from-node", poll_bytes()));
    return node;
  }

  // Config (with or without the cmd-resp attribute) and mapping to `token`'s user.
  static std::unique_ptr<TestMqttClient> boot_and_map(const std::string& node_id,
                                                      const std::string& token,
                                                      bool cmd_resp = true) {
    auto node = std::make_unique<TestMqttClient>(node_options(node_id));
    EXPECT_EQ(node->connect(), 0);
    std::string config = source_file("tests/data/node_config_light.json");
    if (!cmd_resp) {
      const std::string attribute = R"({"name": "cmd-resp", "value": "1"})";
      const auto at = config.find(attribute);
      EXPECT_NE(at, std::string::npos);
      config.replace(at, attribute.size(), R"({"name": "cmd-resp", "value": "0"})");
    }
    EXPECT_TRUE(node->publish("$aws/rules/esp_node_config/node/" + node_id + "/config", config));
    const std::string user_id = user_id_of(token);
    const auto mapping =
        call("PUT", "/v1/user/nodes/mapping", token,
             R"({"node_id":")" + node_id + R"(","secret_key":"s3cr3t","operation":"add"})");
    EXPECT_EQ(mapping.status, 200) << mapping.body;
    const std::string request_id(json::parse(mapping.body).at("request_id").as_string());
    EXPECT_TRUE(node->publish("$aws/rules/esp_user_node_mapping/node/" + node_id + "/user/mapping",
                              R"({"node_id":")" + node_id + R"(","user_id":")" + user_id +
                                  R"(","secret_key":"s3cr3t"})"));
    EXPECT_TRUE(wait_until(
        [&] {
          const auto r = call("GET", "/v1/user/nodes/mapping?request_id=" + request_id, token);
          return r.body.find("confirmed") != std::string::npos;
        },
        10s));
    EXPECT_EQ(node->subscribe("node/" + node_id + "/to-node"), 1);
    EXPECT_TRUE(
        node->publish("$aws/rules/esp_cmd_resp/node/" + node_id + "/from-node", poll_bytes()));
    EXPECT_TRUE(wait_until([&] { return connected(node_id, token); }, 10s));
    return node;
  }

  static bool connected(const std::string& node_id, const std::string& token) {
    const auto r = call("GET", "/v1/user/nodes/status?node_id=" + node_id, token);
    return r.status == 200 && json::parse(r.body).at("connectivity").at("connected").as_bool();
  }

  static void go_offline(TestMqttClient& node, const std::string& node_id) {
    node.drop();  // power loss: no DISCONNECT
    ASSERT_TRUE(wait_until([&] { return !connected(node_id, *alice_); }, 10s));
  }

  static HttpReply post_cmd(const std::string& token, const std::string& body) {
    return call("POST", "/v1/user/nodes/cmd", token, body);
  }

  // The one record of `request_id` (for `node_id`) as GET shows it.
  static json::object record(const std::string& token, const std::string& request_id,
                             const std::string& node_id) {
    const auto r =
        call("GET", "/v1/user/nodes/cmd?request_id=" + request_id + "&node_id=" + node_id, token);
    EXPECT_EQ(r.status, 200) << r.body;
    const auto body = json::parse(r.body);
    const auto& requests = body.at("requests").as_array();
    EXPECT_EQ(requests.size(), 1u) << r.body;
    return requests.empty() ? json::object{} : requests.at(0).as_object();
  }

  static std::string status_of(const std::string& token, const std::string& request_id,
                               const std::string& node_id) {
    const auto r = record(token, request_id, node_id);
    const auto* s = r.if_contains("status");
    return s != nullptr ? std::string(s->as_string()) : "";
  }

  static proto::CmdRequest receive_command(TestMqttClient& node, const std::string& node_id) {
    const auto got = node.wait_message(
        [&](const TestMessage& m) { return m.topic == "node/" + node_id + "/to-node"; });
    EXPECT_TRUE(got.has_value()) << "a command on to-node";
    if (!got)
      return {};
    auto decoded = proto::decode_request(got->payload);
    EXPECT_TRUE(decoded) << "valid TLV";
    return decoded ? *decoded : proto::CmdRequest{};
  }

  // The request `request_id` on to-node, skipping others: a poll handled after a POST
  // re-sends what the POST already sent (at-least-once, docs/adr/0006).
  static proto::CmdRequest receive_request(TestMqttClient& node, const std::string& node_id,
                                           const std::string& request_id) {
    const auto got = node.wait_message([&](const TestMessage& m) {
      if (m.topic != "node/" + node_id + "/to-node")
        return false;
      auto decoded = proto::decode_request(m.payload);
      return decoded && decoded->request_id == request_id;
    });
    EXPECT_TRUE(got.has_value()) << "request " << request_id << " on to-node";
    return got ? *proto::decode_request(got->payload) : proto::CmdRequest{};
  }

  static void answer(TestMqttClient& node, const std::string& node_id,
                     const proto::CmdResponse& response) {
    ASSERT_TRUE(node.publish("$aws/rules/esp_cmd_resp/node/" + node_id + "/from-node",
                             proto::encode_response(response)));
  }

  static std::uint64_t metric(const std::string& series) {
    const auto text = call("GET", "/metrics", "").body;
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos)
      return 0;
    return std::stoull(text.substr(at + series.size() + 2));
  }

  static TempDir* dir_;
  static StratusdProcess* stratusd_;
  static std::string* alice_;
  static std::string* bob_;
};

TempDir* CommandsSystemTest::dir_ = nullptr;
StratusdProcess* CommandsSystemTest::stratusd_ = nullptr;
std::string* CommandsSystemTest::alice_ = nullptr;
std::string* CommandsSystemTest::bob_ = nullptr;

TEST_F(CommandsSystemTest, OnlineNowAndOfflineAfterReconnect) {
  auto node = boot_and_map("cmd1", *alice_);
  // Online: sent at once, 200.
  auto r = post_cmd(*alice_, R"({"node_ids":["cmd1"],"cmd":4097,"data":{"n":1},"timeout":600})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string first(json::parse(r.body).at("request_id").as_string());
  EXPECT_EQ(json::parse(r.body).at("status"), json::value("success"));
  auto got = receive_request(*node, "cmd1", first);
  EXPECT_EQ(got.data, R"({"n":1})");

  // Offline: stored, 207 with the spec's wording; delivered after connect + poll.
  go_offline(*node, "cmd1");
  const auto before = now_s();
  r = post_cmd(*alice_,
               R"({"node_ids":["cmd1"],"cmd":4098,"data":{"hello":"world"},"timeout":600})");
  ASSERT_EQ(r.status, 207) << r.body;
  const auto body = json::parse(r.body);
  const std::string request_id(body.at("request_id").as_string());
  EXPECT_EQ(
      body.at("responses"),
      json::parse(
          R"([{"node_ids":["cmd1"],"response":{"status":"failure",)"
          R"("error_code":131112,"description":"Node is offline, responses may be delayed"}}])"));
  EXPECT_EQ(status_of(*alice_, request_id, "cmd1"), "requested");

  node = connect_node("cmd1");
  // The first one is still in progress: it is re-sent too, before this one.
  got = receive_command(*node, "cmd1");
  EXPECT_EQ(got.request_id, first);
  got = receive_command(*node, "cmd1");
  EXPECT_EQ(got.request_id, request_id);
  EXPECT_EQ(got.role, proto::kRolePrimary);
  EXPECT_EQ(got.role, 0x02);
  EXPECT_EQ(got.command, 4098);
  ASSERT_TRUE(got.timestamp.has_value());
  EXPECT_GE(static_cast<std::int64_t>(*got.timestamp), before);
  EXPECT_LE(static_cast<std::int64_t>(*got.timestamp), now_s());
  EXPECT_EQ(got.data, R"({"hello":"world"})");
  ASSERT_TRUE(
      wait_until([&] { return status_of(*alice_, request_id, "cmd1") == "in_progress"; }, 10s));
  answer(*node, "cmd1", {request_id, 0, 4098, R"({"ok":true})"});
  ASSERT_TRUE(wait_until([&] { return status_of(*alice_, request_id, "cmd1") == "success"; }, 10s));
  const auto rec = record(*alice_, request_id, "cmd1");
  EXPECT_EQ(rec.at("response_data"), json::parse(R"({"ok":true})"));
  EXPECT_EQ(rec.at("request_data"), json::parse(R"({"hello":"world"})"));
  EXPECT_EQ(rec.at("device_status"), json::value(0));
  EXPECT_EQ(rec.at("cmd"), json::value(4098));
  EXPECT_EQ(rec.at("user_name"), json::value("alice@example.com"));
  EXPECT_GE(rec.at("request_timestamp").as_int64(), before);
  EXPECT_LT(rec.at("request_timestamp").as_int64(), 10'000'000'000) << "seconds, not ms";
  EXPECT_GE(rec.at("response_timestamp").as_int64(), rec.at("request_timestamp").as_int64());
  EXPECT_EQ(rec.at("expiration_timestamp").as_int64(),
            rec.at("request_timestamp").as_int64() + 600);

  // Listing by node pages with next_id.
  r = call("GET", "/v1/user/nodes/cmd?node_id=cmd1&num_records=1", *alice_);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto page = json::parse(r.body);
  EXPECT_EQ(page.at("requests").as_array().size(), 1u);
  const std::string next(page.at("next_id").as_string());
  r = call("GET", "/v1/user/nodes/cmd?node_id=cmd1&num_records=1&start_id=" + next, *alice_);
  EXPECT_EQ(json::parse(r.body).at("requests").at(0).at("request_id"), json::value(request_id));
  EXPECT_FALSE(json::parse(r.body).as_object().contains("next_id"));
  // Another user sees nothing of it.
  r = call("GET", "/v1/user/nodes/cmd?request_id=" + request_id, *bob_);
  EXPECT_EQ(json::parse(r.body).at("requests").as_array().size(), 0u);
}

TEST_F(CommandsSystemTest, ARestartBetweenRequestAndReconnectLosesNothing) {
  auto node = boot_and_map("cmd2", *alice_);
  go_offline(*node, "cmd2");
  node.reset();
  auto r =
      post_cmd(*alice_, R"({"node_ids":["cmd2"],"cmd":4099,"data":"plain text","timeout":600})");
  ASSERT_EQ(r.status, 207) << r.body;
  const std::string request_id(json::parse(r.body).at("request_id").as_string());

  ASSERT_TRUE(WIFEXITED(stratusd_->stop(SIGTERM))) << stratusd_->output();
  ASSERT_TRUE(stratusd_->start()) << stratusd_->output();

  node = connect_node("cmd2");
  const auto got = receive_command(*node, "cmd2");
  EXPECT_EQ(got.request_id, request_id);
  EXPECT_EQ(got.command, 4099);
  EXPECT_EQ(got.data, "plain text");
  answer(*node, "cmd2", {request_id, 0, 4099, "done"});
  ASSERT_TRUE(wait_until([&] { return status_of(*alice_, request_id, "cmd2") == "success"; }, 10s));
  const auto rec = record(*alice_, request_id, "cmd2");
  EXPECT_EQ(rec.at("response_data"), json::value("done")) << "not JSON: a string";
  EXPECT_EQ(rec.at("request_data"), json::value("plain text"));
}

TEST_F(CommandsSystemTest, ASecondaryUsersRoleIsSentAndTheNodesRefusalStored) {
  auto node = boot_and_map("cmd3", *alice_);
  // alice shares the node with bob as a secondary user with sub-role 1; bob accepts
  // (PUT user/nodes/sharing, then PUT user/nodes/sharing/requests, as the RainMaker CLI).
  auto shared = call("PUT", "/v1/user/nodes/sharing", *alice_,
                     R"({"nodes":["cmd3"],"user_name":"bob@example.com","sub_role":1})");
  ASSERT_EQ(shared.status, 200) << shared.body;
  const std::string sharing_id(json::parse(shared.body).at("request_id").as_string());
  auto accepted = call("PUT", "/v1/user/nodes/sharing/requests", *bob_,
                       R"({"accept":true,"request_id":")" + sharing_id + "\"}");
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  auto r = post_cmd(*bob_, R"({"node_ids":["cmd3"],"cmd":4100,"data":{}})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string request_id(json::parse(r.body).at("request_id").as_string());
  const auto got = receive_request(*node, "cmd3", request_id);
  EXPECT_EQ(got.role, proto::kRoleSecondary | proto::sub_role_bits(1));
  EXPECT_EQ(got.role, 0x14);
  // The handler's access mask excludes secondaries: the node answers status 3.
  answer(*node, "cmd3", {request_id, 3, 4100, ""});
  ASSERT_TRUE(wait_until([&] { return status_of(*bob_, request_id, "cmd3") == "failure"; }, 10s));
  const auto rec = record(*bob_, request_id, "cmd3");
  EXPECT_EQ(rec.at("device_status"), json::value(3));
  EXPECT_EQ(rec.at("status_description"), json::value("not authorized for this role"));
  EXPECT_EQ(rec.at("user_name"), json::value("bob@example.com"));
  EXPECT_FALSE(rec.contains("response_data"));
}

TEST_F(CommandsSystemTest, MalformedTlvChangesNothing) {
  auto node = boot_and_map("cmd4", *alice_);
  auto r = post_cmd(*alice_, R"({"node_ids":["cmd4"],"cmd":4101,"data":{"a":1}})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string request_id(json::parse(r.body).at("request_id").as_string());
  (void)receive_request(*node, "cmd4", request_id);
  ASSERT_TRUE(
      wait_until([&] { return status_of(*alice_, request_id, "cmd4") == "in_progress"; }, 10s));
  const auto before = call("GET", "/v1/user/nodes/cmd?node_id=cmd4", *alice_).body;
  const auto dropped = metric(R"(stratus_link_dropped_total{reason="malformed"})");
  const std::string topic = "$aws/rules/esp_cmd_resp/node/cmd4/from-node";
  // Runs past the end; no status record; a 3-byte command; garbage.
  ASSERT_TRUE(node->publish(topic, std::string("\x01\x16", 2) + request_id.substr(0, 5)));
  ASSERT_TRUE(node->publish(
      topic, std::string("\x01\x16", 2) + request_id + std::string("\x05\x02\xa5\x0f", 4)));
  ASSERT_TRUE(node->publish(topic, std::string("\x01\x16", 2) + request_id +
                                       std::string("\x03\x01\x00\x05\x03\xa5\x0f\x00", 8)));
  ASSERT_TRUE(node->publish(topic, "{\"not\":\"tlv\"}"));
  ASSERT_TRUE(wait_until(
      [&] { return metric(R"(stratus_link_dropped_total{reason="malformed"})") >= dropped + 4; },
      10s));
  // An answer to no request is ignored and counted too.
  const std::string unknown = R"(stratus_command_responses_ignored_total{reason="unknown"})";
  const auto ignored = metric(unknown);
  answer(*node, "cmd4", {"no-such-request", 0, 4101, ""});
  ASSERT_TRUE(wait_until([&] { return metric(unknown) > ignored; }, 10s));
  EXPECT_EQ(call("GET", "/v1/user/nodes/cmd?node_id=cmd4", *alice_).body, before);
  EXPECT_EQ(call("GET", "/healthz", "").status, 200);
  // The real answer afterwards still lands.
  answer(*node, "cmd4", {request_id, 0, 4101, ""});
  EXPECT_TRUE(wait_until([&] { return status_of(*alice_, request_id, "cmd4") == "success"; }, 10s));
}

TEST_F(CommandsSystemTest, RequestsTimeOut) {
  auto node = boot_and_map("cmd5", *alice_);
  auto r = post_cmd(*alice_, R"({"node_ids":["cmd5"],"cmd":4102,"data":{},"timeout":1})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string request_id(json::parse(r.body).at("request_id").as_string());
  (void)receive_request(*node, "cmd5", request_id);
  ASSERT_TRUE(
      wait_until([&] { return status_of(*alice_, request_id, "cmd5") == "timed_out"; }, 10s));
  // A late answer changes nothing.
  const std::string final_answers = R"(stratus_command_responses_ignored_total{reason="final"})";
  const auto ignored = metric(final_answers);
  answer(*node, "cmd5", {request_id, 0, 4102, ""});
  ASSERT_TRUE(wait_until([&] { return metric(final_answers) > ignored; }, 10s));
  EXPECT_EQ(status_of(*alice_, request_id, "cmd5"), "timed_out");
  // Indefinite: no expiration.
  r = post_cmd(*alice_, R"({"node_ids":["cmd5"],"cmd":4103,"data":{},"timeout":-1})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto rec =
      record(*alice_, std::string(json::parse(r.body).at("request_id").as_string()), "cmd5");
  EXPECT_EQ(rec.at("indefinite_timeout"), json::value(true));
  EXPECT_FALSE(rec.contains("expiration_timestamp"));
}

TEST_F(CommandsSystemTest, MultiStatusValidationCancelAndBase64) {
  auto offline = boot_and_map("cmd6", *alice_);
  go_offline(*offline, "cmd6");
  auto plain = boot_and_map("cmd7", *alice_, false);
  auto online = boot_and_map("cmd8", *alice_);

  auto r = post_cmd(*alice_, R"({"node_ids":["cmd6","cmd7","ghost","cmd8"],"cmd":4104,"data":{}})");
  ASSERT_EQ(r.status, 207) << r.body;
  const auto responses = json::parse(r.body).at("responses").as_array();
  ASSERT_EQ(responses.size(), 4u) << r.body;
  EXPECT_EQ(responses[0].at("node_ids"), json::parse(R"(["cmd6"])"));
  EXPECT_EQ(responses[0].at("response").at("error_code"), json::value(131112));
  EXPECT_EQ(responses[1].at("node_ids"), json::parse(R"(["cmd7"])"));
  EXPECT_EQ(responses[1].at("response").at("error_code"), json::value(131113));
  EXPECT_EQ(responses[2].at("node_ids"), json::parse(R"(["ghost"])"));
  EXPECT_EQ(responses[2].at("response").at("error_code"), json::value(108005));
  EXPECT_EQ(responses[3].at("node_ids"), json::parse(R"(["cmd8"])"));
  EXPECT_EQ(responses[3].at("response").at("status"), json::value("success"));
  const std::string request_id(json::parse(r.body).at("request_id").as_string());
  EXPECT_EQ(receive_request(*online, "cmd8", request_id).command, 4104);

  // Nothing accepted: the normal failure shape, nothing stored.
  const auto code_of = [&](const HttpReply& reply) {
    return json::parse(reply.body).at("error_code").as_int64();
  };
  r = post_cmd(*alice_, R"({"node_ids":["cmd7"],"cmd":1,"data":{}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code_of(r), 131113);
  r = post_cmd(*alice_, R"({"node_ids":["ghost"],"cmd":1,"data":{}})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(code_of(r), 108005);
  EXPECT_EQ(post_cmd(*bob_, R"({"node_ids":["cmd8"],"cmd":1,"data":{}})").body, r.body)
      << "another user's node answers like an unknown one";
  EXPECT_EQ(code_of(post_cmd(*alice_, R"({"node_ids":[],"cmd":1})")), 131102);
  EXPECT_EQ(code_of(post_cmd(*alice_, R"({"node_ids":["cmd8","cmd8"],"cmd":1})")), 131104);
  EXPECT_EQ(code_of(post_cmd(*alice_, R"({"node_ids":["cmd8"],"cmd":70000})")), 131107);
  EXPECT_EQ(code_of(post_cmd(*alice_, R"({"node_ids":["cmd8"],"cmd":1,"timeout":0})")), 131115);
  EXPECT_EQ(code_of(post_cmd(*alice_, R"({"node_ids":["cmd8"],"cmd":1,"data":5})")), 131108);
  EXPECT_EQ(
      code_of(post_cmd(*alice_, R"({"node_ids":["cmd8"],"cmd":1,"data":"%%","is_base64":true})")),
      131109);
  std::string many = R"({"cmd":1,"node_ids":[)";
  for (int i = 0; i < 26; ++i)
    many += (i > 0 ? ",\"n" : "\"n") + std::to_string(i) + "\"";
  EXPECT_EQ(code_of(post_cmd(*alice_, many + "]}")), 131103);
  EXPECT_EQ(call("GET", "/v1/user/nodes/cmd", *alice_).status, 400) << "request_id or node_id";

  // Raw bytes with is_base64: the node gets the bytes; GET gives base64 back.
  r = post_cmd(*alice_, R"({"node_ids":["cmd8"],"cmd":4105,"data":"AP/+","is_base64":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string b64_id(json::parse(r.body).at("request_id").as_string());
  EXPECT_EQ(receive_request(*online, "cmd8", b64_id).data, std::string("\x00\xff\xfe", 3));
  auto rec = record(*alice_, b64_id, "cmd8");
  EXPECT_EQ(rec.at("request_data"), json::value("AP/+"));
  EXPECT_EQ(rec.at("is_base64"), json::value(true));

  // Cancel (Stratus extension): pending records become cancelled; an answer after it
  // is ignored.
  r = call("DELETE", "/v1/user/nodes/cmd?request_id=" + b64_id, *bob_);
  EXPECT_EQ(r.status, 404) << r.body;
  r = call("DELETE", "/v1/user/nodes/cmd?request_id=" + b64_id, *alice_);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string final_answers = R"(stratus_command_responses_ignored_total{reason="final"})";
  const auto ignored = metric(final_answers);
  answer(*online, "cmd8", {b64_id, 0, 4105, ""});
  EXPECT_TRUE(wait_until([&] { return metric(final_answers) > ignored; }, 10s));
  EXPECT_EQ(status_of(*alice_, b64_id, "cmd8"), "cancelled");
  r = call("DELETE", "/v1/user/nodes/cmd?request_id=" + b64_id, *alice_);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(code_of(r), 131117);
}

}  // namespace
}  // namespace stratus::test
