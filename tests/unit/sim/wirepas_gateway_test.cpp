// The simulated Wirepas gateway (issue 20; spec wirepas.md §1-§2, §3.4): what it publishes
// on connect and as its will, an answer with the request's req_id to every request of the
// topic table, the configuration rules, downlinks to the mesh and their echoes and
// remote-API replies, diagnostics at the sink's interval, the uplink bound, and joining nodes
// that provision themselves (START, DATA checked, DATA_ACK, the new address; retries; NACK).
#include "sim/wirepas_gateway.hpp"

#include <gtest/gtest.h>

#include <map>

#include "wirepas/messages.hpp"
#include "wirepas/msap.hpp"
#include "wirepas/provisioning.hpp"
#include "wirepas/topics.hpp"

namespace stratus::sim {
namespace {

namespace pb = wirepas::pb;
using namespace std::chrono_literals;
using wirepas::Direction;
using wirepas::Operation;
using Clock = WirepasGateway::Clock;

const Clock::time_point t0 = Clock::time_point{} + 1h;

std::unique_ptr<WirepasGateway> make_gateway(std::chrono::milliseconds data_interval = 0ms) {
  WirepasGatewayOptions options;
  options.gw_id = "gw1";
  options.data_interval = data_interval;
  WirepasSinkModel sink0;
  sink0.sink_id = "sink0";
  sink0.node_address = 1;
  sink0.nodes = {{101, 1}, {102, 2}, {103, 3}};
  WirepasSinkModel sink1;
  sink1.sink_id = "sink1";
  sink1.configured = false;  // as SolidRun gateways ship
  auto gw = WirepasGateway::create(options, {sink0, sink1});
  EXPECT_TRUE(gw) << gw.error().message();
  return std::move(*gw);
}

pb::GenericMessage read(const WirepasPublish& p) {
  auto m = wirepas::decode(p.payload);  // strict: what we send must pass a strict reader
  EXPECT_TRUE(m) << p.topic << ": " << (m ? "" : m.error().message());
  return m ? *m : pb::GenericMessage{};
}

std::string request(Operation op, std::uint64_t req_id, const std::string& sink,
                    const std::function<void(pb::WirepasMessage&, pb::RequestHeader&)>& fill) {
  pb::GenericMessage m;
  pb::RequestHeader h;
  h.set_req_id(req_id);
  if (!sink.empty())
    h.set_sink_id(sink);
  auto* w = m.mutable_wirepas();
  fill(*w, h);
  (void)op;
  return m.SerializePartialAsString();  // tests also send what a strict encoder refuses
}

std::string topic(Operation op, const std::string& sink = "") {
  return *wirepas::build_topic(
      {Direction::request, op, "gw1", wirepas::names_sink(op) ? sink : ""});
}

// The one response among `out` (the first on a gw-response topic).
const pb::ResponseHeader& response_header(const std::vector<WirepasPublish>& out,
                                          pb::GenericMessage& keep) {
  for (const auto& p : out) {
    if (p.topic.starts_with("gw-response/")) {
      keep = read(p);
      EXPECT_EQ(p.qos, 2);
      EXPECT_FALSE(p.retain);
      return *wirepas::response_header(keep.wirepas());
    }
  }
  ADD_FAILURE() << "no response";
  static pb::ResponseHeader none;
  return none;
}

TEST(WirepasGateway, StatusOnConnectAndTheOfflineWill) {
  auto gw = make_gateway();
  const auto out = gw->on_connected(t0);
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "gw-event/status/gw1");
  EXPECT_TRUE(out[0].retain);
  EXPECT_EQ(out[0].qos, 1);
  const auto status = read(out[0]).wirepas().status_event();
  EXPECT_EQ(status.version(), 1u);
  EXPECT_EQ(status.state(), pb::ON);
  ASSERT_EQ(status.configs_size(), 2);
  EXPECT_TRUE(status.configs(0).has_network_address());
  EXPECT_EQ(status.configs(0).network_channel(), 5u);
  EXPECT_FALSE(status.configs(1).has_network_address()) << "an unconfigured sink";
  EXPECT_EQ(status.configs(1).sink_state(), pb::OFF);
  EXPECT_GT(status.gw_features_size(), 0);
  EXPECT_EQ(out[1].topic, "gw-response/get_configs/gw1");
  EXPECT_EQ(read(out[1]).wirepas().get_configs_resp().header().req_id(), 0u) << "unsolicited";

