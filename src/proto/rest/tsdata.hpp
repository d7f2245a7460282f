#pragma once
/// @file
/// The time-series resources (rainmaker-cloud.md §4.1, §4.2; docs/adr/0011):
/// `GET v1/user/nodes/tsdata` and `GET v1/user/nodes/simple_tsdata` (and their admin
/// twins): the query parameters, read from a URL query, and the answer
/// `{"ts_data":[{"node_id","params":[{"param_name","values":[{"ts","val"}],
/// "num_records"}],"next_id",…}]}`. The parser checks each parameter on its own (type and
/// spelling); the rules between parameters (spans, ranges, aggregates per type, the
/// zone) are the service's. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::proto::rest {

/// `aggregate` (§4.1); `raw` is the default.
enum class TsAggregate { raw, latest, min, max, avg, sum, count };
/// `aggregation_interval` (§4.1).
enum class TsInterval { minute, hour, day, week, month, year };

/// Wire spellings ("raw", "avg", …; "minute", …).
[[nodiscard]] std::string_view to_string(TsAggregate aggregate) noexcept;
[[nodiscard]] std::string_view to_string(TsInterval interval) noexcept;
/// Parses a wire spelling (exact, lower case); nullopt if unknown.
[[nodiscard]] std::optional<TsAggregate> parse_ts_aggregate(std::string_view text) noexcept;
[[nodiscard]] std::optional<TsInterval> parse_ts_interval(std::string_view text) noexcept;
/// "Sunday" … "Saturday" for 0 … 6.
[[nodiscard]] std::string_view week_day_name(int day) noexcept;
/// A day name, case-insensitive ("monday", "MONDAY"), as 0 (Sunday) … 6; nullopt if not one.
[[nodiscard]] std::optional<int> parse_week_day(std::string_view text) noexcept;

/// One time-series query. `simple` selects simple_tsdata (§4.2): `type` is required and
/// may also be object or array, only raw reads, newest first.
struct TsDataQuery {
  bool simple = false;
  std::string node_id;
  std::string param_name;  ///< `<Device>.<Param>`
  std::string type = "float";
  TsAggregate aggregate = TsAggregate::raw;
  std::optional<TsInterval> interval;
  std::optional<std::int64_t> start_time;  ///< Unix seconds, inclusive
  std::optional<std::int64_t> end_time;    ///< Unix seconds, exclusive
  std::optional<std::int64_t> num_intervals;
  std::size_t num_records = limits::kMaxTsRecords;
  std::string start_id;  ///< the previous answer's `next_id`
  bool desc_order = false;
  /// Aggregate the successive differences of the values instead (counters: energy,
  /// volume); with `reset_on_negative` a negative step counts as the new value (a
  /// counter that restarted). Aggregates of float and int params only.
  bool differential = false;
  bool reset_on_negative = false;
  std::string timezone = "UTC";  ///< an IANA name, any case (checked by the service)
  int week_start = 1;            ///< 0 = Sunday … 6; Monday by default
};

/// Looks up one query parameter by name (nullopt when absent).
using QueryLookup = std::function<std::optional<std::string_view>(std::string_view)>;

/// Reads a query: `node_id`, `param_name`, `type` (alias `data_type`), `aggregate`,
/// `aggregation_interval`, `start_time`, `end_time`, `num_intervals`, `num_records`,
/// `start_id`, `desc_order`, `timezone`, `week_start`; simple_tsdata also `query_type`.
/// Errors (invalid_argument, codes of `tsdata_error` / `simple_tsdata_error`): a missing
/// node id or param name; an unknown type, aggregate, interval or day name; a time or
/// count that is not a non-negative integer; `num_records` not 1–200 (126101); a bad
/// `desc_order`, `differential` or `reset_on_negative`; `query_type=aggregates` (126100,
/// not supported).
[[nodiscard]] Result<TsDataQuery> parse_tsdata_query(const QueryLookup& param, bool simple);

/// The query parameters that `parse_tsdata_query` reads back to `query` (defaults
/// omitted), in a stable order, not yet percent-encoded.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> to_query(const TsDataQuery& query);

/// One value: `ts` the point's time or the window's start (Unix seconds); `val` a
/// number, boolean, string, object or array.
struct TsDataValue {
  std::int64_t ts = 0;
  boost::json::value val;
};

/// The answer for one param of one node.
struct TsDataAnswer {
  std::string node_id;
  std::string param_name;
  std::vector<TsDataValue> values;
  std::string next_id;  ///< empty on the last page
  /// tsdata only (empty for simple_tsdata): the query's aggregate, interval,
  /// week start and time zone, echoed.
  std::string aggregate, interval, week_start, timezone;
  bool differential = false, reset_on_negative = false;  ///< echoed (tsdata)
};
/// Writes `{"ts_data":[{"node_id","params":[{"param_name","values","num_records"}],
/// "next_id"?,…}]}` (`num_records` a number; `next_id` absent on the last page).
[[nodiscard]] boost::json::object to_json(const TsDataAnswer& answer);
/// Reads an answer (tolerant: absent members read as empty; values without a `ts` are
/// skipped). Errors: internal when `ts_data` is not a non-empty array of objects.
[[nodiscard]] Result<TsDataAnswer> parse_tsdata_answer(const boost::json::object& answer);

}  // namespace stratus::proto::rest
