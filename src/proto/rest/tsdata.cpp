#include "proto/rest/tsdata.hpp"

#include <array>
#include <boost/json.hpp>
#include <cctype>

#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

constexpr std::array<std::pair<std::string_view, TsAggregate>, 7> kAggregates{{
    {"raw", TsAggregate::raw},
    {"latest", TsAggregate::latest},
    {"min", TsAggregate::min},
    {"max", TsAggregate::max},
    {"avg", TsAggregate::avg},
    {"sum", TsAggregate::sum},
    {"count", TsAggregate::count},
}};
constexpr std::array<std::pair<std::string_view, TsInterval>, 6> kIntervals{{
    {"minute", TsInterval::minute},
    {"hour", TsInterval::hour},
    {"day", TsInterval::day},
    {"week", TsInterval::week},
    {"month", TsInterval::month},
    {"year", TsInterval::year},
}};
constexpr std::array<std::string_view, 7> kDays{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 4> kTsTypes{"float", "int", "bool", "string"};
constexpr std::array<std::string_view, 6> kSimpleTypes{"float",  "int",   "bool",
                                                       "string", "array", "object"};

template <class Table, class Key>
auto lookup(const Table& table, const Key& key) -> std::optional<decltype(table[0].second)> {
  for (const auto& [k, v] : table) {
    if (k == key)
      return v;
  }
  return std::nullopt;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& list, std::string_view text) {
  for (auto item : list) {
    if (item == text)
      return true;
  }
  return false;
}

tl::unexpected<Error> bad(int code, std::string what) {
  return fail(errc::invalid_argument, code, std::move(what));
}

// Unix seconds 0..limits::kMaxUnixSeconds as a query parameter, or the error `code`. (A
// time near INT64_MAX made the aggregation's window steps overflow.)
Result<std::optional<std::int64_t>> time_param(const QueryLookup& param, std::string_view name,
                                               int code) {
  auto value = parse_query_int(param(name), name);
  if (!value || (*value && (**value < 0 || **value > limits::kMaxUnixSeconds)))
    return bad(code, std::string(name) + " must be Unix seconds 0.." +
                         std::to_string(limits::kMaxUnixSeconds));
  return *value;
}

}  // namespace

std::string_view to_string(TsAggregate aggregate) noexcept {
  for (const auto& [text, value] : kAggregates) {
    if (value == aggregate)
      return text;
  }
  return "raw";
}

std::string_view to_string(TsInterval interval) noexcept {
  for (const auto& [text, value] : kIntervals) {
    if (value == interval)
      return text;
  }
  return "day";
}

std::optional<TsAggregate> parse_ts_aggregate(std::string_view text) noexcept {
  return lookup(kAggregates, text);
}

std::optional<TsInterval> parse_ts_interval(std::string_view text) noexcept {
  return lookup(kIntervals, text);
}

std::string_view week_day_name(int day) noexcept {
  return day >= 0 && day < 7 ? kDays[static_cast<std::size_t>(day)] : std::string_view();
}

std::optional<int> parse_week_day(std::string_view text) noexcept {
  for (std::size_t i = 0; i < kDays.size(); ++i) {
    if (equals_ignoring_case(kDays[i], text))
      return static_cast<int>(i);
  }
  return std::nullopt;
}

