// The provisioning server's MQTT side (issue 22; spec wirepas.md §5.3), sans-I/O with an
// injected clock: a START event becomes a send_data request through the same gateway and
// sink (255 → 246, Wirepas QoS 1) that the joining node can open; the response is matched
// by req_id and gateway; DATA_ACK ends in SUCCESS; an error response is retried once; an
// unknown UID is refused; a reload keeps open sessions; the status file counts it all.
#include "console/provisioning_backend.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "wirepas/messages.hpp"

namespace stratus::console {
namespace {

namespace prov = wirepas::provisioning;
namespace pb = wirepas::pb;
using namespace std::chrono_literals;
using Clock = ProvisioningBackend::Clock;
const Clock::time_point t0 = Clock::time_point{} + 1h;

const char* const kKeys =
    "  authentication_key: 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0A 0x0B 0x0C 0x0D "
    "0x0E 0x0F 0x10\n"
    "  encryption_key: 0x10 0x0F 0x0E 0x0D 0x0C 0x0B 0x0A 0x09 0x08 0x07 0x06 0x05 0x04 0x03 "
    "0x02 0x01\n"
    "  network_address: 0x123456\n"
    "  network_channel: 5\n";

std::string factory_hex() {
  std::string hex;
  for (int i = 0; i < 32; ++i) {
    char b[8];
    std::snprintf(b, sizeof b, "%s0x%02x", i ? " " : "", i);
    hex += b;
  }
  return hex;
}

ProvisioningConfig config(bool with_late = false) {
  std::string text = std::string("sensor-1:\n  method: 1\n  node_id: 4242\n  factory_key: ") +
                     factory_hex() + "\n" + kKeys + "plain-1:\n  method: 0\n  node_id: 4343\n" +
                     kKeys;
  if (with_late)
    text += std::string("late-1:\n  method: 0\n") + kKeys;
  auto c = parse_provisioning_config(text, "config.yml");
  EXPECT_TRUE(c) << c.error().context;
  return *c;
}

prov::Start start_frame(const std::string& uid, std::uint8_t method, std::uint8_t session = 3) {
  prov::Start s{{900001, session}, method, {}, uid};
  for (std::size_t i = 0; i < s.iv.size(); ++i)
    s.iv[i] = static_cast<std::uint8_t>(0xA0 + i);
  return s;
}

// A received-data event from `source` on 246 → 255 through gw/sink.
std::pair<std::string, std::string> event(const prov::Frame& frame, const std::string& gw = "gw-1",
                                          std::uint32_t source = 900001,
                                          std::uint64_t rx_ms = 5000) {
  pb::GenericMessage m;
  auto* e = m.mutable_wirepas()->mutable_packet_received_event();
  e->mutable_header()->set_gw_id(gw);
  e->mutable_header()->set_sink_id("sink0");
  e->mutable_header()->set_event_id(1);
  e->set_source_address(source);
  e->set_destination_address(1);
  e->set_source_endpoint(prov::kNodeEndpoint);
  e->set_destination_endpoint(prov::kServerEndpoint);
  e->set_travel_time_ms(20);
  e->set_rx_time_ms_epoch(rx_ms);
  e->set_qos(1);
  e->set_payload(prov::encode(frame));
  e->set_network_address(0x123456);
  return {"gw-event/received_data/" + gw + "/sink0/1193046/246/255", m.SerializeAsString()};
}

std::pair<std::string, std::string> response(std::uint64_t req_id, pb::ErrorCode res,
                                             const std::string& gw = "gw-1") {
  pb::GenericMessage m;
  auto* h = m.mutable_wirepas()->mutable_send_packet_resp()->mutable_header();
  h->set_req_id(req_id);
  h->set_gw_id(gw);
  h->set_sink_id("sink0");
  h->set_res(res);
  return {"gw-response/send_data/" + gw + "/sink0", m.SerializeAsString()};
}

class ProvisioningBackendTest : public ::testing::Test {
 protected:
  ProvisioningBackend::Output deliver(const std::pair<std::string, std::string>& msg,
                                      Clock::time_point at = t0) {
    return backend_.on_message(msg.first, msg.second, at, 1'700'000'000'000);
  }

  // The one request published: its topic and decoded SendPacketReq.
  static pb::SendPacketReq request(const ProvisioningBackend::Output& out, std::string* topic) {
    EXPECT_EQ(out.publishes.size(), 1u);
    if (out.publishes.empty())
      return {};
    *topic = out.publishes[0].topic;
    auto m = wirepas::decode(out.publishes[0].payload);
    EXPECT_TRUE(m);
    return m->wirepas().send_packet_req();
  }

