// stratus-node: the node side of RainMaker on a Linux host. `claim` gets credentials from a
// Stratus server, `run` runs one virtual node with a line console, `swarm` runs many for
// load. The work lives in src/agent, src/sim and src/cli; this wires a process to it.
// Exit codes: 0 success, 1 failure, 2 usage error.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "cli/app.hpp"
#include "cli/node_credentials.hpp"
#include "client/session.hpp"
#include "log/log.hpp"
#include "sim/console.hpp"
#include "sim/node_runner.hpp"
#include "sim/swarm.hpp"

namespace {

using namespace stratus;

int error(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

int error(const Error& e) {
  std::string line = e.context;
  if (e.reason != 0) {
    line += " (code " + std::to_string(e.reason) + ")";
  }
  return error(line);
}

// The password: $STRATUS_PASSWORD, else a prompt on the terminal.
std::optional<std::string> password() {
  if (const char* p = std::getenv("STRATUS_PASSWORD"); p != nullptr && *p != '\0') {
    return std::string(p);
  }
  return cli::read_secret_from_terminal("Password: ");
}

struct ClaimArgs {
  std::string server = "http://127.0.0.1:8080";
  std::string ca_file;
  std::string user_name;
  std::string outdir;
  std::string key_type = "ecdsa";
  std::string mac;
};

int claim(const ClaimArgs& args) {
  auto session = client::Session::open({.url = args.server, .ca_file = args.ca_file});
  if (!session) {
    return error(session.error());
  }
  const auto pw = password();
  if (!pw) {
    return error("no password: set STRATUS_PASSWORD or run on a terminal");
  }
  if (auto ok = session->login(args.user_name, *pw); !ok) {
    return error(ok.error());
  }
  cli::ClaimOptions options;
  options.key_type = args.key_type == "rsa" ? pki::KeyType::rsa_2048 : pki::KeyType::ecdsa_p256;
  options.mac_addr = args.mac;
  options.per_node_subdir = args.outdir.empty();
  options.outdir =
      args.outdir.empty() ? std::filesystem::path(".") : std::filesystem::path(args.outdir);
  auto creds = cli::claim_node(*session, options);
  if (!creds) {
    return error(creds.error());
  }
  std::cout << "claimed node " << creds->node_id << "\n"
            << "credentials in " << creds->dir.string() << " (mqtt " << creds->mqtt_host << ":"
            << creds->mqtt_port << ")\n"
            << "run it: stratus-node run --creds " << creds->dir.string() << " --model light\n";
  return 0;
}

struct RunArgs {
  std::string creds;
  std::string model = "light";
  std::string mqtt_host;
  int mqtt_port = 0;
  double sensor_period_s = 10;
  bool basic_ingest = false;
};

// Reads console lines from stdin until `quit`, end of input followed by SIGINT/SIGTERM, or a
// signal. End of input alone keeps the node running (it may be started with </dev/null).
int run(const RunArgs& args) {
  auto creds = cli::load_node_credentials(args.creds);
  if (!creds) {
    return error(creds.error());
  }
  sim::RunOptions options;
  options.node_id = creds->node_id;
  options.mqtt_host = args.mqtt_host.empty() ? creds->mqtt_host : args.mqtt_host;
  options.mqtt_port =
      static_cast<std::uint16_t>(args.mqtt_port != 0 ? args.mqtt_port : creds->mqtt_port);
  options.ca_file = creds->ca_file().string();
  options.cert_file = creds->cert_file().string();
  options.key_file = creds->key_file().string();
  options.model = args.model;
  options.sensor_period =
      std::chrono::milliseconds(static_cast<std::int64_t>(args.sensor_period_s * 1000));
  options.basic_ingest_topics = args.basic_ingest;
  options.state_file = (creds->dir / "params.json").string();

  // Signals are taken from a signalfd in the loop below, so block them in every thread
  // (the agent's threads inherit this mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);

  std::mutex out_mutex;
  auto print = [&out_mutex](const std::string& line) {
    std::lock_guard lock(out_mutex);
    std::cout << line << std::endl;
  };
  auto runner = sim::NodeRunner::start(options, print);
  if (!runner) {
    return error(runner.error());
  }
  std::string buffer;
  bool input_open = true;
  for (;;) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    if (::poll(fds, input_open ? 2 : 1, -1) < 0) {
      continue;  // EINTR
    }
    if ((fds[0].revents & POLLIN) != 0) {
      print("stopping");
      break;
    }
    if (!input_open || fds[1].revents == 0) {
      continue;
    }
    char chunk[4096];
    const auto n = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n <= 0) {
      input_open = false;  // keep running until a signal
      continue;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    bool quit = false;
    for (auto newline = buffer.find('\n'); newline != std::string::npos;
         newline = buffer.find('\n')) {
      const auto line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) {
        continue;
      }
      auto command = sim::parse_console_line(line);
      if (!command) {
        print("error: " + command.error().context);
        continue;
      }
      print((*runner)->execute(*command));
      if (command->kind == sim::ConsoleCommand::Kind::quit) {
        quit = true;
        break;
      }
    }
    if (quit) {
      break;
    }
    if (buffer.size() > 64 * 1024) {
      print("error: line too long; dropped");
      buffer.clear();
    }
  }
  (*runner)->stop();
  return 0;
}

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
};

