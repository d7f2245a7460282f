#pragma once
/// @file
/// An `mqtt::Client` for tests that records subscriptions, publications and the message
/// handler (call `handler` to deliver; call a tracked publication's `on_left` to
/// acknowledge it); `up` decides whether a publish works. Not thread-safe: one test
/// thread.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/client.hpp"

namespace stratus::test {

/// Records what a component subscribes and publishes (see the file comment).
class RecordingClient final : public mqtt::Client {
 public:
  void on_message(std::function<void(const mqtt::Message&)> h) override { handler = std::move(h); }
  void on_connection(std::function<void(bool, const std::string&)>) override {}
  using mqtt::Client::subscribe;
  void subscribe(std::string filter, int, mqtt::SubscribeOptions options) override {
    filters.push_back(std::move(filter));
    subscribe_options.push_back(options);
  }
  Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                       bool retain) override {
    if (!up)
      return fail(errc::unavailable, "not connected");
    sent.push_back({std::string(topic), std::string(payload), qos, retain, {}});
    return {};
  }
  Result<void> publish_tracked(std::string_view topic, std::string_view payload, int qos,
                               std::function<void()> on_left) override {
    if (!up)
      return fail(errc::unavailable, "not connected");
    sent.push_back({std::string(topic), std::string(payload), qos, false, std::move(on_left)});
    return {};
  }
  bool flush(std::chrono::steady_clock::time_point) override { return true; }
  [[nodiscard]] bool connected() const override { return up; }
  Result<void> start() override { return {}; }
  void stop() override {}

  struct Sent {
    std::string topic;
    std::string payload;
    int qos;
    bool retain;
    std::function<void()> on_left;  ///< `publish_tracked`'s: call it to acknowledge
  };
  std::vector<std::string> filters;
  std::vector<mqtt::SubscribeOptions> subscribe_options;  ///< one per `filters` entry
  std::vector<Sent> sent;
  bool up = true;
  std::function<void(const mqtt::Message&)> handler;  ///< the last `on_message`, to deliver
};

}  // namespace stratus::test
