#include "sim/node_runner.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <system_error>
#include <utility>

#include "agent/local_control.hpp"
#include "agent/node_agent.hpp"
#include "agent/on_network.hpp"
#include "agent/standard.hpp"
#include "pki/key.hpp"
#include "pki/signature.hpp"
#include "proto/payloads.hpp"
#include "sim/local_control_server.hpp"
#include "sim/provisioning_server.hpp"
#include "sim/virtual_node.hpp"

namespace stratus::sim {

namespace {

constexpr std::size_t kMaxStateFileBytes = 1 << 20;

// Applies the values saved in `path` that still fit the model; nothing is reported for
// them (the boot's init snapshot carries them).
void load_state(agent::NodeModel& model, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxStateFileBytes) {
    return;
  }
  std::error_code ec;
  const auto saved = boost::json::parse(text.str(), ec);
  if (ec || !saved.is_object()) {
    return;
  }
  for (const auto& [device, params] : saved.get_object()) {
    if (!params.is_object()) {
      continue;
    }
    for (const auto& [param, value] : params.get_object()) {
      (void)model.update(device, param, value);
    }
  }
  model.clear_changes();
}

// Writes `text` to `path` atomically (temp file + rename), mode 0600.
void save_state(const std::string& path, const std::string& text) {
  const auto tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
      return;
    }
  }
  std::error_code ec;
  std::filesystem::permissions(
      tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(tmp, path, ec);
}

Result<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(errc::invalid_argument, "cannot read " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxStateFileBytes) {
    return fail(errc::invalid_argument, path + ": larger than 1 MiB");
  }
  return text.str();
}

// The node key as a challenge signer (`esp_rmaker_node_auth_sign_msg`).
Result<agent::ChallengeSigner> load_signer(const std::string& key_file) {
  auto pem = read_small_file(key_file);
  if (!pem) {
    return fail(std::move(pem).error());
  }
  auto key = pki::PrivateKey::from_pem(*pem);
  if (!key) {
    return fail(errc::invalid_argument, key_file + ": " + key.error().context);
  }
  return agent::ChallengeSigner(
      [key = std::make_shared<pki::PrivateKey>(std::move(*key))](std::string_view challenge) {
        return pki::sign_message(*key, challenge);
      });
}

// The local-control PoP: given, else stored, else a new one stored (the firmware's NVS
// `local_ctrl`/`pop`).
Result<std::string> resolve_local_control_pop(const LocalControlRunOptions& options) {
  if (!options.pop.empty() || options.security == protocomm::SecurityVersion::sec0) {
    return options.pop;
  }
  if (!options.pop_file.empty()) {
    std::ifstream in(options.pop_file, std::ios::binary);
    std::string stored;
    if (in && std::getline(in, stored)) {
      while (!stored.empty() && (stored.back() == '\r' || stored.back() == ' ')) {
        stored.pop_back();
      }
      if (!stored.empty() && stored.size() <= 64) {
        return stored;
      }
    }
  }
  auto pop = agent::make_local_control_pop(protocomm::system_random());
  if (!options.pop_file.empty()) {
    save_state(options.pop_file, pop + "\n");
    std::error_code ec;
    if (!std::filesystem::exists(options.pop_file, ec)) {
      return fail(errc::invalid_argument, "cannot write " + options.pop_file);
    }
  }
  return pop;
}

}  // namespace

struct NodeRunner::Impl {
  SystemClock clock;
  VirtualNode node;
  std::unique_ptr<agent::NodeAgent> agent;
  LineSink sink;
  std::string model_name;
  std::string state_file;
  std::string saved;     // last state written (agent thread, then stop)
  std::string endpoint;  // mqtt host:port, for the "connecting" line

  // Provisioning: the transport runs until the station joins; the agent starts then.
  std::unique_ptr<ProvisioningServer> provisioning;
  std::string wifi_file;
  std::mutex mutex;  // agent_started, stopping, the network services
  bool agent_started = false;
  bool stopping = false;

