// `stratus-audit-bench`: what one audit entry costs the thread that records it (docs/adr/0015).
// Two ways: (a) a synchronous `SqlAuditRepository::append` of one entry (a WAL commit per
// entry), as a service would pay if it wrote its own row; (b) `QueuedAuditLog::record` (the
// queue stratusd uses), then the time until the writer thread has stored all of them. Each
// run gets a fresh database in the working directory. Prints `{"params":…,"results":…}`.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <vector>

#include "core/clock.hpp"
#include "service/audit_log.hpp"
#include "storage/sql/audit_repository.hpp"
#include "storage/sqlite/connection.hpp"

namespace {

namespace json = boost::json;
using namespace stratus;
using Steady = std::chrono::steady_clock;

double us(Steady::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

json::object percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto at = [&](double p) {
    return v.empty() ? 0.0
                     : v[std::min(v.size() - 1,
                                  static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  };
  return json::object{
      {"p50_us", at(0.50)}, {"p99_us", at(0.99)}, {"max_us", v.empty() ? 0.0 : v.back()}};
}

storage::AuditRecord record(int i) {
  return storage::AuditRecord{0,
                              "user",
                              "u-bench",
                              "node.params.set",
                              "node",
                              "node-" + std::to_string(i % 100),
                              "192.0.2.1",
                              "ok",
                              R"({"Light":{"Power":true}})",
                              1'800'000'000'000 + i};
}

std::shared_ptr<storage::sql::Database> fresh(const std::filesystem::path& path) {
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(path.string() + suffix);
  auto db = storage::sqlite::open_database(path, {}, 2);
  if (!db) {
    std::cerr << db.error().message() << '\n';
    std::exit(1);
  }
  return *db;
}

}  // namespace

int main(int argc, char** argv) {
  int entries = 2000;
  std::string path = "audit-bench.db";
  CLI::App app{"stratus-audit-bench: the cost of recording an audit entry"};
  app.add_option("--entries", entries, "Entries per way")->check(CLI::Range(10, 1000000));
  app.add_option("--db", path, "Database file (replaced)");
  CLI11_PARSE(app, argc, argv);

  json::object results;
  {
    auto db = fresh(path);
    storage::sql::SqlAuditRepository repo(db);
    std::vector<double> lat;
    const auto start = Steady::now();
    for (int i = 0; i < entries; ++i) {
      const auto row = record(i);
      const auto t0 = Steady::now();
      if (!repo.append(std::span(&row, 1)))
        return 1;
      lat.push_back(us(Steady::now() - t0));
    }
    auto r = percentiles(lat);
    r["entries_per_s"] =
        static_cast<double>(entries) / std::chrono::duration<double>(Steady::now() - start).count();
    results["synchronous_append"] = std::move(r);
  }
  {
    auto db = fresh(path);
    storage::sql::SqlAuditRepository repo(db);
    SystemClock clock;
    service::QueuedAuditLog log(repo, clock);
    log.start();
    std::vector<double> lat;
    const auto start = Steady::now();
    for (int i = 0; i < entries; ++i) {
      auto row = record(i);
      service::AuditEntry e{service::ActorKind::user,
                            row.actor_id,
                            row.action,
                            row.object_kind,
                            row.object_id,
                            row.remote_address,
                            row.outcome,
                            row.detail,
                            0};
      const auto t0 = Steady::now();
      log.record(std::move(e));
      lat.push_back(us(Steady::now() - t0));
    }
    const auto recorded = Steady::now();
    if (!log.flush(std::chrono::seconds(60)))
      return 1;
    auto r = percentiles(lat);
    r["all_stored_ms"] = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
    r["recording_ms"] = std::chrono::duration<double, std::milli>(recorded - start).count();
    r["written"] = log.written();
    r["dropped"] = log.dropped();
    results["queued_record"] = std::move(r);
    log.stop();
  }
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(path + suffix);
  std::cout << json::serialize(json::object{{"params", json::object{{"entries", entries}}},
                                            {"results", std::move(results)}})
            << '\n';
  return 0;
}
