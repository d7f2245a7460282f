#include "console/commands.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <ostream>
#include <set>

#include "console/capture.hpp"
#include "console/detail/wall_clock.hpp"
#include "wirepas/apdu.hpp"
#include "wirepas/msap.hpp"
#include "wirepas/topics.hpp"

namespace stratus::console {
namespace {

namespace pb = wirepas::pb;
namespace json = boost::json;
using wirepas::Direction;
using wirepas::Operation;
using Clock = Link::Clock;

constexpr std::uint32_t kBroadcast = 0xFFFFFFFF;

// Words of a command line; "double quotes" keep spaces.
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::string word;
  bool quoted = false;
  bool any = false;
  for (const char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (any)
        out.push_back(std::move(word));
      word.clear();
      any = false;
    } else {
      word.push_back(c);
      any = true;
    }
  }
  if (any)
    out.push_back(std::move(word));
  return out;
}

// Binds words to a command's declared names: `key=value` for a declared key, else the
// next name not given yet (spec §3.2). Errors name the surplus word.
Result<std::map<std::string, std::string>> bind(const std::vector<std::string>& args,
                                                std::initializer_list<const char*> names) {
  std::map<std::string, std::string> out;
  std::vector<std::string> positional;
  for (const auto& a : args) {
    const auto eq = a.find('=');
    bool named = false;
    if (eq != std::string::npos) {
      for (const char* n : names) {
        if (a.compare(0, eq, n) == 0 && std::char_traits<char>::length(n) == eq) {
          out[n] = a.substr(eq + 1);
          named = true;
        }
      }
    }
    if (!named)
      positional.push_back(a);
  }
  auto next = positional.begin();
  for (const char* n : names) {
    if (next == positional.end())
      break;
    if (!out.contains(n))
      out[n] = *next++;
  }
  if (next != positional.end())
    return fail(errc::invalid_argument, "unexpected argument \"" + *next + "\"");
  return out;
}

std::optional<std::uint64_t> to_uint(const std::string& text, std::uint64_t max) {
  if (text.empty())
    return std::nullopt;
  int base = 10;
  std::size_t i = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    i = 2;
  }
  std::uint64_t v = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : 99;
    if (d >= base || static_cast<std::uint64_t>(d) > max ||
        v > (max - static_cast<unsigned>(d)) / static_cast<unsigned>(base))
      return std::nullopt;
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  return v;
}

std::optional<bool> to_bool(const std::string& text) {
  for (const char* t : {"1", "true", "True", "yes", "on"}) {
    if (text == t)
      return true;
  }
  for (const char* f : {"0", "false", "False", "no", "off"}) {
    if (text == f)
      return false;
  }
  return std::nullopt;
}

std::optional<std::string> from_hex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X"))
    text.remove_prefix(2);
  if (text.size() % 2 != 0)
    return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    auto v = to_uint("0x" + std::string(text.substr(i, 2)), 255);
    if (!v)
      return std::nullopt;
    out.push_back(static_cast<char>(*v));
  }
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    out.push_back(digits[(static_cast<unsigned char>(c) >> 4) & 15]);
    out.push_back(digits[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

std::string iso_time(std::int64_t ms) {
  if (ms <= 0)
    return "-";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

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

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width)
    text.append(width - text.size(), ' ');
  return text;
}

std::string result_of(const pb::GenericMessage& m) {
  const auto* h = wirepas::response_header(m.wirepas());
  return h == nullptr ? std::string("no header") : wirepas::result_name(h->res());
}

bool result_ok(const pb::GenericMessage& m) {
  const auto* h = wirepas::response_header(m.wirepas());
  return h != nullptr && h->res() == pb::OK;
}

// `a.b.c.d`, as the original prints a firmware version.
std::string firmware_text(const pb::FirmwareVersion& f) {
  return std::to_string(f.major()) + "." + std::to_string(f.minor()) + "." +
         std::to_string(f.maint()) + "." + std::to_string(f.dev());
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
    o["app_config_data"] = hex(c.app_config().app_config_data());
  }
  if (c.has_firmware_version())
    o["firmware"] = firmware_text(c.firmware_version());
  return o;
}

}  // namespace

