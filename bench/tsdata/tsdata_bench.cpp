// `stratus-tsdata-bench`: generates a time-series store and times the two reads issue 15
// sets targets for (bench/README.md): a one-year daily average of one param (≤ 50 ms) and
// a one-day raw read (≤ 20 ms). A day interval spans at most 31 days (rainmaker-cloud.md
// §4.1), so the year is read as a client must: twelve queries, one per local month. Unlike
// `stratus-bench` it is not a client: it writes points in large transactions through the SQLite
// adapter (the same `add_points` the ingest writer uses, rollups included) and times
// `service::TimeSeriesService::query` in process, without HTTP, so the figures are the storage and
// the service alone. Prints `{"params":…,"results":…}` for bench/run.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "core/clock.hpp"
#include "service/time_series_service.hpp"
#include "service/time_windows.hpp"
#include "stats.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "storage/sql/time_series_repository.hpp"
#include "storage/sqlite/connection.hpp"

namespace {

namespace json = boost::json;
namespace rest = stratus::proto::rest;
using namespace stratus;
using Steady = std::chrono::steady_clock;

constexpr std::int64_t kStart = 1735689600;  // 2025-01-01T00:00Z
constexpr std::int64_t kYearS = 365 * 86400;
constexpr std::string_view kNode = "benchnode0001";
constexpr std::string_view kUser = "bench-user";

struct Options {
  std::string db = "tsdata-bench.db";
  std::int64_t points = 10'000'000;
  std::int64_t step_s = 60;
  std::size_t batch = 100'000;
  int runs = 50;
  std::string timezone = "Europe/Berlin";
};

std::string param_name(std::int64_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "Sensor.P%03lld", static_cast<long long>(i));
  return name;
}

// Writes `o.points` points: params of one year each at `o.step_s`, values a daily wave.
// Returns the seconds it took, or an error.
Result<double> generate(storage::sql::SqlTimeSeriesRepository& series, const Options& o) {
  const auto begin = Steady::now();
  const std::int64_t per_param = kYearS / o.step_s;
  std::vector<storage::TsPoint> batch;
  batch.reserve(o.batch);
  std::int64_t written = 0;
  for (std::int64_t p = 0; written < o.points; ++p) {
    const auto name = param_name(p);
    for (std::int64_t i = 0; i < per_param && written < o.points; ++i, ++written) {
      const std::int64_t ts = kStart + i * o.step_s;
      const double value =
          20.0 + 5.0 * std::sin(static_cast<double>(ts % 86400) / 13751.0) + static_cast<double>(p);
      batch.push_back({name, ts, "float", value, {}, "tsdata"});
      if (batch.size() == o.batch) {
        if (auto r = series.add_points(kNode, batch); !r)
          return fail(r.error());
        batch.clear();
        std::cerr << "\rtsdata-bench: " << written + 1 << " points" << std::flush;
      }
    }
  }
  if (!batch.empty()) {
    if (auto r = series.add_points(kNode, batch); !r)
      return fail(r.error());
  }
  std::cerr << "\n";
  return std::chrono::duration<double>(Steady::now() - begin).count();
}

// Times `queries`, one after the other, each followed through every page, `runs` times
// after one warm-up; returns the stats and how many values and pages one run read.
Result<json::object> time_queries(service::TimeSeriesService& service,
                                  std::vector<rest::TsDataQuery> queries, int runs) {
  const service::Principal who{std::string(kUser), "bench", false};
  std::vector<double> full_ms, first_page_ms;
  std::size_t values = 0, pages = 0;
  for (int run = -1; run < runs; ++run) {
    values = pages = 0;
    const auto begin = Steady::now();
    double first = 0;
    for (auto& query : queries) {
      query.start_id.clear();
      while (true) {
        auto answer = service.query(who, query, false);
        if (!answer)
          return fail(answer.error());
        if (pages++ == 0)
          first = bench::ms_between(begin, Steady::now());
        values += answer->values.size();
        if (answer->next_id.empty())
          break;
        query.start_id = answer->next_id;
      }
    }
    if (run >= 0) {
      full_ms.push_back(bench::ms_between(begin, Steady::now()));
      first_page_ms.push_back(first);
    }
  }
  return json::object{{"values", values},
                      {"queries", queries.size()},
                      {"pages", pages},
                      {"all", bench::to_json(bench::latency_stats(full_ms))},
                      {"first_page", bench::to_json(bench::latency_stats(first_page_ms))}};
}

