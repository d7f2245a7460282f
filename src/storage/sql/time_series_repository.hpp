#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the time-series storage port
/// (docs/adr/0011), and the in-transaction helpers the node writer shares with it.

#include <memory>

#include "storage/sql/database.hpp"
#include "storage/time_series_repository.hpp"

namespace stratus::storage::sql {

class Connection;

/// Inside a transaction on `c`: upserts the points of every node of `nodes` (same node,
/// param and second: the later write wins), records their data types and keeps the
/// quarter-hour rollups of every bucket they touch: new points are folded in, a replaced
/// number adjusts its rollup in place, and a bucket whose minimum or maximum was
/// replaced is recomputed from its points. New points, their folds and their data types
/// are written with multi-row statements of up to 64 rows. Errors: as
/// `Connection::execute`.
Result<void> add_time_series_points(Connection& c, std::span<const NodePoints> nodes);

/// Inside a transaction on `c`: removes every point, rollup and data-type record of the
/// node (rainmaker-cloud.md §4.3: a node that loses all mappings loses its data).
Result<void> remove_time_series(Connection& c, std::string_view node_id);

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlTimeSeriesRepository final : public TimeSeriesRepository {
 public:
  explicit SqlTimeSeriesRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<std::vector<TsPoint>> points(const TsRange& range, bool descending,
                                      std::size_t limit) override;
  Result<void> scan_points(const TsRange& range,
                           const std::function<void(const TsPoint&)>& each) override;
  Result<TsRollup> sum_rollups(const TsRange& range, bool with_latest) override;
  Result<std::vector<std::string>> data_types(std::string_view node_id,
                                              std::string_view param_name) override;
  Result<std::int64_t> prune(std::int64_t before, std::size_t max_rows) override;
  Result<void> add_points(std::string_view node_id, std::span<const TsPoint> points) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
