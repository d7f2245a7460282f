#include "sim/virtual_node.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <utility>

#include "agent/standard.hpp"
#include "log/log.hpp"
#include "proto/esp_image.hpp"
#include "proto/payloads.hpp"

namespace stratus::sim {
namespace {

namespace json = boost::json;
namespace standard = agent::standard;
using model::DataType;

constexpr std::size_t kMaxModelFileBytes = 1 << 20;
constexpr std::string_view kDefaultFwVersion = "1.0.0";

model::NodeInfo node_info(std::string name, std::string type, std::string model_name) {
  model::NodeInfo info;
  info.name = std::move(name);
  info.fw_version = std::string(kDefaultFwVersion);
  info.type = std::move(type);
  info.project_name = model_name;  // as firmware reports its app description's project
  info.model = std::move(model_name);
  info.platform = "esp32";  // the OTA chip (default ESP32), as firmware's CONFIG_IDF_TARGET
  return info;
}

// Topics mode for the node's project and chip, as `esp_rmaker_ota_enable_default()`.
agent::OtaOptions default_ota(const model::NodeInfo& info) {
  agent::OtaOptions ota;
  ota.project_name = info.project_name;
  return ota;
}

model::DeviceSpec device(std::string name, std::string type, std::string primary,
                         std::vector<model::ParamSpec> params) {
  model::DeviceSpec d;
  d.name = std::move(name);
  d.type = std::move(type);
  d.primary = std::move(primary);
  d.params = std::move(params);
  return d;
}

std::uint64_t seed_for(std::string_view node_id, std::uint64_t seed) {
  return seed != 0 ? seed : std::hash<std::string_view>{}(node_id);
}

// The device callback of every virtual device: accept, and tell the driver.
agent::WriteCallback applier(const VirtualNodeOptions& options) {
  return [on_apply = options.on_apply](const agent::ParamWrite& write) -> Result<void> {
    if (on_apply) {
      std::string name;
      name.append(write.device).append(".").append(write.param);
      on_apply(name, json::serialize(write.value));
    }
    return {};
  };
}

// System and Time, as every firmware node has them.
Result<void> add_services(agent::NodeModel& node, const VirtualNodeOptions& options) {
  auto apply = applier(options);
  auto system = node.add_service(
      standard::system_service(),
      {{"Reboot", false}, {"Factory-Reset", false}, {"Wi-Fi-Reset", false}},
      [apply, on_reboot = options.on_reboot](const agent::ParamWrite& write) -> Result<void> {
        (void)apply(write);
        if (write.param == "Reboot" && write.value.is_bool() && write.value.get_bool() &&
            on_reboot) {
          on_reboot();
        }
        return {};
      });
  if (!system) {
    return system;
  }
  return node.add_service(standard::time_service(), {{"TZ", ""}, {"TZ-POSIX", ""}},
                          std::move(apply));
}

// The OTA service of OTA using params (spec §8.6), every param "".
Result<void> add_ota_service(agent::NodeModel& node, const VirtualNodeOptions& options) {
  return node.add_service(standard::ota_service(), {{"Status", ""}, {"Info", ""}, {"URL", ""}},
                          applier(options));
}

// The sample commands (see kIdentifyCommand).
Result<void> add_commands(agent::NodeModel& node, const VirtualNodeOptions& options) {
  auto identify = node.register_command(
      kIdentifyCommand, agent::any_user_access,
      [options](const agent::CommandRequest& request) -> agent::CommandReply {
        std::int64_t seconds = 3;
        if (!request.data.empty()) {
          auto body = proto::parse_json_object(request.data, 4096);
          const auto* s = body ? body->if_contains("seconds") : nullptr;
          if (!body ||
              (s != nullptr && (!s->is_int64() || s->as_int64() < 1 || s->as_int64() > 60))) {
            return agent::CommandReply::invalid(
                R"({"status":"fail","description":"expected {\"seconds\":1..60}"})");
          }
          if (s != nullptr) {
            seconds = s->as_int64();
          }
        }
        if (options.on_apply) {
          options.on_apply("identify", "blinking for " + std::to_string(seconds) + " s");
        }
        std::string answer = R"({"status":"success","blinked_s":)" + std::to_string(seconds) + "}";
        if (!options.defer) {
          return agent::CommandReply::ok(std::move(answer));
        }
        options.defer(std::chrono::seconds(seconds),
                      [id = std::string(request.request_id), answer](agent::NodeSession& session,
                                                                     agent::MqttActions& out) {
                        session.respond(id, kIdentifyCommand, 0, answer, out);
                      });
        return agent::CommandReply::later();
      });
  if (!identify) {
    return identify;
  }
  auto reboot = node.register_command(
      kRebootCommand, agent::primary_access | agent::admin_access,
      [on_reboot = options.on_reboot](const agent::CommandRequest&) {
        if (on_reboot) {
          on_reboot();  // the driver reboots after this answer is sent
        }
        return agent::CommandReply::ok(R"({"status":"success","rebooting":true})");
      });
  if (!reboot) {
    return reboot;
  }
  auto settings = std::make_shared<json::object>();
  return node.register_command(
      kConfigureCommand, agent::primary_access | agent::admin_access,
      [settings, on_apply = options.on_apply](const agent::CommandRequest& request) {
        auto body = proto::parse_json_object(request.data, 16384);
        if (!body || body->empty()) {
          return agent::CommandReply::invalid(
              R"({"status":"fail","description":"expected a JSON object of settings"})");
        }
        json::array applied;
        for (const auto& [key, value] : *body) {
          (*settings)[key] = value;
          applied.emplace_back(key);
          if (on_apply) {
            on_apply("config." + std::string(key), json::serialize(value));
          }
        }
        return agent::CommandReply::ok(
            json::serialize(json::object{{"status", "success"}, {"applied", std::move(applied)}}));
      });
}

// A value that drifts by at most `step` per tick within [min, max], rounded to 0.1.
Behaviour random_walk(std::string device, std::string param, double min, double max, double step,
                      std::chrono::milliseconds period, std::uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  std::string description = device + "." + param + " random walk " +
                            boost::json::serialize(json::value(min)) + ".." +
                            boost::json::serialize(json::value(max));
  return {std::move(description), period,
          [device = std::move(device), param = std::move(param), min, max, step,
           rng](agent::NodeModel& node) {
            const auto* current = node.value(device, param);
            double v = (current != nullptr && current->is_number()) ? current->to_number<double>()
                                                                    : (min + max) / 2;
            std::uniform_real_distribution<double> noise(-step, step);
            v = std::clamp(v + noise(*rng), min, max);
            v = std::round(v * 10) / 10;
            if (auto ok = node.update(device, param, v); !ok) {
              log::warn(log::Channel::agent, "behaviour failed: {}", ok.error().context);
            }
          }};
}

Result<VirtualNode> builtin(std::string_view name, std::string node_id,
                            const VirtualNodeOptions& options) {
  VirtualNode v;
  const auto seed = seed_for(node_id, options.seed);
  auto apply = applier(options);
  Result<void> added;
  if (name == "light") {
    v.model = std::make_unique<agent::NodeModel>(std::move(node_id),
                                                 node_info("Light", "Lightbulb", "light"));
    added = v.model->add_device(
        device("Light", "esp.device.lightbulb", "Power",
               {standard::name_param(), standard::power_param(), standard::brightness_param(),
                standard::hue_param(), standard::saturation_param()}),
        {{"Name", "Light"},
         {"Power", false},
         {"Brightness", 75},
         {"Hue", 180},
         {"Saturation", 100}},
        apply);
  } else if (name == "switch" || name == "outlet") {
    const bool outlet = name == "outlet";
    const std::string label = outlet ? "Outlet" : "Switch";
    v.model = std::make_unique<agent::NodeModel>(std::move(node_id),
                                                 node_info(label, label, std::string(name)));
    added = v.model->add_device(device(label, outlet ? "esp.device.outlet" : "esp.device.switch",
                                       "Power", {standard::name_param(), standard::power_param()}),
                                {{"Name", label}, {"Power", false}}, apply);
  } else if (name == "fan") {
    v.model =
        std::make_unique<agent::NodeModel>(std::move(node_id), node_info("Fan", "Fan", "fan"));
    added = v.model->add_device(
        device("Fan", "esp.device.fan", "Power",
               {standard::name_param(), standard::power_param(), standard::speed_param()}),
        {{"Name", "Fan"}, {"Power", false}, {"Speed", 3}}, apply);
  } else if (name == "temperature-sensor") {
    v.model = std::make_unique<agent::NodeModel>(
        std::move(node_id),
        node_info("Temperature Sensor", "Temperature Sensor", "temperature-sensor"));
    added = v.model->add_device(
        device("Temperature Sensor", "esp.device.temperature-sensor", "Temperature",
               {standard::name_param(), standard::temperature_param()}),
        {{"Name", "Temperature Sensor"}, {"Temperature", 22.0}}, apply);
    v.behaviours.push_back(random_walk("Temperature Sensor", "Temperature", 15.0, 30.0, 0.3,
                                       options.sensor_period, seed));
  } else {
    return fail(errc::not_found, "no built-in model \"" + std::string(name) + "\"");
  }
  if (!added) {
    return fail(std::move(added).error());
  }
  if (auto ok = add_services(*v.model, options); !ok) {
    return fail(std::move(ok).error());
  }
  if (auto ok = add_commands(*v.model, options); !ok) {
    return fail(std::move(ok).error());
  }
  v.ota = default_ota(v.model->config().info);
  return v;
}

// ---- YAML models ----

tl::unexpected<Error> at(const std::string& path, std::string_view what) {
  return fail(errc::invalid_argument, path + ": " + std::string(what));
}

Result<std::string> string_field(const YAML::Node& node, const char* key, const std::string& path,
                                 bool required) {
  const auto v = node[key];
  if (!v) {
    if (required) {
      return at(path + "." + key, "missing");
    }
    return std::string();
  }
  if (!v.IsScalar()) {
    return at(path + "." + key, "expected a string");
  }
  return v.as<std::string>();
}

Result<json::value> to_json(const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    json::object o;
    for (const auto& kv : node) {
      auto v = to_json(kv.second, path + "." + kv.first.as<std::string>());
      if (!v) {
        return v;
      }
      o[kv.first.as<std::string>()] = std::move(*v);
    }
    return o;
  }
  if (node.IsSequence()) {
    json::array a;
    for (std::size_t i = 0; i < node.size(); ++i) {
      auto v = to_json(node[i], path + "[" + std::to_string(i) + "]");
      if (!v) {
        return v;
      }
      a.push_back(std::move(*v));
    }
    return a;
  }
  if (node.IsNull()) {
    return json::value(nullptr);
  }
  // A scalar: the most specific type it reads as.
  bool b = false;
  std::int64_t i = 0;
  double d = 0;
  if (YAML::convert<bool>::decode(node, b)) {
    return json::value(b);
  }
  if (YAML::convert<std::int64_t>::decode(node, i)) {
    return json::value(i);
  }
  if (YAML::convert<double>::decode(node, d)) {
    return json::value(d);
  }
  return json::value(node.as<std::string>());
}

// The initial value of a param, converted to its data type.
Result<json::value> param_value(const YAML::Node& node, DataType type, const std::string& path) {
  auto v = to_json(node, path);
  if (!v) {
    return v;
  }
  if (type == DataType::string && !v->is_string()) {
    // `value: 12` for a string param means "12".
    if (!node.IsScalar()) {
      return at(path, "expected a string");
    }
    return json::value(node.as<std::string>());
  }
  if (type == DataType::floating && v->is_int64()) {
    return json::value(static_cast<double>(v->get_int64()));
  }
  return v;
}

Result<void> parse_param(const YAML::Node& node, const std::string& path, model::DeviceSpec& device,
                         json::object& values) {
  if (!node.IsMap()) {
    return at(path, "expected a map");
  }
  auto name = string_field(node, "name", path, true);
  auto type = string_field(node, "type", path, false);
  auto data_type_text = string_field(node, "data_type", path, true);
  auto ui_type = string_field(node, "ui_type", path, false);
  for (auto* r : {&name, &type, &data_type_text, &ui_type}) {
    if (!*r) {
      return fail(std::move(*r).error());
    }
  }
  const auto data_type = model::parse_data_type(*data_type_text);
  if (!data_type) {
    return at(path + ".data_type", "unknown data type \"" + *data_type_text +
                                       "\" (bool, int, float, string, object or array)");
  }
  unsigned properties = standard::read;
  if (const auto props = node["properties"]; props) {
    if (!props.IsSequence()) {
      return at(path + ".properties", "expected a list");
    }
    properties = 0;
    for (const auto& p : props) {
      const auto s = p.as<std::string>();
      if (s == "read") {
        properties |= standard::read;
      } else if (s == "write") {
        properties |= standard::write;
      } else if (s == "time_series") {
        properties |= standard::time_series;
      } else if (s == "simple_ts") {
        properties |= standard::simple_ts;
      } else {
        return at(path + ".properties",
                  "unknown property \"" + s + "\" (read, write, time_series, simple_ts)");
      }
    }
  }
  auto spec = standard::param(*name, *type, *data_type, properties, *ui_type);
  if (const auto bounds = node["bounds"]; bounds) {
    if (!bounds.IsMap()) {
      return at(path + ".bounds", "expected a map with min, max and step");
    }
    for (const auto& [key, target] :
         {std::pair{"min", &spec.bounds.min}, std::pair{"max", &spec.bounds.max},
          std::pair{"step", &spec.bounds.step}}) {
      if (const auto b = bounds[key]; b) {
        double d = 0;
        if (!YAML::convert<double>::decode(b, d)) {
          return at(path + ".bounds." + key, "expected a number");
        }
        *target = d;
      }
    }
  }
  if (const auto strs = node["valid_strs"]; strs) {
    if (!strs.IsSequence()) {
      return at(path + ".valid_strs", "expected a list of strings");
    }
    for (const auto& s : strs) {
      spec.valid_strs.push_back(s.as<std::string>());
    }
  }
  const auto value_node = node["value"];
  if (!value_node) {
    return at(path + ".value", "missing (every param needs an initial value)");
  }
  auto value = param_value(value_node, *data_type, path + ".value");
  if (!value) {
    return fail(std::move(value).error());
  }
  values[spec.name] = std::move(*value);
  device.params.push_back(std::move(spec));
  return {};
}

Result<void> parse_devices(const YAML::Node& list, const char* key, agent::NodeModel& node,
                           const VirtualNodeOptions& options) {
  if (!list) {
    return {};
  }
  if (!list.IsSequence()) {
    return at(key, "expected a list");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto path = std::string(key) + "[" + std::to_string(i) + "]";
    const auto& d = list[i];
    if (!d.IsMap()) {
      return at(path, "expected a map");
    }
    model::DeviceSpec spec;
    auto name = string_field(d, "name", path, true);
    auto type = string_field(d, "type", path, false);
    auto primary = string_field(d, "primary", path, false);
    for (auto* r : {&name, &type, &primary}) {
      if (!*r) {
        return fail(std::move(*r).error());
      }
    }
    spec.name = *name;
    spec.type = *type;
    spec.primary = *primary;
    json::object values;
    const auto params = d["params"];
    if (params && !params.IsSequence()) {
      return at(path + ".params", "expected a list");
    }
    for (std::size_t j = 0; params && j < params.size(); ++j) {
      auto ok = parse_param(params[j], path + ".params[" + std::to_string(j) + "]", spec, values);
      if (!ok) {
        return ok;
      }
    }
    auto added = std::string_view(key) == "devices"
                     ? node.add_device(std::move(spec), std::move(values), applier(options))
                     : node.add_service(std::move(spec), std::move(values), applier(options));
    if (!added) {
      return at(path, added.error().context);
    }
  }
  return {};
}

Result<void> parse_behaviours(const YAML::Node& list, VirtualNode& v, std::uint64_t seed) {
  if (!list) {
    return {};
  }
  if (!list.IsSequence()) {
    return at("behaviours", "expected a list");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto path = "behaviours[" + std::to_string(i) + "]";
    const auto& b = list[i];
    auto target = string_field(b, "param", path, true);
    if (!target) {
      return fail(std::move(target).error());
    }
    const auto dot = target->find('.');
    if (dot == std::string::npos) {
      return at(path + ".param", "expected Device.Param");
    }
    const auto device_name = target->substr(0, dot);
    const auto param_name = target->substr(dot + 1);
    const auto* spec = v.model->config().find_param(device_name, param_name);
    if (spec == nullptr) {
      return at(path + ".param", "no param " + *target);
    }
    double every_s = 10;
    if (const auto e = b["every_s"];
        e && (!YAML::convert<double>::decode(e, every_s) || every_s < 0.05)) {
      return at(path + ".every_s", "expected a number of seconds >= 0.05");
    }
    const auto period = std::chrono::milliseconds(static_cast<std::int64_t>(every_s * 1000));
    if (const auto walk = b["walk"]; walk) {
      double min = 0;
      double max = 0;
      double step = 0;
      if (!walk.IsMap() || !YAML::convert<double>::decode(walk["min"], min) ||
          !YAML::convert<double>::decode(walk["max"], max) ||
          !YAML::convert<double>::decode(walk["step"], step) || min > max) {
        return at(path + ".walk", "expected {min, max, step} numbers with min <= max");
      }
      if (spec->data_type != DataType::floating) {
        return at(path + ".walk", "a random walk needs a float param");
      }
      v.behaviours.push_back(
          random_walk(device_name, param_name, min, max, step, period, seed + i));
    } else if (b["toggle"]) {
      if (spec->data_type != DataType::boolean) {
        return at(path + ".toggle", "toggling needs a bool param");
      }
      v.behaviours.push_back(
          {*target + " toggles", period, [device_name, param_name](agent::NodeModel& node) {
             const auto* current = node.value(device_name, param_name);
             const bool on = current != nullptr && current->is_bool() && current->get_bool();
             (void)node.update(device_name, param_name, !on);
           }});
    } else {
      return at(path, "expected walk or toggle");
    }
  }
  return {};
}

// The `wifi` map of a model file: the access points of the simulated station
// (`wifi: {networks: [{ssid, passphrase, rssi, channel, auth}]}`).
Result<std::vector<agent::WifiNetwork>> parse_wifi(const YAML::Node& w) {
  if (!w) {
    return agent::default_wifi_networks();
  }
  if (!w.IsMap() || !w["networks"] || !w["networks"].IsSequence() || w.size() != 1) {
    return at("wifi", "expected a map with one key, networks (a list)");
  }
  static constexpr std::pair<std::string_view, protocomm::WifiAuthMode> kAuth[] = {
      {"open", protocomm::WifiAuthMode::open},
      {"wep", protocomm::WifiAuthMode::wep},
      {"wpa_psk", protocomm::WifiAuthMode::wpa_psk},
      {"wpa2_psk", protocomm::WifiAuthMode::wpa2_psk},
      {"wpa_wpa2_psk", protocomm::WifiAuthMode::wpa_wpa2_psk},
      {"wpa2_enterprise", protocomm::WifiAuthMode::wpa2_enterprise},
      {"wpa3_psk", protocomm::WifiAuthMode::wpa3_psk},
      {"wpa2_wpa3_psk", protocomm::WifiAuthMode::wpa2_wpa3_psk}};
  std::vector<agent::WifiNetwork> networks;
  std::size_t index = 0;
  for (const auto& n : w["networks"]) {
    const auto path = "wifi.networks[" + std::to_string(index++) + "]";
    if (!n.IsMap()) {
      return at(path, "expected a map");
    }
    for (const auto& kv : n) {
      static constexpr std::string_view kKeys[] = {"ssid", "passphrase", "rssi", "channel", "auth"};
      const auto key = kv.first.as<std::string>();
      if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
        return at(path + "." + key, "unknown key (ssid, passphrase, rssi, channel, auth)");
      }
    }
    agent::WifiNetwork ap;
    auto ssid = string_field(n, "ssid", path, true);
    auto passphrase = string_field(n, "passphrase", path, false);
    auto auth = string_field(n, "auth", path, false);
    if (!ssid || !passphrase || !auth) {
      return fail(!ssid ? ssid.error() : !passphrase ? passphrase.error() : auth.error());
    }
    if (ssid->empty() || ssid->size() > 32) {
      return at(path + ".ssid", "expected 1..32 bytes");
    }
    if (passphrase->size() > 64) {
      return at(path + ".passphrase", "expected at most 64 bytes");
    }
    ap.ssid = std::move(*ssid);
    ap.passphrase = std::move(*passphrase);
    ap.auth =
        ap.passphrase.empty() ? protocomm::WifiAuthMode::open : protocomm::WifiAuthMode::wpa2_psk;
    if (!auth->empty()) {
      const auto* found = std::find_if(std::begin(kAuth), std::end(kAuth),
                                       [&](const auto& a) { return a.first == *auth; });
      if (found == std::end(kAuth)) {
        return at(path + ".auth",
                  "expected open, wep, wpa_psk, wpa2_psk, wpa_wpa2_psk, "
                  "wpa2_enterprise, wpa3_psk or wpa2_wpa3_psk");
      }
      ap.auth = found->second;
    }
    try {
      if (n["rssi"]) {
        const auto rssi = n["rssi"].as<int>();
        if (rssi < -127 || rssi > 0) {
          return at(path + ".rssi", "expected dBm -127..0");
        }
        ap.rssi = rssi;
      }
      if (n["channel"]) {
        const auto channel = n["channel"].as<int>();
        if (channel < 1 || channel > 196) {
          return at(path + ".channel", "expected 1..196");
        }
        ap.channel = static_cast<std::uint32_t>(channel);
      }
    } catch (const YAML::Exception&) {
      return at(path, "rssi and channel are integers");
    }
    networks.push_back(std::move(ap));
  }
  if (networks.empty()) {
    return at("wifi.networks", "expected at least one network");
  }
  return networks;
}

