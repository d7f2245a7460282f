#include "scenarios.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "mqtt/client.hpp"
#include "proto/esp_image.hpp"
#include "sim/console.hpp"
#include "sim/node_runner.hpp"
#include "sim/ota_downloads.hpp"
#include "sim/swarm.hpp"
#include "watchers.hpp"

namespace stratus::bench {
namespace {

namespace json = boost::json;
using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

void note(const std::string& line) {
  std::cerr << "bench: " << line << std::endl;
}

std::string read_secret(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

// Claims the missing nodes 0..count-1 of `dir` over one logged-in session.
Result<void> claim_missing(client::Session& session, const std::filesystem::path& dir,
                           std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const auto d = node_dir(dir, i);
    if (std::filesystem::exists(d / cli::kNodeInfoFile)) {
      continue;
    }
    cli::ClaimOptions options;
    options.outdir = d;
    if (auto claimed = cli::claim_node(session, options); !claimed) {
      return fail(std::move(claimed).error());
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Virtual lights mapped to the bench user, with a record of the sets each one applied.

class MappedNodes {
 public:
  // Claims what is missing, starts a virtual light per node, maps the unmapped ones and
  // waits until every node's params are visible through REST.
  static Result<std::unique_ptr<MappedNodes>> start(const Target& target, client::Session& session,
                                                    const std::filesystem::path& dir,
                                                    std::size_t count) {
    if (auto ok = claim_missing(session, dir, count); !ok) {
      return fail(std::move(ok).error());
    }
    auto connected = connect(target, dir, count);
    if (!connected) {
      return fail(std::move(connected).error());
    }
    auto set = std::move(*connected);
    auto mapped = session.all_node_ids();
    if (!mapped) {
      return fail(std::move(mapped).error());
    }
    auto user = session.user_info();
    if (!user) {
      return fail(std::move(user).error());
    }
    for (auto& slot : set->slots_) {
      if (std::find(mapped->begin(), mapped->end(), slot->node_id) != mapped->end()) {
        continue;
      }
      const std::string secret = "bench-secret-" + slot->node_id;
      auto request = session.add_mapping(slot->node_id, secret);
      if (!request) {
        return fail(std::move(request).error());
      }
      auto command = sim::parse_console_line("add-user " + user->user_id + " " + secret);
      (void)slot->runner->execute(*command);
      const auto deadline = Steady::now() + 20s;
      for (;;) {
        auto status = session.mapping_status(*request);
        if (status && *status == client::MappingStatus::confirmed) {
          break;
        }
        if (Steady::now() > deadline) {
          return fail(errc::timeout, "mapping of " + slot->node_id + " not confirmed");
        }
        std::this_thread::sleep_for(50ms);
      }
    }
    for (auto& slot : set->slots_) {
      const auto deadline = Steady::now() + 20s;
      while (!session.node_params(slot->node_id)) {
        if (Steady::now() > deadline) {
          return fail(errc::timeout, "params of " + slot->node_id + " never visible");
        }
        std::this_thread::sleep_for(50ms);
      }
    }
    return set;
  }

  // Starts a virtual light per claimed node 0..count-1 of `dir` against `target`'s broker
  // and waits until each is connected; no REST (the broker floor's lights).
  static Result<std::unique_ptr<MappedNodes>> connect(const Target& target,
                                                      const std::filesystem::path& dir,
                                                      std::size_t count) {
    std::unique_ptr<MappedNodes> set(new MappedNodes());
    for (std::size_t i = 0; i < count; ++i) {
      auto creds = cli::load_node_credentials(node_dir(dir, i));
      if (!creds) {
        return fail(std::move(creds).error());
      }
      auto slot = std::make_unique<Slot>();
      slot->node_id = creds->node_id;
      sim::RunOptions options;
      options.node_id = creds->node_id;
      options.mqtt_host = target.mqtt_host;
      options.mqtt_port = target.mqtt_port != 0 ? target.mqtt_port : creds->mqtt_port;
      options.ca_file = creds->ca_file().string();
      options.cert_file = creds->cert_file().string();
      options.key_file = creds->key_file().string();
      options.model = "light";
      auto* raw = slot.get();
      auto runner =
          sim::NodeRunner::start(options, [raw](const std::string& line) { raw->on_line(line); });
      if (!runner) {
        return fail(std::move(runner).error());
      }
      slot->runner = std::move(*runner);
      set->slots_.push_back(std::move(slot));
    }
    for (auto& slot : set->slots_) {
      std::unique_lock lock(slot->mutex);
      if (!slot->changed.wait_for(lock, 30s, [&] { return slot->connected; })) {
        return fail(errc::timeout, "node " + slot->node_id + " did not connect");
      }
    }
    return set;
  }

  ~MappedNodes() { stop(); }
  MappedNodes(const MappedNodes&) = delete;
  MappedNodes& operator=(const MappedNodes&) = delete;

  std::size_t size() const { return slots_.size(); }
  const std::string& node_id(std::size_t i) const { return slots_[i]->node_id; }

  // A local change of Light.Name, reported by the node (waits until it is sent).
  bool set_local_name(std::size_t i, const std::string& value) {
    auto command = sim::parse_console_line("set Light.Name " + value);
    return command && slots_[i]->runner->execute(*command) == "ok";
  }

  // When node `i` applied a remote set of Light.Name to `value`; nullopt on timeout.
  std::optional<Steady::time_point> wait_applied(std::size_t i, const std::string& value,
                                                 Steady::time_point deadline) {
    auto& slot = *slots_[i];
    std::unique_lock lock(slot.mutex);
    if (!slot.changed.wait_until(lock, deadline, [&] { return slot.last_name == value; })) {
      return std::nullopt;
    }
    return slot.applied_at;
  }

  void stop() {
    for (auto& slot : slots_) {
      if (slot->runner) {
        slot->runner->stop();
      }
    }
  }

 private:
  struct Slot {
    std::string node_id;
    std::unique_ptr<sim::NodeRunner> runner;
    std::mutex mutex;
    std::condition_variable changed;
    bool connected = false;
    std::string last_name;
    Steady::time_point applied_at;

    void on_line(const std::string& line) {
      static constexpr std::string_view kApplied = "set by user: Light.Name = \"";
      const auto now = Steady::now();
      if (std::getenv("STRATUS_BENCH_DEBUG") != nullptr) {
        note(node_id + ": " + line);
      }
      std::lock_guard lock(mutex);
      if (line == "connected") {
        connected = true;
      } else if (line.rfind("disconnected", 0) == 0) {
        connected = false;
      } else if (line.rfind(kApplied, 0) == 0) {
        last_name = line.substr(kApplied.size(), line.size() - kApplied.size() - 1);
        applied_at = now;
      } else {
        return;
      }
      changed.notify_all();
    }
  };

  MappedNodes() = default;
  std::vector<std::unique_ptr<Slot>> slots_;
};

// Polls GET params of `node_id` until the raw answer contains `needle`; when it did. The
// interval starts at `interval` and doubles up to `max_interval`: a value that shows late
// is found within `max_interval` of showing, and a slow server is not flooded with polls
// (16 workers polling every 0.5 ms are 32 000 GET/s, more than the REST ceiling).
std::optional<Steady::time_point> poll_visible(client::Session& session, const std::string& node_id,
                                               const std::string& needle,
                                               Steady::time_point deadline,
                                               std::chrono::microseconds interval,
                                               std::chrono::microseconds max_interval) {
  while (Steady::now() < deadline) {
    if (auto params = session.node_params(node_id);
        params && params->find(needle) != std::string::npos) {
      return Steady::now();
    }
    std::this_thread::sleep_for(interval);
    interval = std::min(interval * 2, max_interval);
  }
  return std::nullopt;
}

// The `Light.Name` values each of n nodes' messages carried, each with when it was first
// seen (the last 64 per node: with a stream on every instance of a cluster, a relayed copy
// of an older value can arrive after a newer one). Fed from any thread: event streams, or
// the broker floor's MQTT answers.
class SeenNames {
 public:
  explicit SeenNames(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      slots_.push_back(std::make_unique<Slot>());
  }

  // When node `i`'s messages first carried Light.Name `value`; nullopt on timeout.
  std::optional<Steady::time_point> wait(std::size_t i, const std::string& value,
                                         Steady::time_point deadline) {
    auto& slot = *slots_[i];
    std::unique_lock lock(slot.mutex);
    std::optional<Steady::time_point> at;
    slot.changed.wait_until(lock, deadline, [&] {
      for (const auto& [name, when] : slot.recent) {
        if (name == value) {
          at = when;
          break;
        }
      }
      return at.has_value();
    });
    return at;
  }

  // Node `i`'s message `text` (JSON) arrived `at`: records its `"Name":"…"`, if any.
  void seen(std::size_t i, std::string_view text, Steady::time_point at) {
    constexpr std::string_view kMark = "\"Name\":\"";
    const auto pos = text.find(kMark);
    if (pos == std::string_view::npos || i >= slots_.size())
      return;
    const auto begin = pos + kMark.size();
    const auto end = text.find('"', begin);
    if (end == std::string_view::npos)
      return;
    const auto name = text.substr(begin, end - begin);
    auto& slot = *slots_[i];
    {
      std::lock_guard lock(slot.mutex);
      for (const auto& r : slot.recent) {
        if (r.first == name)
          return;  // a second copy (another instance's stream): the first one counts
      }
      slot.recent.emplace_back(std::string(name), at);
      if (slot.recent.size() > kRecent)
        slot.recent.pop_front();
    }
    slot.changed.notify_all();
  }

 private:
  static constexpr std::size_t kRecent = 64;
  struct Slot {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::pair<std::string, Steady::time_point>> recent;
  };
  std::vector<std::unique_ptr<Slot>> slots_;
};

// The `Light.Name` each mapped node's params events carried, read from one event stream
// per node (`GET /v1/user/events?node_ids=<id>&types=params`). The event hub publishes a
// report after its batch committed, so once the event is read a GET returns the value: the
// control scenario waits for the event and then confirms with one GET, instead of polling
// GET every few milliseconds (up to 8 000 polls a second from 16 waiting workers, which
// under load took more CPU than the 200 operations measured).
class NameEvents {
 public:
  // One stream per node on `target` and on each of `other_servers` (the instances of a
  // cluster): an event reaches the stream on the instance that committed it directly and
  // the others through the relay, so with a stream on every instance the first copy is
  // never the relay's (which lagged by seconds in one run under two-instance ingest).
  static Result<std::unique_ptr<NameEvents>> open(
      const Target& target, client::Session& session, const MappedNodes& nodes,
      const std::vector<std::string>& other_servers = {}) {
    auto token = session.fresh_access_token();
    if (!token)
      return fail(std::move(token).error());
    auto events = std::unique_ptr<NameEvents>(new NameEvents(nodes.size()));
    std::vector<std::string> servers{target.server};
    servers.insert(servers.end(), other_servers.begin(), other_servers.end());
    for (const auto& server : servers) {
      WatcherOptions options;
      options.port = static_cast<std::uint16_t>(std::stoi(server.substr(server.rfind(':') + 1)));
      options.access_token = *token;
      options.clients = nodes.size();
      options.query = [&nodes](std::size_t i) {
        return "node_ids=" + nodes.node_id(i) + "&types=params";
      };
      auto* names = &events->names_;
      auto watchers =
          Watchers::open(options, [names](std::size_t i, std::string_view text,
                                          Steady::time_point at) { names->seen(i, text, at); });
      if (!watchers)
        return fail(std::move(watchers).error());
      events->watchers_.push_back(std::move(*watchers));
    }
    return events;
  }
  ~NameEvents() {
    for (auto& w : watchers_)
      w->close();
  }
  NameEvents(const NameEvents&) = delete;
  NameEvents& operator=(const NameEvents&) = delete;

  // When node `i`'s streams first carried Light.Name `value`; nullopt on timeout.
  std::optional<Steady::time_point> wait(std::size_t i, const std::string& value,
                                         Steady::time_point deadline) {
    return names_.wait(i, value, deadline);
  }

 private:
  explicit NameEvents(std::size_t n) : names_(n) {}
  SeenNames names_;
  std::vector<std::unique_ptr<Watchers>> watchers_;
};

// ---------------------------------------------------------------------------------------
// A swarm on its own thread, observed through atomics.

class SwarmRun {
 public:
  SwarmRun(std::vector<sim::SwarmNode> nodes, sim::SwarmOptions options)
      : nodes_(std::move(nodes)), options_(std::move(options)) {
    options_.observer = [this](const sim::SwarmSnapshot& s) {
      connected_ = s.connected;
      ever_connected_ = s.ever_connected;
      pubacks_ = s.pubacks;
      publishes_ = s.publishes;
      reports_ = s.reports;
    };
    options_.observer_interval = 10ms;
    options_.progress_interval = std::chrono::milliseconds::zero();
    options_.rate_control = &rate_;
    thread_ = std::thread([this] {
      result_ = sim::run_swarm(nodes_, options_, nullptr, &stop_);
      done_ = true;
    });
  }
  ~SwarmRun() { (void)finish(); }
  SwarmRun(const SwarmRun&) = delete;
  SwarmRun& operator=(const SwarmRun&) = delete;

  // Waits until every node has connected once; false on timeout or an early end.
  bool wait_all_connected(std::chrono::seconds timeout) {
    const auto deadline = Steady::now() + timeout;
    while (ever_connected_.load() < nodes_.size()) {
      if (done_ || Steady::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  std::uint64_t pubacks() const { return pubacks_.load(); }
  std::uint64_t reports() const { return reports_.load(); }
  double rate() const { return rate_.load(); }
  void set_rate(double per_s) { rate_ = per_s; }
  std::size_t connected() const { return connected_.load(); }

  // Moves the swarm's thread to SCHED_IDLE: from then on it runs only on CPU time nothing
  // else on the machine wants. For background load next to a latency measurement, where
  // the simulated devices stand for hardware of their own and must not take the server's
  // or the measuring client's time slices. Errors: the errno text.
  Result<void> lower_to_idle_priority() {
    const sched_param none{};
    if (const int err = pthread_setschedparam(thread_.native_handle(), SCHED_IDLE, &none); err != 0)
      return fail(errc::unavailable, std::string("SCHED_IDLE: ") + std::strerror(err));
    return {};
  }

  // Stops the swarm and returns its report.
  Result<sim::SwarmReport> finish() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    if (!result_) {
      return fail(errc::internal, "swarm did not run");
    }
    return *result_;
  }

 private:
  std::vector<sim::SwarmNode> nodes_;
  sim::SwarmOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<std::size_t> connected_{0};
  std::atomic<std::size_t> ever_connected_{0};
  std::atomic<std::uint64_t> pubacks_{0};
  std::atomic<std::uint64_t> publishes_{0};
  std::atomic<std::uint64_t> reports_{0};
  std::atomic<double> rate_{1000};
  std::optional<Result<sim::SwarmReport>> result_;
  std::thread thread_;
};

// What the consumers behind the broker have taken so far: `near` is the first count after
// the broker (the subscriber's, or the link's), `far` the last (committed).
struct Consumed {
  double near = 0;
  double far = 0;
};

// End-to-end flow control for the ingest phases. mosquitto acknowledges a QoS-1 publish
// when it has it, not when the subscriber has it, and drops what exceeds a subscriber's
// queue (max_queued_messages, 1000 by default): a swarm flooding at the broker's accept
// rate measures the drops, not the pipeline. So the swarm's rate is steered every 100 ms
// to what the consumer takes: while the backlog (reports sent - consumed) is under half
// `near_limit` and the consumer keeps up the rate grows 10 % (2 % above 90 % of the rate
// where messages were last lost), over `near_limit` (or `far`
// over `far_limit`) it drops to 80 % of the consumption rate. A backlog over the limit that
// has not shrunk in a second is taken as lost on the way (`lost_messages`).
class Steering {
 public:
  Steering(SwarmRun& swarm, std::function<std::optional<Consumed>()> read, double near_limit,
           double far_limit)
      : swarm_(swarm), read_(std::move(read)), near_limit_(near_limit), far_limit_(far_limit) {}

  void run_for(double seconds) {
    const auto end = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                         std::chrono::duration<double>(seconds));
    while (Steady::now() < end) {
      std::this_thread::sleep_for(100ms);
      step();
    }
  }

  json::object summary() const {
    return {{"final_rate_per_s", rounded(swarm_.rate(), 0)},
            {"max_backlog", rounded(max_backlog_, 0)},
            {"backlog_resets", resets_},
            {"lost_messages", rounded(lost_, 0)},
            {"near_limit", near_limit_},
            {"far_limit", far_limit_}};
  }

 private:
  void step() {
    const auto c = read_();
    if (!c) {
      return;
    }
    const auto now = Steady::now();
    const auto sent = static_cast<double>(swarm_.reports());
    if (!started_) {
      started_ = true;
      base_near_ = sent - c->near;
      base_far_ = sent - c->far;
      last_ = *c;
      last_at_ = now;
      return;
    }
    const double dt = ms_between(last_at_, now) / 1000;
    const double taken_per_s = (c->near - last_.near) / dt;
    last_ = *c;
    last_at_ = now;
    const double backlog = sent - c->near - base_near_;
    const double backlog_far = sent - c->far - base_far_;
    max_backlog_ = std::max(max_backlog_, backlog);
    double rate = swarm_.rate();
    history_.push_back(backlog);
    if (history_.size() > 10) {
      history_.erase(history_.begin());
    }
    if (backlog > near_limit_ || backlog_far > far_limit_) {
      // A backlog that has not shrunk for a second while we sent less than was taken is
      // not waiting anywhere: it was lost on the way (mosquitto's queue overflowed).
      if (history_.size() == 10 && history_.front() - backlog < near_limit_ / 10 &&
          backlog > near_limit_) {
        lost_ += backlog;
        ceiling_ = std::max(taken_per_s, rate);
        base_near_ += backlog;
        base_far_ += backlog;  // what was lost will not be committed either
        ++resets_;
        history_.clear();
      }
      rate = std::max(100.0, taken_per_s * 0.8);
    } else if (backlog < near_limit_ / 2 && taken_per_s >= rate * 0.9) {
      // Keeping up: offer more, carefully near the rate where messages were lost before.
      rate = std::max(rate, taken_per_s) * (rate > 0.9 * ceiling_ ? 1.02 : 1.1);
    } else {
      rate = std::max(100.0, std::max(taken_per_s, rate * 0.98));
    }
    swarm_.set_rate(std::min(rate, 1e6));
    if (std::getenv("STRATUS_BENCH_DEBUG") != nullptr) {
      note("steer sent=" + std::to_string(sent) + " near=" + std::to_string(c->near) +
           " backlog=" + std::to_string(backlog) + " taken/s=" + std::to_string(taken_per_s) +
           " rate=" + std::to_string(rate) + " far=" + std::to_string(backlog_far));
    }
  }

  SwarmRun& swarm_;
  std::function<std::optional<Consumed>()> read_;
  double near_limit_;
  double far_limit_;
  bool started_ = false;
  double base_near_ = 0;
  double base_far_ = 0;
  Consumed last_;
  Steady::time_point last_at_;
  double max_backlog_ = 0;
  std::uint64_t resets_ = 0;
  double lost_ = 0;
  double ceiling_ = 1e9;
  std::vector<double> history_;
};

sim::SwarmOptions flood_options(const IngestArgs& args) {
  sim::SwarmOptions options;
  options.model = args.model;
  options.unlimited_rate = true;
  options.max_in_flight = args.max_in_flight;
  // A bound, not the plan: the run is stopped once the window is measured.
  options.duration =
      std::chrono::seconds(static_cast<std::int64_t>(180 + args.warmup_s + args.duration_s));
  return options;
}

json::object swarm_json(const sim::SwarmReport& r) {
  return {{"connected_at_end", r.connected_at_end},
          {"all_connected_s", rounded(r.all_connected_s)},
          {"publishes", r.publishes},
          {"pubacks", r.pubacks},
          {"reports", r.reports},
          {"disconnects", r.disconnects},
          {"errors", r.errors}};
}

// The raw broker's accept rate: what it acknowledges to the swarm when no one subscribes
// (issue 24: the limit a stratusd that took no forwarding could approach).
Result<json::object> accept_phase(const IngestArgs& args) {
  Target raw_target = args.target;
  raw_target.mqtt_port = args.raw_port;
  auto nodes = load_swarm_nodes(args.creds_dir, args.count, raw_target);
  if (!nodes) {
    return fail(std::move(nodes).error());
  }
  note("accept phase: " + std::to_string(args.count) +
       " nodes to mosquitto :" + std::to_string(args.raw_port) + ", no subscriber");
  SwarmRun swarm(std::move(*nodes), flood_options(args));
  if (!swarm.wait_all_connected(120s)) {
    return fail(errc::timeout, "accept phase: not every node connected");
  }
  Steering steering(
      swarm,
      [&]() -> std::optional<Consumed> {
        const auto n = static_cast<double>(swarm.pubacks());
        return Consumed{n, n};
      },
      args.backlog_limit, args.backlog_limit);
  steering.run_for(args.warmup_s);
  const auto t0 = Steady::now();
  const auto a0 = swarm.pubacks();
  steering.run_for(args.duration_s);
  const auto t1 = Steady::now();
  const auto a1 = swarm.pubacks();
  auto report = swarm.finish();
  if (!report) {
    return fail(std::move(report).error());
  }
  const double window = ms_between(t0, t1) / 1000;
  json::object o{{"window_s", rounded(window)},
                 {"raw_broker_accept_per_s", rounded(static_cast<double>(a1 - a0) / window, 0)},
                 {"flow_control", steering.summary()},
                 {"swarm", swarm_json(*report)}};
  note("accept phase: " + json::serialize(o));
  return o;
}

// A backend client of the raw broker (the same libmosquitto client stratusd's backend
// uses) on `port`, subscribed to `filters` and connected. `received` (if set) counts the
// messages; `on_message` (if set) runs on the client's network thread. Errors: the start's,
// or errc::timeout when it is not connected within 10 s.
Result<std::unique_ptr<mqtt::Client>> raw_backend_client(
    std::uint16_t port, const std::string& password_file, std::string client_id,
    const std::vector<std::string>& filters, Counter* received,
    std::function<void(const mqtt::Message&)> on_message = {}) {
  mqtt::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.client_id = std::move(client_id);
  options.username = "stratus-backend";
  options.password = read_secret(password_file);
  options.messages_received = received;
  auto client = mqtt::make_mosquitto_client(options, [](std::function<void()> f) { f(); });
  if (on_message)
    client->on_message(std::move(on_message));
  for (const auto& filter : filters) {
    client->subscribe(filter, 1);
  }
  if (auto ok = client->start(); !ok) {
    return fail(std::move(ok).error());
  }
  const auto deadline = Steady::now() + 10s;
  while (!client->connected()) {
    if (Steady::now() > deadline) {
      return fail(errc::timeout, "raw subscriber did not connect to port " + std::to_string(port));
    }
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(200ms);  // SUBACKs
  return client;
}

// What stratusd's backend subscribes to: everything nodes send.
const std::vector<std::string> kNodeTraffic{"node/+/#", "$aws/rules/+/node/+/#",
                                            "$stratus/presence/+"};

// The raw broker ceiling: the swarm against the second mosquitto, counted by a plain
// subscriber (the same libmosquitto client stratusd's backend uses, counting only).
Result<json::object> raw_phase(const IngestArgs& args) {
  Counter received;
  auto client = raw_backend_client(args.raw_backend_port, args.backend_password_file,
                                   "stratus-bench-raw-subscriber", kNodeTraffic, &received);
  if (!client) {
    return fail(std::move(client).error());
  }

  Target raw_target = args.target;
  raw_target.mqtt_port = args.raw_port;
  auto nodes = load_swarm_nodes(args.creds_dir, args.count, raw_target);
  if (!nodes) {
    return fail(std::move(nodes).error());
  }
  note("raw phase: " + std::to_string(args.count) +
       " nodes to mosquitto :" + std::to_string(args.raw_port));
  SwarmRun swarm(std::move(*nodes), flood_options(args));
  if (!swarm.wait_all_connected(120s)) {
    return fail(errc::timeout, "raw phase: not every node connected");
  }
  Steering steering(
      swarm,
      [&]() -> std::optional<Consumed> {
        const auto n = static_cast<double>(received.value());
        return Consumed{n, n};
      },
      args.backlog_limit, args.backlog_limit);
  steering.run_for(args.warmup_s);
  const auto t0 = Steady::now();
  const auto r0 = received.value();
  const auto a0 = swarm.pubacks();
  steering.run_for(args.duration_s);
  const auto t1 = Steady::now();
  const auto r1 = received.value();
  const auto a1 = swarm.pubacks();
  auto report = swarm.finish();
  (*client)->stop();
  if (!report) {
    return fail(std::move(report).error());
  }
  const double window = ms_between(t0, t1) / 1000;
  json::object o{{"window_s", rounded(window)},
                 {"subscriber_msgs", r1 - r0},
                 {"raw_broker_msgs_per_s", rounded(static_cast<double>(r1 - r0) / window, 0)},
                 {"swarm_acked_per_s", rounded(static_cast<double>(a1 - a0) / window, 0)},
                 {"flow_control", steering.summary()},
                 {"swarm", swarm_json(*report)}};
  note("raw phase: " + json::serialize(o));
  return o;
}

struct ServerCounters {
  double events = 0;
  double params = 0;
  double queue_depth = 0;
  double dropped = 0;
  double batches = 0;
  double cpu_s = 0;  ///< process_cpu_seconds_total
};

Result<ServerCounters> server_counters(client::Session& session) {
  auto page = scrape_metrics(session);
  if (!page) {
    return fail(std::move(page).error());
  }
  ServerCounters c;
  c.events = metric_value(*page, "stratus_ingest_events_total").value_or(0);
  c.params = metric_value(*page, "stratus_link_messages_total{kind=\"params\"}").value_or(0);
  c.queue_depth = metric_value(*page, "stratus_ingest_queue_depth").value_or(0);
  c.batches = metric_value(*page, "stratus_ingest_batches_total").value_or(0);
  c.cpu_s = metric_value(*page, "process_cpu_seconds_total").value_or(0);
  c.dropped =
      metric_value(*page, "stratus_ingest_dropped_total{reason=\"queue_full\"}").value_or(0) +
      metric_value(*page, "stratus_link_dropped_total{reason=\"queue_full\"}").value_or(0);
  return c;
}

// A session on every instance of a cluster: `target` and `others`.
Result<std::vector<client::Session>> cluster_sessions(const Target& target,
                                                      const std::vector<std::string>& others) {
  std::vector<client::Session> sessions;
  Target t = target;
  for (std::size_t i = 0; i <= others.size(); ++i) {
    if (i > 0)
      t.server = others[i - 1];
    auto s = open_session(t);
    if (!s)
      return fail(std::move(s).error());
    sessions.push_back(std::move(*s));
  }
  return sessions;
}

// The counters of every instance, added up.
Result<ServerCounters> server_counters(std::vector<client::Session>& sessions) {
  ServerCounters sum;
  for (auto& session : sessions) {
    auto c = server_counters(session);
    if (!c)
      return fail(std::move(c).error());
    sum.events += c->events;
    sum.params += c->params;
    sum.queue_depth += c->queue_depth;
    sum.batches += c->batches;
    sum.cpu_s += c->cpu_s;
    sum.dropped += c->dropped;
  }
  return sum;
}

// What the instances behind `sessions` have taken (the link's params count) and committed,
// as the stratusd phases' Steering reads it; nullopt when /metrics cannot be read.
// `sessions` must outlive the returned function.
std::function<std::optional<Consumed>()> taken_by_stratusd(std::vector<client::Session>& sessions) {
  return [&sessions]() -> std::optional<Consumed> {
    auto c = server_counters(sessions);
    if (!c) {
      return std::nullopt;
    }
    return Consumed{c->params, c->events};
  };
}

}  // namespace

// -----------------------------------------------------------------------------------------

Result<ScenarioOutput> run_claim(const ClaimArgs& args) {
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < args.count; ++i) {
    if (!std::filesystem::exists(node_dir(args.creds_dir, i) / cli::kNodeInfoFile)) {
      missing.push_back(i);
    }
  }
  ScenarioOutput out;
  out.params = {{"count", args.count}, {"threads", args.threads}, {"key_type", "ecdsa-p256"}};
  const auto threads = static_cast<std::size_t>(std::max(1, args.threads));
  std::vector<client::Session> sessions;
  for (std::size_t t = 0; t < threads && t < missing.size(); ++t) {
    auto session = bench_session(args.target);
    if (!session) {
      return fail(std::move(session).error());
    }
    sessions.push_back(std::move(*session));
  }
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex error_mutex;
  std::optional<Error> first_error;
  const auto start = Steady::now();
  std::vector<std::thread> workers;
  for (auto& session : sessions) {
    workers.emplace_back([&, s = &session] {
      for (;;) {
        const auto k = next.fetch_add(1);
        if (k >= missing.size()) {
          return;
        }
        cli::ClaimOptions options;
        options.outdir = node_dir(args.creds_dir, missing[k]);
        if (auto claimed = cli::claim_node(*s, options); !claimed) {
          std::lock_guard lock(error_mutex);
          if (!first_error) {
            first_error = claimed.error();
          }
          next = missing.size();
          return;
        }
        if (const auto n = done.fetch_add(1) + 1; n % 1000 == 0) {
          note("claimed " + std::to_string(n) + " of " + std::to_string(missing.size()));
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  const double elapsed = ms_between(start, Steady::now()) / 1000;
  if (first_error) {
    return fail(*first_error);
  }
  out.results = {
      {"claimed", done.load()},
      {"elapsed_s", rounded(elapsed)},
      {"certs_per_s", missing.empty() ? 0.0 : rounded(static_cast<double>(done) / elapsed, 1)}};
  return out;
}

Result<ScenarioOutput> run_prepare(const PrepareArgs& args) {
  auto session = bench_session(args.target);
  if (!session) {
    return fail(std::move(session).error());
  }
  auto nodes = MappedNodes::start(args.target, *session, args.mapped_dir, args.count);
  if (!nodes) {
    return fail(std::move(nodes).error());
  }
  auto user = session->user_info();
  if (!user) {
    return fail(std::move(user).error());
  }
  json::array ids;
  for (std::size_t i = 0; i < (*nodes)->size(); ++i) {
    ids.emplace_back((*nodes)->node_id(i));
  }
  (*nodes)->stop();
  ScenarioOutput out;
  out.params = {{"count", args.count}};
  out.results = {{"user_id", user->user_id},
                 {"access_token", session->tokens().access_token},
                 {"node_ids", std::move(ids)}};
  return out;
}

Result<ScenarioOutput> run_ingest(const IngestArgs& args) {
  ScenarioOutput out;
  out.params = {{"nodes", args.count},
                {"duration_s", args.duration_s},
                {"warmup_s", args.warmup_s},
                {"max_in_flight", args.max_in_flight},
                {"model", args.model},
                {"backlog_limit", args.backlog_limit},
                {"committed_backlog_limit", args.committed_backlog_limit},
                {"qos", 1},
                {"probe_rate_per_s", args.mapped_dir.empty() ? 0.0 : args.probe_rate},
                {"visible_by", args.visible_by_poll ? "GET polled" : "params event, then one GET"}};

  auto session = bench_session(args.target);
  if (!session) {
    return fail(std::move(session).error());
  }
  std::unique_ptr<MappedNodes> probe;
  if (!args.mapped_dir.empty()) {
    auto started = MappedNodes::start(args.target, *session, args.mapped_dir, 1);
    if (!started) {
      return fail(std::move(started).error());
    }
    probe = std::move(*started);
  }
  // The probe's params events: one GET per probe confirms the value, where polling from
  // the report on sent ~150 GETs per probe (~190 a second), which took 5–8 % of the two
  // cores from the pipeline measured, and more with PostgreSQL, where each GET is three
  // statements over TCP (bench/README.md, session 12).
  std::unique_ptr<NameEvents> probe_events;
  if (probe && !args.visible_by_poll) {
    auto opened = NameEvents::open(args.target, *session, *probe, args.other_servers);
    if (!opened)
      return fail(std::move(opened).error());
    probe_events = std::move(*opened);
  }

  json::object raw;
  json::object accept;
  double raw_rate = 0;
  double accept_rate = 0;
  if (args.raw_port != 0) {
    auto r = raw_phase(args);
    if (!r) {
      return fail(std::move(r).error());
    }
    raw = std::move(*r);
    raw_rate = raw.at("raw_broker_msgs_per_s").to_number<double>();
    auto a = accept_phase(args);
    if (!a) {
      return fail(std::move(a).error());
    }
    accept = std::move(*a);
    accept_rate = accept.at("raw_broker_accept_per_s").to_number<double>();
  }

  // The stratusd phase.
  auto nodes = load_swarm_nodes(args.creds_dir, args.count, args.target);
  if (!nodes) {
    return fail(std::move(nodes).error());
  }
  note("stratusd phase: " + std::to_string(args.count) +
       " nodes to :" + std::to_string(args.target.mqtt_port));
  auto metrics_session = cluster_sessions(args.target, args.other_servers);
  if (!metrics_session) {
    return fail(std::move(metrics_session).error());
  }
  SwarmRun swarm(std::move(*nodes), flood_options(args));
  if (!swarm.wait_all_connected(120s)) {
    return fail(errc::timeout, "stratusd phase: not every node connected");
  }
  auto steering_session = cluster_sessions(args.target, args.other_servers);
  if (!steering_session) {
    return fail(std::move(steering_session).error());
  }
  Steering steering(swarm, taken_by_stratusd(*steering_session), args.backlog_limit,
                    args.committed_backlog_limit);
  steering.run_for(args.warmup_s);

  std::atomic<bool> probe_stop{false};
  std::vector<double> probe_ms;
  std::size_t probe_failures = 0;
  std::thread prober;
  if (probe) {
    prober = std::thread([&] {
      const auto interval = std::chrono::duration<double>(1.0 / std::max(0.1, args.probe_rate));
      auto next = Steady::now();
      for (std::size_t seq = 0; !probe_stop; ++seq) {
        // Appended piecewise: GCC 12's -Wrestrict misfires on `"p" + std::string&&` here.
        std::string value = "p";
        value += std::to_string(seq);
        value += 'x';
        value += std::to_string(Steady::now().time_since_epoch().count() % 100000);
        const auto t0 = Steady::now();
        if (!probe->set_local_name(0, value)) {
          ++probe_failures;
        } else if (auto seen = (!probe_events || probe_events->wait(0, value, t0 + 5s))
                                   ? poll_visible(*session, probe->node_id(0), "\"" + value + "\"",
                                                  t0 + 5s, 1000us, 1000us)
                                   : std::nullopt) {
          probe_ms.push_back(ms_between(t0, *seen));
        } else {
          ++probe_failures;
        }
        next += std::chrono::duration_cast<Steady::duration>(interval);
        std::this_thread::sleep_until(next);
      }
    });
  }
  auto c0 = server_counters(*metrics_session);
  const auto p0 = cpu_seconds_by_command();
  const auto t0 = Steady::now();
  const auto a0 = swarm.pubacks();
  steering.run_for(args.duration_s);
  auto c1 = server_counters(*metrics_session);
  const auto p1 = cpu_seconds_by_command();
  const auto t1 = Steady::now();
  const auto a1 = swarm.pubacks();
  probe_stop = true;
  if (prober.joinable()) {
    prober.join();
  }
  auto report = swarm.finish();
  if (!report) {
    return fail(std::move(report).error());
  }
  if (!c0 || !c1) {
    return fail(errc::unavailable, "cannot read /metrics");
  }
  // What the writer still had to do when the swarm stopped: how long until it is done.
  const auto drain_start = Steady::now();
  double drain_s = 0;
  for (auto c = server_counters(*metrics_session);
       c && c->queue_depth > 0 && Steady::now() - drain_start < 60s;
       c = server_counters(*metrics_session)) {
    std::this_thread::sleep_for(50ms);
    drain_s = ms_between(drain_start, Steady::now()) / 1000;
  }
  if (probe) {
    probe->stop();
  }

  const double window = ms_between(t0, t1) / 1000;
  const double updates = (c1->events - c0->events) / window;
  // stratusd's CPU (every instance's) per 1 000 committed updates, and its cores in use.
  const double cpu_s = c1->cpu_s - c0->cpu_s;
  const double committed = c1->events - c0->events;
  auto probe_stats = latency_stats(probe_ms);
  // Where the machine's CPU went in the window, by process (this driver, which runs the
  // swarm, is `stratus-bench`): what stratusd, the broker and PostgreSQL share two cores
  // with. Processes under a hundredth of a core are left out.
  json::object by_process;
  for (const auto& [command, seconds] : p1) {
    const auto before = p0.find(command);
    const double used = seconds - (before == p0.end() ? 0.0 : before->second);
    if (used / window < 0.01) {
      continue;
    }
    by_process[command] = {
        {"cores", rounded(used / window, 2)},
        {"ms_per_1000_updates", committed > 0 ? rounded(used * 1e6 / committed) : 0.0}};
  }
  json::object stratusd{{"window_s", rounded(window)},
                        {"updates_committed", c1->events - c0->events},
                        {"params_accepted_per_s", rounded((c1->params - c0->params) / window, 0)},
                        {"swarm_acked_per_s", rounded(static_cast<double>(a1 - a0) / window, 0)},
                        {"batches_per_s", rounded((c1->batches - c0->batches) / window, 1)},
                        {"cpu_cores", rounded(cpu_s / window, 2)},
                        {"cpu_by_process", std::move(by_process)},
                        {"queue_depth_end", c1->queue_depth},
                        {"dropped_in_window", c1->dropped - c0->dropped},
                        {"drain_after_stop_s", rounded(drain_s)},
                        {"probe", to_json(probe_stats)},
                        {"probe_failures", probe_failures},
                        {"flow_control", steering.summary()},
                        {"swarm", swarm_json(*report)}};
  out.results = {
      {"updates_per_s", rounded(updates, 0)},
      {"instances", args.other_servers.size() + 1},
      {"p50_ms", rounded(probe_stats.p50_ms)},
      {"p99_ms", rounded(probe_stats.p99_ms)},
      {"raw_broker_msgs_per_s", raw_rate},
      {"ratio", raw_rate > 0 ? rounded(updates / raw_rate, 3) : 0.0},
      {"raw_broker_accept_per_s", accept_rate},
      {"cpu_ms_per_1000_updates", committed > 0 ? rounded(cpu_s * 1e6 / committed) : 0.0},
      {"stratusd_phase", std::move(stratusd)},
      {"raw_phase", std::move(raw)},
      {"accept_phase", std::move(accept)}};
  return out;
}

Result<ScenarioOutput> run_events(const EventsArgs& args) {
  ScenarioOutput out;
  out.params = {{"nodes", args.ingest.count},
                {"duration_s", args.ingest.duration_s},
                {"clients", args.clients},
                {"mapped", args.mapped},
                {"watchers_per_node", args.watchers_per_node},
                {"report_rate_per_s", args.report_rate},
                {"latency_s", args.latency_s}};
  if (args.mapped == 0 || args.mapped * args.watchers_per_node > args.clients)
    return fail(errc::invalid_argument, "need 1 ≤ mapped × watchers-per-node ≤ clients");
  auto session = bench_session(args.ingest.target);
  if (!session)
    return fail(std::move(session).error());
  note("starting " + std::to_string(args.mapped) + " mapped lights");
  auto lights = MappedNodes::start(args.ingest.target, *session, args.mapped_dir, args.mapped);
  if (!lights)
    return fail(std::move(lights).error());

  // Phase 1 measures the raw ceiling too when a second mosquitto is given (its own
  // phases, before the stratusd one); phase 2 does not.
  IngestArgs flood = args.ingest;
  flood.mapped_dir.clear();
  note("phase 1: ingest, no stream open");
  auto alone = run_ingest(flood);
  if (!alone)
    return fail(std::move(alone).error());
  flood.raw_port = 0;

  // Light i's reports carry Light.Name "e<seq>"; sent_ns[seq] is when it was sent.
  const auto reports = static_cast<std::size_t>(args.report_rate * args.latency_s) + 1;
  std::vector<std::atomic<std::int64_t>> sent_ns(reports);
  std::vector<double> latency_ms;  // written on the watchers' thread only
  std::atomic<std::uint64_t> params_events{0};
  auto token = session->fresh_access_token();
  if (!token)
    return fail(std::move(token).error());
  WatcherOptions options;
  const auto& server = args.ingest.target.server;
  options.port = static_cast<std::uint16_t>(std::stoi(server.substr(server.rfind(':') + 1)));
  options.access_token = *token;
  options.clients = args.clients;
  const std::size_t following = args.mapped * args.watchers_per_node;
  auto& set = **lights;
  options.query = [&](std::size_t i) -> std::string {
    if (i < following)
      return "node_ids=" + set.node_id(i % args.mapped) + "&types=params";
    return "types=alert";
  };
  note("opening " + std::to_string(args.clients) + " event streams");
  auto watchers =
      Watchers::open(options, [&](std::size_t, std::string_view text, Steady::time_point at) {
        constexpr std::string_view kMark = "\"Name\":\"e";
        const auto pos = text.find(kMark);
        if (pos == std::string_view::npos)
          return;
        params_events.fetch_add(1, std::memory_order_relaxed);
        const auto seq = std::strtoull(text.data() + pos + kMark.size(), nullptr, 10);
        if (seq >= sent_ns.size())
          return;
        const auto sent = sent_ns[seq].load(std::memory_order_acquire);
        if (sent != 0)
          latency_ms.push_back(static_cast<double>(at.time_since_epoch().count() - sent) / 1e6);
      });
  if (!watchers)
    return fail(std::move(watchers).error());

  note("phase 2: ingest with " + std::to_string(args.clients) + " streams open");
  const auto received_before = (*watchers)->received();
  auto with_clients = run_ingest(flood);
  if (!with_clients)
    return fail(std::move(with_clients).error());
  const auto received_flood = (*watchers)->received() - received_before;

  note("phase 3: " + std::to_string(static_cast<int>(args.report_rate)) +
       " reports/s from the mapped lights");
  std::size_t send_failures = 0;
  const auto interval = std::chrono::duration<double>(1.0 / args.report_rate);
  auto next = Steady::now();
  for (std::size_t seq = 0; seq < reports; ++seq) {
    sent_ns[seq].store(Steady::now().time_since_epoch().count(), std::memory_order_release);
    if (!set.set_local_name(seq % args.mapped, "e" + std::to_string(seq)))
      ++send_failures;
    next += std::chrono::duration_cast<Steady::duration>(interval);
    std::this_thread::sleep_until(next);
  }
  std::this_thread::sleep_for(2s);  // the last deliveries
  const auto lost = (*watchers)->lost();
  (*watchers)->close();
  set.stop();

  const double a = alone->results.at("updates_per_s").to_number<double>();
  const double b = with_clients->results.at("updates_per_s").to_number<double>();
  const auto expected = reports * args.watchers_per_node;
  auto stats = latency_stats(latency_ms);
  // Against the raw broker of phase 1 (issue 24 item 1: ≥ 0.8 with streams open and,
  // with a time-series model, time series stored).
  const auto* raw_value = alone->results.if_contains("raw_broker_msgs_per_s");
  const double raw = raw_value != nullptr ? raw_value->to_number<double>() : 0.0;
  out.params["model"] = args.ingest.model;
  out.results = {{"updates_per_s_alone", a},
                 {"updates_per_s_with_clients", b},
                 {"ratio", a > 0 ? rounded(b / a, 3) : 0.0},
                 {"raw_broker_msgs_per_s", raw},
                 {"ratio_to_raw_alone", raw > 0 ? rounded(a / raw, 3) : 0.0},
                 {"ratio_to_raw_with_clients", raw > 0 ? rounded(b / raw, 3) : 0.0},
                 {"p50_ms", rounded(stats.p50_ms)},
                 {"p99_ms", rounded(stats.p99_ms)},
                 {"latency", to_json(stats)},
                 {"deliveries_expected", expected},
                 {"deliveries_timed", latency_ms.size()},
                 {"report_send_failures", send_failures},
                 {"streams_lost", lost},
                 {"messages_during_flood", received_flood},
                 {"phase_alone", alone->results},
                 {"phase_with_clients", with_clients->results}};
  return out;
}

// What `control` and `cmdresp` share: mapped virtual lights and one logged-in REST session
// per worker thread.
struct MappedLoad {
  std::unique_ptr<MappedNodes> nodes;
  std::vector<client::Session> sessions;

  static Result<MappedLoad> start(const Target& target, const std::string& mapped_dir,
                                  std::size_t node_count, int worker_count) {
    const auto workers = static_cast<std::size_t>(std::max(1, worker_count));
    if (node_count < workers || node_count % workers != 0) {
      return fail(errc::invalid_argument, "--nodes must be a multiple of --workers");
    }
    auto session = bench_session(target);
    if (!session) {
      return fail(std::move(session).error());
    }
    auto started = MappedNodes::start(target, *session, mapped_dir, node_count);
    if (!started) {
      return fail(std::move(started).error());
    }
    MappedLoad load;
    load.nodes = std::move(*started);
    for (std::size_t w = 0; w < workers; ++w) {
      auto s = open_session(target);
      if (!s) {
        return fail(std::move(s).error());
      }
      s->set_tokens(session->tokens());
      load.sessions.push_back(std::move(*s));
    }
    return load;
  }
};

// Runs operations 0..ops-1 on an open-loop schedule, one every 1/rate s from 100 ms from
// now (latency counts from the scheduled time, so a slow server cannot hide its queueing):
// operation i on worker i % workers, each worker a thread of its own that sleeps until the
// operation's time and calls `op(worker, i, scheduled)`. Returns the seconds from the first
// scheduled time until every operation ended.
double run_open_loop(std::size_t workers, double rate, std::size_t ops,
                     const std::function<void(std::size_t, std::size_t, Steady::time_point)>& op) {
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const auto start = Steady::now() + 100ms;
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      for (std::size_t i = w; i < ops; i += workers) {
        const auto scheduled =
            start + std::chrono::duration_cast<Steady::duration>(interval * static_cast<double>(i));
        std::this_thread::sleep_until(scheduled);
        op(w, i, scheduled);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  return ms_between(start, Steady::now()) / 1000;
}

// The workers' samples in one list.
std::vector<double> merged(const std::vector<std::vector<double>>& parts) {
  std::vector<double> all;
  for (const auto& p : parts) {
    all.insert(all.end(), p.begin(), p.end());
  }
  return all;
}

Result<ScenarioOutput> run_cmdresp(const CmdRespArgs& args) {
  auto load = MappedLoad::start(args.target, args.mapped_dir, args.nodes, args.workers);
  if (!load) {
    return fail(std::move(load).error());
  }
  const auto workers = load->sessions.size();
  auto& nodes = *load->nodes;
  auto& sessions = load->sessions;
  const auto ops = static_cast<std::size_t>(args.rate * args.duration_s);
  const auto timeout = std::chrono::duration<double, std::milli>(args.timeout_ms);
  std::vector<std::vector<double>> total(workers), posted(workers);
  std::vector<std::size_t> failures(workers, 0);
  const double elapsed = run_open_loop(
      workers, args.rate, ops, [&](std::size_t w, std::size_t i, Steady::time_point scheduled) {
        auto& s = sessions[w];
        const auto deadline = scheduled + std::chrono::duration_cast<Steady::duration>(timeout);
        client::CommandRequest request;
        request.node_ids = {nodes.node_id(i % args.nodes)};
        request.cmd = 0x1003;  // sim::kConfigureCommand
        request.data = R"({"bench":"r)" + std::to_string(i) + R"("})";
        request.timeout_s = 60;
        auto created = s.create_command_request(request);
        if (!created || !created->all_sent()) {
          ++failures[w];
          return;
        }
        const auto id = created->request_id;
        posted[w].push_back(ms_between(scheduled, Steady::now()));
        bool answered = false;
        while (Steady::now() < deadline) {
          if (auto r = s.command_requests(id);
              r && std::any_of(r->requests.begin(), r->requests.end(),
                               [](const auto& c) { return c.status == "success"; })) {
            total[w].push_back(ms_between(scheduled, Steady::now()));
            answered = true;
            break;
          }
          std::this_thread::sleep_for(500us);
        }
        failures[w] += answered ? 0 : 1;
      });
  nodes.stop();
  auto all_total = merged(total);
  auto all_posted = merged(posted);
  std::size_t failed = 0;
  for (auto f : failures) {
    failed += f;
  }
  const auto stats = latency_stats(all_total);
  ScenarioOutput out;
  out.params = {{"nodes", args.nodes},     {"workers", workers},
                {"rate_per_s", args.rate}, {"duration_s", args.duration_s},
                {"model", "light"},        {"command", "0x1003 configure"}};
  out.results = {{"p50_ms", rounded(stats.p50_ms)},
                 {"p99_ms", rounded(stats.p99_ms)},
                 {"max_ms", rounded(stats.max_ms)},
                 {"answered", stats.count},
                 {"failures", failed},
                 {"achieved_per_s", rounded(static_cast<double>(stats.count) / elapsed, 1)},
                 {"request_to_answer", to_json(stats)},
                 {"post_only", to_json(latency_stats(all_posted))}};
  return out;
}

// The broker's floor under the control scenario's load (issue 24 item 3): the same
// operation without stratusd. A backend client of the raw broker publishes the set to
// `node/<id>/params/remote` (QoS 1, as stratusd's publishing connection does), the same
// virtual lights apply it and answer on `params/local`, and that client receives the
// answer; meanwhile the same swarm offers, at a fixed `load` per second, what stratusd's
// broker carried during the run (the committed rate). Nobody subscribes to the swarm's
// reports, so the broker only accepts and acknowledges them: less work per report than
// handing it to stratusd (ADR 0025) or forwarding it to a subscriber. Two broker deliveries
// and the light's own work under the cheapest form of the same load: what no server behind
// this broker, on this machine, can go under. Errors: any client's or the swarm's start, or
// their not connecting.
Result<json::object> control_floor(const ControlArgs& args, double load, double rate) {
  Target raw_target = args.target;
  raw_target.mqtt_port = args.raw_port;
  auto lights = MappedNodes::connect(raw_target, args.mapped_dir, args.nodes);
  if (!lights) {
    return fail(std::move(lights).error());
  }
  auto& nodes = **lights;
  SeenNames answers(nodes.size());
  std::unordered_map<std::string, std::size_t> by_topic;
  std::vector<std::string> answer_topics;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    answer_topics.push_back("node/" + nodes.node_id(i) + "/params/local");
    by_topic.emplace(answer_topics.back(), i);
  }
  auto probe = raw_backend_client(args.raw_backend_port, args.backend_password_file,
                                  "stratus-bench-floor-probe", answer_topics, nullptr,
                                  [&answers, &by_topic](const mqtt::Message& m) {
                                    const auto at = Steady::now();
                                    if (auto it = by_topic.find(m.topic); it != by_topic.end())
                                      answers.seen(it->second, m.payload, at);
                                  });
  if (!probe) {
    return fail(std::move(probe).error());
  }
  auto swarm_nodes = load_swarm_nodes(args.ingest_creds_dir, args.ingest_count, raw_target);
  if (!swarm_nodes) {
    return fail(std::move(swarm_nodes).error());
  }
  IngestArgs flood;
  flood.count = args.ingest_count;
  flood.max_in_flight = args.ingest_max_in_flight;
  flood.duration_s = args.duration_s;
  SwarmRun swarm(std::move(*swarm_nodes), flood_options(flood));
  if (!swarm.wait_all_connected(120s)) {
    return fail(errc::timeout, "broker floor: not every swarm node connected");
  }
  swarm.set_rate(load);
  if (args.ingest_idle_priority) {
    if (auto lowered = swarm.lower_to_idle_priority(); !lowered)
      return fail(std::move(lowered).error());
  }
  std::this_thread::sleep_for(3s);

  const auto workers = static_cast<std::size_t>(std::max(1, args.workers));
  const auto ops = static_cast<std::size_t>(rate * args.duration_s);
  const auto timeout = std::chrono::duration<double, std::milli>(args.timeout_ms);
  std::vector<std::vector<double>> total(workers), sent_to_node(workers), node_to_backend(workers),
      published(workers);
  std::vector<std::size_t> failures(workers, 0);
  const auto a0 = swarm.pubacks();
  const auto t0 = Steady::now();
  const auto ticks0 = machine_ticks();
  const double elapsed = run_open_loop(
      workers, rate, ops, [&](std::size_t w, std::size_t i, Steady::time_point scheduled) {
        const std::size_t k = i % nodes.size();
        std::string value = "f";
        value += std::to_string(i);
        const auto deadline = scheduled + std::chrono::duration_cast<Steady::duration>(timeout);
        const auto sent = Steady::now();
        auto ok = (*probe)->publish("node/" + nodes.node_id(k) + "/params/remote",
                                    R"({"Light":{"Name":")" + value + R"("}})", 1, false);
        published[w].push_back(ms_between(sent, Steady::now()));
        const auto applied = ok ? nodes.wait_applied(k, value, deadline) : std::nullopt;
        const auto answered = applied ? answers.wait(k, value, deadline) : std::nullopt;
        if (!answered) {
          ++failures[w];
          return;
        }
        total[w].push_back(ms_between(scheduled, *answered));
        sent_to_node[w].push_back(ms_between(sent, *applied));
        node_to_backend[w].push_back(ms_between(*applied, *answered));
      });
  const double window = ms_between(t0, Steady::now()) / 1000;
  const auto a1 = swarm.pubacks();
  const double steal = steal_percent(ticks0, machine_ticks());
  auto report = swarm.finish();
  (*probe)->stop();
  nodes.stop();
  if (!report) {
    return fail(std::move(report).error());
  }
  std::size_t failed = 0;
  for (auto f : failures) {
    failed += f;
  }
  auto all_total = merged(total);
  auto all_sent_to_node = merged(sent_to_node);
  auto all_node_to_backend = merged(node_to_backend);
  auto all_published = merged(published);
  const auto stats = latency_stats(all_total);
  json::object o{{"what",
                  "set published by a backend client of the raw broker → the light applies it → "
                  "its answer received by that client; no stratusd; the same swarm offering what "
                  "stratusd committed during the run, accepted by the broker with no subscriber"},
                 {"operations", ops},
                 {"achieved_per_s", rounded(static_cast<double>(stats.count) / elapsed, 1)},
                 {"failures", failed},
                 {"latency", to_json(stats)},
                 {"sent_to_node", to_json(latency_stats(all_sent_to_node))},
                 {"node_to_backend", to_json(latency_stats(all_node_to_backend))},
                 {"publish_call", to_json(latency_stats(all_published))},
                 {"offered_per_s", rounded(load, 0)},
                 {"acknowledged_per_s", rounded(static_cast<double>(a1 - a0) / window, 0)},
                 {"steal_percent", rounded(steal, 1)},
                 {"swarm", swarm_json(*report)}};
  return o;
}

Result<ScenarioOutput> run_control(const ControlArgs& args) {
  auto load = MappedLoad::start(args.target, args.mapped_dir, args.nodes, args.workers);
  if (!load) {
    return fail(std::move(load).error());
  }
  const auto workers = load->sessions.size();
  auto& nodes = *load->nodes;
  auto& sessions = load->sessions;

  ScenarioOutput out;
  json::array rates_out;
  out.params = {{"nodes", args.nodes},
                {"workers", workers},
                {"duration_s_per_rate", args.duration_s},
                {"p99_limit_ms", args.p99_limit_ms},
                {"model", "light"},
                {"param", "Light.Name"},
                {"visible_by", args.visible_by_poll ? "GET polled" : "params event, then one GET"}};
  std::unique_ptr<NameEvents> events;
  if (!args.visible_by_poll) {
    auto opened = NameEvents::open(args.target, sessions.front(), nodes);
    if (!opened)
      return fail(std::move(opened).error());
    events = std::move(*opened);
  }
  // Background ingest at a fixed fraction of the maximum measured first.
  std::unique_ptr<SwarmRun> background;
  std::optional<std::vector<client::Session>> background_sessions;
  json::object background_out;
  ServerCounters bg0;
  Steady::time_point bg_t0;
  if (!args.ingest_creds_dir.empty()) {
    auto swarm_nodes = load_swarm_nodes(args.ingest_creds_dir, args.ingest_count, args.target);
    if (!swarm_nodes) {
      return fail(std::move(swarm_nodes).error());
    }
    IngestArgs flood;
    flood.count = args.ingest_count;
    flood.max_in_flight = args.ingest_max_in_flight;
    flood.duration_s = args.ingest_max_s + args.duration_s * static_cast<double>(args.rates.size());
    note("background ingest: " + std::to_string(args.ingest_count) + " nodes");
    background = std::make_unique<SwarmRun>(std::move(*swarm_nodes), flood_options(flood));
    if (!background->wait_all_connected(120s)) {
      return fail(errc::timeout, "background ingest: not every node connected");
    }
    auto opened = cluster_sessions(args.target, {});
    if (!opened) {
      return fail(std::move(opened).error());
    }
    background_sessions = std::move(*opened);
    Steering steering(*background, taken_by_stratusd(*background_sessions), flood.backlog_limit,
                      flood.committed_backlog_limit);
    steering.run_for(flood.warmup_s);
    auto m0 = server_counters(*background_sessions);
    const auto t0 = Steady::now();
    steering.run_for(args.ingest_max_s);
    auto m1 = server_counters(*background_sessions);
    const auto t1 = Steady::now();
    if (!m0 || !m1) {
      return fail(errc::unavailable, "cannot read /metrics");
    }
    const double max = (m1->events - m0->events) / (ms_between(t0, t1) / 1000);
    const double offered = max * args.ingest_fraction;
    background->set_rate(offered);  // from here on a fixed rate: the steering has stopped
    // The maximum was taken at normal priority, as in the `ingest` scenario; the fixed rate
    // is offered from SCHED_IDLE, and `committed_per_s_during_control` shows whether the
    // swarm still reached it.
    if (args.ingest_idle_priority) {
      if (auto lowered = background->lower_to_idle_priority(); !lowered)
        return fail(std::move(lowered).error());
    }
    std::this_thread::sleep_for(3s);
    auto settled = server_counters(*background_sessions);
    if (!settled) {
      return fail(std::move(settled).error());
    }
    bg0 = *settled;
    bg_t0 = Steady::now();
    background_out = {{"nodes", args.ingest_count},
                      {"max_updates_per_s", rounded(max, 0)},
                      {"fraction", args.ingest_fraction},
                      {"offered_per_s", rounded(offered, 0)},
                      {"flow_control_while_measuring_max", steering.summary()}};
    note("background ingest: max " + std::to_string(max) + " updates/s, offering " +
         std::to_string(offered) + "/s");
  }

  double best_rate = 0;
  std::optional<LatencyStats> first;
  for (std::size_t r = 0; r < args.rates.size(); ++r) {
    const double rate = args.rates[r];
    const auto ops = static_cast<std::size_t>(rate * args.duration_s);
    const auto timeout = std::chrono::duration<double, std::milli>(args.timeout_ms);
    std::vector<std::vector<double>> total(workers), to_node(workers), to_visible(workers),
        to_event(workers), late(workers), set_answered(workers), sent_to_node(workers),
        sent_to_visible(workers);
    std::vector<std::size_t> failures(workers, 0);
    // Why operations failed: the set refused, the node never got it, the value never showed.
    std::vector<std::array<std::size_t, 3>> why(workers, {0, 0, 0});
    // Every completed operation's steps, for the slowest ones' list.
    struct Steps {
      std::size_t i = 0;
      double total = 0, set = 0, sent_to_node = 0, node_to_event = 0, to_visible = 0;
    };
    std::vector<std::vector<Steps>> steps(workers);
    // stratusd's own account of the answers' path, from its histograms (empty: unreadable).
    const auto server_page = [&] { return scrape_metrics(sessions.front()).value_or(""); };
    const std::string page0 = server_page();
    const auto ticks0 = machine_ticks();
    const double elapsed = run_open_loop(
        workers, rate, ops, [&](std::size_t w, std::size_t i, Steady::time_point scheduled) {
          auto& s = sessions[w];
          late[w].push_back(ms_between(scheduled, Steady::now()));
          const std::size_t k = i % args.nodes;
          std::string value = "c";  // piecewise, as the ingest probe's (-Wrestrict)
          value += std::to_string(r);
          value += 'n';
          value += std::to_string(i);
          const auto deadline = scheduled + std::chrono::duration_cast<Steady::duration>(timeout);
          const auto sent = Steady::now();
          auto set = s.set_params({{nodes.node_id(k), R"({"Light":{"Name":")" + value + R"("}})"}});
          set_answered[w].push_back(ms_between(sent, Steady::now()));
          if (!set || set->empty() || !set->front().success) {
            ++failures[w];
            ++why[w][0];
            return;
          }
          const auto applied = nodes.wait_applied(k, value, deadline);
          if (!applied) {
            ++failures[w];
            ++why[w][1];
            return;
          }
          std::optional<Steady::time_point> seen;
          if (events) {
            const auto event = events->wait(k, value, deadline);
            if (event) {
              to_event[w].push_back(ms_between(*applied, *event));
              // Normally the first GET shows it; the polling is the fallback.
              seen =
                  poll_visible(s, nodes.node_id(k), "\"" + value + "\"", deadline, 500us, 2000us);
            }
          } else {
            seen = poll_visible(s, nodes.node_id(k), "\"" + value + "\"", deadline, 500us, 2000us);
          }
          if (!seen) {
            ++failures[w];
            ++why[w][2];
            return;
          }
          total[w].push_back(ms_between(scheduled, *seen));
          to_node[w].push_back(ms_between(scheduled, *applied));
          sent_to_node[w].push_back(ms_between(sent, *applied));
          sent_to_visible[w].push_back(ms_between(sent, *seen));
          to_visible[w].push_back(ms_between(*applied, *seen));
          steps[w].push_back({i, total[w].back(), set_answered[w].back(), sent_to_node[w].back(),
                              events ? to_event[w].back() : 0.0, to_visible[w].back()});
        });
    const double steal = steal_percent(ticks0, machine_ticks());
    const std::string page1 = server_page();
    // The answers as the ingest writer saw them (docs/adr/0026): how long each waited for
    // the writer and how long its batch took to commit and publish; every batch's wall
    // and CPU time (the difference: the writer runnable and not running, or waiting); every
    // event's time from its publication until the hub handed it to the streams.
    const json::object in_server{
        {"interactive_wait",
         histogram_window(page0, page1, "stratus_ingest_interactive_wait_seconds")},
        {"interactive_apply",
         histogram_window(page0, page1, "stratus_ingest_interactive_apply_seconds")},
        {"batch", histogram_window(page0, page1, "stratus_ingest_batch_seconds")},
        {"batch_cpu", histogram_window(page0, page1, "stratus_ingest_batch_cpu_seconds")},
        {"events_dispatch", histogram_window(page0, page1, "stratus_events_dispatch_seconds")}};
    // The 20 slowest operations in schedule order (`at_ms` from the rate's first one):
    // whether the tail comes in bursts, and which step holds it.
    std::vector<Steps> all_steps;
    for (auto& part : steps)
      all_steps.insert(all_steps.end(), part.begin(), part.end());
    const auto slowest_json = [rate](std::vector<Steps> all) {
      const std::size_t n = std::min<std::size_t>(20, all.size());
      std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                        [](const Steps& a, const Steps& b) { return a.total > b.total; });
      all.resize(n);
      std::sort(all.begin(), all.end(), [](const Steps& a, const Steps& b) { return a.i < b.i; });
      json::array list;
      for (const auto& o : all)
        list.push_back({{"at_ms", rounded(static_cast<double>(o.i) * 1000 / rate)},
                        {"total_ms", rounded(o.total)},
                        {"set_ms", rounded(o.set)},
                        {"sent_to_node_ms", rounded(o.sent_to_node)},
                        {"node_to_event_ms", rounded(o.node_to_event)},
                        {"node_to_visible_ms", rounded(o.to_visible)}});
      return list;
    };
    auto all_total = merged(total);
    auto all_node = merged(to_node);
    auto all_visible = merged(to_visible);
    auto all_event = merged(to_event);
    auto all_late = merged(late);
    auto all_answered = merged(set_answered);
    auto all_sent_to_node = merged(sent_to_node);
    auto all_sent_to_visible = merged(sent_to_visible);
    std::size_t failed = 0;
    std::array<std::size_t, 3> reasons{0, 0, 0};
    for (const auto& r3 : why) {
      for (std::size_t k = 0; k < 3; ++k)
        reasons[k] += r3[k];
    }
    for (auto f : failures) {
      failed += f;
    }
    const auto stats = latency_stats(all_total);
    const bool holds = failed == 0 && stats.count > 0 && stats.p99_ms < args.p99_limit_ms;
    json::object row{{"rate_per_s", rate},
                     {"operations", ops},
                     {"achieved_per_s", rounded(static_cast<double>(stats.count) / elapsed, 1)},
                     {"failures", failed},
                     {"failures_by_step",
                      {{"set", reasons[0]}, {"to_node", reasons[1]}, {"visible", reasons[2]}}},
                     {"latency", to_json(stats)},
                     {"set_to_node", to_json(latency_stats(all_node))},
                     {"set_answered", to_json(latency_stats(all_answered))},
                     {"sent_to_node", to_json(latency_stats(all_sent_to_node))},
                     {"sent_to_visible", to_json(latency_stats(all_sent_to_visible))},
                     {"node_to_visible", to_json(latency_stats(all_visible))},
                     {"node_to_event", to_json(latency_stats(all_event))},
                     {"start_lateness", to_json(latency_stats(all_late))},
                     {"steal_percent", rounded(steal, 1)},
                     {"in_server", in_server},
                     {"slowest", slowest_json(std::move(all_steps))},
                     {"p99_under_limit", holds}};
    note("control " + json::serialize(row));
    rates_out.push_back(std::move(row));
    if (!first) {
      first = stats;
    }
    if (!holds) {
      break;
    }
    best_rate = std::max(best_rate, rate);
  }
  nodes.stop();
  out.results = {{"rate_per_s", args.rates.front()},      {"p50_ms", rounded(first->p50_ms)},
                 {"p99_ms", rounded(first->p99_ms)},      {"max_ms", rounded(first->max_ms)},
                 {"max_rate_p99_under_limit", best_rate}, {"rates", std::move(rates_out)}};
  if (background) {
    auto bg1 = server_counters(*background_sessions);
    const double window = ms_between(bg_t0, Steady::now()) / 1000;
    auto report = background->finish();
    if (!bg1 || !report) {
      return fail(errc::unavailable, "background ingest: no final counters or swarm report");
    }
    const double committed = (bg1->events - bg0.events) / window;
    background_out["committed_per_s_during_control"] = rounded(committed, 0);
    background_out["queue_depth_end"] = bg1->queue_depth;
    background_out["dropped"] = bg1->dropped - bg0.dropped;
    background_out["swarm"] = swarm_json(*report);
    out.params["background_ingest"] = true;
    out.params["background_swarm_priority"] = args.ingest_idle_priority ? "idle" : "normal";
    out.results["background"] = std::move(background_out);
    if (args.raw_port != 0) {
      note("broker floor: the same operation and load against the raw broker");
      // The rate the background actually reached (the swarm offers from SCHED_IDLE, so it
      // can fall short of `offered`): the floor's broker carries that much, no more.
      auto floor = control_floor(args, committed, args.rates.front());
      if (!floor) {
        return fail(std::move(floor).error());
      }
      note("broker floor: " + json::serialize(*floor));
      out.results["broker_floor"] = std::move(*floor);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// OTA: one job over a swarm, against the download ceiling.

namespace {

// Downloads `url` `times` times with a pool of `workers` (what the swarm's nodes share),
// nothing else running: the server's download ceiling on this machine. MB/s, or an error.
Result<double> download_ceiling(const std::string& url, std::uint64_t bytes, std::size_t times,
                                int workers, const std::filesystem::path& dir,
                                const std::string& ca_file) {
  auto pool = sim::DownloadPool::create(workers, dir, {});
  if (!pool) {
    return fail(std::move(pool).error());
  }
  const auto start = Steady::now();
  for (std::size_t i = 0; i < times; ++i) {
    agent::OtaDownload request;
    request.id = i + 1;
    request.url = url;
    request.file_size = bytes;
    (*pool)->start(i, "ceiling-" + std::to_string(i % static_cast<std::size_t>(workers)) + ".bin",
                   ca_file, request);
  }
  std::size_t finished = 0;
  std::vector<sim::DownloadEvent> events;
  const auto deadline = start + 10min;
  while (finished < times && Steady::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    events.clear();
    (*pool)->drain(events);
    for (const auto& e : events) {
      if (e.kind != sim::DownloadEvent::Kind::finished) {
        continue;
      }
      if (!*e.result) {
        return fail(errc::unavailable, "ceiling download failed: " + e.result->error().context);
      }
      ++finished;
    }
  }
  const double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  if (finished < times) {
    return fail(errc::timeout, "ceiling downloads did not finish in 10 minutes");
  }
  const auto stats = (*pool)->stats();
  return static_cast<double>(stats.bytes) / 1e6 / elapsed;
}

std::int64_t ended(const proto::rest::OtaJobCounts& c) {
  return c.success + c.failed + c.rejected + c.timed_out + c.cancelled;
}

}  // namespace

Result<ScenarioOutput> run_ota(const OtaArgs& args) {
  ScenarioOutput out;
  out.params = {{"nodes", args.count},
                {"image_bytes", args.image_bytes},
                {"batch_size", args.batch_size},
                {"download_workers", args.download_workers},
                {"model", args.model},
                {"transport", args.target.server.rfind("https", 0) == 0 ? "https" : "http"}};
  auto admin = open_session(args.target);
  if (!admin) {
    return fail(std::move(admin).error());
  }
  if (auto in = admin->login(args.admin_user, args.admin_password); !in) {
    return fail(in.error().code, "admin login: " + in.error().context);
  }
  const pid_t pid = server_pid(args.target.data_dir);
  auto nodes = load_swarm_nodes(args.creds_dir, args.count, args.target);
  if (!nodes) {
    return fail(std::move(nodes).error());
  }
  std::vector<std::string> node_ids;
  for (const auto& n : *nodes) {
    node_ids.push_back(n.node_id);
  }
  const std::filesystem::path dir = args.ota_dir.empty()
                                        ? std::filesystem::path(args.creds_dir) / "ota"
                                        : std::filesystem::path(args.ota_dir);

  // The image: a new version every run (the swarm's nodes start at 1.0.0).
  proto::EspImageSpec spec;
  spec.version = "2." + std::to_string(std::time(nullptr));
  spec.project_name = args.model;
  spec.payload_bytes = args.image_bytes;
  auto image = proto::make_esp_image(spec);
  if (!image) {
    return fail(std::move(image).error());
  }
  std::filesystem::create_directories(dir);
  const auto image_file = dir / "bench-image.bin";
  std::ofstream(image_file, std::ios::binary | std::ios::trunc) << *image;
  client::OtaImageFile upload{image_file, "bench-" + spec.version, spec.version, {}, {}, {}};
  auto uploaded = admin->upload_ota_image(upload);
  std::filesystem::remove(image_file);
  if (!uploaded) {
    return fail(uploaded.error().code, "upload: " + uploaded.error().context);
  }
  note("image " + uploaded->ota_image_id + " version " + spec.version + ", " +
       std::to_string(image->size()) + " bytes");

  sim::SwarmOptions options;
  options.model = args.model;
  options.duration = std::chrono::seconds(static_cast<std::int64_t>(args.timeout_s) + 600);
  sim::SwarmOta ota;
  ota.dir = dir;
  ota.download_workers = args.download_workers;
  options.ota = ota;
  SwarmRun swarm(std::move(*nodes), options);
  swarm.set_rate(0);
  if (!swarm.wait_all_connected(300s)) {
    return fail(errc::timeout, "not every swarm node connected within 300 s");
  }
  std::this_thread::sleep_for(8s);  // boot sequences in, and their otafetch answered
  const auto rss_before = rss_kib(pid);
  const double cpu_before = cpu_seconds(pid);

  proto::rest::NewOtaJob job;
  job.ota_job_name = "bench-" + spec.version;
  job.ota_image_id = uploaded->ota_image_id;
  // A job names at most 100 nodes (RainMaker's limit, 105029); a fleet is targeted by its
  // model, as an operator would: every node of the swarm's model in this data dir.
  if (node_ids.size() <= 100) {
    job.nodes = node_ids;
  } else {
    job.node_model = args.model;
  }
  job.force_push = true;
  job.rollout = proto::rest::OtaRollout{args.batch_size, std::nullopt, 0, 10};
  const auto start = Steady::now();
  auto job_id = admin->create_ota_job(job);
  if (!job_id) {
    return fail(job_id.error().code, "job: " + job_id.error().context);
  }
  note("job " + *job_id + " over " + std::to_string(args.count) + " nodes");
  std::uint64_t rss_peak = rss_before;
  proto::rest::OtaJob state;
  const auto deadline = start + std::chrono::duration<double>(args.timeout_s);
  for (;;) {
    std::this_thread::sleep_for(1s);
    rss_peak = std::max(rss_peak, rss_kib(pid));
    auto now = admin->ota_job(*job_id);
    if (!now) {
      return fail(now.error().code, "job status: " + now.error().context);
    }
    state = std::move(*now);
    note("job " + state.status + ": " + std::to_string(state.counts.success) + " updated, " +
         std::to_string(ended(state.counts) - state.counts.success) + " failed, " +
         std::to_string(state.counts.in_progress) + " in progress, batches " +
         std::to_string(state.batches_released));
    if (ended(state.counts) >= static_cast<std::int64_t>(args.count) || state.status == "paused" ||
        state.status == "finished") {
      break;
    }
    if (Steady::now() > deadline) {
      return fail(errc::timeout, "the job did not end within " +
                                     std::to_string(static_cast<int>(args.timeout_s)) + " s");
    }
  }
  const double job_s = std::chrono::duration<double>(Steady::now() - start).count();
  const double cpu_s = cpu_seconds(pid) - cpu_before;
  auto report = swarm.finish();
  if (!report) {
    return fail(std::move(report).error());
  }
  const auto rss_after = rss_kib(pid);

  auto shown = admin->ota_image(uploaded->ota_image_id);
  if (!shown || shown->image_url.empty()) {
    return fail(errc::unavailable, "no admin download URL for the ceiling");
  }
  const auto times = std::min<std::size_t>(args.count, 200);
  note("ceiling: " + std::to_string(times) + " downloads with " +
       std::to_string(args.download_workers) + " workers");
  auto ceiling = download_ceiling(shown->image_url, image->size(), times, args.download_workers,
                                  dir, args.target.ca_file);
  if (!ceiling) {
    return fail(std::move(ceiling).error());
  }
  const double mb = static_cast<double>(image->size()) / 1e6;
  const double throughput = mb * static_cast<double>(state.counts.success) / job_s;
  const auto& c = state.counts;
  out.results = {{"job_s", rounded(job_s, 1)},
                 {"job_status", state.status},
                 {"pause_reason", state.pause_reason},
                 {"updated", c.success},
                 {"failed", c.failed},
                 {"rejected", c.rejected},
                 {"timed_out", c.timed_out},
                 {"nodes_per_s", rounded(static_cast<double>(c.success) / job_s, 1)},
                 {"download_mb_per_s", rounded(throughput, 1)},
                 {"ceiling_mb_per_s", rounded(*ceiling, 1)},
                 {"ratio", rounded(throughput / *ceiling, 2)},
                 {"rss_before_kib", rss_before},
                 {"rss_peak_kib", rss_peak},
                 {"rss_after_kib", rss_after},
                 {"cpu_s", rounded(cpu_s, 1)},
                 {"swarm", json::parse(sim::to_json(*report))}};
  return out;
}

}  // namespace stratus::bench
