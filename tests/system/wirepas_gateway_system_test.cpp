// `stratus-node wirepas-gateway` against a real mosquitto (issue 20): the retained ONLINE
// status and its replacement by the last will when the process is killed, OFFLINE after a
// clean SIGTERM, every request answered with its req_id, a downlink's echo, and joining
// nodes that provision themselves through the gateway (the test plays the server).
// How: mosquitto on a free loopback port (anonymous, plain TCP), the stratus-node binary as
// a child, and a test MQTT client in the role of a backend.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <functional>
#include <string>

#include "broker/ports.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "system/mosquitto_process.hpp"
#include "system/mqtt_test_client.hpp"
#include "wirepas/messages.hpp"
#include "wirepas/provisioning.hpp"
#include "wirepas/topics.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;
namespace pb = wirepas::pb;

class WirepasGatewaySystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    port_ = *broker::pick_free_port("127.0.0.1");
    broker_ = std::make_unique<MosquittoProcess>(dir_.path(), port_, "allow_anonymous true\n");
    ASSERT_TRUE(broker_->start()) << broker_->log();
  }

  std::unique_ptr<ChildProcess> start_gateways(int gateways, int nodes) {
    const std::string bin = std::string(std::getenv("STRATUS_BUILD_DIR")) + "/bin/stratus-node";
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{bin, "wirepas-gateway", "--mqtt_hostname", "127.0.0.1",
                                 "--mqtt_port", std::to_string(port_), "--insecure", "--gateways",
                                 std::to_string(gateways), "--nodes", std::to_string(nodes),
                                 "--gateway-prefix", "gw-", "--data_interval", "0"},
        std::vector<std::string>{}, dir_.path() / "gateways.out");
    EXPECT_GT(child->pid(), 0);
    return child;
  }

  std::unique_ptr<TestMqttClient> backend(const std::string& id) {
    TestMqttOptions o;
    o.port = port_;
    o.client_id = id;
    auto client = std::make_unique<TestMqttClient>(o);
    EXPECT_EQ(client->connect(), 0);
    return client;
  }

  // Waits for a status of `gw` in state `state` (ON/OFF).
  static bool has_status(TestMqttClient& c, const std::string& gw, pb::OnOffState state,
                         std::chrono::milliseconds timeout = 15s) {
    return c
        .wait_message(
            [&](const TestMessage& m) {
              if (m.topic != "gw-event/status/" + gw)
                return false;
              auto decoded = wirepas::decode(m.payload);
              return decoded && decoded->wirepas().status_event().state() == state;
            },
            timeout)
        .has_value();
  }

  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<MosquittoProcess> broker_;
};

TEST_F(WirepasGatewaySystemTest, TheStatusIsRetainedAndTheWillReplacesItOnKill) {
  auto gateways = start_gateways(2, 5);
  auto watcher = backend("watcher");
  ASSERT_EQ(watcher->subscribe("gw-event/status/+"), 1);
  ASSERT_TRUE(has_status(*watcher, "gw-0", pb::ON)) << gateways->output();
  ASSERT_TRUE(has_status(*watcher, "gw-1", pb::ON));

  auto late = backend("late");  // a backend that starts later learns every gateway at once
  ASSERT_EQ(late->subscribe("gw-event/status/+"), 1);
  EXPECT_TRUE(has_status(*late, "gw-0", pb::ON, 5s));
  EXPECT_TRUE(has_status(*late, "gw-1", pb::ON, 5s));

  ::kill(gateways->pid(), SIGKILL);  // no DISCONNECT: the broker publishes the wills
  EXPECT_TRUE(has_status(*watcher, "gw-0", pb::OFF)) << broker_->log();
  EXPECT_TRUE(has_status(*watcher, "gw-1", pb::OFF));
  auto after = backend("after");
  ASSERT_EQ(after->subscribe("gw-event/status/+"), 1);
  EXPECT_TRUE(has_status(*after, "gw-0", pb::OFF, 5s)) << "the will is retained";
}

TEST_F(WirepasGatewaySystemTest, ACleanStopLeavesOffline) {
  auto gateways = start_gateways(1, 3);
  auto watcher = backend("watcher");
  ASSERT_EQ(watcher->subscribe("gw-event/status/+"), 1);
  ASSERT_TRUE(has_status(*watcher, "gw-0", pb::ON)) << gateways->output();
  const int status = gateways->stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << gateways->output();
  EXPECT_EQ(WEXITSTATUS(status), 0) << gateways->output();
  EXPECT_TRUE(has_status(*watcher, "gw-0", pb::OFF, 5s));
  EXPECT_NE(gateways->output().find("1 gateway(s)"), std::string::npos) << gateways->output();
}

