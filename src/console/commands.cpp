#include "console/commands.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <ostream>
#include <set>

#include "console/capture.hpp"
#include "console/detail/command_text.hpp"
#include "console/detail/output.hpp"
#include "console/detail/replies.hpp"
#include "console/detail/wall_clock.hpp"
#include "core/hex.hpp"
#include "core/strings.hpp"
#include "wirepas/topics.hpp"

namespace stratus::console {
namespace {

namespace pb = wirepas::pb;
namespace json = boost::json;
using wirepas::Direction;
using wirepas::Operation;
using Clock = Link::Clock;
using namespace detail;  // the commands' text helpers and reply readers

std::string_view state_name(GatewayEntry::State s) {
  switch (s) {
    case GatewayEntry::State::online:
      return "online";
    case GatewayEntry::State::offline:
      return "offline";
    case GatewayEntry::State::unknown:
      break;
  }
  return "unknown";
}

json::object sink_json(const std::string& gw_id, const SinkEntry& sink) {
  json::object o{{"gw_id", gw_id}, {"sink_id", sink.sink_id}};
  const auto& c = sink.config;
  if (c.has_network_address())
    o["network_address"] = c.network_address();
  if (c.has_network_channel())
    o["network_channel"] = c.network_channel();
  if (c.has_node_address())
    o["node_address"] = c.node_address();
  if (c.has_node_role())
    o["node_role"] = wirepas::role_to_int(c.node_role());
  if (c.has_sink_state())
    o["started"] = c.sink_state() == pb::ON;
  if (c.has_app_config()) {
    o["app_config_seq"] = c.app_config().seq();
    o["app_config_diag"] = c.app_config().diag_interval_s();
    o["app_config_data"] = to_hex(c.app_config().app_config_data());
  }
  if (c.has_firmware_version())
    o["firmware"] = firmware_text(c.firmware_version());
  return o;
}

}  // namespace

Console::Console(Link& link, ConsoleOptions options, std::ostream& out)
    : link_(link), options_(std::move(options)), out_(out) {}

Console::~Console() = default;

// One command: its names (the first is the one `help` shows), its arguments in positional
// order, and what it does.
struct Console::Command {
  std::vector<const char*> names;
  std::vector<const char*> keys;
  bool (Console::*handler)(Output&, const Bound&);
  const char* help;
};

const std::vector<Console::Command>& Console::commands() {
  using C = Console;
  static const std::vector<Command> table = {
      {{"gateways"}, {}, &C::gateways, "every gateway seen, its sinks and state"},
      {{"sinks"}, {}, &C::sinks, "the sinks of the selected gateway, or of all"},
      {{"nodes"}, {}, &C::nodes, "the nodes heard (through the selected gateway)"},
      {{"networks"}, {}, &C::networks, "the network addresses seen"},
      {{"list", "ls"}, {"what"}, &C::list, "networks, or `list gateways`"},
      {{"selection"}, {}, &C::selection, "the selected gateway, sink and network"},
      {{"set_gateway"}, {"gw_id"}, &C::set_gateway, "select a gateway (a menu without an id)"},
      {{"set_sink"}, {"sink_id"}, &C::set_sink, "select a sink (a menu without an id)"},
      {{"gateway_configuration"},
       {"timeout"},
       &C::gateway_configuration,
       "ask every online gateway (or the selected one) for its sinks' configuration"},
      {{"set_app_config"},
       {"app_config_seq", "app_config_data", "app_config_diag", "timeout"},
       &C::set_app_config,
       "set the selected sink's app config (data in hex, diag in s)"},
      {{"set_sink_config", "set_config"},
       {"node_role", "node_address", "network_address", "network_channel", "started", "timeout"},
       &C::set_sink_config,
       "set the selected sink's configuration keys"},
      {{"send_data"},
       {"source_endpoint", "destination_endpoint", "destination_address", "payload", "timeout",
        "qos", "is_unack_csma_ca", "hop_limit", "initial_delay_ms"},
       &C::send_data,
       "send a packet through the selected sink (payload hex, else text)"},
      {{"scratchpad_status", "scratchpad_check_sink"},
       {"timeout"},
       &C::scratchpad_status,
       "the selected sink's stored and processed scratchpads"},
      {{"scratchpad_upload", "scratchpad_upload_to_sink"},
       {"file_path", "seq", "timeout", "filepath", "sequence"},
       &C::scratchpad_upload,
       "upload a scratchpad image to the selected sink (in chunks when the gateway takes them)"},
      {{"scratchpad_update", "scratchpad_update_only_sink"},
       {"timeout"},
       &C::scratchpad_update,
       "make the selected sink process its stored scratchpad"},
      {{"ping"}, {"timeout"}, &C::ping, "ping every node of the selected sink's network"},
      {{"scratchpad_check_all"},
       {"timeout"},
       &C::scratchpad_check_all,
       "every node's scratchpad status through the selected sink"},
      {{"scratchpad_update_only_nodes"},
       {"seq", "timeout"},
       &C::scratchpad_update_only_nodes,
       "make every node process its scratchpad of sequence seq"},
      {{"send_msap_cancel"},
       {"timeout"},
       &C::send_msap_cancel,
       "cancel the nodes' pending remote-API session"},
      {{"set_ndiag"},
       {"interval", "network", "timeout"},
       &C::set_ndiag,
       "neighbour diagnostics interval (off, 30, 60, 120, 300, 1200 s) for a network"},
      {{"track_data_packets"},
       {"gw_id", "sink_id", "network_id", "source_address", "source_endpoint",
        "destination_endpoint", "iterations", "update_rate", "format"},
       &C::track_data_packets,
       "print the data packets that match the filters (format line|message|json)"},
      {{"track_devices"},
       {"iterations", "update_rate"},
       &C::track_devices,
       "print the networks every update_rate seconds"},
      {{"capture"}, {"action", "file"}, &C::capture, "capture start <file> | capture stop"},
      {{"record"}, {"file"}, &C::record, "record the command lines: record <file> | record stop"},
      {{"playback"}, {"file"}, &C::playback, "run the command lines of a recording"},
      {{"clear_offline_gateways"},
       {},
       &C::clear_offline_gateways,
       "clear the retained status of every offline gateway"},
      {{"settings"}, {}, &C::settings, "the MQTT settings (password masked)"},
      {{"toggle_byte_print"}, {}, &C::toggle_byte_print, "bytes as hex or as text"},
      {{"toggle_pretty_print"}, {}, &C::toggle_pretty_print, "JSON indented or on one line"},
      {{"toggle_silent_loop"}, {}, &C::toggle_silent_loop, "a header per loop iteration or not"},
      {{"set_loop_iterations"},
       {"iterations"},
       &C::set_loop_iterations,
       "loop commands' default iterations (a number or Inf)"},
      {{"set_loop_timeout"},
       {"seconds"},
       &C::set_loop_timeout,
       "loop commands' default iteration length in s"},
      {{"set_reply_greeting"},
       {"greeting"},
       &C::set_reply_greeting,
       "the text before each reply (none: nothing)"},
      {{"rm_nodes"}, {}, &C::rm_nodes, "the RainMaker nodes seen: model, firmware, presence"},
      {{"rm_track"},
       {"node_id", "kind", "iterations", "update_rate", "format"},
       &C::rm_track,
       "print RainMaker node traffic decoded (kind: config, params, alert, ota, ...)"},
      {{"help", "?"}, {"command"}, &C::help, "the commands, or one command's arguments"},
  };
  return table;
}

const std::vector<std::string>& Console::command_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out = {"bye", "q", "shell"};
    for (const auto& c : commands())
      out.insert(out.end(), c.names.begin(), c.names.end());
    std::sort(out.begin(), out.end());
    return out;
  }();
  return names;
}

