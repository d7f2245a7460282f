// `stratus-console`: parsing and the commands. `provisioning-server` takes the backend
// client's MQTT and fluentd keys (console/settings.hpp) plus `provisioning_config` and
// `debug_level`, as `wm-provisioning-server` does (spec wirepas.md §4, §5.3).
#include "console/app.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/json.hpp>
#include <boost/url.hpp>
#include <chrono>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <ostream>
#include <thread>

#include "console/capture.hpp"
#include "console/commands.hpp"
#include "console/fluentd.hpp"
#include "console/line_editor.hpp"
#include "console/mqtt_link.hpp"
#include "console/provisioning_server.hpp"
#include "console/rainmaker_map.hpp"
#include "core/strings.hpp"
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

// The console's own log (issue 21 item 7): records at or above `debug_level` go to stderr,
// in the original's format `<time> | [LEVEL] stratus-console@<where>: <message>` or as
// JSON lines (`--log-format json`), and to fluentd when `fluentd_hostname` is set (tag
// `<fluentd_tag>.<fluentd_record>`, the original's fields). Owner thread only.
class ConsoleLog {
 public:
  ConsoleLog(std::ostream& err, std::string_view level, bool json, const FluentdSettings& fluentd)
      : err_(err), threshold_(level_rank(level)), json_(json) {
    if (!fluentd.hostname.empty())
      fluentd_ = std::make_unique<FluentdSender>(fluentd);
  }

  void operator()(std::string_view level, std::string_view where, const std::string& message,
                  const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    if (level_rank(level) < threshold_)
      return;
    if (json_) {
      boost::json::object o{{"time", stamp()},
                            {"level", level},
                            {"logger", "stratus-console"},
                            {"where", where},
                            {"message", message}};
      for (const auto& [k, v] : fields)
        o[k] = v;
      err_ << boost::json::serialize(o) << std::endl;
    } else {
      err_ << stamp() << " | [" << level << "] stratus-console@" << where << ": " << message
           << std::endl;
    }
    if (fluentd_)
      fluentd_->post(level, message, fields);
  }

 private:
  std::ostream& err_;
  int threshold_;
  bool json_;
  std::unique_ptr<FluentdSender> fluentd_;
};

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
  FluentdSettings fluentd;
  std::string debug_level = "warning";
  std::string log_format = "text";
  std::vector<std::string> commands;
  std::string script;
  bool json = false;
  double settle_s = 1;
  double connect_timeout_s = 15;
  std::string capture;       // --capture: every message from the first one
  bool rainmaker = false;    // --rainmaker: RainMaker node topics too
  std::string stratus_data;  // --stratus-data: stratusd's backend identity
};

// stratusd's backend user on its embedded broker (server/server.cpp, docs/adr/0018).
constexpr std::string_view kStratusBackendUser = "stratus-backend";

// `--stratus-data DIR`: connect as stratusd's backend does, to the plain loopback listener
// of the broker stratusd runs on DIR, with the secret from DIR's PKI store. The backend
// may read every topic, so RainMaker and Wirepas traffic are both seen. Errors:
// unavailable when stratusd does not run there (no runtime.json) or runs with an external
// broker; invalid_argument for an unreadable file.
Result<void> use_stratus_data(const std::string& dir, MqttSettings& m) {
  const std::string runtime_path = dir + "/runtime.json";
  std::ifstream runtime(runtime_path);
  if (!runtime)
    return fail(errc::unavailable,
                runtime_path + " is missing: stratusd does not run on " + dir + " now");
  const std::string text((std::istreambuf_iterator<char>(runtime)), {});
  boost::json::error_code ec;
  const auto v = boost::json::parse(text, ec);
  const auto* port = !ec && v.is_object() ? v.as_object().if_contains("backend_port") : nullptr;
  if (port == nullptr || !port->is_int64() || port->as_int64() < 0 || port->as_int64() > 65535)
    return fail(errc::invalid_argument, runtime_path + ": no backend_port");
  if (port->as_int64() == 0)
    return fail(errc::unavailable, "stratusd on " + dir +
                                       " uses an external broker: connect to that broker "
                                       "with --mqtt_hostname and its credentials");
  const std::string secret_path = dir + "/pki/backend.secret";
  std::ifstream secret_file(secret_path);
  std::string secret;
  if (!secret_file || !std::getline(secret_file, secret) || trim(secret).empty())
    return fail(errc::invalid_argument, secret_path + " cannot be read (run as stratusd's user)");
  m.hostname = "127.0.0.1";
  m.port = static_cast<int>(port->as_int64());
  m.username = std::string(kStratusBackendUser);
  m.password = std::string(trim(secret));
  m.force_unsecure = true;  // the backend listener is plain TCP on loopback
  m.ca_certs.clear();
  m.certfile.clear();
  m.keyfile.clear();
  return {};
}

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

