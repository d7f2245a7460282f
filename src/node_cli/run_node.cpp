// `stratus-node run`: one virtual node (sim::NodeRunner) with a line console.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>

#include "cli/node_credentials.hpp"
#include "node_cli/detail/context.hpp"
#include "protocomm/security.hpp"
#include "sim/console.hpp"
#include "sim/node_runner.hpp"

namespace stratus::node_cli::detail {
namespace {

struct RunArgs {
  std::string creds;
  std::string model = "light";
  std::string mqtt_host;
  int mqtt_port = 0;
  double sensor_period_s = 10;
  bool basic_ingest = false;
  double ota_reboot_delay_s = -1;  // < 0: the model's
  bool provisioning = false;
  std::string prov_bind = "127.0.0.1:0";
  int sec = 1;
  std::string pop;
  bool no_ch_resp = false;
  double wifi_connect_delay_s = 1;
  std::string local_ctrl_bind;  // empty: no local control
  int local_ctrl_sec = 1;
  std::string local_ctrl_pop;
  std::string chal_resp_bind;  // empty: no on-network challenge-response
  int chal_resp_sec = 1;
  std::string chal_resp_pop;
};

// "HOST:PORT" (IPv6 as "[::1]:PORT"); port 0 lets the OS pick.
Result<std::pair<std::string, std::uint16_t>> parse_bind(const std::string& text,
                                                         std::string_view flag = "--prov-bind") {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return fail(errc::invalid_argument,
                std::string(flag) + ": expected HOST:PORT, got \"" + text + "\"");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const auto port_text = text.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
      std::stoul(port_text) > 65535) {
    return fail(errc::invalid_argument, std::string(flag) + ": bad port \"" + port_text + "\"");
  }
  return std::pair{host, static_cast<std::uint16_t>(std::stoul(port_text))};
}

// Reads console lines from the console descriptor until `quit`, end of input followed by
// SIGINT/SIGTERM, or a signal. End of input alone keeps the node running (it may be
// started with </dev/null).
int run_node(Context& ctx, const RunArgs& args) {
  // The network services' flags are checked before anything is read.
  if (!args.local_ctrl_bind.empty() && !args.chal_resp_bind.empty()) {
    // The firmware cannot run both: each is a protocomm_httpd instance, of which there is
    // one (esp-rainmaker CHANGELOG 1.8.9).
    return ctx.error("--local-ctrl-bind and --chal-resp-bind exclude each other, as in firmware");
  }
  std::optional<std::pair<std::string, std::uint16_t>> local_bind;
  if (!args.local_ctrl_bind.empty()) {
    auto bind = parse_bind(args.local_ctrl_bind, "--local-ctrl-bind");
    if (!bind) {
      return ctx.error(bind.error());
    }
    if (args.local_ctrl_sec == 0 && !args.local_ctrl_pop.empty()) {
      return ctx.error("--local-ctrl-pop needs --local-ctrl-sec 1 or 2");
    }
    local_bind = *bind;
  }
  std::optional<std::pair<std::string, std::uint16_t>> chal_bind;
  if (!args.chal_resp_bind.empty()) {
    auto bind = parse_bind(args.chal_resp_bind, "--chal-resp-bind");
    if (!bind) {
      return ctx.error(bind.error());
    }
    if (args.chal_resp_sec == 2 && args.chal_resp_pop.empty()) {
      return ctx.error("--chal-resp-sec 2 needs --chal-resp-pop");
    }
    if (args.chal_resp_sec == 0 && !args.chal_resp_pop.empty()) {
      return ctx.error("--chal-resp-pop needs --chal-resp-sec 1 or 2");
    }
    chal_bind = *bind;
  }
  auto creds = cli::load_node_credentials(args.creds);
  if (!creds) {
    return ctx.error(creds.error());
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
  options.ota_dir = creds->dir.string();
  if (args.ota_reboot_delay_s >= 0) {
    options.ota_reboot_delay =
        std::chrono::milliseconds(static_cast<std::int64_t>(args.ota_reboot_delay_s * 1000));
  }

  if (args.provisioning) {
    auto bind = parse_bind(args.prov_bind);
    if (!bind) {
      return ctx.error(bind.error());
    }
    if (args.sec == 2 && args.pop.empty()) {
      return ctx.error("--sec 2 needs --pop");
    }
    sim::ProvisioningRunOptions prov;
    prov.bind_address = bind->first;
    prov.port = bind->second;
    prov.security = static_cast<protocomm::SecurityVersion>(args.sec);
    prov.pop = args.pop;
    prov.challenge_response = !args.no_ch_resp;
    prov.wifi_file = (creds->dir / "wifi.json").string();
    prov.connect_delay =
        std::chrono::milliseconds(static_cast<std::int64_t>(args.wifi_connect_delay_s * 1000));
    options.provisioning = std::move(prov);
  }

  if (local_bind) {
    sim::LocalControlRunOptions local;
    local.bind_address = local_bind->first;
    local.port = local_bind->second;
    local.security = static_cast<protocomm::SecurityVersion>(args.local_ctrl_sec);
    local.pop = args.local_ctrl_pop;
    local.pop_file = (creds->dir / "local_ctrl_pop").string();
    options.local_control = std::move(local);
  }
  if (chal_bind) {
    sim::OnNetworkRunOptions on_network;
    on_network.bind_address = chal_bind->first;
    on_network.port = chal_bind->second;
    on_network.security = static_cast<protocomm::SecurityVersion>(args.chal_resp_sec);
    on_network.pop = args.chal_resp_pop;
    options.on_network = std::move(on_network);
  }
  // Signals are taken from a signalfd in the loop below, so block them in every thread
  // (the agent's threads inherit this mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
  const int console_fd = ctx.env().console_fd;

  std::mutex out_mutex;
  auto print = [&out_mutex, &out = ctx.env().out](const std::string& line) {
    std::lock_guard lock(out_mutex);
    out << line << std::endl;
  };
  auto runner = sim::NodeRunner::start(options, print);
  if (!runner) {
    return ctx.error(runner.error());
  }
  std::string buffer;
  bool input_open = true;
  for (;;) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {console_fd, POLLIN, 0}};
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
    const auto n = ::read(console_fd, chunk, sizeof chunk);
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

}  // namespace

void add_run(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run one virtual node with a line console on stdin");
  cmd->add_option("--creds", args->creds, "Credentials directory from claim")->required();
  cmd->add_option("--model", args->model,
                  "light, switch, fan, temperature-sensor, outlet, or a YAML model file")
      ->capture_default_str();
  cmd->add_option("--mqtt-host", args->mqtt_host, "Override the broker host of node.info");
  cmd->add_option("--mqtt-port", args->mqtt_port, "Override the broker port of node.info");
  cmd->add_option("--sensor-period", args->sensor_period_s, "Seconds between sensor readings")
      ->check(CLI::Range(0.05, 86400.0))
      ->capture_default_str();
  cmd->add_flag("--basic-ingest", args->basic_ingest,
                "Publish on $aws/rules/... topics as default firmware does");
  cmd->add_option("--ota-reboot-delay", args->ota_reboot_delay_s,
                  "Seconds from a verified OTA image to the reboot (default: the model's, 10)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_flag("--provisioning", args->provisioning,
                "Start unprovisioned: serve protocomm provisioning (SoftAP HTTP) and connect to "
                "MQTT once provisioned (skipped when <creds>/wifi.json exists)");
  cmd->add_option("--prov-bind", args->prov_bind,
                  "HOST:PORT of the provisioning transport (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--sec", args->sec, "Protocomm security: 0, 1 (X25519 + PoP) or 2 (SRP6a)")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  cmd->add_option("--pop", args->pop,
                  "Proof of possession (sec 1: optional; sec 2: the password of user wifiprov)");
  cmd->add_flag("--no-ch-resp", args->no_ch_resp,
                "Do not offer challenge-response mapping (ch_resp), only cloud_user_assoc");
  cmd->add_option("--wifi-connect-delay", args->wifi_connect_delay_s,
                  "Seconds from applied Wi-Fi credentials to the simulated connection")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  cmd->add_option("--local-ctrl-bind", args->local_ctrl_bind,
                  "Serve local control (esp_local_ctrl over HTTP) on HOST:PORT once on the "
                  "network, also while the cloud is unreachable (firmware port: 8080)");
  cmd->add_option("--local-ctrl-sec", args->local_ctrl_sec,
                  "Local control security: 0, 1 (X25519 + PoP, firmware default) or 2 (SRP6a, "
                  "user wifiprov)")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  cmd->add_option("--local-ctrl-pop", args->local_ctrl_pop,
                  "Local control PoP (default: <creds>/local_ctrl_pop, else a new random one "
                  "saved there); published in the node's Local Control service");
  cmd->add_option("--chal-resp-bind", args->chal_resp_bind,
                  "Serve on-network challenge-response (ch_resp) on HOST:PORT once on the "
                  "network, for `provision --transport on-network` (firmware port: 80)");
  cmd->add_option("--chal-resp-sec", args->chal_resp_sec,
                  "On-network challenge-response security: 0, 1 (firmware default) or 2")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  cmd->add_option("--chal-resp-pop", args->chal_resp_pop,
                  "On-network PoP (sec 1: optional, firmware default none; sec 2: the password "
                  "of user wifiprov)");
  ctx.on(*cmd, [&ctx, args] { return run_node(ctx, *args); });
}

}  // namespace stratus::node_cli::detail