std::vector<std::string> Console::command_keys(std::string_view command) {
  for (const auto& c : commands()) {
    for (const char* n : c.names) {
      if (command == n)
        return {c.keys.begin(), c.keys.end()};
    }
  }
  return {};
}

std::vector<std::string> Console::known_ids() const {
  std::set<std::string> ids;
  for (const auto& [id, gw] : map_.gateways()) {
    ids.insert(id);
    if (gateway_.empty() || gateway_ == id) {
      for (const auto& [sink_id, sink] : gw.sinks)
        ids.insert(sink_id);
    }
  }
  for (const auto& [key, node] : map_.nodes())
    ids.insert(std::to_string(key.address));
  for (const auto& n : map_.networks())
    ids.insert(std::to_string(n.network_address));
  return {ids.begin(), ids.end()};
}

std::string Console::prompt() const {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char clock[16];
  std::strftime(clock, sizeof clock, "%H:%M.%S", &tm);
  std::string p = std::string(clock) + " | stratus-console";
  if (!gateway_.empty())
    p += ":" + gateway_;
  if (!sink_.empty())
    p += ":" + sink_;
  return p + " > ";
}

void Console::on_message(const std::string& topic, const std::string& payload, int qos,
                         bool retain) {
  if (capture_) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    *capture_ << encode_capture_line({us, topic, payload, qos, retain}) << '\n';
    ++captured_;
  }
  const auto now = detail::wall_ms();
  map_.on_message(topic, payload, now);
  if (auto rm = rainmaker_.on_message(topic, payload, now); rm && rainmaker_collector_)
    rainmaker_collector_(*rm);
  if (pending_.req_id != 0 && !pending_.answer) {
    auto t = wirepas::parse_topic(topic);
    if (t && t->direction == Direction::response &&
        wirepas::to_string(t->operation) == pending_.operation && t->gw_id == pending_.gw_id) {
      auto m = wirepas::decode(payload, wirepas::Strictness::tolerant);
      const auto* h = m && m->has_wirepas() ? wirepas::response_header(m->wirepas()) : nullptr;
      if (h != nullptr && h->req_id() == pending_.req_id)
        pending_.answer = payload;
    }
  }
  if (collector_)
    collector_(topic, payload);
}

std::optional<pb::GenericMessage> Console::exchange(Operation operation, const std::string& gw_id,
                                                    const std::string& sink_id,
                                                    std::uint64_t req_id,
                                                    const std::string& payload,
                                                    std::chrono::milliseconds timeout) {
  auto topic = wirepas::build_topic({Direction::request, operation, gw_id,
                                     wirepas::names_sink(operation) ? sink_id : "", 0, 0, 0});
  if (!topic)
    return std::nullopt;
  pending_ = Pending{req_id, std::string(wirepas::to_string(operation)), gw_id, std::nullopt};
  if (link_.publish(*topic, payload, 1, false))
    link_.pump(Clock::now() + timeout, [this] { return pending_.answer.has_value(); });
  auto answer = std::move(pending_.answer);
  pending_ = {};
  if (!answer)
    return std::nullopt;
  auto decoded = wirepas::decode(*answer, wirepas::Strictness::tolerant);
  if (!decoded)
    return std::nullopt;
  return std::move(*decoded);
}

