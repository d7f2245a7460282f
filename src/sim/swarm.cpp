#include "sim/swarm.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <unordered_map>
#include <utility>

#include "agent/node_session.hpp"
#include "mqtt/connection_pool.hpp"
#include "proto/payloads.hpp"
#include "sim/ota_downloads.hpp"
#include "sim/virtual_node.hpp"

namespace stratus::sim {
namespace {

namespace json = boost::json;
using Steady = std::chrono::steady_clock;

constexpr auto kMaxDuration = std::chrono::hours(24);
constexpr auto kDisconnectGrace = std::chrono::seconds(5);
constexpr auto kPollSlice = std::chrono::milliseconds(5);
// How often sessions with OTA run their timers (otafetch, the reboot after an update).
constexpr auto kTickInterval = std::chrono::milliseconds(50);

struct SwarmMember {
  VirtualNode node;
  std::unique_ptr<agent::NodeSession> session;
  mqtt::ClientOptions client;  // to connect again after a reboot
  mqtt::ConnectionId id = 0;
  bool ever_connected = false;
  int in_flight = 0;  // QoS-1 publishes not yet acknowledged
  // The param the rate-driven reports change: the first device's primary param.
  std::string device;
  std::string param;
};

// A new value for the member's report param: toggled bools, uniform numbers in bounds.
json::value next_value(const SwarmMember& m, std::mt19937_64& rng) {
  const auto* spec = m.node.model->config().find_param(m.device, m.param);
  const auto* current = m.node.model->value(m.device, m.param);
  switch (spec->data_type) {
    case model::DataType::boolean:
      return !(current != nullptr && current->is_bool() && current->get_bool());
    case model::DataType::integer: {
      const auto lo = static_cast<std::int64_t>(spec->bounds.min.value_or(0));
      const auto hi = static_cast<std::int64_t>(spec->bounds.max.value_or(100));
      const auto step = static_cast<std::int64_t>(std::max(1.0, spec->bounds.step.value_or(1)));
      std::uniform_int_distribution<std::int64_t> pick(0, (hi - lo) / step);
      return lo + pick(rng) * step;
    }
    case model::DataType::floating: {
      std::uniform_real_distribution<double> pick(spec->bounds.min.value_or(0),
                                                  spec->bounds.max.value_or(100));
      return std::round(pick(rng) * 10) / 10;
    }
    default:
      return json::string(std::to_string(rng() % 1000000));
  }
}

class Swarm {
 public:
  Swarm(const SwarmOptions& options, const ProgressSink& progress)
      : options_(options), progress_(progress), rng_(options.seed != 0 ? options.seed : 42) {}

  Result<SwarmReport> run(const std::vector<SwarmNode>& nodes, const std::atomic<bool>* stop);

 private:
  void execute(SwarmMember& m) {
    for (auto& action : actions_) {
      switch (action.kind) {
        case agent::MqttAction::Kind::subscribe:
          if (!pool_->subscribe(m.id, action.topic, 1)) {
            ++errors_;
          }
          break;
        case agent::MqttAction::Kind::publish:
          if (auto mid = pool_->publish(m.id, action.topic, action.payload, 1, false); mid) {
            ++publishes_;
            ++m.in_flight;
          } else {
            ++errors_;
          }
          break;
        case agent::MqttAction::Kind::download:
          if (downloads_ && action.download) {
            downloads_->start(index(m), image_file(m), m.client.tls->ca_file, *action.download);
          }
          break;
        case agent::MqttAction::Kind::cancel_download:
          if (downloads_) {
            downloads_->cancel(index(m));
          }
          break;
        case agent::MqttAction::Kind::save_ota_state:
          break;  // a swarm node's OTA state lives in its engine as long as the swarm runs
        case agent::MqttAction::Kind::reboot:
          reboots_pending_.push_back(index(m));  // not inside a pool handler
          break;
      }
    }
    actions_.clear();
  }

  std::size_t index(const SwarmMember& m) const {
    return static_cast<std::size_t>(&m - members_.data());
  }

  static std::string image_file(const SwarmMember& m) { return m.client.client_id + ".bin"; }

  // The firmware reboots: the connection drops like a power cut, the session starts a new
  // boot (an installed image becomes the running firmware) and the node connects again.
  void reboot(std::size_t i) {
    auto& m = members_[i];
    if (downloads_) {
      downloads_->cancel(i);
      if (m.session->ota() != nullptr && m.session->ota()->state().pending_verify) {
        downloads_->discard(image_file(m));
      }
    }
    by_id_.erase(m.id);
    pool_->remove(m.id);
    m.session->on_disconnected();
    m.in_flight = 0;
    m.session->reboot();
    ++reboots_;
    if (auto id = pool_->add(m.client); id) {
      m.id = *id;
      by_id_.emplace(*id, i);
    } else {
      ++errors_;
    }
  }

