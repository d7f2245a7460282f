// `stratus-console`: parsing and the commands. `provisioning-server` takes the backend
// client's MQTT and fluentd keys (console/settings.hpp) plus `provisioning_config` and
// `debug_level`, as `wm-provisioning-server` does (spec wirepas.md §4, §5.3).
#include "console/app.hpp"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <ostream>
#include <thread>

#include "console/commands.hpp"
#include "console/mqtt_link.hpp"
#include "console/provisioning_server.hpp"
#include "wirepas/topics.hpp"

namespace stratus::console {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

// The original's levels (Python logging names), lowest first.
int level_rank(std::string_view level) {
  if (level == "debug" || level == "DEBUG")
    return 10;
  if (level == "info" || level == "INFO")
    return 20;
  if (level == "warning" || level == "WARNING")
    return 30;
  if (level == "error" || level == "ERROR")
    return 40;
  if (level == "critical" || level == "CRITICAL")
    return 50;
  return -1;
}

// `2026-12-04 03:20:00,123 | [INFO] provisioning: …`, the original's stdout format
// without the Python file and line.
std::string stamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  char out[40];
  std::snprintf(out, sizeof out, "%s,%03d", text, static_cast<int>(ms));
  return out;
}

struct ProvisioningArgs {
  MqttSettings mqtt;
  FluentdSettings fluentd;
  std::string config = "./config.yml";
  std::string debug_level = "info";
  std::string json_status;
  double timeout_s = 180;
};

void add_provisioning_server(CLI::App& app, Environment& env, std::function<int()>& chosen) {
  auto args = std::make_shared<ProvisioningArgs>();
  auto keys = mqtt_keys(args->mqtt);
  for (auto& k : fluentd_keys(args->fluentd))
    keys.push_back(std::move(k));
  keys.push_back(text_key("provisioning_config", "",
                          "YAML list of authorized nodes (default ./config.yml)", args->config));
  auto level =
      text_key("debug_level", "WM_DEBUG_LEVEL",
               "Log level: debug, info (default), warning, error, critical", args->debug_level);
  level.set = [a = args.get()](std::string_view v) {
    if (level_rank(v) < 0)
      return false;
    a->debug_level = std::string(v);
    return true;
  };
  keys.push_back(std::move(level));
  keys.push_back(double_key("provisioning_timeout", "",
                            "Seconds a session waits for the node (default 180)", args->timeout_s,
                            1, 86400));
  auto parser = std::make_shared<SettingsParser>(std::move(keys));
  auto* cmd = app.add_subcommand(
      "provisioning-server",
      "The Wirepas provisioning server: authorizes joining nodes listed in provisioning_config "
      "and sends them their network keys and address (SIGHUP reloads the list)");
  parser->add_flags(*cmd);
  cmd->add_option("--json-status,--json_status", args->json_status,
                  "Keep a JSON summary (counters, recent outcomes) in this file");
  cmd->callback([&env, &chosen, args, parser] {
    chosen = [&env, args, parser]() -> int {
      if (auto ok = parser->resolve(env.getenv); !ok) {
        env.err << "error: " << ok.error().context << "\n";
        return 1;
      }
      const int threshold = level_rank(args->debug_level);
      const ProvisioningLog log = [&env, threshold](std::string_view lvl, const std::string& m) {
        if (level_rank(lvl) >= threshold)
          env.out << stamp() << " | [" << lvl << "] provisioning: " << m << std::endl;
      };
      ProvisioningServerOptions o;
      o.mqtt = args->mqtt;
      o.fluentd = args->fluentd;
      o.config_path = args->config;
      o.json_status = args->json_status;
      o.server.timeout =
          std::chrono::milliseconds(static_cast<std::int64_t>(args->timeout_s * 1000));
      g_stop = false;
      g_reload = false;
      ::signal(SIGINT, [](int) { g_stop = true; });
      ::signal(SIGTERM, [](int) { g_stop = true; });
      ::signal(SIGHUP, [](int) { g_reload = true; });
      auto result = run_provisioning_server(o, log, &g_stop, &g_reload);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      ::signal(SIGHUP, SIG_DFL);
      if (!result) {
        env.err << "error: " << result.error().context << "\n";
        return 1;
      }
      return 0;
    };
  });
}

struct ConsoleArgs {
  MqttSettings mqtt;
  std::string debug_level = "warning";
  std::vector<std::string> commands;
  std::string script;
  bool json = false;
  double settle_s = 1;
  double connect_timeout_s = 15;
};

std::vector<std::string> read_script(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot be read";
    return {};
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#')
      continue;
    lines.push_back(line);
  }
  return lines;
}