  // Local control and on-network challenge-response: created at start, served from the
  // connection on (the firmware starts them when the station has its address).
  std::optional<LocalControlRunOptions> local_options;
  std::string local_pop;
  std::unique_ptr<agent::LocalControlEngine> local_engine;
  std::unique_ptr<ProtocommServer> local_server;
  std::optional<OnNetworkRunOptions> on_network_options;
  std::unique_ptr<agent::OnNetworkChallengeEngine> on_network_engine;
  std::unique_ptr<ProtocommServer> on_network_server;

  Result<void> start_agent() {
    std::lock_guard lock(mutex);
    if (agent_started || stopping) {
      return {};
    }
    if (auto ok = agent->start(); !ok) {
      return ok;
    }
    agent_started = true;
    sink("node " + node.model->node_id() + " (" + model_name + ") connecting to " + endpoint);
    return start_network_services();
  }

  // Under `mutex`, once the agent runs.
  Result<void> start_network_services() {
    if (local_engine) {
      ProtocommServerOptions server_options;
      server_options.bind_address = local_options->bind_address;
      server_options.port = local_options->port;
      auto server = start_local_control_server(
          std::move(local_engine),
          [this](std::function<void(agent::NodeSession&, agent::MqttActions&)> task) {
            agent->post(std::move(task));
          },
          server_options);
      if (!server) {
        return fail(std::move(server).error());
      }
      local_server = std::move(*server);
      sink("local control on http://" + local_options->bind_address + ":" +
           std::to_string(local_server->port()) + " (security " +
           std::to_string(static_cast<int>(local_options->security)) +
           (local_pop.empty() ? ", no PoP" : ", PoP " + local_pop) + ")");
    }
    if (on_network_engine) {
      ProtocommServerOptions server_options;
      server_options.bind_address = on_network_options->bind_address;
      server_options.port = on_network_options->port;
      auto server = start_on_network_server(
          std::move(on_network_engine), server_options,
          [this](std::string_view what) { sink("on-network: " + std::string(what)); });
      if (!server) {
        return fail(std::move(server).error());
      }
      on_network_server = std::move(*server);
      sink("on-network challenge-response on http://" + on_network_options->bind_address + ":" +
           std::to_string(on_network_server->port()) + " (security " +
           std::to_string(static_cast<int>(on_network_options->security)) +
           (on_network_options->pop.empty() ? ", no PoP" : "") + ")");
    }
    return {};
  }

  // On the transport's thread.
  void on_provisioning(const agent::ProvisioningEvent& event) {
    using Kind = agent::ProvisioningEvent::Kind;
    switch (event.kind) {
      case Kind::credentials_applied:
        sink("provisioning: credentials for \"" + event.ssid + "\" applied");
        break;
      case Kind::wifi_failed:
        sink("provisioning: joining \"" + event.ssid + "\" failed (" +
             (event.fail_reason == protocomm::WifiFailReason::auth_error ? "auth error"
                                                                         : "network not found") +
             ")");
        break;
      case Kind::wifi_connected:
        sink("provisioning: Wi-Fi connected to \"" + event.ssid + "\"");
        if (!wifi_file.empty()) {
          save_state(wifi_file, boost::json::serialize(boost::json::object{{"ssid", event.ssid}}));
        }
        if (auto ok = start_agent(); !ok) {
          sink("error: " + ok.error().context);
        }
        break;
      case Kind::user_mapping:
        sink("provisioning: user mapping for " + event.user_id);
        agent->post([user = event.user_id, secret = event.secret_key](agent::NodeSession& session,
                                                                      agent::MqttActions& out) {
          session.start_mapping(user, secret, out);
        });
        break;
      case Kind::challenge_signed:
        sink("provisioning: challenge signed (ch_resp)");
        break;
      case Kind::finished:
        sink("provisioning: done");
        break;
    }
  }

  void save_if_changed() {
    if (state_file.empty()) {
      return;
    }
    auto text = boost::json::serialize(node.model->params());
    if (text != saved) {
      save_state(state_file, text);
      saved = std::move(text);
    }
  }
};