  const auto will = gw->last_will();
  EXPECT_TRUE(will.retain);
  EXPECT_EQ(will.qos, 2);
  const auto offline = read(will).wirepas().status_event();
  EXPECT_EQ(offline.state(), pb::OFF);
  EXPECT_EQ(offline.configs_size(), 0);
  EXPECT_EQ(offline.gw_model(), "stratus-sim");
  EXPECT_EQ(gw->subscriptions().size(), 10u);
  EXPECT_EQ(gw->subscriptions()[0], "gw-request/get_gw_info/gw1");
  EXPECT_EQ(gw->subscriptions()[2], "gw-request/set_config/gw1/+");
}

TEST(WirepasGateway, EveryRequestIsAnsweredWithItsReqId) {
  auto gw = make_gateway();
  gw->on_connected(t0);
  struct Case {
    Operation op;
    std::function<void(pb::WirepasMessage&, pb::RequestHeader&)> fill;
  };
  const std::vector<Case> cases = {
      {Operation::get_configs,
       [](auto& w, auto& h) { *w.mutable_get_configs_req()->mutable_header() = h; }},
      {Operation::get_gw_info,
       [](auto& w, auto& h) { *w.mutable_get_gateway_info_req()->mutable_header() = h; }},
      {Operation::set_config,
       [](auto& w, auto& h) {
         auto* r = w.mutable_set_config_req();
         *r->mutable_header() = h;
         r->mutable_config()->set_sink_id("sink0");
       }},
      {Operation::send_data,
       [](auto& w, auto& h) {
         auto* r = w.mutable_send_packet_req();
         *r->mutable_header() = h;
         r->set_destination_address(101);
         r->set_source_endpoint(10);
         r->set_destination_endpoint(11);
         r->set_qos(0);
         r->set_payload("x");
       }},
      {Operation::otap_status,
       [](auto& w, auto& h) { *w.mutable_get_scratchpad_status_req()->mutable_header() = h; }},
      {Operation::otap_load_scratchpad,
       [](auto& w, auto& h) {
         auto* r = w.mutable_upload_scratchpad_req();
         *r->mutable_header() = h;
         r->set_seq(7);
         r->set_scratchpad(std::string(100, 's'));
       }},
      {Operation::otap_process_scratchpad,
       [](auto& w, auto& h) { *w.mutable_process_scratchpad_req()->mutable_header() = h; }},
      {Operation::otap_set_target_scratchpad,
       [](auto& w, auto& h) {
         auto* r = w.mutable_set_scratchpad_target_and_action_req();
         *r->mutable_header() = h;
         r->mutable_target_and_action()->set_action(pb::PROPAGATE_ONLY);
       }},
      {Operation::set_configuration_data_item,
       [](auto& w, auto& h) {
         auto* r = w.mutable_set_configuration_data_item_req();
         *r->mutable_header() = h;
         r->mutable_configuration_data_item()->set_endpoint(20);
         r->mutable_configuration_data_item()->set_payload("cfg");
       }},
      {Operation::get_configuration_data_item,
       [](auto& w, auto& h) {
         auto* r = w.mutable_get_configuration_data_item_req();
         *r->mutable_header() = h;
         r->set_endpoint(20);
       }},
  };
  std::uint64_t req_id = 0x1234567890ABCDEFull;
  for (const auto& c : cases) {
    ++req_id;
    const auto out =
        gw->on_message(topic(c.op, "sink0"), request(c.op, req_id, "sink0", c.fill), t0);
    pb::GenericMessage keep;
    const auto& h = response_header(out, keep);
    EXPECT_EQ(h.req_id(), req_id) << wirepas::to_string(c.op);
    EXPECT_EQ(h.gw_id(), "gw1");
    EXPECT_EQ(h.res(), pb::OK) << wirepas::to_string(c.op) << ": " << wirepas::result_name(h.res());
    EXPECT_EQ(out[0].topic, *wirepas::build_topic({Direction::response, c.op, "gw1",
                                                   wirepas::names_sink(c.op) ? "sink0" : ""}));
  }
  EXPECT_EQ(gw->stats().requests, cases.size());
  EXPECT_EQ(gw->stats().errors_answered, 0u);
}

std::vector<WirepasPublish> set_config(WirepasGateway& gw, std::uint64_t req_id,
                                       const std::string& sink,
                                       const std::function<void(pb::SinkNewConfig&)>& fill,
                                       Clock::time_point now = t0) {
  return gw.on_message(topic(Operation::set_config, sink),
                       request(Operation::set_config, req_id, sink,
                               [&](auto& w, auto& h) {
                                 auto* r = w.mutable_set_config_req();
                                 *r->mutable_header() = h;
                                 r->mutable_config()->set_sink_id(sink);
                                 fill(*r->mutable_config());
                               }),
                       now);
}

TEST(WirepasGateway, SetConfigRulesAndTheUnsolicitedMessagesAfterAChange) {
  auto gw = make_gateway();
  gw->on_connected(t0);
  auto app = [](std::uint32_t seq, std::uint32_t diag, std::string data) {
    return [=](pb::SinkNewConfig& c) {
      c.mutable_app_config()->set_seq(seq);
      c.mutable_app_config()->set_diag_interval_s(diag);
      c.mutable_app_config()->set_app_config_data(data);
    };
  };
  pb::GenericMessage keep;
  auto out = set_config(*gw, 1, "sink0", app(1, 60, "a"));  // the sequence must grow
  EXPECT_EQ(response_header(out, keep).res(), pb::INVALID_SEQUENCE_NUMBER);
  EXPECT_EQ(keep.wirepas().set_config_resp().config().sink_id(), "sink0") << "config even on error";
  EXPECT_EQ(out.size(), 1u) << "nothing changed";
  out = set_config(*gw, 2, "sink0", app(2, 45, "a"));
  EXPECT_EQ(response_header(out, keep).res(), pb::INVALID_DIAG_INTERVAL);
  out = set_config(*gw, 3, "sink0", app(2, 60, std::string(81, 'x')));
  EXPECT_EQ(response_header(out, keep).res(), pb::INVALID_APP_CONFIG);
  out = set_config(*gw, 4, "sink9", app(2, 60, "a"));
  EXPECT_EQ(response_header(out, keep).res(), pb::INVALID_SINK_ID);
  EXPECT_EQ(keep.wirepas().set_config_resp().config().sink_id(), "sink9");
  out = set_config(*gw, 5, "sink0", [](auto& c) { c.set_network_channel(41); });
  EXPECT_EQ(response_header(out, keep).res(), pb::INVALID_NETWORK_CHANNEL);

  out = set_config(*gw, 6, "sink0", app(2, 30, "new"));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(response_header(out, keep).res(), pb::OK);
  EXPECT_EQ(keep.wirepas().set_config_resp().config().app_config().seq(), 2u);
  EXPECT_EQ(out[1].topic, "gw-event/status/gw1");
  EXPECT_EQ(read(out[1]).wirepas().status_event().configs(0).app_config().diag_interval_s(), 30u);
  EXPECT_EQ(read(out[2]).wirepas().get_configs_resp().header().req_id(), 0u);
  EXPECT_EQ(read(out[3]).wirepas().set_config_resp().header().req_id(), 0u);

  // The unconfigured sink is configured by a full network configuration.
  out = set_config(*gw, 7, "sink1", [](auto& c) {
    c.mutable_node_role()->set_role(pb::NodeRole::SINK);
    c.set_node_address(2);
    c.set_network_address(0xABCDEF);
    c.set_network_channel(7);
    c.set_sink_state(pb::ON);
  });
  EXPECT_EQ(response_header(out, keep).res(), pb::OK);
  EXPECT_EQ(keep.wirepas().set_config_resp().config().network_address(), 0xABCDEFu);
  EXPECT_EQ(keep.wirepas().set_config_resp().config().sink_state(), pb::ON);
}

std::vector<WirepasPublish> send(WirepasGateway& gw, const std::string& sink, std::uint32_t dst,
                                 std::uint32_t src_ep, std::uint32_t dst_ep, std::string payload,
                                 std::optional<std::uint32_t> hop_limit = {}) {
  return gw.on_message(topic(Operation::send_data, sink),
                       request(Operation::send_data, 99, sink,
                               [&](auto& w, auto& h) {
                                 auto* r = w.mutable_send_packet_req();
                                 *r->mutable_header() = h;
                                 r->set_destination_address(dst);
                                 r->set_source_endpoint(src_ep);
                                 r->set_destination_endpoint(dst_ep);
                                 r->set_qos(2);
                                 r->set_payload(payload);
                                 if (hop_limit)
                                   r->set_hop_limit(*hop_limit);
                               }),
                       t0);
}

TEST(WirepasGateway, DownlinksReachTheMeshAndComeBackAfterTheRoundTrip) {
  auto gw = make_gateway();
  gw->on_connected(t0);
  pb::GenericMessage keep;
  EXPECT_EQ(response_header(send(*gw, "sink7", 101, 1, 50, "x"), keep).res(), pb::INVALID_SINK_ID);
  EXPECT_EQ(response_header(send(*gw, "sink0", 101, 1, 50, "x", 16), keep).res(),
            pb::INVALID_MAX_HOP_COUNT);
  EXPECT_EQ(response_header(send(*gw, "sink1", 101, 1, 50, "x"), keep).res(),
            pb::INVALID_SINK_STATE);

  // Node 103 is 3 hops away: its echo arrives after 2 × 3 × 10 ms.
  EXPECT_EQ(response_header(send(*gw, "sink0", 103, 7, 50, "hello"), keep).res(), pb::OK);
  EXPECT_TRUE(gw->tick(t0 + 59ms).empty());
  auto echoed = gw->tick(t0 + 60ms);
  ASSERT_EQ(echoed.size(), 1u);
  EXPECT_EQ(echoed[0].topic, "gw-event/received_data/gw1/sink0/1193046/50/7");
  EXPECT_EQ(echoed[0].qos, 1);
  const auto event = read(echoed[0]).wirepas().packet_received_event();
  EXPECT_EQ(event.source_address(), 103u);
  EXPECT_EQ(event.destination_address(), 1u);
  EXPECT_EQ(event.payload(), "hello");
  EXPECT_EQ(event.hop_count(), 3u);
  EXPECT_EQ(event.travel_time_ms(), 30u);
  EXPECT_NE(event.header().event_id(), 0u);

  // A broadcast ping: every node and the sink answer on endpoint 240 with the reference.
  const auto ping = *wirepas::msap::join(
      {wirepas::msap::encode(wirepas::msap::Request{wirepas::msap::Ping{{1, 2, 3, 4}}})});
  send(*gw, "sink0", 0xFFFFFFFF, 255, 240, std::string(ping.begin(), ping.end()));
  const auto replies = gw->tick(t0 + 1s);
  std::map<std::uint32_t, std::string> by_node;
  for (const auto& p : replies) {
    const auto e = read(p).wirepas().packet_received_event();
    EXPECT_EQ(e.source_endpoint(), 240u);
    EXPECT_EQ(e.destination_endpoint(), 255u);
    by_node[e.source_address()] = e.payload();
  }
  ASSERT_EQ(by_node.size(), 4u);  // the sink and three nodes
  for (const auto& [address, payload] : by_node)
    EXPECT_EQ(payload, std::string("\x80\x04\x01\x02\x03\x04", 6)) << address;
}

TEST(WirepasGateway, DiagnosticsFollowTheSinksIntervalAndUplinksAreBounded) {
  auto gw = make_gateway();
  gw->on_connected(t0);
  auto count_until = [&](Clock::time_point from, Clock::time_point to) {
    std::size_t diag = 0;
    for (auto t = from; t <= to; t += 1s) {
      for (const auto& p : gw->tick(t)) {
        const auto e = read(p).wirepas().packet_received_event();
        if (e.destination_endpoint() == 255 && e.source_endpoint() >= 251)
          ++diag;
      }
    }
    return diag;
  };
  // 3 nodes at 60 s: 30 in the first 10 minutes (±1 per node for the random phase).
  const auto at_60 = count_until(t0, t0 + 600s);
  EXPECT_GE(at_60, 27u);
  EXPECT_LE(at_60, 33u);
  pb::GenericMessage keep;
  auto out = set_config(
      *gw, 1, "sink0",
      [](auto& c) {
        c.mutable_app_config()->set_seq(2);
        c.mutable_app_config()->set_diag_interval_s(30);
        c.mutable_app_config()->set_app_config_data("a");
      },
      t0 + 600s);
  ASSERT_EQ(response_header(out, keep).res(), pb::OK);
  const auto at_30 = count_until(t0 + 601s, t0 + 1200s);
  EXPECT_GE(at_30, 54u);
  EXPECT_LE(at_30, 63u);

  WirepasGatewayOptions options;
  options.gw_id = "busy";
  options.data_interval = 1s;
  options.max_uplinks_per_tick = 5;
  WirepasSinkModel sink;
  for (std::uint32_t a = 1; a <= 20; ++a)
    sink.nodes.push_back({a + 100, 1});
  auto busy = *WirepasGateway::create(options, {sink});
  busy->on_connected(t0);
  EXPECT_EQ(busy->tick(t0 + 2s).size(), 5u);
  EXPECT_LE(*busy->next_wakeup(), t0 + 2s) << "the rest waits for the next tick";
}

TEST(WirepasGateway, ChunkedScratchpadUploadAndGarbage) {
  auto gw = make_gateway();
  gw->on_connected(t0);
  auto chunk = [&](std::uint64_t req_id, std::uint32_t offset, std::string bytes) {
    return gw->on_message(topic(Operation::otap_load_scratchpad, "sink0"),
                          request(Operation::otap_load_scratchpad, req_id, "sink0",
                                  [&](auto& w, auto& h) {
                                    auto* r = w.mutable_upload_scratchpad_req();
                                    *r->mutable_header() = h;
                                    r->set_seq(9);
                                    r->set_scratchpad(bytes);
                                    r->mutable_chunk_info()->set_scratchpad_total_size(10);
                                    r->mutable_chunk_info()->set_start_offset(offset);
                                  }),
                          t0);
  };
  pb::GenericMessage keep;
  auto out = chunk(1, 0, "01234");
  EXPECT_EQ(response_header(out, keep).res(), pb::OK);
  EXPECT_EQ(out.size(), 1u) << "not complete yet";
  EXPECT_EQ(response_header(chunk(2, 7, "789"), keep).res(), pb::INVALID_SCRATCHPAD_CHUNK_OFFSET);
  out = chunk(3, 5, "56789");
  EXPECT_EQ(response_header(out, keep).res(), pb::OK);
  ASSERT_EQ(out.size(), 4u) << "complete: a status change";
  const auto config = read(out[1]).wirepas().status_event().configs(0);
  EXPECT_EQ(config.stored_scratchpad().len(), 10u);
  EXPECT_EQ(config.stored_scratchpad().seq(), 9u);
  EXPECT_EQ(config.stored_type(), pb::PRESENT);

  const auto before = gw->stats().ignored;
  EXPECT_TRUE(gw->on_message("gw-request/get_configs/gw2", "x", t0).empty());
  EXPECT_TRUE(gw->on_message("gw-request/get_configs/gw1", "\xff\xff", t0).empty());
  EXPECT_TRUE(gw->on_message("gw-request/get_configs/gw1", "", t0).empty());
  EXPECT_TRUE(gw->on_message("gw-event/received_data/gw1/s/1/1/1", "", t0).empty());
  // A send_data payload on the get_configs topic: the member must match the topic.
  EXPECT_TRUE(gw->on_message(topic(Operation::get_configs),
                             request(Operation::send_data, 5, "",
                                     [](auto& w, auto& h) {
                                       *w.mutable_send_packet_req()->mutable_header() = h;
                                     }),
                             t0)
                  .empty());
  EXPECT_EQ(gw->stats().ignored, before + 5);
}

// --- joining nodes (spec wirepas.md §5.3) ---

namespace prov = wirepas::provisioning;

const std::string kFactoryKey = [] {
  std::string k;
  for (int i = 0; i < 32; ++i)
    k.push_back(static_cast<char>(0x40 + i));
  return k;
}();

std::unique_ptr<WirepasGateway> joining_gateway(std::uint8_t method, int retries = 2) {
  WirepasGatewayOptions options;
  options.gw_id = "gw1";
  options.data_interval = 0ms;
  WirepasSinkModel sink0;
  sink0.sink_id = "sink0";
  sink0.node_address = 1;
  sink0.network_address = 0x123456;
  sink0.network_channel = 5;
  sink0.nodes = {{101, 1}};
  WirepasJoiningNodeModel j;
  j.address = 900000;
  j.hops = 2;
  j.uid = "joiner-1";
  j.method = method;
  j.factory_key = method == 1 ? kFactoryKey : "";
  j.timeout = 10s;
  j.retries = retries;
  sink0.joining = {j};
  auto gw = WirepasGateway::create(options, {sink0});
  EXPECT_TRUE(gw) << gw.error().message();
  return std::move(*gw);
}

// The provisioning frames the gateway published on 246 → 255 up to `until`, ticking in
// steps of 100 ms from `from`.
std::vector<prov::Frame> frames_until(WirepasGateway& gw, Clock::time_point from,
                                      Clock::time_point until,
                                      std::vector<pb::PacketReceivedEvent>* events = nullptr) {
  std::vector<prov::Frame> out;
  for (auto t = from; t <= until; t += 100ms) {
    for (const auto& p : gw.tick(t)) {
      if (!p.topic.starts_with("gw-event/received_data/"))
        continue;
      const auto e = read(p).wirepas().packet_received_event();
      if (events != nullptr)
        events->push_back(e);
      if (e.source_endpoint() == prov::kNodeEndpoint &&
          e.destination_endpoint() == prov::kServerEndpoint) {
        auto f = prov::decode_frame(e.payload());
        EXPECT_TRUE(f);
        if (f)
          out.push_back(*f);
      }
    }
  }
  return out;
}

std::string send_to_joiner(std::uint64_t req_id, std::uint32_t address,
                           const std::string& payload) {
  return request(Operation::send_data, req_id, "sink0", [&](auto& w, auto& h) {
    auto* r = w.mutable_send_packet_req();
    *r->mutable_header() = h;
    r->set_destination_address(address);
    r->set_source_endpoint(prov::kServerEndpoint);
    r->set_destination_endpoint(prov::kNodeEndpoint);
    r->set_qos(1);
    r->set_payload(payload);
  });
}

prov::Content content_for(std::uint32_t network, std::uint32_t channel, std::uint32_t node) {
  prov::Content c;
  c.encryption_key.fill(0x11);
  c.authentication_key.fill(0x22);
  c.network_address = network;
  c.network_channel = channel;
  c.node_address = node;
  c.node_role = 0x02;
  return c;
}

TEST(WirepasGateway, ASecuredJoiningNodeTakesItsDataAndAppearsWithItsNewAddress) {
  auto gw = joining_gateway(1);
  gw->on_connected(t0);
  auto starts = frames_until(*gw, t0, t0 + 2s);
  ASSERT_EQ(starts.size(), 1u);
  const auto start = std::get<prov::Start>(starts[0]);
  EXPECT_EQ(start.header.node_address, 900000u);
  EXPECT_EQ(start.method, 1);
  EXPECT_EQ(start.uid, "joiner-1");

  // The server's DATA, sealed with the factory key and the START's IV.
  const auto key = *prov::FactoryKey::split(kFactoryKey);
  const auto data = prov::seal(key, start.iv, start.header, 0x7001,
                               prov::encode_content(content_for(0x123456, 5, 4242)));
  const auto answer =
      gw->on_message(topic(Operation::send_data, "sink0"),
                     send_to_joiner(77, 900000, prov::encode(prov::Frame{data})), t0 + 2s);
  pb::GenericMessage keep;
  EXPECT_EQ(response_header(answer, keep).res(), pb::OK);

  std::vector<pb::PacketReceivedEvent> events;
  const auto after = frames_until(*gw, t0 + 2s, t0 + 4s, &events);
  ASSERT_EQ(after.size(), 1u);
  const auto ack = std::get<prov::DataAck>(after[0]);
  EXPECT_EQ(ack.header, start.header);
  EXPECT_EQ(gw->stats().provisioned, 1u);
  // After its reboot it speaks with the provisioned address: boot diagnostics from 4242.
  bool booted = false;
  for (const auto& e : events)
    booted = booted || (e.source_address() == 4242 && e.source_endpoint() == 254);
  EXPECT_TRUE(booted);
  EXPECT_TRUE(frames_until(*gw, t0 + 4s, t0 + 60s).empty()) << "no START after success";
}

TEST(WirepasGateway, AnUnsecuredJoiningNodeOutsideThisNetworkLeaves) {
  auto gw = joining_gateway(0);
  gw->on_connected(t0);
  auto starts = frames_until(*gw, t0, t0 + 2s);
  ASSERT_EQ(starts.size(), 1u);
  const auto start = std::get<prov::Start>(starts[0]);
  EXPECT_EQ(start.method, 0);
  const prov::Data data{start.header, 0, 9, prov::encode_content(content_for(0x777777, 9, 4243))};
  gw->on_message(topic(Operation::send_data, "sink0"),
                 send_to_joiner(78, 900000, prov::encode(prov::Frame{data})), t0 + 2s);
  std::vector<pb::PacketReceivedEvent> events;
  const auto after = frames_until(*gw, t0 + 2s, t0 + 70s, &events);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<prov::DataAck>(after[0]));
  for (const auto& e : events)
    EXPECT_NE(e.source_address(), 4243u) << "it joined another network";
}