// The `ota` map of a model file; `node` already has its devices and services.
Result<std::optional<agent::OtaOptions>> parse_ota(const YAML::Node& o, agent::NodeModel& node,
                                                   const VirtualNodeOptions& options) {
  agent::OtaOptions ota = default_ota(node.config().info);
  if (!o) {
    return std::optional<agent::OtaOptions>(std::move(ota));
  }
  if (!o.IsMap()) {
    return at("ota", "expected a map");
  }
  for (const auto& kv : o) {
    static constexpr std::string_view kKeys[] = {
        "mode", "project_name", "chip", "fw_version", "secure_version", "fail", "reboot_delay_s"};
    const auto key = kv.first.as<std::string>();
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return at("ota." + key,
                "unknown key (mode, project_name, chip, fw_version, secure_version, fail, "
                "reboot_delay_s)");
    }
  }
  std::string fields[5];
  const char* names[5] = {"mode", "project_name", "chip", "fw_version", "fail"};
  for (std::size_t i = 0; i < 5; ++i) {
    auto s = string_field(o, names[i], "ota", false);
    if (!s) {
      return fail(std::move(s).error());
    }
    fields[i] = std::move(*s);
  }
  const auto& [mode, project, chip, fw_version, fault] = fields;
  if (mode == "off") {
    return std::optional<agent::OtaOptions>();
  }
  if (mode == "params") {
    ota.mode = agent::OtaMode::params;
  } else if (!mode.empty() && mode != "topics") {
    return at("ota.mode", "expected topics, params or off");
  }
  if (project.size() >= 32 || fw_version.size() >= 32) {
    return at(project.size() >= 32 ? "ota.project_name" : "ota.fw_version",
              "at most 31 characters (the image header's limit)");
  }
  if (!project.empty()) {
    ota.project_name = project;
    node.set_project_name(project);
  }
  if (!fw_version.empty()) {
    node.set_fw_version(fw_version);
  }
  if (!chip.empty()) {
    const auto id = proto::esp_chip_id(chip);
    if (!id) {
      return at("ota.chip", "unknown chip \"" + chip + "\" (esp32, esp32s3, esp32c3, ...)");
    }
    ota.chip_id = *id;
    node.set_platform(std::string(proto::esp_chip_name(*id)));
  }
  if (const auto sv = o["secure_version"]; sv) {
    std::uint32_t v = 0;
    if (!YAML::convert<std::uint32_t>::decode(sv, v)) {
      return at("ota.secure_version", "expected an integer 0..4294967295");
    }
    ota.secure_version = v;
  }
  if (fault == "checksum") {
    ota.fault = agent::OtaFault::checksum;
  } else if (fault == "reject") {
    ota.fault = agent::OtaFault::reject;
  } else if (fault == "download") {
    ota.fault = agent::OtaFault::download;
  } else if (!fault.empty() && fault != "none") {
    return at("ota.fail", "expected none, checksum, reject or download");
  }
  if (const auto d = o["reboot_delay_s"]; d) {
    double seconds = 0;
    if (!YAML::convert<double>::decode(d, seconds) || !(seconds >= 0 && seconds <= 3600)) {
      return at("ota.reboot_delay_s", "expected seconds 0..3600");
    }
    ota.reboot_delay = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  }
  if (ota.mode == agent::OtaMode::params) {
    if (auto ok = add_ota_service(node, options); !ok) {
      return at("ota.mode", ok.error().context);
    }
  }
  return std::optional<agent::OtaOptions>(std::move(ota));
}

}  // namespace

