#include "console/settings.hpp"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <fstream>

namespace stratus::console {
namespace {

bool parse_bool(std::string_view v, bool& out) {
  for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "on", "1"}) {
    if (v == t) {
      out = true;
      return true;
    }
  }
  for (const char* f : {"false", "False", "FALSE", "no", "No", "off", "0"}) {
    if (v == f) {
      out = false;
      return true;
    }
  }
  return false;
}

// The subscription narrowing keys take `+` or one topic level (no `/`, `#`, `+` inside).
bool valid_level(std::string_view v) {
  if (v == "+")
    return true;
  return !v.empty() && v.find_first_of("/#+") == std::string_view::npos;
}

bool readable(const std::string& path) {
  return std::ifstream(path).good();
}

}  // namespace

SettingKey text_key(std::string name, std::string env, std::string help, std::string& field) {
  SettingKey k;
  k.name = std::move(name);
  k.env = std::move(env);
  k.help = std::move(help);
  k.set = [&field](std::string_view v) {
    field = std::string(v);
    return true;
  };
  k.get = [&field] { return field; };
  return k;
}

namespace {

// A number parsed whole by from_chars and kept within [min, max].
template <class T>
SettingKey number_key(std::string name, std::string env, std::string help, T& field, T min, T max) {
  SettingKey k;
  k.name = std::move(name);
  k.env = std::move(env);
  k.help = std::move(help);
  k.set = [&field, min, max](std::string_view v) {
    T n{};
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || !(n >= min && n <= max))
      return false;
    field = n;
    return true;
  };
  k.get = [&field] {
    std::string s = std::to_string(field);
    if (s.find('.') != std::string::npos) {  // 2.500000 → 2.5, 60.000000 → 60
      s.erase(s.find_last_not_of('0') + 1);
      if (s.back() == '.')
        s.pop_back();
    }
    return s;
  };
  return k;
}

}  // namespace

SettingKey int_key(std::string name, std::string env, std::string help, int& field, int min,
                   int max) {
  return number_key(std::move(name), std::move(env), std::move(help), field, min, max);
}

SettingKey double_key(std::string name, std::string env, std::string help, double& field,
                      double min, double max) {
  return number_key(std::move(name), std::move(env), std::move(help), field, min, max);
}

SettingKey bool_key(std::string name, std::string env, std::string help, bool& field) {
  SettingKey k;
  k.name = std::move(name);
  k.env = std::move(env);
  k.help = std::move(help);
  k.flag = true;
  k.set = [&field](std::string_view v) { return parse_bool(v, field); };
  k.get = [&field] { return field ? std::string("true") : std::string("false"); };
  return k;
}

std::vector<SettingKey> mqtt_keys(MqttSettings& s) {
  std::vector<SettingKey> keys;
  keys.push_back(
      text_key("mqtt_hostname", "WM_SERVICES_MQTT_HOSTNAME", "Broker host (required)", s.hostname));
  keys.push_back(int_key("mqtt_port", "WM_SERVICES_MQTT_PORT", "Broker port (default 8883)", s.port,
                         1, 65535));
  keys.push_back(
      text_key("mqtt_username", "WM_SERVICES_MQTT_USERNAME", "Broker user name", s.username));
  auto password =
      text_key("mqtt_password", "WM_SERVICES_MQTT_PASSWORD", "Broker password", s.password);
  password.secret = true;
  keys.push_back(std::move(password));
  keys.push_back(
      text_key("mqtt_ca_certs", "WM_SERVICES_MQTT_CA_CERTS", "CA file to trust (TLS)", s.ca_certs));
  keys.push_back(text_key("mqtt_certfile", "WM_SERVICES_MQTT_CLIENT_CRT",
                          "Client certificate (PEM) for mutual TLS", s.certfile));
  keys.push_back(text_key("mqtt_keyfile", "WM_SERVICES_MQTT_CLIENT_KEY",
                          "Client private key (PEM) for mutual TLS", s.keyfile));
  auto unsecure = bool_key("mqtt_force_unsecure", "WM_SERVICES_MQTT_FORCE_UNSECURE",
                           "Plain TCP, no TLS", s.force_unsecure);
  unsecure.aliases = {"--insecure"};
  keys.push_back(std::move(unsecure));
  keys.push_back(bool_key("mqtt_allow_untrusted", "WM_SERVICES_MQTT_ALLOW_UNTRUSTED",
                          "TLS without checking the broker's host name", s.allow_untrusted));
  keys.push_back(bool_key("mqtt_persist_session", "WM_SERVICES_MQTT_PERSIST_SESSION",
                          "Keep the MQTT session (clean session off)", s.persist_session));
  const struct {
    const char* name;
    const char* env;
    std::string* field;
  } levels[] = {
      {"mqtt_subscribe_network_id", "WM_SERVICES_MQTT_SUB_NETWORK_ID", &s.subscribe_network_id},
      {"mqtt_subscribe_sink_id", "WM_SERVICES_MQTT_SUB_SINK_ID", &s.subscribe_sink_id},
      {"mqtt_subscribe_gateway_id", "WM_SERVICES_MQTT_SUB_GATEWAY_ID", &s.subscribe_gateway_id},
      {"mqtt_subscribe_source_endpoint", "WM_SERVICES_MQTT_SUB_SOURCE_ENDPOINT",
       &s.subscribe_source_endpoint},
      {"mqtt_subscribe_destination_endpoint", "WM_SERVICES_MQTT_SUB_DESTINATION_ENDPOINT",
       &s.subscribe_destination_endpoint},
  };
  for (const auto& l : levels) {
    auto k = text_key(l.name, l.env, "Subscribe to this topic level only (default +)", *l.field);
    k.set = [field = l.field](std::string_view v) {
      if (!valid_level(v))
        return false;
      *field = std::string(v);
      return true;
    };
    keys.push_back(std::move(k));
  }
  return keys;
}

