#include "console/provisioning_backend.hpp"

#include <boost/json.hpp>

#include "wirepas/messages.hpp"
#include "wirepas/topics.hpp"

namespace stratus::console {
namespace {

namespace prov = wirepas::provisioning;
namespace pb = wirepas::pb;
using wirepas::Direction;
using wirepas::Operation;

constexpr std::size_t kRecentOutcomes = 100;

// A `mqtt_subscribe_*` level: `+` or a decimal number.
std::optional<std::uint64_t> numeric_level(const std::string& level) {
  if (level == "+" || level.empty())
    return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : level) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<std::string_view> id_level(const std::string& level) {
  if (level == "+" || level.empty())
    return std::nullopt;
  return std::string_view(level);
}

}  // namespace

ProvisioningBackend::ProvisioningBackend(ProvisioningConfig config, prov::ServerOptions options,
                                         std::uint64_t seed)
    : config_(std::make_shared<ProvisioningConfig>(std::move(config))),
      server_(
          [this](std::string_view uid) -> const prov::NodeConfig* {
            const auto it = config_->nodes.find(uid);
            return it == config_->nodes.end() ? nullptr : &it->second;
          },
          options, seed) {}

std::vector<std::string> ProvisioningBackend::filters(const MqttSettings& s) {
  // The endpoints are the protocol's; the other levels may be narrowed. A narrowing that
  // names a numeric level the topic scheme cannot hold is left as `+`.
  return {
      wirepas::received_data_filter(id_level(s.subscribe_gateway_id), id_level(s.subscribe_sink_id),
                                    numeric_level(s.subscribe_network_id), prov::kNodeEndpoint,
                                    prov::kServerEndpoint),
      wirepas::operation_filter(Direction::response, Operation::send_data,
                                id_level(s.subscribe_gateway_id), id_level(s.subscribe_sink_id)),
  };
}

ProvisioningBackend::Output ProvisioningBackend::convert(prov::Actions actions,
                                                         Clock::time_point now,
                                                         std::int64_t wall_ms) {
  Output out;
  for (auto& send : actions.sends) {
    pb::GenericMessage m;
    auto* r = m.mutable_wirepas()->mutable_send_packet_req();
    r->mutable_header()->set_req_id(send.req_id);
    r->mutable_header()->set_sink_id(send.sink_id);
    r->set_destination_address(send.destination);
    r->set_source_endpoint(prov::kServerEndpoint);
    r->set_destination_endpoint(prov::kNodeEndpoint);
    r->set_qos(1);  // Wirepas QoS 1: high priority (spec §5.3)
    r->set_payload(std::move(send.payload));
    auto topic = wirepas::build_topic(
        {Direction::request, Operation::send_data, send.gw_id, send.sink_id, 0, 0, 0});
    auto payload = wirepas::encode(m);
    if (!topic || !payload) {
      // Ids come from a parsed topic, so this cannot happen; fail the send rather than drop.
      auto more = server_.on_send_result(send.req_id, false, now);
      ++counters_.send_failures;
      auto converted = convert(std::move(more), now, wall_ms);
      out.publishes.insert(out.publishes.end(), converted.publishes.begin(),
                           converted.publishes.end());
      out.finished.insert(out.finished.end(), converted.finished.begin(), converted.finished.end());
      continue;
    }
    ++counters_.requests;
    out.publishes.push_back(Publish{std::move(*topic), std::move(*payload), send.req_id});
  }
  for (auto& f : actions.finished) {
    ProvisioningOutcome o;
    o.key = f.key;
    o.uid = f.uid.empty() ? std::string() : printable_uid(f.uid);
    if (auto it = config_->names.find(f.uid); !f.uid.empty() && it != config_->names.end())
      o.name = it->second;
    if (auto it = origins_.find(f.key); it != origins_.end()) {
      o.gw_id = it->second.gw_id;
      o.sink_id = it->second.sink_id;
      origins_.erase(it);
    }
    o.status = f.status;
    o.at_ms = wall_ms;
    ++counters_.outcomes[std::string(prov::to_string(f.status))];
    recent_.push_back(o);
    if (recent_.size() > kRecentOutcomes)
      recent_.pop_front();
    out.finished.push_back(std::move(o));
  }
  return out;
}

ProvisioningBackend::Output ProvisioningBackend::on_message(std::string_view topic_text,
                                                            std::string_view payload,
                                                            Clock::time_point now,
                                                            std::int64_t wall_ms) {
  auto topic = wirepas::parse_topic(topic_text);
  if (!topic) {
    ++counters_.ignored;
    return {};
  }
  auto message = wirepas::decode(payload, wirepas::Strictness::tolerant);
  if (!message || !message->has_wirepas()) {
    ++counters_.ignored;
    return {};
  }
  const auto& w = message->wirepas();
  if (topic->direction == Direction::event && topic->operation == Operation::received_data &&
      w.has_packet_received_event()) {
    const auto& e = w.packet_received_event();
    if (e.source_endpoint() != prov::kNodeEndpoint ||
        e.destination_endpoint() != prov::kServerEndpoint || !e.has_payload()) {
      ++counters_.ignored;
      return {};
    }
    ++counters_.packets;
    prov::PacketOrigin origin;
    origin.gw_id = topic->gw_id;
    origin.sink_id = topic->sink_id;
    origin.source_address = e.source_address();
    origin.tx_time_ms = static_cast<std::int64_t>(e.rx_time_ms_epoch()) -
                        static_cast<std::int64_t>(e.travel_time_ms());
    auto actions = server_.on_packet(origin, e.payload(), now);
    // Remember where the session's latest packet came from (the server does the same for
    // its replies); a frame that is not one leaves nothing behind.
    if (auto frame = prov::decode_frame(e.payload())) {
      const auto header = std::visit([](const auto& f) { return f.header; }, *frame);
      const prov::SessionKey key{origin.source_address, header.node_address, header.session_id};
      auto [it, inserted] = origins_.try_emplace(key, origin);
      if (!inserted && origin.tx_time_ms >= it->second.tx_time_ms)
        it->second = origin;
    } else {
      ++counters_.ignored;
    }
    return convert(std::move(actions), now, wall_ms);
  }
  if (topic->direction == Direction::response && topic->operation == Operation::send_data &&
      w.has_send_packet_resp()) {
    const auto& h = w.send_packet_resp().header();
    const auto via = server_.gateway_of(h.req_id());
    if (!via || *via != topic->gw_id)
      return {};  // another backend's request, a late answer, or a stranger's topic
    const bool ok = h.res() == pb::OK;
    if (!ok)
      ++counters_.send_failures;
    return convert(server_.on_send_result(h.req_id(), ok, now), now, wall_ms);
  }
  ++counters_.ignored;
  return {};
}

ProvisioningBackend::Output ProvisioningBackend::on_publish_failed(std::uint64_t req_id,
                                                                   Clock::time_point now,
                                                                   std::int64_t wall_ms) {
  ++counters_.send_failures;
  return convert(server_.on_send_result(req_id, false, now), now, wall_ms);
}

ProvisioningBackend::Output ProvisioningBackend::tick(Clock::time_point now, std::int64_t wall_ms) {
  return convert(server_.tick(now), now, wall_ms);
}

std::optional<ProvisioningBackend::Clock::time_point> ProvisioningBackend::next_wakeup() const {
  return server_.next_wakeup();
}

void ProvisioningBackend::reload(ProvisioningConfig config) {
  *config_ = std::move(config);
  ++counters_.reloads;
}

std::string status_json(const ProvisioningBackend& backend, std::int64_t wall_ms) {
  namespace json = boost::json;
  const auto& c = backend.counters();
  json::object outcomes;
  for (const auto& [name, n] : c.outcomes)
    outcomes[name] = n;
  json::array recent;
  for (const auto& o : backend.recent()) {
    recent.push_back(json::object{
        {"at_ms", o.at_ms},
        {"status", prov::to_string(o.status)},
        {"uid", o.uid},
        {"name", o.name},
        {"source_address", o.key.source_address},
        {"node_address", o.key.node_address},
        {"session_id", o.key.session_id},
        {"gw_id", o.gw_id},
        {"sink_id", o.sink_id},
    });
  }
  const json::object status{
      {"updated_ms", wall_ms},
      {"nodes_configured", backend.config().nodes.size()},
      {"sessions_open", backend.sessions()},
      {"packets", c.packets},
      {"ignored", c.ignored},
      {"requests", c.requests},
      {"send_failures", c.send_failures},
      {"reloads", c.reloads},
      {"outcomes", std::move(outcomes)},
      {"recent", std::move(recent)},
  };
  return json::serialize(status);
}

}  // namespace stratus::console
