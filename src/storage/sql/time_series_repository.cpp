#include "storage/sql/time_series_repository.hpp"

#include <algorithm>
#include <bit>
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

// Multi-row statements: `<head> VALUES (?1, …, ?k), (?k+1, …), … <tail>` for 1, 2, 4, …,
// 64 rows, built once per engine. A call writes its rows in chunks of these sizes, so a
// connection caches at most seven texts per statement (Connection::prepare), and one
// chunk binds at most 64 × 12 values (SQLite allows 32 766, PostgreSQL 65 535).
constexpr std::size_t kMaxRowsPerStatement = 64;

class MultiRow {
 public:
  MultiRow(std::string_view head, int columns, std::string_view tail) : columns_(columns) {
    for (std::size_t rows = 1; rows <= kMaxRowsPerStatement; rows *= 2) {
      std::string sql(head);
      sql += " VALUES ";
      int index = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        sql += r == 0 ? "(" : ", (";
        for (int col = 0; col < columns; ++col) {
          sql += col == 0 ? "?" : ", ?";
          sql += std::to_string(++index);
        }
        sql += ')';
      }
      sql += ' ';
      sql += tail;
      texts_.push_back(std::move(sql));
    }
  }

  // Runs the statement over `rows` in chunks: `bind(statement, first, row)` binds one
  // row's columns from index `first`; `each(statement)` sees every result row.
  template <class Row, class Bind, class Each>
  Result<void> run(Connection& c, std::span<const Row> rows, Bind&& bind, Each&& each) const {
    while (!rows.empty()) {
      const std::size_t n = std::bit_floor(std::min(rows.size(), kMaxRowsPerStatement));
      auto s = c.prepare(texts_[static_cast<std::size_t>(std::countr_zero(n))]);
      if (!s)
        return fail(s.error());
      for (std::size_t i = 0; i < n; ++i)
        bind(*s, static_cast<int>(i) * columns_ + 1, rows[i]);
      while (true) {
        auto more = s->step();
        if (!more)
          return fail(more.error());
        if (!*more)
          break;
        each(static_cast<const Statement&>(*s));
      }
      rows = rows.subspan(n);
    }
    return {};
  }

 private:
  int columns_;
  std::vector<std::string> texts_;
};

// The statements of a write, one set per engine: only the two-argument minimum and
// maximum are spelled differently (PostgreSQL has no scalar min/max). The target row is
// named `ts_rollups.` in the upsert, as PostgreSQL requires and SQLite accepts.
struct WriteStatements {
  // New points (?1 node, ?2 param, ?3 ts, ?4 type, ?5 num, ?6 txt, ?7 source); the rows
  // that were inserted come back. DO NOTHING, not a check first: another instance
  // (cluster mode) may write the same second meanwhile, and then this is a replacement.
  MultiRow insert_points;
  // Folds of new numeric points, summed per bucket (?1 node, ?2 param, ?3 type,
  // ?4 bucket, ?5 count, ?6 sum, ?7 min, ?8 max, ?9 first_ts, ?10 first_value,
  // ?11 last_ts, ?12 last_value); one row per bucket, as PostgreSQL's upsert requires.
  MultiRow fold;
  // The data types seen (?1 node, ?2 param, ?3 type).
  MultiRow insert_types;
  // The replacements (seconds already stored), each statement for all of a batch's.
  // What the seconds held (?1 node, ?2 param, ?3 ts).
  MultiRow read_replaced;
  // The same value again: only the source changes (?1 node, ?2 param, ?3 ts, ?4 source).
  MultiRow touch_source;
  // Another value (?1 node, ?2 param, ?3 ts, ?4 type, ?5 number or text, ?6 source); two
  // statements, so that no column mixes NULLs with values.
  MultiRow replace_number;
  MultiRow replace_text;
  // A bucket's rollup adjusted for its replaced numbers of the same type, summed, when
  // none of the old values was its minimum or maximum (?6 min old, ?7 max old): ?1 node,
  // ?2 param, ?3 bucket, ?4 type, ?5 sum of (new − old), ?8 min new, ?9 max new, ?10 the
  // earliest replaced ts and ?11 its new value, ?12 the latest and ?13 its new value. The
  // rollups adjusted come back; the others are recomputed.
  MultiRow adjust;
};

