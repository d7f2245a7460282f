#include "service/time_series_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "service/time_windows.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using rest::TsAggregate;
using rest::TsInterval;
using storage::TsPoint;

constexpr std::int64_t kDayS = 86400;
// DST makes a local day 25 h: spans in days and weeks allow for one such hour.
constexpr std::int64_t kDstSlackS = 3600;

tl::unexpected<Error> bad(int code, std::string what) {
  return fail(errc::invalid_argument, code, std::move(what));
}

// Longest `[start, end)` per interval (rainmaker-cloud.md §4.1 "Max spans"), seconds.
std::int64_t max_span_s(TsInterval interval) {
  switch (interval) {
    case TsInterval::minute:
    case TsInterval::hour:
      return kDayS;
    case TsInterval::day:
      return 31 * kDayS + kDstSlackS;
    case TsInterval::week:
      return 12 * 7 * kDayS + kDstSlackS;
    case TsInterval::month:
      return 366 * kDayS;
    case TsInterval::year:
      return 5 * 366 * kDayS;
  }
  return kDayS;
}

// Most windows `num_intervals` may ask for (the same spans counted in windows).
std::int64_t max_windows(TsInterval interval) {
  switch (interval) {
    case TsInterval::minute:
      return 1440;
    case TsInterval::hour:
      return 24;
    case TsInterval::day:
      return 31;
    case TsInterval::week:
    case TsInterval::month:
      return 12;
    case TsInterval::year:
      return 5;
  }
  return 1;
}

bool numeric(std::string_view type) {
  return type == "int" || type == "float" || type == "bool";
}

// `start_id`/`next_id`: "<param>-<type>-<ts>", the shape of the official cloud's tokens.
std::string make_token(const rest::TsDataQuery& q, std::int64_t ts) {
  return q.param_name + "-" + q.type + "-" + std::to_string(ts);
}

Result<std::int64_t> read_token(const rest::TsDataQuery& q, std::int64_t from, std::int64_t to) {
  const std::string prefix = q.param_name + "-" + q.type + "-";
  const std::string_view token = q.start_id;
  std::int64_t ts = 0;
  if (token.starts_with(prefix)) {
    const auto digits = token.substr(prefix.size());
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ts);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && ts >= from && ts < to)
      return ts;
  }
  return bad(rest::tsdata_error::start_id_invalid,
             "start_id is not a next_id of this query (keep the other parameters unchanged)");
}

// A stored value as the answer shows it.
json::value point_value(const TsPoint& p) {
  if (p.data_type == "int")
    return json::value(static_cast<std::int64_t>(std::llround(p.number)));
  if (p.data_type == "float")
    return json::value(p.number);
  if (p.data_type == "bool")
    return json::value(p.number != 0);
  if (p.data_type == "string")
    return json::value(p.text);
  return rest::document_value(p.text);
}

// What one window holds so far.
struct Window {
  std::int64_t start = 0;
  std::int64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::int64_t last_ts = std::numeric_limits<std::int64_t>::min();
  TsPoint last;  // latest value (number or text)

  void add(const TsPoint& p) {
    ++count;
    sum += p.number;
    min = std::min(min, p.number);
    max = std::max(max, p.number);
    if (p.ts >= last_ts) {
      last_ts = p.ts;
      last = p;
    }
  }
  void add(const storage::TsRollup& r, const std::string& type) {
    count += r.count;
    sum += r.sum;
    min = std::min(min, r.min);
    max = std::max(max, r.max);
    if (r.last_ts >= last_ts) {
      last_ts = r.last_ts;
      last.data_type = type;
      last.number = r.last_value;
    }
  }
  [[nodiscard]] json::value value(TsAggregate aggregate, const std::string& type) const {
    const auto typed = [&](double v) {
      if (type == "int")
        return json::value(static_cast<std::int64_t>(std::llround(v)));
      return json::value(v);
    };
    switch (aggregate) {
      case TsAggregate::count:
        return json::value(count);
      case TsAggregate::avg:
        return json::value(sum / static_cast<double>(count));
      case TsAggregate::sum:
        return typed(sum);
      case TsAggregate::min:
        return typed(min);
      case TsAggregate::max:
        return typed(max);
      case TsAggregate::latest:
      case TsAggregate::raw:
        return point_value(last);
    }
    return {};
  }
};

