#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <span>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/random.hpp"
#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "mqtt/client.hpp"
#include "mqtt/detail/mosquitto_common.hpp"

namespace stratus::mqtt {
namespace {

using detail::lib_init_once;
using detail::to_error;
using log::Channel;

// How long one mosquitto_loop call waits for network activity; also the longest a stop
// waits for the network thread to notice it.
constexpr int kLoopTimeoutMs = 200;
// After stop() asks for DISCONNECT, how long the network thread may spend sending it.
constexpr auto kStopGrace = std::chrono::milliseconds(1000);

class MosquittoClient final : public Client {
 public:
  MosquittoClient(ClientOptions options, Dispatch dispatch)
      : options_(std::move(options)), dispatch_(std::move(dispatch)) {}

  ~MosquittoClient() override {
    stop();
    if (mosq_ != nullptr)
      mosquitto_destroy(mosq_);
  }

  void on_message(std::function<void(const Message&)> handler) override {
    on_message_ = std::move(handler);
  }
  void on_connection(std::function<void(bool, const std::string&)> handler) override {
    on_connection_ = std::move(handler);
  }

  using Client::subscribe;
  void subscribe(std::string filter, int qos, SubscribeOptions options) override {
    // No Local is a protocol error on an MQTT 3.1.1 connection.
    const int flags =
        options.no_local && options_.protocol_version == 5 ? MQTT_SUB_OPT_NO_LOCAL : 0;
    std::lock_guard lock(mutex_);
    const auto [it, inserted] = subscriptions_.emplace(std::move(filter), qos, flags);
    if (inserted && connected_)
      send_subscribe(*it);
  }

  Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                       bool retain) override {
    return publish_with(topic, payload, qos, retain, {});
  }

  Result<void> publish_tracked(std::string_view topic, std::string_view payload, int qos,
                               std::function<void()> on_left) override {
    return publish_with(topic, payload, qos, false, std::move(on_left));
  }

  Result<void> publish_with(std::string_view topic, std::string_view payload, int qos, bool retain,
                            std::function<void()> on_left) {
    if (!connected_)
      return fail(errc::unavailable, "mqtt: not connected to the broker");
    const std::string t(topic);
    int mid = 0;
    {
      // Held across the call: the publish callback (network thread) must find `mid`.
      std::lock_guard lock(unacked_mutex_);
      const int rc = mosquitto_publish_v5(mosq_, &mid, t.c_str(), static_cast<int>(payload.size()),
                                          payload.data(), qos, retain, nullptr);
      if (rc != MOSQ_ERR_SUCCESS)
        return fail(to_error(rc, "publish " + t));
      unacked_.insert(mid);
      if (on_left)
        on_left_.emplace(mid, std::move(on_left));
    }
    if (options_.messages_sent != nullptr)
      options_.messages_sent->inc();
    return {};
  }

  bool flush(std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock lock(unacked_mutex_);
    return unacked_cv_.wait_until(lock, deadline, [this] { return unacked_.empty(); });
  }

  bool connected() const override { return connected_; }

  Result<void> start() override {
    lib_init_once();
    mosq_ = mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(),
                          options_.clean_start, this);
    if (mosq_ == nullptr)
      return fail(errc::resource_exhausted, "mqtt: mosquitto_new failed");
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION,
                         options_.protocol_version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    detail::tune_socket_options(mosq_);
    if (!options_.username.empty()) {
      const int rc = mosquitto_username_pw_set(
          mosq_, options_.username.c_str(),
          options_.password.empty() ? nullptr : options_.password.c_str());
      if (rc != MOSQ_ERR_SUCCESS)
        return fail(to_error(rc, "credentials"));
    }
    if (options_.tls) {
      const auto& tls = *options_.tls;
      const int rc =
          mosquitto_tls_set(mosq_, tls.ca_file.empty() ? nullptr : tls.ca_file.c_str(),
                            tls.ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                            tls.cert_file.empty() ? nullptr : tls.cert_file.c_str(),
                            tls.key_file.empty() ? nullptr : tls.key_file.c_str(), nullptr);
      if (rc != MOSQ_ERR_SUCCESS)
        return fail(to_error(rc, "TLS settings"));
      mosquitto_tls_opts_set(mosq_, 1, "tlsv1.2", nullptr);
      if (tls.skip_hostname_check)
        mosquitto_tls_insecure_set(mosq_, true);
    }
    if (options_.will) {
      const auto& will = *options_.will;
      const int rc =
          mosquitto_will_set(mosq_, will.topic.c_str(), static_cast<int>(will.payload.size()),
                             will.payload.data(), will.qos, will.retain);
      if (rc != MOSQ_ERR_SUCCESS)
        return fail(to_error(rc, "last will"));
    }
    // Our own network thread, not mosquitto_loop_start: libmosquitto's loop_forever gives
    // up for good after "fatal" errors (TLS, protocol, EPROTO), which a broker restart
    // produces (issue 13: nodes never reconnected). Ours retries after every loss.
    mosquitto_threaded_set(mosq_, true);
    mosquitto_connect_v5_callback_set(mosq_, &MosquittoClient::on_connect_cb);
    mosquitto_disconnect_v5_callback_set(mosq_, &MosquittoClient::on_disconnect_cb);
    mosquitto_message_v5_callback_set(mosq_, &MosquittoClient::on_message_cb);
    mosquitto_publish_v5_callback_set(mosq_, &MosquittoClient::on_publish_cb);

