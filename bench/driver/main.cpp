// stratus-bench: drives load against a running stratusd and measures it (bench/README.md).
// bench/run starts the server and calls this; each subcommand prints one JSON object
// {"params":{…},"results":{…}} on stdout and progress on stderr.
// Exit codes: 0 success, 1 failure, 2 usage error (or a scenario that does not exist yet).
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>

#include "log/log.hpp"
#include "scenarios.hpp"

namespace {

using namespace stratus;
using namespace stratus::bench;

void add_target_options(CLI::App& cmd, Target& target) {
  cmd.add_option("--server", target.server, "stratusd URL")->required();
  cmd.add_option("--data-dir", target.data_dir, "stratusd data dir (for the sign-up code)");
  cmd.add_option("--user", target.user, "Bench account")->capture_default_str();
  cmd.add_option("--password", target.password, "Its password")->capture_default_str();
  cmd.add_option("--mqtt-port", target.mqtt_port, "stratusd's device port (overrides node.info)");
  cmd.add_option("--ca-file", target.ca_file, "CA to trust for an https server");
}

int print(const Result<ScenarioOutput>& output) {
  if (!output) {
    std::cerr << "error: " << output.error().context << "\n";
    return 1;
  }
  boost::json::object o{{"params", output->params}, {"results", output->results}};
  std::cout << boost::json::serialize(o) << std::endl;
  return 0;
}

std::vector<double> parse_rates(const std::string& text) {
  std::vector<double> rates;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    rates.push_back(std::stod(item));
  }
  return rates;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  // Swarms hold about 3 descriptors per node: take the hard limit.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  log::init(log::Level::warn);
  CLI::App app{"stratus-bench: load and latency measurements against a running stratusd"};
  app.require_subcommand(1);
  Target target;
  target.user = "bench@example.com";
  target.password = "Bench-Passw0rd-1";

  ClaimArgs claim;
  auto* claim_cmd = app.add_subcommand("claim", "Claim missing nodes in parallel (certs/s)");
  add_target_options(*claim_cmd, target);
  claim_cmd->add_option("--creds-dir", claim.creds_dir, "Credentials, swarm layout")->required();
  claim_cmd->add_option("--count", claim.count, "Nodes that must exist")->required();
  claim_cmd->add_option("--threads", claim.threads, "Concurrent claimers")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();

  PrepareArgs prepare;
  auto* prepare_cmd =
      app.add_subcommand("prepare", "Sign up the bench user, claim and map nodes to it");
  add_target_options(*prepare_cmd, target);
  prepare_cmd->add_option("--mapped-dir", prepare.mapped_dir, "Mapped nodes' credentials")
      ->required();
  prepare_cmd->add_option("--count", prepare.count, "Mapped nodes")->capture_default_str();

  IngestArgs ingest;
  auto* ingest_cmd = app.add_subcommand("ingest", "Committed updates/s vs the raw broker");
  add_target_options(*ingest_cmd, target);
  ingest_cmd->add_option("--creds-dir", ingest.creds_dir, "Swarm credentials")->required();
  ingest_cmd->add_option("--count", ingest.count, "Swarm nodes")->capture_default_str();
  ingest_cmd->add_option("--duration", ingest.duration_s, "Measured seconds per phase")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  ingest_cmd->add_option("--warmup", ingest.warmup_s, "Seconds after all connected")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  ingest_cmd->add_option("--max-in-flight", ingest.max_in_flight, "Unacked reports per node")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  ingest_cmd->add_option("--model", ingest.model, "Swarm node model")->capture_default_str();
  ingest_cmd->add_option("--raw-port", ingest.raw_port, "Second mosquitto's device port");
  ingest_cmd->add_option("--raw-backend-port", ingest.raw_backend_port,
                         "Second mosquitto's backend port");
  ingest_cmd->add_option("--backend-password-file", ingest.backend_password_file,
                         "pki/backend.secret of the data dir");
  ingest_cmd->add_option("--mapped-dir", ingest.mapped_dir, "Probe node credentials (node 0)");
  ingest_cmd->add_option("--other-server", ingest.other_servers,
                         "Another instance of a cluster sharing the ingest (repeatable)");
  ingest_cmd->add_option("--probe-rate", ingest.probe_rate, "Probe reports per second")
      ->check(CLI::Range(0.1, 1000.0))
      ->capture_default_str();
  ingest_cmd->add_flag("--visible-by-poll", ingest.visible_by_poll,
                       "Poll GET for the probe's value instead of waiting for its params event");
  ingest_cmd
      ->add_option("--backlog-limit", ingest.backlog_limit,
                   "Flow control: reports not yet taken by the subscriber/link")
      ->capture_default_str();
  ingest_cmd
      ->add_option("--committed-backlog-limit", ingest.committed_backlog_limit,
                   "Flow control: reports not yet committed (stratusd phase)")
      ->capture_default_str();

