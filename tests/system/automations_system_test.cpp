// Proves cloud automations end to end (issue 16, docs/adr/0012): a switch turning on makes
// stratusd set a light's Power, recorded as `last_triggered`; with the light offline the
// set is queued and arrives when it reconnects; an automation naming another user's node,
// an unknown param or a bad check is refused with its code; the RainMaker CLI's shapes
// (wrapper and top-level keys for a GET by id; all-string POST answer) and PUT/DELETE.
// How: the real stratusd and mosquitto on free loopback ports; nodes are test MQTT
// clients with certificates from the data dir's CA.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class AutomationsSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ = new StratusdProcess(
        dir_->path() / "data",
        {"--set", "accounts.argon2_mem_limit_kib=8", "--set", "accounts.argon2_ops_limit=1"});
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    alice_ = new std::string(signed_up_token(*stratusd_, "alice@example.com"));
    bob_ = new std::string(signed_up_token(*stratusd_, "bob@example.com"));
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

  // Config, mapping to `token`'s user, params/remote subscription, initial params.
  static std::unique_ptr<TestMqttClient> boot_and_map(const std::string& node_id,
                                                      const std::string& token) {
    auto node =
        std::make_unique<TestMqttClient>(node_mqtt_options(*stratusd_, dir_->path(), node_id));
    EXPECT_EQ(node->connect(), 0);
    EXPECT_TRUE(node->publish("$aws/rules/esp_node_config/node/" + node_id + "/config",
                              source_file("tests/data/node_config_light.json")));
    const std::string user_id = user_id_for(*stratusd_, token);
    const auto mapping =
        call("PUT", "/v1/user/nodes/mapping", token,
             R"({"node_id":")" + node_id + R"(","secret_key":"s3cr3t","operation":"add"})");
    EXPECT_EQ(mapping.status, 200) << mapping.body;
    const std::string request_id(json::parse(mapping.body).at("request_id").as_string());
    EXPECT_TRUE(node->publish("$aws/rules/esp_user_node_mapping/node/" + node_id + "/user/mapping",
                              R"({"node_id":")" + node_id + R"(","user_id":")" + user_id +
                                  R"(","secret_key":"s3cr3t","reset":true})"));
    EXPECT_TRUE(wait_until(
        [&] {
          const auto r = call("GET", "/v1/user/nodes/mapping?request_id=" + request_id, token);
          return r.status == 200 && r.body.find("confirmed") != std::string::npos;
        },
        10s));
    EXPECT_EQ(node->subscribe("node/" + node_id + "/params/remote"), 1);
    report(*node, node_id, R"({"Light":{"Name":"Light","Power":false,"Brightness":50}})");
    EXPECT_TRUE(wait_until(
        [&] {
          return call("GET", "/v1/user/nodes/params?node_id=" + node_id, token).status == 200;
        },
        10s));
    return node;
  }

  static void report(TestMqttClient& node, const std::string& node_id, const std::string& params) {
    EXPECT_TRUE(node.publish("$aws/rules/esp_node/node/" + node_id + "/params/local", params));
  }

  static std::string automation(const std::string& trigger, const std::string& target,
                                const std::string& name) {
    return R"({"name":")" + name + R"(","event_type":"node_params","node_id":")" + trigger +
           R"(","events":[{"params":{"Light":{"Power":true}},"check":"=="}],)"
           R"("actions":[{"node_id":")" +
           target + R"(","params":{"Light":{"Power":true,"Brightness":80}}}],"retrigger":false})";
  }

  static std::optional<TestMessage> next_set(TestMqttClient& node, const std::string& node_id) {
    const auto topic = "node/" + node_id + "/params/remote";
    return node.wait_message([&](const TestMessage& m) { return m.topic == topic; }, 10s);
  }

  static inline TempDir* dir_ = nullptr;
  static inline StratusdProcess* stratusd_ = nullptr;
  static inline std::string* alice_ = nullptr;
  static inline std::string* bob_ = nullptr;
};

