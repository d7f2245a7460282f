#include "proto/payloads.hpp"

#include <array>
#include <cmath>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <utility>

namespace stratus::proto {
namespace {

namespace json = boost::json;

tl::unexpected<Error> field_error(std::string_view message, std::string_view field,
                                  std::string_view what) {
  std::string context(message);
  context.append(": ").append(field).append(": ").append(what);
  return fail(errc::invalid_argument, std::move(context));
}

// Reads a required string field; `non_empty` also refuses "".
Result<std::string> required_string(const json::object& o, std::string_view message,
                                    std::string_view field, bool non_empty) {
  const auto* v = o.if_contains(field);
  if (v == nullptr) {
    return field_error(message, field, "missing");
  }
  if (!v->is_string()) {
    return field_error(message, field, "expected a string");
  }
  if (non_empty && v->get_string().empty()) {
    return field_error(message, field, "must not be empty");
  }
  return std::string(v->get_string());
}

// Reads an optional network id, sent as a string or an integer.
Result<std::optional<std::string>> optional_network_id(const json::object& o,
                                                       std::string_view message) {
  const auto* v = o.if_contains("network_id");
  if (v == nullptr || v->is_null()) {
    return std::optional<std::string>{};
  }
  if (v->is_string()) {
    return std::optional<std::string>(std::string(v->get_string()));
  }
  if (v->is_int64() || v->is_uint64()) {
    return std::optional<std::string>(json::serialize(*v));
  }
  return field_error(message, "network_id", "expected a string or an integer");
}

constexpr std::array<std::pair<std::string_view, OtaState>, 5> kOtaStates{{
    {"in-progress", OtaState::in_progress},
    {"success", OtaState::success},
    {"failed", OtaState::failed},
    {"delayed", OtaState::delayed},
    {"rejected", OtaState::rejected},
}};

}  // namespace

Result<json::object> parse_json_object(std::string_view payload, std::size_t max_bytes) {
  if (payload.size() > max_bytes) {
    return fail(errc::invalid_argument, "payload of " + std::to_string(payload.size()) +
                                            " bytes exceeds the limit of " +
                                            std::to_string(max_bytes));
  }
  json::error_code ec;
  json::parse_options options;  // strict JSON, UTF-8 validated, depth ≤ 32
  json::value v = json::parse(payload, ec, json::storage_ptr{}, options);
  if (ec) {
    return fail(errc::invalid_argument, "not valid JSON: " + ec.message());
  }
  if (!v.is_object()) {
    return fail(errc::invalid_argument, "expected a JSON object");
  }
  if (!all_numbers_finite(v)) {
    return fail(errc::invalid_argument, "a number is out of range (beyond a double)");
  }
  return std::move(v.get_object());
}

bool all_numbers_finite(const json::value& value) noexcept {
  switch (value.kind()) {
    case json::kind::double_:
      return std::isfinite(value.get_double());
    case json::kind::array:
      for (const auto& item : value.get_array()) {
        if (!all_numbers_finite(item))
          return false;
      }
      return true;
    case json::kind::object:
      for (const auto& [key, item] : value.get_object()) {
        if (!all_numbers_finite(item))
          return false;
      }
      return true;
    default:
      return true;
  }
}

Result<UserMappingMessage> parse_user_mapping(std::string_view payload, std::size_t max_bytes) {
  constexpr std::string_view kMessage = "user/mapping";
  auto o = parse_json_object(payload, max_bytes);
  if (!o) {
    return fail(errc::invalid_argument, std::string(kMessage) + ": " + o.error().context);
  }
  UserMappingMessage m;
  auto node_id = required_string(*o, kMessage, "node_id", true);
  if (!node_id) {
    return fail(std::move(node_id).error());
  }
  auto user_id = required_string(*o, kMessage, "user_id", true);
  if (!user_id) {
    return fail(std::move(user_id).error());
  }
  auto secret = required_string(*o, kMessage, "secret_key", true);
  if (!secret) {
    return fail(std::move(secret).error());
  }
  m.node_id = std::move(*node_id);
  m.user_id = std::move(*user_id);
  m.secret_key = std::move(*secret);
  if (const auto* reset = o->if_contains("reset"); reset != nullptr) {
    if (!reset->is_bool()) {
      return field_error(kMessage, "reset", "expected a boolean");
    }
    m.reset = reset->get_bool();
  }
  return m;
}

Result<Alert> parse_alert(std::string_view payload, std::size_t max_bytes) {
  constexpr std::string_view kMessage = "alert";
  auto o = parse_json_object(payload, max_bytes);
  if (!o) {
    return fail(errc::invalid_argument, std::string(kMessage) + ": " + o.error().context);
  }
  if (const auto* str = o->if_contains("esp.alert.str"); str != nullptr) {
    if (!str->is_string()) {
      return field_error(kMessage, "esp.alert.str", "expected a string");
    }
    return Alert{Alert::Kind::text, std::string(str->get_string())};
  }
  if (o->empty()) {
    return fail(errc::invalid_argument,
                "alert: expected {\"esp.alert.str\":\"...\"} or a params object, got {}");
  }
  for (const auto& [device, params] : *o) {
    if (!params.is_object()) {
      return field_error(kMessage, device, "expected an object of params");
    }
  }
  return Alert{Alert::Kind::params, json::serialize(*o)};
}

Result<OtaFetch> parse_ota_fetch(std::string_view payload, std::size_t max_bytes) {
  constexpr std::string_view kMessage = "otafetch";
  auto o = parse_json_object(payload, max_bytes);
  if (!o) {
    return fail(errc::invalid_argument, std::string(kMessage) + ": " + o.error().context);
  }
  auto node_id = required_string(*o, kMessage, "node_id", true);
  if (!node_id) {
    return fail(std::move(node_id).error());
  }
  auto fw_version = required_string(*o, kMessage, "fw_version", false);
  if (!fw_version) {
    return fail(std::move(fw_version).error());
  }
  auto network_id = optional_network_id(*o, kMessage);
  if (!network_id) {
    return fail(std::move(network_id).error());
  }
  return OtaFetch{std::move(*node_id), std::move(*fw_version), std::move(*network_id)};
}

std::string_view to_string(OtaState state) noexcept {
  for (const auto& [text, value] : kOtaStates) {
    if (value == state) {
      return text;
    }
  }
  return "unknown";
}

std::optional<OtaState> parse_ota_state(std::string_view text) noexcept {
  for (const auto& [spelling, value] : kOtaStates) {
    if (spelling == text) {
      return value;
    }
  }
  return std::nullopt;
}

Result<OtaStatus> parse_ota_status(std::string_view payload, std::size_t max_bytes) {
  constexpr std::string_view kMessage = "otastatus";
  auto o = parse_json_object(payload, max_bytes);
  if (!o) {
    return fail(errc::invalid_argument, std::string(kMessage) + ": " + o.error().context);
  }
  OtaStatus s;
  auto job_id = required_string(*o, kMessage, "ota_job_id", true);
  if (!job_id) {
    return fail(std::move(job_id).error());
  }
  s.ota_job_id = std::move(*job_id);
  auto status = required_string(*o, kMessage, "status", true);
  if (!status) {
    return fail(std::move(status).error());
  }
  const auto state = parse_ota_state(*status);
  if (!state) {
    return field_error(
        kMessage, "status",
        "\"" + *status + "\" is not one of in-progress, success, failed, delayed, rejected");
  }
  s.status = *state;
  if (const auto* info = o->if_contains("additional_info"); info != nullptr && !info->is_null()) {
    if (!info->is_string()) {
      return field_error(kMessage, "additional_info", "expected a string");
    }
    s.additional_info = std::string(info->get_string());
  }
  if (const auto* ts = o->if_contains("ts"); ts != nullptr) {
    if (!ts->is_int64()) {
      return field_error(kMessage, "ts", "expected an integer (Unix seconds)");
    }
    s.ts_s = ts->get_int64();
  }
  auto network_id = optional_network_id(*o, kMessage);
  if (!network_id) {
    return fail(std::move(network_id).error());
  }
  s.network_id = std::move(*network_id);
  return s;
}

}  // namespace stratus::proto