TEST(WirepasGateway, AJoiningNodeRetriesWithDoubledWaitsThenGivesUp) {
  auto gw = joining_gateway(1, 2);
  gw->on_connected(t0);
  std::vector<Clock::time_point> sent;
  for (auto t = t0; t <= t0 + 120s; t += 100ms) {
    for (const auto& p : gw->tick(t)) {
      if (p.topic.ends_with("/246/255"))
        sent.push_back(t);
    }
  }
  ASSERT_EQ(sent.size(), 3u) << "one START and two retries";
  const auto gap1 = sent[1] - sent[0], gap2 = sent[2] - sent[1];
  EXPECT_NEAR(std::chrono::duration<double>(gap1).count(), 10, 0.5);
  EXPECT_NEAR(std::chrono::duration<double>(gap2).count(), 20, 0.5);
  EXPECT_EQ(gw->stats().provisioning_failed, 1u);
}

TEST(WirepasGateway, ABadDataIsAFailedTryAndANackEndsTheAttempt) {
  auto gw = joining_gateway(1, 3);
  gw->on_connected(t0);
  const auto start = std::get<prov::Start>(frames_until(*gw, t0, t0 + 2s).at(0));
  // Sealed with another key: the MIC fails, the node sends START again at once.
  const auto wrong = *prov::FactoryKey::split(std::string(32, '\x01'));
  const auto bad = prov::seal(wrong, start.iv, start.header, 1,
                              prov::encode_content(content_for(0x123456, 5, 4242)));
  gw->on_message(topic(Operation::send_data, "sink0"),
                 send_to_joiner(79, 900000, prov::encode(prov::Frame{bad})), t0 + 2s);
  auto again = frames_until(*gw, t0 + 2s, t0 + 3s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(std::get<prov::Start>(again[0]).iv, start.iv) << "same session, same IV";
  // Garbage and another session's frames count the same way; a NACK ends it.
  gw->on_message(topic(Operation::send_data, "sink0"), send_to_joiner(80, 900000, "\x02"), t0 + 3s);
  ASSERT_EQ(frames_until(*gw, t0 + 3s, t0 + 4s).size(), 1u);
  const prov::Nack nack{start.header, 0};
  gw->on_message(topic(Operation::send_data, "sink0"),
                 send_to_joiner(81, 900000, prov::encode(prov::Frame{nack})), t0 + 4s);
  EXPECT_TRUE(frames_until(*gw, t0 + 4s, t0 + 120s).empty());
  EXPECT_EQ(gw->stats().provisioning_failed, 1u);
  EXPECT_EQ(gw->stats().provisioned, 0u);
}

TEST(WirepasGateway, JoiningNodesAreValidated) {
  WirepasSinkModel sink;
  WirepasJoiningNodeModel j;
  j.address = 5;
  j.uid = "u";
  j.method = 1;
  j.factory_key = "short";
  sink.joining = {j};
  EXPECT_FALSE(WirepasGateway::create({}, {sink}));
  sink.joining[0].factory_key = kFactoryKey;
  sink.joining[0].uid = std::string(80, 'u');
  EXPECT_FALSE(WirepasGateway::create({}, {sink}));
  sink.joining[0].uid = "u";
  sink.joining[0].method = 3;
  EXPECT_FALSE(WirepasGateway::create({}, {sink}));
  sink.joining[0].method = 0;
  EXPECT_TRUE(WirepasGateway::create({}, {sink}));
}

}  // namespace
}  // namespace stratus::sim
