// Proves that NodeSession speaks the node side of RainMaker MQTT as the firmware does: the
// boot order (config, mapping, subscribe, init, time series), nothing re-sent on a
// reconnect but the subscriptions and offline changes, validated remote sets re-reported,
// time-series records stamped with the clock, alerts cut to 100 bytes, and a reboot that
// starts over. How: feed events with a ManualClock and compare the actions produced.
#include "agent/node_session.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "agent/standard.hpp"

namespace stratus::agent {
namespace {

namespace json = boost::json;

model::NodeInfo info(std::string name) {
  model::NodeInfo i;
  i.name = std::move(name);
  i.fw_version = "1.0";
  i.type = "Lightbulb";
  return i;
}
using std::chrono::seconds;

constexpr auto kStart = std::chrono::system_clock::time_point(seconds(1'700'000'000));

model::DeviceSpec device(std::string name, std::string type, std::vector<model::ParamSpec> params) {
  model::DeviceSpec d;
  d.name = std::move(name);
  d.type = std::move(type);
  d.params = std::move(params);
  return d;
}

std::unique_ptr<NodeModel> sensor_light_node() {
  auto node = std::make_unique<NodeModel>("N1", info("Lab"));
  EXPECT_TRUE(
      node->add_device(device("Light", "esp.device.light",
                              {standard::param("Power", "esp.param.power", model::DataType::boolean,
                                               standard::read | standard::write)}),
                       {{"Power", false}})
          .has_value());
  auto temperature = standard::temperature_param();
  temperature.ui_type.clear();
  EXPECT_TRUE(node->add_device(
                      device("Sensor", "",
                             {temperature, standard::param("Humidity", "", model::DataType::integer,
                                                           standard::read | standard::simple_ts)}),
                      {{"Temperature", 21.5}, {"Humidity", 40}})
                  .has_value());
  return node;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4U];
    out += kDigits[b & 0xFU];
  }
  return out;
}

// "pub <topic> <payload>" / "sub <filter>", one string per action, for readable asserts.
std::vector<std::string> lines(const MqttActions& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) {
    if (a.kind == MqttAction::Kind::subscribe) {
      out.push_back("sub " + a.topic);
    } else if (a.topic.ends_with("from-node")) {
      out.push_back("pub " + a.topic + " " + hex(a.payload));  // binary TLV
    } else {
      out.push_back("pub " + a.topic + " " + a.payload);
    }
  }
  return out;
}

class NodeSessionTest : public ::testing::Test {
 protected:
  ManualClock clock{kStart};
  std::unique_ptr<NodeModel> node = sensor_light_node();
  NodeSession session{*node, clock};
  MqttActions out;