std::vector<SettingKey> fluentd_keys(FluentdSettings& s) {
  std::vector<SettingKey> keys;
  keys.push_back(text_key("fluentd_hostname", "WM_SERVICES_FLUENTD_HOSTNAME",
                          "Also log to this fluentd (forward protocol)", s.hostname));
  keys.push_back(int_key("fluentd_port", "WM_SERVICES_FLUENTD_PORT", "fluentd port (default 24224)",
                         s.port, 1, 65535));
  keys.push_back(text_key("fluentd_tag", "WM_SERVICES_FLUENTD_TAG",
                          "fluentd tag prefix (default python)", s.tag));
  keys.push_back(text_key("fluentd_record", "WM_SERVICES_FLUENTD_RECORD",
                          "fluentd tag suffix (default log)", s.record));
  return keys;
}

SettingsParser::SettingsParser(std::vector<SettingKey> keys) : keys_(std::move(keys)) {}

void SettingsParser::add_flags(CLI::App& cmd) {
  cmd.add_option("--settings", file_, "YAML settings file (keys as the flags); flags override it")
      ->envname("WM_BCLI_FILE_SETTINGS");
  for (const auto& key : keys_) {
    std::string names = "--" + key.name;
    for (const auto& alias : key.aliases)
      names += "," + alias;
    const std::string name = key.name;
    if (key.flag) {
      cmd.add_flag_callback(
          names, [this, name] { command_line_[name] = "true"; }, key.help);
    } else {
      cmd.add_option_function<std::string>(
          names, [this, name](const std::string& v) { command_line_[name] = v; }, key.help);
    }
  }
}

Result<void> SettingsParser::resolve(const Getenv& getenv) {
  YAML::Node file;
  if (!file_.empty()) {
    try {
      file = YAML::LoadFile(file_);
    } catch (const YAML::Exception& e) {
      return fail(errc::invalid_argument, file_ + ": " + e.what());
    }
    if (!file.IsMap() && !file.IsNull())
      return fail(errc::invalid_argument, file_ + ": not a map of settings");
  }
  for (const auto& key : keys_) {
    std::optional<std::string> value;
    std::string where;
    if (auto it = command_line_.find(key.name); it != command_line_.end()) {
      value = it->second;
      where = "--" + key.name;
    } else if (file.IsMap() && file[key.name]) {
      const auto node = file[key.name];
      if (!node.IsScalar())
        return fail(errc::invalid_argument, file_ + ":" + key.name + ": not a single value");
      value = node.as<std::string>();
      where = file_ + ":" + key.name;
      // The original turns `key: False` into "no flag" and `key: True` into the bare flag;
      // other values of a flag key are refused below.
    } else if (!key.env.empty()) {
      if (auto v = getenv(key.env); v && !v->empty()) {
        value = *v;
        where = key.env;
      }
    }
    if (value && !key.set(*value))
      return fail(errc::invalid_argument, where + ": \"" + *value + "\" is not a valid value");
  }
  return {};
}

std::vector<std::string> SettingsParser::describe() const {
  std::vector<std::string> lines;
  lines.reserve(keys_.size());
  for (const auto& key : keys_) {
    std::string value = key.get();
    if (key.secret && !value.empty())
      value = "********";
    lines.push_back(key.name + ": " + value);
  }
  return lines;
}

const SettingKey* SettingsParser::find(std::string_view name) const {
  for (const auto& key : keys_) {
    if (key.name == name)
      return &key;
  }
  return nullptr;
}

Result<void> validate(const MqttSettings& s) {
  if (s.hostname.empty())
    return fail(errc::invalid_argument,
                "mqtt_hostname is required (flag, settings file or WM_SERVICES_MQTT_HOSTNAME)");
  if (s.port < 1 || s.port > 65535)
    return fail(errc::invalid_argument, "mqtt_port must be 1 to 65535");
  if (s.certfile.empty() != s.keyfile.empty())
    return fail(errc::invalid_argument, "mqtt_certfile and mqtt_keyfile go together");
  for (const auto& [name, path] :
       {std::pair{"mqtt_ca_certs", &s.ca_certs}, std::pair{"mqtt_certfile", &s.certfile},
        std::pair{"mqtt_keyfile", &s.keyfile}}) {
    if (!path->empty() && !readable(*path))
      return fail(errc::invalid_argument, std::string(name) + ": cannot read " + *path);
  }
  return {};
}

mqtt::ClientOptions client_options(const MqttSettings& s, std::string client_id,
                                   std::chrono::seconds keepalive) {
  mqtt::ClientOptions o;
  o.host = s.hostname;
  o.port = static_cast<std::uint16_t>(s.port);
  o.client_id = std::move(client_id);
  o.username = s.username;
  o.password = s.password;
  if (!s.force_unsecure) {
    mqtt::TlsOptions tls;
    tls.ca_file = s.ca_certs;
    tls.cert_file = s.certfile;
    tls.key_file = s.keyfile;
    tls.skip_hostname_check = s.allow_untrusted;
    o.tls = std::move(tls);
  }
  o.keepalive = keepalive;
  o.clean_start = !s.persist_session;
  o.protocol_version = 4;
  o.reconnect_min = std::chrono::seconds(1);
  o.reconnect_max = std::chrono::seconds(60);
  return o;
}

}  // namespace stratus::console
