#include "console/provisioning_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <random>

#include "console/detail/inbox.hpp"
#include "console/detail/wall_clock.hpp"
#include "console/fluentd.hpp"
#include "mqtt/client.hpp"

namespace stratus::console {
namespace {

namespace prov = wirepas::provisioning;
using Clock = std::chrono::steady_clock;

// Replaces `path` atomically, so a reader never sees half a file.
void write_file(const std::string& path, const std::string& text, const ProvisioningLog& log) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << '\n';
    if (!out) {
      log("WARNING", "cannot write " + tmp);
      return;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    log("WARNING", "cannot replace " + path);
}

std::string describe(const ProvisioningOutcome& o) {
  std::string line = "session " + std::to_string(o.key.source_address) + "/" +
                     std::to_string(o.key.node_address) + "/" + std::to_string(o.key.session_id);
  if (!o.uid.empty())
    line += " uid " + o.uid;
  if (!o.name.empty() && o.name != o.uid)
    line += " (" + o.name + ")";
  if (!o.gw_id.empty())
    line += " via " + o.gw_id + "/" + o.sink_id;
  line += ": ";
  line += prov::to_string(o.status);
  return line;
}

// A persistent session needs the same id after a restart; otherwise two servers on one
// host must not take each other's connection over.
// The list holds network and factory keys: say so when others can read it.
void check_mode(const std::string& path,
                const std::function<void(std::string_view, const std::string&)>& say) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    say("WARNING", path + " is readable by group or others (mode " + mode +
                       ") and holds network and factory keys: chmod 600 it");
  }
}

std::string default_client_id(bool persistent) {
  char name[64] = {};
  ::gethostname(name, sizeof name - 1);
  std::string id = "stratus-provisioning-" + std::string(name);
  if (!persistent)
    id += "-" + std::to_string(::getpid());
  return id;
}

}  // namespace

Result<ProvisioningCounters> run_provisioning_server(const ProvisioningServerOptions& options,
                                                     const ProvisioningLog& log,
                                                     const std::atomic<bool>* stop,
                                                     std::atomic<bool>* reload) {
  if (auto ok = validate(options.mqtt); !ok)
    return fail(ok.error());
  auto config = load_provisioning_config(options.config_path);
  if (!config)
    return fail(config.error());
  log("INFO",
      options.config_path + ": " + std::to_string(config->nodes.size()) + " node(s) authorized");

  std::unique_ptr<FluentdSender> fluentd;
  if (!options.fluentd.hostname.empty())
    fluentd = std::make_unique<FluentdSender>(options.fluentd);
  auto say = [&](std::string_view level, const std::string& message,
                 const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    log(level, message);
    if (fluentd)
      fluentd->post(level, message, fields);
  };

  check_mode(options.config_path, say);
  std::random_device entropy;
  ProvisioningBackend backend(std::move(*config), options.server,
                              (std::uint64_t{entropy()} << 32) | entropy());
  detail::Inbox inbox;
  const auto dispatch = [&inbox](std::function<void()> f) { inbox.push(std::move(f)); };
  auto client = mqtt::make_mosquitto_client(
      client_options(options.mqtt,
                     options.client_id.empty() ? default_client_id(options.mqtt.persist_session)
                                               : options.client_id,
                     std::chrono::seconds(60)),
      dispatch);
  const auto started = Clock::now();
  bool dirty = true;
  Clock::time_point last_status{};

  std::function<void(ProvisioningBackend::Output)> apply = [&](ProvisioningBackend::Output out) {
    for (auto& p : out.publishes) {
      if (!client->publish(p.topic, p.payload, 1, false)) {
        // Not connected: a failed send, which the session retries or ends with.
        apply(backend.on_publish_failed(p.req_id, Clock::now(), detail::wall_ms()));
      }
    }
    for (const auto& o : out.finished) {
      say(o.status == prov::FinalStatus::success ? "INFO" : "WARNING", describe(o),
          {{"status", std::string(prov::to_string(o.status))},
           {"uid", o.uid},
           {"name", o.name},
           {"gw_id", o.gw_id},
           {"sink_id", o.sink_id},
           {"source_address", std::to_string(o.key.source_address)}});
    }
    if (!out.publishes.empty() || !out.finished.empty())
      dirty = true;
  };

  client->on_message([&](const mqtt::Message& m) {
    apply(backend.on_message(m.topic, m.payload, Clock::now(), detail::wall_ms()));
    dirty = true;
  });
  client->on_connection([&](bool connected, const std::string& reason) {
    if (connected)
      say("INFO",
          "connected to " + options.mqtt.hostname + ":" + std::to_string(options.mqtt.port));
    else
      say("WARNING", "not connected: " + reason);
  });
  for (const auto& filter : ProvisioningBackend::filters(options.mqtt))
    client->subscribe(filter, 1);
  if (auto ok = client->start(); !ok)
    return fail(ok.error());

  while (stop == nullptr || !stop->load()) {
    if (reload != nullptr && reload->exchange(false)) {
      auto fresh = load_provisioning_config(options.config_path);
      if (fresh) {
        check_mode(options.config_path, say);
        const auto n = fresh->nodes.size();
        backend.reload(std::move(*fresh));
        say("INFO", options.config_path + " reloaded: " + std::to_string(n) +
                        " node(s) authorized, " + std::to_string(backend.sessions()) +
                        " session(s) continue");
        dirty = true;
      } else {
        say("ERROR", "reload refused, the previous configuration stays:\n" + fresh.error().context);
      }
    }
    auto until = Clock::now() + std::chrono::milliseconds(200);  // stop/reload checks
    if (auto wake = backend.next_wakeup(); wake && *wake < until)
      until = *wake;
    for (auto& work : inbox.wait(until))
      work();
    apply(backend.tick(Clock::now(), detail::wall_ms()));
    const auto now = Clock::now();
    if (!options.json_status.empty() && dirty &&
        now - last_status >= std::chrono::milliseconds(250)) {
      write_file(options.json_status, status_json(backend, detail::wall_ms()), log);
      dirty = false;
      last_status = now;
    }
  }
  client->stop();
  // Messages still queued are left alone: answering them now could only fail (the client
  // is stopped) and would log sessions as failed that never were.
  if (!options.json_status.empty())
    write_file(options.json_status, status_json(backend, detail::wall_ms()), log);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count();
  say("INFO", "stopped after " + std::to_string(seconds) + " s, " +
                  std::to_string(backend.sessions()) + " session(s) open");
  return backend.counters();
}

}  // namespace stratus::console
