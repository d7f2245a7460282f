// Micro-benchmarks of the pure functions on the ingest and control paths (bench/README.md):
// topic parsing, params report decoding, deep merge into the stored state, validation of a
// set against a node config, the cmd-resp TLV codec, the cluster relay's codec (what
// every instance of a cluster does to each event another produced), and the ingest
// writer's statements for one batch on SQLite. Inputs are what a RainMaker light sends
// (tests/data/node_config_light.json and its params).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "link/cluster_relay.hpp"
#include "model/node_config.hpp"
#include "model/params.hpp"
#include "proc_stat.hpp"
#include "proto/cmd_resp.hpp"
#include "proto/payloads.hpp"
#include "proto/topics.hpp"
#include "storage/postgres/connection.hpp"
#include "storage/sql/node_repository.hpp"
#include "storage/sqlite/connection.hpp"

namespace {

namespace json = boost::json;
using namespace stratus;

constexpr std::size_t kMaxPayload = 65536;

// A light's `params/local/init`: every device and service of node_config_light.json.
constexpr std::string_view kInitReport =
    R"({"Light":{"Name":"Living room","Power":false,"Brightness":50,"Hue":180,"Saturation":100},)"
    R"("Schedule":{"Schedules":[{"id":"8D36","name":"Evening","enabled":true,)"
    R"("triggers":[{"m":1110,"d":31}],"action":{"Light":{"Power":true}}}]},)"
    R"("Time":{"TZ":"Europe/Berlin","TZ-POSIX":"CET-1CEST,M3.5.0,M10.5.0/3"},)"
    R"("System":{"Reboot":false,"Factory-Reset":false,"Wi-Fi-Reset":false}})";
// A `params/local` delta, as a light sends after a change.
constexpr std::string_view kDeltaReport = R"({"Light":{"Brightness":73,"Power":true}})";
// A user's set, as `PUT /v1/user/nodes/params` carries it.
constexpr std::string_view kSet = R"({"Light":{"Power":true,"Brightness":40,"Hue":120}})";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void BM_parse_node_topic(benchmark::State& state) {
  const std::string topic = "node/7CDFA1B2C3D4E5F6a1b2c3/params/local";
  for (auto _ : state) {
    benchmark::DoNotOptimize(proto::parse_node_topic(topic));
  }
}
BENCHMARK(BM_parse_node_topic);

void BM_parse_node_topic_basic_ingest(benchmark::State& state) {
  const std::string topic = "$aws/rules/esp_set_params/node/7CDFA1B2C3D4E5F6a1b2c3/params/local";
  for (auto _ : state) {
    benchmark::DoNotOptimize(proto::parse_node_topic(topic));
  }
}
BENCHMARK(BM_parse_node_topic_basic_ingest);

void BM_parse_report_init(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(proto::parse_json_object(kInitReport, kMaxPayload));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kInitReport.size()));
}
BENCHMARK(BM_parse_report_init);

void BM_parse_report_delta(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(proto::parse_json_object(kDeltaReport, kMaxPayload));
  }
}
BENCHMARK(BM_parse_report_delta);

void BM_merge_report(benchmark::State& state) {
  const auto init = proto::parse_json_object(kInitReport, kMaxPayload).value();
  const auto delta = proto::parse_json_object(kDeltaReport, kMaxPayload).value();
  json::object stored = init;
  for (auto _ : state) {
    model::merge_report(stored, delta);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_merge_report);

// What the ingest writer does per report of a node whose state it already holds in the
// batch: parse the report, merge it, serialize the state to store it.
void BM_report_parse_merge_serialize(benchmark::State& state) {
  json::object stored = proto::parse_json_object(kInitReport, kMaxPayload).value();
  for (auto _ : state) {
    auto delta = proto::parse_json_object(kDeltaReport, kMaxPayload);
    model::merge_report(stored, *delta);
    benchmark::DoNotOptimize(json::serialize(stored));
  }
}
BENCHMARK(BM_report_parse_merge_serialize);

void BM_validate_set(benchmark::State& state) {
  const auto config =
      model::parse_node_config(read_file(STRATUS_TEST_DATA_DIR "/node_config_light.json")).value();
  const auto set = proto::parse_json_object(kSet, kMaxPayload).value();
  for (auto _ : state) {
    benchmark::DoNotOptimize(model::validate_set(config, set));
  }
}
BENCHMARK(BM_validate_set);

void BM_parse_node_config(benchmark::State& state) {
  const auto text = read_file(STRATUS_TEST_DATA_DIR "/node_config_light.json");
  for (auto _ : state) {
    benchmark::DoNotOptimize(model::parse_node_config(text));
  }
}
BENCHMARK(BM_parse_node_config);

proto::CmdRequest request_with_data(std::size_t bytes) {
  proto::CmdRequest r;
  r.request_id = "bJ3kXz9QaP0wLmN2";
  r.role = proto::kRolePrimary;
  r.timestamp = 1763700000;
  r.command = proto::kCmdSetParams;
  r.data = R"({"params":{"Light":{"Power":true}}})";
  r.data.resize(std::max(bytes, r.data.size()), ' ');
  return r;
}

void BM_encode_request(benchmark::State& state) {
  const auto request = request_with_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(proto::encode_request(request));
  }
}
BENCHMARK(BM_encode_request)->Arg(40)->Arg(1024);