Result<TsDataQuery> parse_tsdata_query(const QueryLookup& param, bool simple) {
  TsDataQuery q;
  q.simple = simple;
  const auto text = [&](std::string_view name) { return std::string(param(name).value_or("")); };
  q.node_id = text("node_id");
  if (q.node_id.empty()) {
    return bad(simple ? simple_tsdata_error::node_id_missing : tsdata_error::node_id_missing,
               "node_id is missing");
  }
  q.param_name = text("param_name");
  if (q.param_name.empty()) {
    return bad(simple ? simple_tsdata_error::param_name_missing : tsdata_error::param_name_missing,
               "param_name is missing");
  }
  // The Android app sends the data type as `data_type` (rainmaker-cloud.md §4.3).
  std::string type = param("type") ? text("type") : text("data_type");
  if (simple) {
    if (!one_of(kSimpleTypes, type)) {
      return bad(simple_tsdata_error::type_invalid,
                 "type must be one of float, int, bool, string, array, object");
    }
    q.type = std::move(type);
    if (auto query_type = param("query_type"); query_type && *query_type != "raw") {
      if (*query_type != "aggregates")
        return bad(request_error::invalid_request_body, "query_type must be raw or aggregates");
      return bad(tsdata_error::not_supported,
                 "query_type=aggregates is not supported by this server; use "
                 "GET v1/user/nodes/tsdata with aggregate and aggregation_interval");
    }
  } else {
    if (!type.empty()) {
      if (!one_of(kTsTypes, type))
        return bad(tsdata_error::type_invalid, "type must be one of float, int, bool, string");
      q.type = std::move(type);
    }
    if (auto a = param("aggregate"); a && !a->empty()) {
      auto aggregate = parse_ts_aggregate(*a);
      if (!aggregate) {
        return bad(tsdata_error::aggregate_invalid,
                   "aggregate must be one of raw, latest, min, max, avg, sum, count");
      }
      q.aggregate = *aggregate;
    }
    if (auto i = param("aggregation_interval"); i && !i->empty()) {
      auto interval = parse_ts_interval(*i);
      if (!interval) {
        return bad(tsdata_error::interval_invalid,
                   "aggregation_interval must be one of minute, hour, day, week, month, year");
      }
      q.interval = *interval;
    }
    auto n = parse_query_int(param("num_intervals"), "num_intervals");
    if (!n || (*n && **n < 1))
      return bad(tsdata_error::num_intervals_invalid, "num_intervals must be a positive integer");
    q.num_intervals = *n;
    if (auto w = param("week_start"); w && !w->empty()) {
      auto day = parse_week_day(*w);
      if (!day) {
        return bad(tsdata_error::week_start_invalid,
                   "week_start must be a day name, Monday to Sunday");
      }
      q.week_start = *day;
    }
    if (auto tz = text("timezone"); !tz.empty())
      q.timezone = std::move(tz);
    for (auto [flag, field] : {std::pair{"differential", &q.differential},
                               std::pair{"reset_on_negative", &q.reset_on_negative}}) {
      const auto given = param(flag);
      if (!given || given->empty())
        continue;
      const auto on = parse_query_bool(*given);
      if (!on) {
        return bad(request_error::invalid_request_body,
                   std::string(flag) + " must be true or false");
      }
      *field = *on;
    }
  }
  auto start = time_param(param, "start_time", tsdata_error::start_invalid);
  if (!start)
    return fail(start.error());
  q.start_time = *start;
  auto end = time_param(param, "end_time", tsdata_error::end_invalid);
  if (!end)
    return fail(end.error());
  q.end_time = *end;
  if (auto r = param("num_records"); r && !r->empty()) {
    auto n = parse_query_int(r, "num_records");
    if (!n || **n < 1 || **n > static_cast<std::int64_t>(limits::kMaxTsRecords)) {
      return bad(tsdata_error::num_records_invalid,
                 "num_records must be between 1 and " + std::to_string(limits::kMaxTsRecords));
    }
    q.num_records = static_cast<std::size_t>(**n);
  }
  q.start_id = text("start_id");
  if (auto d = param("desc_order"); d && !d->empty()) {
    auto flag = parse_query_bool(*d);
    if (!flag)
      return bad(request_error::invalid_request_body, "desc_order must be true or false");
    q.desc_order = *flag;
  }
  return q;
}

