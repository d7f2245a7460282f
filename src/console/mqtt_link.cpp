#include "console/mqtt_link.hpp"

#include "console/detail/inbox.hpp"
#include "mqtt/client.hpp"

namespace stratus::console {

MqttLink::MqttLink() : inbox_(std::make_unique<detail::Inbox>()) {}

MqttLink::~MqttLink() {
  if (client_)
    client_->stop();
}

Result<std::unique_ptr<MqttLink>> MqttLink::start(const MqttSettings& settings,
                                                  std::string client_id,
                                                  std::vector<std::string> filters, Handler handler,
                                                  ConnectionHandler on_connection) {
  if (auto ok = validate(settings); !ok)
    return fail(ok.error());
  std::unique_ptr<MqttLink> link(new MqttLink());
  link->handler_ = std::move(handler);
  link->on_connection_ = std::move(on_connection);
  auto* inbox = link->inbox_.get();
  link->client_ = mqtt::make_mosquitto_client(
      client_options(settings, std::move(client_id), std::chrono::seconds(60)),
      [inbox](std::function<void()> f) { inbox->push(std::move(f)); });
  auto* self = link.get();
  link->client_->on_message(
      [self](const mqtt::Message& m) { self->handler_(m.topic, m.payload, m.qos, m.retain); });
  link->client_->on_connection([self](bool connected, const std::string& reason) {
    self->connected_ = connected;
    if (self->on_connection_)
      self->on_connection_(connected, reason);
  });
  for (auto& f : filters)
    link->client_->subscribe(std::move(f), 1);
  if (auto ok = link->client_->start(); !ok)
    return fail(ok.error());
  return link;
}

Result<void> MqttLink::publish(std::string_view topic, std::string_view payload, int qos,
                               bool retain) {
  return client_->publish(topic, payload, qos, retain);
}

void MqttLink::pump(Clock::time_point until, const std::function<bool()>& done) {
  // What is queued runs even when `until` has passed: pump(now, never) drains the queue.
  while (!done()) {
    const auto now = Clock::now();
    for (auto& f : inbox_->wait(std::min(until, now + std::chrono::milliseconds(100))))
      f();
    if (Clock::now() >= until)
      return;
  }
}

void MqttLink::post(std::function<void()> work) {
  inbox_->push(std::move(work));
}

bool MqttLink::flush(Clock::time_point until) {
  return client_->flush(until);
}

bool MqttLink::wait_connected(Clock::time_point until) {
  pump(until, [this] { return connected_; });
  return connected_;
}

}  // namespace stratus::console
