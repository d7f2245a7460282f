// Proves the node loop against the real stratusd and mosquitto over mutual TLS:
// config → mapping → init → set (online) → the node receives it → reports →
// REST reflects it; a set while offline arrives after reconnect; presence with
// ms timestamps; another user sees nothing; garbage on node topics changes nothing.
// How: one stratusd on free loopback ports; a node identity issued by the data
// dir's CA; users signed up through the REST API with codes from the outbox.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class NodesSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ = new StratusdProcess(
        dir_->path() / "data",
        {"--set", "accounts.argon2_mem_limit_kib=8", "--set", "accounts.argon2_ops_limit=1"});
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

  static TestMqttOptions node_options(const std::string& node_id) {
    return node_mqtt_options(*stratusd_, dir_->path(), node_id);
  }

  // Boots a node as the firmware does (spec §1.4): config, mapping for `token`'s
  // user, subscribe params/remote, params/local/init. Returns the connected node.
  static std::unique_ptr<TestMqttClient> boot_and_map(const std::string& node_id,
                                                      const std::string& token) {
    auto node = std::make_unique<TestMqttClient>(node_options(node_id));
    EXPECT_EQ(node->connect(), 0);
    const std::string ingest = "$aws/rules/esp_node_config/node/" + node_id;
    std::string config = source_file("tests/data/node_config_light.json");
    const auto id_at = config.find("\"node_id\"");
    (void)id_at;
    EXPECT_TRUE(node->publish("$aws/rules/esp_node_config/node/" + node_id + "/config", config));

    const std::string user_id = user_id_of(token);
    const auto mapping =
        call("PUT", "/v1/user/nodes/mapping", token,
             R"({"node_id":")" + node_id +
                 R"(","secret_key":"s3cr3t","operation":"add","user_id":")" + user_id + "\"}");
    EXPECT_EQ(mapping.status, 200) << mapping.body;
    const std::string request_id(json::parse(mapping.body).at("request_id").as_string());
    EXPECT_TRUE(node->publish("$aws/rules/esp_user_node_mapping/node/" + node_id + "/user/mapping",
                              R"({"node_id":")" + node_id + R"(","user_id":")" + user_id +
                                  R"(","secret_key":"s3cr3t","reset":true})"));
    EXPECT_TRUE(wait_until(
        [&] {
          const auto r = call("GET", "/v1/user/nodes/mapping?&request_id=" + request_id, token);
          return r.status == 200 && r.body.find("confirmed") != std::string::npos;
        },
        10s));
    EXPECT_EQ(node->subscribe("node/" + node_id + "/params/remote"), 1);
    EXPECT_TRUE(node->publish(
        "$aws/rules/esp_init_params/node/" + node_id + "/params/local/init",
        R"({"Light":{"Name":"Light","Power":false,"Brightness":50,"Hue":0,"Saturation":100},)"
        R"("Time":{"TZ":"","TZ-POSIX":""},"Schedule":{"Schedules":[]},)"
        R"("System":{"Reboot":false,"Factory-Reset":false,"Wi-Fi-Reset":false}})"));
    return node;
  }

  static std::string user_id_of(const std::string& token) { return user_id_for(*stratusd_, token); }

  static json::value params_of(const std::string& node_id, const std::string& token) {
    const auto r = call("GET", "/v1/user/nodes/params?nodeid=" + node_id, token);
    if (r.status != 200)
      return nullptr;
    return json::parse(r.body);
  }

  // True once `token`'s user sees `node_id` disconnected (within 10 s).
  static bool eventually_offline(const std::string& node_id, const std::string& token) {
    return wait_until(
        [&] {
          const auto r = call("GET", "/v1/user/nodes/status?node_id=" + node_id, token);
          return r.status == 200 &&
                 !json::parse(r.body).at("connectivity").at("connected").as_bool();
        },
        10s);
  }

  static bool eventually_param(const std::string& node_id, const std::string& token,
                               const char* device, const char* param, const json::value& expected) {
    return wait_until(
        [&] {
          const auto p = params_of(node_id, token);
          if (!p.is_object() || !p.as_object().contains(device))
            return false;
          const auto* v = p.at(device).as_object().if_contains(param);
          return v != nullptr && *v == expected;
        },
        10s);
  }

  static TempDir* dir_;
  static StratusdProcess* stratusd_;
  static std::string* alice_;
  static std::string* bob_;
};

