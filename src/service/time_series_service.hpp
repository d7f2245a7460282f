#pragma once
/// @file
/// Time-series reads and retention (rainmaker-cloud.md §4.1, §4.2; docs/adr/0011):
/// `GET v1/user/nodes/tsdata` (raw points, or latest/min/max/avg/sum/count per minute,
/// hour, day, week, month or year window of an IANA zone) and `simple_tsdata` (raw,
/// newest first), paged with an opaque `start_id`; and the background prune of points
/// older than the retention. Points are written by `NodeIngest`.
///
/// Windows are whole calendar windows of the zone (time_windows.hpp) that meet
/// `[start_time, end_time)`, or the last `num_intervals` windows up to now; windows
/// without points are left out. Day, week, month and year aggregates of numeric params
/// are summed from quarter-hour rollups; minute, hour, bool and string aggregates read
/// the raw points. `ts` of an aggregate is its window's start. With `differential` the
/// points' successive differences are aggregated instead (read from the points).

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "proto/rest/tsdata.hpp"
#include "service/account_service.hpp"
#include "storage/node_repository.hpp"
#include "storage/time_series_repository.hpp"

namespace stratus::service {

/// Retention (config section `timeseries`).
struct TimeSeriesOptions {
  std::chrono::days retention{30};      ///< points and rollups older are pruned
  std::size_t prune_batch_rows = 5000;  ///< rows per prune transaction
};

/// Thread-safe; calls block (database). Call from the blocking pool.
class TimeSeriesService {
 public:
  /// Every reference must outlive the service.
  TimeSeriesService(storage::TimeSeriesRepository& series, storage::NodeRepository& nodes,
                    const Clock& clock, TimeSeriesOptions options = {});

  /// Answers one query for `who`: a node the caller has no relation to (primary,
  /// secondary or through a group) fails exactly like an unknown node
  /// (`node_error::node_not_found`). With `admin` (the `/v1/admin/` twins) a super-admin
  /// reads any node; anyone else gets `request_error::not_authorized` (forbidden).
  /// Errors (invalid_argument, `tsdata_error` codes): an interval with raw, or none with
  /// an aggregate (126006); min/max/avg/sum of a bool or string (126019); latest per
  /// month or year (126016); an aggregate without a range or `num_intervals` (126015);
  /// `num_intervals` with a range or above the interval's maximum (126009); one of
  /// start/end (126008); start ≥ end (126013); a span beyond the maximum (126012); an
  /// unknown zone (126020); a param stored with another type (126018); `differential`
  /// with raw or a bool/string param (126021), `reset_on_negative` without it (100006); a
  /// `start_id` that is not a token of this query (126102).
  Result<proto::rest::TsDataAnswer> query(const Principal& who,
                                          const proto::rest::TsDataQuery& query, bool admin);

  /// One bounded prune pass: deletes at most `prune_batch_rows` points and as many
  /// rollups older than now − retention, in one transaction. Returns the rows deleted
  /// (0 when nothing is left); the caller repeats while it returns rows.
  Result<std::int64_t> prune_once();

 private:
  storage::TimeSeriesRepository& series_;
  storage::NodeRepository& nodes_;
  const Clock& clock_;
  TimeSeriesOptions options_;
};

}  // namespace stratus::service
