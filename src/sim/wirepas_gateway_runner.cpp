#include "sim/wirepas_gateway_runner.hpp"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <vector>

#include "mqtt/connection_pool.hpp"

namespace stratus::sim {
namespace {

using Clock = WirepasGateway::Clock;

Result<void> check(const WirepasSimOptions& o) {
  if (o.gateways < 1 || o.gateways > 10000)
    return fail(errc::invalid_argument, "--gateways must be 1 to 10000");
  if (o.nodes < 0 || o.nodes > 100000)
    return fail(errc::invalid_argument, "--nodes must be 0 to 100000");
  if (o.sinks < 1 || o.sinks > 2)
    return fail(errc::invalid_argument, "--sinks must be 1 or 2");
  if (o.max_hops < 1 || o.max_hops > 15)
    return fail(errc::invalid_argument, "--max-hops must be 1 to 15");
  if (o.host.empty() || o.port == 0)
    return fail(errc::invalid_argument, "an MQTT host and port are needed");
  return {};
}

std::vector<WirepasSinkModel> sinks_for(const WirepasSimOptions& o, int index) {
  WirepasSinkModel first;
  first.sink_id = "sink0";
  first.node_address = 1;
  // One network per gateway: 0x100000 + index stays within 24 bits for 10000 gateways.
  first.network_address = 0x100000u + static_cast<std::uint32_t>(index);
  first.network_channel = static_cast<std::uint32_t>(1 + index % 40);
  for (int n = 0; n < o.nodes; ++n) {
    first.nodes.push_back(WirepasNodeModel{static_cast<std::uint32_t>(1000 + n),
                                           static_cast<std::uint8_t>(1 + n % o.max_hops)});
  }
  for (std::size_t k = static_cast<std::size_t>(index); k < o.joining.size();
       k += static_cast<std::size_t>(o.gateways)) {
    auto joiner = o.joining[k];
    if (joiner.address == 0)
      joiner.address = static_cast<std::uint32_t>(900000 + k);
    first.joining.push_back(std::move(joiner));
  }
  std::vector<WirepasSinkModel> out{first};
  if (o.sinks == 2) {
    WirepasSinkModel second;
    second.sink_id = "sink1";
    second.configured = false;
    out.push_back(second);
  }
  return out;
}

}  // namespace

Result<WirepasSimReport> run_wirepas_gateways(const WirepasSimOptions& options,
                                              const std::function<void(const std::string&)>& log,
                                              const std::atomic<bool>* stop) {
  if (auto r = check(options); !r)
    return fail(r.error());
  const auto say = [&](const std::string& line) {
    if (log)
      log(line);
  };

  std::vector<std::unique_ptr<WirepasGateway>> gateways;
  for (int i = 0; i < options.gateways; ++i) {
    auto gw_options = options.gateway;
    gw_options.gw_id = options.gateway_prefix + std::to_string(i);
    gw_options.seed = options.gateway.seed + static_cast<std::uint64_t>(i);
    auto gw = WirepasGateway::create(std::move(gw_options), sinks_for(options, i));
    if (!gw)
      return fail(gw.error());
    gateways.push_back(std::move(*gw));
  }

  WirepasSimReport report;
  report.gateways = options.gateways;
  std::unordered_map<mqtt::ConnectionId, std::size_t> index_of;
  std::vector<mqtt::ConnectionId> ids(gateways.size(), 0);
  mqtt::ConnectionPool* pool_ptr = nullptr;

  const auto send = [&](std::size_t g, const std::vector<WirepasPublish>& out) {
    for (const auto& p : out) {
      if (!pool_ptr->publish(ids[g], p.topic, p.payload, p.qos, p.retain))
        ++report.publish_failures;
    }
  };

  mqtt::PoolHandlers handlers;
  handlers.on_connection = [&](mqtt::ConnectionId id, bool connected, std::string_view reason) {
    const auto it = index_of.find(id);
    if (it == index_of.end())
      return;
    auto& gw = *gateways[it->second];
    if (!connected) {
      say(gw.gw_id() + ": disconnected (" + std::string(reason) + ")");
      return;
    }
    ++report.connects;
    for (const auto& filter : gw.subscriptions())
      (void)pool_ptr->subscribe(id, filter, 2);
    send(it->second, gw.on_connected(Clock::now()));
  };
  handlers.on_message = [&](mqtt::ConnectionId id, const mqtt::Message& message) {
    const auto it = index_of.find(id);
    if (it == index_of.end())
      return;
    send(it->second,
         gateways[it->second]->on_message(message.topic, message.payload, Clock::now()));
  };

  mqtt::PoolOptions pool_options;
  pool_options.max_connections = static_cast<std::size_t>(options.gateways);
  pool_options.reconnect_min = std::chrono::milliseconds(500);
  pool_options.reconnect_max = std::chrono::milliseconds(10000);
  auto pool = mqtt::ConnectionPool::create(pool_options, std::move(handlers));
  if (!pool)
    return fail(pool.error());
  pool_ptr = pool->get();

  for (std::size_t g = 0; g < gateways.size(); ++g) {
    mqtt::ClientOptions c;
    c.host = options.host;
    c.port = options.port;
    c.client_id = gateways[g]->gw_id();  // the reference gateway's rule
    c.username = options.username;
    c.password = options.password;
    if (!options.insecure)
      c.tls = mqtt::TlsOptions{options.ca_file, "", ""};
    c.keepalive = std::chrono::seconds(20);
    c.clean_start = !options.persist_session;
    c.protocol_version = 4;
    const auto will = gateways[g]->last_will();
    c.will = mqtt::Message{will.topic, will.payload, will.qos, will.retain};
    auto id = (*pool)->add(std::move(c));
    if (!id)
      return fail(id.error());
    ids[g] = *id;
    index_of.emplace(*id, g);
  }
  say("wirepas-gateway: " + std::to_string(gateways.size()) + " gateway(s), " +
      std::to_string(options.nodes) + " node(s) each, broker " + options.host + ":" +
      std::to_string(options.port));

  const auto started = Clock::now();
  auto next_tick = started;
  while (!(stop != nullptr && stop->load()) &&
         (options.duration.count() == 0 || Clock::now() - started < options.duration)) {
    const auto now = Clock::now();
    if (now >= next_tick) {
      for (std::size_t g = 0; g < gateways.size(); ++g) {
        const auto due = gateways[g]->next_wakeup();
        if (due && *due <= now && (*pool)->connected(ids[g]))
          send(g, gateways[g]->tick(now));
      }
      next_tick = now + options.tick;
    }
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - Clock::now());
    (*pool)->poll(std::clamp(wait, std::chrono::milliseconds(0), options.tick));
  }

  // A clean stop: OFFLINE replaces the retained ONLINE status, then DISCONNECT (no will).
  for (std::size_t g = 0; g < gateways.size(); ++g) {
    if ((*pool)->connected(ids[g])) {
      const auto offline = gateways[g]->offline_status();
      (void)(*pool)->publish(ids[g], offline.topic, offline.payload, 1, true);
    }
  }
  const auto flush_until = Clock::now() + std::chrono::seconds(2);
  for (std::size_t g = 0; g < gateways.size(); ++g)
    (*pool)->disconnect(ids[g]);
  while ((*pool)->connected_count() > 0 && Clock::now() < flush_until)
    (*pool)->poll(std::chrono::milliseconds(20));

  for (const auto& gw : gateways) {
    const auto& s = gw->stats();
    report.requests += s.requests;
    report.responses += s.responses;
    report.uplinks += s.uplinks;
    report.downlinks_delivered += s.downlinks_delivered;
    report.ignored += s.ignored;
    report.provisioned += s.provisioned;
    report.provisioning_failed += s.provisioning_failed;
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return report;
}

}  // namespace stratus::sim
