#pragma once
/// @file
/// A blocking MQTT client for system tests (libmosquitto directly, one thread):
/// it exposes what the tests assert on — CONNACK codes, SUBACK granted QoS,
/// PUBACKs and received messages — which the production client hides.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stratus::test {

struct TestMessage {
  std::string topic;
  std::string payload;
};

/// Settings of one test connection.
struct TestMqttOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string client_id;
  std::string username;
  std::string password;
  std::string ca_file;    ///< TLS when non-empty
  std::string cert_file;  ///< client certificate (optional)
  std::string key_file;
  int protocol_version = 4;  ///< 4 = MQTT 3.1.1 (what RainMaker firmware speaks), 5
  std::string will_topic;    ///< a Last Will (QoS 1, not retained) when not empty
  std::string will_payload;
};

/// Not thread-safe; use from the test thread only.
class TestMqttClient {
 public:
  explicit TestMqttClient(TestMqttOptions options);
  ~TestMqttClient();
  TestMqttClient(const TestMqttClient&) = delete;
  TestMqttClient& operator=(const TestMqttClient&) = delete;

  /// Connects and waits for CONNACK. Returns the CONNACK code (0 = accepted), or
  /// -1 when the connection failed before a CONNACK (TLS refused, reset, ...).
  int connect(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Subscribes at QoS 1 and returns the granted QoS (128 = refused), -1 on timeout.
  int subscribe(const std::string& filter,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Publishes at QoS 1 (retained when `retain`) and waits for the PUBACK. False on
  /// timeout/error.
  bool publish(const std::string& topic, const std::string& payload,
               std::chrono::milliseconds timeout = std::chrono::seconds(5), bool retain = false);
  /// Waits for a received message matching `pred`; removes and returns it.
  std::optional<TestMessage> wait_message(
      const std::function<bool(const TestMessage&)>& pred,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Everything received and not yet taken.
  [[nodiscard]] const std::vector<TestMessage>& received() const;
  /// True while connected (drives the network loop once).
  bool connected();
  /// Sends DISCONNECT and closes.
  void disconnect();
  /// Closes the socket without DISCONNECT (like a node losing power).
  void drop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::test