  std::vector<std::string> take() {
    auto l = lines(out);
    out.clear();
    return l;
  }
};

TEST_F(NodeSessionTest, FirstConnectSendsTheBootSequenceInFirmwareOrder) {
  session.on_connected(out);
  const auto l = take();
  ASSERT_EQ(l.size(), 7U);
  EXPECT_EQ(l[0], "pub node/N1/config " + node->config_json());
  EXPECT_EQ(l[1], "sub node/N1/params/remote");
  EXPECT_EQ(l[2], R"(pub node/N1/params/local/init {"Light":{"Power":false},)"
                  R"("Sensor":{"Temperature":2.15E1,"Humidity":40}})");
  EXPECT_EQ(l[3], R"(pub node/N1/tsdata {"ts_data_version":"2021-09-13","ts_data":[{"name":)"
                  R"("Sensor.Temperature","type":"esp.param.temperature","dt":"float",)"
                  R"("records":[{"t":1700000000,"v":2.15E1}]}]})");
  EXPECT_EQ(l[4], R"(pub node/N1/simple_tsdata {"name":"Sensor.Humidity","type":"","dt":"int",)"
                  R"("t":1700000000,"v":40})");
  EXPECT_EQ(l[5], "sub node/N1/to-node") << "cmd-resp comes last (spec §1.4 step 5)";
  EXPECT_EQ(l[6], "pub node/N1/from-node 010003010005020000") << "the empty poll";
  EXPECT_TRUE(session.booted());
  EXPECT_EQ(session.stats().connects, 1U);
}

TEST_F(NodeSessionTest, PendingMappingGoesAfterConfigAndBeforeTheSubscription) {
  session.start_mapping("user-1", "secret-1", out);
  EXPECT_TRUE(out.empty()) << "nothing is sent before the connection";
  session.on_connected(out);
  const auto l = take();
  ASSERT_GE(l.size(), 3U);
  EXPECT_EQ(l[0].substr(0, 20), "pub node/N1/config {");
  EXPECT_EQ(l[1], R"(pub node/N1/user/mapping {"node_id":"N1","user_id":"user-1",)"
                  R"("secret_key":"secret-1","reset":true})");
  EXPECT_EQ(l[2], "sub node/N1/params/remote");
}

TEST_F(NodeSessionTest, MappingWhileRunningIsSentAtOnceAndResetOnlyForANewUser) {
  session.on_connected(out);
  take();
  session.start_mapping("user-1", "s1", out);
  session.start_mapping("user-1", "s2", out);
  session.start_mapping("user-2", "s3", out);
  const auto l = take();
  ASSERT_EQ(l.size(), 3U);
  EXPECT_NE(l[0].find(R"("secret_key":"s1","reset":true})"), std::string::npos) << l[0];
  EXPECT_NE(l[1].find(R"("secret_key":"s2"})"), std::string::npos) << l[1];
  EXPECT_NE(l[2].find(R"("secret_key":"s3","reset":true})"), std::string::npos) << l[2];
}

TEST_F(NodeSessionTest, BasicIngestTopicsWhenAsked) {
  NodeSession firmware_like(*node, clock, {.basic_ingest_topics = true});
  firmware_like.start_mapping("u", "s", out);
  firmware_like.on_connected(out);
  const auto l = take();
  EXPECT_EQ(l[0].substr(0, 45), "pub $aws/rules/esp_node_config/node/N1/config");
  EXPECT_EQ(l[1].substr(0, 57), "pub $aws/rules/esp_user_node_mapping/node/N1/user/mapping");
  EXPECT_EQ(l[2], "sub node/N1/params/remote") << "subscriptions are always plain";
  EXPECT_EQ(l[3].substr(0, 58), "pub $aws/rules/esp_init_params/node/N1/params/local/init {");
  EXPECT_EQ(l[4].substr(0, 40), "pub $aws/rules/esp_ts_ingest/node/N1/tsd");
}

TEST_F(NodeSessionTest, LocalChangesAreReportedWithTimeSeriesStampedByTheClock) {
  session.on_connected(out);
  take();
  clock.advance(seconds(30));
  ASSERT_TRUE(node->update("Sensor", "Temperature", 22.0).has_value());
  ASSERT_TRUE(node->update("Light", "Power", true).has_value());
  session.report(out);
  const auto l = take();
  ASSERT_EQ(l.size(), 2U);
  EXPECT_EQ(l[0],
            R"(pub node/N1/params/local {"Sensor":{"Temperature":2.2E1},"Light":{"Power":true}})");
  EXPECT_NE(l[1].find(R"("records":[{"t":1700000030,"v":2.2E1}])"), std::string::npos) << l[1];
  session.report(out);
  EXPECT_TRUE(out.empty()) << "nothing changed since";
}

TEST_F(NodeSessionTest, ChangesBeforeTheFirstConnectGoIntoTheInitSnapshot) {
  ASSERT_TRUE(node->update("Light", "Power", true).has_value());
  session.report(out);
  EXPECT_TRUE(out.empty()) << "not connected";
  session.on_connected(out);
  const auto l = take();
  EXPECT_EQ(l[2].substr(0, 50), R"(pub node/N1/params/local/init {"Light":{"Power":tr)");
  for (const auto& line : l) {
    EXPECT_EQ(line.find("params/local {"), std::string::npos) << "no separate delta: " << line;
  }
}

TEST_F(NodeSessionTest, ReconnectResubscribesAndReportsOfflineChangesOnly) {
  session.on_connected(out);
  take();
  session.on_disconnected();
  ASSERT_TRUE(node->update("Light", "Power", true).has_value());
  session.report(out);
  EXPECT_TRUE(out.empty()) << "offline: the change waits";
  EXPECT_FALSE(session.raise_alert("lost", out)) << "alerts are dropped while offline";
  session.on_connected(out);
  const auto l = take();
  ASSERT_EQ(l.size(), 4U);
  EXPECT_EQ(l[0], "sub node/N1/params/remote");
  EXPECT_EQ(l[1], "sub node/N1/to-node");
  EXPECT_EQ(l[2], "pub node/N1/from-node 010003010005020000") << "a poll on every connect";
  EXPECT_EQ(l[3], R"(pub node/N1/params/local {"Light":{"Power":true}})");
  EXPECT_EQ(session.stats().connects, 2U);
  EXPECT_EQ(session.stats().boots, 1U);
}

TEST_F(NodeSessionTest, RemoteSetIsValidatedAppliedAndReReported) {
  session.on_connected(out);
  take();
  session.on_message("node/N1/params/remote",
                     R"({"Light":{"Power":true},"Sensor":{"Temperature":30.0}})", out);
  auto l = take();
  ASSERT_EQ(l.size(), 1U);
  EXPECT_EQ(l[0], R"(pub node/N1/params/local {"Light":{"Power":true}})");
  EXPECT_EQ(session.stats().refused_params, 1U) << "Temperature is read-only";
  EXPECT_EQ(*node->value("Sensor", "Temperature"), 21.5);

  for (const std::string& bad :
       std::vector<std::string>{"not json", "[1,2]", std::string(9000, ' ') + "{}"}) {
    session.on_message("node/N1/params/remote", bad, out);
  }
  session.on_message("node/OTHER/params/remote", R"({"Light":{"Power":false}})", out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(session.stats().rejected_messages, 3U);
  EXPECT_EQ(*node->value("Light", "Power"), true);
}

TEST_F(NodeSessionTest, AlertIsCutTo100BytesAtACharacterBoundary) {
  session.on_connected(out);
  take();
  std::string text(99, 'a');
  text += "\xC3\xA9zzz";  // "é" would straddle byte 100
  ASSERT_TRUE(session.raise_alert(text, out));
  const auto l = take();
  ASSERT_EQ(l.size(), 1U);
  EXPECT_EQ(l[0], "pub node/N1/alert {\"esp.alert.str\":\"" + std::string(99, 'a') + "\"}");
}

TEST_F(NodeSessionTest, RebootRunsTheWholeBootSequenceAgain) {
  session.on_connected(out);
  take();
  session.reboot();
  EXPECT_FALSE(session.connected());
  session.on_connected(out);
  const auto l = take();
  ASSERT_GE(l.size(), 3U);
  EXPECT_EQ(l[0].substr(0, 20), "pub node/N1/config {");
  EXPECT_EQ(l[2].substr(0, 31), "pub node/N1/params/local/init {");
  EXPECT_EQ(session.stats().boots, 2U);
}

}  // namespace
}  // namespace stratus::agent