// The key columns of an `UPDATE … FROM (VALUES …) AS v` over points.
constexpr std::string_view kPointKeyMatch =
    "ts_points.node_id = v.column1 AND ts_points.param_name = v.column2 AND "
    "ts_points.ts = v.column3";

WriteStatements make_write_statements(const std::string& least, const std::string& greatest) {
  return {
      MultiRow("INSERT INTO ts_points(node_id, param_name, ts, data_type, num, txt, source)", 7,
               "ON CONFLICT(node_id, param_name, ts) DO NOTHING RETURNING node_id, param_name, "
               "ts"),
      MultiRow("INSERT INTO ts_rollups(node_id, param_name, data_type, bucket, count, sum, min, "
               "max, first_ts, first_value, last_ts, last_value)",
               12,
               "ON CONFLICT(node_id, param_name, bucket, data_type) DO UPDATE SET "
               "count = ts_rollups.count + excluded.count, sum = ts_rollups.sum + excluded.sum, "
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
                   "THEN excluded.last_value ELSE ts_rollups.last_value END"),
      MultiRow("INSERT INTO ts_param_types(node_id, param_name, data_type)", 3,
               "ON CONFLICT DO NOTHING"),
      MultiRow("SELECT p.node_id, p.param_name, p.ts, p.data_type, p.num, p.txt FROM (", 3,
               ") AS v JOIN ts_points p ON p.node_id = v.column1 AND p.param_name = v.column2 "
               "AND p.ts = v.column3"),
      MultiRow(
          "UPDATE ts_points SET source = v.column4 FROM (", 4,
          ") AS v WHERE " + std::string(kPointKeyMatch) + " AND ts_points.source <> v.column4"),
      MultiRow("UPDATE ts_points SET data_type = v.column4, num = v.column5, txt = NULL, "
               "source = v.column6 FROM (",
               6, ") AS v WHERE " + std::string(kPointKeyMatch)),
      MultiRow("UPDATE ts_points SET data_type = v.column4, num = NULL, txt = v.column5, "
               "source = v.column6 FROM (",
               6, ") AS v WHERE " + std::string(kPointKeyMatch)),
      MultiRow("UPDATE ts_rollups SET sum = ts_rollups.sum + v.column5, min = " + least +
                   "(ts_rollups.min, v.column8), max = " + greatest +
                   "(ts_rollups.max, v.column9), first_value = CASE WHEN ts_rollups.first_ts = "
                   "v.column10 THEN v.column11 ELSE ts_rollups.first_value END, last_value = "
                   "CASE WHEN ts_rollups.last_ts = v.column12 THEN v.column13 ELSE "
                   "ts_rollups.last_value END FROM (",
               13,
               ") AS v WHERE ts_rollups.node_id = v.column1 AND ts_rollups.param_name = "
               "v.column2 AND ts_rollups.bucket = v.column3 AND ts_rollups.data_type = v.column4 "
               "AND ts_rollups.min < v.column6 AND ts_rollups.max > v.column7 RETURNING "
               "ts_rollups.node_id, ts_rollups.param_name, ts_rollups.bucket, "
               "ts_rollups.data_type")};
}

const WriteStatements& write_statements(Dialect dialect) {
  static const WriteStatements sqlite = make_write_statements("min", "max");
  static const WriteStatements postgres = make_write_statements("LEAST", "GREATEST");
  return dialect == Dialect::postgres ? postgres : sqlite;
}

// A point's identity: node, param, second.
using PointKey = std::tuple<std::string_view, std::string_view, std::int64_t>;

struct PointRow {
  PointKey key;
  const TsPoint* point;
  bool inserted = false;
};

// Where the point `key` is in `rows` (in key order), if it is there.
std::optional<std::size_t> position_of(std::span<const PointRow> rows, const PointKey& key) {
  const auto at = std::lower_bound(rows.begin(), rows.end(), key,
                                   [](const PointRow& r, const PointKey& k) { return r.key < k; });
  if (at == rows.end() || at->key != key)
    return std::nullopt;
  return static_cast<std::size_t>(at - rows.begin());
}