bool Console::run(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return true;
  // The classic client's recording (spec §3.2): every line as typed, before it runs, but
  // not the lines that manage recordings or end the session.
  if (record_ && line.substr(first).rfind("record", 0) != 0 &&
      line.find("playback") == std::string_view::npos &&
      line.find("bye") == std::string_view::npos && line.find("close") == std::string_view::npos)
    *record_ << line << '\n' << std::flush;
  const auto words_of_line = words(line);
  const std::string command = line[first] == '!' ? "shell" : words_of_line.front();
  Output out(options_.json, out_, command);
  const bool ok = dispatch(out, line.substr(first), words_of_line);
  out.finish(ok);
  if (options_.on_command)
    options_.on_command(line.substr(first), ok, out.error());
  return ok;
}

bool Console::dispatch(Output& out, std::string_view line, const std::vector<std::string>& w) {
  // `!<command>` and `shell <command>` take the rest of the line as typed.
  if (line.front() == '!')
    return shell(out, line.substr(1));
  const std::string& command = w.front();
  if (command == "shell")
    return shell(out, line.substr(command.size()));
  for (const auto& c : commands()) {
    if (std::find_if(c.names.begin(), c.names.end(), [&](const char* n) { return command == n; }) ==
        c.names.end())
      continue;
    auto bound = bind({w.begin() + 1, w.end()}, c.keys);
    if (!bound)
      return out.fail("Command FAIL. " + bound.error().context + " (help " + command +
                      " lists the arguments)");
    return (this->*c.handler)(out, *bound);
  }
  return out.fail("Unknown command: " + command + " (help lists them)");
}

bool Console::gateways(Output& out, const Bound& /*a*/) {
  out.line("Printing all encountered gateways of MQTT broker");
  out.line("gateway id       ( sink0 .. sinkN )");
  json::array list;
  for (const auto& [id, gw] : map_.gateways()) {
    std::string sinks = "(";
    json::array sink_ids;
    for (const auto& [sink_id, sink] : gw.sinks) {
      sinks += " " + sink_id;
      sink_ids.push_back(json::string(sink_id));
    }
    sinks += " )";
    out.line(pad(id, 16) + " " + sinks + " " + std::string(state_name(gw.state)) +
             (gw.state_since_ms > 0 ? " since " + iso_time(gw.state_since_ms) : ""));
    list.push_back(json::object{{"gw_id", id},
                                {"state", state_name(gw.state)},
                                {"state_since_ms", gw.state_since_ms},
                                {"last_seen_ms", gw.last_seen_ms},
                                {"model", gw.model},
                                {"version", gw.version},
                                {"sinks", std::move(sink_ids)}});
  }
  out.fields()["gateways"] = std::move(list);
  return true;
}

bool Console::sinks(Output& out, const Bound& /*a*/) {
  json::array list;
  if (!gateway_.empty()) {
    out.line("Printing sinks of currently set gateway '" + gateway_ + "'");
    const auto it = map_.gateways().find(gateway_);
    if (it == map_.gateways().end() || it->second.sinks.empty()) {
      out.line("No sinks!");
    } else {
      std::string line = "(";
      for (const auto& [sink_id, sink] : it->second.sinks) {
        line += " " + sink_id;
        list.push_back(sink_json(gateway_, sink));
      }
      out.line(line + " )");
    }
  } else {
    out.line("Printing sinks from all gateways..");
    out.line("sink id ( gateway )");
    for (const auto& [id, gw] : map_.gateways()) {
      for (const auto& [sink_id, sink] : gw.sinks) {
        out.line(sink_id + " ( " + id + " )");
        list.push_back(sink_json(id, sink));
      }
    }
  }
  out.fields()["sinks"] = std::move(list);
  return true;
}

bool Console::nodes(Output& out, const Bound& /*a*/) {
  out.line(gateway_.empty() ? "Printing all encountered nodes of MQTT broker"
                            : "Printing all encountered nodes of gateway " + gateway_);
  std::set<std::uint32_t> addresses;
  json::array list;
  for (const auto& [key, node] : map_.nodes()) {
    bool through = gateway_.empty();
    for (const auto& [gw, sink] : node.via)
      through = through || gw == gateway_;
    if (!through)
      continue;
    addresses.insert(key.address);
    json::array via;
    for (const auto& [gw, sink] : node.via)
      via.push_back(json::string(gw + "/" + sink));
    json::object o{{"network_address", key.network_address},
                   {"address", key.address},
                   {"first_seen_ms", node.first_seen_ms},
                   {"last_seen_ms", node.last_seen_ms},
                   {"packets", node.packets},
                   {"via", std::move(via)},
                   {"diagnostics", node.diagnostics}};
    if (node.hop_count)
      o["hop_count"] = *node.hop_count;
    list.push_back(std::move(o));
  }
  std::string line = "(";
  for (const auto a : addresses)
    line += " " + std::to_string(a);
  out.line(line + " )");
  out.line("Total " + std::to_string(addresses.size()) + " nodes");
  out.fields()["nodes"] = std::move(list);
  return true;
}