  ControlArgs control;
  std::string rates = "200";
  auto* control_cmd = app.add_subcommand("control", "REST set → node → visible, latency");
  add_target_options(*control_cmd, target);
  control_cmd->add_option("--mapped-dir", control.mapped_dir, "Mapped nodes' credentials")
      ->required();
  control_cmd->add_option("--nodes", control.nodes, "Nodes used")->capture_default_str();
  control_cmd->add_option("--workers", control.workers, "Concurrent operations at most")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  control_cmd->add_option("--rates", rates, "Operations/s, comma-separated, run in order")
      ->capture_default_str();
  control_cmd->add_option("--duration", control.duration_s, "Seconds per rate")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  control_cmd->add_option("--p99-limit", control.p99_limit_ms, "ms")->capture_default_str();
  control_cmd->add_option("--ingest-creds-dir", control.ingest_creds_dir,
                          "Swarm credentials: run the rates under background ingest");
  control_cmd->add_option("--ingest-count", control.ingest_count, "Background swarm nodes")
      ->capture_default_str();
  control_cmd
      ->add_option("--ingest-max-in-flight", control.ingest_max_in_flight,
                   "Background: unacked reports per node")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  control_cmd
      ->add_option("--ingest-fraction", control.ingest_fraction,
                   "Background rate as a fraction of the measured maximum")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  control_cmd
      ->add_option("--ingest-max-seconds", control.ingest_max_s,
                   "Window that measures the background maximum")
      ->check(CLI::Range(1.0, 600.0))
      ->capture_default_str();
  control_cmd->add_flag_callback(
      "--ingest-normal-priority", [&control] { control.ingest_idle_priority = false; },
      "Background swarm at normal priority (default: SCHED_IDLE)");
  control_cmd->add_flag("--visible-by-poll", control.visible_by_poll,
                        "Poll GET for the value instead of waiting for its params event");
  control_cmd->add_option("--raw-port", control.raw_port,
                          "Second mosquitto's device port: the broker floor after the run");
  control_cmd->add_option("--raw-backend-port", control.raw_backend_port,
                          "Second mosquitto's backend port");
  control_cmd->add_option("--backend-password-file", control.backend_password_file,
                          "pki/backend.secret of the data dir");

  CmdRespArgs cmdresp;
  auto* cmdresp_cmd = app.add_subcommand("cmdresp", "Command request → node answer stored");
  add_target_options(*cmdresp_cmd, target);
  cmdresp_cmd->add_option("--mapped-dir", cmdresp.mapped_dir, "Mapped nodes' credentials")
      ->required();
  cmdresp_cmd->add_option("--nodes", cmdresp.nodes, "Nodes used")->capture_default_str();
  cmdresp_cmd->add_option("--workers", cmdresp.workers, "Concurrent requests at most")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmdresp_cmd->add_option("--rate", cmdresp.rate, "Requests per second")
      ->check(CLI::Range(1.0, 100000.0))
      ->capture_default_str();
  cmdresp_cmd->add_option("--duration", cmdresp.duration_s, "Seconds")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();