TEST_F(WirepasGatewaySystemTest, RequestsAreAnsweredWithTheirReqIdAndDownlinksEcho) {
  auto gateways = start_gateways(1, 4);
  auto client = backend("backend");
  ASSERT_EQ(client->subscribe("gw-event/status/+"), 1);
  ASSERT_TRUE(has_status(*client, "gw-0", pb::ON)) << gateways->output();
  ASSERT_EQ(client->subscribe("gw-response/#"), 1);
  ASSERT_EQ(client->subscribe(wirepas::received_data_filter()), 1);

  const auto ask = [&](wirepas::Operation op, const std::string& sink,
                       const std::function<pb::RequestHeader*(pb::WirepasMessage&)>& member,
                       std::uint64_t req_id) {
    pb::GenericMessage m;
    auto* h = member(*m.mutable_wirepas());
    h->set_req_id(req_id);
    if (!sink.empty())
      h->set_sink_id(sink);
    const auto topic = *wirepas::build_topic(
        {wirepas::Direction::request, op, "gw-0", wirepas::names_sink(op) ? sink : ""});
    EXPECT_TRUE(client->publish(topic, m.SerializePartialAsString()));
    auto answer = client->wait_message([&](const TestMessage& r) {
      auto t = wirepas::parse_topic(r.topic);
      if (!t || t->direction != wirepas::Direction::response || t->operation != op)
        return false;
      auto d = wirepas::decode(r.payload);
      return d && wirepas::response_header(d->wirepas()) != nullptr &&
             wirepas::response_header(d->wirepas())->req_id() == req_id;
    });
    EXPECT_TRUE(answer) << "no answer to " << wirepas::to_string(op);
    if (!answer)
      return pb::GenericMessage{};
    return *wirepas::decode(answer->payload);
  };

  auto configs = ask(
      wirepas::Operation::get_configs, "",
      [](auto& w) { return w.mutable_get_configs_req()->mutable_header(); }, 0xA1B2C3D4E5F60001ull);
  EXPECT_EQ(configs.wirepas().get_configs_resp().configs(0).sink_id(), "sink0");
  auto info = ask(
      wirepas::Operation::get_gw_info, "",
      [](auto& w) { return w.mutable_get_gateway_info_req()->mutable_header(); },
      0xA1B2C3D4E5F60002ull);
  EXPECT_EQ(info.wirepas().get_gateway_info_resp().info().implemented_api_version(), 2u);
  auto otap = ask(
      wirepas::Operation::otap_status, "sink0",
      [](auto& w) { return w.mutable_get_scratchpad_status_req()->mutable_header(); },
      0xA1B2C3D4E5F60003ull);
  EXPECT_EQ(otap.wirepas().get_scratchpad_status_resp().header().res(), pb::OK);

  // A downlink to node 1001 on the echo endpoint comes back from it, endpoints swapped.
  auto sent = ask(
      wirepas::Operation::send_data, "sink0",
      [](auto& w) {
        auto* r = w.mutable_send_packet_req();
        r->set_destination_address(1001);
        r->set_source_endpoint(9);
        r->set_destination_endpoint(50);
        r->set_qos(0);
        r->set_payload("ping-1001");
        return r->mutable_header();
      },
      0xA1B2C3D4E5F60004ull);
  EXPECT_EQ(sent.wirepas().send_packet_resp().header().res(), pb::OK);
  auto echo = client->wait_message([](const TestMessage& m) {
    return m.topic.starts_with("gw-event/received_data/gw-0/sink0/") && m.topic.ends_with("/50/9");
  });
  ASSERT_TRUE(echo);
  const auto event = wirepas::decode(echo->payload)->wirepas().packet_received_event();
  EXPECT_EQ(event.source_address(), 1001u);
  EXPECT_EQ(event.payload(), "ping-1001");

  auto refused = ask(
      wirepas::Operation::send_data, "sink9",
      [](auto& w) {
        auto* r = w.mutable_send_packet_req();
        r->set_destination_address(1001);
        r->set_source_endpoint(9);
        r->set_destination_endpoint(50);
        r->set_qos(0);
        r->set_payload("x");
        return r->mutable_header();
      },
      0xA1B2C3D4E5F60005ull);
  EXPECT_EQ(refused.wirepas().send_packet_resp().header().res(), pb::INVALID_SINK_ID);
}