std::vector<std::pair<std::string, std::string>> to_query(const TsDataQuery& q) {
  std::vector<std::pair<std::string, std::string>> out{
      {"node_id", q.node_id}, {"param_name", q.param_name}, {"type", q.type}};
  const auto add = [&](std::string name, const std::optional<std::int64_t>& v) {
    if (v)
      out.emplace_back(std::move(name), std::to_string(*v));
  };
  if (!q.simple) {
    if (q.aggregate != TsAggregate::raw)
      out.emplace_back("aggregate", std::string(to_string(q.aggregate)));
    if (q.interval)
      out.emplace_back("aggregation_interval", std::string(to_string(*q.interval)));
    add("num_intervals", q.num_intervals);
    if (q.timezone != "UTC")
      out.emplace_back("timezone", q.timezone);
    if (q.week_start != 1)
      out.emplace_back("week_start", std::string(week_day_name(q.week_start)));
    if (q.differential)
      out.emplace_back("differential", "true");
    if (q.reset_on_negative)
      out.emplace_back("reset_on_negative", "true");
  }
  add("start_time", q.start_time);
  add("end_time", q.end_time);
  if (q.num_records != limits::kMaxTsRecords)
    out.emplace_back("num_records", std::to_string(q.num_records));
  if (!q.start_id.empty())
    out.emplace_back("start_id", q.start_id);
  if (q.desc_order)
    out.emplace_back("desc_order", "true");
  return out;
}

json::object to_json(const TsDataAnswer& a) {
  json::array values;
  values.reserve(a.values.size());
  for (const auto& v : a.values)
    values.push_back(json::object{{"ts", v.ts}, {"val", v.val}});
  json::object param{{"param_name", a.param_name},
                     {"values", std::move(values)},
                     {"num_records", static_cast<std::int64_t>(a.values.size())}};
  json::object entry{{"node_id", a.node_id}, {"params", json::array{std::move(param)}}};
  if (!a.next_id.empty())
    entry["next_id"] = a.next_id;
  if (!a.aggregate.empty()) {
    entry["aggregate"] = a.aggregate;
    if (!a.interval.empty())
      entry["interval"] = a.interval;
    entry["week_start"] = a.week_start;
    entry["differential"] = a.differential;
    entry["reset_on_negative"] = a.reset_on_negative;
    entry["timezone"] = a.timezone;
  }
  return json::object{{"ts_data", json::array{std::move(entry)}}};
}

Result<TsDataAnswer> parse_tsdata_answer(const json::object& answer) {
  const auto* data = answer.if_contains("ts_data");
  if (data == nullptr || !data->is_array() || data->get_array().empty() ||
      !data->get_array()[0].is_object()) {
    return fail(errc::internal, "tsdata: the server's answer has no ts_data entry");
  }
  const auto& entry = data->get_array()[0].get_object();
  TsDataAnswer a;
  a.node_id = string_or(entry, "node_id");
  a.next_id = string_or(entry, "next_id");
  a.aggregate = string_or(entry, "aggregate");
  a.interval = string_or(entry, "interval");
  a.week_start = string_or(entry, "week_start");
  a.timezone = string_or(entry, "timezone");
  a.differential = bool_or(entry, "differential");
  a.reset_on_negative = bool_or(entry, "reset_on_negative");
  const auto* params = entry.if_contains("params");
  if (params == nullptr || !params->is_array() || params->get_array().empty() ||
      !params->get_array()[0].is_object())
    return a;
  const auto& p = params->get_array()[0].get_object();
  a.param_name = string_or(p, "param_name");
  if (const auto* values = p.if_contains("values"); values != nullptr && values->is_array()) {
    for (const auto& v : values->get_array()) {
      if (!v.is_object())
        continue;
      const auto* ts = v.get_object().if_contains("ts");
      const auto t = ts == nullptr ? std::nullopt : integer(*ts);
      if (!t)
        continue;
      const auto* val = v.get_object().if_contains("val");
      a.values.push_back(TsDataValue{*t, val == nullptr ? json::value() : *val});
    }
  }
  return a;
}

}  // namespace stratus::proto::rest