int run(const Options& o) {
  auto db = storage::sqlite::open_database(o.db, {}, 2);
  if (!db) {
    std::cerr << "tsdata-bench: " << db.error().message() << "\n";
    return 1;
  }
  storage::sql::SqlTimeSeriesRepository series(*db);
  storage::sql::SqlNodeRepository nodes(*db);
  storage::sql::SqlAccountRepository accounts(*db);
  // A store generated by an earlier run with the same size is reused.
  auto stored = (*db)->with(
      [](storage::sql::Connection& c) { return c.query_int("SELECT count(*) FROM ts_points"); });
  double generate_s = 0;
  const bool reused = stored && *stored == o.points;
  if (!reused) {
    if (stored && *stored > 0) {
      std::cerr << "tsdata-bench: " << o.db << " holds " << *stored << " points, not " << o.points
                << "; use another --db\n";
      return 1;
    }
    (void)accounts.create_user(
        {std::string(kUser), "bench@example.com", "x", true, false, "", kStart, kStart});
    auto mapped = nodes.write([](storage::NodeWriter& w) -> Result<void> {
      if (auto r = w.ensure_node(kNode, kStart); !r)
        return r;
      return w.add_user(kUser, kNode, "primary", kStart);
    });
    if (!mapped) {
      std::cerr << "tsdata-bench: " << mapped.error().message() << "\n";
      return 1;
    }
    auto took = generate(series, o);
    if (!took) {
      std::cerr << "tsdata-bench: " << took.error().message() << "\n";
      return 1;
    }
    generate_s = *took;
  }
  const SystemClock clock;
  service::TimeSeriesService service(series, nodes, clock);

  // Twelve local months of daily averages (each ≤ 31 days, the most a day interval spans).
  auto months = service::TimeWindows::create(o.timezone, rest::TsInterval::month, 1);
  if (!months) {
    std::cerr << "tsdata-bench: " << months.error().message() << "\n";
    return 1;
  }
  std::vector<rest::TsDataQuery> yearly;
  for (auto month = months->floor(kStart); yearly.size() < 12;) {
    const auto next = months->next(month);
    rest::TsDataQuery q;
    q.node_id = std::string(kNode);
    q.param_name = param_name(0);
    q.aggregate = rest::TsAggregate::avg;
    q.interval = rest::TsInterval::day;
    q.timezone = o.timezone;
    q.start_time = month;
    q.end_time = next;
    yearly.push_back(std::move(q));
    month = next;
  }
  rest::TsDataQuery daily;
  daily.node_id = std::string(kNode);
  daily.param_name = param_name(0);
  daily.start_time = kStart + 180 * 86400;
  daily.end_time = *daily.start_time + 86400;

  auto year = time_queries(service, yearly, o.runs);
  auto day = time_queries(service, std::vector<rest::TsDataQuery>{daily}, o.runs);
  if (!year || !day) {
    std::cerr << "tsdata-bench: " << (year ? day.error() : year.error()).message() << "\n";
    return 1;
  }
  const std::int64_t per_param = kYearS / o.step_s;
  json::object out{
      {"params",
       {{"points", o.points},
        {"params", (o.points + per_param - 1) / per_param},
        {"step_s", o.step_s},
        {"batch_points", o.batch},
        {"runs", o.runs},
        {"timezone", o.timezone},
        {"store_reused", reused}}},
      {"results",
       {{"generate_s", bench::rounded(generate_s, 1)},
        {"generate_points_per_s",
         generate_s > 0 ? bench::rounded(static_cast<double>(o.points) / generate_s, 0) : 0.0},
        {"year_daily_avg", *year},
        {"day_raw", *day}}}};
  std::cout << json::serialize(out) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Generates a time-series store and times year-daily and day-raw reads"};
  app.add_option("--db", o.db, "SQLite file (reused when it holds --points points)");
  app.add_option("--points", o.points, "Points to generate (one year per param)");
  app.add_option("--step", o.step_s, "Seconds between points of a param");
  app.add_option("--batch", o.batch, "Points per transaction while generating");
  app.add_option("--runs", o.runs, "Timed runs of each query (after one warm-up)");
  app.add_option("--tz", o.timezone, "Zone of the daily windows");
  CLI11_PARSE(app, argc, argv);
  return run(o);
}
