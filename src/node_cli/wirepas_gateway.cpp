// `stratus-node wirepas-gateway`: simulated Wirepas gateways against any MQTT broker
// (sim::run_wirepas_gateways, issue 20). Settings as the Wirepas backend client takes them
// (spec wirepas.md §4): a YAML file of `key: value` (`--settings`, default
// $WM_BCLI_FILE_SETTINGS), overridden by flags of the same names; unset keys fall back to
// the WM_SERVICES_MQTT_* environment variables, then to the defaults.
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <ostream>

#include "console/settings.hpp"
#include "node_cli/detail/context.hpp"
#include "sim/wirepas_gateway_runner.hpp"
#include "wirepas/provisioning.hpp"

namespace stratus::node_cli::detail {
namespace {

struct GatewayArgs {
  console::MqttSettings mqtt;
  int gateways = 1;
  int nodes = 10;
  int sinks = 1;
  int max_hops = 3;
  std::string gateway_prefix = "gw-sim-";
  double seconds = 0;
  double data_interval_s = 60;
  int echo_endpoint = 50;
  int max_scratchpad_size = 1024 * 1024;
  std::string joining;  // a YAML list of joining nodes
  bool json = false;
};

// The backend client's MQTT keys (console/settings.hpp) and the simulator's own; each is a
// flag and a settings-file key.
std::vector<console::SettingKey> keys(GatewayArgs& a) {
  using console::double_key;
  using console::int_key;
  using console::text_key;
  auto keys = console::mqtt_keys(a.mqtt);
  keys.push_back(int_key("gateways", "", "Gateways to simulate (1-10000)", a.gateways, 1, 10000));
  keys.push_back(
      int_key("nodes", "", "Mesh nodes behind each gateway (0-100000)", a.nodes, 0, 100000));
  keys.push_back(
      int_key("sinks", "", "Sinks per gateway: 1, or 2 (the second unconfigured)", a.sinks, 1, 2));
  keys.push_back(int_key("max_hops", "", "Nodes sit 1..N hops from the sink", a.max_hops, 1, 15));
  keys.push_back(
      text_key("gateway_prefix", "", "Gateway ids are <prefix><index>", a.gateway_prefix));
  keys.push_back(
      double_key("seconds", "", "Run this long, then stop (0: until SIGTERM)", a.seconds, 0, 1e9));
  keys.push_back(double_key("data_interval", "", "Seconds between a node's data uplinks (0: none)",
                            a.data_interval_s, 0, 1e9));
  keys.push_back(int_key("echo_endpoint", "", "Downlinks to this endpoint are echoed back",
                         a.echo_endpoint, 0, 255));
  keys.push_back(int_key("max_scratchpad_size", "",
                         "Bytes one scratchpad upload may carry; larger images come as chunks",
                         a.max_scratchpad_size, 16, 16 * 1024 * 1024));
  keys.push_back(text_key("joining", "",
                          "YAML list of joining nodes (uid, method, factory_key): they provision "
                          "themselves through the gateways (spec wirepas.md 5.3)",
                          a.joining));
  for (auto& k : keys) {
    if (k.name.find('_') != std::string::npos && k.name.rfind("mqtt_", 0) != 0) {
      std::string dashed = k.name;
      std::replace(dashed.begin(), dashed.end(), '_', '-');
      k.aliases.push_back("--" + dashed);
    }
  }
  return keys;
}

bool to_number(const std::string& v, double& out) {
  try {
    std::size_t used = 0;
    out = std::stod(v, &used);
    return used == v.size();
  } catch (const std::exception&) {
    return false;
  }
}

bool to_number(const std::string& v, int& out) {
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size();
}

Result<std::string> byte_string(const std::string& text, const std::string& where) {
  auto bytes = wirepas::provisioning::parse_byte_string(text);
  if (!bytes)
    return fail(errc::invalid_argument, where + ": " + bytes.error().context);
  return bytes;
}

// The joining nodes file (docs/wirepas.md): a YAML list of {uid, method, factory_key,
// timeout, retries}. Every error names `file:index:key`.
Result<std::vector<sim::WirepasJoiningNodeModel>> load_joining(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return fail(errc::invalid_argument, path + ": " + e.what());
  }
  if (!root.IsSequence())
    return fail(errc::invalid_argument, path + ": not a list of joining nodes");
  std::vector<sim::WirepasJoiningNodeModel> out;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const auto& n = root[i];
    const std::string at = path + ":" + std::to_string(i) + ":";
    if (!n.IsMap())
      return fail(errc::invalid_argument, at + " not a map");
    sim::WirepasJoiningNodeModel m;
    const auto scalar = [&](const char* key) -> std::optional<std::string> {
      if (!n[key])
        return std::nullopt;
      return n[key].IsScalar() ? std::optional(n[key].as<std::string>()) : std::nullopt;
    };
    auto uid = scalar("uid");
    if (!uid)
      return fail(errc::invalid_argument, at + "uid is missing");
    auto uid_bytes = byte_string(*uid, at + "uid");
    if (!uid_bytes)
      return fail(uid_bytes.error());
    m.uid = std::move(*uid_bytes);
    int method = 1;
    if (auto v = scalar("method"); v && (!to_number(*v, method) || method < 0 || method > 1))
      return fail(errc::invalid_argument, at + "method must be 0 (unsecured) or 1 (secured)");
    m.method = static_cast<std::uint8_t>(method);
    if (auto v = scalar("factory_key")) {
      auto key = byte_string(*v, at + "factory_key");
      if (!key)
        return fail(key.error());
      m.factory_key = std::move(*key);
    }
    if (m.method == 1 && m.factory_key.size() != 32)
      return fail(errc::invalid_argument, at + "factory_key must be 32 bytes for method 1");
    double timeout = 10;
    if (auto v = scalar("timeout"); v && (!to_number(*v, timeout) || timeout <= 0))
      return fail(errc::invalid_argument, at + "timeout must be a positive number of seconds");
    m.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout * 1000));
    if (auto v = scalar("retries"); v && (!to_number(*v, m.retries) || m.retries < 0))
      return fail(errc::invalid_argument, at + "retries must be 0 or more");
    if (m.uid.empty() || m.uid.size() > 79)
      return fail(errc::invalid_argument, at + "uid must be 1 to 79 bytes");
    out.push_back(std::move(m));
  }
  return out;
}

