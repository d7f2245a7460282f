// Proves the time-series store (docs/adr/0011): calendar windows in IANA zones across DST
// (Europe/Berlin 2026-03-29 is 23 h, 2026-10-25 is 25 h), every aggregate and interval
// against hand-computed values, paging, the 1260xx refusals, access (another user's node
// answers as unknown), ingest of tsdata/simple_tsdata/params reports with the dropped
// timestamps, the retention prune, and deletion on a node reset.
// How: real SQLite in a temp dir, a ManualClock, the real ingest writer and service.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "proto/rest/error_codes.hpp"
#include "service/command_service.hpp"
#include "service/node_ingest.hpp"
#include "service/time_series_service.hpp"
#include "service/time_windows.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/command_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "storage/sql/time_series_repository.hpp"
#include "support/recording_events.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using namespace std::chrono_literals;
using rest::TsAggregate;
using rest::TsInterval;

// --- windows -----------------------------------------------------------------------

TimeWindows windows(std::string_view zone, TsInterval interval, int week_start = 1) {
  auto w = TimeWindows::create(zone, interval, week_start);
  EXPECT_TRUE(w) << zone;
  return *w;
}

TEST(TimeWindows, BerlinSpringForwardDayIs23Hours) {
  const auto day = windows("Europe/Berlin", TsInterval::day);
  const std::int64_t start = 1774738800;    // 2026-03-28T23:00Z = 03-29 00:00 CET
  EXPECT_EQ(day.floor(1774785600), start);  // 03-29 12:00Z
  EXPECT_EQ(day.next(start), 1774821600);   // 03-29T22:00Z = 03-30 00:00 CEST
  EXPECT_EQ(day.next(start) - start, 23 * 3600);
  // Local 23:30 CEST on 03-29 (21:30Z) is still that day; 00:30 on 03-30 is not.
  EXPECT_EQ(day.floor(1774819800), start);
  EXPECT_EQ(day.floor(1774823400), 1774821600);
}

TEST(TimeWindows, BerlinFallBackDayIs25Hours) {
  const auto day = windows("Europe/Berlin", TsInterval::day);
  const std::int64_t start = 1792879200;  // 2026-10-24T22:00Z = 10-25 00:00 CEST
  EXPECT_EQ(day.floor(1792929600), start);
  EXPECT_EQ(day.next(start), 1792969200);  // 10-25T23:00Z = 10-26 00:00 CET
  EXPECT_EQ(day.next(start) - start, 25 * 3600);
  EXPECT_EQ(day.previous(1792969200), start);
}

TEST(TimeWindows, WeeksMonthsYearsAndHours) {
  // 2026-03-29 is a Sunday: the Berlin week from Monday began 03-23 00:00 CET.
  EXPECT_EQ(windows("Europe/Berlin", TsInterval::week, 1).floor(1774785600), 1774220400);
  // From Sunday, the week began that Sunday (local midnight, still CET).
  EXPECT_EQ(windows("Europe/Berlin", TsInterval::week, 0).floor(1774785600), 1774738800);
  const auto month = windows("Europe/Berlin", TsInterval::month);
  EXPECT_EQ(month.floor(1774785600), 1772319600);  // 2026-02-28T23:00Z = 03-01 00:00 CET
  EXPECT_EQ(month.next(1772319600) - 1772319600, 31 * 86400 - 3600);  // March loses an hour
  EXPECT_EQ(windows("Europe/Berlin", TsInterval::year).floor(1774785600), 1767222000);
  // Kolkata (+05:30) hours start at :30 UTC.
  EXPECT_EQ(windows("Asia/Kolkata", TsInterval::hour).floor(1767226200), 1767223800);
  EXPECT_EQ(windows("UTC", TsInterval::minute).floor(1767226219), 1767226200);
}

TEST(TimeWindows, ZoneNamesAnyCase) {
  EXPECT_EQ(windows("europe/BERLIN", TsInterval::day).zone_name(), "Europe/Berlin");
  EXPECT_EQ(windows("utc", TsInterval::day).zone_name(), "UTC");
  EXPECT_EQ(windows("us/pacific", TsInterval::day).zone_name(), "US/Pacific");
  auto bad = TimeWindows::create("Mars/Olympus", TsInterval::day, 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().reason, rest::tsdata_error::timezone_invalid);
}