bool Console::networks(Output& out, const Bound& /*a*/) {
  out.line("Printing all encountered networks of MQTT");
  json::array list;
  for (const auto& n : map_.networks()) {
    out.line(std::to_string(n.network_address));
    json::array sinks;
    for (const auto& [gw, sink] : n.sinks)
      sinks.push_back(json::string(gw + "/" + sink));
    json::object o{
        {"network_address", n.network_address}, {"nodes", n.nodes}, {"sinks", std::move(sinks)}};
    if (n.channel)
      o["channel"] = *n.channel;
    list.push_back(std::move(o));
  }
  out.fields()["networks"] = std::move(list);
  return true;
}

bool Console::selection(Output& out, const Bound& /*a*/) {
  out.line("sink : " + (sink_.empty() ? std::string("None") : sink_));
  out.line("gateway : " + (gateway_.empty() ? std::string("None") : gateway_));
  std::string network = "None";
  if (const auto gw = map_.gateways().find(gateway_); gw != map_.gateways().end()) {
    if (const auto s = gw->second.sinks.find(sink_);
        s != gw->second.sinks.end() && s->second.config.has_network_address())
      network = std::to_string(s->second.config.network_address());
  }
  out.line("network : " + network);
  out.fields()["gateway"] = gateway_;
  out.fields()["sink"] = sink_;
  out.fields()["network"] = network;
  return true;
}

std::optional<std::string> Console::ask(Output& out, const std::string& question) {
  std::optional<std::string> answer;
  if (playback_ != nullptr) {  // a recording holds the answers after their command
    // ... unless the next line is a command (a recording of the classic client, which kept
    // no answers): then the menu gets no answer and the line stays a command.
    const auto next = playback_->empty() ? std::vector<std::string>() : words(playback_->front());
    const auto& names = command_names();
    if (!playback_->empty() &&
        (next.empty() || !std::binary_search(names.begin(), names.end(), next.front()))) {
      answer = std::move(playback_->front());
      playback_->pop_front();
      out.line(question + *answer);
    }
  } else if (options_.ask) {
    out.flush();
    answer = options_.ask(question);
  }
  if (answer && record_)  // recorded too, unlike the original (issue 21 item 5)
    *record_ << *answer << '\n' << std::flush;
  return answer;
}

std::optional<std::string> Console::menu(Output& out, const std::vector<std::string>& items,
                                         const std::string& what) {
  for (std::size_t i = 0; i < items.size(); ++i)
    out.line(std::to_string(i) + " :" + items[i]);
  out.line(std::to_string(items.size()) + " :custom " + what + " id");
  auto answer = ask(out, "Please enter your " + what + " selection [0]: ");
  if (!answer)
    return std::nullopt;
  const auto text = std::string(trim(*answer));
  if (text.empty())
    return items.empty() ? std::nullopt : std::optional(items.front());  // the default, 0
  if (text.find_first_not_of("0123456789") != std::string::npos)
    return text;  // typed an id instead of an index
  const auto index = to_uint(text, items.size());
  if (!index) {
    out.line("No entry " + text + " in the menu.");
    return std::nullopt;
  }
  if (*index < items.size())
    return items[*index];
  return ask(out, "Please enter your custom " + what + " id: ");
}

bool Console::can_ask() const {
  return options_.ask || playback_ != nullptr;
}

bool Console::set_gateway(Output& out, const Bound& a) {
  std::string id = value_or(a, "gw_id", "");
  if (id.empty() && !can_ask())
    return out.fail("Command FAIL. Give a gateway id: set_gateway <gw_id>");
  if (id.empty()) {
    out.line("Listing current online gateways:");
    std::vector<std::string> online;
    for (const auto& [gw_id, gw] : map_.gateways()) {
      if (gw.state == GatewayEntry::State::online)
        online.push_back(gw_id);
    }
    auto chosen = menu(out, online, "gateway");
    if (!chosen)
      return out.fail("Command FAIL. Give a gateway id: set_gateway <gw_id>");
    id = std::string(trim(*chosen));
  }
  if (!wirepas::valid_id(id))
    return out.fail("Command FAIL. \"" + id + "\" is not a gateway id.");
  gateway_ = id;
  sink_.clear();
  if (!map_.gateways().contains(gateway_))
    out.line("Gateway '" + gateway_ + "' is not known yet: using it as a custom id");
  out.line("Gateway set to '" + gateway_ + "'");
  out.fields()["gateway"] = gateway_;
  return true;
}

bool Console::set_sink(Output& out, const Bound& a) {
  if (gateway_.empty()) {  // the original asks for the gateway first
    if (!can_ask())
      return out.fail("Command FAIL. Set gateway first.");
    if (!set_gateway(out, {}))
      return false;
  }
  std::string id = value_or(a, "sink_id", "");
  if (id.empty() && !can_ask())
    return out.fail("Command FAIL. Give a sink id: set_sink <sink_id>");
  if (id.empty()) {
    auto gw = map_.gateways().find(gateway_);
    if (gw == map_.gateways().end() || gw->second.sinks.empty()) {
      gateway_configuration(out, {});  // no sink known yet: ask the gateway
      gw = map_.gateways().find(gateway_);
    }
    std::vector<std::string> items;
    std::vector<std::string> ids;
    if (gw != map_.gateways().end()) {
      for (const auto& [sink_id, sink] : gw->second.sinks) {
        ids.push_back(sink_id);
        items.push_back(sink_id + " ( " +
                        (sink.config.has_network_address()
                             ? std::to_string(sink.config.network_address())
                             : std::string("no network")) +
                        " )");
      }
    }
    auto chosen = menu(out, items, "sink");
    if (!chosen)
      return out.fail("Command FAIL. Give a sink id: set_sink <sink_id>");
    const auto it = std::find(items.begin(), items.end(), *chosen);
    id = it == items.end() ? std::string(trim(*chosen))
                           : ids[static_cast<std::size_t>(it - items.begin())];
  }
  if (!wirepas::valid_id(id))
    return out.fail("Command FAIL. \"" + id + "\" is not a sink id.");
  sink_ = id;
  const auto gw = map_.gateways().find(gateway_);
  if (gw == map_.gateways().end() || !gw->second.sinks.contains(sink_))
    out.line("Sink '" + sink_ + "' is not known yet: using it as a custom id");
  out.line("Sink set to '" + sink_ + "'");
  out.fields()["gateway"] = gateway_;
  out.fields()["sink"] = sink_;
  return true;
}