// The credentials of swarm node `i` live in <creds_dir>/node-<i, 5 digits>/.
std::filesystem::path swarm_node_dir(const std::string& creds_dir, int i) {
  char name[32];
  std::snprintf(name, sizeof name, "node-%05d", i);
  return std::filesystem::path(creds_dir) / name;
}

// Loads the credentials of nodes 0..count-1, claiming the missing ones when a server and
// user are given (claimed in bulk over one session and one login).
Result<std::vector<sim::SwarmNode>> swarm_credentials(const SwarmArgs& args) {
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
        const auto pw = password();
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
        std::cerr << "claimed " << (i + 1) << " nodes\n";
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

std::atomic<bool> g_stop{false};

int swarm(const SwarmArgs& args) {
  // About 3 descriptors per node (mqtt::ConnectionPool): take the hard limit.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  auto nodes = swarm_credentials(args);
  if (!nodes) {
    return error(nodes.error());
  }
  ::signal(SIGINT, [](int) { g_stop = true; });
  ::signal(SIGTERM, [](int) { g_stop = true; });
  sim::SwarmOptions options;
  options.model = args.model;
  options.rate_per_s = args.rate;
  options.unlimited_rate = args.unlimited;
  options.max_in_flight = args.max_in_flight;
  options.duration = std::chrono::milliseconds(static_cast<std::int64_t>(args.duration_s * 1000));
  options.max_connects_in_flight = args.connects_in_flight;
  options.basic_ingest_topics = args.basic_ingest;
  auto report = sim::run_swarm(
      *nodes, options, [](const std::string& line) { std::cerr << line << std::endl; }, &g_stop);
  if (!report) {
    return error(report.error());
  }
  if (args.json) {
    std::cout << sim::to_json(*report) << std::endl;
    return 0;
  }
  const auto per_s = [&](std::uint64_t n) {
    return report->elapsed_s > 0 ? static_cast<double>(n) / report->elapsed_s : 0.0;
  };
  std::printf("nodes %zu, connected at end %zu (peak %zu), all connected after %.1f s\n",
              report->nodes, report->connected_at_end, report->peak_connected,
              report->all_connected_s);
  std::printf(
      "%.1f s: connects %llu (%.0f/s), publishes %llu (%.0f/s), acked %llu, "
      "reports %llu (%.0f/s), remote sets %llu, errors %llu\n",
      report->elapsed_s, static_cast<unsigned long long>(report->connects), per_s(report->connects),
      static_cast<unsigned long long>(report->publishes), per_s(report->publishes),
      static_cast<unsigned long long>(report->pubacks),
      static_cast<unsigned long long>(report->reports), per_s(report->reports),
      static_cast<unsigned long long>(report->remote_sets),
      static_cast<unsigned long long>(report->errors));
  return report->connected_at_end == report->nodes ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  log::init(log::Level::warn);
  CLI::App app{"stratus-node: RainMaker nodes on a Linux host (claim, run, swarm)"};
  app.require_subcommand(1);

  ClaimArgs claim_args;
  auto* claim_cmd =
      app.add_subcommand("claim", "Claim a node: key, CSR and certificate from the server");
  claim_cmd->add_option("--server", claim_args.server, "Server URL")->capture_default_str();
  claim_cmd->add_option("--ca", claim_args.ca_file, "CA file to trust for an https server");
  claim_cmd
      ->add_option("--user_name", claim_args.user_name,
                   "Account (password: STRATUS_PASSWORD or a prompt)")
      ->required();
  claim_cmd->add_option(
      "--outdir", claim_args.outdir,
      "Directory for node.key, node.crt, ca.crt, node.info (default ./<node_id>)");
  claim_cmd->add_option("--key-type,--key_type", claim_args.key_type, "ecdsa or rsa")
      ->check(CLI::IsMember({"ecdsa", "rsa"}))
      ->capture_default_str();
  claim_cmd->add_option("--mac", claim_args.mac,
                        "MAC address sent to claim/initiate (default random)");

  RunArgs run_args;
  auto* run_cmd = app.add_subcommand("run", "Run one virtual node with a line console on stdin");
  run_cmd->add_option("--creds", run_args.creds, "Credentials directory from claim")->required();
  run_cmd
      ->add_option("--model", run_args.model,
                   "light, switch, fan, temperature-sensor, outlet, or a YAML model file")
      ->capture_default_str();
  run_cmd->add_option("--mqtt-host", run_args.mqtt_host, "Override the broker host of node.info");
  run_cmd->add_option("--mqtt-port", run_args.mqtt_port, "Override the broker port of node.info");
  run_cmd
      ->add_option("--sensor-period", run_args.sensor_period_s, "Seconds between sensor readings")
      ->check(CLI::Range(0.05, 86400.0))
      ->capture_default_str();
  run_cmd->add_flag("--basic-ingest", run_args.basic_ingest,
                    "Publish on $aws/rules/... topics as default firmware does");

  SwarmArgs swarm_args;
  auto* swarm_cmd = app.add_subcommand("swarm", "Run many nodes in one process, for load");
  swarm_cmd->add_option("--count", swarm_args.count, "Nodes")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  swarm_cmd
      ->add_option("--rate", swarm_args.rate, "Params reports per second, whole swarm (0 = none)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  swarm_cmd->add_flag("--unlimited", swarm_args.unlimited,
                      "Report as fast as the broker acknowledges (ignores --rate)");
  swarm_cmd
      ->add_option("--max-in-flight", swarm_args.max_in_flight,
                   "Unacknowledged reports per node at most (flow control)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  swarm_cmd->add_option("--duration", swarm_args.duration_s, "Seconds to run")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  swarm_cmd
      ->add_option("--creds-dir", swarm_args.creds_dir,
                   "Credentials of node i in <dir>/node-<i>/ (claimed if missing)")
      ->required();
  swarm_cmd->add_option("--model", swarm_args.model, "Virtual model of every node")
      ->capture_default_str();
  swarm_cmd->add_option("--server", swarm_args.server, "Server to claim missing credentials from")
      ->default_val("http://127.0.0.1:8080");
  swarm_cmd->add_option("--ca", swarm_args.ca_file, "CA file to trust for an https server");
  swarm_cmd->add_option("--user_name", swarm_args.user_name,
                        "Account that claims missing nodes (password: STRATUS_PASSWORD)");
  swarm_cmd->add_option("--mqtt-host", swarm_args.mqtt_host, "Override the broker host");
  swarm_cmd->add_option("--mqtt-port", swarm_args.mqtt_port, "Override the broker port");
  swarm_cmd
      ->add_option("--connects-in-flight", swarm_args.connects_in_flight,
                   "TLS handshakes in progress at once")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  swarm_cmd->add_flag("--basic-ingest", swarm_args.basic_ingest,
                      "Publish on $aws/rules/... topics as default firmware does");
  swarm_cmd->add_flag("--json", swarm_args.json, "Print the summary as one JSON object");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*claim_cmd) {
    return claim(claim_args);
  }
  if (*run_cmd) {
    return run(run_args);
  }
  return swarm(swarm_args);
}
