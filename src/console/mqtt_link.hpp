#pragma once
/// @file
/// The console's `Link` over MQTT: a libmosquitto client (console/settings.hpp's options)
/// whose messages wait in a queue until the owner pumps them into the handler. Reconnects
/// with backoff and re-subscribes (mqtt::Client does). `publish` is thread-safe; `pump`
/// and `wait_connected` belong to the owner thread.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "console/commands.hpp"
#include "console/settings.hpp"

namespace stratus::mqtt {
class Client;
}

namespace stratus::console {

namespace detail {
class Inbox;
}

/// See the file comment.
class MqttLink final : public Link {
 public:
  /// A message, on the owner thread.
  using Handler = std::function<void(const std::string& topic, const std::string& payload, int qos,
                                     bool retain)>;
  /// A connection change, on the owner thread.
  using ConnectionHandler = std::function<void(bool connected, const std::string& reason)>;

  /// Connects in the background and subscribes `filters` (QoS 1) on every connect.
  /// Errors: invalid_argument for unusable settings (unreadable TLS files).
  static Result<std::unique_ptr<MqttLink>> start(const MqttSettings& settings,
                                                 std::string client_id,
                                                 std::vector<std::string> filters, Handler handler,
                                                 ConnectionHandler on_connection);
  ~MqttLink() override;
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                       bool retain) override;
  void pump(Clock::time_point until, const std::function<bool()>& done) override;
  /// Pumps until connected (true) or `until` (false).
  bool wait_connected(Clock::time_point until);
  /// Waits until everything published has been acknowledged (mqtt::Client::flush); false
  /// when `until` passed first.
  bool flush(Clock::time_point until);
  /// Runs `work` on the owner thread at its next pump (thread-safe): how another thread,
  /// such as the shell's line reader, hands something over.
  void post(std::function<void()> work);

 private:
  MqttLink();
  std::unique_ptr<detail::Inbox> inbox_;
  std::unique_ptr<mqtt::Client> client_;
  Handler handler_;
  ConnectionHandler on_connection_;
  bool connected_ = false;  // as last reported on the owner thread
};

}  // namespace stratus::console