TempDir* NodesSystemTest::dir_ = nullptr;
StratusdProcess* NodesSystemTest::stratusd_ = nullptr;
std::string* NodesSystemTest::alice_ = nullptr;
std::string* NodesSystemTest::bob_ = nullptr;

TEST_F(NodesSystemTest, ConfigMappingInitSetReportAndRead) {
  auto node = boot_and_map("light1", *alice_);
  ASSERT_TRUE(eventually_param("light1", *alice_, "Light", "Power", false));

  // Set while online: the node receives exactly the payload on params/remote.
  auto r = call("PUT", "/v1/user/nodes/params", *alice_,
                R"([{"node_id":"light1","payload":{"Light":{"Power":true}}}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).as_array().at(0).at("status").as_string(), "success");
  const auto got = node->wait_message(
      [](const TestMessage& m) { return m.topic == "node/light1/params/remote"; });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(json::parse(got->payload), json::parse(R"({"Light":{"Power":true}})"));

  // The node applies it and reports the change (a delta): GET reflects the merge.
  ASSERT_TRUE(node->publish("$aws/rules/esp_set_params/node/light1/params/local",
                            R"({"Light":{"Power":true}})"));
  ASSERT_TRUE(eventually_param("light1", *alice_, "Light", "Power", true));
  EXPECT_EQ(params_of("light1", *alice_).at("Light").at("Brightness"), json::value(50))
      << "merged, not replaced";

  // An invalid set fails for that node with a clear reason and nothing is sent.
  r = call(
      "PUT", "/v1/user/nodes/params", *alice_,
      R"([{"node_id":"light1","payload":{"Light":{"Brightness":150}}},{"node_id":"light1","payload":{"Light":{"Hue":90}}}])");
  ASSERT_EQ(r.status, 207) << r.body;
  const auto results = json::parse(r.body).as_array();
  EXPECT_EQ(results.at(0).at("status").as_string(), "failure");
  EXPECT_NE(std::string(results.at(0).at("description").as_string()).find("Brightness"),
            std::string::npos);
  EXPECT_EQ(results.at(1).at("status").as_string(), "success");
  const auto next = node->wait_message(
      [](const TestMessage& m) { return m.topic == "node/light1/params/remote"; });
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(json::parse(next->payload), json::parse(R"({"Light":{"Hue":90}})"))
      << "the invalid set was not sent";

  // Config verbatim, status with ms timestamps, details listing.
  r = call("GET", "/v1/user/nodes/config?node_id=light1", *alice_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json::parse(source_file("tests/data/node_config_light.json")));
  r = call("GET", "/v1/user/nodes/status?nodeid=light1", *alice_);
  const auto status = json::parse(r.body).at("connectivity");
  EXPECT_TRUE(status.at("connected").as_bool());
  EXPECT_GT(status.at("timestamp").as_int64(), 1700000000000);
  r = call("GET", "/v1/user/nodes?node_details=true", *alice_);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto list = json::parse(r.body);
  EXPECT_EQ(list.at("total").as_int64(), 1);
  const auto& d = list.at("node_details").as_array().at(0);
  EXPECT_EQ(d.at("id").as_string(), "light1");
  EXPECT_EQ(d.at("node_id").as_string(), "light1");
  EXPECT_EQ(d.at("role").as_string(), "primary");
  EXPECT_TRUE(d.at("primary").as_bool());
  EXPECT_TRUE(d.at("params").at("Light").at("Power").as_bool());
  r = call("GET", "/v1/user/nodes", *alice_);
  EXPECT_EQ(json::parse(r.body).at("nodes"), json::parse(R"(["light1"])"));
}

// The firmware's Connectivity service leaves a Last Will on `node/<id>/params/local`
// (spec rainmaker.md §1.1): when the node drops without DISCONNECT, the broker publishes
// it, and the node's params take it like any report. mosquitto checks a will after closing
// the socket (no certificate then: the plugin refused it as no node's) and hands it to no
// plugin's message event, so the plugin takes it at that check.
TEST_F(NodesSystemTest, ANodesLastWillIsTakenAsItsReport) {
  auto node = boot_and_map("lw1", *alice_);
  ASSERT_TRUE(eventually_param("lw1", *alice_, "Light", "Power", false));
  node->disconnect();
  auto options = node_options("lw1");
  options.will_topic = "node/lw1/params/local";
  options.will_payload = R"({"Light":{"Power":true}})";
  TestMqttClient with_will(options);
  ASSERT_EQ(with_will.connect(), 0);
  with_will.disconnect();  // a clean DISCONNECT: the broker drops the will
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(params_of("lw1", *alice_).at("Light").at("Power"), json::value(false));
  TestMqttClient again(options);
  ASSERT_EQ(again.connect(), 0);
  again.drop();  // power lost: the broker publishes the will
  EXPECT_TRUE(eventually_param("lw1", *alice_, "Light", "Power", true));
}

TEST_F(NodesSystemTest, ASetWhileOfflineArrivesAfterReconnect) {
  auto node = boot_and_map("light2", *alice_);
  ASSERT_TRUE(eventually_param("light2", *alice_, "Light", "Power", false));
  node->drop();  // power loss: no DISCONNECT, no will
  ASSERT_TRUE(eventually_offline("light2", *alice_));
  auto r = call("PUT", "/v1/user/nodes/params", *alice_,
                R"([{"node_id":"light2","payload":{"Light":{"Power":true}}}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).as_array().at(0).as_object().contains("queued")) << r.body;
  r = call("PUT", "/v1/user/nodes/params", *alice_,
           R"([{"node_id":"light2","payload":{"Light":{"Brightness":80}}}])");
  ASSERT_EQ(r.status, 200) << r.body;

  // Reconnect: the firmware re-subscribes and sends its cmd-resp poll (§1.4).
  TestMqttClient again(node_options("light2"));
  ASSERT_EQ(again.connect(), 0);
  ASSERT_EQ(again.subscribe("node/light2/params/remote"), 1);
  // The poll is the firmware's empty answer: bytes 01 00 03 01 00 05 02 00 00 (spec §3.4).
  ASSERT_TRUE(again.publish("$aws/rules/esp_cmd_resp/node/light2/from-node",
                            std::string("\x01\x00\x03\x01\x00\x05\x02\x00\x00", 9)));
  const auto got = again.wait_message(
      [](const TestMessage& m) { return m.topic == "node/light2/params/remote"; });
  ASSERT_TRUE(got.has_value()) << "queued params delivered";
  EXPECT_EQ(json::parse(got->payload), json::parse(R"({"Light":{"Power":true,"Brightness":80}})"));
}

// Issue 13, Medium 6: firmware without cmd-resp only re-subscribes on reconnect; the
// plugin's subscription event is enough for the queued set to arrive.
TEST_F(NodesSystemTest, ASetWhileOfflineArrivesWhenTheNodeOnlySubscribes) {
  auto node = boot_and_map("light2s", *alice_);
  ASSERT_TRUE(eventually_param("light2s", *alice_, "Light", "Power", false));
  node->drop();
  ASSERT_TRUE(eventually_offline("light2s", *alice_));
  auto r = call("PUT", "/v1/user/nodes/params", *alice_,
                R"([{"node_id":"light2s","payload":{"Light":{"Hue":120}}}])");
  ASSERT_EQ(r.status, 200) << r.body;

  TestMqttClient again(node_options("light2s"));
  ASSERT_EQ(again.connect(), 0);
  ASSERT_EQ(again.subscribe("node/light2s/params/remote"), 1);  // and nothing else
  const auto got = again.wait_message(
      [](const TestMessage& m) { return m.topic == "node/light2s/params/remote"; });
  ASSERT_TRUE(got.has_value()) << "queued params delivered on the subscription alone";
  EXPECT_EQ(json::parse(got->payload), json::parse(R"({"Light":{"Hue":120}})"));
}

TEST_F(NodesSystemTest, AnotherUserGetsWhatAnUnknownNodeGets) {
  auto node = boot_and_map("light3", *alice_);
  ASSERT_TRUE(eventually_param("light3", *alice_, "Light", "Power", false));
  for (const char* route : {"/v1/user/nodes/params?nodeid=", "/v1/user/nodes/config?nodeid=",
                            "/v1/user/nodes/status?node_id="}) {
    const auto theirs = call("GET", std::string(route) + "light3", *bob_);
    const auto unknown = call("GET", std::string(route) + "no-such-node", *bob_);
    EXPECT_EQ(theirs.status, 404) << route;
    EXPECT_EQ(theirs.status, unknown.status) << route;
    EXPECT_EQ(theirs.body, unknown.body) << route;
  }
  const auto set = call("PUT", "/v1/user/nodes/params", *bob_,
                        R"([{"node_id":"light3","payload":{"Light":{"Power":true}}}])");
  EXPECT_EQ(set.status, 207);
  const auto list = call("GET", "/v1/user/nodes", *bob_);
  EXPECT_EQ(json::parse(list.body).at("total").as_int64(), 0);
  // Marker: a set by the owner arrives; bob's never did.
  ASSERT_EQ(call("PUT", "/v1/user/nodes/params", *alice_,
                 R"([{"node_id":"light3","payload":{"Light":{"Hue":10}}}])")
                .status,
            200);
  const auto got = node->wait_message(
      [](const TestMessage& m) { return m.topic == "node/light3/params/remote"; });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(json::parse(got->payload), json::parse(R"({"Light":{"Hue":10}})"));
}

TEST_F(NodesSystemTest, GarbageOnNodeTopicsChangesNothing) {
  auto node = boot_and_map("light4", *alice_);
  ASSERT_TRUE(eventually_param("light4", *alice_, "Light", "Power", false));
  const auto before_params = params_of("light4", *alice_);
  const auto before_config = call("GET", "/v1/user/nodes/config?node_id=light4", *alice_).body;
  const std::string base = "$aws/rules/x/node/light4/";
  for (const char* suffix :
       {"params/local", "params/local/init", "config", "alert", "user/mapping"}) {
    ASSERT_TRUE(node->publish(base + suffix, "{not json"));
    ASSERT_TRUE(node->publish(base + suffix, std::string("\x00\xff\xfe binary", 10)));
    ASSERT_TRUE(node->publish(base + suffix, "[1,2,3]"));
  }
  ASSERT_TRUE(node->publish(base + "user/mapping",
                            R"({"node_id":"other","user_id":"x","secret_key":"y"})"));
  ASSERT_TRUE(node->publish(base + "params/local",
                            std::string(128 * 1024, 'x')));  // over nodes.max_payload_bytes
  // A valid delta after the garbage is applied: everything before it was processed.
  ASSERT_TRUE(node->publish(base + "params/local", R"({"Light":{"Saturation":42}})"));
  ASSERT_TRUE(eventually_param("light4", *alice_, "Light", "Saturation", 42));
  auto after = params_of("light4", *alice_);
  after.as_object()["Light"].as_object()["Saturation"] = before_params.at("Light").at("Saturation");
  EXPECT_EQ(after, before_params);
  EXPECT_EQ(call("GET", "/v1/user/nodes/config?node_id=light4", *alice_).body, before_config);
  EXPECT_EQ(call("GET", "/v1/user/nodes?node_id=light4", *alice_).status, 200) << "mapping intact";

  // A 1 MB message exceeds the broker's packet limit: the broker drops the node.
  TestMqttClient big(node_options("light5"));
  ASSERT_EQ(big.connect(), 0);
  (void)big.publish("$aws/rules/x/node/light5/config", std::string(1024 * 1024, '{'), 2s);
  const auto health = call("GET", "/healthz", "");
  EXPECT_EQ(health.status, 200) << health.body;
  const auto metrics = call("GET", "/metrics", "").body;
  EXPECT_NE(metrics.find("stratus_link_dropped_total{reason=\"malformed\"}"), std::string::npos);
  EXPECT_NE(metrics.find("stratus_link_dropped_total{reason=\"oversize\"} 1"), std::string::npos)
      << metrics;
}

TEST_F(NodesSystemTest, TagsAndMetadataFollowTheMergeRules) {
  auto node = boot_and_map("light6", *alice_);
  ASSERT_TRUE(eventually_param("light6", *alice_, "Light", "Power", false));
  const auto put = [&](const std::string& body) {
    return call("PUT", "/v1/user/nodes?node_id=light6", *alice_, body);
  };
  const auto view = [&] {
    return json::parse(call("GET", "/v1/user/nodes?node_details=true&node_id=light6", *alice_).body)
        .at("node_details")
        .as_array()
        .at(0)
        .as_object();
  };
  ASSERT_EQ(put(R"({"tags":["room:kitchen","floor:1"]})").status, 200);
  ASSERT_EQ(
      put(R"({"tags":["room:kitchen"],"metadata":{"a":{"x":1,"y":2},"list":[1,2],"gone":true}})")
          .status,
      200);
  EXPECT_EQ(view().at("tags"), json::parse(R"(["room:kitchen","floor:1"])"));
  ASSERT_EQ(put(R"({"metadata":{"a":{"y":null,"z":3},"list":[9],"gone":null}})").status, 200);
  EXPECT_EQ(view().at("metadata"), json::parse(R"({"a":{"x":1,"z":3},"list":[9]})"));
  ASSERT_EQ(put(R"({"metadata":{}})").status, 200);
  EXPECT_EQ(view().at("metadata"), json::parse(R"({"a":{"x":1,"z":3},"list":[9]})"))
      << "{} changes nothing";
  ASSERT_EQ(
      call("DELETE", "/v1/user/nodes?node_id=light6", *alice_, R"({"tags":["floor:1"]})").status,
      200);
  EXPECT_EQ(view().at("tags"), json::parse(R"(["room:kitchen"])"));
  ASSERT_EQ(put(R"({"metadata":null})").status, 200);
  EXPECT_EQ(view().at("metadata"), json::parse("{}"));
  // Bad input: clear failure, nothing changed; another user: not found.
  EXPECT_EQ(put(R"({"tags":["nocolon"]})").status, 400);
  EXPECT_EQ(put(R"({"tags":"room:x"})").status, 400);
  EXPECT_EQ(put(R"({"metadata":[1]})").status, 400);
  EXPECT_EQ(view().at("tags"), json::parse(R"(["room:kitchen"])"));
  EXPECT_EQ(call("PUT", "/v1/user/nodes?node_id=light6", *bob_, R"({"tags":["a:b"]})").status, 404);
}

TEST_F(NodesSystemTest, MappingWorksInEitherOrderAndResetDropsUsers) {
  // The node's message first, then the user's request.
  TestMqttClient node(node_options("light7"));
  ASSERT_EQ(node.connect(), 0);
  ASSERT_TRUE(node.publish("$aws/rules/esp_node_config/node/light7/config",
                           source_file("tests/data/node_config_light.json")));
  ASSERT_TRUE(node.publish(
      "$aws/rules/esp_user_node_mapping/node/light7/user/mapping",
      R"({"node_id":"light7","user_id":")" + user_id_of(*bob_) + R"(","secret_key":"first"})"));
  ASSERT_TRUE(node.publish("$aws/rules/esp_set_params/node/light7/params/local/init",
                           R"({"Light":{"Power":true}})"));
  const auto r = call("PUT", "/v1/user/nodes/mapping", *bob_,
                      R"({"node_id":"light7","secret_key":"first","operation":"add"})");
  ASSERT_EQ(r.status, 200);
  const std::string request_id(json::parse(r.body).at("request_id").as_string());
  EXPECT_TRUE(wait_until(
      [&] {
        return call("GET", "/v1/user/nodes/mapping?request_id=" + request_id, *bob_)
                   .body.find("confirmed") != std::string::npos;
      },
      10s));
  EXPECT_TRUE(eventually_param("light7", *bob_, "Light", "Power", true));
  // A wrong secret maps nobody.
  const auto wrong = call("PUT", "/v1/user/nodes/mapping", *alice_,
                          R"({"node_id":"light7","secret_key":"guess","operation":"add"})");
  ASSERT_EQ(wrong.status, 200);
  EXPECT_EQ(call("GET", "/v1/user/nodes/params?nodeid=light7", *alice_).status, 404);

  // Factory reset: the firmware's dummy mapping drops every user (spec §1.3).
  ASSERT_TRUE(node.publish(
      "$aws/rules/esp_user_node_mapping/node/light7/user/mapping",
      R"({"node_id":"light7","user_id":"esp-rmaker","secret_key":"failed","reset":true})"));
  EXPECT_TRUE(wait_until(
      [&] { return call("GET", "/v1/user/nodes/params?nodeid=light7", *bob_).status == 404; },
      10s));
}

// Host-driven claiming as the RainMaker CLI does it: the certificate from
// /claim/verify is what the node then uses for mutual TLS.
TEST_F(NodesSystemTest, ACertificateFromClaimingConnectsAndWorks) {
  auto init =
      call("POST", "/claim/initiate", *alice_, R"({"mac_addr":"7CDFA1B2C3D4","platform":"esp32"})");
  ASSERT_EQ(init.status, 200) << init.body;
  const std::string node_id(json::parse(init.body).at("node_id").as_string());
  auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
  const auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
  const auto verify = call("POST", "/claim/verify?matter=False&test=True", *alice_,
                           json::serialize(json::object{{"csr", *csr}}));
  ASSERT_EQ(verify.status, 200) << verify.body;
  const auto answer = json::parse(verify.body);
  const auto cert = pki::Certificate::from_pem(answer.at("certificate").as_string());
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->subject_cn(), node_id);
  EXPECT_EQ(verify.header("Content-Length").value_or(""), std::to_string(verify.body.size()));

  TestMqttOptions o;
  o.port = stratusd_->mqtt_port();
  o.client_id = node_id;
  o.ca_file = (stratusd_->data_dir() / "pki/ca.crt").string();
  o.cert_file = (dir_->path() / "claimed.crt").string();
  o.key_file = (dir_->path() / "claimed.key").string();
  std::ofstream(o.cert_file) << cert->to_pem();
  std::ofstream(o.key_file) << key->to_pem();
  TestMqttClient node(o);
  ASSERT_EQ(node.connect(), 0) << "the claimed certificate is accepted for mutual TLS";
  ASSERT_TRUE(node.publish("$aws/rules/esp_node_config/node/" + node_id + "/config",
                           source_file("tests/data/node_config_light.json")));
  const auto mapping =
      call("PUT", "/v1/user/nodes/mapping", *alice_,
           R"({"node_id":")" + node_id + R"(","secret_key":"k","operation":"add"})");
  ASSERT_EQ(mapping.status, 200);
  ASSERT_TRUE(node.publish("$aws/rules/esp_user_node_mapping/node/" + node_id + "/user/mapping",
                           R"({"node_id":")" + node_id + R"(","user_id":")" + user_id_of(*alice_) +
                               R"(","secret_key":"k"})"));
  ASSERT_TRUE(node.publish("$aws/rules/esp_init_params/node/" + node_id + "/params/local/init",
                           R"({"Light":{"Power":true}})"));
  EXPECT_TRUE(eventually_param(node_id, *alice_, "Light", "Power", true));
}