const std::vector<std::string_view>& builtin_models() {
  static const std::vector<std::string_view> names{"light", "switch", "fan", "temperature-sensor",
                                                   "outlet"};
  return names;
}

Result<VirtualNode> parse_yaml_model(std::string_view yaml, std::string node_id,
                                     const VirtualNodeOptions& options) {
  try {
    const auto root = YAML::Load(std::string(yaml));
    if (!root.IsMap()) {
      return at("model", "expected a map with info, devices, services, behaviours");
    }
    model::NodeInfo info = node_info("Node", "Other", "custom");
    if (const auto i = root["info"]; i) {
      if (!i.IsMap()) {
        return at("info", "expected a map");
      }
      for (const auto& [key, target] :
           {std::pair{"name", &info.name}, std::pair{"type", &info.type},
            std::pair{"fw_version", &info.fw_version}, std::pair{"model", &info.model}}) {
        auto s = string_field(i, key, "info", false);
        if (!s) {
          return fail(std::move(s).error());
        }
        if (!s->empty()) {
          *target = std::move(*s);
        }
      }
    }
    info.project_name = info.model;  // `ota.project_name` may replace it
    VirtualNode v;
    v.model = std::make_unique<agent::NodeModel>(node_id, std::move(info));
    if (auto ok = parse_devices(root["devices"], "devices", *v.model, options); !ok) {
      return fail(std::move(ok).error());
    }
    if (v.model->config().devices.empty()) {
      return at("devices", "a node needs at least one device");
    }
    if (auto ok = parse_devices(root["services"], "services", *v.model, options); !ok) {
      return fail(std::move(ok).error());
    }
    if (v.model->config().find_device("System") == nullptr &&
        v.model->config().find_device("Time") == nullptr) {
      if (auto ok = add_services(*v.model, options); !ok) {
        return fail(std::move(ok).error());
      }
    }
    if (auto ok = parse_behaviours(root["behaviours"], v, seed_for(node_id, options.seed)); !ok) {
      return fail(std::move(ok).error());
    }
    auto ota = parse_ota(root["ota"], *v.model, options);
    if (!ota) {
      return fail(std::move(ota).error());
    }
    v.ota = std::move(*ota);
    auto wifi = parse_wifi(root["wifi"]);
    if (!wifi) {
      return fail(std::move(wifi).error());
    }
    v.wifi_networks = std::move(*wifi);
    if (auto ok = add_commands(*v.model, options); !ok) {
      return fail(std::move(ok).error());
    }
    return v;
  } catch (const YAML::Exception& e) {
    return fail(errc::invalid_argument, std::string("YAML: ") + e.what());
  }
}

Result<VirtualNode> make_virtual_node(std::string_view model, std::string node_id,
                                      const VirtualNodeOptions& options) {
  const auto& names = builtin_models();
  if (std::find(names.begin(), names.end(), model) != names.end()) {
    return builtin(model, std::move(node_id), options);
  }
  std::ifstream in{std::filesystem::path(model), std::ios::binary};
  if (!in) {
    std::string known;
    for (const auto n : names) {
      known.append(known.empty() ? "" : ", ").append(n);
    }
    return fail(errc::not_found, "\"" + std::string(model) + "\" is neither a built-in model (" +
                                     known + ") nor a readable YAML file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxModelFileBytes) {
    return fail(errc::invalid_argument, std::string(model) + ": larger than 1 MiB");
  }
  auto v = parse_yaml_model(text.str(), std::move(node_id), options);
  if (!v) {
    return fail(errc::invalid_argument, std::string(model) + ": " + v.error().context);
  }
  return v;
}

}  // namespace stratus::sim