// --- the service over SQLite -----------------------------------------------------------

constexpr std::int64_t kNow = 1775001600;  // 2026-04-01T00:00Z

constexpr std::string_view kConfig =
    R"({"node_id":"n1","config_version":"2020-03-20","info":{"name":"n","fw_version":"1","type":"t"},)"
    R"("devices":[{"name":"S","type":"esp.device.sensor","params":[)"
    R"({"name":"T","data_type":"float","properties":["read","time_series"]},)"
    R"({"name":"Plain","data_type":"int","properties":["read"]}]}]})";

class TimeSeriesTest : public ::testing::Test {
 protected:
  TimeSeriesTest()
      : clock_(std::chrono::system_clock::time_point(std::chrono::seconds(kNow))),
        db_(test::open_test_database(dir_, 3)),
        accounts_(db_),
        nodes_(db_),
        commands_repo_(db_),
        series_repo_(db_),
        commands_(commands_repo_, nodes_, accounts_, messenger_, events_, clock_, metrics_, {},
                  audit_),
        ingest_(nodes_, messenger_, commands_, events_, clock_, metrics_,
                IngestOptions{1000, 100, 1ms, 300s}),
        series_(series_repo_, nodes_, clock_, TimeSeriesOptions{std::chrono::days{30}, 3}) {
    for (const auto* u : {"u1", "u2"}) {
      EXPECT_TRUE(accounts_.create_user(
          {u, std::string(u) + "@example.com", "x", true, false, "", kNow, kNow}));
    }
    ingest_.start();
    submit(ConfigReported{std::string(kConfig)});
    settle();
    EXPECT_TRUE(
        nodes_.write([](storage::NodeWriter& w) { return w.add_user("u1", "n1", "primary", 1); }));
  }

  void submit(decltype(NodeEvent::body) body) {
    ASSERT_TRUE(ingest_.submit(NodeEvent{"n1", unix_ms(clock_.now()), std::move(body)}));
  }
  void settle() { ASSERT_TRUE(ingest_.flush(5s)); }

  void add(std::string param, std::string type, std::vector<std::pair<std::int64_t, double>> v) {
    std::vector<storage::TsPoint> points;
    for (auto [ts, x] : v)
      points.push_back({param, ts, type, x, {}, "tsdata"});
    ASSERT_TRUE(series_repo_.add_points("n1", points));
  }

  static rest::TsDataQuery query(TsAggregate a, std::optional<TsInterval> i, std::int64_t from,
                                 std::int64_t to, std::string type = "float") {
    rest::TsDataQuery q;
    q.node_id = "n1";
    q.param_name = "S.T";
    q.type = std::move(type);
    q.aggregate = a;
    q.interval = i;
    q.start_time = from;
    q.end_time = to;
    return q;
  }

  rest::TsDataAnswer ok(const rest::TsDataQuery& q, const Principal& who = {"u1", "s", false},
                        bool admin = false) {
    auto a = series_.query(who, q, admin);
    EXPECT_TRUE(a) << (a ? "" : a.error().message());
    return a ? *a : rest::TsDataAnswer{};
  }
  int refused(const rest::TsDataQuery& q, const Principal& who = {"u1", "s", false},
              bool admin = false) {
    auto a = series_.query(who, q, admin);
    EXPECT_FALSE(a);
    return a ? 0 : a.error().reason;
  }
  // "ts=val ts=val …" of an answer.
  static std::string values(const rest::TsDataAnswer& a) {
    std::string out;
    for (const auto& v : a.values)
      out += (out.empty() ? "" : " ") + std::to_string(v.ts) + "=" + json::serialize(v.val);
    return out;
  }

  test::TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  MetricsRegistry metrics_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlNodeRepository nodes_;
  storage::sql::SqlCommandRepository commands_repo_;
  storage::sql::SqlTimeSeriesRepository series_repo_;
  test::NoMessenger messenger_;
  test::RecordingEvents events_;
  CommandService commands_;
  NodeIngest ingest_;
  TimeSeriesService series_;
};

