// The console's RainMaker commands (issue 21 item 6; console/rainmaker_map.hpp): the nodes
// seen on the broker, and their traffic decoded as it comes.
#include <boost/json.hpp>

#include "console/commands.hpp"
#include "console/detail/command_text.hpp"
#include "console/detail/output.hpp"

namespace stratus::console {

namespace json = boost::json;
using namespace detail;

bool Console::rm_nodes(Output& out, const Bound& /*a*/) {
  out.line(pad("node id", 26) + pad("model", 18) + pad("fw", 12) + pad("online", 8) +
           "last params");
  json::array list;
  for (const auto& [id, n] : rainmaker_.nodes()) {
    const std::string online = !n.online ? "?" : *n.online ? "yes" : "no";
    out.line(pad(id, 26) + pad(n.model.empty() ? "-" : n.model, 18) +
             pad(n.fw_version.empty() ? "-" : n.fw_version, 12) + pad(online, 8) +
             iso_time(n.last_params_ms));
    json::object o{{"node_id", id},
                   {"name", n.name},
                   {"type", n.type},
                   {"model", n.model},
                   {"fw_version", n.fw_version},
                   {"online", n.online ? json::value(*n.online) : json::value(nullptr)},
                   {"online_since_ms", n.online_since_ms},
                   {"first_seen_ms", n.first_seen_ms},
                   {"last_seen_ms", n.last_seen_ms},
                   {"last_params_ms", n.last_params_ms},
                   {"messages", n.messages},
                   {"alerts", n.alerts},
                   {"ota_status", n.ota_status}};
    list.push_back(std::move(o));
  }
  out.line("Total " + std::to_string(rainmaker_.nodes().size()) + " node(s)");
  out.fields()["nodes"] = std::move(list);
  return true;
}

bool Console::rm_track(Output& out, const Bound& a) {
  const auto node_id = value_or(a, "node_id", "");
  const auto kind = value_or(a, "kind", "");
  const auto format = value_or(a, "format", "line");
  if (format != "line" && format != "json")
    return out.fail("Command FAIL. format is line or json");
  const auto rate = update_rate(out, a);
  const auto count = loop_iterations(out, a);
  if (!rate || !count)
    return false;
  json::array list;
  rainmaker_collector_ = [&](const RainMakerMessage& m) {
    // `kind=params` matches every params topic, `kind=ota` every OTA one.
    if ((!node_id.empty() && m.node_id != node_id) || (!kind.empty() && m.kind.rfind(kind, 0) != 0))
      return;
    json::object o{{"node_id", m.node_id}, {"kind", m.kind}, {"decoded", m.decoded}};
    if (!m.decoded)
      o["error"] = m.error;
    json::error_code ec;
    o["content"] = json::parse(m.json, ec);
    if (format == "json")
      out.line(json::serialize(o));
    else
      out.line(pad(m.node_id, 26) + pad(m.kind, 20) + m.summary);
    out.flush();
    list.push_back(std::move(o));
  };
  loop(*count, *rate, [](std::uint64_t) {});
  rainmaker_collector_ = nullptr;
  out.line("Tracked " + std::to_string(list.size()) + " RainMaker message(s).");
  out.fields()["messages"] = std::move(list);
  return true;
}

}  // namespace stratus::console
