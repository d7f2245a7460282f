#include "agent/node_model.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "model/params.hpp"
#include "proto/cmd_resp.hpp"

namespace stratus::agent {
namespace {

namespace json = boost::json;

constexpr std::string_view kConfigVersion = "2020-03-20";

std::string dotted(std::string_view device, std::string_view param) {
  std::string s;
  s.reserve(device.size() + 1 + param.size());
  s.append(device).append(".").append(param);
  return s;
}

}  // namespace

NodeModel::NodeModel(std::string node_id, model::NodeInfo info) {
  config_.node_id = std::move(node_id);
  config_.config_version = kConfigVersion;
  config_.info = std::move(info);
}

Result<void> NodeModel::add_device(model::DeviceSpec spec, json::object initial_values,
                                   WriteCallback on_write) {
  return add(std::move(spec), std::move(initial_values), std::move(on_write), false);
}

Result<void> NodeModel::add_service(model::DeviceSpec spec, json::object initial_values,
                                    WriteCallback on_write) {
  return add(std::move(spec), std::move(initial_values), std::move(on_write), true);
}

Result<void> NodeModel::add(model::DeviceSpec spec, json::object initial_values,
                            WriteCallback on_write, bool is_service) {
  if (spec.name.empty()) {
    return fail(errc::invalid_argument, "a device or service needs a name");
  }
  if (config_.find_device(spec.name) != nullptr) {
    return fail(errc::already_exists,
                "a device or service called \"" + spec.name + "\" exists already");
  }
  std::set<std::string_view> names;
  for (const auto& p : spec.params) {
    if (p.name.empty() || !names.insert(p.name).second) {
      return fail(errc::invalid_argument,
                  spec.name + ": param names must be non-empty and unique (\"" + p.name + "\")");
    }
    const auto* initial = initial_values.if_contains(p.name);
    if (initial == nullptr) {
      return fail(errc::invalid_argument, dotted(spec.name, p.name) + ": no initial value");
    }
    if (auto ok = model::validate_value(p, *initial); !ok) {
      return fail(errc::invalid_argument,
                  dotted(spec.name, p.name) + ": initial value: " + ok.error().context);
    }
  }
  for (const auto& [key, unused] : initial_values) {
    if (spec.find_param(key) == nullptr) {
      return fail(errc::invalid_argument,
                  dotted(spec.name, key) + ": initial value for an unknown param");
    }
  }
  if (!spec.primary.empty() && spec.find_param(spec.primary) == nullptr) {
    return fail(errc::invalid_argument,
                spec.name + ": primary param \"" + spec.primary + "\" is not one of its params");
  }
  // Values in the order of the spec's params, as the firmware reports them.
  json::object values;
  for (const auto& p : spec.params) {
    values[p.name] = initial_values.at(p.name);
  }
  values_[spec.name] = std::move(values);
  if (on_write) {
    callbacks_.emplace_back(spec.name, std::move(on_write));
  }
  (is_service ? config_.services : config_.devices).push_back(std::move(spec));
  return {};
}

void NodeModel::set_attribute(std::string name, std::string value) {
  for (auto& [n, v] : config_.attributes) {
    if (n == name) {
      v = std::move(value);
      return;
    }
  }
  config_.attributes.emplace_back(std::move(name), std::move(value));
}

std::string NodeModel::config_json() const {
  return model::to_json(config_);
}

const json::value* NodeModel::value(std::string_view device,
                                    std::string_view param) const noexcept {
  const auto* d = values_.if_contains(device);
  if (d == nullptr || !d->is_object()) {
    return nullptr;
  }
  return d->get_object().if_contains(param);
}

const model::ParamSpec* NodeModel::find_param(std::string_view device,
                                              std::string_view param) const noexcept {
  return config_.find_param(device, param);
}

Result<void> NodeModel::register_command(std::uint16_t command, std::uint8_t access,
                                         CommandHandler handler) {
  if (command == 0 || (access & 0x0FU) == 0 || !handler) {
    return fail(errc::invalid_argument, "a command needs an id > 0, an access mask and a handler");
  }
  if (command == proto::kCmdSetParams) {
    return fail(errc::already_exists, "command 1 (set params) is built in");
  }
  if (find_command(command) != nullptr) {
    return fail(errc::already_exists, "command " + std::to_string(command) + " has a handler");
  }
  commands_.push_back({command, {access, std::move(handler)}});
  return {};
}

const std::pair<std::uint8_t, CommandHandler>* NodeModel::find_command(
    std::uint16_t command) const noexcept {
  for (const auto& [id, entry] : commands_) {
    if (id == command) {
      return &entry;
    }
  }
  return nullptr;
}

void NodeModel::store(std::string_view device, std::string_view param, const json::value& value,
                      bool report) {
  values_[device].as_object()[param] = value;
  if (!report) {
    return;
  }
  auto& changed = changes_[device];
  if (!changed.is_object()) {
    changed = json::object{};
  }
  changed.as_object()[param] = value;
}

Result<bool> NodeModel::update(std::string_view device, std::string_view param, json::value value) {
  const auto* spec = find_param(device, param);
  if (spec == nullptr) {
    return fail(errc::not_found, dotted(device, param) + ": no such device or param");
  }
  if (auto ok = model::validate_value(*spec, value); !ok) {
    return fail(errc::invalid_argument, dotted(device, param) + ": " + ok.error().context);
  }
  const auto* current = this->value(device, param);
  if (current != nullptr && *current == value) {
    return false;
  }
  store(device, param, value);
  return true;
}

SetOutcome NodeModel::apply_set(const json::object& payload, bool report) {
  SetOutcome outcome;
  for (const auto& [device_key, params] : payload) {
    const std::string_view device = device_key;
    const auto* device_spec = config_.find_device(device);
    if (device_spec == nullptr) {
      outcome.refused.push_back(std::string(device) + ": unknown device");
      continue;
    }
    if (!params.is_object()) {
      outcome.refused.push_back(std::string(device) + ": expected an object of params");
      continue;
    }
    const auto callback = std::find_if(callbacks_.begin(), callbacks_.end(),
                                       [&](const auto& entry) { return entry.first == device; });
    for (const auto& [param_key, value] : params.get_object()) {
      const std::string_view param = param_key;
      const auto* spec = device_spec->find_param(param);
      if (spec == nullptr) {
        outcome.refused.push_back(dotted(device, param) + ": unknown param");
        continue;
      }
      if (!spec->writable) {
        outcome.refused.push_back(dotted(device, param) + ": not writable");
        continue;
      }
      if (auto ok = model::validate_value(*spec, value); !ok) {
        outcome.refused.push_back(dotted(device, param) + ": " + ok.error().context);
        continue;
      }
      if (callback != callbacks_.end()) {
        const ParamWrite write{device, param, value, WriteSource::remote};
        if (auto ok = callback->second(write); !ok) {
          outcome.refused.push_back(dotted(device, param) +
                                    ": refused by the device: " + ok.error().context);
          continue;
        }
      }
      store(device, param, value, report);
      auto& applied = outcome.applied[device];
      if (!applied.is_object()) {
        applied = json::object{};
      }
      applied.as_object()[param] = value;
    }
  }
  return outcome;
}

json::object NodeModel::take_changes() {
  return std::exchange(changes_, json::object{});
}

}  // namespace stratus::agent