void BM_decode_response(benchmark::State& state) {
  proto::CmdResponse response;
  response.request_id = "bJ3kXz9QaP0wLmN2";
  response.status = 0;
  response.command = proto::kCmdSetParams;
  response.data = R"({"status":"success","params":{"Light":{"Power":true}}})";
  response.data.resize(std::max(static_cast<std::size_t>(state.range(0)), response.data.size()),
                       ' ');
  const auto bytes = proto::encode_response(response);
  for (auto _ : state) {
    benchmark::DoNotOptimize(proto::decode_response(bytes));
  }
}
BENCHMARK(BM_decode_response)->Arg(60)->Arg(1024);

// A batch of `n` params events as the ingest writer produces them for the bench's switch
// nodes (docs/adr/0021): what one relay message carries.
std::vector<service::EventDraft> relay_events(std::size_t n) {
  std::vector<service::EventDraft> events(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& e = events[i];
    e.node_id = "benchnode" + std::to_string(100000 + i) + "a1b2c3d4";
    e.timestamp_ms = 1764979200000 + static_cast<std::int64_t>(i);
    e.data_json = R"({"payload":{"Switch":{"Power":true,"Name":"r)" + std::to_string(i) + R"("}}})";
  }
  return events;
}

// Per event: state.range(0) events per message.
void BM_relay_encode(benchmark::State& state) {
  const auto events = relay_events(static_cast<std::size_t>(state.range(0)));
  std::size_t too_large = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        link::encode_relay_events(events, link::kMaxRelayMessageBytes, too_large));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_relay_encode)->Arg(1000);