// The console: the commands of --command and --script in order (exit 1 when one fails),
// else lines from standard input with a prompt when it is a terminal, until bye, q or EOF.
int run_console(Environment& env, ConsoleArgs& a, SettingsParser& parser) {
  if (auto ok = parser.resolve(env.getenv); !ok) {
    env.err << "error: " << ok.error().context << "\n";
    return 1;
  }
  std::vector<std::string> script;
  if (!a.script.empty()) {
    std::string error;
    script = read_script(a.script, error);
    if (!error.empty()) {
      env.err << "error: " << error << "\n";
      return 1;
    }
  }
  ConsoleOptions options;
  options.json = a.json;
  for (auto& line : parser.describe()) {
    if (line.rfind("mqtt_", 0) == 0)
      options.settings_lines.push_back(std::move(line));
  }
  const auto& m = a.mqtt;
  const auto level = [](const std::string& v) -> std::optional<std::string_view> {
    if (v == "+")
      return std::nullopt;
    return std::string_view(v);
  };
  const auto number = [](const std::string& v) -> std::optional<std::uint64_t> {
    if (v == "+" || v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoull(v);
  };
  const auto endpoint = [&number](const std::string& v) -> std::optional<std::uint8_t> {
    auto n = number(v);
    if (!n || *n > 255)
      return std::nullopt;
    return static_cast<std::uint8_t>(*n);
  };
  const std::string gw = m.subscribe_gateway_id;
  std::vector<std::string> filters = {
      "gw-event/status/" + gw,
      wirepas::received_data_filter(
          level(m.subscribe_gateway_id), level(m.subscribe_sink_id), number(m.subscribe_network_id),
          endpoint(m.subscribe_source_endpoint), endpoint(m.subscribe_destination_endpoint)),
      "gw-response/+/" + gw + "/#",
  };
  const int threshold = level_rank(a.debug_level);
  Console* console = nullptr;
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  auto link = MqttLink::start(
      a.mqtt, "stratus-console-" + std::string(host) + "-" + std::to_string(::getpid()),
      std::move(filters),
      [&console](const std::string& topic, const std::string& payload) {
        if (console != nullptr)
          console->on_message(topic, payload);
      },
      [&env, threshold](bool connected, const std::string& reason) {
        if (!connected && level_rank("WARNING") >= threshold)
          env.err << stamp() << " | [WARNING] console: not connected: " << reason << std::endl;
      });
  if (!link) {
    env.err << "error: " << link.error().context << "\n";
    return 1;
  }
  Console shell(**link, options, env.out);
  console = &shell;
  const auto deadline =
      Link::Clock::now() +
      std::chrono::milliseconds(static_cast<std::int64_t>(a.connect_timeout_s * 1000));
  if (!(*link)->wait_connected(deadline)) {
    env.err << "error: cannot connect to " << a.mqtt.hostname << ":" << a.mqtt.port << "\n";
    return 1;
  }
  // The retained statuses (and with them every sink's configuration) arrive first.
  (*link)->pump(
      Link::Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(a.settle_s * 1000)),
      [] { return false; });

  std::vector<std::string> lines = a.commands;
  lines.insert(lines.end(), script.begin(), script.end());
  if (!lines.empty()) {
    bool all = true;
    for (const auto& line : lines) {
      (*link)->pump(Link::Clock::now(), [] { return false; });  // what arrived meanwhile
      if (line == "bye" || line == "q")
        break;
      all = shell.run(line) && all;
    }
    return all ? 0 : 1;
  }

  // Interactive: a reader thread collects lines, so the map stays current while the user
  // types; `bye`, `q` or end of input end at once (the reader is left blocked, not joined).
  struct Lines {
    std::mutex mutex;
    std::deque<std::string> queue;
    bool eof = false;
  };
  auto in = std::make_shared<Lines>();
  std::thread([in] {
    for (std::string line; std::getline(std::cin, line);) {
      const std::lock_guard lock(in->mutex);
      in->queue.push_back(line);
    }
    const std::lock_guard lock(in->mutex);
    in->eof = true;
  }).detach();
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  bool all = true;
  for (;;) {
    if (tty)
      env.out << shell.prompt() << std::flush;
    std::optional<std::string> line;
    (*link)->pump(Link::Clock::time_point::max(), [&in, &line] {
      const std::lock_guard lock(in->mutex);
      if (!in->queue.empty()) {
        line = std::move(in->queue.front());
        in->queue.pop_front();
      }
      return line.has_value() || in->eof;
    });
    if (!line || *line == "bye" || *line == "q")
      break;
    all = shell.run(*line) && all;
  }
  if (tty)
    env.out << "Thank you for using stratus-console" << std::endl;
  return all ? 0 : 1;
}

}  // namespace

int run(const std::vector<std::string>& args, Environment& env) {
  CLI::App app{
      "stratus-console: the backend console for Wirepas gateways. Without a command it runs "
      "gateway commands (--command, --script, or typed at its prompt); `help` lists them"};
  app.require_subcommand(0, 1);
  std::function<int()> chosen;
  if (!env.getenv)
    env.getenv = [](const std::string&) { return std::optional<std::string>(); };
  add_provisioning_server(app, env, chosen);

  auto console = std::make_shared<ConsoleArgs>();
  auto keys = mqtt_keys(console->mqtt);
  auto level =
      text_key("debug_level", "WM_DEBUG_LEVEL",
               "Log level: debug, info, warning (default), error, critical", console->debug_level);
  level.set = [a = console.get()](std::string_view v) {
    if (level_rank(v) < 0)
      return false;
    a->debug_level = std::string(v);
    return true;
  };
  keys.push_back(std::move(level));
  auto parser = std::make_shared<SettingsParser>(std::move(keys));
  parser->add_flags(app);
  app.add_option("--command,-c", console->commands,
                 "Run this command line (repeatable, in order), then exit; non-zero when one "
                 "fails or times out");
  app.add_option("--script", console->script,
                 "Run the command lines of this file (after --command), then exit");
  app.add_flag("--json", console->json, "Print each command's result as one JSON object");
  app.add_option("--settle", console->settle_s,
                 "Seconds to collect retained statuses before the first command (default 1)");
  app.add_option("--connect-timeout", console->connect_timeout_s,
                 "Seconds to wait for the broker (default 15)");

  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args)
    argv.push_back(arg.c_str());
  if (argv.empty())
    argv.push_back("stratus-console");
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e, env.out, env.err) == 0 ? 0 : 2;
  }
  if (chosen)
    return chosen();
  return run_console(env, *console, *parser);
}

}  // namespace stratus::console