// Folds a new numeric point into `f`, the sum of a bucket's new points (its `bucket`
// unused), as one more row of its rollup would be.
void fold_point(TsRollup& f, std::int64_t ts, double v) {
  if (f.count == 0 || v < f.min)
    f.min = v;
  if (f.count == 0 || v > f.max)
    f.max = v;
  if (f.count == 0 || ts < f.first_ts) {
    f.first_ts = ts;
    f.first_value = v;
  }
  if (f.count == 0 || ts > f.last_ts) {
    f.last_ts = ts;
    f.last_value = v;
  }
  f.sum += v;
  ++f.count;
}

// Node, param, type, bucket.
using BucketKey = std::tuple<std::string_view, std::string_view, std::string_view, std::int64_t>;
using TypeKey = std::tuple<std::string_view, std::string_view, std::string_view>;
// Node, param, bucket: a rollup to recompute (of every data type).
using ParamBucket = std::tuple<std::string_view, std::string_view, std::int64_t>;

// What a second held before this write replaced it.
struct StoredPoint {
  std::string data_type;
  std::optional<double> number;
  std::string text;
};

// A bucket's replaced numbers of one type, summed (`statements.adjust`).
struct Adjustment {
  double sum_delta = 0;
  double min_old = 0, max_old = 0, min_new = 0, max_new = 0;
  std::int64_t first_ts = 0, last_ts = 0;
  double first_new = 0, last_new = 0;
  bool any = false;

  void add(std::int64_t ts, double old_value, double new_value) {
    sum_delta += new_value - old_value;
    if (!any || old_value < min_old)
      min_old = old_value;
    if (!any || old_value > max_old)
      max_old = old_value;
    if (!any || new_value < min_new)
      min_new = new_value;
    if (!any || new_value > max_new)
      max_new = new_value;
    if (!any || ts < first_ts) {
      first_ts = ts;
      first_new = new_value;
    }
    if (!any || ts > last_ts) {
      last_ts = ts;
      last_new = new_value;
    }
    any = true;
  }
};

