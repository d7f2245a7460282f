// The console's remote-API commands (spec wirepas.md §3.3-3.4): MSAP frames sent from
// endpoint 255 to endpoint 240 of the mesh through the selected sink, replies collected
// from endpoint 240 until the mesh falls silent.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>

#include "console/commands.hpp"
#include "console/detail/command_text.hpp"
#include "console/detail/output.hpp"
#include "console/detail/replies.hpp"
#include "wirepas/msap.hpp"
#include "wirepas/topics.hpp"

namespace stratus::console {

namespace pb = wirepas::pb;
namespace json = boost::json;
namespace msap = wirepas::msap;
using namespace detail;

namespace {

constexpr std::uint32_t kBroadcast = 0xFFFFFFFF;

// The MSAP frame of `requests`; they are few and small, so it always fits.
std::vector<std::uint8_t> frame_of(const std::vector<msap::Request>& requests) {
  std::vector<msap::Item> items;
  for (const auto& r : requests)
    items.push_back(msap::encode(r));
  auto frame = msap::join(items);
  return frame ? std::move(*frame) : std::vector<std::uint8_t>{};
}

std::string crc_text(std::uint16_t crc) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", crc);
  return text;
}

std::string version_text(const msap::Version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.maint) +
         "." + std::to_string(v.devel);
}

template <typename T>
const T* find_reply(const std::vector<msap::Reply>& items) {
  for (const auto& r : items) {
    if (const auto* p = std::get_if<T>(&r))
      return p;
  }
  return nullptr;
}

}  // namespace

struct Console::RemoteApiReply {
  std::uint32_t address = 0;
  std::int64_t ms = 0;  // since the request was sent
  std::optional<std::uint32_t> hops;
  std::vector<msap::Reply> items;  // the items that decoded
  bool garbled = false;            // some did not: a reply the console cannot read
};

std::optional<std::vector<Console::RemoteApiReply>> Console::remote_api(
    Output& out, const std::string& gw_id, const std::string& sink_id,
    const std::vector<std::uint8_t>& frame, std::uint32_t destination,
    std::chrono::milliseconds silence, const std::function<void(const RemoteApiReply&)>& on_reply) {
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_send_packet_req();
  const auto req_id = wirepas::new_request_id();
  r->mutable_header()->set_req_id(req_id);
  r->mutable_header()->set_sink_id(sink_id);
  r->set_destination_address(destination);
  r->set_source_endpoint(msap::kRequestSourceEndpoint);
  r->set_destination_endpoint(msap::kRemoteApiEndpoint);
  r->set_qos(0);
  r->set_payload(std::string(frame.begin(), frame.end()));

  std::vector<RemoteApiReply> replies;
  const auto sent = Link::Clock::now();
  auto last = sent;
  collector_ = [&](const std::string& topic, const std::string& payload) {
    auto t = wirepas::parse_topic(topic);
    if (!t || t->operation != wirepas::Operation::received_data || t->gw_id != gw_id ||
        t->sink_id != sink_id || t->source_endpoint != msap::kRemoteApiEndpoint)
      return;
    auto msg = wirepas::decode(payload, wirepas::Strictness::tolerant);
    if (!msg || !msg->wirepas().has_packet_received_event())
      return;
    const auto& e = msg->wirepas().packet_received_event();
    const auto& p = e.payload();
    RemoteApiReply reply;
    reply.address = e.source_address();
    last = Link::Clock::now();
    reply.ms = std::chrono::duration_cast<std::chrono::milliseconds>(last - sent).count();
    if (e.has_hop_count())
      reply.hops = e.hop_count();
    auto items = msap::split({reinterpret_cast<const std::uint8_t*>(p.data()), p.size()});
    reply.garbled = !items;
    if (items) {
      for (const auto& item : *items) {
        auto decoded = msap::decode_reply(item);
        if (decoded)
          reply.items.push_back(std::move(*decoded));
        else
          reply.garbled = true;
      }
    }
    on_reply(reply);
    replies.push_back(std::move(reply));
  };
  auto resp = exchange(wirepas::Operation::send_data, gw_id, sink_id, req_id, m.SerializeAsString(),
                       options_.request_timeout);
  if (!resp || !result_ok(*resp)) {
    collector_ = nullptr;
    out.fail(resp ? "Command FAIL. send_data " + result_of(*resp)
                  : "Error got no reply for " + gw_id + " in time.");
    return std::nullopt;
  }
  if (replies.empty())  // the silence counts from the gateway's answer
    last = Link::Clock::now();
  for (;;) {  // replies until `silence` passes without one
    const auto until = last + silence;
    if (Link::Clock::now() >= until)
      break;
    const auto before = replies.size();
    link_.pump(until, [&] { return replies.size() != before; });
  }
  collector_ = nullptr;
  return replies;
}