NodeRunner::NodeRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NodeRunner::~NodeRunner() {
  stop();
}

Result<std::unique_ptr<NodeRunner>> NodeRunner::start(const RunOptions& options, LineSink sink) {
  auto impl = std::make_unique<Impl>();
  impl->sink = std::move(sink);
  impl->model_name = options.model;
  auto* raw = impl.get();
  VirtualNodeOptions node_options;
  node_options.sensor_period = options.sensor_period;
  node_options.on_apply = [raw](std::string_view param, std::string_view value) {
    if (param == "identify") {
      raw->sink("identify: " + std::string(value));
    } else {
      raw->sink("set by user: " + std::string(param) + " = " + std::string(value));
    }
  };
  // Called on the agent's thread inside a remote set: reboot after the set is handled.
  node_options.on_reboot = [raw] {
    raw->sink("rebooting (System.Reboot)");
    raw->agent->reboot();
  };
  node_options.defer = [raw](std::chrono::milliseconds delay,
                             std::function<void(agent::NodeSession&, agent::MqttActions&)> task) {
    raw->agent->after(delay, std::move(task));
  };
  auto node = make_virtual_node(options.model, options.node_id, node_options);
  if (!node) {
    return fail(std::move(node).error());
  }
  impl->node = std::move(*node);
  impl->state_file = options.state_file;
  if (!impl->state_file.empty()) {
    load_state(*impl->node.model, impl->state_file);
    impl->saved = boost::json::serialize(impl->node.model->params());
  }

  if (options.local_control) {
    const auto& l = *options.local_control;
    auto pop = resolve_local_control_pop(l);
    if (!pop) {
      return fail(std::move(pop).error());
    }
    agent::LocalControlOptions local;
    local.security = l.security;
    local.pop = *pop;
    auto engine = agent::LocalControlEngine::create(std::move(local));
    if (!engine) {
      return fail(std::move(engine).error());
    }
    // After load_state: the published PoP and type are this run's, not a saved run's. The
    // firmware publishes the service only with security 1 (sec0 has nothing to tell);
    // Stratus also with security 2.
    if (l.security != protocomm::SecurityVersion::sec0) {
      boost::json::object values;
      values["POP"] = *pop;
      values["Type"] = static_cast<int>(l.security);
      if (auto added = impl->node.model->add_service(agent::standard::local_control_service(),
                                                     std::move(values));
          !added) {
        return fail(errc::invalid_argument, "local control: " + added.error().context);
      }
    }
    impl->local_options = l;
    impl->local_pop = *pop;
    impl->local_engine = std::move(*engine);
  }
  if (options.on_network) {
    const auto& o = *options.on_network;
    auto signer = load_signer(options.key_file);
    if (!signer) {
      return fail(std::move(signer).error());
    }
    agent::OnNetworkOptions on_network;
    on_network.node_id = options.node_id;
    on_network.security = o.security;
    on_network.pop = o.pop;
    on_network.sign = std::move(*signer);
    auto engine = agent::OnNetworkChallengeEngine::create(std::move(on_network));
    if (!engine) {
      return fail(std::move(engine).error());
    }
    impl->on_network_options = o;
    impl->on_network_engine = std::move(*engine);
  }

  agent::AgentOptions agent_options;
  agent_options.mqtt = agent::firmware_mqtt_options(
      options.mqtt_host, options.mqtt_port, {options.ca_file, options.cert_file, options.key_file});
  agent_options.session.basic_ingest_topics = options.basic_ingest_topics;
  if (impl->node.ota && !options.ota_dir.empty()) {
    auto ota = *impl->node.ota;
    if (options.ota_reboot_delay) {
      ota.reboot_delay = *options.ota_reboot_delay;
    }
    ota.on_report = [raw](proto::OtaState status, std::string_view info) {
      raw->sink("ota: " + std::string(proto::to_string(status)) + " " + std::string(info));
    };
    agent_options.session.ota = std::move(ota);
    agent_options.ota.dir = options.ota_dir;
    agent_options.ota.download.ca_file = options.ca_file;
  }
  impl->agent = std::make_unique<agent::NodeAgent>(*impl->node.model, impl->clock, agent_options);
  impl->agent->on_connection([raw](bool connected, const std::string& reason) {
    raw->sink(connected ? "connected" : "disconnected (" + reason + ")");
  });
  for (auto& behaviour : impl->node.behaviours) {
    impl->agent->every(behaviour.period, [tick = behaviour.tick](agent::NodeSession& session,
                                                                 agent::MqttActions& out) {
      tick(session.model());
      session.report(out);
    });
  }
  impl->agent->every(std::chrono::seconds(1),
                     [raw](agent::NodeSession&, agent::MqttActions&) { raw->save_if_changed(); });
  impl->endpoint = options.mqtt_host + ":" + std::to_string(options.mqtt_port);
  if (options.provisioning) {
    const auto& p = *options.provisioning;
    impl->wifi_file = p.wifi_file;
    std::error_code ec;
    if (p.wifi_file.empty() || !std::filesystem::exists(p.wifi_file, ec)) {
      agent::ProvisioningOptions prov;
      prov.node_id = options.node_id;
      prov.security = p.security;
      prov.pop = p.pop;
      prov.challenge_response = p.challenge_response;
      prov.networks = impl->node.wifi_networks;
      prov.connect_delay = p.connect_delay;
      if (p.challenge_response) {
        auto signer = load_signer(options.key_file);
        if (!signer) {
          return fail(std::move(signer).error());
        }
        prov.sign = std::move(*signer);
      }
      auto engine = agent::ProvisioningEngine::create(std::move(prov), impl->clock);
      if (!engine) {
        return fail(std::move(engine).error());
      }
      ProvisioningServerOptions server_options;
      server_options.bind_address = p.bind_address;
      server_options.port = p.port;
      auto server = ProvisioningServer::start(
          std::move(*engine), server_options,
          [raw](const agent::ProvisioningEvent& event) { raw->on_provisioning(event); });
      if (!server) {
        return fail(std::move(server).error());
      }
      impl->provisioning = std::move(*server);
      impl->sink("node " + options.node_id + " (" + options.model +
                 ") not provisioned: protocomm SoftAP transport on http://" + p.bind_address + ":" +
                 std::to_string(impl->provisioning->port()) + " (security " +
                 std::to_string(static_cast<int>(p.security)) + (p.pop.empty() ? ", no PoP" : "") +
                 ")");
      return std::unique_ptr<NodeRunner>(new NodeRunner(std::move(impl)));
    }
    impl->sink("provisioned before (" + p.wifi_file + ")");
  }
  if (auto ok = impl->start_agent(); !ok) {
    return fail(std::move(ok).error());
  }
  return std::unique_ptr<NodeRunner>(new NodeRunner(std::move(impl)));
}