TEST_F(AutomationsSystemTest, ASwitchTurningOnSetsTheLight) {
  auto sw = boot_and_map("auto-sw1", *alice_);
  auto light = boot_and_map("auto-lt1", *alice_);
  const auto created =
      call("POST", "/v1/user/node_automation", *alice_, automation("auto-sw1", "auto-lt1", "Hall"));
  ASSERT_EQ(created.status, 200) << created.body;
  const auto answer = json::parse(created.body).as_object();
  for (const auto& [key, value] : answer)
    EXPECT_TRUE(value.is_string()) << key << " must be a string (the iOS app reads a string map)";
  const std::string id(answer.at("automation_id").as_string());

  report(*sw, "auto-sw1", R"({"Light":{"Power":true}})");
  const auto set = next_set(*light, "auto-lt1");
  ASSERT_TRUE(set.has_value()) << "the light got no set\n" << stratusd_->output();
  EXPECT_EQ(json::parse(set->payload), json::parse(R"({"Light":{"Power":true,"Brightness":80}})"));

  // The firing is recorded; a GET by id answers both shapes the clients read.
  ASSERT_TRUE(wait_until(
      [&] {
        return call("GET", "/v1/user/node_automation?automation_id=" + id, *alice_)
                   .body.find("last_triggered") != std::string::npos;
      },
      10s));
  const auto one =
      json::parse(call("GET", "/v1/user/node_automation?automation_id=" + id, *alice_).body)
          .as_object();
  EXPECT_EQ(one.at("name"), "Hall");
  EXPECT_EQ(one.at("automation_trigger_actions").as_array().size(), 1u);
  EXPECT_EQ(one.at("last_triggered").at("cause"), "Light.Power == true");
  EXPECT_EQ(one.at("last_triggered").at("results").at(0).at("status"), "success");

  // Still on: no second firing. Off and on again: one more.
  report(*sw, "auto-sw1", R"({"Light":{"Power":true,"Brightness":10}})");
  report(*sw, "auto-sw1", R"({"Light":{"Power":false}})");
  report(*sw, "auto-sw1", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(next_set(*light, "auto-lt1").has_value());
  EXPECT_FALSE(light->wait_message(
      [](const TestMessage& m) { return m.topic == "node/auto-lt1/params/remote"; }, 300ms))
      << "one firing per edge: the report while still on set nothing";

  // Disabled: nothing fires; removed: gone.
  ASSERT_EQ(
      call("PUT", "/v1/user/node_automation?automation_id=" + id, *alice_, R"({"enabled":false})")
          .status,
      200);
  ASSERT_EQ(call("DELETE", "/v1/user/node_automation?automation_id=" + id, *alice_).status, 200);
  EXPECT_EQ(call("GET", "/v1/user/node_automation?automation_id=" + id, *alice_).status, 404);
}

TEST_F(AutomationsSystemTest, AnOfflineLightGetsTheSetWhenItReconnects) {
  auto sw = boot_and_map("auto-sw2", *alice_);
  auto light = boot_and_map("auto-lt2", *alice_);
  ASSERT_EQ(
      call("POST", "/v1/user/node_automation", *alice_, automation("auto-sw2", "auto-lt2", "Porch"))
          .status,
      200);
  light->drop();
  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = call("GET", "/v1/user/nodes/status?node_id=auto-lt2", *alice_);
        return r.status == 200 && !json::parse(r.body).at("connectivity").at("connected").as_bool();
      },
      10s));
  report(*sw, "auto-sw2", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(wait_until(
      [&] {
        return call("GET", "/v1/user/node_automation?node_id=auto-sw2", *alice_)
                   .body.find("queued") != std::string::npos;
      },
      10s));
  TestMqttClient again(node_mqtt_options(*stratusd_, dir_->path(), "auto-lt2"));
  ASSERT_EQ(again.connect(), 0);
  ASSERT_EQ(again.subscribe("node/auto-lt2/params/remote"), 1);
  const auto set = next_set(again, "auto-lt2");
  ASSERT_TRUE(set.has_value()) << "the queued set was not delivered";
  EXPECT_EQ(json::parse(set->payload), json::parse(R"({"Light":{"Power":true,"Brightness":80}})"));
}