int wirepas_gateway(Context& ctx, console::SettingsParser& settings, GatewayArgs& a) {
  if (auto ok = settings.resolve(ctx.env().getenv); !ok)
    return ctx.error(ok.error());
  if (auto ok = console::validate(a.mqtt); !ok)
    return ctx.error(ok.error());
  sim::WirepasSimOptions o;
  o.host = a.mqtt.hostname;
  o.port = static_cast<std::uint16_t>(a.mqtt.port);
  o.username = a.mqtt.username;
  o.password = a.mqtt.password;
  o.ca_file = a.mqtt.ca_certs;
  o.insecure = a.mqtt.force_unsecure;
  o.persist_session = a.mqtt.persist_session;
  o.gateways = a.gateways;
  o.nodes = a.nodes;
  o.sinks = a.sinks;
  o.max_hops = a.max_hops;
  o.gateway_prefix = a.gateway_prefix;
  o.duration = std::chrono::milliseconds(static_cast<std::int64_t>(a.seconds * 1000));
  o.gateway.data_interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(a.data_interval_s * 1000));
  o.gateway.echo_endpoint = static_cast<std::uint8_t>(a.echo_endpoint);
  o.gateway.max_scratchpad_size = static_cast<std::uint32_t>(a.max_scratchpad_size);
  if (!a.joining.empty()) {
    auto joining = load_joining(a.joining);
    if (!joining)
      return ctx.error(joining.error());
    o.joining = std::move(*joining);
  }

  auto report = [&] {
    const StopSignals stop;
    return sim::run_wirepas_gateways(
        o, [&err = ctx.env().err](const std::string& line) { err << line << std::endl; },
        stop.flag());
  }();
  if (!report)
    return ctx.error(report.error());
  const auto& r = *report;
  auto& out = ctx.env().out;
  if (a.json) {
    out << "{\"gateways\":" << r.gateways << ",\"connects\":" << r.connects
        << ",\"requests\":" << r.requests << ",\"responses\":" << r.responses
        << ",\"uplinks\":" << r.uplinks << ",\"downlinks_delivered\":" << r.downlinks_delivered
        << ",\"ignored\":" << r.ignored << ",\"provisioned\":" << r.provisioned
        << ",\"provisioning_failed\":" << r.provisioning_failed
        << ",\"publish_failures\":" << r.publish_failures << ",\"seconds\":" << r.seconds << "}"
        << std::endl;
  } else {
    out << r.gateways << " gateway(s): " << r.connects << " connect(s), " << r.requests
        << " request(s) answered, " << r.uplinks << " uplink(s), " << r.downlinks_delivered
        << " downlink(s) delivered, " << r.provisioned << " provisioned, " << r.provisioning_failed
        << " failed provisioning, " << r.publish_failures << " publish failure(s) in " << r.seconds
        << " s" << std::endl;
  }
  return 0;
}

}  // namespace

void add_wirepas_gateway(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<GatewayArgs>();
  auto* cmd = app.add_subcommand(
      "wirepas-gateway",
      "Simulated Wirepas gateways (sinks, mesh nodes) speaking the gateway-to-backend API");
  auto settings = std::make_shared<console::SettingsParser>(keys(*args));
  settings->add_flags(*cmd);
  cmd->add_flag("--json", args->json, "Print the summary as one JSON object");
  ctx.on(*cmd, [&ctx, settings, args] { return wirepas_gateway(ctx, *settings, *args); });
}

}  // namespace stratus::node_cli::detail