namespace {

// `gateway_configuration`'s table of one sink (spec §3.3), `-` for what was not sent.
void configuration_table(const pb::SinkReadConfig& c,
                         const std::function<void(std::string)>& line) {
  const auto row = [&](const std::string& label, const std::string& value) {
    line(pad("  " + label, 24) + value);
  };
  const auto opt = [](bool has, auto value) { return has ? std::to_string(value) : "-"; };
  line("Sink: " + c.sink_id());
  row("nw address", c.has_network_address() ? std::to_string(c.network_address()) : "-");
  row("nw channel", opt(c.has_network_channel(), c.network_channel()));
  line("Node:");
  row("address", opt(c.has_node_address(), c.node_address()));
  row("role", c.has_node_role() ? std::to_string(wirepas::role_to_int(c.node_role())) : "-");
  line("App config:");
  row("diag", c.has_app_config() ? std::to_string(c.app_config().diag_interval_s()) : "-");
  row("seq", c.has_app_config() ? std::to_string(c.app_config().seq()) : "-");
  row("data", c.has_app_config()
                  ? to_hex(c.app_config().app_config_data()) + " (" +
                        std::to_string(c.app_config().app_config_data().size()) + " bytes)"
                  : "-");
  row("max size", opt(c.has_app_config_max_size(), c.app_config_max_size()));
  line("Stack:");
  row("started", c.has_sink_state() ? (c.sink_state() == pb::ON ? "yes" : "no") : "-");
  row("profile", opt(c.has_stack_profile(), c.stack_profile()));
  row("max mtu", opt(c.has_max_mtu(), c.max_mtu()));
  row("min channel",
      c.has_channel_limits() ? std::to_string(c.channel_limits().min_channel()) : "-");
  row("max channel",
      c.has_channel_limits() ? std::to_string(c.channel_limits().max_channel()) : "-");
  line("Access cycle:");
  row("curr range min",
      c.has_current_ac_range() ? std::to_string(c.current_ac_range().min_ms()) : "-");
  row("curr range max",
      c.has_current_ac_range() ? std::to_string(c.current_ac_range().max_ms()) : "-");
  row("min value", c.has_ac_limits() ? std::to_string(c.ac_limits().min_ms()) : "-");
  row("max value", c.has_ac_limits() ? std::to_string(c.ac_limits().max_ms()) : "-");
  line("HW:");
  row("magic", opt(c.has_hw_magic(), c.hw_magic()));
  row("firmware", c.has_firmware_version() ? firmware_text(c.firmware_version()) : "-");
  line("Security:");
  row("keys set", c.has_are_keys_set() ? (c.are_keys_set() ? "yes" : "no") : "-");
}

}  // namespace

bool Console::gateway_configuration(Output& out, const Bound& a) {
  const auto timeout = timeout_of(a, options_.request_timeout);
  if (!timeout)
    return out.fail("Command FAIL. timeout is a number of seconds");
  std::vector<std::string> targets;
  if (!gateway_.empty()) {
    targets.push_back(gateway_);
  } else {
    for (const auto& [id, gw] : map_.gateways()) {
      if (gw.state == GatewayEntry::State::online)
        targets.push_back(id);
    }
  }
  bool ok = true;
  json::array list;
  for (const auto& gw : targets) {
    out.line("Requesting configuration for gateway '" + gw + "'..");
    pb::GenericMessage m;
    const auto req_id = wirepas::new_request_id();
    m.mutable_wirepas()->mutable_get_configs_req()->mutable_header()->set_req_id(req_id);
    auto resp = exchange(Operation::get_configs, gw, std::string(), req_id, m.SerializeAsString(),
                         *timeout);
    if (!resp) {
      out.line("Error got no reply for " + gw + " in time. Time waited " + seconds(*timeout) +
               " secs.");
      ok = false;
      continue;
    }
    const auto& r = resp->wirepas().get_configs_resp();
    json::array sinks;
    for (const auto& c : r.configs()) {
      configuration_table(c, [&out](std::string l) { out.line(l); });
      SinkEntry e;
      e.sink_id = c.sink_id();
      e.config = c;
      sinks.push_back(sink_json(gw, e));
    }
    list.push_back(
        json::object{{"gw_id", gw}, {"result", result_of(*resp)}, {"sinks", std::move(sinks)}});
  }
  out.fields()["gateways"] = std::move(list);
  if (targets.empty())
    return out.fail("Command FAIL. No online gateway known.");
  return ok ? true : out.fail("Command FAIL. A gateway did not answer.");
}