  // OTA: download events into the sessions, due timers, reboots.
  void run_ota(Steady::time_point now) {
    downloads_->drain(download_events_);
    for (auto& e : download_events_) {
      auto& m = members_[e.node];
      switch (e.kind) {
        case DownloadEvent::Kind::header:
          m.session->on_download_header(e.download_id, e.head, actions_);
          break;
        case DownloadEvent::Kind::progress:
          m.session->on_download_progress(e.download_id, e.bytes, actions_);
          break;
        case DownloadEvent::Kind::finished:
          m.session->on_download_finished(e.download_id, *e.result, actions_);
          break;
      }
      execute(m);
    }
    download_events_.clear();
    if (now - last_tick_ >= kTickInterval) {
      last_tick_ = now;
      for (auto& m : members_) {
        if (const auto due = m.session->next_deadline(); due && *due <= now) {
          m.session->tick(actions_);
          execute(m);
        }
      }
    }
    for (const auto i : reboots_pending_) {
      reboot(i);
    }
    reboots_pending_.clear();
  }

  SwarmMember* member(mqtt::ConnectionId id) {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &members_[it->second];
  }

  void on_connection(mqtt::ConnectionId id, bool connected) {
    auto* m = member(id);
    if (m == nullptr) {
      return;
    }
    if (!connected) {
      m->session->on_disconnected();
      m->in_flight = 0;  // a clean session: what was in flight is gone with it
      return;
    }
    if (!m->ever_connected) {
      m->ever_connected = true;
      ++ever_connected_;
    }
    m->session->on_connected(actions_);
    execute(*m);
  }

  void on_message(mqtt::ConnectionId id, const mqtt::Message& message) {
    auto* m = member(id);
    if (m == nullptr) {
      return;
    }
    ++remote_sets_;
    m->session->on_message(message.topic, message.payload, actions_);
    execute(*m);
  }

  void on_published(mqtt::ConnectionId id) {
    ++pubacks_;
    if (auto* m = member(id); m != nullptr && m->in_flight > 0) {
      --m->in_flight;
    }
  }

  bool can_report(const SwarmMember& m) const {
    return m.session->connected() && m.session->booted();
  }

  // Changes the member's report param and publishes it.
  void report(SwarmMember& m) {
    (void)m.node.model->update(m.device, m.param, next_value(m, rng_));
    m.session->report(actions_);
    execute(m);
    ++reports_;
  }

  // One rate-driven report from the next connected node with room in its in-flight window;
  // false if there is none.
  bool report_one() {
    for (std::size_t tried = 0; tried < members_.size(); ++tried) {
      auto& m = members_[next_member_];
      next_member_ = (next_member_ + 1) % members_.size();
      if (!can_report(m)) {
        continue;
      }
      if (m.in_flight >= options_.max_in_flight) {
        continue;
      }
      report(m);
      return true;
    }
    return false;
  }

  // Unlimited rate: tops up every node's in-flight window.
  void report_all() {
    for (auto& m : members_) {
      while (can_report(m) && m.in_flight < options_.max_in_flight) {
        const int before = m.in_flight;
        report(m);
        if (m.in_flight == before) {
          break;  // the publish failed; try again after the next poll
        }
      }
    }
  }

  void observe(double elapsed_s) {
    options_.observer(SwarmSnapshot{elapsed_s, members_.size(), pool_->connected_count(),
                                    ever_connected_, publishes_, pubacks_, reports_, ota_updated_,
                                    ota_failed_});
  }

  // Counts a node's OTA status report (the engine's `on_report`).
  void count_ota(proto::OtaState status) {
    if (status == proto::OtaState::success) {
      ++ota_updated_;
    } else if (status == proto::OtaState::failed || status == proto::OtaState::rejected) {
      ++ota_failed_;
    }
  }

  void print_progress(double t, const mqtt::PoolStats& now, const mqtt::PoolStats& before,
                      double interval_s) {
    if (!progress_) {
      return;
    }
    auto rate = [interval_s](std::uint64_t a, std::uint64_t b) {
      return static_cast<long long>(std::llround(static_cast<double>(a - b) / interval_s));
    };
    progress_("t=" + std::to_string(static_cast<long long>(std::llround(t))) + "s connected=" +
              std::to_string(pool_->connected_count()) + "/" + std::to_string(members_.size()) +
              " connects/s=" + std::to_string(rate(now.connects, before.connects)) +
              " publishes/s=" + std::to_string(rate(publishes_, last_publishes_)) +
              " reports/s=" + std::to_string(rate(reports_, last_reports_)) +
              " errors=" + std::to_string(errors_ + now.failed_attempts));
  }