// 2026-01-10 (a Saturday): 00:00:10 → 1, 00:20 → 3, 01:05 → 5; 2026-01-11 00:00 → 10.
constexpr std::int64_t kJan10 = 1768003200, kJan11 = 1768089600, kJan12 = 1768176000;

class Aggregates : public TimeSeriesTest {
 protected:
  Aggregates() {
    add("S.T", "float", {{1768003210, 1.0}, {1768004400, 3.0}, {1768007100, 5.0}, {kJan11, 10.0}});
  }
};

TEST_F(Aggregates, EachAggregatePerDay) {
  const auto day = [&](TsAggregate a) {
    return values(ok(query(a, TsInterval::day, kJan10, kJan12)));
  };
  EXPECT_EQ(day(TsAggregate::avg), "1768003200=3E0 1768089600=1E1");
  EXPECT_EQ(day(TsAggregate::sum), "1768003200=9E0 1768089600=1E1");
  EXPECT_EQ(day(TsAggregate::min), "1768003200=1E0 1768089600=1E1");
  EXPECT_EQ(day(TsAggregate::max), "1768003200=5E0 1768089600=1E1");
  EXPECT_EQ(day(TsAggregate::count), "1768003200=3 1768089600=1");
  EXPECT_EQ(day(TsAggregate::latest), "1768003200=5E0 1768089600=1E1");
}

// A new point is folded into its quarter hour's rollup; a point written again with the
// same value (params and tsdata for one second) leaves it alone; a replaced value inside
// the bucket's range adjusts it in place; a replaced minimum or maximum makes it
// recomputed from the points; two writes of one second in one call store the later
// (issue 24: no full recompute per point).
TEST_F(TimeSeriesTest, RollupsFoldNewPointsAndRecomputeReplacedOnes) {
  const std::int64_t b = kJan10;  // a quarter-hour boundary
  // The bucket's row as stored, first and last included (sum_rollups reads no firsts).
  const auto rollup = [&] {
    auto r = db_->with([&](storage::sql::Connection& c) {
      return c.query_one(
          "SELECT count, sum, min, max, first_ts, first_value, last_ts, last_value FROM "
          "ts_rollups WHERE node_id = 'n1' AND param_name = 'S.T' AND bucket = ?1",
          {"no rollup"},
          [](const storage::sql::Statement& s) {
            return storage::TsRollup{0,         s.integer(0), s.real(1),
                                     s.real(2), s.real(3),    s.integer(4),
                                     s.real(5), s.integer(6), s.real(7)};
          },
          b);
    });
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? *r : storage::TsRollup{};
  };
  add("S.T", "float", {{b + 10, 4.0}, {b + 20, 2.0}});
  add("S.T", "float", {{b + 30, 6.0}});
  add("S.T", "float", {{b + 5, 8.0}});  // before the first
  auto r = rollup();
  EXPECT_EQ(r.count, 4);
  EXPECT_DOUBLE_EQ(r.sum, 20.0);
  EXPECT_DOUBLE_EQ(r.min, 2.0);
  EXPECT_DOUBLE_EQ(r.max, 8.0);
  EXPECT_EQ(r.first_ts, b + 5);
  EXPECT_DOUBLE_EQ(r.first_value, 8.0);
  EXPECT_EQ(r.last_ts, b + 30);
  EXPECT_DOUBLE_EQ(r.last_value, 6.0);

  const std::vector<storage::TsPoint> again{{"S.T", b + 20, "float", 2.0, {}, "params"}};
  ASSERT_TRUE(series_repo_.add_points("n1", again));
  r = rollup();
  EXPECT_EQ(r.count, 4);
  EXPECT_DOUBLE_EQ(r.sum, 20.0);
  auto stored = series_repo_.points({"n1", "S.T", "float", b + 20, b + 21}, false, 10);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().source, "params");  // the later write's source

  add("S.T", "float", {{b + 5, 3.0}});  // replaces the maximum
  r = rollup();
  EXPECT_EQ(r.count, 4);
  EXPECT_DOUBLE_EQ(r.sum, 15.0);
  EXPECT_DOUBLE_EQ(r.min, 2.0);
  EXPECT_DOUBLE_EQ(r.max, 6.0);
  EXPECT_EQ(r.first_ts, b + 5);
  EXPECT_DOUBLE_EQ(r.first_value, 3.0);
  EXPECT_DOUBLE_EQ(r.last_value, 6.0);

  // Neither minimum nor maximum: adjusted in place, the last value too.
  add("S.T", "float", {{b + 40, 4.0}});
  add("S.T", "float", {{b + 10, 5.0}, {b + 40, 5.0}});
  r = rollup();
  EXPECT_EQ(r.count, 5);
  EXPECT_DOUBLE_EQ(r.sum, 21.0);  // 3 + 5 + 2 + 6 + 5
  EXPECT_DOUBLE_EQ(r.min, 2.0);
  EXPECT_DOUBLE_EQ(r.max, 6.0);
  EXPECT_EQ(r.last_ts, b + 40);
  EXPECT_DOUBLE_EQ(r.last_value, 5.0);
  // The minimum replaced by a higher value: recomputed.
  add("S.T", "float", {{b + 20, 7.0}});
  r = rollup();
  EXPECT_DOUBLE_EQ(r.sum, 26.0);
  EXPECT_DOUBLE_EQ(r.min, 3.0);
  EXPECT_DOUBLE_EQ(r.max, 7.0);

  // Two writes of one second in one call: the later one, counted once.
  const std::vector<storage::TsPoint> pair{{"S.T", b + 50, "float", 1.0, {}, "params"},
                                           {"S.T", b + 50, "float", 9.0, {}, "tsdata"}};
  ASSERT_TRUE(series_repo_.add_points("n1", pair));
  r = rollup();
  EXPECT_EQ(r.count, 6);
  EXPECT_DOUBLE_EQ(r.sum, 35.0);
  EXPECT_DOUBLE_EQ(r.max, 9.0);
  EXPECT_EQ(r.last_ts, b + 50);
  EXPECT_DOUBLE_EQ(r.last_value, 9.0);
  stored = series_repo_.points({"n1", "S.T", "float", b + 50, b + 51}, false, 10);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_DOUBLE_EQ(stored->front().number, 9.0);
  EXPECT_EQ(stored->front().source, "tsdata");
}

