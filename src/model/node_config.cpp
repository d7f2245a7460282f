#include "model/node_config.hpp"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <set>
#include <utility>

#include "proto/payloads.hpp"

namespace stratus::model {
namespace {

namespace json = boost::json;

constexpr std::array<std::pair<std::string_view, DataType>, 6> kDataTypes{{
    {"bool", DataType::boolean},
    {"int", DataType::integer},
    {"float", DataType::floating},
    {"string", DataType::string},
    {"object", DataType::object},
    {"array", DataType::array},
}};

tl::unexpected<Error> at(std::string_view path, std::string_view what) {
  std::string context(path);
  context.append(": ").append(what);
  return fail(errc::invalid_argument, std::move(context));
}

std::string join(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) {
    out.push_back('.');
  }
  out.append(key);
  return out;
}

std::string index(std::string_view path, std::size_t i) {
  std::string out(path);
  out.append("[").append(std::to_string(i)).append("]");
  return out;
}

// An optional string member: absent or null → "", otherwise it must be a string.
Result<std::string> optional_string(const json::object& o, std::string_view key,
                                    std::string_view path) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return std::string();
  }
  if (!v->is_string()) {
    return at(join(path, key), "expected a string");
  }
  return std::string(v->get_string());
}

// A required, non-empty string member.
Result<std::string> required_name(const json::object& o, std::string_view key,
                                  std::string_view path) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) {
    return at(join(path, key), "missing");
  }
  if (!v->is_string()) {
    return at(join(path, key), "expected a string");
  }
  if (v->get_string().empty()) {
    return at(join(path, key), "must not be empty");
  }
  return std::string(v->get_string());
}

// An optional array member: absent or null → nullptr.
Result<const json::array*> optional_array(const json::object& o, std::string_view key,
                                          std::string_view path) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return static_cast<const json::array*>(nullptr);
  }
  if (!v->is_array()) {
    return at(join(path, key), "expected an array");
  }
  return &v->get_array();
}

Result<std::optional<double>> optional_number(const json::object& o, std::string_view key,
                                              std::string_view path) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return std::optional<double>();
  }
  if (!v->is_number()) {
    return at(join(path, key), "expected a number");
  }
  return std::optional<double>(v->to_number<double>());
}

Result<void> parse_bounds(const json::value& v, const std::string& path, Bounds& out) {
  if (!v.is_object()) {
    return at(path, "expected an object");
  }
  const auto& o = v.get_object();
  auto min = optional_number(o, "min", path);
  if (!min) {
    return fail(std::move(min).error());
  }
  auto max = optional_number(o, "max", path);
  if (!max) {
    return fail(std::move(max).error());
  }
  auto step = optional_number(o, "step", path);
  if (!step) {
    return fail(std::move(step).error());
  }
  out.min = *min;
  out.max = *max;
  out.step = *step;
  return {};
}

Result<ParamSpec> parse_param(const json::value& v, const std::string& path) {
  if (!v.is_object()) {
    return at(path, "expected an object");
  }
  const auto& o = v.get_object();
  ParamSpec p;
  auto name = required_name(o, "name", path);
  if (!name) {
    return fail(std::move(name).error());
  }
  p.name = std::move(*name);
  auto type = optional_string(o, "type", path);
  if (!type) {
    return fail(std::move(type).error());
  }
  p.type = std::move(*type);
  auto ui_type = optional_string(o, "ui_type", path);
  if (!ui_type) {
    return fail(std::move(ui_type).error());
  }
  p.ui_type = std::move(*ui_type);

  const auto* dt = o.if_contains("data_type");
  if (dt == nullptr) {
    return at(join(path, "data_type"), "missing");
  }
  if (!dt->is_string()) {
    return at(join(path, "data_type"), "expected a string");
  }
  const auto data_type = parse_data_type(dt->get_string());
  if (!data_type) {
    return at(join(path, "data_type"), "unknown data type \"" + std::string(dt->get_string()) +
                                           "\" (expected bool, int, float, string, object "
                                           "or array)");
  }
  p.data_type = *data_type;

  auto properties = optional_array(o, "properties", path);
  if (!properties) {
    return fail(std::move(properties).error());
  }
  if (*properties != nullptr) {
    const auto props_path = join(path, "properties");
    for (std::size_t i = 0; i < (*properties)->size(); ++i) {
      const auto& prop = (**properties)[i];
      if (!prop.is_string()) {
        return at(index(props_path, i), "expected a string");
      }
      const std::string_view s = prop.get_string();
      if (s == "read") {
        p.readable = true;
      } else if (s == "write") {
        p.writable = true;
      } else if (s == "time_series") {
        p.time_series = true;
      } else if (s == "simple_ts") {
        p.simple_ts = true;
      } else if (s == "persist") {
        p.persist = true;
      }  // newer firmware may add properties; they do not change what the cloud does
    }
  }

  if (const auto* bounds = o.if_contains("bounds"); bounds != nullptr && !bounds->is_null()) {
    auto ok = parse_bounds(*bounds, join(path, "bounds"), p.bounds);
    if (!ok) {
      return fail(std::move(ok).error());
    }
  }

  auto valid_strs = optional_array(o, "valid_strs", path);
  if (!valid_strs) {
    return fail(std::move(valid_strs).error());
  }
  if (*valid_strs != nullptr) {
    const auto strs_path = join(path, "valid_strs");
    for (std::size_t i = 0; i < (*valid_strs)->size(); ++i) {
      const auto& s = (**valid_strs)[i];
      if (!s.is_string()) {
        return at(index(strs_path, i), "expected a string");
      }
      p.valid_strs.emplace_back(s.get_string());
    }
  }
  return p;
}