// The points of `replaced` (seconds stored before this write; in key order) take their
// new values and sources: the later write wins. The same value again changes only the
// source. Another number of the same type adjusts its bucket's rollup in place when none
// of the bucket's replaced values was its minimum or maximum (which cannot be taken
// back); such buckets, and those where a type changed, are named in `recompute`. A batch
// of replacements is five statements whatever its size (issue 23: one by one, three
// round trips each, held time series on PostgreSQL at half the raw ceiling).
Result<void> replace_points(Connection& c, const WriteStatements& statements,
                            std::span<const PointRow> replaced, std::set<ParamBucket>& recompute) {
  if (replaced.empty())
    return {};
  std::vector<std::optional<StoredPoint>> before(replaced.size());
  const auto bind_key = [](Statement& s, int i, const PointRow& row) {
    s.bind(i, std::get<0>(row.key)).bind(i + 1, std::get<1>(row.key)).bind(i + 2, row.point->ts);
  };
  if (auto r = statements.read_replaced.run(
          c, replaced, bind_key,
          [&](const Statement& s) {
            const std::string node_id = s.text(0);
            const std::string param = s.text(1);
            if (auto i = position_of(replaced, {node_id, param, s.integer(2)}))
              before[*i] =
                  StoredPoint{s.text(3), s.is_null(4) ? std::nullopt : std::optional(s.real(4)),
                              s.is_null(5) ? std::string() : s.text(5)};
          });
      !r)
    return r;

  std::vector<PointRow> touched, numbers, texts;
  std::map<BucketKey, Adjustment> adjustments;
  for (std::size_t i = 0; i < replaced.size(); ++i) {
    const PointRow& row = replaced[i];
    const TsPoint& p = *row.point;
    if (!before[i])  // the insert found it a moment ago, under the same write lock
      return fail(errc::not_found, "point");
    const StoredPoint& old = *before[i];
    const bool same_type = old.data_type == p.data_type;
    if (same_type && (p.numeric() ? old.number == p.number : old.text == p.text)) {
      touched.push_back(row);
      continue;
    }
    (p.numeric() ? numbers : texts).push_back(row);
    const ParamBucket bucket{std::get<0>(row.key), p.param_name, bucket_of(p.ts)};
    if (same_type && p.numeric() && old.number) {
      adjustments[BucketKey{std::get<0>(bucket), p.param_name, p.data_type, std::get<2>(bucket)}]
          .add(p.ts, *old.number, p.number);
    } else if (!same_type || p.numeric()) {
      // A type changed (or a number had none stored): the bucket's rollups, of the old
      // type and of the new one, are recomputed. Another text of the same type leaves
      // them alone: only numbers are rolled up.
      recompute.insert(bucket);
    }
  }
  if (auto r = statements.touch_source.run(
          c, std::span<const PointRow>(touched),
          [&](Statement& s, int i, const PointRow& row) {
            bind_key(s, i, row);
            s.bind(i + 3, row.point->source);
          },
          [](const Statement&) {});
      !r)
    return r;
  const auto bind_replacement = [&](Statement& s, int i, const PointRow& row) {
    const TsPoint& p = *row.point;
    bind_key(s, i, row);
    s.bind(i + 3, p.data_type);
    if (p.numeric()) {
      s.bind(i + 4, p.number);
    } else {
      s.bind(i + 4, p.text);
    }
    s.bind(i + 5, p.source);
  };
  for (const auto& [rows, statement] : {std::pair{&numbers, &statements.replace_number},
                                        std::pair{&texts, &statements.replace_text}}) {
    if (auto r = statement->run(c, std::span<const PointRow>(*rows), bind_replacement,
                                [](const Statement&) {});
        !r)
      return r;
  }

  // Buckets already to be recomputed are not adjusted; the others are, unless an old
  // value was their minimum or maximum (not returned: recomputed).
  std::vector<std::pair<BucketKey, Adjustment>> adjust_rows;
  for (const auto& [key, adjustment] : adjustments) {
    if (!recompute.contains({std::get<0>(key), std::get<1>(key), std::get<3>(key)}))
      adjust_rows.emplace_back(key, adjustment);
  }
  std::set<BucketKey> adjusted;
  if (auto r = statements.adjust.run(
          c, std::span<const std::pair<BucketKey, Adjustment>>(adjust_rows),
          [](Statement& s, int i, const std::pair<BucketKey, Adjustment>& row) {
            const auto& [node_id, param, type, bucket] = row.first;
            const Adjustment& a = row.second;
            s.bind(i, node_id).bind(i + 1, param).bind(i + 2, bucket).bind(i + 3, type);
            s.bind(i + 4, a.sum_delta).bind(i + 5, a.min_old).bind(i + 6, a.max_old);
            s.bind(i + 7, a.min_new).bind(i + 8, a.max_new);
            s.bind(i + 9, a.first_ts).bind(i + 10, a.first_new);
            s.bind(i + 11, a.last_ts).bind(i + 12, a.last_new);
          },
          [&](const Statement& s) {
            const std::string node_id = s.text(0);
            const std::string param = s.text(1);
            const std::string type = s.text(3);
            const auto at = adjustments.find(BucketKey{node_id, param, type, s.integer(2)});
            if (at != adjustments.end())
              adjusted.insert(at->first);
          });
      !r)
    return r;
  for (const auto& [key, adjustment] : adjust_rows) {
    if (!adjusted.contains(key))
      recompute.emplace(std::get<0>(key), std::get<1>(key), std::get<3>(key));
  }
  return {};
}

}  // namespace