// The ingest writer's batch: the points of many nodes in one call, in multi-row chunks
// (64, 32, … rows), new and replaced points mixed. Every rollup must equal the one
// computed from the stored points, and each point and data type be stored once.
TEST_F(TimeSeriesTest, ABatchOfManyNodesKeepsEveryRollupEqualToItsPoints) {
  const std::int64_t b = kJan10;
  const std::vector<std::string> ids{"n1", "n2", "n3"};
  // Round 1: 101 points per node over two buckets; round 2 replaces every seventh point
  // (some by the same value, some by another, one by a string) and adds new ones, to a
  // stored bucket (its rollup folds five points at once, a new minimum among them) and
  // to a new one.
  const auto round = [&](int which) {
    std::vector<std::vector<storage::TsPoint>> per_node(ids.size());
    for (std::size_t n = 0; n < ids.size(); ++n) {
      for (int i = 0; i <= 100; ++i) {
        const std::int64_t ts = b + 890 + i;  // crosses b + 900
        double v = (i * 37 + static_cast<int>(n) * 11) % 23 - 5.5;
        if (which == 2) {
          if (i % 7 != 0)
            continue;
          v = i % 14 == 0 ? v : v * 3;  // half the same value, half replaced
        }
        per_node[n].push_back({"S.T", ts, "float", v, {}, which == 1 ? "tsdata" : "params"});
      }
      if (which == 2) {
        for (int i = 1; i <= 5; ++i)  // new seconds folded into a stored rollup
          per_node[n].push_back({"S.T", b + 990 + i, "float", -7.0 + i, {}, "params"});
        per_node[n].push_back({"S.T", b + 2000, "float", 1.25, {}, "params"});  // new bucket
        per_node[n].push_back({"S.T", b + 895, "string", 0, "off", "params"});  // type change
      }
    }
    std::vector<storage::NodePoints> batch;
    for (std::size_t n = 0; n < ids.size(); ++n)
      batch.push_back({ids[n], per_node[n]});
    ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) { return w.add_points(batch); }));
  };
  round(1);
  round(2);

  const auto count = [&](std::string_view sql) {
    auto n = db_->with([&](storage::sql::Connection& c) { return c.query_int(sql); });
    EXPECT_TRUE(n) << (n ? "" : n.error().message());
    return n ? *n : -1;
  };
  EXPECT_EQ(count("SELECT count(*) FROM ts_points"), 3 * (101 + 5 + 1));
  EXPECT_EQ(count("SELECT count(*) FROM ts_points WHERE source = 'params'"), 3 * (15 + 5 + 2));
  EXPECT_EQ(count("SELECT count(*) FROM ts_param_types"), 3 * 2);
  // Every stored rollup against its points: count, sum, min, max, first and last.
  EXPECT_EQ(count("SELECT count(*) FROM ts_rollups"), 3 * 3);
  EXPECT_EQ(count("SELECT count(*) FROM ts_rollups r WHERE NOT EXISTS (SELECT 1 FROM ("
                  "SELECT count(*) AS n, sum(p.num) AS s, min(p.num) AS lo, max(p.num) AS hi, "
                  "min(p.ts) AS t0, max(p.ts) AS t1 FROM ts_points p WHERE p.node_id = r.node_id "
                  "AND p.param_name = r.param_name AND p.data_type = r.data_type AND "
                  "p.ts >= r.bucket AND p.ts < r.bucket + 900) a WHERE a.n = r.count AND "
                  "abs(a.s - r.sum) < 1e-9 AND a.lo = r.min AND a.hi = r.max AND "
                  "a.t0 = r.first_ts AND a.t1 = r.last_ts) OR r.first_value <> (SELECT f.num "
                  "FROM ts_points f WHERE f.node_id = r.node_id AND f.param_name = r.param_name "
                  "AND f.ts = r.first_ts) OR r.last_value <> (SELECT l.num FROM ts_points l "
                  "WHERE l.node_id = r.node_id AND l.param_name = r.param_name AND "
                  "l.ts = r.last_ts)"),
            0);
}