    // connect_async never blocks on the network; the network thread retries.
    const int rc =
        mosquitto_connect_bind_async(mosq_, options_.host.c_str(), options_.port,
                                     static_cast<int>(options_.keepalive.count()), nullptr);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO) {
      return fail(to_error(rc, "connect " + options_.host));
    }
    stopping_ = false;
    started_ = true;
    network_ = std::thread([this] {
      core::name_this_thread("mqtt");
      run_network();
    });
    return {};
  }

  void stop() override {
    if (!started_.exchange(false))
      return;
    {
      std::lock_guard lock(wake_mutex_);
      stopping_ = true;
      stop_deadline_ = std::chrono::steady_clock::now() + kStopGrace;
    }
    wake_.notify_all();
    mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
    if (network_.joinable())
      network_.join();
    connected_ = false;
  }

 private:
  // The network thread: mosquitto_loop until it fails, then a backoff with jitter and an
  // asynchronous reconnect, for as long as the client runs. Every error counts as a
  // loss, whatever libmosquitto calls it.
  void run_network() {
    auto delay = std::max(options_.reconnect_min, std::chrono::milliseconds(10));
    std::uint64_t seed = 0;
    random_bytes(std::as_writable_bytes(std::span(&seed, 1)));
    std::mt19937_64 rng(seed);
    while (true) {
      const int rc = mosquitto_loop(mosq_, kLoopTimeoutMs, 1);
      {
        std::unique_lock lock(wake_mutex_);
        if (stopping_ &&
            (rc != MOSQ_ERR_SUCCESS || std::chrono::steady_clock::now() >= stop_deadline_)) {
          return;
        }
      }
      if (rc == MOSQ_ERR_SUCCESS) {
        if (connected_)
          delay = std::max(options_.reconnect_min, std::chrono::milliseconds(10));
        continue;
      }
      if (connected_.exchange(false))
        notify_connection(false, std::string(mosquitto_strerror(rc)));
      // Full jitter over [delay/2, delay]: a fleet that lost one broker does not come
      // back in lockstep.
      std::uniform_int_distribution<long long> jitter(delay.count() / 2, delay.count());
      const auto wait = std::chrono::milliseconds(jitter(rng));
      {
        std::unique_lock lock(wake_mutex_);
        if (wake_.wait_for(lock, wait, [this] { return stopping_; }))
          return;
      }
      delay = std::min(delay * 2, std::max(options_.reconnect_max, options_.reconnect_min));
      const int again = mosquitto_reconnect_async(mosq_);
      if (again != MOSQ_ERR_SUCCESS && again != MOSQ_ERR_ERRNO) {
        log::debug(Channel::mqtt, "reconnect to {}:{} failed: {}", options_.host, options_.port,
                   mosquitto_strerror(again));
      }
    }
  }

  // Called with mutex_ held. `s`: filter, QoS, subscription option flags.
  void send_subscribe(const std::tuple<std::string, int, int>& s) {
    const auto& [filter, qos, flags] = s;
    const int rc = mosquitto_subscribe_v5(mosq_, nullptr, filter.c_str(), qos, flags, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      log::warn(Channel::mqtt, "subscribe filter={} failed: {}", filter, mosquitto_strerror(rc));
    }
  }

  // A message has left: PUBACK/PUBCOMP for QoS 1/2, written for QoS 0.
  static void on_publish_cb(mosquitto*, void* self, int mid, int, const mosquitto_property*) {
    auto* client = static_cast<MosquittoClient*>(self);
    std::function<void()> on_left;
    {
      std::lock_guard lock(client->unacked_mutex_);
      client->unacked_.erase(mid);
      if (auto it = client->on_left_.find(mid); it != client->on_left_.end()) {
        on_left = std::move(it->second);
        client->on_left_.erase(it);
      }
    }
    client->unacked_cv_.notify_all();
    if (on_left)
      client->dispatch_(std::move(on_left));
  }

  static void on_connect_cb(mosquitto*, void* self, int rc, int, const mosquitto_property*) {
    static_cast<MosquittoClient*>(self)->handle_connect(rc);
  }
  static void on_disconnect_cb(mosquitto*, void* self, int rc, const mosquitto_property*) {
    static_cast<MosquittoClient*>(self)->handle_disconnect(rc);
  }
  static void on_message_cb(mosquitto*, void* self, const mosquitto_message* m,
                            const mosquitto_property*) {
    static_cast<MosquittoClient*>(self)->handle_message(*m);
  }

  void handle_connect(int rc) {
    if (rc != 0) {
      const std::string reason = mosquitto_reason_string(rc);
      notify_connection(false, "connection refused: " + reason);
      return;
    }
    {
      // Resubscribe on every CONNACK: the broker may have lost our session.
      std::lock_guard lock(mutex_);
      connected_ = true;
      for (const auto& s : subscriptions_)
        send_subscribe(s);
    }
    notify_connection(true, {});
  }

  void handle_disconnect(int rc) {
    connected_ = false;
    notify_connection(false, rc == 0 ? "disconnected" : std::string(mosquitto_strerror(rc)));
  }

  void notify_connection(bool up, std::string reason) {
    if (!on_connection_)
      return;
    dispatch_([this, up, reason = std::move(reason)] { on_connection_(up, reason); });
  }

  // Batching: the network thread appends; only the first message of a burst
  // schedules a drain on the executor, which takes the whole batch.
  void handle_message(const mosquitto_message& m) {
    if (options_.messages_received != nullptr)
      options_.messages_received->inc();
    if (!on_message_)
      return;
    bool schedule = false;
    {
      std::lock_guard lock(inbox_mutex_);
      schedule = inbox_.empty();
      inbox_.push_back(Message{
          m.topic,
          std::string(static_cast<const char*>(m.payload), static_cast<std::size_t>(m.payloadlen)),
          m.qos, m.retain});
    }
    if (schedule)
      dispatch_([this] { drain(); });
  }

  void drain() {
    std::vector<Message> batch;
    {
      std::lock_guard lock(inbox_mutex_);
      batch.swap(inbox_);
    }
    for (const auto& message : batch)
      on_message_(message);
  }

  ClientOptions options_;
  Dispatch dispatch_;
  mosquitto* mosq_ = nullptr;
  std::atomic<bool> started_{false};
  std::atomic<bool> connected_{false};
  std::thread network_;
  std::mutex unacked_mutex_;  // unacked_, on_left_: mids published and not yet acknowledged
  std::condition_variable unacked_cv_;
  std::unordered_set<int> unacked_;
  std::unordered_map<int, std::function<void()>> on_left_;  // publish_tracked's callbacks
  std::mutex wake_mutex_;                                   // stopping_, stop_deadline_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::function<void(const Message&)> on_message_;
  std::function<void(bool, const std::string&)> on_connection_;

  std::mutex mutex_;                                           // subscriptions_
  std::set<std::tuple<std::string, int, int>> subscriptions_;  // filter, QoS, option flags

  std::mutex inbox_mutex_;
  std::vector<Message> inbox_;
};

}  // namespace

std::unique_ptr<Client> make_mosquitto_client(ClientOptions options, Dispatch dispatch) {
  return std::make_unique<MosquittoClient>(std::move(options), std::move(dispatch));
}

}  // namespace stratus::mqtt