  EventsArgs events;
  auto* events_cmd =
      app.add_subcommand("events", "Ingest with and without event streams; report → event");
  add_target_options(*events_cmd, target);
  events_cmd->add_option("--creds-dir", events.ingest.creds_dir, "Swarm credentials")->required();
  events_cmd->add_option("--count", events.ingest.count, "Swarm nodes")->capture_default_str();
  events_cmd->add_option("--duration", events.ingest.duration_s, "Measured seconds per phase")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  events_cmd->add_option("--max-in-flight", events.ingest.max_in_flight, "Unacked per node")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  events_cmd->add_option("--model", events.ingest.model, "Swarm node model")->capture_default_str();
  events_cmd->add_option("--raw-port", events.ingest.raw_port,
                         "Second mosquitto's device port: phase 1 measures the raw ceiling");
  events_cmd->add_option("--raw-backend-port", events.ingest.raw_backend_port,
                         "Second mosquitto's backend port");
  events_cmd->add_option("--backend-password-file", events.ingest.backend_password_file,
                         "pki/backend.secret of the data dir");
  events_cmd->add_option("--mapped-dir", events.mapped_dir, "Mapped lights' credentials")
      ->required();
  events_cmd->add_option("--clients", events.clients, "Event streams")
      ->check(CLI::Range(1, 20000))
      ->capture_default_str();
  events_cmd->add_option("--mapped", events.mapped, "Mapped lights reporting")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  events_cmd->add_option("--watchers-per-node", events.watchers_per_node, "Clients per light")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  events_cmd->add_option("--rate", events.report_rate, "Latency phase: reports per second")
      ->check(CLI::Range(1.0, 100000.0))
      ->capture_default_str();
  events_cmd->add_option("--latency-duration", events.latency_s, "Latency phase seconds")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();

  OtaArgs ota;
  auto* ota_cmd = app.add_subcommand("ota", "One OTA job over a swarm vs the download ceiling");
  add_target_options(*ota_cmd, target);
  ota_cmd->add_option("--creds-dir", ota.creds_dir, "Swarm credentials")->required();
  ota_cmd->add_option("--count", ota.count, "Swarm nodes")->capture_default_str();
  ota_cmd->add_option("--admin", ota.admin_user, "Super-admin user")->required();
  ota_cmd->add_option("--admin-password", ota.admin_password, "Its password")->required();
  ota_cmd->add_option("--image-bytes", ota.image_bytes, "Image size")
      ->check(CLI::Range(4096, 16 * 1024 * 1024 - 4096))
      ->capture_default_str();
  ota_cmd->add_option("--batch-size", ota.batch_size, "Rollout batch")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  ota_cmd->add_option("--download-workers", ota.download_workers, "Concurrent downloads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  ota_cmd->add_option("--model", ota.model, "Swarm node model")->capture_default_str();
  ota_cmd->add_option("--timeout", ota.timeout_s, "Seconds the job may take")
      ->check(CLI::Range(10.0, 7200.0))
      ->capture_default_str();
  ota_cmd->add_option("--ota-dir", ota.ota_dir, "Download directory (default <creds-dir>/ota)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  claim.target = prepare.target = ingest.target = control.target = cmdresp.target = target;
  events.ingest.target = target;
  ota.target = target;
  if (*ota_cmd) {
    return print(run_ota(ota));
  }
  if (*events_cmd) {
    return print(run_events(events));
  }
  if (*claim_cmd) {
    return print(run_claim(claim));
  }
  if (*prepare_cmd) {
    return print(run_prepare(prepare));
  }
  if (*ingest_cmd) {
    return print(run_ingest(ingest));
  }
  if (*control_cmd) {
    try {
      control.rates = parse_rates(rates);
    } catch (const std::exception&) {
      std::cerr << "error: --rates takes numbers separated by commas\n";
      return 2;
    }
    if (control.rates.empty()) {
      std::cerr << "error: --rates is empty\n";
      return 2;
    }
    return print(run_control(control));
  }
  return print(run_cmdresp(cmdresp));
}