Result<DeviceSpec> parse_device(const json::value& v, const std::string& path) {
  if (!v.is_object()) {
    return at(path, "expected an object");
  }
  const auto& o = v.get_object();
  DeviceSpec d;
  auto name = required_name(o, "name", path);
  if (!name) {
    return fail(std::move(name).error());
  }
  d.name = std::move(*name);
  auto type = optional_string(o, "type", path);
  if (!type) {
    return fail(std::move(type).error());
  }
  d.type = std::move(*type);
  auto primary = optional_string(o, "primary", path);
  if (!primary) {
    return fail(std::move(primary).error());
  }
  d.primary = std::move(*primary);

  auto params = optional_array(o, "params", path);
  if (!params) {
    return fail(std::move(params).error());
  }
  if (*params != nullptr) {
    const auto params_path = join(path, "params");
    std::set<std::string, std::less<>> seen;
    for (std::size_t i = 0; i < (*params)->size(); ++i) {
      const auto param_path = index(params_path, i);
      auto p = parse_param((**params)[i], param_path);
      if (!p) {
        return fail(std::move(p).error());
      }
      if (!seen.insert(p->name).second) {
        return at(join(param_path, "name"), "duplicate param name \"" + p->name + "\"");
      }
      d.params.push_back(std::move(*p));
    }
  }
  return d;
}

Result<void> parse_devices(const json::object& o, std::string_view key,
                           std::set<std::string, std::less<>>& seen, std::vector<DeviceSpec>& out) {
  auto list = optional_array(o, key, "");
  if (!list) {
    return fail(std::move(list).error());
  }
  if (*list == nullptr) {
    return {};
  }
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const auto path = index(key, i);
    auto d = parse_device((**list)[i], path);
    if (!d) {
      return fail(std::move(d).error());
    }
    if (!seen.insert(d->name).second) {
      return at(join(path, "name"), "duplicate device or service name \"" + d->name + "\"");
    }
    out.push_back(std::move(*d));
  }
  return {};
}

Result<void> parse_info(const json::object& o, NodeInfo& info) {
  const auto* v = o.if_contains("info");
  if (v == nullptr || v->is_null()) {
    return {};
  }
  if (!v->is_object()) {
    return at("info", "expected an object");
  }
  const auto& io = v->get_object();
  const std::pair<std::string_view, std::string*> fields[] = {
      {"name", &info.name},   {"fw_version", &info.fw_version},     {"type", &info.type},
      {"model", &info.model}, {"project_name", &info.project_name}, {"platform", &info.platform},
  };
  for (const auto& [key, target] : fields) {
    auto s = optional_string(io, key, "info");
    if (!s) {
      return fail(std::move(s).error());
    }
    *target = std::move(*s);
  }
  return {};
}

Result<void> parse_attributes(const json::object& o,
                              std::vector<std::pair<std::string, std::string>>& out) {
  auto list = optional_array(o, "attributes", "");
  if (!list) {
    return fail(std::move(list).error());
  }
  if (*list == nullptr) {
    return {};
  }
  for (std::size_t i = 0; i < (*list)->size(); ++i) {
    const auto path = index("attributes", i);
    const auto& v = (**list)[i];
    if (!v.is_object()) {
      return at(path, "expected an object");
    }
    auto name = required_name(v.get_object(), "name", path);
    if (!name) {
      return fail(std::move(name).error());
    }
    const auto* value = v.get_object().if_contains("value");
    if (value == nullptr) {
      return at(join(path, "value"), "missing");
    }
    if (!value->is_string()) {
      return at(join(path, "value"), "expected a string");
    }
    out.emplace_back(std::move(*name), std::string(value->get_string()));
  }
  return {};
}

}  // namespace

std::string_view to_string(DataType type) noexcept {
  for (const auto& [text, value] : kDataTypes) {
    if (value == type) {
      return text;
    }
  }
  return "unknown";
}

std::optional<DataType> parse_data_type(std::string_view text) noexcept {
  for (const auto& [spelling, value] : kDataTypes) {
    if (spelling == text) {
      return value;
    }
  }
  return std::nullopt;
}

const ParamSpec* DeviceSpec::find_param(std::string_view param_name) const noexcept {
  for (const auto& p : params) {
    if (p.name == param_name) {
      return &p;
    }
  }
  return nullptr;
}

const DeviceSpec* NodeConfig::find_device(std::string_view name) const noexcept {
  for (const auto* list : {&devices, &services}) {
    for (const auto& d : *list) {
      if (d.name == name) {
        return &d;
      }
    }
  }
  return nullptr;
}

