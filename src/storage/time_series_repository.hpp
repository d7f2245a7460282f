#pragma once
/// @file
/// Storage port for time series (rainmaker-cloud.md §4; docs/adr/0011): raw points per
/// (node, `Device.Param`, second) and quarter-hour rollups of numeric points. Points are
/// written inside the ingest batch's transaction (`NodeWriter::add_points`); this port
/// reads them, prunes them and, for tools that generate data (bench), writes them in
/// transactions of their own. Times: Unix seconds.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// Length of a rollup bucket, seconds. Every IANA offset is a multiple of it, so a local
/// day, week, month or year is a whole number of buckets (docs/adr/0011).
inline constexpr std::int64_t kRollupBucketS = 900;

/// One stored point of one param.
struct TsPoint {
  std::string param_name;  ///< `<Device>.<Param>`
  std::int64_t ts = 0;     ///< Unix seconds
  std::string data_type;   ///< int | float | bool | string | object | array
  double number = 0;       ///< int, float, bool (0/1) values
  std::string text;        ///< string values; object/array values as JSON text
  std::string source;      ///< tsdata | simple | params

  /// True for the types kept in `number` (and rolled up).
  [[nodiscard]] bool numeric() const noexcept {
    return data_type == "int" || data_type == "float" || data_type == "bool";
  }
};

/// One node's points to store (`NodeWriter::add_points`): views into the caller's data,
/// valid for the call.
struct NodePoints {
  std::string_view node_id;
  std::span<const TsPoint> points;
};

/// The quarter-hour rollup of one numeric param (UTC-aligned `bucket`).
struct TsRollup {
  std::int64_t bucket = 0;
  std::int64_t count = 0;
  double sum = 0, min = 0, max = 0;
  std::int64_t first_ts = 0;
  double first_value = 0;
  std::int64_t last_ts = 0;
  double last_value = 0;
};

/// Which points a read covers: one param of one node, one data type, `[from, to)`.
struct TsRange {
  std::string node_id;
  std::string param_name;
  std::string data_type;
  std::int64_t from = 0;
  std::int64_t to = 0;
};

/// Time-series storage. Thread-safe; every call may block.
class TimeSeriesRepository {
 public:
  virtual ~TimeSeriesRepository() = default;

  /// Up to `limit` points of `range`, ascending by time (`descending` = newest first).
  virtual Result<std::vector<TsPoint>> points(const TsRange& range, bool descending,
                                              std::size_t limit) = 0;
  /// Calls `each` for every point of `range`, ascending by time.
  virtual Result<void> scan_points(const TsRange& range,
                                   const std::function<void(const TsPoint&)>& each) = 0;
  /// The rollups whose bucket starts in `[range.from, range.to)` (multiples of
  /// kRollupBucketS) combined into one: count and sum added, min and max of all; with
  /// `with_latest` also the last value and its time (one more indexed read), else those
  /// are 0. `count` 0 when there is none. SQLite does the summing: one call per window.
  virtual Result<TsRollup> sum_rollups(const TsRange& range, bool with_latest) = 0;
  /// The data types the param has been stored with (empty when never).
  virtual Result<std::vector<std::string>> data_types(std::string_view node_id,
                                                      std::string_view param_name) = 0;
  /// Deletes at most `max_rows` points older than `before` (ts < before) and at most
  /// `max_rows` rollups whose quarter hour ended by `before`, in one transaction.
  /// Returns how many rows it deleted (0: nothing left to prune).
  virtual Result<std::int64_t> prune(std::int64_t before, std::size_t max_rows) = 0;
  /// Stores `points` of `node_id` in one transaction, as `NodeWriter::add_points` does
  /// (for generators and tests; ingest writes inside its batch instead).
  virtual Result<void> add_points(std::string_view node_id, std::span<const TsPoint> points) = 0;
};

}  // namespace stratus::storage
