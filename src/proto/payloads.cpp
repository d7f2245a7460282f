#include "proto/payloads.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <climits>
#include <cmath>
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

// `payload` as one JSON object (`parse_json_object`); errors name the `message`.
Result<json::object> message_object(std::string_view payload, std::size_t max_bytes,
                                    std::string_view message) {
  auto o = parse_json_object(payload, max_bytes);
  if (!o) {
    return fail(errc::invalid_argument, std::string(message) + ": " + o.error().context);
  }
  return o;
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

constexpr std::array<std::string_view, 6> kTsDataTypes{"int",    "float",  "bool",
                                                       "string", "object", "array"};

// Reads `t`, `dt` and `v` of one record into `record` (`where` prefixes field names).
Result<void> read_ts_value(const json::object& o, std::string_view message, std::string where,
                           TsRecord& record) {
  const auto* t = o.if_contains("t");
  if (t == nullptr || !(t->is_int64() || (t->is_uint64() && t->get_uint64() <= INT64_MAX))) {
    return field_error(message, where + "t", "expected an integer (Unix seconds)");
  }
  record.t = t->to_number<std::int64_t>();
  const auto* v = o.if_contains("v");
  if (v == nullptr) {
    return field_error(message, where + "v", "missing");
  }
  if (!ts_value_matches(record.data_type, *v)) {
    return field_error(message, where + "v", "expected a value of type " + record.data_type);
  }
  record.value = *v;
  return {};
}

// Reads `name` and `dt` of a series (tsdata) or of the simple_tsdata message; `where`
// prefixes the field names in errors ("ts_data[2].").
Result<void> read_ts_name(const json::object& o, std::string_view message, const std::string& where,
                          TsRecord& record) {
  for (std::string_view field : {"name", "dt"}) {
    auto text = required_string(o, message, field, true);
    if (!text) {
      return field_error(message, where + std::string(field),
                         text.error().context.substr(text.error().context.rfind(": ") + 2));
    }
    (field == "name" ? record.name : record.data_type) = std::move(*text);
  }
  // A param's name is stored as text: PostgreSQL's text takes no NUL (libpq would cut the
  // name there), and no device names a param with one.
  if (record.name.find('\0') != std::string::npos)
    return field_error(message, where + "name", "holds a NUL character");
  if (!is_ts_data_type(record.data_type)) {
    return field_error(
        message, where + "dt",
        "\"" + record.data_type + "\" is not one of int, float, bool, string, object, array");
  }
  return {};
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
  auto o = message_object(payload, max_bytes, kMessage);
  if (!o) {
    return fail(std::move(o).error());
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
  auto o = message_object(payload, max_bytes, kMessage);
  if (!o) {
    return fail(std::move(o).error());
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
  auto o = message_object(payload, max_bytes, kMessage);
  if (!o) {
    return fail(std::move(o).error());
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
  auto o = message_object(payload, max_bytes, kMessage);
  if (!o) {
    return fail(std::move(o).error());
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

bool is_ts_data_type(std::string_view data_type) noexcept {
  return std::find(kTsDataTypes.begin(), kTsDataTypes.end(), data_type) != kTsDataTypes.end();
}

bool ts_value_matches(std::string_view data_type, const json::value& value) noexcept {
  if (data_type == "int")
    return value.is_int64() || (value.is_uint64() && value.get_uint64() <= INT64_MAX);
  if (data_type == "float") {
    if (!value.is_number())
      return false;
    const double x = value.to_number<double>();
    return std::isfinite(x) && std::fabs(x) <= kMaxTimeSeriesMagnitude;
  }
  if (data_type == "bool")
    return value.is_bool();
  if (data_type == "string")
    return value.is_string();
  if (data_type == "object")
    return value.is_object();
  if (data_type == "array")
    return value.is_array();
  return false;
}

Result<std::vector<TsRecord>> parse_tsdata(std::string_view payload, std::size_t max_records,
                                           std::size_t max_bytes) {
  constexpr std::string_view kMessage = "tsdata";
  auto o = message_object(payload, max_bytes, kMessage);
  if (!o) {
    return fail(std::move(o).error());
  }
  const auto* series = o->if_contains("ts_data");
  if (series == nullptr || !series->is_array()) {
    return field_error(kMessage, "ts_data", "expected an array");
  }
  std::vector<TsRecord> out;
  for (std::size_t i = 0; i < series->get_array().size(); ++i) {
    const auto& item = series->get_array()[i];
    const std::string where = "ts_data[" + std::to_string(i) + "].";
    if (!item.is_object()) {
      return field_error(kMessage, where.substr(0, where.size() - 1), "expected an object");
    }
    TsRecord head;
    if (auto r = read_ts_name(item.get_object(), kMessage, where, head); !r) {
      return fail(std::move(r).error());
    }
    const auto* records = item.get_object().if_contains("records");
    if (records == nullptr || !records->is_array()) {
      return field_error(kMessage, where + "records", "expected an array");
    }
    for (std::size_t j = 0; j < records->get_array().size(); ++j) {
      const auto& rec = records->get_array()[j];
      const std::string at = where + "records[" + std::to_string(j) + "].";
      if (!rec.is_object()) {
        return field_error(kMessage, at.substr(0, at.size() - 1), "expected an object");
      }
      if (out.size() == max_records) {
        return fail(errc::invalid_argument,
                    "tsdata: more than " + std::to_string(max_records) + " records in one message");
      }
      TsRecord record{head.name, head.data_type, 0, {}};
      if (auto r = read_ts_value(rec.get_object(), kMessage, at, record); !r) {
        return fail(std::move(r).error());
      }
      out.push_back(std::move(record));
    }
  }
  return out;
}

Result<TsRecord> parse_simple_tsdata(std::string_view payload, std::size_t max_bytes) {
  constexpr std::string_view kMessage = "simple_tsdata";
  auto o = message_object(payload, max_bytes, kMessage);
  if (!o) {
    return fail(std::move(o).error());
  }
  TsRecord record;
  if (auto r = read_ts_name(*o, kMessage, "", record); !r) {
    return fail(std::move(r).error());
  }
  if (auto r = read_ts_value(*o, kMessage, "", record); !r) {
    return fail(std::move(r).error());
  }
  return record;
}

}  // namespace stratus::proto