bool Console::set_app_config(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto seq =
      a.contains("app_config_seq") ? to_uint(a.at("app_config_seq"), 255) : std::nullopt;
  const auto data =
      a.contains("app_config_data") ? typed_hex(a.at("app_config_data")) : std::nullopt;
  const auto diag =
      to_uint(a.contains("app_config_diag") ? a.at("app_config_diag") : "60", 0xFFFFFFFF);
  const auto timeout = timeout_of(a, options_.request_timeout);
  if (!seq)
    return out.fail("Command FAIL. Arguments not ok. Check app config sequence parameter.");
  if (!data)
    return out.fail("Command FAIL. Arguments not ok. Check app config data parameter.");
  if (!diag || !timeout)
    return out.fail("Command FAIL. Arguments not ok. Check app config diag parameter.");
  out.line("Args ok. Sending request and waiting response up to " + seconds(*timeout) + " secs..");
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_set_config_req();
  const auto req_id = wirepas::new_request_id();
  r->mutable_header()->set_req_id(req_id);
  r->mutable_header()->set_sink_id(sink_);
  r->mutable_config()->set_sink_id(sink_);
  auto* app = r->mutable_config()->mutable_app_config();
  app->set_seq(static_cast<std::uint32_t>(*seq));
  app->set_app_config_data(*data);
  app->set_diag_interval_s(static_cast<std::uint32_t>(*diag));
  auto resp =
      exchange(Operation::set_config, gateway_, sink_, req_id, m.SerializeAsString(), *timeout);
  if (!resp)
    return out.fail("Command FAIL. Response was empty.");
  out.fields()["result"] = result_of(*resp);
  if (result_ok(*resp)) {
    out.line("Command Ok.");
    return true;
  }
  if (wirepas::response_header(resp->wirepas())->res() == pb::INVALID_SEQUENCE_NUMBER)
    return out.fail(
        "Command FAIL. Invalid sequence number. Use 'gateway_configuration' cmd check current "
        "one.");
  return out.fail("Command FAIL. Response was " + result_of(*resp) + ".");
}

bool Console::set_sink_config(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_set_config_req();
  auto* c = r->mutable_config();
  c->set_sink_id(sink_);
  bool any = false;
  if (a.contains("node_role")) {
    auto v = to_uint(a.at("node_role"), 255);
    auto role = v ? wirepas::role_from_int(static_cast<std::uint32_t>(*v))
                  : Result<pb::NodeRole>(fail(errc::invalid_argument, ""));
    if (!role)
      return out.fail("Command FAIL. Config not valid: node_role");
    *c->mutable_node_role() = *role;
    any = true;
  }
  const struct {
    const char* key;
    std::uint64_t max;
    std::function<void(std::uint64_t)> set;
  } numbers[] = {
      {"node_address", 0xFFFFFFFF,
       [c](std::uint64_t v) { c->set_node_address(static_cast<std::uint32_t>(v)); }},
      {"network_address", 0xFFFFFF, [c](std::uint64_t v) { c->set_network_address(v); }},
      {"network_channel", 255,
       [c](std::uint64_t v) { c->set_network_channel(static_cast<std::uint32_t>(v)); }},
  };
  for (const auto& n : numbers) {
    if (!a.contains(n.key))
      continue;
    auto v = to_uint(a.at(n.key), n.max);
    if (!v)
      return out.fail(std::string("Command FAIL. Config not valid: ") + n.key);
    n.set(*v);
    any = true;
  }
  if (a.contains("started")) {
    auto v = to_bool(a.at("started"));
    if (!v)
      return out.fail("Command FAIL. Config not valid: started");
    c->set_sink_state(*v ? pb::ON : pb::OFF);
    any = true;
  }
  const auto timeout = timeout_of(a, std::chrono::seconds(10));
  if (!any || !timeout)
    return out.fail("Command FAIL. Config not valid.");
  const auto req_id = wirepas::new_request_id();
  r->mutable_header()->set_req_id(req_id);
  r->mutable_header()->set_sink_id(sink_);
  auto resp =
      exchange(Operation::set_config, gateway_, sink_, req_id, m.SerializeAsString(), *timeout);
  if (!resp)
    return out.fail("Command FAIL. No response received.");
  out.fields()["result"] = result_of(*resp);
  if (!result_ok(*resp))
    return out.fail("Command FAIL [" + result_of(*resp) + "]");
  out.line("Command OK.");
  return true;
}

