// `stratus tsdata <node> <Device.Param>` (rainmaker-cloud.md §4.1, docs/adr/0011): raw
// points or aggregates as a table in the chosen zone, or CSV for machines.
#include "proto/rest/tsdata.hpp"

#include <date/tz.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <memory>
#include <ostream>
#include <sstream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"

namespace stratus::cli::detail {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;

// Pages followed at most (each up to 200 values; spans are bounded by the server anyway).
constexpr int kMaxPages = 100;

struct TsdataOptions {
  std::string node_id;
  std::string param_name;
  std::string from, to;  // epoch seconds or ISO 8601
  std::string aggregate = "raw";
  std::string interval;
  std::string tz;  // empty: the machine's zone for display, UTC on the server
  std::string type = "float";
  std::optional<std::int64_t> num_intervals;
  bool simple = false;
  bool csv = false;
};

// The zone times are read and shown in: --tz, else this machine's.
Result<const date::time_zone*> display_zone(const std::string& tz) {
  try {
    if (tz.empty())
      return date::current_zone();
    return date::locate_zone(tz);
  } catch (const std::exception&) {
    // The server matches names case-insensitively; show such times in UTC.
    try {
      return date::locate_zone("UTC");
    } catch (const std::exception& e) {
      return fail(errc::unavailable, std::string("time zone database: ") + e.what());
    }
  }
}

// Epoch seconds ("1774742400"), or ISO 8601 "2026-03-29", "2026-03-29T12:00[:00]" (in
// `zone`) or with "Z" / "+02:00".
Result<std::int64_t> parse_time(const std::string& text, const date::time_zone* zone,
                                std::string_view flag) {
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && ptr == text.data() + text.size())
    return n;
  for (const char* format : {"%FT%T%Ez", "%FT%R%Ez", "%FT%TZ", "%FT%RZ"}) {
    std::istringstream in(text);
    date::sys_seconds t;
    in >> date::parse(format, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof())
      return t.time_since_epoch().count();
  }
  for (const char* format : {"%FT%T", "%FT%R", "%F"}) {
    std::istringstream in(text);
    date::local_seconds t;
    in >> date::parse(format, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof())
      return zone->to_sys(t, date::choose::earliest).time_since_epoch().count();
  }
  return fail(errc::invalid_argument,
              std::string(flag) +
                  ": expected Unix seconds or an ISO 8601 time (2026-03-29, "
                  "2026-03-29T08:30, 2026-03-29T08:30:00+02:00), got \"" +
                  text + "\"");
}

// A value as people and CSV readers expect it: strings bare, numbers in their shortest
// round-trip form ("20", "22.5", not Boost.JSON's "2E1"), other JSON as JSON.
std::string value_text(const json::value& v) {
  if (v.is_string())
    return std::string(v.get_string());
  if (v.is_double()) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v.get_double());
    if (ec == std::errc())
      return std::string(buffer, end);
  }
  return json::serialize(v);
}

// A CSV field: quoted when it holds a comma, quote or line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos)
    return text;
  std::string out = "\"";
  for (char c : text)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Windows shown for an aggregate without --from or --num_intervals: an hour of minutes, a
// day of hours, a week of days, four weeks, a year of months, five years.
std::int64_t default_intervals(rest::TsInterval interval) {
  switch (interval) {
    case rest::TsInterval::minute:
      return 60;
    case rest::TsInterval::hour:
      return 24;
    case rest::TsInterval::day:
      return 7;
    case rest::TsInterval::week:
      return 4;
    case rest::TsInterval::month:
      return 12;
    case rest::TsInterval::year:
      return 5;
  }
  return 1;
}