  const SwarmOptions& options_;
  const ProgressSink& progress_;
  std::mt19937_64 rng_;
  std::unique_ptr<mqtt::ConnectionPool> pool_;
  std::vector<SwarmMember> members_;
  std::unordered_map<mqtt::ConnectionId, std::size_t> by_id_;
  agent::MqttActions actions_;
  std::size_t next_member_ = 0;
  std::size_t ever_connected_ = 0;
  std::uint64_t publishes_ = 0;
  std::uint64_t pubacks_ = 0;
  std::uint64_t reports_ = 0;
  std::uint64_t remote_sets_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t last_publishes_ = 0;
  std::uint64_t last_reports_ = 0;
  // OTA (options_.ota set)
  std::unique_ptr<DownloadPool> downloads_;
  std::vector<DownloadEvent> download_events_;
  std::vector<std::size_t> reboots_pending_;
  Steady::time_point last_tick_{};
  std::uint64_t ota_updated_ = 0;
  std::uint64_t ota_failed_ = 0;
  std::uint64_t reboots_ = 0;
};

Result<SwarmReport> Swarm::run(const std::vector<SwarmNode>& nodes, const std::atomic<bool>* stop) {
  if (nodes.empty()) {
    return fail(errc::invalid_argument, "a swarm needs at least one node");
  }
  if (options_.rate_per_s < 0 || options_.duration <= std::chrono::milliseconds::zero() ||
      options_.duration > kMaxDuration || options_.max_in_flight < 1 ||
      options_.observer_interval <= std::chrono::milliseconds::zero()) {
    return fail(errc::invalid_argument,
                "rate must be >= 0, duration within (0, 24 h], max_in_flight >= 1 and the "
                "observer interval > 0");
  }
  const SystemClock clock;
  members_.reserve(nodes.size());
  for (const auto& n : nodes) {
    auto node = make_virtual_node(options_.model, n.node_id, {});
    if (!node) {
      return fail(errc::invalid_argument, node.error().context);
    }
    SwarmMember m;
    m.node = std::move(*node);
    const auto& device = m.node.model->config().devices.front();
    m.device = device.name;
    m.param = device.primary.empty() ? device.params.front().name : device.primary;
    members_.push_back(std::move(m));
  }
  if (options_.ota) {
    auto pool = DownloadPool::create(options_.ota->download_workers, options_.ota->dir, {});
    if (!pool) {
      return fail(std::move(pool).error());
    }
    downloads_ = std::move(*pool);
  }
  // Sessions keep a reference to their model: make them once the vector is final.
  for (auto& m : members_) {
    agent::SessionOptions session{options_.basic_ingest_topics, 8192};
    if (options_.ota && m.node.ota) {
      session.ota = *m.node.ota;
      session.ota->fetch_delay = options_.ota->fetch_delay;
      session.ota->reboot_delay = options_.ota->reboot_delay;
      session.ota->on_report = [this](proto::OtaState status, std::string_view) {
        count_ota(status);
      };
    }
    m.session = std::make_unique<agent::NodeSession>(*m.node.model, clock, std::move(session));
  }

  mqtt::PoolOptions pool_options;
  pool_options.max_connections = nodes.size();
  pool_options.max_connects_in_flight = options_.max_connects_in_flight;
  mqtt::PoolHandlers handlers;
  handlers.on_connection = [this](mqtt::ConnectionId id, bool connected, std::string_view) {
    on_connection(id, connected);
  };
  handlers.on_message = [this](mqtt::ConnectionId id, const mqtt::Message& message) {
    on_message(id, message);
  };
  handlers.on_published = [this](mqtt::ConnectionId id, int) { on_published(id); };
  auto pool = mqtt::ConnectionPool::create(pool_options, std::move(handlers));
  if (!pool) {
    return fail(std::move(pool).error());
  }
  pool_ = std::move(*pool);

  const auto start = Steady::now();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    mqtt::ClientOptions client;
    client.host = nodes[i].mqtt_host;
    client.port = nodes[i].mqtt_port;
    client.client_id = nodes[i].node_id;
    client.tls = mqtt::TlsOptions{nodes[i].ca_file, nodes[i].cert_file, nodes[i].key_file};
    client.protocol_version = 4;
    client.keepalive = std::chrono::seconds(120);
    members_[i].client = client;
    auto id = pool_->add(std::move(client));
    if (!id) {
      return fail(std::move(id).error());
    }
    members_[i].id = *id;
    by_id_.emplace(*id, i);
  }