// Standard input that is not a terminal, read on a thread of its own so the map stays
// current meanwhile; the reader is left blocked at exit, not joined.
struct Lines {
  std::mutex mutex;
  std::deque<std::string> queue;
  std::uint64_t received = 0;  // lines read so far
  bool eof = false;
};

// What the user types: at a terminal through libedit (history, TAB completion), each line
// read on a short-lived thread while the link keeps pumping; from a pipe, line by line.
class Typed {
 public:
  explicit Typed(Environment& env) : env_(env), tty_(::isatty(STDIN_FILENO) != 0) {
    if (tty_) {
      editor_ = std::make_unique<LineEditor>(default_history_path().value_or(""));
    } else {
      pipe_ = std::make_shared<Lines>();
      std::thread([in = pipe_] {
        for (std::string line; std::getline(std::cin, line);) {
          const std::lock_guard lock(in->mutex);
          in->queue.push_back(line);
          ++in->received;
        }
        const std::lock_guard lock(in->mutex);
        in->eof = true;
      }).detach();
    }
  }

  [[nodiscard]] bool tty() const { return tty_; }

  // The next line (the prompt shown at a terminal), nullopt at end of input.
  std::optional<std::string> line(Link& link, const std::string& prompt) {
    if (tty_) {
      std::mutex m;
      std::optional<std::optional<std::string>> got;
      std::thread reader([&] {
        auto l = editor_->read(prompt);
        const std::lock_guard lock(m);
        got = std::move(l);
      });
      link.pump(Link::Clock::time_point::max(), [&] {
        const std::lock_guard lock(m);
        return got.has_value();
      });
      reader.join();
      return std::move(*got);
    }
    if (!prompt.empty())
      env_.err << prompt << std::endl;  // a menu's question (stdout may be JSON)
    std::optional<std::string> l;
    bool eof = false;
    link.pump(Link::Clock::time_point::max(), [&] {
      const std::lock_guard lock(pipe_->mutex);
      if (!pipe_->queue.empty()) {
        l = std::move(pipe_->queue.front());
        pipe_->queue.pop_front();
      }
      eof = pipe_->eof;
      return l.has_value() || eof;
    });
    return l;
  }

  // Whether the user typed a line since the command started (it ends a loop command and
  // is taken, as the original did). At a terminal libedit is idle while a command runs,
  // so a typed line waits in the terminal: it is read here and dropped. From a pipe, the
  // lines queued before the command started are the next commands, not interrupts; a
  // line that arrives while it runs, or the end of input, ends the loop.
  bool interrupted() {
    if (interrupt_)
      return true;
    if (tty_) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)) != 0) {
        char c = 0;
        while (::read(STDIN_FILENO, &c, 1) == 1 && c != '\n') {
        }
        interrupt_ = true;
      }
    } else {
      const std::lock_guard lock(pipe_->mutex);
      if (pipe_->received > received_at_start_ && !pipe_->queue.empty()) {
        pipe_->queue.pop_back();
        interrupt_ = true;
      }
      interrupt_ = interrupt_ || pipe_->eof;
    }
    return interrupt_;
  }

  void command_starts() {
    interrupt_ = false;
    if (pipe_) {
      const std::lock_guard lock(pipe_->mutex);
      received_at_start_ = pipe_->received;
    }
  }

  // TAB completion offers what `shell` knows now.
  void offer(const Console& shell) {
    if (!editor_)
      return;
    CompletionWords w;
    w.commands = Console::command_names();
    for (const auto& c : w.commands)
      w.keys[c] = Console::command_keys(c);
    w.ids = shell.known_ids();
    editor_->set_words(std::move(w));
  }

 private:
  Environment& env_;
  bool tty_;
  std::unique_ptr<LineEditor> editor_;
  std::shared_ptr<Lines> pipe_;
  bool interrupt_ = false;
  std::uint64_t received_at_start_ = 0;
};