bool Console::send_data(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto get = [&](const char* k, const char* fallback) {
    return a.contains(k) ? a.at(k) : std::string(fallback);
  };
  const auto src = to_uint(get("source_endpoint", ""), 255);
  const auto dst = to_uint(get("destination_endpoint", ""), 255);
  const auto address = to_uint(get("destination_address", ""), 0xFFFFFFFF);
  const auto qos = to_uint(get("qos", "0"), 1);  // Wirepas QoS: 0 normal, 1 high
  const auto hops = to_uint(get("hop_limit", "0"), 15);
  const auto delay = to_uint(get("initial_delay_ms", "0"), 0xFFFFFFFF);
  const auto unack = to_bool(get("is_unack_csma_ca", "0"));
  const auto timeout = timeout_of(a, options_.request_timeout);
  if (!src || !dst || !address || !a.contains("payload"))
    return out.fail(
        "Command FAIL. Give source_endpoint destination_endpoint destination_address payload");
  if (!qos || !hops || !delay || !unack || !timeout)
    return out.fail("Command FAIL. Arguments not ok (qos 0|1, hop_limit 0-15, timeout s).");
  const std::string& text = a.at("payload");
  auto payload = typed_hex(text);
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_send_packet_req();
  const auto req_id = wirepas::new_request_id();
  r->mutable_header()->set_req_id(req_id);
  r->mutable_header()->set_sink_id(sink_);
  r->set_destination_address(static_cast<std::uint32_t>(*address));
  r->set_source_endpoint(static_cast<std::uint32_t>(*src));
  r->set_destination_endpoint(static_cast<std::uint32_t>(*dst));
  r->set_qos(static_cast<std::uint32_t>(*qos));
  r->set_payload(payload ? *payload : text);  // hex, else the text's bytes
  if (*delay > 0)
    r->set_initial_delay_ms(static_cast<std::uint32_t>(*delay));
  if (*unack)
    r->set_is_unack_csma_ca(true);
  if (*hops > 0)
    r->set_hop_limit(static_cast<std::uint32_t>(*hops));
  auto resp =
      exchange(Operation::send_data, gateway_, sink_, req_id, m.SerializeAsString(), *timeout);
  if (!resp)
    return out.fail("Error got no reply for " + gateway_ + " in time. Time waited " +
                    seconds(*timeout) + " secs.");
  out.line("<< message from " + gateway_ + "/" + sink_ + ": send_data " + result_of(*resp));
  out.fields()["result"] = result_of(*resp);
  out.fields()["req_id"] = req_id;
  return result_ok(*resp) ? true : out.fail("Command FAIL [" + result_of(*resp) + "]");
}

bool Console::record(Output& out, const Bound& a) {
  if (!a.contains("file"))
    return out.fail("Command FAIL. record <file> | record stop");
  const bool closed = static_cast<bool>(record_);
  if (closed) {  // a new recording (or `stop`) closes the current one, as the original did
    record_.reset();
    out.line("Recording " + record_path_ + " closed.");
  }
  if (a.at("file") == "stop")
    return closed ? true : out.fail("Command FAIL. No recording runs.");
  auto file = std::make_unique<std::ofstream>(a.at("file"), std::ios::trunc);
  if (!*file)
    return out.fail("Command FAIL. Cannot write " + a.at("file") + ".");
  record_ = std::move(file);
  record_path_ = a.at("file");
  out.line("Recording the command lines to " + record_path_ + ".");
  out.fields()["file"] = record_path_;
  return true;
}

bool Console::playback(Output& out, const Bound& a) {
  if (!a.contains("file"))
    return out.fail("Command FAIL. playback <file>");
  if (playback_depth_ >= 4)
    return out.fail("Command FAIL. Playback nested too deep.");
  std::ifstream in(a.at("file"));
  if (!in)
    return out.fail("Command FAIL. Cannot read " + a.at("file") + ".");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  if (!lines.empty() && lines.back().find("bye") != std::string::npos)
    lines.pop_back();  // as the original: the session's end is not replayed
  out.line("Playing back " + std::to_string(lines.size()) + " line(s) of " + a.at("file") + ".");
  // Lines run in order; a menu takes its answers from the lines after its command.
  std::deque<std::string> queue(lines.begin(), lines.end());
  auto* const outer = playback_;
  playback_ = &queue;
  ++playback_depth_;
  std::size_t failed = 0;
  while (!queue.empty()) {
    const std::string l = std::move(queue.front());
    queue.pop_front();
    if (!run(l))
      ++failed;
  }
  --playback_depth_;
  playback_ = outer;
  out.fields()["lines"] = lines.size();
  out.fields()["failed"] = failed;
  if (failed > 0)
    return out.fail("Command FAIL. " + std::to_string(failed) + " line(s) failed.");
  return true;
}

Result<void> Console::start_capture(const std::string& path) {
  if (capture_)
    return fail(errc::already_exists, "A capture runs already (" + capture_path_ + ").");
  auto file = std::make_unique<std::ofstream>(path, std::ios::trunc | std::ios::binary);
  if (!*file)
    return fail(errc::unavailable, "Cannot write " + path + ".");
  capture_ = std::move(file);
  capture_path_ = path;
  captured_ = 0;
  return {};
}

bool Console::capture(Output& out, const Bound& a) {
  const auto action = a.contains("action") ? a.at("action") : std::string();
  if (action == "stop") {
    if (!capture_)
      return out.fail("Command FAIL. No capture runs.");
    capture_->flush();
    const bool good = static_cast<bool>(*capture_);
    capture_.reset();
    out.line("Capture " + capture_path_ + " closed: " + std::to_string(captured_) + " message(s).");
    out.fields()["file"] = capture_path_;
    out.fields()["messages"] = captured_;
    return good ? true : out.fail("Command FAIL. Writing " + capture_path_ + " failed.");
  }
  if (action != "start" || !a.contains("file"))
    return out.fail("Command FAIL. capture start <file> | capture stop");
  if (auto started = start_capture(a.at("file")); !started)
    return out.fail("Command FAIL. " + started.error().context);
  out.line("Capturing every message to " + capture_path_ + ".");
  out.fields()["file"] = capture_path_;
  return true;
}

bool Console::clear_offline_gateways(Output& out, const Bound& /*a*/) {
  const auto offline = map_.offline_gateways();
  json::array cleared;
  for (const auto& gw : offline) {
    out.line("sending clear for gateway " + gw);
    auto topic = wirepas::build_topic({Direction::event, Operation::status, gw, "", 0, 0, 0});
    if (!topic || !link_.publish(*topic, "", 1, true))
      return out.fail("Command FAIL. Could not clear " + gw + " (not connected?)");
    map_.forget_gateway(gw);
    cleared.push_back(json::string(gw));
  }
  out.fields()["cleared"] = std::move(cleared);
  out.line(offline.empty()
               ? "Command ok. No action needed."
               : "Command ok. Offline GW count was " + std::to_string(offline.size()) + ".");
  return true;
}