  SwarmReport report;
  report.nodes = nodes.size();
  const auto connecting = Steady::now();
  report.credentials_s = std::chrono::duration<double>(connecting - start).count();
  const auto deadline = start + options_.duration;
  auto last_progress = start;
  auto last_observed = start;
  auto last_rate_tick = start;
  auto progress_stats = pool_->stats();
  double tokens = 0;
  while (Steady::now() < deadline && (stop == nullptr || !stop->load())) {
    pool_->poll(kPollSlice);
    const auto now = Steady::now();
    report.peak_connected = std::max(report.peak_connected, pool_->connected_count());
    if (report.all_connected_s < 0 && ever_connected_ == members_.size()) {
      report.all_connected_s = std::chrono::duration<double>(now - connecting).count();
    }
    if (downloads_) {
      run_ota(now);
    }
    if (options_.unlimited_rate && options_.rate_control == nullptr) {
      report_all();
    } else {
      // Token bucket: reports owed since the last tick, at most 100 ms worth (a stalled
      // loop does not make up for it with a burst).
      const double rate = options_.rate_control != nullptr
                              ? std::max(0.0, options_.rate_control->load())
                              : options_.rate_per_s;
      tokens += rate * std::chrono::duration<double>(now - last_rate_tick).count();
      tokens = std::min(tokens, std::max(1.0, rate / 10));
      last_rate_tick = now;
      while (tokens >= 1 && report_one()) {
        tokens -= 1;
      }
    }
    if (options_.observer && now - last_observed >= options_.observer_interval) {
      observe(std::chrono::duration<double>(now - start).count());
      last_observed = now;
    }
    if (options_.progress_interval.count() > 0 &&
        now - last_progress >= options_.progress_interval) {
      const auto stats = pool_->stats();
      print_progress(std::chrono::duration<double>(now - start).count(), stats, progress_stats,
                     std::chrono::duration<double>(now - last_progress).count());
      progress_stats = stats;
      last_publishes_ = publishes_;
      last_reports_ = reports_;
      last_progress = now;
    }
  }
  report.elapsed_s = std::chrono::duration<double>(Steady::now() - start).count();
  report.connected_at_end = pool_->connected_count();

  for (const auto& m : members_) {
    pool_->disconnect(m.id);
  }
  const auto grace_end = Steady::now() + kDisconnectGrace;
  while (pool_->connected_count() > 0 && Steady::now() < grace_end) {
    pool_->poll(kPollSlice);
  }

  const auto stats = pool_->stats();
  report.connects = stats.connects;
  report.disconnects = stats.disconnects;
  report.failed_attempts = stats.failed_attempts;
  report.publishes = publishes_;
  report.pubacks = pubacks_;
  report.reports = reports_;
  report.remote_sets = remote_sets_;
  report.errors = errors_ + stats.failed_attempts;
  if (downloads_) {
    const auto d = downloads_->stats();
    report.ota_downloads = d.succeeded;
    report.ota_download_failures = d.failed;
    report.ota_download_failure_reasons = d.failure_reasons;
    report.ota_download_bytes = d.bytes;
    downloads_.reset();  // cancels and joins before the files go
    for (const auto& m : members_) {
      std::error_code ec;
      std::filesystem::remove(options_.ota->dir / image_file(m), ec);
    }
  }
  report.ota_updated = ota_updated_;
  report.ota_failed = ota_failed_;
  report.reboots = reboots_;
  return report;
}

}  // namespace

Result<SwarmReport> run_swarm(const std::vector<SwarmNode>& nodes, const SwarmOptions& options,
                              const ProgressSink& progress, const std::atomic<bool>* stop) {
  Swarm swarm(options, progress);
  return swarm.run(nodes, stop);
}

std::string to_json(const SwarmReport& r) {
  json::object o{{"nodes", r.nodes},
                 {"connected_at_end", r.connected_at_end},
                 {"peak_connected", r.peak_connected},
                 {"all_connected_s", r.all_connected_s},
                 {"credentials_s", r.credentials_s},
                 {"elapsed_s", r.elapsed_s},
                 {"connects", r.connects},
                 {"disconnects", r.disconnects},
                 {"failed_attempts", r.failed_attempts},
                 {"publishes", r.publishes},
                 {"pubacks", r.pubacks},
                 {"reports", r.reports},
                 {"remote_sets", r.remote_sets},
                 {"errors", r.errors},
                 {"ota_downloads", r.ota_downloads},
                 {"ota_download_failures", r.ota_download_failures},
                 {"ota_download_bytes", r.ota_download_bytes},
                 {"ota_updated", r.ota_updated},
                 {"ota_failed", r.ota_failed},
                 {"reboots", r.reboots}};
  if (!r.ota_download_failure_reasons.empty()) {
    json::object reasons;
    for (const auto& [text, count] : r.ota_download_failure_reasons)
      reasons[text] = count;
    o["ota_download_failure_reasons"] = std::move(reasons);
  }
  return json::serialize(o);
}

}  // namespace stratus::sim