std::string NodeRunner::execute(const ConsoleCommand& command) {
  using Kind = ConsoleCommand::Kind;
  switch (command.kind) {
    case Kind::help:
      return std::string(console_help());
    case Kind::quit:
      return "bye";
    case Kind::reboot: {
      std::lock_guard lock(impl_->mutex);
      if (!impl_->agent_started) {
        return "error: not provisioned yet";
      }
      impl_->agent->reboot();
      return "ok: rebooting";
    }
    default:
      break;
  }
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->agent_started) {
      if (command.kind == Kind::status) {
        return "node " + impl_->node.model->node_id() + " (" + impl_->model_name +
               "): not provisioned" +
               (impl_->provisioning
                    ? ", protocomm on port " + std::to_string(impl_->provisioning->port())
                    : std::string());
      }
      return "error: not provisioned yet";
    }
  }
  // The network services, for `status` (read here: the servers are guarded by `mutex`).
  std::string local_line;
  std::string on_network_line;
  if (command.kind == Kind::status) {
    std::lock_guard lock(impl_->mutex);
    if (impl_->local_server && impl_->local_server->running()) {
      local_line = "\n  local control on port " + std::to_string(impl_->local_server->port()) +
                   " (security " +
                   std::to_string(static_cast<int>(impl_->local_options->security)) + ")";
    }
    if (impl_->on_network_server && impl_->on_network_server->running()) {
      on_network_line = "\n  on-network challenge-response on port " +
                        std::to_string(impl_->on_network_server->port());
    }
  }
  auto done = std::make_shared<std::promise<std::string>>();
  auto answer = done->get_future();
  impl_->agent->post([command, done, local_line, on_network_line, this](agent::NodeSession& session,
                                                                        agent::MqttActions& out) {
    std::string reply = "ok";
    switch (command.kind) {
      case Kind::add_user:
        session.start_mapping(command.first, command.second, out);
        reply = session.connected() && session.booted() ? "ok: mapping sent"
                                                        : "ok: mapping sent once connected";
        break;
      case Kind::set: {
        auto changed = session.model().update(command.first, command.second, command.value);
        if (!changed) {
          reply = "error: " + changed.error().context;
        } else {
          session.report(out);
          reply = *changed ? "ok" : "ok: unchanged";
        }
        break;
      }
      case Kind::alert:
        reply = session.raise_alert(command.first, out) ? "ok" : "error: not connected";
        break;
      case Kind::status: {
        const auto& s = session.stats();
        reply = "node " + session.model().node_id() + " (" + impl_->model_name +
                "): " + (session.connected() ? "connected" : "offline") + "\n  boots " +
                std::to_string(s.boots) + ", connects " + std::to_string(s.connects) +
                ", reports " + std::to_string(s.reports) + ", time series " +
                std::to_string(s.time_series) + ", remote sets " + std::to_string(s.remote_sets) +
                " (params refused " + std::to_string(s.refused_params) + "), alerts " +
                std::to_string(s.alerts) + ", mappings " + std::to_string(s.mappings) +
                "\n  firmware " + session.model().config().info.fw_version;
        if (const auto* ota = session.ota(); ota != nullptr) {
          reply += " (" + session.model().config().info.project_name + "), OTA " +
                   (ota->options().mode == agent::OtaMode::topics ? "topics" : "params") +
                   (ota->busy() ? ", job running" : "") +
                   (ota->last_report().empty() ? "" : ", last: " + ota->last_report());
        }
        if (!local_line.empty()) {
          reply += local_line + ", local sets " + std::to_string(s.local_sets);
        }
        reply += on_network_line;
        reply += "\n  params " + boost::json::serialize(session.model().params());
        break;
      }
      default:
        break;
    }
    done->set_value(std::move(reply));
  });
  if (answer.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    return "error: the node did not answer within 5 s";
  }
  return answer.get();
}

