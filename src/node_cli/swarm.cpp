// `stratus-node swarm`: many nodes on one mqtt::ConnectionPool (sim::run_swarm), for
// load; missing credentials are claimed in bulk first.
#include "sim/swarm.hpp"

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <ostream>

#include "cli/node_credentials.hpp"
#include "client/session.hpp"
#include "node_cli/detail/context.hpp"

namespace stratus::node_cli::detail {
namespace {

struct SwarmArgs {
  int count = 100;
  double rate = 100;
  double duration_s = 30;
  std::string creds_dir;
  std::string model = "switch";
  std::string server;
  std::string ca_file;
  std::string user_name;
  std::string mqtt_host;
  int mqtt_port = 0;
  int connects_in_flight = 64;
  int max_in_flight = 8;
  bool unlimited = false;
  bool basic_ingest = false;
  bool json = false;
  bool ota = false;
  std::string ota_dir;
  int ota_workers = 8;
  double ota_reboot_delay_s = 1;
};

// The credentials of swarm node `i` live in <creds_dir>/node-<i, 5 digits>/.
std::filesystem::path swarm_node_dir(const std::string& creds_dir, int i) {
  char name[32];
  std::snprintf(name, sizeof name, "node-%05d", i);
  return std::filesystem::path(creds_dir) / name;
}

// Loads the credentials of nodes 0..count-1, claiming the missing ones when a server and
// user are given (claimed in bulk over one session and one login).
Result<std::vector<sim::SwarmNode>> swarm_credentials(Context& ctx, const SwarmArgs& args) {
  std::vector<sim::SwarmNode> nodes;
  std::optional<client::Session> session;
  for (int i = 0; i < args.count; ++i) {
    const auto dir = swarm_node_dir(args.creds_dir, i);
    if (!std::filesystem::exists(dir / cli::kNodeInfoFile)) {
      if (args.user_name.empty()) {
        return fail(errc::not_found, "no credentials in " + dir.string() +
                                         "; pass --user_name (and --server) to claim them");
      }
      if (!session) {
        auto opened = client::Session::open({.url = args.server, .ca_file = args.ca_file});
        if (!opened) {
          return fail(std::move(opened).error());
        }
        session = std::move(*opened);
        const auto pw = ctx.password();
        if (!pw) {
          return fail(errc::invalid_argument, "no password: set STRATUS_PASSWORD");
        }
        if (auto ok = session->login(args.user_name, *pw); !ok) {
          return fail(std::move(ok).error());
        }
      }
      cli::ClaimOptions options;
      options.outdir = dir;
      if (auto claimed = cli::claim_node(*session, options); !claimed) {
        return fail(std::move(claimed).error());
      }
      if ((i + 1) % 100 == 0) {
        ctx.env().err << "claimed " << (i + 1) << " nodes\n";
      }
    }
    auto creds = cli::load_node_credentials(dir);
    if (!creds) {
      return fail(std::move(creds).error());
    }
    nodes.push_back(
        {creds->node_id, args.mqtt_host.empty() ? creds->mqtt_host : args.mqtt_host,
         static_cast<std::uint16_t>(args.mqtt_port != 0 ? args.mqtt_port : creds->mqtt_port),
         creds->ca_file().string(), creds->cert_file().string(), creds->key_file().string()});
  }
  return nodes;
}

int swarm(Context& ctx, const SwarmArgs& args) {
  // About 3 descriptors per node (mqtt::ConnectionPool): take the hard limit.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  auto nodes = swarm_credentials(ctx, args);
  if (!nodes) {
    return ctx.error(nodes.error());
  }
  const StopSignals stop;
  sim::SwarmOptions options;
  options.model = args.model;
  options.rate_per_s = args.rate;
  options.unlimited_rate = args.unlimited;
  options.max_in_flight = args.max_in_flight;
  options.duration = std::chrono::milliseconds(static_cast<std::int64_t>(args.duration_s * 1000));
  options.max_connects_in_flight = args.connects_in_flight;
  options.basic_ingest_topics = args.basic_ingest;
  if (args.ota) {
    sim::SwarmOta ota;
    ota.dir = args.ota_dir.empty() ? std::filesystem::path(args.creds_dir) / "ota"
                                   : std::filesystem::path(args.ota_dir);
    ota.download_workers = args.ota_workers;
    ota.reboot_delay =
        std::chrono::milliseconds(static_cast<std::int64_t>(args.ota_reboot_delay_s * 1000));
    options.ota = std::move(ota);
  }
  auto& out = ctx.env().out;
  auto report = sim::run_swarm(
      *nodes, options,
      [&err = ctx.env().err](const std::string& line) { err << line << std::endl; }, stop.flag());
  if (!report) {
    return ctx.error(report.error());
  }
  if (args.json) {
    out << sim::to_json(*report) << std::endl;
    return 0;
  }
  const auto per_s = [&](std::uint64_t n) {
    return report->elapsed_s > 0 ? static_cast<double>(n) / report->elapsed_s : 0.0;
  };
  char line[512];
  std::snprintf(
      line, sizeof line, "nodes %zu, connected at end %zu (peak %zu), all connected after %.1f s\n",
      report->nodes, report->connected_at_end, report->peak_connected, report->all_connected_s);
  out << line;
  std::snprintf(line, sizeof line,
                "%.1f s: connects %llu (%.0f/s), publishes %llu (%.0f/s), acked %llu, "
                "reports %llu (%.0f/s), remote sets %llu, errors %llu\n",
                report->elapsed_s, static_cast<unsigned long long>(report->connects),
                per_s(report->connects), static_cast<unsigned long long>(report->publishes),
                per_s(report->publishes), static_cast<unsigned long long>(report->pubacks),
                static_cast<unsigned long long>(report->reports), per_s(report->reports),
                static_cast<unsigned long long>(report->remote_sets),
                static_cast<unsigned long long>(report->errors));
  out << line;
  if (args.ota) {
    std::snprintf(line, sizeof line,
                  "ota: downloads %llu (%.1f MB, %llu failed), updated %llu, failed %llu, "
                  "reboots %llu\n",
                  static_cast<unsigned long long>(report->ota_downloads),
                  static_cast<double>(report->ota_download_bytes) / 1e6,
                  static_cast<unsigned long long>(report->ota_download_failures),
                  static_cast<unsigned long long>(report->ota_updated),
                  static_cast<unsigned long long>(report->ota_failed),
                  static_cast<unsigned long long>(report->reboots));
    out << line;
  }
  out << std::flush;
  return report->connected_at_end == report->nodes ? 0 : 1;
}

}  // namespace

void add_swarm(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<SwarmArgs>();
  auto* cmd = app.add_subcommand("swarm", "Run many nodes in one process, for load");
  cmd->add_option("--count", args->count, "Nodes")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--rate", args->rate, "Params reports per second, whole swarm (0 = none)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  cmd->add_flag("--unlimited", args->unlimited,
                "Report as fast as the broker acknowledges (ignores --rate)");
  cmd->add_option("--max-in-flight", args->max_in_flight,
                  "Unacknowledged reports per node at most (flow control)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--duration", args->duration_s, "Seconds to run")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cmd->add_option("--creds-dir", args->creds_dir,
                  "Credentials of node i in <dir>/node-<i>/ (claimed if missing)")
      ->required();
  cmd->add_option("--model", args->model, "Virtual model of every node")->capture_default_str();
  cmd->add_option("--server", args->server, "Server to claim missing credentials from")
      ->default_val("http://127.0.0.1:8080");
  cmd->add_option("--ca", args->ca_file, "CA file to trust for an https server");
  cmd->add_option("--user_name", args->user_name,
                  "Account that claims missing nodes (password: STRATUS_PASSWORD)");
  cmd->add_option("--mqtt-host", args->mqtt_host, "Override the broker host");
  cmd->add_option("--mqtt-port", args->mqtt_port, "Override the broker port");
  cmd->add_option("--connects-in-flight", args->connects_in_flight,
                  "TLS handshakes in progress at once")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_flag("--basic-ingest", args->basic_ingest,
                "Publish on $aws/rules/... topics as default firmware does");
  cmd->add_flag("--json", args->json, "Print the summary as one JSON object");
  cmd->add_flag("--ota", args->ota,
                "Take firmware updates (otafetch 5 s after connecting, as firmware does)");
  cmd->add_option("--ota-dir", args->ota_dir,
                  "Where images are downloaded (default: <creds-dir>/ota)");
  cmd->add_option("--ota-workers", args->ota_workers, "Images downloading at once, at most")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--ota-reboot-delay", args->ota_reboot_delay_s,
                  "Seconds from a verified image to the reboot (firmware: 10)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  ctx.on(*cmd, [&ctx, args] { return swarm(ctx, *args); });
}

}  // namespace stratus::node_cli::detail