TEST_F(AutomationsSystemTest, BadAutomationsAreRefusedWithTheirCodes) {
  auto mine = boot_and_map("auto-a3", *alice_);
  auto theirs = boot_and_map("auto-b3", *bob_);
  const auto code_of = [](const HttpReply& r) {
    return json::parse(r.body).at("error_code").to_number<std::int64_t>();
  };
  auto r = call("POST", "/v1/user/node_automation", *alice_, automation("auto-a3", "auto-b3", "X"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(code_of(r), 127018) << "another user's node as the action";
  r = call("POST", "/v1/user/node_automation", *alice_, automation("auto-b3", "auto-a3", "X"));
  EXPECT_EQ(code_of(r), 127018) << "another user's node as the trigger";
  r = call(
      "POST", "/v1/user/node_automation", *alice_,
      R"({"name":"X","node_id":"auto-a3","events":[{"params":{"Light":{"Colour":1}},"check":"=="}],)"
      R"("actions":[{"node_id":"auto-a3","params":{"Light":{"Power":true}}}]})");
  EXPECT_EQ(code_of(r), 127023) << "no such param (and event_type defaults to node_params)";
  r = call(
      "POST", "/v1/user/node_automation", *alice_,
      R"({"name":"X","node_id":"auto-a3","events":[{"params":{"Light":{"Power":true}},"check":"=>"}],)"
      R"("actions":[{"node_id":"auto-a3","params":{"Light":{"Power":true}}}]})");
  EXPECT_EQ(code_of(r), 127017);
  r = call(
      "POST", "/v1/user/node_automation", *alice_,
      R"({"name":"X","node_id":"auto-a3","events":[{"params":{"Light":{"Power":true}},"check":"=="}],)"
      R"("actions":[{"node_id":"auto-a3","params":{"Light":{"Brightness":"max"}}}]})");
  EXPECT_EQ(code_of(r), 127100) << r.body;
  r = call("POST", "/v1/user/node_automation", *alice_, R"({"name":"X","events":"all"})");
  EXPECT_EQ(r.status, 400);
  r = call(
      "POST", "/v1/user/node_automation", *alice_,
      R"({"name":"X","node_id":"auto-a3","events":[{"params":{"Light":{"Power":true}},"check":"=="}],)"
      R"("actions":[{"node_id":"auto-a3","params":{"Light":{"Power":true}}}],"metadata":{"k":")" +
          std::string(16 * 1024, 'x') + R"("}})");
  EXPECT_EQ(code_of(r), 100006) << "metadata over 16 KiB";
  EXPECT_EQ(call("GET", "/v1/user/node_automation", *alice_).body.find("\"X\""), std::string::npos)
      << "nothing was stored";
  r = call(
      "POST", "/v1/user/node_automation", *alice_,
      R"({"name":"Dawn","event_type":"weather","location":{"latitude":"52.52","longitude":"13.40"},)"
      R"("events":[{"params":{"weather_condition":"Rain"},"check":"=="}],)"
      R"("actions":[{"node_id":"auto-a3","params":{"Light":{"Power":false}}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto listed =
      json::parse(call("GET", "/v1/user/node_automation", *alice_).body).as_object();
  bool unsupported = false;
  for (const auto& a : listed.at("automation_trigger_actions").as_array())
    unsupported = unsupported || (a.at("name") == "Dawn" && a.at("status") == "unsupported");
  EXPECT_TRUE(unsupported) << "weather is stored and says it is not evaluated";
  EXPECT_FALSE(listed.contains("next_id"));
}

}  // namespace
}  // namespace stratus::test
