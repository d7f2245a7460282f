#include "model/params.hpp"

#include <algorithm>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace stratus::model {
namespace {

namespace json = boost::json;

// Relative tolerance for the step grid of float params: the firmware stores floats
// (32-bit), clients send decimal text, so 0.1-steps never land exactly.
constexpr double kStepTolerance = 1e-6;

constexpr std::size_t kMaxProblemsShown = 10;

std::string format_number(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc{}) {
    return "?";
  }
  return std::string(buf, end);
}

std::string format_value(const json::value& v) {
  if (v.is_int64()) {
    return std::to_string(v.get_int64());
  }
  if (v.is_uint64()) {
    return std::to_string(v.get_uint64());
  }
  return format_number(v.to_number<double>());
}

std::string_view expected_text(DataType type) noexcept {
  switch (type) {
    case DataType::boolean:
      return "expected a boolean";
    case DataType::integer:
      return "expected an integer";
    case DataType::floating:
      return "expected a number";
    case DataType::string:
      return "expected a string";
    case DataType::object:
      return "expected an object";
    case DataType::array:
      return "expected an array";
  }
  return "unexpected type";
}

bool type_matches(DataType type, const json::value& v) noexcept {
  switch (type) {
    case DataType::boolean:
      return v.is_bool();
    case DataType::integer:
      // The firmware parses ints with strtol over the whole token: "5.0" or "5e0" fail.
      return v.is_int64() || v.is_uint64();
    case DataType::floating:
      return v.is_number();
    case DataType::string:
      return v.is_string();
    case DataType::object:
      return v.is_object();
    case DataType::array:
      return v.is_array();
  }
  return false;
}

// Checks a number against bounds; appends problems (without the "Device.Param: " prefix).
void check_number(const ParamSpec& spec, const json::value& v, std::vector<std::string>& out) {
  const std::string text = format_value(v);
  if (spec.data_type == DataType::integer) {
    const bool fits = v.is_int64() && v.get_int64() >= std::numeric_limits<std::int32_t>::min() &&
                      v.get_int64() <= std::numeric_limits<std::int32_t>::max();
    if (!fits) {
      out.push_back(text + " does not fit a 32-bit integer");
      return;
    }
  }
  const double x = v.to_number<double>();
  if (!std::isfinite(x)) {  // "1e400" parses to infinity; no firmware float can hold it
    out.push_back(text + " is not a finite number");
    return;
  }
  const auto& b = spec.bounds;
  if (b.min && x < *b.min) {
    out.push_back(text + " is below the minimum " + format_number(*b.min));
    return;
  }
  if (b.max && x > *b.max) {
    out.push_back(text + " is above the maximum " + format_number(*b.max));
    return;
  }
  if (b.step && *b.step > 0) {
    const double origin = b.min.value_or(0.0);
    const double k = (x - origin) / *b.step;
    const double nearest = std::round(k);
    const double tolerance =
        spec.data_type == DataType::integer ? 1e-9 : kStepTolerance * std::max(1.0, std::fabs(k));
    if (std::fabs(k - nearest) > tolerance) {
      out.push_back(text + " is not on the step " + format_number(*b.step) + " from " +
                    format_number(origin));
    }
  }
}

void check_value(const ParamSpec& spec, const json::value& v, std::vector<std::string>& out) {
  if (!type_matches(spec.data_type, v)) {
    out.emplace_back(expected_text(spec.data_type));
    return;
  }
  if (spec.data_type == DataType::integer || spec.data_type == DataType::floating) {
    check_number(spec, v, out);
    return;
  }
  if (spec.data_type == DataType::string && !spec.valid_strs.empty()) {
    const std::string_view s = v.get_string();
    for (const auto& allowed : spec.valid_strs) {
      if (allowed == s) {
        return;
      }
    }
    std::string msg = "\"" + std::string(s) + "\" is not one of ";
    for (std::size_t i = 0; i < spec.valid_strs.size(); ++i) {
      msg.append(i == 0 ? "" : ", ").append("\"").append(spec.valid_strs[i]).append("\"");
    }
    out.push_back(std::move(msg));
  }
}

}  // namespace

void merge_report(json::object& state, const json::object& report) {
  for (const auto& [device, value] : report) {
    auto* existing = state.if_contains(device);
    if (existing != nullptr && existing->is_object() && value.is_object()) {
      auto& target = existing->get_object();
      for (const auto& [param, param_value] : value.get_object()) {
        target[param] = param_value;
      }
    } else {
      state[device] = value;
    }
  }
}

void apply_patch(json::object& target, const json::object& patch) {
  for (const auto& [key, value] : patch) {
    if (value.is_null()) {
      target.erase(key);
    } else if (auto* existing = target.if_contains(key);
               existing != nullptr && existing->is_object() && value.is_object()) {
      apply_patch(existing->get_object(), value.get_object());
    } else {
      target[key] = value;
    }
  }
}

Result<void> validate_value(const ParamSpec& spec, const json::value& value) {
  std::vector<std::string> problems;
  check_value(spec, value, problems);
  if (problems.empty()) {
    return {};
  }
  return fail(errc::invalid_argument, std::move(problems.front()));
}

Result<void> validate_set(const NodeConfig& config, const json::object& payload) {
  if (payload.empty()) {
    return fail(errc::invalid_argument,
                "empty payload: name at least one device and param, e.g. "
                "{\"Light\":{\"Power\":true}}");
  }
  std::vector<std::string> problems;
  for (const auto& [device_key, params] : payload) {
    const std::string device_name(device_key);
    const auto* device = config.find_device(device_key);
    if (device == nullptr) {
      problems.push_back(device_name + ": unknown device");
      continue;
    }
    if (!params.is_object()) {
      problems.push_back(device_name + ": expected an object of params");
      continue;
    }
    if (params.get_object().empty()) {
      problems.push_back(device_name + ": no params to set");
      continue;
    }
    for (const auto& [param_key, value] : params.get_object()) {
      const std::string prefix = device_name + "." + std::string(param_key) + ": ";
      const auto* spec = device->find_param(param_key);
      if (spec == nullptr) {
        problems.push_back(prefix + "unknown param");
        continue;
      }
      if (!spec->writable) {
        problems.push_back(prefix + "not writable");
        continue;
      }
      std::vector<std::string> value_problems;
      check_value(*spec, value, value_problems);
      for (auto& p : value_problems) {
        problems.push_back(prefix + p);
      }
    }
  }
  if (problems.empty()) {
    return {};
  }
  // A hostile payload may hold thousands of bad keys: keep the message readable.
  std::string context;
  const std::size_t shown = std::min(problems.size(), kMaxProblemsShown);
  for (std::size_t i = 0; i < shown; ++i) {
    context.append(i == 0 ? "" : "; ").append(problems[i]);
  }
  if (problems.size() > shown) {
    context.append("; and " + std::to_string(problems.size() - shown) + " more");
  }
  return fail(errc::invalid_argument, std::move(context));
}

}  // namespace stratus::model
