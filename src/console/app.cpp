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

#include "console/capture.hpp"
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

// `debug_level` (env WM_DEBUG_LEVEL): one of the original's level names, `fallback` when
// unset.
SettingKey debug_level_key(std::string& field, const std::string& fallback) {
  std::string help = "Log level: debug, info, warning, error, critical (default " + fallback + ")";
  auto key = text_key("debug_level", "WM_DEBUG_LEVEL", std::move(help), field);
  key.set = [&field](std::string_view v) {
    if (level_rank(v) < 0)
      return false;
    field = std::string(v);
    return true;
  };
  return key;
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
  keys.push_back(debug_level_key(args->debug_level, "info"));
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
  std::string capture;  // --capture: every message from the first one
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

// Standard input, read on a thread of its own so the map stays current while the user
// types; `bye`, `q` or end of input end at once (the reader is left blocked, not joined).
struct Lines {
  std::mutex mutex;
  std::deque<std::string> queue;
  bool eof = false;
  bool interrupt = false;  // a line arrived while a loop command ran (and was taken)
};

void start_reading(const std::shared_ptr<Lines>& in) {
  std::thread([in] {
    for (std::string line; std::getline(std::cin, line);) {
      const std::lock_guard lock(in->mutex);
      in->queue.push_back(line);
    }
    const std::lock_guard lock(in->mutex);
    in->eof = true;
  }).detach();
}

// What ends a loop command typed at the prompt: any line (taken, as the original did).
std::function<bool()> interrupter(const std::shared_ptr<Lines>& in) {
  return [in] {
    const std::lock_guard lock(in->mutex);
    if (!in->interrupt && !in->queue.empty()) {
      in->queue.pop_front();
      in->interrupt = true;
    }
    return in->interrupt;
  };
}

// Runs `lines` in order (exit 1 when one fails), or without any, lines from standard input
// with a prompt when it is a terminal, until bye, q or end of input.
int drive(Environment& env, Console& shell, Link& link, const std::vector<std::string>& lines,
          const std::shared_ptr<Lines>& in) {
  bool all = true;
  if (!lines.empty()) {
    for (const auto& line : lines) {
      link.pump(Link::Clock::now(), [] { return false; });  // what arrived meanwhile
      if (line == "bye" || line == "q")
        break;
      all = shell.run(line) && all;
    }
    return all ? 0 : 1;
  }
  start_reading(in);
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  for (;;) {
    if (tty)
      env.out << shell.prompt() << std::flush;
    std::optional<std::string> line;
    link.pump(Link::Clock::time_point::max(), [&in, &line] {
      const std::lock_guard lock(in->mutex);
      if (!in->queue.empty()) {
        line = std::move(in->queue.front());
        in->queue.pop_front();
      }
      return line.has_value() || in->eof;
    });
    if (!line || *line == "bye" || *line == "q")
      break;
    {
      const std::lock_guard lock(in->mutex);
      in->interrupt = false;
    }
    all = shell.run(*line) && all;
  }
  if (tty)
    env.out << "Thank you for using stratus-console" << std::endl;
  return all ? 0 : 1;
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
  auto in = std::make_shared<Lines>();
  if (a.commands.empty() && script.empty())
    options.interrupted = interrupter(in);
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
      [&console](const std::string& topic, const std::string& payload, int qos, bool retain) {
        if (console != nullptr)
          console->on_message(topic, payload, qos, retain);
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
  if (!a.capture.empty()) {
    if (auto started = shell.start_capture(a.capture); !started) {
      env.err << "error: " << started.error().context << "\n";
      return 1;
    }
  }
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
  return drive(env, shell, **link, lines, in);
}

// A capture fed into the console offline: nothing is published, time only passes.
class ReplayLink final : public Link {
 public:
  Result<void> publish(std::string_view, std::string_view, int, bool) override {
    return fail(errc::unavailable, "replay: offline, nothing is published");
  }
  void pump(Clock::time_point until, const std::function<bool()>& done) override {
    while (!done()) {
      const auto now = Clock::now();
      if (now >= until)
        return;
      std::this_thread::sleep_for(
          std::min<Clock::duration>(std::chrono::milliseconds(20), until - now));
    }
  }
};

struct ReplayArgs {
  std::string file;
  double speed = 0;  // 0: as fast as possible
  bool as_fast_as_possible = false;
  bool json = false;
  std::vector<std::string> commands;
  std::string script;
};

// `replay`: the capture's messages go through the console's decoders and map (with their
// original spacing divided by --speed, or at once), then the commands run on that map.
int run_replay(Environment& env, const ReplayArgs& a) {
  auto capture = load_capture(a.file);
  if (!capture) {
    env.err << "error: " << capture.error().context << "\n";
    return 1;
  }
  std::vector<std::string> lines = a.commands;
  if (!a.script.empty()) {
    std::string error;
    auto script = read_script(a.script, error);
    if (!error.empty()) {
      env.err << "error: " << error << "\n";
      return 1;
    }
    lines.insert(lines.end(), script.begin(), script.end());
  }
  if (a.speed < 0) {
    env.err << "error: --speed must be positive\n";
    return 1;
  }
  ReplayLink link;
  ConsoleOptions options;
  options.json = a.json;
  auto in = std::make_shared<Lines>();
  if (lines.empty())
    options.interrupted = interrupter(in);
  Console shell(link, options, env.out);
  const double speed = a.as_fast_as_possible ? 0 : a.speed;
  const auto start = Link::Clock::now();
  const auto t0 = capture->empty() ? 0 : capture->front().t_us;
  for (const auto& m : *capture) {
    if (speed > 0) {
      const auto offset = static_cast<double>(m.t_us - t0) / speed;
      std::this_thread::sleep_until(start +
                                    std::chrono::microseconds(static_cast<std::int64_t>(offset)));
    }
    shell.on_message(m.topic, m.payload, m.qos, m.retain);
  }
  env.err << "replayed " << capture->size() << " message(s) from " << a.file << std::endl;
  return drive(env, shell, link, lines, in);
}

void add_replay(CLI::App& app, Environment& env, std::function<int()>& chosen) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Feed a capture (`capture start <file>`) into the console's decoders and map offline, "
      "then run --command/--script on it, or the prompt");
  cmd->add_option("file", args->file, "The capture file (JSON lines)")->required();
  cmd->add_option("--speed", args->speed,
                  "Keep the original spacing divided by this factor (default: at once)");
  cmd->add_flag("--as-fast-as-possible", args->as_fast_as_possible,
                "Feed every message at once (the default)");
  cmd->add_option("--command,-c", args->commands, "Run this command line (repeatable)");
  cmd->add_option("--script", args->script, "Run the command lines of this file");
  cmd->add_flag("--json", args->json, "Print each command's result as one JSON object");
  cmd->callback(
      [&env, &chosen, args] { chosen = [&env, args] { return run_replay(env, *args); }; });
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
  add_replay(app, env, chosen);

  auto console = std::make_shared<ConsoleArgs>();
  auto keys = mqtt_keys(console->mqtt);
  keys.push_back(debug_level_key(console->debug_level, "warning"));
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
  app.add_option("--capture", console->capture,
                 "Write every message seen, from the first one, to this capture file (JSON "
                 "lines; `stratus-console replay` reads it)");

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