TEST_F(Aggregates, EachInterval) {
  EXPECT_EQ(values(ok(query(TsAggregate::count, TsInterval::minute, kJan10, kJan10 + 7200))),
            "1768003200=1 1768004400=1 1768007100=1");
  EXPECT_EQ(values(ok(query(TsAggregate::avg, TsInterval::hour, kJan10, kJan11))),
            "1768003200=2E0 1768006800=5E0");
  // Monday weeks: both days are in the week of Monday 01-05; Sunday weeks split them.
  EXPECT_EQ(values(ok(query(TsAggregate::avg, TsInterval::week, kJan10, kJan12))),
            "1767571200=4.75E0");
  auto sunday = query(TsAggregate::avg, TsInterval::week, kJan10, kJan12);
  sunday.week_start = 0;
  EXPECT_EQ(values(ok(sunday)), "1767484800=3E0 1768089600=1E1");
  EXPECT_EQ(values(ok(query(TsAggregate::sum, TsInterval::month, kJan10, kJan12))),
            "1767225600=1.9E1");
  EXPECT_EQ(values(ok(query(TsAggregate::count, TsInterval::year, kJan10, kJan12))),
            "1767225600=4");
}

TEST_F(Aggregates, RawPagesAndOrder) {
  auto q = query(TsAggregate::raw, std::nullopt, kJan10, kJan12);
  q.num_records = 3;
  auto first = ok(q);
  EXPECT_EQ(values(first), "1768003210=1E0 1768004400=3E0 1768007100=5E0");
  EXPECT_EQ(first.next_id, "S.T-float-1768089600");
  q.start_id = first.next_id;
  auto second = ok(q);
  EXPECT_EQ(values(second), "1768089600=1E1");
  EXPECT_EQ(second.next_id, "");
  q.start_id.clear();
  q.desc_order = true;
  q.num_records = 2;
  auto newest = ok(q);
  EXPECT_EQ(values(newest), "1768089600=1E1 1768007100=5E0");
  q.start_id = newest.next_id;
  EXPECT_EQ(values(ok(q)), "1768004400=3E0 1768003210=1E0");
}