bool Console::ping(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto silence = timeout_of(a, options_.silence_timeout);
  if (!silence)
    return out.fail("Command FAIL. timeout is a number of seconds");
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const auto reference = msap::ping_reference(static_cast<std::uint64_t>(now_s));
  std::set<std::uint32_t> seen;
  struct Pong {
    std::uint32_t address;
    std::int64_t ms;
    std::optional<std::uint32_t> hops;
  };
  std::vector<Pong> pongs;
  auto replies = remote_api(
      out, gateway_, sink_, frame_of({msap::Ping{reference}}), kBroadcast, *silence,
      [&](const RemoteApiReply& r) {
        const auto* pong = find_reply<msap::PingReply>(r.items);
        if (pong == nullptr || pong->reference != reference || !seen.insert(r.address).second)
          return;
        pongs.push_back({r.address, r.ms, r.hops});
        out.line("T " + std::to_string(r.ms) + " ms: Node #" + std::to_string(pongs.size()) +
                 " ping resp from node address " + std::to_string(r.address));
        out.flush();
      });
  if (!replies)
    return false;
  std::map<std::uint32_t, std::size_t> histogram;
  json::array list;
  for (const auto& p : pongs) {
    if (p.hops)
      ++histogram[*p.hops];
    json::object o{{"address", p.address}, {"ms", p.ms}};
    if (p.hops)
      o["hop_count"] = *p.hops;
    list.push_back(std::move(o));
  }
  std::uint64_t difficulty = 0;
  json::object hist;
  for (const auto& [hops, count] : histogram) {
    out.line("| Hop count " + std::to_string(hops) + " : " + std::string(count, '*'));
    difficulty += static_cast<std::uint64_t>(hops) * count;
    hist[std::to_string(hops)] = count;
  }
  out.line("C = " + std::to_string(difficulty));
  out.fields()["replies"] = std::move(list);
  out.fields()["hop_histogram"] = std::move(hist);
  if (pongs.empty())
    return out.fail("No response received.");
  out.line("Ok response received from " + std::to_string(pongs.size()) + " node(s).");
  return true;
}

