#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <atomic>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "log/log.hpp"
#include "mqtt/client.hpp"
#include "mqtt/detail/mosquitto_common.hpp"

namespace stratus::mqtt {
namespace {

using detail::lib_init_once;
using detail::to_error;
using log::Channel;

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

  void subscribe(std::string filter, int qos) override {
    std::lock_guard lock(mutex_);
    const auto [it, inserted] = subscriptions_.emplace(std::move(filter), qos);
    if (inserted && connected_)
      send_subscribe(it->first, qos);
  }

  Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                       bool retain) override {
    if (!connected_)
      return fail(errc::unavailable, "mqtt: not connected to the broker");
    const std::string t(topic);
    const int rc = mosquitto_publish_v5(mosq_, nullptr, t.c_str(), static_cast<int>(payload.size()),
                                        payload.data(), qos, retain, nullptr);
    if (rc != MOSQ_ERR_SUCCESS)
      return fail(to_error(rc, "publish " + t));
    if (options_.messages_sent != nullptr)
      options_.messages_sent->inc();
    return {};
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
    }
    const auto min_s = std::max<long long>(1, options_.reconnect_min.count() / 1000);
    const auto max_s = std::max<long long>(min_s, options_.reconnect_max.count() / 1000);
    mosquitto_reconnect_delay_set(mosq_, static_cast<unsigned>(min_s), static_cast<unsigned>(max_s),
                                  true);
    mosquitto_connect_v5_callback_set(mosq_, &MosquittoClient::on_connect_cb);
    mosquitto_disconnect_v5_callback_set(mosq_, &MosquittoClient::on_disconnect_cb);
    mosquitto_message_v5_callback_set(mosq_, &MosquittoClient::on_message_cb);

    // connect_async never blocks on the network; the loop thread retries.
    const int rc =
        mosquitto_connect_bind_async(mosq_, options_.host.c_str(), options_.port,
                                     static_cast<int>(options_.keepalive.count()), nullptr);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO) {
      return fail(to_error(rc, "connect " + options_.host));
    }
    const int loop = mosquitto_loop_start(mosq_);
    if (loop != MOSQ_ERR_SUCCESS)
      return fail(to_error(loop, "network thread"));
    started_ = true;
    return {};
  }

  void stop() override {
    if (!started_.exchange(false))
      return;
    mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
    mosquitto_loop_stop(mosq_, true);
    connected_ = false;
  }

 private:
  // Called with mutex_ held.
  void send_subscribe(const std::string& filter, int qos) {
    const int rc = mosquitto_subscribe_v5(mosq_, nullptr, filter.c_str(), qos, 0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      log::warn(Channel::mqtt, "subscribe filter={} failed: {}", filter, mosquitto_strerror(rc));
    }
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
      for (const auto& [filter, qos] : subscriptions_)
        send_subscribe(filter, qos);
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
  std::function<void(const Message&)> on_message_;
  std::function<void(bool, const std::string&)> on_connection_;

  std::mutex mutex_;  // subscriptions_
  std::set<std::pair<std::string, int>> subscriptions_;

  std::mutex inbox_mutex_;
  std::vector<Message> inbox_;
};

}  // namespace

std::unique_ptr<Client> make_mosquitto_client(ClientOptions options, Dispatch dispatch) {
  return std::make_unique<MosquittoClient>(std::move(options), std::move(dispatch));
}

}  // namespace stratus::mqtt