TEST_F(Aggregates, AggregatePagesFollowWindows) {
  auto q = query(TsAggregate::count, TsInterval::minute, kJan10, kJan10 + 7200);
  q.num_records = 2;
  auto first = ok(q);
  EXPECT_EQ(values(first), "1768003200=1 1768004400=1");
  q.start_id = first.next_id;
  EXPECT_EQ(values(ok(q)), "1768007100=1");
}

TEST_F(Aggregates, NumIntervalsCountsBackFromNow) {
  clock_.advance(std::chrono::seconds(kJan11 + 3600 - kNow));  // back to 2026-01-11 01:00Z
  rest::TsDataQuery q = query(TsAggregate::sum, TsInterval::day, 0, 0);
  q.start_time.reset();
  q.end_time.reset();
  q.num_intervals = 2;
  EXPECT_EQ(values(ok(q)), "1768003200=9E0 1768089600=1E1");
  q.num_intervals = 1;
  EXPECT_EQ(values(ok(q)), "1768089600=1E1");
}

TEST_F(TimeSeriesTest, BerlinDaysAcrossDstHoldTheirLocalPoints) {
  // Local 23:30 CEST on 03-29 and 00:30 on 03-30.
  add("S.T", "float", {{1774819800, 7.0}, {1774823400, 9.0}});
  auto q = query(TsAggregate::sum, TsInterval::day, 1774738800, 1774908000);
  q.timezone = "Europe/Berlin";
  auto a = ok(q);
  EXPECT_EQ(values(a), "1774738800=7E0 1774821600=9E0");
  EXPECT_EQ(a.timezone, "Europe/Berlin");
  q.timezone = "UTC";
  q.start_time = 1774742400;
  EXPECT_EQ(values(ok(q)), "1774742400=1.6E1");
}

TEST_F(TimeSeriesTest, IntsStayIntsAndBoolsAndStringsAllowRawLatestCount) {
  add("S.I", "int", {{kJan10, 2}, {kJan10 + 60, 5}});
  auto q = query(TsAggregate::max, TsInterval::day, kJan10, kJan11, "int");
  q.param_name = "S.I";
  EXPECT_EQ(values(ok(q)), "1768003200=5");
  q.aggregate = TsAggregate::avg;
  EXPECT_EQ(values(ok(q)), "1768003200=3.5E0");
  add("S.B", "bool", {{kJan10, 1}, {kJan10 + 60, 0}});
  q = query(TsAggregate::latest, TsInterval::hour, kJan10, kJan11, "bool");
  q.param_name = "S.B";
  EXPECT_EQ(values(ok(q)), "1768003200=false");
  q.aggregate = TsAggregate::avg;
  EXPECT_EQ(refused(q), rest::tsdata_error::aggregate_type);
  std::vector<storage::TsPoint> texts{{"S.Mode", kJan10, "string", 0, "eco", "params"},
                                      {"S.Mode", kJan10 + 5, "string", 0, "boost", "params"}};
  ASSERT_TRUE(series_repo_.add_points("n1", texts));
  q = query(TsAggregate::latest, TsInterval::day, kJan10, kJan11, "string");
  q.param_name = "S.Mode";
  EXPECT_EQ(values(ok(q)), R"(1768003200="boost")");
  q.aggregate = TsAggregate::count;
  EXPECT_EQ(values(ok(q)), "1768003200=2");
}

