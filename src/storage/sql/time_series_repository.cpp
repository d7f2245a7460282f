#include "storage/sql/time_series_repository.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

namespace stratus::storage::sql {
namespace {

constexpr std::string_view kPointColumns = "param_name, ts, data_type, num, txt, source";

TsPoint read_point(const Statement& s) {
  return TsPoint{s.text(0), s.integer(1), s.text(2), s.real(3), s.text(4), s.text(5)};
}

std::int64_t bucket_of(std::int64_t ts) {
  // Floor division: points before 1970 are refused at ingest, but stay correct here.
  return ts >= 0 ? ts - ts % kRollupBucketS
                 : ts - (ts % kRollupBucketS + kRollupBucketS) % kRollupBucketS;
}

// Runs `sql` with the range bound as ?1 node, ?2 param, ?3 from, ?4 to, ?5 type and calls
// `row` for every result row.
template <class Row>
Result<void> each_row(Connection& c, const std::string& sql, const TsRange& r, Row&& row) {
  auto s = c.prepare(sql);
  if (!s)
    return fail(s.error());
  s->bind_all(r.node_id, r.param_name, r.from, r.to, r.data_type);
  while (true) {
    auto more = s->step();
    if (!more)
      return fail(more.error());
    if (!*more)
      return {};
    row(static_cast<const Statement&>(*s));
  }
}

}  // namespace

namespace {

// The rollup fold (a new point) and in-place adjust (a replaced number) statements. The
// same statements on both engines; only the two-argument minimum and maximum are spelled
// differently (PostgreSQL has no scalar min/max). The target row is named `ts_rollups.`
// in the upsert, as PostgreSQL requires and SQLite accepts. Built once per engine.
struct RollupStatements {
  std::string fold;
  std::string adjust;
};

RollupStatements make_rollup_statements(const std::string& least, const std::string& greatest) {
  return {
      "INSERT INTO ts_rollups(node_id, param_name, data_type, bucket, count, sum, min, max, "
      "first_ts, first_value, last_ts, last_value) "
      "VALUES(?1, ?2, ?3, ?4, 1, ?5, ?5, ?5, ?6, ?5, ?6, ?5) "
      "ON CONFLICT(node_id, param_name, bucket, data_type) DO UPDATE SET "
      "count = ts_rollups.count + 1, sum = ts_rollups.sum + excluded.sum, "
      "min = " +
          least +
          "(ts_rollups.min, excluded.min), "
          "max = " +
          greatest +
          "(ts_rollups.max, excluded.max), "
          "first_ts = " +
          least +
          "(ts_rollups.first_ts, excluded.first_ts), "
          "first_value = CASE WHEN excluded.first_ts < ts_rollups.first_ts "
          "THEN excluded.first_value ELSE ts_rollups.first_value END, "
          "last_ts = " +
          greatest +
          "(ts_rollups.last_ts, excluded.last_ts), "
          "last_value = CASE WHEN excluded.last_ts > ts_rollups.last_ts "
          "THEN excluded.last_value ELSE ts_rollups.last_value END",
      "UPDATE ts_rollups SET sum = sum + ?5 - ?6, min = " + least + "(min, ?5), max = " + greatest +
          "(max, ?5), "
          "first_value = CASE WHEN first_ts = ?7 THEN ?5 ELSE first_value END, "
          "last_value = CASE WHEN last_ts = ?7 THEN ?5 ELSE last_value END "
          "WHERE node_id = ?1 AND param_name = ?2 AND bucket = ?3 AND data_type = ?4 AND "
          "min < ?6 AND max > ?6"};
}

const RollupStatements& rollup_statements(Dialect dialect) {
  static const RollupStatements sqlite = make_rollup_statements("min", "max");
  static const RollupStatements postgres = make_rollup_statements("LEAST", "GREATEST");
  return dialect == Dialect::postgres ? postgres : sqlite;
}

// Runs `sql` with a point bound as ?1 node, ?2 param, ?3 ts, ?4 type, ?5 num, ?6 txt,
// ?7 source (num or txt NULL by the point's kind).
Result<void> run_with_point(Connection& c, const char* sql, std::string_view node_id,
                            const TsPoint& p) {
  auto s = c.prepare(sql);
  if (!s)
    return fail(s.error());
  s->bind(1, node_id).bind(2, p.param_name).bind(3, p.ts).bind(4, p.data_type);
  if (p.numeric()) {
    s->bind(5, p.number).bind_null(6);
  } else {
    s->bind_null(5).bind(6, p.text);
  }
  s->bind(7, p.source);
  return s->run();
}

}  // namespace

Result<void> add_time_series_points(Connection& c, std::string_view node_id,
                                    std::span<const TsPoint> points) {
  // Buckets whose rollup must be recomputed from their points: those where a point's
  // value was replaced and it was the bucket's minimum or maximum (which cannot be taken
  // back), or its type changed. A new point is folded into its bucket's rollup, another
  // replaced value adjusts it in place, and a point written again with the same value (a
  // params report and the tsdata message for the same second) leaves it alone: a
  // recompute reads every point of the quarter hour, up to 900 per param (issue 24: a
  // recompute per point had tripled the writer's cost per update).
  std::set<std::pair<std::string_view, std::int64_t>> recompute;
  std::set<std::pair<std::string_view, std::string_view>> types;
  const auto& [fold, adjust] = rollup_statements(c.dialect());
  // Only the last write of a second counts (its value and its source), so the points of
  // one call are first reduced to the last per param and second: a params report and its
  // tsdata message, or a node reporting several times a second, cost one write.
  std::map<std::pair<std::string_view, std::int64_t>, const TsPoint*> last;
  for (const auto& p : points) {
    types.emplace(p.param_name, p.data_type);
    last.insert_or_assign({p.param_name, p.ts}, &p);
  }
  for (const auto& [key, point] : last) {
    const TsPoint& p = *point;
    // DO NOTHING, not a check first: another instance (cluster mode) may write the same
    // second meanwhile, and then this is the replacement below.
    if (auto r = run_with_point(c,
                                "INSERT INTO ts_points(node_id, param_name, ts, data_type, num, "
                                "txt, source) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                                "ON CONFLICT(node_id, param_name, ts) DO NOTHING",
                                node_id, p);
        !r)
      return r;
    if (c.changes() > 0) {
      if (!p.numeric())
        continue;
      if (auto r =
              c.execute(fold, node_id, p.param_name, p.data_type, bucket_of(p.ts), p.number, p.ts);
          !r)
        return r;
      continue;
    }
    // The second was stored: the later write wins, its value and its source.
    struct Stored {
      std::string data_type;
      std::optional<double> number;
      std::string text;
    };
    auto before = c.query_one(
        "SELECT data_type, num, txt FROM ts_points WHERE node_id = ?1 AND param_name = ?2 AND "
        "ts = ?3",
        {"point"},
        [](const Statement& row) {
          return Stored{row.text(0), row.is_null(1) ? std::nullopt : std::optional(row.real(1)),
                        row.is_null(2) ? std::string() : row.text(2)};
        },
        node_id, p.param_name, p.ts);
    if (!before)
      return fail(before.error());
    const bool same_type = before->data_type == p.data_type;
    if (same_type && (p.numeric() ? before->number == p.number : before->text == p.text)) {
      if (auto r = c.execute(
              "UPDATE ts_points SET source = ?4 WHERE node_id = ?1 AND param_name = ?2 AND "
              "ts = ?3 AND source <> ?4",
              node_id, p.param_name, p.ts, p.source);
          !r)
        return r;
      continue;
    }
    if (auto r = run_with_point(c,
                                "UPDATE ts_points SET data_type = ?4, num = ?5, txt = ?6, "
                                "source = ?7 WHERE node_id = ?1 AND param_name = ?2 AND ts = ?3",
                                node_id, p);
        !r)
      return r;
    // A number replaced by another of the same type, neither the bucket's minimum nor
    // its maximum: the rollup is adjusted in place. Anything else is recomputed.
    if (same_type && p.numeric() && before->number) {
      if (auto r = c.execute(adjust, node_id, p.param_name, bucket_of(p.ts), p.data_type, p.number,
                             *before->number, p.ts);
          !r)
        return r;
      if (c.changes() > 0)
        continue;
    }
    recompute.emplace(p.param_name, bucket_of(p.ts));
  }
  for (const auto& [param, type] : types) {
    if (auto r = c.execute(
            "INSERT INTO ts_param_types(node_id, param_name, data_type) VALUES(?1, ?2, ?3) "
            "ON CONFLICT DO NOTHING",
            node_id, param, type);
        !r)
      return r;
  }
  // The buckets that could not be kept incrementally, recomputed from their points.
  for (const auto& [param, bucket] : recompute) {
    if (auto r = c.execute(
            "DELETE FROM ts_rollups WHERE node_id = ?1 AND param_name = ?2 AND bucket = ?3",
            node_id, param, bucket);
        !r)
      return r;
    if (auto r = c.execute(
            "INSERT INTO ts_rollups(node_id, param_name, data_type, bucket, count, sum, min, max, "
            "first_ts, first_value, last_ts, last_value) "
            "SELECT ?1, ?2, p.data_type, ?3, count(*), sum(p.num), min(p.num), max(p.num), "
            "min(p.ts), (SELECT f.num FROM ts_points f WHERE f.node_id = ?1 AND "
            "f.param_name = ?2 AND f.ts >= ?3 AND f.ts < ?3 + 900 AND f.data_type = p.data_type "
            "ORDER BY f.ts LIMIT 1), max(p.ts), (SELECT l.num FROM ts_points l WHERE "
            "l.node_id = ?1 AND l.param_name = ?2 AND l.ts >= ?3 AND l.ts < ?3 + 900 AND "
            "l.data_type = p.data_type ORDER BY l.ts DESC LIMIT 1) "
            "FROM ts_points p WHERE p.node_id = ?1 AND p.param_name = ?2 AND p.ts >= ?3 AND "
            "p.ts < ?3 + 900 AND p.num IS NOT NULL GROUP BY p.data_type",
            node_id, param, bucket);
        !r)
      return r;
  }
  return {};
}

Result<void> remove_time_series(Connection& c, std::string_view node_id) {
  for (const char* sql :
       {"DELETE FROM ts_points WHERE node_id = ?1", "DELETE FROM ts_rollups WHERE node_id = ?1",
        "DELETE FROM ts_param_types WHERE node_id = ?1"}) {
    if (auto r = c.execute(sql, node_id); !r)
      return r;
  }
  return {};
}

Result<std::vector<TsPoint>> SqlTimeSeriesRepository::points(const TsRange& range, bool descending,
                                                             std::size_t limit) {
  return db_->with([&](Connection& c) -> Result<std::vector<TsPoint>> {
    std::vector<TsPoint> out;
    const std::string sql = std::string("SELECT ") + std::string(kPointColumns) +
                            " FROM ts_points WHERE node_id = ?1 AND param_name = ?2 AND "
                            "ts >= ?3 AND ts < ?4 AND data_type = ?5 ORDER BY ts" +
                            (descending ? " DESC" : "") + " LIMIT ?6";
    auto s = c.prepare(sql);
    if (!s)
      return fail(s.error());
    s->bind_all(range.node_id, range.param_name, range.from, range.to, range.data_type);
    s->bind(6, static_cast<std::int64_t>(limit));
    while (true) {
      auto more = s->step();
      if (!more)
        return fail(more.error());
      if (!*more)
        return out;
      out.push_back(read_point(*s));
    }
  });
}

Result<void> SqlTimeSeriesRepository::scan_points(const TsRange& range,
                                                  const std::function<void(const TsPoint&)>& each) {
  return db_->with([&](Connection& c) {
    return each_row(c,
                    std::string("SELECT ") + std::string(kPointColumns) +
                        " FROM ts_points WHERE node_id = ?1 AND param_name = ?2 AND ts >= ?3 "
                        "AND ts < ?4 AND data_type = ?5 ORDER BY ts",
                    range, [&](const Statement& s) { each(read_point(s)); });
  });
}

Result<TsRollup> SqlTimeSeriesRepository::sum_rollups(const TsRange& range, bool with_latest) {
  return db_->with([&](Connection& c) -> Result<TsRollup> {
    TsRollup total;
    auto summed = each_row(c,
                           "SELECT count(*), sum(count), sum(sum), min(min), max(max) FROM "
                           "ts_rollups WHERE node_id = ?1 AND param_name = ?2 AND bucket >= ?3 "
                           "AND bucket < ?4 AND data_type = ?5",
                           range, [&](const Statement& s) {
                             if (s.integer(0) == 0)
                               return;
                             total.bucket = range.from;
                             total.count = s.integer(1);
                             total.sum = s.real(2);
                             total.min = s.real(3);
                             total.max = s.real(4);
                           });
    if (!summed)
      return fail(summed.error());
    if (!with_latest || total.count == 0)
      return total;
    auto latest = each_row(c,
                           "SELECT last_ts, last_value FROM ts_rollups WHERE node_id = ?1 AND "
                           "param_name = ?2 AND bucket >= ?3 AND bucket < ?4 AND data_type = ?5 "
                           "ORDER BY bucket DESC LIMIT 1",
                           range, [&](const Statement& s) {
                             total.last_ts = s.integer(0);
                             total.last_value = s.real(1);
                           });
    if (!latest)
      return fail(latest.error());
    return total;
  });
}

Result<std::vector<std::string>> SqlTimeSeriesRepository::data_types(std::string_view node_id,
                                                                     std::string_view param_name) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT data_type FROM ts_param_types WHERE node_id = ?1 AND param_name = ?2 ORDER BY "
        "data_type",
        [](const Statement& s) { return s.text(0); }, node_id, param_name);
  });
}

