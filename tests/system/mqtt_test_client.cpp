#include "system/mqtt_test_client.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>

namespace stratus::test {

struct TestMqttClient::Impl {
  TestMqttOptions options;
  mosquitto* mosq = nullptr;
  int connack = -2;  // -2: none yet
  bool lost = false;
  int last_mid = -1;
  int granted = -2;
  std::vector<int> acked;
  std::vector<TestMessage> messages;

  bool loop_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end)
        return false;
      const int rc = mosquitto_loop(mosq, 20, 1);
      if (rc != MOSQ_ERR_SUCCESS) {
        lost = true;
        if (connack == -2)
          connack = -1;
        return done();
      }
    }
    return true;
  }
};

TestMqttClient::TestMqttClient(TestMqttOptions options) : impl_(std::make_unique<Impl>()) {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
  impl_->options = std::move(options);
  auto& o = impl_->options;
  impl_->mosq =
      mosquitto_new(o.client_id.empty() ? nullptr : o.client_id.c_str(), true, impl_.get());
  mosquitto_int_option(impl_->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                       o.protocol_version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  if (!o.username.empty()) {
    mosquitto_username_pw_set(impl_->mosq, o.username.c_str(),
                              o.password.empty() ? nullptr : o.password.c_str());
  }
  if (!o.ca_file.empty()) {
    mosquitto_tls_set(impl_->mosq, o.ca_file.c_str(), nullptr,
                      o.cert_file.empty() ? nullptr : o.cert_file.c_str(),
                      o.key_file.empty() ? nullptr : o.key_file.c_str(), nullptr);
  }
  if (!o.will_topic.empty()) {
    mosquitto_will_set(impl_->mosq, o.will_topic.c_str(), static_cast<int>(o.will_payload.size()),
                       o.will_payload.data(), 1, false);
  }
  mosquitto_connect_callback_set(
      impl_->mosq, [](mosquitto*, void* p, int rc) { static_cast<Impl*>(p)->connack = rc; });
  mosquitto_disconnect_callback_set(
      impl_->mosq, [](mosquitto*, void* p, int) { static_cast<Impl*>(p)->lost = true; });
  mosquitto_subscribe_callback_set(impl_->mosq,
                                   [](mosquitto*, void* p, int, int count, const int* qos) {
                                     static_cast<Impl*>(p)->granted = count > 0 ? qos[0] : -1;
                                   });
  mosquitto_publish_callback_set(impl_->mosq, [](mosquitto*, void* p, int mid) {
    static_cast<Impl*>(p)->acked.push_back(mid);
  });
  mosquitto_message_callback_set(impl_->mosq, [](mosquitto*, void* p, const mosquitto_message* m) {
    static_cast<Impl*>(p)->messages.push_back(
        {m->topic, std::string(static_cast<const char*>(m->payload),
                               static_cast<std::size_t>(m->payloadlen))});
  });
}

TestMqttClient::~TestMqttClient() {
  mosquitto_disconnect(impl_->mosq);
  mosquitto_destroy(impl_->mosq);
}

int TestMqttClient::connect(std::chrono::milliseconds timeout) {
  auto& m = *impl_;
  m.connack = -2;
  m.lost = false;
  if (mosquitto_connect(m.mosq, m.options.host.c_str(), m.options.port, 60) != MOSQ_ERR_SUCCESS) {
    return -1;
  }
  if (!m.loop_until([&] { return m.connack != -2 || m.lost; }, timeout))
    return -1;
  if (m.connack == -2)
    return -1;
  return m.connack;
}

int TestMqttClient::subscribe(const std::string& filter, std::chrono::milliseconds timeout) {
  auto& m = *impl_;
  m.granted = -2;
  if (mosquitto_subscribe(m.mosq, nullptr, filter.c_str(), 1) != MOSQ_ERR_SUCCESS)
    return -1;
  if (!m.loop_until([&] { return m.granted != -2; }, timeout))
    return -1;
  return m.granted;
}

bool TestMqttClient::publish(const std::string& topic, const std::string& payload,
                             std::chrono::milliseconds timeout, bool retain) {
  auto& m = *impl_;
  int mid = 0;
  if (mosquitto_publish(m.mosq, &mid, topic.c_str(), static_cast<int>(payload.size()),
                        payload.data(), 1, retain) != MOSQ_ERR_SUCCESS) {
    return false;
  }
  return m.loop_until(
      [&] { return std::find(m.acked.begin(), m.acked.end(), mid) != m.acked.end(); }, timeout);
}

std::optional<TestMessage> TestMqttClient::wait_message(
    const std::function<bool(const TestMessage&)>& pred, std::chrono::milliseconds timeout) {
  auto& m = *impl_;
  std::optional<TestMessage> found;
  m.loop_until(
      [&] {
        const auto it = std::find_if(m.messages.begin(), m.messages.end(), pred);
        if (it == m.messages.end())
          return false;
        found = *it;
        m.messages.erase(it);
        return true;
      },
      timeout);
  return found;
}

const std::vector<TestMessage>& TestMqttClient::received() const {
  return impl_->messages;
}

bool TestMqttClient::connected() {
  auto& m = *impl_;
  if (m.lost)
    return false;
  if (mosquitto_loop(m.mosq, 10, 1) != MOSQ_ERR_SUCCESS)
    m.lost = true;
  return !m.lost;
}

void TestMqttClient::disconnect() {
  auto& m = *impl_;
  mosquitto_disconnect(m.mosq);
  m.loop_until([&] { return m.lost; }, std::chrono::seconds(2));
}

void TestMqttClient::drop() {
  // Shutting the socket down without DISCONNECT is what a node losing power does.
  const int fd = mosquitto_socket(impl_->mosq);
  if (fd >= 0)
    ::shutdown(fd, SHUT_RDWR);
  impl_->loop_until([&] { return impl_->lost; }, std::chrono::seconds(2));
}

}  // namespace stratus::test