// Text lines, or one JSON object printed when the command ends.
class Console::Output {
 public:
  Output(bool json_mode, std::ostream& out, std::string command)
      : json_(json_mode), out_(out), command_(std::move(command)) {}
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void line(const std::string& text) {
    if (!json_)
      out_ << text << '\n';
  }
  json::object& fields() { return fields_; }
  bool fail(const std::string& reason) {
    error_ = reason;
    line(reason);
    return false;
  }
  bool finish(bool ok) {
    if (json_) {
      json::object o{{"command", command_}, {"ok", ok}};
      if (!ok && !error_.empty())
        o["error"] = error_;
      for (auto& [k, v] : fields_)
        o[k] = std::move(v);
      out_ << json::serialize(o) << '\n';
    }
    out_.flush();
    return ok;
  }

 private:
  bool json_;
  std::ostream& out_;
  std::string command_;
  std::string error_;
  json::object fields_;
};

Console::Console(Link& link, ConsoleOptions options, std::ostream& out)
    : link_(link), options_(std::move(options)), out_(out) {}

Console::~Console() = default;

const std::vector<std::string>& Console::command_names() {
  static const std::vector<std::string> names = {"clear_offline_gateways",
                                                 "gateway_configuration",
                                                 "gateways",
                                                 "help",
                                                 "list",
                                                 "ls",
                                                 "networks",
                                                 "nodes",
                                                 "ping",
                                                 "scratchpad_check_sink",
                                                 "scratchpad_status",
                                                 "selection",
                                                 "send_data",
                                                 "set_app_config",
                                                 "set_config",
                                                 "set_gateway",
                                                 "set_sink",
                                                 "set_sink_config",
                                                 "settings",
                                                 "sinks"};
  return names;
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
  map_.on_message(topic, payload, detail::wall_ms());
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
  auto w = words(line);
  if (w.empty())
    return true;
  const std::string command = w.front();
  const Args args(w.begin() + 1, w.end());
  // The classic client's recording (spec §3.2): every line as typed, before it runs, but
  // not the lines that manage recordings or end the session.
  if (record_ && command != "record") {
    const std::string_view text(line);
    if (text.find("playback") == std::string_view::npos &&
        text.find("bye") == std::string_view::npos && text.find("close") == std::string_view::npos)
      *record_ << text << '\n' << std::flush;
  }
  Output out(options_.json, out_, command);
  bool ok = false;
  if (command == "gateways")
    ok = gateways(out);
  else if (command == "sinks")
    ok = sinks(out);
  else if (command == "nodes")
    ok = nodes(out);
  else if (command == "networks")
    ok = networks(out);
  else if (command == "list" || command == "ls")
    ok = !args.empty() && args[0].find("gateway") != std::string::npos ? gateways(out)
                                                                       : networks(out);
  else if (command == "selection")
    ok = selection(out);
  else if (command == "set_gateway")
    ok = set_gateway(out, args);
  else if (command == "set_sink")
    ok = set_sink(out, args);
  else if (command == "gateway_configuration")
    ok = gateway_configuration(out, args);
  else if (command == "set_app_config")
    ok = set_app_config(out, args);
  else if (command == "set_sink_config" || command == "set_config")
    ok = set_sink_config(out, args);
  else if (command == "send_data")
    ok = send_data(out, args);
  else if (command == "ping")
    ok = ping(out, args);
  else if (command == "scratchpad_status" || command == "scratchpad_check_sink")
    ok = scratchpad_status(out, args);
  else if (command == "capture")
    ok = capture(out, args);
  else if (command == "record")
    ok = record(out, args);
  else if (command == "playback")
    ok = playback(out, args);
  else if (command == "track_data_packets")
    ok = track_data_packets(out, args);
  else if (command == "clear_offline_gateways")
    ok = clear_offline_gateways(out);
  else if (command == "settings")
    ok = settings(out);
  else if (command == "help" || command == "?")
    ok = help(out);
  else
    ok = out.fail("Unknown command: " + command + " (help lists them)");
  return out.finish(ok);
}