  ProvisioningBackend backend_{config(), prov::ServerOptions{}, 42};
};

TEST_F(ProvisioningBackendTest, SubscribesTheProtocolsTopicsNarrowedBySettings) {
  MqttSettings s;
  EXPECT_EQ(ProvisioningBackend::filters(s),
            (std::vector<std::string>{"gw-event/received_data/+/+/+/246/255",
                                      "gw-response/send_data/+/+"}));
  s.subscribe_gateway_id = "gw-7";
  s.subscribe_network_id = "1193046";
  EXPECT_EQ(ProvisioningBackend::filters(s),
            (std::vector<std::string>{"gw-event/received_data/gw-7/+/1193046/246/255",
                                      "gw-response/send_data/gw-7/+"}));
}

TEST_F(ProvisioningBackendTest, SecuredNodeIsProvisionedThroughItsGateway) {
  const auto start = start_frame("sensor-1", 1);
  std::string topic;
  const auto req = request(deliver(event(prov::Frame{start})), &topic);
  EXPECT_EQ(topic, "gw-request/send_data/gw-1/sink0");
  EXPECT_EQ(req.header().sink_id(), "sink0");
  EXPECT_NE(req.header().req_id(), 0u);
  EXPECT_EQ(req.destination_address(), 900001u);
  EXPECT_EQ(req.source_endpoint(), 255u);
  EXPECT_EQ(req.destination_endpoint(), 246u);
  EXPECT_EQ(req.qos(), 1u);

  // The joining node's view: the DATA opens with its factory key and carries its content.
  auto frame = prov::decode_frame(req.payload());
  ASSERT_TRUE(frame);
  const auto& data = std::get<prov::Data>(*frame);
  std::string key;
  for (int i = 0; i < 32; ++i)
    key.push_back(static_cast<char>(i));
  auto plain = prov::open(*prov::FactoryKey::split(key), start.iv, data);
  ASSERT_TRUE(plain) << plain.error().context;
  auto content = prov::decode_content(*plain);
  ASSERT_TRUE(content);
  EXPECT_EQ(content->node_address, 4242u);
  EXPECT_EQ(content->network_address, 0x123456u);

  // A response with the right id from another gateway is not ours; from gw-1 it is.
  EXPECT_TRUE(deliver(response(req.header().req_id(), pb::OK, "gw-2")).publishes.empty());
  EXPECT_TRUE(deliver(response(req.header().req_id(), pb::OK)).publishes.empty());
  EXPECT_EQ(backend_.sessions(), 1u);

  const auto done = deliver(event(prov::Frame{prov::DataAck{start.header}}));
  ASSERT_EQ(done.finished.size(), 1u);
  const auto& o = done.finished[0];
  EXPECT_EQ(o.status, prov::FinalStatus::success);
  EXPECT_EQ(o.uid, "sensor-1");
  EXPECT_EQ(o.name, "sensor-1");
  EXPECT_EQ(o.gw_id, "gw-1");
  EXPECT_EQ(o.sink_id, "sink0");
  EXPECT_EQ(o.key.source_address, 900001u);
  EXPECT_EQ(o.at_ms, 1'700'000'000'000);
  EXPECT_EQ(backend_.sessions(), 0u);
  EXPECT_EQ(backend_.counters().outcomes.at("SUCCESS"), 1u);
  EXPECT_EQ(backend_.counters().packets, 2u);
  EXPECT_EQ(backend_.counters().requests, 1u);
}

TEST_F(ProvisioningBackendTest, AnErrorResponseIsRetriedOnceThenTheSessionFails) {
  const auto start = start_frame("plain-1", 0);
  std::string topic;
  const auto first = request(deliver(event(prov::Frame{start})), &topic);
  const auto retry =
      request(deliver(response(first.header().req_id(), pb::INVALID_SINK_ID)), &topic);
  EXPECT_NE(retry.header().req_id(), first.header().req_id());
  EXPECT_EQ(retry.payload(), first.payload());
  const auto out = deliver(response(retry.header().req_id(), pb::INTERNAL_ERROR));
  ASSERT_EQ(out.finished.size(), 1u);
  EXPECT_EQ(out.finished[0].status, prov::FinalStatus::error_sending_data);
  EXPECT_EQ(backend_.counters().send_failures, 2u);
}

TEST_F(ProvisioningBackendTest, APublishTheClientRefusedCountsAsAFailedSend) {
  std::string topic;
  const auto first = request(deliver(event(prov::Frame{start_frame("plain-1", 0)})), &topic);
  const auto retry = request(backend_.on_publish_failed(first.header().req_id(), t0, 0), &topic);
  const auto out = backend_.on_publish_failed(retry.header().req_id(), t0, 0);
  ASSERT_EQ(out.finished.size(), 1u);
  EXPECT_EQ(out.finished[0].status, prov::FinalStatus::error_sending_data);
}

TEST_F(ProvisioningBackendTest, UnknownUidIsRefusedWithNotAuthorized) {
  std::string topic;
  const auto req = request(deliver(event(prov::Frame{start_frame("stranger", 0)})), &topic);
  auto frame = prov::decode_frame(req.payload());
  ASSERT_TRUE(frame);
  EXPECT_EQ(std::get<prov::Nack>(*frame).reason,
            static_cast<std::uint8_t>(prov::NackReason::not_authorized));
  const auto out = deliver(response(req.header().req_id(), pb::OK));
  ASSERT_EQ(out.finished.size(), 1u);
  EXPECT_EQ(out.finished[0].status, prov::FinalStatus::error_not_authorized);
  EXPECT_EQ(out.finished[0].uid, "stranger");
  EXPECT_EQ(out.finished[0].name, "");
}

TEST_F(ProvisioningBackendTest, SilenceAfterDataEndsWithNoResponse) {
  std::string topic;
  const auto req = request(deliver(event(prov::Frame{start_frame("plain-1", 0)})), &topic);
  deliver(response(req.header().req_id(), pb::OK));
  ASSERT_TRUE(backend_.next_wakeup());
  EXPECT_EQ(*backend_.next_wakeup(), t0 + 180s);
  EXPECT_TRUE(backend_.tick(t0 + 179s, 0).finished.empty());
  const auto out = backend_.tick(t0 + 180s, 0);
  ASSERT_EQ(out.finished.size(), 1u);
  EXPECT_EQ(out.finished[0].status, prov::FinalStatus::error_no_response);
}

TEST_F(ProvisioningBackendTest, ReloadKeepsOpenSessionsAndAuthorizesNewUids) {
  std::string topic;
  const auto open = start_frame("plain-1", 0, 1);
  const auto req = request(deliver(event(prov::Frame{open})), &topic);
  backend_.reload(config(true));
  EXPECT_EQ(backend_.sessions(), 1u);
  EXPECT_EQ(backend_.counters().reloads, 1u);
  deliver(response(req.header().req_id(), pb::OK));
  EXPECT_EQ(deliver(event(prov::Frame{prov::DataAck{open.header}})).finished.at(0).status,
            prov::FinalStatus::success);
  // A node the old list did not have is now answered with DATA.
  const auto late =
      request(deliver(event(prov::Frame{start_frame("late-1", 0, 2)}, "gw-1", 900002)), &topic);
  auto frame = prov::decode_frame(late.payload());
  ASSERT_TRUE(frame);
  EXPECT_TRUE(std::holds_alternative<prov::Data>(*frame));
}

TEST_F(ProvisioningBackendTest, RepliesGoThroughTheGatewayThatHeardTheNodeLast) {
  const auto start = start_frame("plain-1", 0);
  std::string topic;
  const auto first = request(deliver(event(prov::Frame{start}, "gw-1", 900001, 5000)), &topic);
  deliver(response(first.header().req_id(), pb::OK));
  // The node did not hear DATA and starts again; gw-2 heard this START later.
  request(deliver(event(prov::Frame{start}, "gw-2", 900001, 9000)), &topic);
  EXPECT_EQ(topic, "gw-request/send_data/gw-2/sink0");
}

TEST_F(ProvisioningBackendTest, WhatIsNotTheProtocolChangesNothing) {
  const auto [topic, payload] = event(prov::Frame{start_frame("plain-1", 0)});
  EXPECT_TRUE(backend_.on_message("not/a/wirepas/topic", payload, t0, 0).publishes.empty());
  EXPECT_TRUE(backend_.on_message(topic, "garbage", t0, 0).publishes.empty());
  EXPECT_TRUE(backend_.on_message(topic, "", t0, 0).publishes.empty());
  // Another endpoint pair inside a 246/255 topic, and a frame that is not one.
  pb::GenericMessage m;
  ASSERT_TRUE(m.ParseFromString(payload));
  m.mutable_wirepas()->mutable_packet_received_event()->set_destination_endpoint(254);
  EXPECT_TRUE(backend_.on_message(topic, m.SerializeAsString(), t0, 0).publishes.empty());
  m.mutable_wirepas()->mutable_packet_received_event()->set_destination_endpoint(255);
  m.mutable_wirepas()->mutable_packet_received_event()->set_payload(std::string("\x09", 1));
  EXPECT_TRUE(backend_.on_message(topic, m.SerializeAsString(), t0, 0).publishes.empty());
  // A response to nobody's request.
  EXPECT_TRUE(deliver(response(12345, pb::OK)).finished.empty());
  EXPECT_EQ(backend_.sessions(), 0u);
  EXPECT_EQ(backend_.counters().ignored, 5u);
}

TEST_F(ProvisioningBackendTest, StatusJsonCountsOutcomes) {
  std::string topic;
  const auto start = start_frame("plain-1", 0);
  const auto req = request(deliver(event(prov::Frame{start})), &topic);
  deliver(response(req.header().req_id(), pb::OK));
  deliver(event(prov::Frame{prov::DataAck{start.header}}));
  const auto status = boost::json::parse(status_json(backend_, 123)).as_object();
  EXPECT_EQ(status.at("updated_ms").as_int64(), 123);
  EXPECT_EQ(status.at("nodes_configured").to_number<int>(), 2);
  EXPECT_EQ(status.at("sessions_open").to_number<int>(), 0);
  EXPECT_EQ(status.at("outcomes").at("SUCCESS").to_number<int>(), 1);
  const auto& recent = status.at("recent").as_array();
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].at("uid").as_string(), "plain-1");
  EXPECT_EQ(recent[0].at("status").as_string(), "SUCCESS");
  EXPECT_EQ(recent[0].at("gw_id").as_string(), "gw-1");
}

}  // namespace
}  // namespace stratus::console
