// The console's loop commands (spec wirepas.md §3.2, §3.5): `track_data_packets` and
// `track_devices`, each iteration `update_rate` seconds long, ended by their iteration
// count or a line typed by the user.
#include <boost/json.hpp>
#include <chrono>

#include "console/commands.hpp"
#include "console/detail/command_text.hpp"
#include "console/detail/output.hpp"
#include "console/detail/wall_clock.hpp"
#include "core/hex.hpp"
#include "wirepas/apdu.hpp"
#include "wirepas/topics.hpp"

namespace stratus::console {

namespace pb = wirepas::pb;
namespace json = boost::json;
using namespace detail;
using wirepas::Operation;
using Clock = Link::Clock;

namespace {

// JSON indented by 4, as the original's pretty print (`json.dumps(indent=4)`).
std::string pretty_json(const json::value& v, int depth = 0) {
  const std::string in(static_cast<std::size_t>(depth + 1) * 4, ' ');
  const std::string out(static_cast<std::size_t>(depth) * 4, ' ');
  if (v.is_object() && !v.as_object().empty()) {
    std::string s = "{\n";
    bool first = true;
    for (const auto& [k, x] : v.as_object()) {
      s += (first ? "" : ",\n") + in + json::serialize(json::value(k)) + ": " +
           pretty_json(x, depth + 1);
      first = false;
    }
    return s + "\n" + out + "}";
  }
  if (v.is_array() && !v.as_array().empty()) {
    std::string s = "[\n";
    bool first = true;
    for (const auto& x : v.as_array()) {
      s += (first ? "" : ",\n") + in + pretty_json(x, depth + 1);
      first = false;
    }
    return s + "\n" + out + "]";
  }
  return json::serialize(v);
}

}  // namespace

std::optional<std::optional<std::uint64_t>> Console::loop_iterations(Output& out, const Bound& a) {
  std::optional<std::uint64_t> count = display_.loop_iterations;
  if (const auto it = a.find("iterations"); it != a.end() && it->second != "Inf") {
    count = to_uint(it->second, 1'000'000);
    if (!count || *count == 0) {
      out.fail("Command FAIL. iterations is 1 to 1000000 or Inf");
      return std::nullopt;
    }
  } else if (it != a.end()) {
    count.reset();
  }
  if (!count && !options_.interrupted) {
    out.fail("Command FAIL. Give iterations= (a script cannot type a line to stop it)");
    return std::nullopt;
  }
  return count;
}

std::optional<std::chrono::seconds> Console::update_rate(Output& out, const Bound& a) {
  const auto rate =
      to_uint(value_or(a, "update_rate", std::to_string(display_.loop_timeout_s)), 3600);
  if (!rate || *rate == 0) {
    out.fail("Command FAIL. update_rate is 1 to 3600 s");
    return std::nullopt;
  }
  return std::chrono::seconds(*rate);
}

void Console::loop(std::optional<std::uint64_t> iterations, std::chrono::seconds period,
                   const std::function<void(std::uint64_t)>& each) {
  const auto interrupted = [this] { return options_.interrupted && options_.interrupted(); };
  for (std::uint64_t i = 0; !iterations || i < *iterations; ++i) {
    each(i);
    link_.pump(Clock::now() + period, interrupted);
    if (interrupted())
      break;
  }
}

bool Console::track_data_packets(Output& out, const Bound& a) {
  // Filters: an empty or absent value matches anything.
  const auto want = [&a](const char* key) { return value_or(a, key, ""); };
  const std::string format = want("format").empty() ? "line" : want("format");
  if (format != "line" && format != "message" && format != "json")
    return out.fail("Command FAIL. format is line, message or json");
  const auto rate = update_rate(out, a);
  const auto count = loop_iterations(out, a);
  if (!rate || !count)
    return false;
  std::size_t packets = 0;
  json::array list;
  collector_ = [&](const std::string& topic, const std::string& payload) {
    auto t = wirepas::parse_topic(topic);
    if (!t || t->operation != Operation::received_data)
      return;
    const auto match = [&](const char* key, const std::string& value) {
      const auto w = want(key);
      return w.empty() || w == value;
    };
    auto msg = wirepas::decode(payload, wirepas::Strictness::tolerant);
    if (!msg || !msg->wirepas().has_packet_received_event())
      return;
    const auto& e = msg->wirepas().packet_received_event();
    if (!match("gw_id", t->gw_id) || !match("sink_id", t->sink_id) ||
        !match("network_id", std::to_string(t->network_address)) ||
        !match("source_address", std::to_string(e.source_address())) ||
        !match("source_endpoint", std::to_string(t->source_endpoint)) ||
        !match("destination_endpoint", std::to_string(t->destination_endpoint)))
      return;
    ++packets;
    const auto now = detail::wall_ms();
    const auto rx = static_cast<std::int64_t>(e.rx_time_ms_epoch());
    const auto tx = rx - static_cast<std::int64_t>(e.travel_time_ms());
    const auto& p = e.payload();
    json::object o{{"gw_id", t->gw_id},
                   {"sink_id", t->sink_id},
                   {"network_id", t->network_address},
                   {"event_id", e.header().event_id()},
                   {"rx_time", iso_time(rx)},
                   {"tx_time", iso_time(tx)},
                   {"source_address", e.source_address()},
                   {"destination_address", e.destination_address()},
                   {"source_endpoint", t->source_endpoint},
                   {"destination_endpoint", t->destination_endpoint},
                   {"travel_time_ms", e.travel_time_ms()},
                   {"received_at", iso_time(now)},
                   {"qos", e.qos()},
                   {"data_payload", to_hex(p)},
                   {"data_size", e.has_payload() ? p.size() : e.payload_size()},
                   {"transport_delay", now - tx}};
    if (e.has_hop_count())
      o["hop_count"] = e.hop_count();
    // The APDU by its endpoints (spec §6); a payload its decoder refuses is reported, and
    // the tracking goes on (the original's thread died on short payloads, #348).
    auto decoded =
        wirepas::apdu::decode(t->source_endpoint, t->destination_endpoint,
                              {reinterpret_cast<const std::uint8_t*>(p.data()), p.size()});
    if (decoded)
      o["apdu"] = wirepas::apdu::decoder_name(*decoded);
    else
      o["apdu_error"] = decoded.error().context;
    if (format == "line") {
      out.line(pad("nw:" + std::to_string(t->network_address) + "/" + t->gw_id + "/" + t->sink_id +
                       "/node:" + std::to_string(e.source_address()) +
                       " sendp:" + std::to_string(t->source_endpoint),
                   60) +
               pad("travel time: " + std::to_string(e.travel_time_ms()), 19) +
               "data: " + bytes_text(p, display_.hex) +
               (decoded ? "" : "  (" + decoded.error().context + ")"));
    } else if (format == "message") {
      out.line(display_.greeting + (display_.greeting.empty() ? "" : " ") + t->gw_id + "/" +
               t->sink_id + "/" + std::to_string(t->network_address) + "|" +
               std::to_string(t->source_endpoint) + "->" + std::to_string(t->destination_endpoint) +
               "@" + iso_time(tx));
      out.line(display_.pretty ? pretty_json(o) : json::serialize(o));
    } else {
      out.line(json::serialize(o));
    }
    list.push_back(std::move(o));
  };
  // Each iteration is `update_rate` seconds of traffic; without `iterations`, until the
  // user types a line.
  loop(*count, *rate, [](std::uint64_t) {});
  collector_ = nullptr;
  out.fields()["packets"] = std::move(list);
  out.line("Tracked " + std::to_string(packets) + " packet(s).");
  return true;
}

bool Console::track_devices(Output& out, const Bound& a) {
  const auto rate = update_rate(out, a);
  const auto count = loop_iterations(out, a);
  if (!rate || !count)
    return false;
  json::array snapshots;
  loop(*count, *rate, [&](std::uint64_t n) {
    if (!display_.silent_loop)
      out.line("#" + std::to_string(n) + " : " + iso_time(detail::wall_ms()));
    Output inner(false, out_, "networks");
    if (!options_.json)
      networks(inner, {});
    out.flush();
    json::array nets;
    for (const auto& net : map_.networks())
      nets.push_back(json::object{{"network_address", net.network_address},
                                  {"nodes", net.nodes},
                                  {"sinks", net.sinks.size()}});
    snapshots.push_back(json::object{{"iteration", n}, {"networks", std::move(nets)}});
  });
  out.fields()["iterations"] = std::move(snapshots);
  return true;
}

}  // namespace stratus::console