void BM_relay_decode(benchmark::State& state) {
  std::size_t too_large = 0;
  const auto batches =
      link::encode_relay_events(relay_events(static_cast<std::size_t>(state.range(0))),
                                link::kMaxRelayMessageBytes, too_large);
  for (auto _ : state) {
    benchmark::DoNotOptimize(link::parse_relay_message(batches.front().payload));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_relay_decode)->Arg(1000);

// The seal of a message of events, and its check on the receiving side (sender's and
// receiver's extra work per event since the relay seals its messages).
void BM_relay_seal_and_open(benchmark::State& state) {
  std::size_t too_large = 0;
  const auto batches =
      link::encode_relay_events(relay_events(static_cast<std::size_t>(state.range(0))),
                                link::kMaxRelayMessageBytes, too_large);
  const std::string key(64, 'k');
  const std::string topic = "$stratus/relay/1-0a1b2c3d";
  std::uint64_t number = 0;
  for (auto _ : state) {
    auto sealed =
        link::seal_relay_message(key, topic, batches.front().payload, ++number, 1765000000000);
    benchmark::DoNotOptimize(link::open_relay_message(key, topic, *sealed));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(batches.front().payload.size()));
}
BENCHMARK(BM_relay_seal_and_open)->Arg(1000);

// The ingest writer's statements for one batch (storage/sql/node_repository.cpp, as
// `NodeIngest::apply` calls them): `ensure_and_read`, `put_params_many` and the look for
// desired state waiting (`with_desired`, then `take_desired` for each node it names) over
// state.range(0) known lights, each row with its config and params stored, in one write
// transaction. Per update, wall time: the parse and merge are measured above. With
// `keep_rows` the batches after the first take the rows the last one wrote, with their
// versions, instead of reading them, as the writer does on PostgreSQL (docs/adr/0030).
void run_ingest_batches(benchmark::State& state, storage::sql::SqlNodeRepository& nodes,
                        const std::function<Result<void>()>& after_fill = {},
                        bool keep_rows = false) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string config = read_file(STRATUS_TEST_DATA_DIR "/node_config_light.json");
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i)
    ids.push_back("benchnode" + std::to_string(100000 + i) + "a1b2c3d4");
  std::sort(ids.begin(), ids.end());
  const auto stored = nodes.write([&](storage::NodeWriter& w) -> Result<void> {
    for (const auto& id : ids) {
      if (auto r = w.ensure_node(id, 1); !r)
        return r;
      if (auto r = w.put_config(id, config, {}, 1); !r)
        return r;
      if (auto r = w.put_params(id, kInitReport, 1); !r)
        return r;
    }
    return {};
  });
  if (!stored) {
    state.SkipWithError(stored.error().message().c_str());
    return;
  }
  if (auto r = after_fill ? after_fill() : Result<void>{}; !r) {
    state.SkipWithError(r.error().message().c_str());
    return;
  }
  std::vector<storage::ParamsWrite> writes(n);
  // The version the last batch's rows share (one statement wrote them all in one
  // transaction), when they are kept.
  std::optional<std::string> kept_version;
  std::int64_t ms = 1;
  for (auto _ : state) {
    ++ms;
    const auto r = nodes.write([&](storage::NodeWriter& w) -> Result<void> {
      if (!kept_version) {
        auto rows = w.ensure_and_read(ids, 2);
        if (!rows)
          return fail(rows.error());
        std::sort(rows->begin(), rows->end(),
                  [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
        for (std::size_t i = 0; i < rows->size(); ++i)
          writes[i] = {std::move((*rows)[i].node_id), (*rows)[i].params.value_or("{}"), ms, {}};
      } else {
        for (auto& write : writes) {
          write.ms = ms;
          write.expected_version = *kept_version;
        }
      }
      auto put = w.put_params_many(writes);
      if (!put)
        return fail(put.error());
      if (put->size() != writes.size())
        return fail(errc::conflict, "a kept row changed");
      // As the writer (NodeIngest::apply_in): the rows are kept only when the answer names
      // every write with one version.
      if (keep_rows) {
        const auto version = storage::common_version(*put, writes.size());
        if (!version)
          return fail(errc::conflict, "the rows written do not share one version");
        kept_version = std::string(*version);
      }
      // Every reporting node may have sets waiting (none here): the writer asks.
      auto waiting = w.with_desired(ids);
      if (!waiting)
        return fail(waiting.error());
      for (const auto& id : *waiting) {
        if (auto sets = w.take_desired(id); !sets)
          return fail(sets.error());
      }
      return {};
    });
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// On a SQLite file in the temp dir (WAL, the server's pragmas, its fsync and checkpoints).
void BM_ingest_batch_sqlite(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("stratus-micro-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct RemoveDir {
    std::filesystem::path path;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } remove_dir{dir};
  auto db = storage::sqlite::open_database(dir / "ingest.db", {}, 1);
  if (!db) {
    state.SkipWithError(db.error().message().c_str());
    return;
  }
  storage::sql::SqlNodeRepository nodes(*db);
  run_ingest_batches(state, nodes);
}
BENCHMARK(BM_ingest_batch_sqlite)->Arg(1000)->UseRealTime();

// On the PostgreSQL database named by STRATUS_BENCH_POSTGRES_URL (`bench/run micro` starts
// a server and makes an empty database for it; durable defaults): the batch's statements
// are network round trips and the backend's CPU is part of the wall time. Skipped
// without the variable.
void BM_ingest_batch_postgres(benchmark::State& state) {
  const char* url = std::getenv("STRATUS_BENCH_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    state.SkipWithError("STRATUS_BENCH_POSTGRES_URL is not set (bench/run micro sets it)");
    return;
  }
  auto db = storage::postgres::open_database(url, {}, 1);
  if (!db) {
    state.SkipWithError(db.error().message().c_str());
    return;
  }
  // A fresh table each run: earlier runs' dead row versions would otherwise be read too.
  if (auto r = (*db)->with([](storage::sql::Connection& c) {
        return c.exec("DELETE FROM nodes WHERE node_id LIKE 'benchnode%'");
      });
      !r) {
    state.SkipWithError(r.error().message().c_str());
    return;
  }
  // The server's CPU for the batches: its backend process's user + system time.
  const auto backend = (*db)->with(
      [](storage::sql::Connection& c) { return c.query_int("SELECT pg_backend_pid()"); });
  if (!backend) {
    state.SkipWithError(backend.error().message().c_str());
    return;
  }
  // The server runs on this machine (bench/run starts it): its backend is in /proc.
  const bool on_this_machine =
      std::filesystem::exists("/proc/" + std::to_string(*backend) + "/stat");
  const double cpu_before = bench::cpu_seconds(static_cast<pid_t>(*backend));
  storage::sql::SqlNodeRepository nodes(*db);
  // Statistics for the filled table, as autovacuum keeps them on a running server: the
  // statements are planned at their first run.
  run_ingest_batches(
      state, nodes,
      [&] {
        return (*db)->with([](storage::sql::Connection& c) { return c.exec("ANALYZE nodes"); });
      },
      state.range(1) != 0);
  const double cpu = bench::cpu_seconds(static_cast<pid_t>(*backend)) - cpu_before;
  if (on_this_machine && state.iterations() > 0) {
    state.counters["server_cpu_us_per_update"] =
        cpu * 1e6 / static_cast<double>(state.iterations() * state.range(0));
  }
}
// Second argument 1: the rows kept between batches (the writer's way on PostgreSQL), 0:
// read every batch.
BENCHMARK(BM_ingest_batch_postgres)->Args({1000, 0})->Args({1000, 1})->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