// Issue 13, High 2: the user who claimed a node cannot get a new certificate for it once
// it belongs to someone else; a new certificate revokes the earlier ones, and the broker
// drops the session that uses a revoked one and refuses it at connect.
TEST_F(NodesSystemTest, ReissueIsForThePrimaryUserAndRevokesEarlierCertificates) {
  auto init =
      call("POST", "/claim/initiate", *alice_, R"({"mac_addr":"7CDFA1B2C3E5","platform":"esp32"})");
  ASSERT_EQ(init.status, 200) << init.body;
  const std::string node_id(json::parse(init.body).at("node_id").as_string());
  // A certificate from /claim/verify with `token`, written for a TestMqttClient.
  const auto claim = [&](const std::string& token, const std::string& name) -> HttpReply {
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    const auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
    const auto verify =
        call("POST", "/claim/verify", token, json::serialize(json::object{{"csr", *csr}}));
    if (verify.status == 200) {
      std::ofstream(dir_->path() / (name + ".crt"))
          << std::string(json::parse(verify.body).at("certificate").as_string());
      std::ofstream(dir_->path() / (name + ".key")) << key->to_pem();
    }
    return verify;
  };
  const auto options = [&](const std::string& name) {
    TestMqttOptions o;
    o.port = stratusd_->mqtt_port();
    o.client_id = node_id;
    o.ca_file = (stratusd_->data_dir() / "pki/ca.crt").string();
    o.cert_file = (dir_->path() / (name + ".crt")).string();
    o.key_file = (dir_->path() / (name + ".key")).string();
    return o;
  };
  ASSERT_EQ(claim(*alice_, "first").status, 200);
  TestMqttClient first(options("first"));
  ASSERT_EQ(first.connect(), 0);

  // alice claims again (a retried CLI run): allowed, and the first certificate is revoked.
  ASSERT_EQ(claim(*alice_, "second").status, 200);
  EXPECT_TRUE(wait_until([&] { return !first.connected(); }, 10s))
      << "the broker drops the session of the revoked certificate";
  TestMqttClient again(options("first"));
  EXPECT_NE(again.connect(), 0) << "and refuses it at connect";

  // bob maps the node (the node's add-user with reset, then bob's request).
  TestMqttClient node(options("second"));
  ASSERT_EQ(node.connect(), 0);
  const auto mapping =
      call("PUT", "/v1/user/nodes/mapping", *bob_,
           R"({"node_id":")" + node_id + R"(","secret_key":"b0b","operation":"add"})");
  ASSERT_EQ(mapping.status, 200) << mapping.body;
  ASSERT_TRUE(node.publish("$aws/rules/esp_user_node_mapping/node/" + node_id + "/user/mapping",
                           R"({"node_id":")" + node_id + R"(","user_id":")" + user_id_of(*bob_) +
                               R"(","secret_key":"b0b","reset":true})"));
  const std::string request_id(json::parse(mapping.body).at("request_id").as_string());
  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = call("GET", "/v1/user/nodes/mapping?request_id=" + request_id, *bob_);
        return r.body.find("confirmed") != std::string::npos;
      },
      10s));

  const auto stolen = claim(*alice_, "stolen");
  EXPECT_EQ(stolen.status, 403) << stolen.body;
  EXPECT_NE(stolen.body.find("150013"), std::string::npos) << stolen.body;
  EXPECT_TRUE(node.connected()) << "bob's node keeps its session";

  // bob, the primary user now, may re-issue: the node's current certificate is revoked.
  ASSERT_EQ(claim(*bob_, "bobs").status, 200);
  EXPECT_TRUE(wait_until([&] { return !node.connected(); }, 10s));
  TestMqttClient bobs(options("bobs"));
  EXPECT_EQ(bobs.connect(), 0);
}