// Joining nodes from a `--joining` file provision themselves through the gateway: the test
// plays the provisioning server over MQTT (START in, DATA by send_data, DATA_ACK back),
// then the node reports from its provisioned address.
TEST_F(WirepasGatewaySystemTest, JoiningNodesProvisionThroughTheGateway) {
  const auto file = dir_.path() / "joining.yml";
  std::ofstream(file) << "- uid: plant-node-7\n  method: 1\n  factory_key: \"0x" << [] {
    std::string hex;
    for (int i = 0; i < 32; ++i)
      hex += (i ? " 0x" : "") + std::string(1, "0123456789abcdef"[i >> 4]) +
             std::string(1, "0123456789abcdef"[i & 15]);
    return hex;
  }() << "\"\n  timeout: 30\n";
  const std::string bin = std::string(std::getenv("STRATUS_BUILD_DIR")) + "/bin/stratus-node";
  ChildProcess gateways(
      {bin, "wirepas-gateway", "--mqtt_hostname", "127.0.0.1", "--mqtt_port", std::to_string(port_),
       "--insecure", "--gateways", "1", "--nodes", "1", "--gateway-prefix", "gw-",
       "--data_interval", "0", "--joining", file.string()},
      {}, dir_.path() / "joining.out");
  auto server = backend("provisioning-server");
  ASSERT_EQ(server->subscribe("gw-event/received_data/+/+/+/246/255"), 1);
  ASSERT_EQ(server->subscribe("gw-event/received_data/+/+/+/254/255"), 1);
  ASSERT_EQ(server->subscribe("gw-response/send_data/#"), 1);
  namespace prov = wirepas::provisioning;
  auto start_msg =
      server->wait_message([](const TestMessage& m) { return m.topic.ends_with("/246/255"); }, 15s);
  ASSERT_TRUE(start_msg) << gateways.output();
  const auto event = wirepas::decode(start_msg->payload)->wirepas().packet_received_event();
  const auto start = std::get<prov::Start>(*prov::decode_frame(event.payload()));
  EXPECT_EQ(start.uid, "plant-node-7");
  EXPECT_EQ(event.source_address(), 900000u);

  std::string key;
  for (int i = 0; i < 32; ++i)
    key.push_back(static_cast<char>(i));
  prov::Content content;
  content.network_address = static_cast<std::uint32_t>(event.network_address());
  content.network_channel = 1;  // gateway 0's channel
  content.node_address = 5555;
  const auto data = prov::seal(*prov::FactoryKey::split(key), start.iv, start.header, 1,
                               prov::encode_content(content));
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_send_packet_req();
  r->mutable_header()->set_req_id(0x5EED000000000246ull);
  r->mutable_header()->set_sink_id("sink0");
  r->set_destination_address(event.source_address());
  r->set_source_endpoint(prov::kServerEndpoint);
  r->set_destination_endpoint(prov::kNodeEndpoint);
  r->set_qos(1);
  r->set_payload(prov::encode(prov::Frame{data}));
  ASSERT_TRUE(server->publish("gw-request/send_data/gw-0/sink0", m.SerializeAsString()));

  const auto ack = server->wait_message([&](const TestMessage& msg) {
    if (!msg.topic.ends_with("/246/255"))
      return false;
    auto f = prov::decode_frame(
        wirepas::decode(msg.payload)->wirepas().packet_received_event().payload());
    return f && std::holds_alternative<prov::DataAck>(*f);
  });
  EXPECT_TRUE(ack) << gateways.output();
  const auto booted = server->wait_message([](const TestMessage& msg) {
    return msg.topic.ends_with("/254/255") &&
           wirepas::decode(msg.payload)->wirepas().packet_received_event().source_address() == 5555;
  });
  EXPECT_TRUE(booted) << "the node reports from its provisioned address";
  const int status = gateways.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << gateways.output();
  EXPECT_NE(gateways.output().find("1 provisioned"), std::string::npos) << gateways.output();
}

}  // namespace
}  // namespace stratus::test