// A counter (energy, volume): per day, the sum of its steps; the first step of the range
// starts from the point before it; a restart counts as its new value with
// reset_on_negative, as a negative step without.
TEST_F(TimeSeriesTest, DifferentialSumsTheStepsOfACounter) {
  add("S.T", "float",
      {{kJan10 - 60, 8},
       {kJan10 + 10, 10},
       {kJan10 + 20, 15},
       {kJan10 + 30, 25},
       {kJan11 + 10, 5},
       {kJan11 + 20, 8}});
  auto q = query(TsAggregate::sum, TsInterval::day, kJan10, kJan12);
  q.differential = true;
  auto a = ok(q);
  EXPECT_EQ(values(a), "1768003200=1.7E1 1768089600=-1.7E1");
  EXPECT_TRUE(a.differential);
  q.reset_on_negative = true;
  EXPECT_EQ(values(ok(q)), "1768003200=1.7E1 1768089600=8E0");
  q.aggregate = TsAggregate::max;
  EXPECT_EQ(values(ok(q)), "1768003200=1E1 1768089600=5E0");
  q = query(TsAggregate::raw, std::nullopt, kJan10, kJan12);
  q.differential = true;
  EXPECT_EQ(refused(q), rest::tsdata_error::differential_type);
  q = query(TsAggregate::sum, TsInterval::day, kJan10, kJan12);
  q.reset_on_negative = true;
  EXPECT_EQ(refused(q), rest::request_error::invalid_request_body);
}

TEST_F(Aggregates, RefusalsNameTheirCode) {
  using namespace rest::tsdata_error;
  auto q = query(TsAggregate::raw, TsInterval::day, kJan10, kJan11);
  EXPECT_EQ(refused(q), interval_invalid);
  q = query(TsAggregate::avg, std::nullopt, kJan10, kJan11);
  EXPECT_EQ(refused(q), interval_invalid);
  q = query(TsAggregate::latest, TsInterval::month, kJan10, kJan11);
  EXPECT_EQ(refused(q), latest_month_year);
  q = query(TsAggregate::avg, TsInterval::day, kJan10, kJan11);
  q.start_time.reset();
  q.end_time.reset();
  EXPECT_EQ(refused(q), range_required);
  q = query(TsAggregate::avg, TsInterval::day, kJan10, kJan11);
  q.end_time.reset();
  EXPECT_EQ(refused(q), time_missing);
  q = query(TsAggregate::avg, TsInterval::day, kJan11, kJan10);
  EXPECT_EQ(refused(q), start_not_before_end);
  q = query(TsAggregate::avg, TsInterval::hour, kJan10, kJan10 + 86401);
  EXPECT_EQ(refused(q), span_too_long);
  q = query(TsAggregate::raw, std::nullopt, kJan10, kJan10 + 32 * 86400);
  EXPECT_EQ(refused(q), span_too_long);
  q = query(TsAggregate::avg, TsInterval::day, kJan10, kJan11);
  q.num_intervals = 2;
  EXPECT_EQ(refused(q), num_intervals_invalid);
  q = query(TsAggregate::avg, TsInterval::day, kJan10, kJan11);
  q.timezone = "Nowhere/Land";
  EXPECT_EQ(refused(q), timezone_invalid);
  q = query(TsAggregate::avg, TsInterval::day, kJan10, kJan11, "int");
  EXPECT_EQ(refused(q), type_mismatch);
  q = query(TsAggregate::raw, std::nullopt, kJan10, kJan11);
  q.start_id = "S.T-float-1";  // outside the range
  EXPECT_EQ(refused(q), start_id_invalid);
}

TEST_F(Aggregates, OtherUsersNodeIsUnknownAndAdminTwinNeedsSuperAdmin) {
  const auto q = query(TsAggregate::raw, std::nullopt, kJan10, kJan11);
  const Principal stranger{"u2", "s", false};
  EXPECT_EQ(refused(q, stranger), rest::node_error::node_not_found);
  auto unknown = q;
  unknown.node_id = "nope";
  EXPECT_EQ(refused(unknown), rest::node_error::node_not_found);
  EXPECT_EQ(refused(q, stranger, true), rest::request_error::not_authorized);
  EXPECT_EQ(ok(q, Principal{"u2", "s", true}, true).values.size(), 3u);
}

