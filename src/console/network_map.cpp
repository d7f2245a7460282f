#include "console/network_map.hpp"

#include "wirepas/apdu.hpp"
#include "wirepas/topics.hpp"

namespace stratus::console {
namespace {

namespace pb = wirepas::pb;
using wirepas::Direction;
using wirepas::Operation;

bool is_diagnostics(std::uint32_t source_endpoint) {
  return (source_endpoint >= 251 && source_endpoint <= 254) || source_endpoint == 247;
}

}  // namespace

GatewayEntry& NetworkMap::gateway(const std::string& gw_id, std::int64_t wall_ms) {
  auto [it, inserted] = gateways_.try_emplace(gw_id);
  if (inserted)
    it->second.gw_id = gw_id;
  it->second.last_seen_ms = wall_ms;
  return it->second;
}

void NetworkMap::sink_config(GatewayEntry& gw, const pb::SinkReadConfig& config,
                             std::int64_t wall_ms) {
  if (config.sink_id().empty())
    return;  // tolerant decoding may leave the required id out: nothing to attach it to
  auto [it, inserted] = gw.sinks.try_emplace(config.sink_id());
  it->second.sink_id = config.sink_id();
  it->second.config = config;
  it->second.updated_ms = wall_ms;
}

NetworkMap::Change NetworkMap::on_message(std::string_view topic_text, std::string_view payload,
                                          std::int64_t wall_ms) {
  auto topic = wirepas::parse_topic(topic_text);
  if (!topic)
    return Change::none;
  if (topic->operation == Operation::status && payload.empty()) {
    if (gateways_.erase(topic->gw_id) == 0)
      return Change::none;
    return Change::removed;  // the retained status was cleared (spec §1.4)
  }
  auto message = wirepas::decode(payload, wirepas::Strictness::tolerant);
  if (!message || !message->has_wirepas())
    return Change::none;
  const auto& w = message->wirepas();

  if (topic->operation == Operation::status && w.has_status_event()) {
    const auto& s = w.status_event();
    auto& gw = gateway(topic->gw_id, wall_ms);
    const auto state =
        s.state() == pb::ON ? GatewayEntry::State::online : GatewayEntry::State::offline;
    if (gw.state != state) {
      gw.state = state;
      gw.state_since_ms = wall_ms;
    }
    if (s.has_gw_model())
      gw.model = s.gw_model();
    if (s.has_gw_version())
      gw.version = s.gw_version();
    if (s.has_max_scratchpad_size())
      gw.max_scratchpad_size = s.max_scratchpad_size();
    if (s.gw_features_size() > 0)
      gw.features = {s.gw_features().begin(), s.gw_features().end()};
    for (const auto& c : s.configs())
      sink_config(gw, c, wall_ms);
    return Change::gateway;
  }
  if (topic->direction != Direction::event && topic->direction != Direction::response)
    return Change::none;  // requests are what a backend sends, not what a gateway is

  if (w.has_get_configs_resp()) {
    auto& gw = gateway(topic->gw_id, wall_ms);
    for (const auto& c : w.get_configs_resp().configs())
      sink_config(gw, c, wall_ms);
    return Change::sink;
  }
  if (w.has_set_config_resp()) {
    auto& gw = gateway(topic->gw_id, wall_ms);
    if (w.set_config_resp().has_config())
      sink_config(gw, w.set_config_resp().config(), wall_ms);
    return Change::sink;
  }
  if (w.has_get_gateway_info_resp()) {
    auto& gw = gateway(topic->gw_id, wall_ms);
    const auto& info = w.get_gateway_info_resp().info();
    if (info.has_gw_model())
      gw.model = info.gw_model();
    if (info.has_gw_version())
      gw.version = info.gw_version();
    if (info.has_max_scratchpad_size())
      gw.max_scratchpad_size = info.max_scratchpad_size();
    if (info.gw_features_size() > 0)
      gw.features = {info.gw_features().begin(), info.gw_features().end()};
    return Change::gateway;
  }
  if (topic->operation == Operation::received_data && w.has_packet_received_event()) {
    const auto& e = w.packet_received_event();
    auto& gw = gateway(topic->gw_id, wall_ms);
    gw.sinks.try_emplace(topic->sink_id).first->second.sink_id = topic->sink_id;
    // The topic names the network; the event's own field, when sent, says the same.
    const NodeKey key{topic->network_address, e.source_address()};
    auto [it, inserted] = nodes_.try_emplace(key);
    auto& node = it->second;
    if (inserted)
      node.first_seen_ms = wall_ms;
    node.last_seen_ms = wall_ms;
    ++node.packets;
    if (e.has_hop_count())
      node.hop_count = e.hop_count();
    node.via.emplace(topic->gw_id, topic->sink_id);
    if (is_diagnostics(e.source_endpoint()) && e.has_payload()) {
      const auto& p = e.payload();
      auto decoded =
          wirepas::apdu::decode(static_cast<std::uint8_t>(e.source_endpoint()),
                                static_cast<std::uint8_t>(e.destination_endpoint()),
                                {reinterpret_cast<const std::uint8_t*>(p.data()), p.size()});
      if (decoded) {
        node.diagnostics = std::string(wirepas::apdu::decoder_name(*decoded));
        node.diagnostics_ms = wall_ms;
      }
    }
    return Change::node;
  }
  if (topic->direction == Direction::response) {
    gateway(topic->gw_id, wall_ms);  // any other answer: the gateway exists (the original)
    return Change::gateway;
  }
  return Change::none;
}

std::vector<NetworkEntry> NetworkMap::networks() const {
  std::map<std::uint64_t, NetworkEntry> by_address;
  for (const auto& [gw_id, gw] : gateways_) {
    for (const auto& [sink_id, sink] : gw.sinks) {
      if (!sink.config.has_network_address())
        continue;
      auto& n = by_address[sink.config.network_address()];
      n.network_address = sink.config.network_address();
      n.sinks.emplace(gw_id, sink_id);
      if (sink.config.has_network_channel())
        n.channel = sink.config.network_channel();
    }
  }
  for (const auto& [key, node] : nodes_) {
    auto& n = by_address[key.network_address];
    n.network_address = key.network_address;
    ++n.nodes;
    for (const auto& v : node.via)
      n.sinks.insert(v);
  }
  std::vector<NetworkEntry> out;
  out.reserve(by_address.size());
  for (auto& [address, n] : by_address)
    out.push_back(std::move(n));
  return out;
}

std::vector<std::string> NetworkMap::offline_gateways() const {
  std::vector<std::string> out;
  for (const auto& [id, gw] : gateways_) {
    if (gw.state == GatewayEntry::State::offline)
      out.push_back(id);
  }
  return out;
}

void NetworkMap::forget_gateway(std::string_view gw_id) {
  if (auto it = gateways_.find(gw_id); it != gateways_.end())
    gateways_.erase(it);
}

}  // namespace stratus::console