const ParamSpec* NodeConfig::find_param(std::string_view device,
                                        std::string_view param) const noexcept {
  const auto* d = find_device(device);
  return d == nullptr ? nullptr : d->find_param(param);
}

const std::string* NodeConfig::find_attribute(std::string_view name) const noexcept {
  for (const auto& [key, value] : attributes) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

bool NodeConfig::supports_cmd_resp() const noexcept {
  const auto* value = find_attribute("cmd-resp");
  return value != nullptr && *value == "1";
}

Result<NodeConfig> parse_node_config(std::string_view json_text) {
  auto parsed = proto::parse_json_object(json_text, json_text.size());
  if (!parsed) {
    return fail(errc::invalid_argument, "node config: " + parsed.error().context);
  }
  const auto& o = *parsed;
  NodeConfig c;
  auto node_id = required_name(o, "node_id", "");
  if (!node_id) {
    return fail(std::move(node_id).error());
  }
  c.node_id = std::move(*node_id);
  auto version = optional_string(o, "config_version", "");
  if (!version) {
    return fail(std::move(version).error());
  }
  c.config_version = std::move(*version);
  if (auto ok = parse_info(o, c.info); !ok) {
    return fail(std::move(ok).error());
  }
  if (auto ok = parse_attributes(o, c.attributes); !ok) {
    return fail(std::move(ok).error());
  }
  std::set<std::string, std::less<>> names;
  if (auto ok = parse_devices(o, "devices", names, c.devices); !ok) {
    return fail(std::move(ok).error());
  }
  if (auto ok = parse_devices(o, "services", names, c.services); !ok) {
    return fail(std::move(ok).error());
  }
  return c;
}

namespace {

json::array attributes_json(const std::vector<std::pair<std::string, std::string>>& attributes) {
  json::array out;
  out.reserve(attributes.size());
  for (const auto& [name, value] : attributes) {
    out.push_back(json::object{{"name", name}, {"value", value}});
  }
  return out;
}

json::object param_json(const ParamSpec& p) {
  json::object o;
  o["name"] = p.name;
  if (!p.type.empty()) {
    o["type"] = p.type;
  }
  o["data_type"] = to_string(p.data_type);
  json::array properties;
  if (p.readable) {
    properties.emplace_back("read");
  }
  if (p.writable) {
    properties.emplace_back("write");
  }
  if (p.time_series) {
    properties.emplace_back("time_series");
  } else if (p.simple_ts) {
    properties.emplace_back("simple_ts");
  }
  o["properties"] = std::move(properties);
  const bool has_step = p.bounds.step && *p.bounds.step != 0;
  if (p.bounds.min || p.bounds.max || has_step) {  // never an empty "bounds":{}
    json::object bounds;
    // Firmware bounds are typed like the param: ints print as integers. A bound of an
    // int param that is no int64 (1e300, 0.5) stays a double: the cast would be undefined
    // or lose the value (both found by the node_config fuzz target).
    auto number = [&](double v) -> json::value {
      if (p.data_type == DataType::integer && v == std::trunc(v) && v >= -0x1p63 && v < 0x1p63) {
        return static_cast<std::int64_t>(v);
      }
      return v;
    };
    if (p.bounds.min) {
      bounds["min"] = number(*p.bounds.min);
    }
    if (p.bounds.max) {
      bounds["max"] = number(*p.bounds.max);
    }
    if (has_step) {
      bounds["step"] = number(*p.bounds.step);
    }
    o["bounds"] = std::move(bounds);
  }
  if (!p.valid_strs.empty()) {
    json::array strs;
    for (const auto& v : p.valid_strs) {
      strs.emplace_back(v);
    }
    o["valid_strs"] = std::move(strs);
  }
  if (!p.ui_type.empty()) {
    o["ui_type"] = p.ui_type;
  }
  return o;
}

json::array devices_json(const std::vector<DeviceSpec>& devices) {
  json::array out;
  out.reserve(devices.size());
  for (const auto& d : devices) {
    json::object o;
    o["name"] = d.name;
    if (!d.type.empty()) {
      o["type"] = d.type;
    }
    if (!d.primary.empty()) {
      o["primary"] = d.primary;
    }
    json::array params;
    for (const auto& p : d.params) {
      params.push_back(param_json(p));
    }
    o["params"] = std::move(params);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::string to_json(const NodeConfig& config) {
  json::object root;
  root["node_id"] = config.node_id;
  root["config_version"] = config.config_version;
  json::object info;
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"name", &config.info.name},
      {"fw_version", &config.info.fw_version},
      {"type", &config.info.type},
      {"model", &config.info.model},
      {"project_name", &config.info.project_name},
      {"platform", &config.info.platform},
  };
  for (const auto& [key, value] : fields) {
    if (!value->empty()) {
      info[key] = *value;
    }
  }
  root["info"] = std::move(info);
  if (!config.attributes.empty()) {
    root["attributes"] = attributes_json(config.attributes);
  }
  root["devices"] = devices_json(config.devices);
  root["services"] = devices_json(config.services);
  return json::serialize(root);
}

}  // namespace stratus::model