bool Console::gateways(Output& out) {
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

bool Console::sinks(Output& out) {
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

bool Console::nodes(Output& out) {
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

bool Console::networks(Output& out) {
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

bool Console::selection(Output& out) {
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

bool Console::set_gateway(Output& out, const Args& args) {
  auto a = bind(args, {"gw_id"});
  if (!a)
    return out.fail(a.error().context);
  if (!a->contains("gw_id") || !wirepas::valid_id(a->at("gw_id"))) {
    out.line("Listing current online gateways:");
    for (const auto& [id, gw] : map_.gateways()) {
      if (gw.state == GatewayEntry::State::online)
        out.line("  " + id);
    }
    return out.fail("Command FAIL. Give a gateway id: set_gateway <gw_id>");
  }
  gateway_ = a->at("gw_id");
  sink_.clear();
  if (!map_.gateways().contains(gateway_))
    out.line("Gateway '" + gateway_ + "' is not known yet: using it as a custom id");
  out.line("Gateway set to '" + gateway_ + "'");
  out.fields()["gateway"] = gateway_;
  return true;
}

bool Console::set_sink(Output& out, const Args& args) {
  auto a = bind(args, {"sink_id"});
  if (!a)
    return out.fail(a.error().context);
  if (gateway_.empty())
    return out.fail("Command FAIL. Set gateway first.");
  const auto gw = map_.gateways().find(gateway_);
  if (!a->contains("sink_id") || !wirepas::valid_id(a->at("sink_id"))) {
    if (gw != map_.gateways().end()) {
      for (const auto& [id, sink] : gw->second.sinks)
        out.line("  " + id);
    }
    return out.fail("Command FAIL. Give a sink id: set_sink <sink_id>");
  }
  sink_ = a->at("sink_id");
  if (gw == map_.gateways().end() || !gw->second.sinks.contains(sink_))
    out.line("Sink '" + sink_ + "' is not known yet: using it as a custom id");
  out.line("Sink set to '" + sink_ + "'");
  out.fields()["gateway"] = gateway_;
  out.fields()["sink"] = sink_;
  return true;
}

namespace {

std::optional<std::chrono::milliseconds> timeout_of(const std::map<std::string, std::string>& a,
                                                    std::chrono::milliseconds fallback) {
  const auto it = a.find("timeout");
  if (it == a.end())
    return fallback;
  auto s = to_uint(it->second, 86400);
  if (!s)
    return std::nullopt;
  return std::chrono::milliseconds(*s * 1000);
}

std::string seconds(std::chrono::milliseconds ms) {
  return std::to_string(ms.count() / 1000);
}

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
                  ? hex(c.app_config().app_config_data()) + " (" +
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

bool Console::gateway_configuration(Output& out, const Args& args) {
  auto a = bind(args, {"timeout"});
  if (!a)
    return out.fail(a.error().context);
  const auto timeout = timeout_of(*a, options_.request_timeout);
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

bool Console::set_app_config(Output& out, const Args& args) {
  auto a = bind(args, {"app_config_seq", "app_config_data", "app_config_diag", "timeout"});
  if (!a)
    return out.fail(a.error().context);
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto seq =
      a->contains("app_config_seq") ? to_uint(a->at("app_config_seq"), 255) : std::nullopt;
  const auto data =
      a->contains("app_config_data") ? from_hex(a->at("app_config_data")) : std::nullopt;
  const auto diag =
      to_uint(a->contains("app_config_diag") ? a->at("app_config_diag") : "60", 0xFFFFFFFF);
  const auto timeout = timeout_of(*a, options_.request_timeout);
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

bool Console::set_sink_config(Output& out, const Args& args) {
  auto a = bind(args, {"node_role", "node_address", "network_address", "network_channel", "started",
                       "timeout"});
  if (!a)
    return out.fail(a.error().context);
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_set_config_req();
  auto* c = r->mutable_config();
  c->set_sink_id(sink_);
  bool any = false;
  if (a->contains("node_role")) {
    auto v = to_uint(a->at("node_role"), 255);
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
    if (!a->contains(n.key))
      continue;
    auto v = to_uint(a->at(n.key), n.max);
    if (!v)
      return out.fail(std::string("Command FAIL. Config not valid: ") + n.key);
    n.set(*v);
    any = true;
  }
  if (a->contains("started")) {
    auto v = to_bool(a->at("started"));
    if (!v)
      return out.fail("Command FAIL. Config not valid: started");
    c->set_sink_state(*v ? pb::ON : pb::OFF);
    any = true;
  }
  const auto timeout = timeout_of(*a, std::chrono::seconds(10));
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

bool Console::send_data(Output& out, const Args& args) {
  auto a = bind(args, {"source_endpoint", "destination_endpoint", "destination_address", "payload",
                       "timeout", "qos", "is_unack_csma_ca", "hop_limit", "initial_delay_ms"});
  if (!a)
    return out.fail(a.error().context);
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto get = [&](const char* k, const char* fallback) {
    return a->contains(k) ? a->at(k) : std::string(fallback);
  };
  const auto src = to_uint(get("source_endpoint", ""), 255);
  const auto dst = to_uint(get("destination_endpoint", ""), 255);
  const auto address = to_uint(get("destination_address", ""), 0xFFFFFFFF);
  const auto qos = to_uint(get("qos", "0"), 1);  // Wirepas QoS: 0 normal, 1 high
  const auto hops = to_uint(get("hop_limit", "0"), 15);
  const auto delay = to_uint(get("initial_delay_ms", "0"), 0xFFFFFFFF);
  const auto unack = to_bool(get("is_unack_csma_ca", "0"));
  const auto timeout = timeout_of(*a, options_.request_timeout);
  if (!src || !dst || !address || !a->contains("payload"))
    return out.fail(
        "Command FAIL. Give source_endpoint destination_endpoint destination_address payload");
  if (!qos || !hops || !delay || !unack || !timeout)
    return out.fail("Command FAIL. Arguments not ok (qos 0|1, hop_limit 0-15, timeout s).");
  const std::string& text = a->at("payload");
  auto payload = from_hex(text);
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

bool Console::ping(Output& out, const Args& args) {
  auto a = bind(args, {"timeout"});
  if (!a)
    return out.fail(a.error().context);
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto silence = timeout_of(*a, options_.silence_timeout);
  if (!silence)
    return out.fail("Command FAIL. timeout is a number of seconds");
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const auto reference = wirepas::msap::ping_reference(static_cast<std::uint64_t>(now_s));
  auto frame = wirepas::msap::join({wirepas::msap::encode(wirepas::msap::Ping{reference})});
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_send_packet_req();
  const auto req_id = wirepas::new_request_id();
  r->mutable_header()->set_req_id(req_id);
  r->mutable_header()->set_sink_id(sink_);
  r->set_destination_address(kBroadcast);
  r->set_source_endpoint(wirepas::msap::kRequestSourceEndpoint);
  r->set_destination_endpoint(wirepas::msap::kRemoteApiEndpoint);
  r->set_qos(0);
  r->set_payload(std::string(frame->begin(), frame->end()));

  struct Reply {
    std::uint32_t address;
    std::int64_t ms;
    std::optional<std::uint32_t> hops;
  };
  std::vector<Reply> replies;
  std::set<std::uint32_t> seen;
  const auto sent = Clock::now();
  auto last = sent;
  const std::string gw = gateway_;
  const std::string sink = sink_;
  collector_ = [&](const std::string& topic, const std::string& payload) {
    auto t = wirepas::parse_topic(topic);
    if (!t || t->operation != Operation::received_data || t->gw_id != gw || t->sink_id != sink ||
        t->source_endpoint != wirepas::msap::kRemoteApiEndpoint)
      return;
    auto msg = wirepas::decode(payload, wirepas::Strictness::tolerant);
    if (!msg)
      return;
    const auto& e = msg->wirepas().packet_received_event();
    const auto& p = e.payload();
    auto items = wirepas::msap::split({reinterpret_cast<const std::uint8_t*>(p.data()), p.size()});
    if (!items)
      return;
    for (const auto& item : *items) {
      auto reply = wirepas::msap::decode_reply(item);
      const auto* pong = reply ? std::get_if<wirepas::msap::PingReply>(&*reply) : nullptr;
      if (pong == nullptr || pong->reference != reference ||
          !seen.insert(e.source_address()).second)
        continue;
      last = Clock::now();
      replies.push_back(
          Reply{e.source_address(),
                std::chrono::duration_cast<std::chrono::milliseconds>(last - sent).count(),
                e.has_hop_count() ? std::optional<std::uint32_t>(e.hop_count()) : std::nullopt});
      out.line("T " + std::to_string(replies.back().ms) + " ms: Node #" +
               std::to_string(replies.size()) + " ping resp from node address " +
               std::to_string(e.source_address()));
    }
  };
  auto resp = exchange(Operation::send_data, gw, sink, req_id, m.SerializeAsString(),
                       options_.request_timeout);
  if (!resp || !result_ok(*resp)) {
    collector_ = nullptr;
    return out.fail(resp ? "Command FAIL. send_data " + result_of(*resp)
                         : "Error got no reply for " + gw + " in time.");
  }
  // Replies until `silence` passes without one.
  for (;;) {
    const auto until = last + *silence;
    if (Clock::now() >= until)
      break;
    const auto before = replies.size();
    link_.pump(until, [&] { return replies.size() != before; });
  }
  collector_ = nullptr;
  std::map<std::uint32_t, std::size_t> histogram;
  json::array list;
  for (const auto& reply : replies) {
    if (reply.hops)
      ++histogram[*reply.hops];
    json::object o{{"address", reply.address}, {"ms", reply.ms}};
    if (reply.hops)
      o["hop_count"] = *reply.hops;
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
  if (replies.empty())
    return out.fail("No response received.");
  out.line("Ok response received from " + std::to_string(replies.size()) + " node(s).");
  return true;
}

bool Console::scratchpad_status(Output& out, const Args& args) {
  auto a = bind(args, {"timeout"});
  if (!a)
    return out.fail(a.error().context);
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto timeout = timeout_of(*a, options_.request_timeout);
  if (!timeout)
    return out.fail("Command FAIL. timeout is a number of seconds");
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_get_scratchpad_status_req();
  const auto req_id = wirepas::new_request_id();
  r->mutable_header()->set_req_id(req_id);
  r->mutable_header()->set_sink_id(sink_);
  auto resp =
      exchange(Operation::otap_status, gateway_, sink_, req_id, m.SerializeAsString(), *timeout);
  if (!resp)
    return out.fail("Error got no reply for " + gateway_ + " in time. Time waited " +
                    seconds(*timeout) + " secs.");
  out.fields()["result"] = result_of(*resp);
  if (!result_ok(*resp))
    return out.fail("Command FAIL [" + result_of(*resp) + "]");
  const auto& s = resp->wirepas().get_scratchpad_status_resp();
  const auto info = [](const pb::ScratchpadInfo& i) {
    char crc[16];
    std::snprintf(crc, sizeof crc, "0x%04x", i.crc());
    return std::make_tuple(std::to_string(i.seq()), std::to_string(i.len()), std::string(crc));
  };
  if (s.has_stored_scratchpad()) {
    const auto [seq, len, crc] = info(s.stored_scratchpad());
    out.line("Stored scratchpad:");
    out.line("  seq: " + seq);
    out.line("  len: " + len);
    out.line("  crc: " + crc);
    out.line(std::string("  status: ") +
             (s.has_stored_status() ? pb::ScratchpadStatus_Name(s.stored_status()) : "-"));
    out.line(std::string("  type: ") +
             (s.has_stored_type() ? pb::ScratchpadType_Name(s.stored_type()) : "-"));
    out.fields()["stored"] = json::object{{"seq", s.stored_scratchpad().seq()},
                                          {"len", s.stored_scratchpad().len()},
                                          {"crc", s.stored_scratchpad().crc()}};
  }
  if (s.has_processed_scratchpad()) {
    const auto [seq, len, crc] = info(s.processed_scratchpad());
    out.line("Processed scratchpad:");
    out.line("  seq: " + seq);
    out.line("  len: " + len);
    out.line("  crc: " + crc);
    out.fields()["processed"] = json::object{{"seq", s.processed_scratchpad().seq()},
                                             {"len", s.processed_scratchpad().len()},
                                             {"crc", s.processed_scratchpad().crc()}};
  }
  if (s.has_firmware_area_id()) {
    char area[16];
    std::snprintf(area, sizeof area, "0x%08x", s.firmware_area_id());
    out.line("Firmware:");
    out.line(std::string("  area id: ") + area);
    out.fields()["firmware_area_id"] = s.firmware_area_id();
  }
  return true;
}

bool Console::track_data_packets(Output& out, const Args& args) {
  auto a = bind(args, {"gw_id", "sink_id", "network_id", "source_address", "source_endpoint",
                       "destination_endpoint", "iterations", "update_rate", "format"});
  if (!a)
    return out.fail(a.error().context);
  // Filters: an empty or absent value matches anything.
  const auto want = [&a](const char* key) -> std::string {
    const auto it = a->find(key);
    return it == a->end() ? std::string() : it->second;
  };
  const std::string format = want("format").empty() ? "line" : want("format");
  if (format != "line" && format != "message" && format != "json")
    return out.fail("Command FAIL. format is line, message or json");
  const auto rate = to_uint(want("update_rate").empty() ? "1" : want("update_rate"), 3600);
  const std::string iterations = want("iterations").empty() ? "Inf" : want("iterations");
  const auto count =
      iterations == "Inf" ? std::optional<std::uint64_t>() : to_uint(iterations, 1'000'000);
  if (!rate || *rate == 0 || (iterations != "Inf" && !count))
    return out.fail("Command FAIL. iterations and update_rate are whole numbers (rate >= 1 s)");
  if (!count && !options_.interrupted)
    return out.fail("Command FAIL. Give iterations= (a script cannot type a line to stop it)");
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
                   {"data_payload", hex(p)},
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
               pad("travel time: " + std::to_string(e.travel_time_ms()), 19) + "data: " + hex(p) +
               (decoded ? "" : "  (" + decoded.error().context + ")"));
    } else if (format == "message") {
      out.line("<< message from " + t->gw_id + "/" + t->sink_id + "/" +
               std::to_string(t->network_address) + "|" + std::to_string(t->source_endpoint) +
               "->" + std::to_string(t->destination_endpoint) + "@" + iso_time(tx));
      out.line(json::serialize(o));
    } else {
      out.line(json::serialize(o));
    }
    list.push_back(std::move(o));
  };
  // Each iteration is `update_rate` seconds of traffic; without `iterations`, until the
  // user types a line.
  const auto period = std::chrono::seconds(*rate);
  for (std::uint64_t i = 0; !count || i < *count; ++i) {
    link_.pump(Clock::now() + period,
               [this] { return options_.interrupted && options_.interrupted(); });
    if (options_.interrupted && options_.interrupted())
      break;
  }
  collector_ = nullptr;
  out.fields()["packets"] = std::move(list);
  out.line("Tracked " + std::to_string(packets) + " packet(s).");
  return true;
}

bool Console::record(Output& out, const Args& args) {
  auto a = bind(args, {"file"});
  if (!a)
    return out.fail(a.error().context);
  if (!a->contains("file"))
    return out.fail("Command FAIL. record <file> | record stop");
  const bool closed = static_cast<bool>(record_);
  if (closed) {  // a new recording (or `stop`) closes the current one, as the original did
    record_.reset();
    out.line("Recording " + record_path_ + " closed.");
  }
  if (a->at("file") == "stop")
    return closed ? true : out.fail("Command FAIL. No recording runs.");
  auto file = std::make_unique<std::ofstream>(a->at("file"), std::ios::trunc);
  if (!*file)
    return out.fail("Command FAIL. Cannot write " + a->at("file") + ".");
  record_ = std::move(file);
  record_path_ = a->at("file");
  out.line("Recording the command lines to " + record_path_ + ".");
  out.fields()["file"] = record_path_;
  return true;
}

bool Console::playback(Output& out, const Args& args) {
  auto a = bind(args, {"file"});
  if (!a)
    return out.fail(a.error().context);
  if (!a->contains("file"))
    return out.fail("Command FAIL. playback <file>");
  if (playback_depth_ >= 4)
    return out.fail("Command FAIL. Playback nested too deep.");
  std::ifstream in(a->at("file"));
  if (!in)
    return out.fail("Command FAIL. Cannot read " + a->at("file") + ".");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  if (!lines.empty() && lines.back().find("bye") != std::string::npos)
    lines.pop_back();  // as the original: the session's end is not replayed
  out.line("Playing back " + std::to_string(lines.size()) + " line(s) of " + a->at("file") + ".");
  ++playback_depth_;
  std::size_t failed = 0;
  for (const auto& l : lines)
    if (!run(l))
      ++failed;
  --playback_depth_;
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

bool Console::capture(Output& out, const Args& args) {
  auto a = bind(args, {"action", "file"});
  if (!a)
    return out.fail(a.error().context);
  const auto action = a->contains("action") ? a->at("action") : std::string();
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
  if (action != "start" || !a->contains("file"))
    return out.fail("Command FAIL. capture start <file> | capture stop");
  if (auto started = start_capture(a->at("file")); !started)
    return out.fail("Command FAIL. " + started.error().context);
  out.line("Capturing every message to " + capture_path_ + ".");
  out.fields()["file"] = capture_path_;
  return true;
}

bool Console::clear_offline_gateways(Output& out) {
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

bool Console::settings(Output& out) {
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

bool Console::help(Output& out) {
  std::string all;
  json::array names;
  for (const auto& n : command_names()) {
    all += (all.empty() ? "" : " ") + n;
    names.push_back(json::string(n));
  }
  out.line("Commands (arguments positional or key=value; requests take timeout=<s>):");
  out.line(all);
  out.fields()["commands"] = std::move(names);
  return true;
}

}  // namespace stratus::console
