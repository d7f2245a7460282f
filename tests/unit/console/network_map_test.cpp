// The console's network map (issue 21 item 2; spec wirepas.md §3.6): gateways from status
// events with their state and when it changed, sinks from every configuration message
// (a sink without network_address is kept, where the original raised KeyError, #278),
// nodes from packets with hop count, the sinks that heard them and their diagnostics,
// networks from both, and removal by an empty retained status only.
#include "console/network_map.hpp"

#include <gtest/gtest.h>

#include "wirepas/apdu.hpp"

namespace stratus::console {
namespace {

namespace pb = wirepas::pb;

std::string status(pb::OnOffState state, bool with_network = true) {
  pb::GenericMessage m;
  auto* s = m.mutable_wirepas()->mutable_status_event();
  s->mutable_header()->set_gw_id("gw-1");
  s->mutable_header()->set_event_id(1);
  s->set_version(1);
  s->set_state(state);
  s->set_gw_model("sim");
  s->set_gw_version("1.4.0");
  s->set_max_scratchpad_size(1024);
  auto* c = s->add_configs();
  c->set_sink_id("sink0");
  c->set_node_address(1);
  if (with_network) {
    c->set_network_address(0x123456);
    c->set_network_channel(5);
  }
  return m.SerializeAsString();
}

std::string packet(std::uint32_t source, std::uint32_t source_ep, std::string payload,
                   std::uint32_t hops = 2) {
  pb::GenericMessage m;
  auto* e = m.mutable_wirepas()->mutable_packet_received_event();
  e->mutable_header()->set_gw_id("gw-1");
  e->mutable_header()->set_event_id(2);
  e->set_source_address(source);
  e->set_destination_address(1);
  e->set_source_endpoint(source_ep);
  e->set_destination_endpoint(255);
  e->set_travel_time_ms(10);
  e->set_rx_time_ms_epoch(1000);
  e->set_qos(0);
  e->set_payload(std::move(payload));
  e->set_hop_count(hops);
  return m.SerializeAsString();
}

TEST(NetworkMapTest, StatusMakesAGatewayAndItsSinks) {
  NetworkMap map;
  EXPECT_EQ(map.on_message("gw-event/status/gw-1", status(pb::ON), 100),
            NetworkMap::Change::gateway);
  const auto& gw = map.gateways().at("gw-1");
  EXPECT_EQ(gw.state, GatewayEntry::State::online);
  EXPECT_EQ(gw.state_since_ms, 100);
  EXPECT_EQ(gw.model, "sim");
  EXPECT_EQ(gw.version, "1.4.0");
  EXPECT_EQ(gw.max_scratchpad_size, 1024u);
  ASSERT_TRUE(gw.sinks.contains("sink0"));
  EXPECT_EQ(gw.sinks.at("sink0").config.network_address(), 0x123456u);

  // The same state again keeps its time; a change moves it.
  map.on_message("gw-event/status/gw-1", status(pb::ON), 200);
  EXPECT_EQ(map.gateways().at("gw-1").state_since_ms, 100);
  EXPECT_EQ(map.gateways().at("gw-1").last_seen_ms, 200);
  map.on_message("gw-event/status/gw-1", status(pb::OFF), 300);
  EXPECT_EQ(map.gateways().at("gw-1").state, GatewayEntry::State::offline);
  EXPECT_EQ(map.gateways().at("gw-1").state_since_ms, 300);
  EXPECT_EQ(map.offline_gateways(), std::vector<std::string>{"gw-1"});

  // Only a cleared retained status removes it.
  EXPECT_EQ(map.on_message("gw-event/status/gw-1", "", 400), NetworkMap::Change::removed);
  EXPECT_TRUE(map.gateways().empty());
  EXPECT_EQ(map.on_message("gw-event/status/gw-1", "", 500), NetworkMap::Change::none);
}

TEST(NetworkMapTest, ASinkWithoutNetworkAddressIsKept) {
  NetworkMap map;
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_get_configs_resp();
  r->mutable_header()->set_req_id(0);
  r->mutable_header()->set_gw_id("gw-2");
  r->mutable_header()->set_res(pb::OK);
  r->add_configs()->set_sink_id("sink1");  // unconfigured: no role, address or network
  EXPECT_EQ(map.on_message("gw-response/get_configs/gw-2", m.SerializeAsString(), 10),
            NetworkMap::Change::sink);
  const auto& gw = map.gateways().at("gw-2");
  EXPECT_EQ(gw.state, GatewayEntry::State::unknown);
  ASSERT_TRUE(gw.sinks.contains("sink1"));
  EXPECT_FALSE(gw.sinks.at("sink1").config.has_network_address());
  EXPECT_TRUE(map.networks().empty());
}

TEST(NetworkMapTest, PacketsMakeNodesWithHopsSinksAndDiagnostics) {
  NetworkMap map;
  map.on_message("gw-event/status/gw-1", status(pb::ON), 100);
  const std::string topic = "gw-event/received_data/gw-1/sink0/1193046/";
  EXPECT_EQ(map.on_message(topic + "1/1", packet(1000, 1, "hi", 3), 150), NetworkMap::Change::node);
  wirepas::apdu::TrafficDiagnostics traffic{};
  const auto diag = wirepas::apdu::encode(traffic);
  map.on_message(topic + "251/255", packet(1000, 251, std::string(diag.begin(), diag.end()), 2),
                 250);
  const auto& node = map.nodes().at(NodeKey{0x123456, 1000});
  EXPECT_EQ(node.first_seen_ms, 150);
  EXPECT_EQ(node.last_seen_ms, 250);
  EXPECT_EQ(node.packets, 2u);
  EXPECT_EQ(node.hop_count, 2u);
  EXPECT_EQ(node.diagnostics, "traffic_diagnostics");
  EXPECT_EQ(node.diagnostics_ms, 250);
  EXPECT_EQ(node.via, (std::set<std::pair<std::string, std::string>>{{"gw-1", "sink0"}}));

  // Garbage diagnostics count as a packet but leave the last summary alone.
  map.on_message(topic + "251/255", packet(1000, 251, "x"), 260);
  EXPECT_EQ(map.nodes().at(NodeKey{0x123456, 1000}).diagnostics_ms, 250);

  const auto nets = map.networks();
  ASSERT_EQ(nets.size(), 1u);
  EXPECT_EQ(nets[0].network_address, 0x123456u);
  EXPECT_EQ(nets[0].channel, 5u);
  EXPECT_EQ(nets[0].nodes, 1u);

  // Forgetting the gateway keeps what was heard of the nodes.
  map.forget_gateway("gw-1");
  EXPECT_TRUE(map.gateways().empty());
  EXPECT_EQ(map.nodes().size(), 1u);
}

TEST(NetworkMapTest, WhatIsNotAGatewaysMessageChangesNothing) {
  NetworkMap map;
  EXPECT_EQ(map.on_message("gw-event/status/gw-1", "garbage", 1), NetworkMap::Change::none);
  EXPECT_EQ(map.on_message("node/abc/params/local", status(pb::ON), 1), NetworkMap::Change::none);
  EXPECT_EQ(map.on_message("gw-event/received_data/gw-1/sink0/x/1/1", packet(1, 1, ""), 1),
            NetworkMap::Change::none);
  // A backend's request names a gateway but says nothing about it.
  pb::GenericMessage m;
  m.mutable_wirepas()->mutable_get_configs_req()->mutable_header()->set_req_id(7);
  EXPECT_EQ(map.on_message("gw-request/get_configs/gw-9", m.SerializeAsString(), 1),
            NetworkMap::Change::none);
  EXPECT_TRUE(map.gateways().empty());
  EXPECT_TRUE(map.nodes().empty());
}

}  // namespace
}  // namespace stratus::console