TEST_F(TimeSeriesTest, IngestStoresTsdataSimpleAndTimeSeriesParams) {
  const auto now = kNow;
  submit(TimeSeriesReported{{{"S.T", "float", now - 60, json::value(20.5)},
                             {"S.T", "float", 900000000, json::value(1.0)},    // 1998
                             {"S.T", "float", now + 3600, json::value(2.0)}},  // future
                            false});
  submit(TimeSeriesReported{{{"S.H", "int", now - 30, json::value(40)}}, true});
  // S.T is marked time_series: its report is a point at the receive time; S.Plain is not.
  submit(ParamsReported{R"({"S":{"T":21.5,"Plain":3}})", false});
  // A wrong type for a marked param is dropped.
  submit(ParamsReported{R"({"S":{"T":"warm"}})", false});
  settle();
  auto q = query(TsAggregate::raw, std::nullopt, now - 3600, now + 3600);
  EXPECT_EQ(values(ok(q)), std::to_string(now - 60) + "=2.05E1 " + std::to_string(now) + "=2.15E1");
  q.param_name = "S.Plain";
  q.type = "int";
  EXPECT_EQ(ok(q).values.size(), 0u);
  rest::TsDataQuery simple;
  simple.simple = true;
  simple.node_id = "n1";
  simple.param_name = "S.H";
  simple.type = "int";
  EXPECT_EQ(values(ok(simple)), std::to_string(now - 30) + "=40");
  const auto dropped = [&](const char* reason) {
    return metrics_.counter("stratus_ts_points_dropped_total", "", {{"reason", reason}}).value();
  };
  EXPECT_EQ(dropped("before_2001"), 1u);
  EXPECT_EQ(dropped("future"), 1u);
  EXPECT_EQ(dropped("type_mismatch"), 1u);
  // The same second from tsdata after the params report: stored once, the later wins.
  submit(TimeSeriesReported{{{"S.T", "float", now, json::value(22.0)}}, false});
  settle();
  q = query(TsAggregate::count, TsInterval::minute, now, now + 60);
  EXPECT_EQ(values(ok(q)), std::to_string(now) + "=1");
  q = query(TsAggregate::raw, std::nullopt, now, now + 1);
  EXPECT_EQ(values(ok(q)), std::to_string(now) + "=2.2E1");
}

TEST_F(TimeSeriesTest, PruneRemovesWhatRetentionExpiredInBoundedPasses) {
  const std::int64_t old = kNow - 31 * 86400, young = kNow - 29 * 86400;
  add("S.T", "float", {{old, 1}, {old + 1, 2}, {old + 2, 3}, {old + 1000, 4}, {young, 5}});
  // Batches of 3 rows: points and rollups go over several passes.
  std::int64_t passes = 0, total = 0;
  while (true) {
    auto n = series_.prune_once();
    ASSERT_TRUE(n);
    if (*n == 0)
      break;
    EXPECT_LE(*n, 6);
    total += *n;
    ++passes;
  }
  EXPECT_GE(passes, 2);
  EXPECT_EQ(total, 4 + 2);  // four points, two quarter-hour rollups
  auto q = query(TsAggregate::raw, std::nullopt, old - 1, young + 1);
  q.start_time = old - 1;
  q.end_time = old + 86400;
  EXPECT_EQ(values(ok(q)), "");
  q = query(TsAggregate::count, TsInterval::day, young - 86400, young + 1);
  EXPECT_EQ(values(ok(q)), std::to_string(young - young % 86400) + "=1");
}

TEST_F(TimeSeriesTest, NodeResetDeletesItsSeries) {
  add("S.T", "float", {{kNow - 100, 1}});
  submit(MappingReported{"esp-rmaker", "failed", true});
  settle();
  EXPECT_TRUE(
      nodes_.write([](storage::NodeWriter& w) { return w.add_user("u1", "n1", "primary", 1); }));
  EXPECT_EQ(ok(query(TsAggregate::raw, std::nullopt, kNow - 1000, kNow)).values.size(), 0u);
}

}  // namespace
}  // namespace stratus::service