// The fixture, replayed by a node that never ran firmware, must produce the same
// REST view as a node driven step by step.
TEST_F(NodesSystemTest, FirmwareBootSequenceFixtureGivesTheSameRestView) {
  const std::string user_id = user_id_of(*alice_);
  // The replayed node asks for the mapping first (REST side), as the app would.
  const auto mapping = call("PUT", "/v1/user/nodes/mapping", *alice_,
                            R"({"node_id":"replayed","secret_key":"k3y","operation":"add"})");
  ASSERT_EQ(mapping.status, 200) << mapping.body;
  TestMqttClient node(node_options("replayed"));
  ASSERT_EQ(node.connect(), 0);
  const std::string config = source_file("tests/data/node_config_light.json");
  const auto fill = [&](std::string text) {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"${NODE_ID}", "replayed"}, {"${USER_ID}", user_id}, {"${SECRET}", "k3y"}}) {
      for (auto at = text.find(from); at != std::string::npos;
           at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
      }
    }
    return text;
  };
  std::istringstream lines(source_file("tests/data/boot_sequence_light.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto step = json::parse(fill(line)).as_object();
    if (const auto* sub = step.if_contains("subscribe")) {
      ASSERT_EQ(node.subscribe(std::string(sub->as_string())), 1);
      continue;
    }
    if (!step.contains("topic"))
      continue;
    std::string payload;
    if (const auto* hex = step.if_contains("payload_hex")) {
      const std::string h(hex->as_string());
      for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
        payload += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
      }
    } else if (step.at("payload").is_string() && step.at("payload").as_string() == "${CONFIG}") {
      payload = config;
    } else {
      payload = json::serialize(step.at("payload"));
    }
    ASSERT_TRUE(node.publish(std::string(step.at("topic").as_string()), payload));
  }
  ASSERT_TRUE(eventually_param("replayed", *alice_, "Light", "Power", true));

  // The same steps driven one by one on a live node.
  auto live = boot_and_map("live", *alice_);
  ASSERT_TRUE(live->publish("$aws/rules/esp_set_params/node/live/params/local",
                            R"({"Light":{"Power":true}})"));
  ASSERT_TRUE(eventually_param("live", *alice_, "Light", "Power", true));
  EXPECT_EQ(params_of("replayed", *alice_), params_of("live", *alice_));
  EXPECT_EQ(call("GET", "/v1/user/nodes/config?node_id=replayed", *alice_).body,
            call("GET", "/v1/user/nodes/config?node_id=live", *alice_).body);
  const auto details = [&](const char* id) {
    auto d = json::parse(
                 call("GET", std::string("/v1/user/nodes?node_details=true&node_id=") + id, *alice_)
                     .body)
                 .at("node_details")
                 .as_array()
                 .at(0)
                 .as_object();
    for (const char* volatile_key : {"id", "node_id", "mapping_timestamp", "status"})
      d.erase(volatile_key);
    return d;
  };
  EXPECT_EQ(details("replayed"), details("live"));
}

// Kept last: it kills the shared broker. Every session dies with it, and the
// nodes must not stay "connected" in the REST view.
TEST_F(NodesSystemTest, NodesGoOfflineWhenTheBrokerDiesAndBackOnlineAfter) {
  auto node = boot_and_map("light9", *alice_);
  ASSERT_TRUE(eventually_param("light9", *alice_, "Light", "Power", false));
  const auto connected = [&] {
    const auto r = call("GET", "/v1/user/nodes/status?node_id=light9", *alice_);
    return json::parse(r.body).at("connectivity").at("connected").as_bool();
  };
  ASSERT_TRUE(connected());
  const auto pids =
      processes_mentioning((stratusd_->data_dir() / "broker" / "mosquitto.conf").string());
  ASSERT_EQ(pids.size(), 1u);
  ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !connected(); }, 10s));
  TestMqttClient back(node_options("light9"));
  EXPECT_TRUE(wait_until([&] { return back.connect() == 0; }, 20s));
  EXPECT_TRUE(wait_until(connected, 10s));
}

}  // namespace
}  // namespace stratus::test