bool Console::scratchpad_check_all(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto silence = timeout_of(a, options_.silence_timeout);
  if (!silence)
    return out.fail("Command FAIL. timeout is a number of seconds");
  std::map<std::uint32_t, msap::ScratchpadStatusReply> status;
  const auto collect = [&](const RemoteApiReply& r) {
    if (const auto* s = find_reply<msap::ScratchpadStatusReply>(r.items))
      status.emplace(r.address, *s);
  };
  const auto frame = frame_of({msap::ScratchpadStatusQuery{}});
  if (!remote_api(out, gateway_, sink_, frame, kBroadcast, *silence, collect))
    return false;
  // The sink is a node too; a broadcast may not reach its own application (spec §3.3).
  const auto gw = map_.gateways().find(gateway_);
  if (gw != map_.gateways().end()) {
    const auto sink = gw->second.sinks.find(sink_);
    if (sink != gw->second.sinks.end() && sink->second.config.has_node_address() &&
        !status.contains(sink->second.config.node_address()) &&
        !remote_api(out, gateway_, sink_, frame, sink->second.config.node_address(),
                    std::min(*silence, std::chrono::milliseconds(2000)), collect))
      out.line("(the sink's own status could not be asked; the table is the network's)");
  }
  out.line(pad("Address", 12) + pad("Stored seq", 12) + pad("Stored crc", 12) +
           pad("Stack proc seq", 16) + pad("Proc crc", 10) + pad("Stack SW", 12) +
           pad("Proc fw area", 14) + pad("App proc seq", 14) + pad("App SW", 10) + "Proc app area");
  std::map<std::string, std::size_t> processed;  // firmware (stack and app) → nodes
  std::map<std::string, std::size_t> stored;     // stored image (seq, crc) → nodes
  json::array list;
  for (const auto& [address, s] : status) {
    const auto app_seq = s.application ? std::to_string(s.application->processed_sequence) : "-";
    const auto app_sw = s.application ? version_text(s.application->version) : "-";
    char area[16];
    std::snprintf(area, sizeof area, "0x%08x", s.firmware_area_id);
    char app_area[16] = "-";
    if (s.application)
      std::snprintf(app_area, sizeof app_area, "0x%08x", s.application->area_id);
    out.line(pad(std::to_string(address), 12) + pad(std::to_string(s.stored_sequence), 12) +
             pad(crc_text(s.stored_crc), 12) + pad(std::to_string(s.processed_sequence), 16) +
             pad(crc_text(s.processed_crc), 10) + pad(version_text(s.firmware), 12) +
             pad(area, 14) + pad(app_seq, 14) + pad(app_sw, 10) + app_area);
    ++processed[version_text(s.firmware) + " / app " + app_sw];
    ++stored[std::to_string(s.stored_sequence) + " (" + crc_text(s.stored_crc) + ")"];
    json::object o{{"address", address},
                   {"stored_seq", s.stored_sequence},
                   {"stored_crc", s.stored_crc},
                   {"stored_length", s.stored_length},
                   {"processed_seq", s.processed_sequence},
                   {"processed_crc", s.processed_crc},
                   {"firmware", version_text(s.firmware)},
                   {"firmware_area_id", s.firmware_area_id}};
    if (s.application) {
      o["app_processed_seq"] = s.application->processed_sequence;
      o["app_version"] = app_sw;
      o["app_area_id"] = s.application->area_id;
    }
    list.push_back(std::move(o));
  }
  const auto share = [&](std::size_t n) {
    char text[16];
    std::snprintf(text, sizeof text, "%.1f",
                  100.0 * static_cast<double>(n) / static_cast<double>(status.size()));
    return std::string(text);
  };
  for (const auto& [firmware, n] : processed)
    out.line("Firmware " + firmware + " running on " + std::to_string(n) + " node(s) (" + share(n) +
             "%)");
  for (const auto& [image, n] : stored)
    out.line("Scratchpad " + image + " stored on " + std::to_string(n) + " node(s) (" + share(n) +
             "%)");
  if (stored.size() == 1)
    out.line("All nodes of network has firmware '" + stored.begin()->first + "' stored.");
  else if (stored.size() > 1)
    out.line("More than one firmware detected.");
  out.fields()["nodes"] = std::move(list);
  if (status.empty())
    return out.fail("No response received.");
  return true;
}

bool Console::scratchpad_update_only_nodes(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto seq = to_uint(value_or(a, "seq", ""), 255);
  if (!seq || *seq == 0)
    return out.fail("Command FAIL. scratchpad_update_only_nodes seq=<1-255>");
  const auto silence = timeout_of(a, std::chrono::seconds(60));
  if (!silence)
    return out.fail("Command FAIL. timeout is a number of seconds");
  // One combined frame (spec §3.3): cancel + begin + scratchpad update + end + update 30 s.
  const auto frame = frame_of({msap::Cancel{}, msap::Begin{},
                               msap::ScratchpadUpdate{static_cast<std::uint8_t>(*seq)}, msap::End{},
                               msap::Update{30}});
  out.line("Sending the update of scratchpad " + std::to_string(*seq) +
           " and waiting for replies up to " + seconds(*silence) + " secs of silence..");
  std::set<std::uint32_t> ok;
  std::set<std::uint32_t> refused;
  auto replies =
      remote_api(out, gateway_, sink_, frame, kBroadcast, *silence, [&](const RemoteApiReply& r) {
        const bool good = !r.garbled && find_reply<msap::ErrorReply>(r.items) == nullptr &&
                          find_reply<msap::UpdateReply>(r.items) != nullptr;
        (good ? ok : refused).insert(r.address);
      });
  if (!replies)
    return false;
  out.line("Update accepted by " + std::to_string(ok.size()) + " node(s), refused by " +
           std::to_string(refused.size()) + ".");
  out.fields()["accepted"] = json::array(ok.begin(), ok.end());
  out.fields()["refused"] = json::array(refused.begin(), refused.end());
  if (ok.empty())
    return out.fail("No node accepted the update.");
  return true;
}