int tsdata(Context& ctx, const TsdataOptions& o) {
  auto zone = display_zone(o.tz);
  if (!zone)
    return ctx.report(zone.error());
  rest::TsDataQuery q;
  q.simple = o.simple;
  q.node_id = o.node_id;
  q.param_name = o.param_name;
  q.type = o.type;
  if (auto a = rest::parse_ts_aggregate(o.aggregate); a) {
    q.aggregate = *a;
  } else {
    return ctx.report(Error{errc::invalid_argument,
                            "--aggregate: one of raw, latest, min, max, avg, sum, count", 0});
  }
  if (!o.interval.empty()) {
    auto i = rest::parse_ts_interval(o.interval);
    if (!i) {
      return ctx.report(Error{errc::invalid_argument,
                              "--interval: one of minute, hour, day, week, month, year", 0});
    }
    q.interval = *i;
  } else if (q.aggregate != rest::TsAggregate::raw) {
    q.interval = rest::TsInterval::day;
  }
  q.num_intervals = o.num_intervals;
  // The server's windows follow the zone the times are shown in.
  q.timezone = o.tz.empty() ? (*zone)->name() : o.tz;
  for (auto [text, field, flag] :
       {std::tuple{&o.from, &q.start_time, "--from"}, std::tuple{&o.to, &q.end_time, "--to"}}) {
    if (text->empty())
      continue;
    auto t = parse_time(*text, *zone, flag);
    if (!t)
      return ctx.report(t.error());
    *field = *t;
  }
  // People give a start and mean "until now"; a range ends where it says.
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(ctx.clock().now().time_since_epoch())
          .count();
  if (q.start_time && !q.end_time)
    q.end_time = now + 1;
  if (q.end_time && !q.start_time) {
    return ctx.report(Error{errc::invalid_argument, "--to needs --from", 0});
  }
  // An aggregate without a range: the last few windows up to now.
  if (q.aggregate != rest::TsAggregate::raw && !q.start_time && !q.num_intervals)
    q.num_intervals = default_intervals(*q.interval);
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  rest::TsDataAnswer all;
  for (int page = 0; page < kMaxPages; ++page) {
    auto answer = s->tsdata(q);
    if (!answer)
      return ctx.report_call(answer.error());
    if (page == 0) {
      all = std::move(*answer);
    } else {
      for (auto& v : answer->values)
        all.values.push_back(std::move(v));
      all.next_id = std::move(answer->next_id);
    }
    if (all.next_id.empty())
      break;
    q.start_id = all.next_id;
  }
  if (ctx.json()) {
    ctx.print_json(json::serialize(rest::to_json(all)));
    return 0;
  }
  auto& out = ctx.out();
  if (o.csv) {
    out << "ts,value\n";
    for (const auto& v : all.values)
      out << v.ts << ',' << csv_field(value_text(v.val)) << '\n';
    return 0;
  }
  if (all.values.empty()) {
    out << "no values\n";
    return 0;
  }
  const bool windows = q.aggregate != rest::TsAggregate::raw;
  std::vector<std::vector<std::string>> rows;
  rows.reserve(all.values.size());
  for (const auto& v : all.values) {
    const date::zoned_seconds local{*zone, date::sys_seconds{std::chrono::seconds(v.ts)}};
    rows.push_back(
        {date::format(windows && q.interval >= rest::TsInterval::day ? "%F" : "%F %T", local),
         value_text(v.val)});
  }
  const std::string when =
      windows ? std::string(rest::to_string(*q.interval)) + " (" + (*zone)->name() + ")"
              : "time (" + (*zone)->name() + ")";
  out << render_table({when, windows ? std::string(rest::to_string(q.aggregate)) : "value"}, rows);
  if (!all.next_id.empty())
    out << "more values than " << kMaxPages << " pages; narrow --from/--to\n";
  return 0;
}

}  // namespace

void add_tsdata(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TsdataOptions>();
  auto* cmd = app.add_subcommand("tsdata", "Show a param's time series (raw points or aggregates)");
  cmd->add_option("node", o->node_id, "Node id")->required();
  cmd->add_option("param", o->param_name, "Param as <Device>.<Param>, e.g. Sensor.Temperature")
      ->required();
  cmd->add_option("--from", o->from,
                  "Start (inclusive): Unix seconds or ISO 8601 (2026-03-29, 2026-03-29T08:30, "
                  "…Z, …+02:00); without an offset in the --tz zone. Default: raw points of "
                  "the last 7 days");
  cmd->add_option("--to", o->to, "End (exclusive), as --from; default: now");
  cmd->add_option("--aggregate", o->aggregate, "raw (default), latest, min, max, avg, sum, count");
  cmd->add_option("--interval", o->interval,
                  "minute, hour, day (default with an aggregate), week, month, year");
  cmd->add_option("--num_intervals", o->num_intervals,
                  "The last N intervals up to now (without --from: 60 minutes, 24 hours, 7 days, "
                  "4 weeks, 12 months or 5 years)");
  cmd->add_option("--tz", o->tz,
                  "IANA time zone of the windows and of the times shown (default: this "
                  "machine's)");
  cmd->add_option("--type", o->type,
                  "The param's data type: float (default), int, bool, string (simple: also "
                  "object, array)");
  cmd->add_flag("--simple", o->simple, "Read simple_tsdata (raw, newest first)");
  cmd->add_flag("--csv", o->csv, "CSV for machines: ts (Unix seconds),value");
  ctx.on(*cmd, [&ctx, o] { return tsdata(ctx, *o); });
}

}  // namespace stratus::cli::detail