// Interactive use: loops end on a typed line, menus ask; the link is the console's.
void interact(ConsoleOptions& options, const std::shared_ptr<Typed>& typed, Link*& link) {
  options.interrupted = [typed] { return typed->interrupted(); };
  options.ask = [typed, &link](const std::string& question) -> std::optional<std::string> {
    if (link == nullptr)
      return std::nullopt;
    return typed->line(*link, question);
  };
}

// Runs `lines` in order (exit 1 when one fails), or without any, what the user types
// until bye, q or end of input.
int drive(Environment& env, Console& shell, Link& link, const std::vector<std::string>& lines,
          Typed* typed) {
  bool all = true;
  if (typed == nullptr) {
    for (const auto& line : lines) {
      link.pump(Link::Clock::now(), [] { return false; });  // what arrived meanwhile
      const auto word = trim(line);
      if (word == "bye" || word == "q")
        break;
      all = shell.run(line) && all;
    }
    return all ? 0 : 1;
  }
  if (typed->tty()) {
    env.out << "Welcome to stratus-console, the Wirepas backend console\n"
            << "Arguments are positional or key=value; type help or ? to list commands\n"
            << "Type ! to escape shell commands; use TAB for auto complete\n"
            << "Use CTRL-D, bye or q to exit" << std::endl;
  }
  for (;;) {
    typed->offer(shell);
    auto line = typed->line(link, typed->tty() ? shell.prompt() : "");
    if (!line)
      break;
    const auto word = trim(*line);
    if (word == "bye" || word == "q")
      break;
    typed->command_starts();
    all = shell.run(*line) && all;
  }
  if (typed->tty())
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
  if (!a.stratus_data.empty()) {
    if (auto ok = use_stratus_data(a.stratus_data, a.mqtt); !ok) {
      env.err << "error: " << ok.error().context << "\n";
      return 1;
    }
    a.rainmaker = true;
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
  std::shared_ptr<Typed> typed;
  Link* typed_link = nullptr;  // set once the link exists
  if (a.commands.empty() && script.empty()) {
    typed = std::make_shared<Typed>(env);
    interact(options, typed, typed_link);
  }
  for (auto& line : parser.describe()) {
    if (line.rfind("mqtt_", 0) == 0 || line.rfind("fluentd_", 0) == 0)
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
  if (a.rainmaker) {
    const auto& rm = rainmaker_filters();
    filters.insert(filters.end(), rm.begin(), rm.end());
  }
  ConsoleLog log(env.err, a.debug_level, a.log_format == "json", a.fluentd);
  // Command outcomes are INFO: the failure itself is already on stdout.
  options.on_command = [&log](std::string_view line, bool ok, const std::string& error) {
    if (ok)
      log("INFO", "commands", "command ok: " + std::string(line),
          {{"command", std::string(line)}, {"ok", "true"}});
    else
      log("INFO", "commands", "command failed: " + std::string(line) + ": " + error,
          {{"command", std::string(line)}, {"ok", "false"}, {"error", error}});
  };
  Console* console = nullptr;
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string broker = a.mqtt.hostname + ":" + std::to_string(a.mqtt.port);
  auto link = MqttLink::start(
      a.mqtt, "stratus-console-" + std::string(host) + "-" + std::to_string(::getpid()),
      std::move(filters),
      [&console, &log](const std::string& topic, const std::string& payload, int qos, bool retain) {
        log("DEBUG", "mqtt",
            "message on " + topic + " (" + std::to_string(payload.size()) + " bytes, qos " +
                std::to_string(qos) + ")");
        if (console != nullptr)
          console->on_message(topic, payload, qos, retain);
      },
      [&log, broker](bool connected, const std::string& reason) {
        if (connected)
          log("INFO", "mqtt", "connected to " + broker, {{"broker", broker}});
        else
          log("WARNING", "mqtt", "not connected to " + broker + ": " + reason,
              {{"broker", broker}, {"reason", reason}});
      });
  if (!link) {
    env.err << "error: " << link.error().context << "\n";
    return 1;
  }
  Console shell(**link, options, env.out);
  console = &shell;
  typed_link = link->get();
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
  return drive(env, shell, **link, lines, typed.get());
}

// A capture played into the console offline: nothing is published; each message is
// delivered during `pump` once its time has come (its offset from the first message
// divided by the speed; at once when the speed is 0).
class ReplayLink final : public Link {
 public:
  ReplayLink(std::vector<CapturedMessage> messages, double speed)
      : messages_(std::move(messages)), speed_(speed) {}

  Result<void> publish(std::string_view, std::string_view, int, bool) override {
    return fail(errc::unavailable, "replay: offline, nothing is published");
  }
  void pump(Clock::time_point until, const std::function<bool()>& done) override {
    if (!started_) {
      started_ = true;
      start_ = Clock::now();
    }
    while (!done()) {
      const auto now = Clock::now();
      while (next_ < messages_.size() && due(messages_[next_]) <= now) {
        const auto& m = messages_[next_++];
        if (console_ != nullptr)
          console_->on_message(m.topic, m.payload, m.qos, m.retain);
        if (done())
          return;
      }
      if (now >= until)
        return;
      auto wake = std::min<Clock::time_point>(until, now + std::chrono::milliseconds(20));
      if (next_ < messages_.size())
        wake = std::min(wake, due(messages_[next_]));
      std::this_thread::sleep_until(wake);
    }
  }
  void attach(Console& console) { console_ = &console; }
  // Whether every message was delivered.
  [[nodiscard]] bool finished() const { return next_ == messages_.size(); }
  [[nodiscard]] std::size_t size() const { return messages_.size(); }

 private:
  Clock::time_point due(const CapturedMessage& m) const {
    if (speed_ <= 0)
      return start_;
    const auto offset = static_cast<double>(m.t_us - messages_.front().t_us) / speed_;
    return start_ + std::chrono::microseconds(static_cast<std::int64_t>(offset));
  }

  std::vector<CapturedMessage> messages_;
  double speed_;
  std::size_t next_ = 0;
  bool started_ = false;
  Clock::time_point start_{};
  Console* console_ = nullptr;
};

struct ReplayArgs {
  std::string file;
  double speed = 0;  // 0: as fast as possible
  bool as_fast_as_possible = false;
  bool json = false;
  std::vector<std::string> commands;
  std::string script;
  std::string to_broker;  // republish to this broker instead
  std::string ca_certs;   // for an mqtts:// broker
};

// `mqtt://[user[:password]@]host[:port]` (plain, 1883) or `mqtts://…` (TLS, 8883) as the
// console's MQTT settings. Errors: invalid_argument naming what is wrong.
Result<MqttSettings> broker_url(const std::string& text, const std::string& ca_certs) {
  auto url = boost::urls::parse_uri(text);
  if (!url)
    return fail(errc::invalid_argument, "--to-broker: \"" + text + "\" is not a URL");
  MqttSettings m;
  if (url->scheme() == "mqtt") {
    m.port = 1883;
    m.force_unsecure = true;
  } else if (url->scheme() == "mqtts") {
    m.port = 8883;
    m.ca_certs = ca_certs;
  } else {
    return fail(errc::invalid_argument, "--to-broker: the scheme is mqtt:// or mqtts://");
  }
  m.hostname = url->host();
  if (m.hostname.empty())
    return fail(errc::invalid_argument, "--to-broker: no host in \"" + text + "\"");
  if (url->has_port()) {
    if (url->port_number() == 0)
      return fail(errc::invalid_argument, "--to-broker: the port is 1-65535");
    m.port = url->port_number();
  }
  if (url->has_userinfo()) {
    m.username = url->user();
    m.password = url->password();
  }
  return m;
}

// `replay --to-broker`: the capture's messages published again with their original spacing
// divided by the speed (at once when 0), topic, QoS and retain flag as captured.
int republish(Environment& env, const ReplayArgs& a, const std::vector<CapturedMessage>& capture,
              double speed) {
  auto settings = broker_url(a.to_broker, a.ca_certs);
  if (!settings) {
    env.err << "error: " << settings.error().context << "\n";
    return 1;
  }
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  auto link = MqttLink::start(
      *settings, "stratus-console-replay-" + std::string(host) + "-" + std::to_string(::getpid()),
      {}, [](const std::string&, const std::string&, int, bool) {}, {});
  if (!link) {
    env.err << "error: " << link.error().context << "\n";
    return 1;
  }
  if (!(*link)->wait_connected(Link::Clock::now() + std::chrono::seconds(15))) {
    env.err << "error: cannot connect to " << settings->hostname << ":" << settings->port << "\n";
    return 1;
  }
  const auto start = Link::Clock::now();
  const auto t0 = capture.empty() ? 0 : capture.front().t_us;
  std::size_t sent = 0;
  for (const auto& m : capture) {
    if (speed > 0) {
      const auto offset = static_cast<double>(m.t_us - t0) / speed;
      (*link)->pump(start + std::chrono::microseconds(static_cast<std::int64_t>(offset)),
                    [] { return false; });
    }
    if (auto ok = (*link)->publish(m.topic, m.payload, m.qos, m.retain); !ok) {
      env.err << "error: publishing " << m.topic << ": " << ok.error().context << "\n";
      return 1;
    }
    ++sent;
  }
  // Nothing is lost at the disconnect: every message acknowledged (or written, QoS 0).
  if (!(*link)->flush(Link::Clock::now() + std::chrono::seconds(30))) {
    env.err << "error: the broker did not acknowledge every message within 30 s\n";
    return 1;
  }
  env.err << "republished " << sent << " message(s) from " << a.file << " to " << settings->hostname
          << ":" << settings->port << std::endl;
  return 0;
}

// `replay`: the capture's messages go through the console's decoders and map. At once by
// default, before the commands run; with --speed N they play with their original spacing
// divided by N while the commands (or the shell) run, as a live broker's would.
int run_replay(Environment& env, const ReplayArgs& a) {
  auto capture = load_capture(a.file);
  if (!capture) {
    env.err << "error: " << capture.error().context << "\n";
    return 1;
  }
  if (a.speed < 0) {
    env.err << "error: --speed must be positive\n";
    return 1;
  }
  // Into the console: at once unless --speed; to a broker: original timing unless
  // --as-fast-as-possible.
  const double speed = a.as_fast_as_possible  ? 0
                       : a.speed > 0          ? a.speed
                       : !a.to_broker.empty() ? 1
                                              : 0;
  if (!a.to_broker.empty()) {
    if (!a.commands.empty() || !a.script.empty()) {
      env.err << "error: --to-broker publishes only; run the console against that broker\n";
      return 1;
    }
    return republish(env, a, *capture, speed);
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
  ReplayLink link(std::move(*capture), speed);
  ConsoleOptions options;
  options.json = a.json;
  std::shared_ptr<Typed> typed;
  Link* typed_link = &link;
  if (lines.empty()) {
    typed = std::make_shared<Typed>(env);
    interact(options, typed, typed_link);
  }
  Console shell(link, options, env.out);
  link.attach(shell);
  if (speed <= 0)
    link.pump(Link::Clock::now(), [] { return false; });  // all of it, before any command
  const int status = drive(env, shell, link, lines, typed.get());
  env.err << "replayed " << (link.finished() ? "all " : "part of the ") << link.size()
          << " message(s) of " << a.file << std::endl;
  return status;
}

void add_replay(CLI::App& app, Environment& env, std::function<int()>& chosen) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Feed a capture (`capture start <file>`) into the console's decoders and map offline "
      "and run --command/--script on it, or the prompt; or publish it to a broker again "
      "(--to-broker)");
  cmd->add_option("file", args->file, "The capture file (JSON lines)")->required();
  cmd->add_option("--speed", args->speed,
                  "Keep the original spacing divided by this factor while the commands run "
                  "(default: at once into the console, 1 with --to-broker)");
  cmd->add_flag("--as-fast-as-possible", args->as_fast_as_possible,
                "Feed or publish every message at once");
  cmd->add_option("--command,-c", args->commands, "Run this command line (repeatable)");
  cmd->add_option("--script", args->script, "Run the command lines of this file");
  cmd->add_flag("--json", args->json, "Print each command's result as one JSON object");
  cmd->add_option("--to-broker", args->to_broker,
                  "Publish the capture to this broker instead (mqtt://[user[:pass]@]host[:port] "
                  "or mqtts://…), with its original timing unless --as-fast-as-possible");
  cmd->add_option("--ca-certs", args->ca_certs, "CA certificates for an mqtts:// broker");
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
  for (auto& k : fluentd_keys(console->fluentd))
    keys.push_back(std::move(k));
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
  app.add_option("--log-format", console->log_format,
                 "The log on stderr: text (the original's format, default) or json (one object "
                 "a line)")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--rainmaker", console->rainmaker,
               "Subscribe to RainMaker node topics and presence too (rm_nodes, rm_track)");
  app.add_option("--stratus-data", console->stratus_data,
                 "Connect with the backend identity of the stratusd running on this data "
                 "directory (its embedded broker); implies --rainmaker");
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