bool Console::settings(Output& out, const Bound& /*a*/) {
  if (options_.settings_lines.empty())
    out.line("No settings (the console was not started with any).");
  json::array lines;
  for (const auto& l : options_.settings_lines) {
    out.line(l);
    lines.push_back(json::string(l));
  }
  out.fields()["settings"] = std::move(lines);
  return true;
}

bool Console::list(Output& out, const Bound& a) {
  return value_or(a, "what", "").find("gateway") != std::string::npos ? gateways(out, {})
                                                                      : networks(out, {});
}

bool Console::toggle_byte_print(Output& out, const Bound& /*a*/) {
  display_.hex = !display_.hex;
  out.line(std::string("hex prints: ") + (display_.hex ? "True" : "False"));
  out.fields()["hex"] = display_.hex;
  return true;
}

bool Console::toggle_pretty_print(Output& out, const Bound& /*a*/) {
  display_.pretty = !display_.pretty;
  out.line(std::string("pretty prints: ") + (display_.pretty ? "True" : "False"));
  out.fields()["pretty"] = display_.pretty;
  return true;
}

bool Console::toggle_silent_loop(Output& out, const Bound& /*a*/) {
  display_.silent_loop = !display_.silent_loop;
  // The original's wording: the flag says whether loops print their header.
  out.line(std::string("track loop prints: ") + (display_.silent_loop ? "False" : "True"));
  out.fields()["silent_loop"] = display_.silent_loop;
  return true;
}

bool Console::set_loop_iterations(Output& out, const Bound& a) {
  const auto text = value_or(a, "iterations", "");
  const auto n = to_uint(text, 1'000'000);
  if (text != "Inf" && text != "inf" && (!n || *n == 0))
    return out.fail("Command FAIL. set_loop_iterations <1-1000000 | Inf>");
  display_.loop_iterations = n;
  out.line("track loop iterations: " + (n ? std::to_string(*n) : std::string("Inf")));
  out.fields()["iterations"] = n ? json::value(*n) : json::value("Inf");
  return true;
}

bool Console::set_loop_timeout(Output& out, const Bound& a) {
  const auto n = to_uint(value_or(a, "seconds", ""), 3600);
  if (!n || *n == 0)
    return out.fail("Command FAIL. set_loop_timeout <1-3600 s>");
  display_.loop_timeout_s = *n;
  out.line("track loop timeout: " + std::to_string(*n));
  out.fields()["seconds"] = *n;
  return true;
}

bool Console::set_reply_greeting(Output& out, const Bound& a) {
  const auto text = value_or(a, "greeting", "");
  display_.greeting = text == "none" ? std::string() : text;
  out.line("reply greeting set to: " + display_.greeting);
  out.fields()["greeting"] = display_.greeting;
  return true;
}

bool Console::shell(Output& out, std::string_view command) {
  const std::string text(trim(command));
  if (text.empty())
    return out.fail("Command FAIL. shell <command> (or !<command>)");
  out.flush();
  // The user's own shell, as `!` is in the original; its output is read and printed (in
  // JSON mode returned as `output`). stderr goes where the console's goes.
  std::FILE* pipe = ::popen(text.c_str(), "r");
  if (pipe == nullptr)
    return out.fail("Command FAIL. Cannot run /bin/sh.");
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    output.append(buffer, n);
  const int status = ::pclose(pipe);
  std::string_view rest(output);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    out.line(std::string(rest.substr(0, nl)));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  const int code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  out.fields()["output"] = output;
  out.fields()["exit_status"] = code;
  return code == 0 ? true : out.fail("Command FAIL. Exit status " + std::to_string(code) + ".");
}

bool Console::help(Output& out, const Bound& a) {
  const auto wanted = value_or(a, "command", "");
  json::array list;
  if (wanted.empty()) {
    out.line("Commands (arguments positional or key=value; requests take timeout=<s>):");
  }
  bool found = wanted.empty();
  for (const auto& c : commands()) {
    std::string names;
    for (const char* n : c.names)
      names += (names.empty() ? "" : ", ") + std::string(n);
    std::string usage;
    for (const char* k : c.keys)
      usage += " [" + std::string(k) + "=]";
    if (!wanted.empty() && std::find_if(c.names.begin(), c.names.end(), [&](const char* n) {
                             return wanted == n;
                           }) == c.names.end())
      continue;
    found = true;
    out.line(pad("  " + names, 34) + c.help);
    if (!wanted.empty())
      out.line("  usage: " + std::string(c.names.front()) + usage);
    json::array keys;
    for (const char* k : c.keys)
      keys.push_back(json::string(k));
    list.push_back(json::object{{"names", json::array(c.names.begin(), c.names.end())},
                                {"keys", std::move(keys)},
                                {"help", c.help}});
  }
  if (wanted.empty()) {
    out.line(pad("  shell, !", 34) + "run a host command: !ls");
    out.line(pad("  bye, q, Ctrl-D", 34) + "leave");
  }
  out.fields()["commands"] = std::move(list);
  return found ? true : out.fail("Unknown command: " + wanted + " (help lists them)");
}

}  // namespace stratus::console