std::uint16_t NodeRunner::provisioning_port() const {
  return impl_->provisioning && impl_->provisioning->running() ? impl_->provisioning->port() : 0;
}

std::uint16_t NodeRunner::local_control_port() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->local_server && impl_->local_server->running() ? impl_->local_server->port() : 0;
}

std::uint16_t NodeRunner::on_network_port() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->on_network_server && impl_->on_network_server->running()
             ? impl_->on_network_server->port()
             : 0;
}

std::string NodeRunner::local_control_pop() const {
  return impl_->local_pop;
}

void NodeRunner::stop() {
  if (!impl_) {
    return;
  }
  if (impl_->provisioning) {
    impl_->provisioning->stop();  // no more events (and agent starts) after this
  }
  std::unique_ptr<ProtocommServer> local_server;
  std::unique_ptr<ProtocommServer> on_network_server;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    local_server = std::move(impl_->local_server);
    on_network_server = std::move(impl_->on_network_server);
  }
  // Before the agent: a local-control request waits for the agent's thread.
  if (local_server) {
    local_server->stop();
  }
  if (on_network_server) {
    on_network_server->stop();
  }
  if (impl_->agent && impl_->agent_started) {
    impl_->agent->stop();
    impl_->save_if_changed();  // the agent's thread has ended: no race
  }
}

}  // namespace stratus::sim