// Checks the rules between parameters of a tsdata query (§4.1).
Result<void> check_tsdata(const rest::TsDataQuery& q) {
  using namespace rest::tsdata_error;
  const bool raw = q.aggregate == TsAggregate::raw;
  if (raw && q.interval)
    return bad(interval_invalid, "aggregation_interval is not used with aggregate=raw");
  if (raw && q.num_intervals)
    return bad(num_intervals_invalid, "num_intervals is not used with aggregate=raw");
  if (!raw && !q.interval)
    return bad(interval_invalid,
               "aggregate " + std::string(to_string(q.aggregate)) + " needs aggregation_interval");
  if (!numeric(q.type) || q.type == "bool") {
    if (q.aggregate != TsAggregate::raw && q.aggregate != TsAggregate::latest &&
        q.aggregate != TsAggregate::count) {
      return bad(aggregate_type, q.type + " params allow only raw, latest and count");
    }
  }
  if (q.differential && (raw || (q.type != "int" && q.type != "float"))) {
    return bad(differential_type, "differential is for aggregates of float and int params");
  }
  if (q.reset_on_negative && !q.differential) {
    return bad(rest::request_error::invalid_request_body,
               "reset_on_negative needs differential=true");
  }
  if (q.aggregate == TsAggregate::latest &&
      (q.interval == TsInterval::month || q.interval == TsInterval::year)) {
    return bad(latest_month_year, "latest is not available per month or year");
  }
  const bool range = q.start_time || q.end_time;
  if (q.num_intervals && range)
    return bad(num_intervals_invalid, "num_intervals excludes start_time and end_time");
  if (!raw && !range && !q.num_intervals)
    return bad(range_required, "an aggregate needs start_time and end_time, or num_intervals");
  if (q.num_intervals && *q.num_intervals > max_windows(*q.interval)) {
    return bad(num_intervals_invalid, "num_intervals is at most " +
                                          std::to_string(max_windows(*q.interval)) + " for " +
                                          std::string(to_string(*q.interval)));
  }
  if (range && !(q.start_time && q.end_time))
    return bad(time_missing, "start_time and end_time go together");
  if (range && *q.start_time >= *q.end_time)
    return bad(start_not_before_end, "start_time must be before end_time");
  if (range) {
    const auto span = *q.end_time - *q.start_time;
    const auto limit = raw ? 31 * kDayS : max_span_s(*q.interval);
    if (span > limit) {
      return bad(span_too_long, "the range is longer than " + std::to_string(limit / 3600) +
                                    " hours, the most for " +
                                    std::string(raw ? "raw" : to_string(*q.interval)));
    }
  }
  return {};
}

}  // namespace

TimeSeriesService::TimeSeriesService(storage::TimeSeriesRepository& series,
                                     storage::NodeRepository& nodes, const Clock& clock,
                                     TimeSeriesOptions options)
    : series_(series), nodes_(nodes), clock_(clock), options_(options) {}

