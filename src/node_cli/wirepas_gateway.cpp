// `stratus-node wirepas-gateway`: simulated Wirepas gateways against any MQTT broker
// (sim::run_wirepas_gateways, issue 20). Settings as the Wirepas backend client takes them
// (spec wirepas.md §4): a YAML file of `key: value` (`--settings`, default
// $WM_BCLI_FILE_SETTINGS), overridden by flags of the same names; unset keys fall back to
// the WM_SERVICES_MQTT_* environment variables, then to the defaults.
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <ostream>

#include "node_cli/detail/context.hpp"
#include "sim/wirepas_gateway_runner.hpp"

namespace stratus::node_cli::detail {
namespace {

struct GatewayArgs {
  std::string settings;
  std::string mqtt_hostname;
  int mqtt_port = 8883;
  std::string mqtt_username;
  std::string mqtt_password;
  std::string mqtt_ca_certs;
  bool mqtt_force_unsecure = false;
  bool mqtt_persist_session = false;
  int gateways = 1;
  int nodes = 10;
  int sinks = 1;
  int max_hops = 3;
  std::string gateway_prefix = "gw-sim-";
  double seconds = 0;
  double data_interval_s = 60;
  int echo_endpoint = 50;
  std::string joining;  // a YAML list of joining nodes
  bool json = false;
};

// One settings key: its flag, and how a YAML scalar or environment string sets it.
struct Key {
  const char* name;
  const char* env;  // nullptr: no environment default
  std::function<bool(const std::string&)> set;
};

bool to_bool(const std::string& v, bool& out) {
  if (v == "true" || v == "True" || v == "1" || v == "yes") {
    out = true;
    return true;
  }
  if (v == "false" || v == "False" || v == "0" || v == "no") {
    out = false;
    return true;
  }
  return false;
}

template <typename T>
bool to_number(const std::string& v, T& out) {
  try {
    std::size_t used = 0;
    if constexpr (std::is_same_v<T, double>) {
      out = std::stod(v, &used);
    } else {
      const long long n = std::stoll(v, &used);
      if (n < std::numeric_limits<T>::min() || n > std::numeric_limits<T>::max())
        return false;
      out = static_cast<T>(n);
    }
    return used == v.size();
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<Key> keys(GatewayArgs& a) {
  auto text = [](std::string& field) {
    return [&field](const std::string& v) {
      field = v;
      return true;
    };
  };
  auto boolean = [](bool& field) {
    return [&field](const std::string& v) { return to_bool(v, field); };
  };
  auto integer = [](int& field) {
    return [&field](const std::string& v) { return to_number(v, field); };
  };
  auto real = [](double& field) {
    return [&field](const std::string& v) { return to_number(v, field); };
  };
  return {
      {"mqtt_hostname", "WM_SERVICES_MQTT_HOSTNAME", text(a.mqtt_hostname)},
      {"mqtt_port", "WM_SERVICES_MQTT_PORT", integer(a.mqtt_port)},
      {"mqtt_username", "WM_SERVICES_MQTT_USERNAME", text(a.mqtt_username)},
      {"mqtt_password", "WM_SERVICES_MQTT_PASSWORD", text(a.mqtt_password)},
      {"mqtt_ca_certs", "WM_SERVICES_MQTT_CA_CERTS", text(a.mqtt_ca_certs)},
      {"mqtt_force_unsecure", "WM_SERVICES_MQTT_FORCE_UNSECURE", boolean(a.mqtt_force_unsecure)},
      {"mqtt_persist_session", "WM_SERVICES_MQTT_PERSIST_SESSION", boolean(a.mqtt_persist_session)},
      {"gateways", nullptr, integer(a.gateways)},
      {"nodes", nullptr, integer(a.nodes)},
      {"sinks", nullptr, integer(a.sinks)},
      {"max_hops", nullptr, integer(a.max_hops)},
      {"gateway_prefix", nullptr, text(a.gateway_prefix)},
      {"seconds", nullptr, real(a.seconds)},
      {"data_interval", nullptr, real(a.data_interval_s)},
      {"echo_endpoint", nullptr, integer(a.echo_endpoint)},
      {"joining", nullptr, text(a.joining)},
  };
}

// Fills every key the command line left unset: from the settings file, then the
// environment. Unknown file keys are ignored, as the backend client ignores them (the
// same file serves several tools); a known key with a bad value is an error.
Result<void> apply_settings(CLI::App& cmd, Context& ctx, GatewayArgs& a) {
  YAML::Node file;
  if (!a.settings.empty()) {
    try {
      file = YAML::LoadFile(a.settings);
    } catch (const YAML::Exception& e) {
      return fail(errc::invalid_argument, a.settings + ": " + e.what());
    }
    if (!file.IsMap() && !file.IsNull())
      return fail(errc::invalid_argument, a.settings + ": not a map of settings");
  }
  for (auto& key : keys(a)) {
    const std::string flag = std::string("--") + key.name;
    if (cmd.get_option(flag)->count() > 0)
      continue;
    std::optional<std::string> value;
    std::string where;
    if (file.IsMap() && file[key.name] && file[key.name].IsScalar()) {
      value = file[key.name].as<std::string>();
      where = a.settings + ":" + key.name;
    } else if (key.env != nullptr) {
      if (auto v = ctx.env().getenv(key.env); v && !v->empty()) {
        value = *v;
        where = key.env;
      }
    }
    if (value && !key.set(*value))
      return fail(errc::invalid_argument, where + ": \"" + *value + "\" is not a valid value");
  }
  if (a.mqtt_hostname.empty())
    return fail(errc::invalid_argument,
                "mqtt_hostname is required (flag, settings or WM_SERVICES_MQTT_HOSTNAME)");
  if (a.mqtt_port < 1 || a.mqtt_port > 65535)
    return fail(errc::invalid_argument, "mqtt_port must be 1 to 65535");
  if (a.echo_endpoint < 0 || a.echo_endpoint > 255)
    return fail(errc::invalid_argument, "echo_endpoint must be 0 to 255");
  if (a.seconds < 0 || a.data_interval_s < 0)
    return fail(errc::invalid_argument, "seconds and data_interval must not be negative");
  return {};
}

// A byte string as the Wirepas provisioning tools write them: text that starts with "0x"
// is hex (every "0x" and every space removed: "0x01 0x02" is 01 02); other text is itself.
Result<std::string> byte_string(const std::string& text, const std::string& where) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return text;
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      ++i;
      continue;
    }
    if (text[i] != ' ')
      digits.push_back(text[i]);
  }
  if (digits.size() % 2 != 0)
    return fail(errc::invalid_argument, where + ": an odd number of hex digits");
  std::string out;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    unsigned value = 0;
    for (const char c : {digits[i], digits[i + 1]}) {
      const int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (v < 0)
        return fail(errc::invalid_argument, where + ": \"" + text + "\" is not hex");
      value = value * 16 + static_cast<unsigned>(v);
    }
    out.push_back(static_cast<char>(value));
  }
  return out;
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

int wirepas_gateway(CLI::App& cmd, Context& ctx, GatewayArgs& a) {
  if (auto ok = apply_settings(cmd, ctx, a); !ok)
    return ctx.error(ok.error());
  sim::WirepasSimOptions o;
  o.host = a.mqtt_hostname;
  o.port = static_cast<std::uint16_t>(a.mqtt_port);
  o.username = a.mqtt_username;
  o.password = a.mqtt_password;
  o.ca_file = a.mqtt_ca_certs;
  o.insecure = a.mqtt_force_unsecure;
  o.persist_session = a.mqtt_persist_session;
  o.gateways = a.gateways;
  o.nodes = a.nodes;
  o.sinks = a.sinks;
  o.max_hops = a.max_hops;
  o.gateway_prefix = a.gateway_prefix;
  o.duration = std::chrono::milliseconds(static_cast<std::int64_t>(a.seconds * 1000));
  o.gateway.data_interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(a.data_interval_s * 1000));
  o.gateway.echo_endpoint = static_cast<std::uint8_t>(a.echo_endpoint);
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
  cmd->add_option("--settings", args->settings,
                  "YAML settings (the backend client's keys); flags override it")
      ->envname("WM_BCLI_FILE_SETTINGS");
  cmd->add_option("--mqtt_hostname", args->mqtt_hostname, "Broker host");
  cmd->add_option("--mqtt_port", args->mqtt_port, "Broker port (default 8883)");
  cmd->add_option("--mqtt_username", args->mqtt_username, "Broker user name");
  cmd->add_option("--mqtt_password", args->mqtt_password, "Broker password");
  cmd->add_option("--mqtt_ca_certs", args->mqtt_ca_certs, "CA file to trust (TLS)");
  cmd->add_flag("--mqtt_force_unsecure,--insecure", args->mqtt_force_unsecure, "Plain TCP, no TLS");
  cmd->add_flag("--mqtt_persist_session", args->mqtt_persist_session,
                "Keep the MQTT session (clean session off)");
  cmd->add_option("--gateways", args->gateways, "Gateways to simulate (1-10000)");
  cmd->add_option("--nodes", args->nodes, "Mesh nodes behind each gateway (0-100000)");
  cmd->add_option("--sinks", args->sinks, "Sinks per gateway: 1, or 2 (the second unconfigured)");
  cmd->add_option("--max_hops,--max-hops", args->max_hops, "Nodes sit 1..N hops from the sink");
  cmd->add_option("--gateway_prefix,--gateway-prefix", args->gateway_prefix,
                  "Gateway ids are <prefix><index>");
  cmd->add_option("--seconds", args->seconds, "Run this long, then stop (0: until SIGTERM)");
  cmd->add_option("--data_interval,--data-interval", args->data_interval_s,
                  "Seconds between a node's data uplinks (0: none)");
  cmd->add_option("--echo_endpoint,--echo-endpoint", args->echo_endpoint,
                  "Downlinks to this endpoint are echoed back");
  cmd->add_option("--joining", args->joining,
                  "YAML list of joining nodes (uid, method, factory_key): they provision "
                  "themselves through the gateways (endpoint 246)");
  cmd->add_flag("--json", args->json, "Print the summary as one JSON object");
  ctx.on(*cmd, [cmd, &ctx, args] { return wirepas_gateway(*cmd, ctx, *args); });
}

}  // namespace stratus::node_cli::detail