Result<std::int64_t> SqlTimeSeriesRepository::prune(std::int64_t before, std::size_t max_rows) {
  return db_->with([&](Connection& c) -> Result<std::int64_t> {
    std::int64_t deleted = 0;
    const auto limit = static_cast<std::int64_t>(max_rows);
    auto r = c.transaction([&]() -> Result<void> {
      if (auto d =
              c.execute("DELETE FROM ts_points WHERE (node_id, param_name, ts) IN (SELECT node_id, "
                        "param_name, ts FROM ts_points WHERE ts < ?1 LIMIT ?2)",
                        before, limit);
          !d)
        return d;
      deleted += c.changes();
      if (auto d = c.execute(
              "DELETE FROM ts_rollups WHERE (node_id, param_name, bucket, data_type) IN (SELECT "
              "node_id, param_name, bucket, data_type FROM ts_rollups WHERE bucket <= ?1 - 900 "
              "LIMIT ?2)",
              before, limit);
          !d)
        return d;
      deleted += c.changes();
      return {};
    });
    if (!r)
      return fail(r.error());
    return deleted;
  });
}

Result<void> SqlTimeSeriesRepository::add_points(std::string_view node_id,
                                                 std::span<const TsPoint> points) {
  return db_->with([&](Connection& c) {
    return c.transaction([&] { return add_time_series_points(c, node_id, points); });
  });
}

}  // namespace stratus::storage::sql