Result<rest::TsDataAnswer> TimeSeriesService::query(const Principal& who,
                                                    const rest::TsDataQuery& q, bool admin) {
  if (!q.simple) {
    if (auto r = check_tsdata(q); !r)
      return fail(r.error());
  } else if (q.start_time && q.end_time && *q.start_time >= *q.end_time) {
    return bad(rest::tsdata_error::start_not_before_end, "start_time must be before end_time");
  }
  std::optional<TimeWindows> windows;
  if (!q.simple) {
    auto w = TimeWindows::create(q.timezone, q.interval.value_or(TsInterval::day), q.week_start);
    if (!w)
      return fail(w.error());
    windows.emplace(*w);
  }
  if (admin) {
    if (!who.super_admin) {
      return fail(errc::forbidden, rest::request_error::not_authorized,
                  "only a super-admin may read any node's time series");
    }
    if (auto node = nodes_.get_node(q.node_id); !node) {
      if (node.error().code == errc::not_found)
        return fail(errc::not_found, rest::node_error::node_not_found, "node not found");
      return fail(node.error());
    }
  } else if (auto node = nodes_.get_user_node(who.user_id, q.node_id); !node) {
    if (node.error().code == errc::not_found)
      return fail(errc::not_found, rest::node_error::node_not_found, "node not found");
    return fail(node.error());
  }
  if (!q.simple) {
    auto types = series_.data_types(q.node_id, q.param_name);
    if (!types)
      return fail(types.error());
    if (!types->empty() && std::find(types->begin(), types->end(), q.type) == types->end()) {
      return bad(rest::tsdata_error::type_mismatch,
                 q.param_name + " is stored as " + types->front() + ", not " + q.type);
    }
  }

  rest::TsDataAnswer answer;
  answer.node_id = q.node_id;
  answer.param_name = q.param_name;
  if (!q.simple) {
    answer.aggregate = std::string(to_string(q.aggregate));
    if (q.interval)
      answer.interval = std::string(to_string(*q.interval));
    answer.week_start = std::string(rest::week_day_name(q.week_start));
    answer.timezone = windows->zone_name();
    answer.differential = q.differential;
    answer.reset_on_negative = q.reset_on_negative;
  }
  const std::int64_t now = unix_ms(clock_.now()) / 1000;
  storage::TsRange range{q.node_id, q.param_name, q.type, 0, 0};

  if (q.simple || q.aggregate == TsAggregate::raw) {
    // Raw points; without a range, the last 7 days (tsdata) or everything (simple). The
    // default end lies a day ahead: node clocks may run a little fast.
    range.from = q.start_time.value_or(q.simple ? 0 : now - rest::limits::kDefaultRawSpanS);
    range.to = q.end_time.value_or(now + kDayS);
    const bool descending = q.simple || q.desc_order;
    if (!q.start_id.empty()) {
      auto resume = read_token(q, range.from, range.to);
      if (!resume)
        return fail(resume.error());
      (descending ? range.to : range.from) = descending ? *resume + 1 : *resume;
    }
    auto points = series_.points(range, descending, q.num_records + 1);
    if (!points)
      return fail(points.error());
    if (points->size() > q.num_records) {
      answer.next_id = make_token(q, points->back().ts);
      points->pop_back();
    }
    answer.values.reserve(points->size());
    for (const auto& p : *points)
      answer.values.push_back({p.ts, point_value(p)});
    return answer;
  }

  // Aggregates: the whole windows that meet the range, or the last num_intervals.
  std::int64_t first = 0, last = 0;
  if (q.num_intervals) {
    last = first = windows->floor(now);
    for (std::int64_t i = 1; i < *q.num_intervals; ++i)
      first = windows->previous(first);
  } else {
    first = windows->floor(*q.start_time);
    last = windows->floor(*q.end_time - 1);
  }
  std::vector<Window> buckets;
  for (auto w = first; w <= last; w = windows->next(w)) {
    buckets.emplace_back();
    buckets.back().start = w;
  }
  const std::int64_t end = windows->next(last);
  range.from = first;
  range.to = end;
  std::size_t at = 0;  // the window of the current item (items come in time order)
  const auto window_of = [&](std::int64_t ts) -> Window* {
    while (at + 1 < buckets.size() && ts >= buckets[at + 1].start)
      ++at;
    return ts >= buckets[at].start ? &buckets[at] : nullptr;
  };
  const bool rollups = numeric(q.type) && !q.differential && *q.interval != TsInterval::minute &&
                       *q.interval != TsInterval::hour && first % storage::kRollupBucketS == 0 &&
                       end % storage::kRollupBucketS == 0 &&
                       std::all_of(buckets.begin(), buckets.end(), [](const Window& w) {
                         return w.start % storage::kRollupBucketS == 0;
                       });
  if (rollups) {
    // One summing read per window: SQLite adds the quarter hours up.
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      auto& w = buckets[i];
      const storage::TsRange window{q.node_id, q.param_name, q.type, w.start,
                                    i + 1 < buckets.size() ? buckets[i + 1].start : end};
      auto sum = series_.sum_rollups(window, q.aggregate == TsAggregate::latest);
      if (!sum)
        return fail(sum.error());
      if (sum->count > 0)
        w.add(*sum, q.type);
    }
  } else {
    // Differential: each point counts as its step from the one before (the first step
    // of the range starts from the last point before it, if any).
    std::optional<double> previous;
    if (q.differential) {
      storage::TsRange before = range;
      before.from = 0;
      before.to = range.from;
      auto prior = series_.points(before, true, 1);
      if (!prior)
        return fail(prior.error());
      if (!prior->empty())
        previous = prior->front().number;
    }
    auto scanned = series_.scan_points(range, [&](const TsPoint& p) {
      auto* w = window_of(p.ts);
      if (!q.differential) {
        if (w != nullptr)
          w->add(p);
        return;
      }
      const double value = p.number;
      if (previous && w != nullptr) {
        TsPoint step = p;
        step.number = value - *previous;
        if (q.reset_on_negative && step.number < 0)
          step.number = value;
        w->add(step);
      }
      previous = value;
    });
    if (!scanned)
      return fail(scanned.error());
  }
  std::erase_if(buckets, [](const Window& w) { return w.count == 0; });
  if (q.desc_order)
    std::reverse(buckets.begin(), buckets.end());
  auto from = buckets.begin();
  if (!q.start_id.empty()) {
    auto resume = read_token(q, first, end);
    if (!resume)
      return fail(resume.error());
    from = std::find_if(buckets.begin(), buckets.end(), [&](const Window& w) {
      return q.desc_order ? w.start <= *resume : w.start >= *resume;
    });
  }
  for (auto it = from; it != buckets.end(); ++it) {
    if (answer.values.size() == q.num_records) {
      answer.next_id = make_token(q, it->start);
      break;
    }
    answer.values.push_back({it->start, it->value(q.aggregate, q.type)});
  }
  return answer;
}

Result<std::int64_t> TimeSeriesService::prune_once() {
  const auto now = unix_ms(clock_.now()) / 1000;
  const auto before =
      now - std::chrono::duration_cast<std::chrono::seconds>(options_.retention).count();
  return series_.prune(before, options_.prune_batch_rows);
}

}  // namespace stratus::service