Result<void> add_time_series_points(Connection& c, std::span<const NodePoints> nodes) {
  // Buckets whose rollup must be recomputed from their points: those where a point's
  // value was replaced and it was the bucket's minimum or maximum (which cannot be taken
  // back), or its type changed. New points are folded into their buckets' rollups,
  // another replaced value adjusts it in place, and a point written again with the same
  // value (a params report and the tsdata message for the same second) leaves it alone:
  // a recompute reads every point of the quarter hour, up to 900 per param (issue 24: a
  // recompute per point had tripled the writer's cost per update).
  const auto& statements = write_statements(c.dialect());
  // Only the last write of a second counts (its value and its source), so the points are
  // first reduced to the last per node, param and second: a params report and its tsdata
  // message, or a node reporting several times a second, cost one write.
  std::map<PointKey, const TsPoint*> last;
  std::set<TypeKey> types;
  for (const auto& node : nodes) {
    for (const auto& p : node.points) {
      last.insert_or_assign(PointKey{node.node_id, p.param_name, p.ts}, &p);
      types.emplace(node.node_id, p.param_name, p.data_type);
    }
  }
  if (last.empty())
    return {};
  std::vector<PointRow> rows;
  rows.reserve(last.size());
  for (const auto& [key, point] : last)
    rows.push_back({key, point});

  // The new points go in (in key order, so `rows` can be searched for those inserted).
  auto inserted = statements.insert_points.run(
      c, std::span<const PointRow>(rows),
      [](Statement& s, int i, const PointRow& row) {
        const TsPoint& p = *row.point;
        s.bind(i, std::get<0>(row.key)).bind(i + 1, std::get<1>(row.key)).bind(i + 2, p.ts);
        s.bind(i + 3, p.data_type);
        if (p.numeric()) {
          s.bind(i + 4, p.number).bind_null(i + 5);
        } else {
          s.bind_null(i + 4).bind(i + 5, p.text);
        }
        s.bind(i + 6, p.source);
      },
      [&rows](const Statement& s) {
        const std::string node_id = s.text(0);
        const std::string param = s.text(1);
        if (auto i = position_of(rows, {node_id, param, s.integer(2)}))
          rows[*i].inserted = true;
      });
  if (!inserted)
    return inserted;

  // Their folds, one row per bucket.
  std::map<BucketKey, TsRollup> folds;
  for (const auto& row : rows) {
    const TsPoint& p = *row.point;
    if (row.inserted && p.numeric())
      fold_point(folds[BucketKey{std::get<0>(row.key), p.param_name, p.data_type, bucket_of(p.ts)}],
                 p.ts, p.number);
  }
  const std::vector<std::pair<BucketKey, TsRollup>> fold_rows(folds.begin(), folds.end());
  if (auto r = statements.fold.run(
          c, std::span<const std::pair<BucketKey, TsRollup>>(fold_rows),
          [](Statement& s, int i, const std::pair<BucketKey, TsRollup>& row) {
            const auto& [node_id, param, type, bucket] = row.first;
            const TsRollup& f = row.second;
            s.bind(i, node_id).bind(i + 1, param).bind(i + 2, type).bind(i + 3, bucket);
            s.bind(i + 4, f.count).bind(i + 5, f.sum).bind(i + 6, f.min).bind(i + 7, f.max);
            s.bind(i + 8, f.first_ts).bind(i + 9, f.first_value);
            s.bind(i + 10, f.last_ts).bind(i + 11, f.last_value);
          },
          [](const Statement&) {});
      !r)
    return r;

  // The seconds that were stored before: a params report and the tsdata message of the
  // same second in two batches, or a node reporting a second again.
  std::set<ParamBucket> recompute;
  std::vector<PointRow> replaced;
  for (const auto& row : rows) {
    if (!row.inserted)
      replaced.push_back(row);
  }
  if (auto r = replace_points(c, statements, replaced, recompute); !r)
    return r;

  const std::vector<TypeKey> type_rows(types.begin(), types.end());
  if (auto r = statements.insert_types.run(
          c, std::span<const TypeKey>(type_rows),
          [](Statement& s, int i, const TypeKey& t) {
            s.bind(i, std::get<0>(t)).bind(i + 1, std::get<1>(t)).bind(i + 2, std::get<2>(t));
          },
          [](const Statement&) {});
      !r)
    return r;

  // The buckets that could not be kept incrementally, recomputed from their points.
  for (const auto& [node_id, param, bucket] : recompute) {
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
    const NodePoints one{node_id, points};
    return c.transaction([&] { return add_time_series_points(c, std::span(&one, 1)); });
  });
}

}  // namespace stratus::storage::sql