bool Console::send_msap_cancel(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto silence = timeout_of(a, options_.silence_timeout);
  if (!silence)
    return out.fail("Command FAIL. timeout is a number of seconds");
  std::set<std::uint32_t> ok;
  auto replies = remote_api(out, gateway_, sink_, frame_of({msap::Cancel{}}), kBroadcast, *silence,
                            [&](const RemoteApiReply& r) {
                              const auto* ack = find_reply<msap::Ack>(r.items);
                              if (ack != nullptr && ack->request == msap::Type::cancel)
                                ok.insert(r.address);
                            });
  if (!replies)
    return false;
  out.line("Cancel acknowledged by " + std::to_string(ok.size()) + " node(s).");
  out.fields()["acknowledged"] = json::array(ok.begin(), ok.end());
  return ok.empty() ? out.fail("No response received.") : true;
}

bool Console::set_ndiag(Output& out, const Bound& a) {
  // The original's menu choices (spec §3.3): off, 30, 60, 120, 300, 1200 s.
  static constexpr std::uint64_t kIntervals[] = {0, 30, 60, 120, 300, 1200};
  std::string text = value_or(a, "interval", "");
  if (text.empty() && !can_ask())
    return out.fail("Command FAIL. set_ndiag interval=<off|30|60|120|300|1200>");
  if (text.empty()) {
    auto chosen = menu(out, {"off", "30 s", "60 s", "120 s", "300 s", "1200 s"}, "interval");
    if (!chosen)
      return out.fail("Command FAIL. set_ndiag interval=<off|30|60|120|300|1200>");
    text = chosen->substr(0, chosen->find(' '));
  }
  const auto interval = text == "off" ? std::optional<std::uint64_t>(0) : to_uint(text, 1200);
  if (!interval ||
      std::find(std::begin(kIntervals), std::end(kIntervals), *interval) == std::end(kIntervals))
    return out.fail("Command FAIL. interval is one of off, 30, 60, 120, 300, 1200");
  const auto silence = timeout_of(a, options_.silence_timeout);
  if (!silence)
    return out.fail("Command FAIL. timeout is a number of seconds");
  // The network: named, else the selected sink's.
  std::optional<std::uint64_t> network;
  if (a.contains("network")) {
    network = to_uint(a.at("network"), 0xFFFFFF);
    if (!network)
      return out.fail("Command FAIL. network is a network address");
  } else if (const auto gw = map_.gateways().find(gateway_); gw != map_.gateways().end()) {
    const auto sink = gw->second.sinks.find(sink_);
    if (sink != gw->second.sinks.end() && sink->second.config.has_network_address())
      network = sink->second.config.network_address();
  }
  if (!network)
    return out.fail("Command FAIL. Give network= or select a configured sink.");
  std::vector<std::pair<std::string, std::string>> sinks;
  for (const auto& n : map_.networks()) {
    if (n.network_address == *network)
      sinks.assign(n.sinks.begin(), n.sinks.end());
  }
  if (sinks.empty())
    return out.fail("Command FAIL. No sink of network " + std::to_string(*network) +
                    " is known (gateway_configuration finds them).");
  const msap::DiagnosticControl control{static_cast<std::uint16_t>(*interval),
                                        static_cast<std::uint8_t>(*interval == 0 ? 0xFF : 0x02)};
  std::set<std::uint32_t> ok;
  json::array through;
  for (const auto& [gw, sink] : sinks) {
    out.line("Setting neighbour diagnostics " +
             (*interval == 0 ? std::string("off") : std::to_string(*interval) + " s") +
             " through " + gw + "/" + sink + "..");
    auto replies = remote_api(out, gw, sink, frame_of({control}), kBroadcast, *silence,
                              [&](const RemoteApiReply& r) {
                                if (find_reply<msap::DiagnosticControlReply>(r.items) != nullptr)
                                  ok.insert(r.address);
                              });
    if (replies)  // a sink that failed was said so; the others still get the control
      through.push_back(json::string(gw + "/" + sink));
  }
  out.line("Diagnostics control applied by " + std::to_string(ok.size()) + " node(s).");
  out.fields()["network"] = *network;
  out.fields()["interval"] = *interval;
  out.fields()["sinks"] = std::move(through);
  out.fields()["applied"] = json::array(ok.begin(), ok.end());
  return ok.empty() ? out.fail("No response received.") : true;
}

}  // namespace stratus::console
