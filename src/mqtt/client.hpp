#pragma once
/// @file
/// The MQTT client interface used by stratusd's backend side (and later by the
/// node agent), plus its libmosquitto implementation. No libmosquitto type
/// appears here.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/metrics.hpp"

namespace stratus::mqtt {

/// One application message.
struct Message {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
};

/// TLS settings; empty paths are left out (no client certificate, system CAs).
struct TlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  /// Accept a server certificate that chains to the CA but names another host (the Wirepas
  /// console's `mqtt_allow_untrusted`). Never set by stratusd.
  bool skip_hostname_check = false;
};

/// Connection settings. Durations as std::chrono types.
struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::string client_id;
  std::string username;  ///< empty = none
  std::string password;  ///< empty = none
  std::optional<TlsOptions> tls;
  std::chrono::seconds keepalive{30};
  bool clean_start = true;
  int protocol_version = 5;  ///< 5 (default) or 4 (= MQTT 3.1.1)
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{10000};
  Counter* messages_received = nullptr;  ///< incremented per message received, if set
  Counter* messages_sent = nullptr;      ///< incremented per successful publish, if set
  /// The last will: the broker publishes it when the connection ends without a
  /// DISCONNECT (a crash, a lost network). Set on every connect. QoS 0..2.
  std::optional<Message> will;
};

/// Subscription options beyond the QoS (MQTT 5, §3.8.3.1 "Subscription Options").
struct SubscribeOptions {
  /// No Local: the broker does not send this connection the messages it published itself.
  /// MQTT 5 only; ignored on an MQTT 3.1.1 connection (`protocol_version` 4).
  bool no_local = false;
};

/// Runs a callback on the owner's executor (e.g. `asio::post(strand, f)`).
/// Client callbacks never run on the network library's own thread.
using Dispatch = std::function<void(std::function<void()>)>;

/// An MQTT client that stays connected: it reconnects with exponential backoff
/// and re-sends every subscription on every (re)connect.
///
/// Thread-safety: all methods may be called from any thread. Callbacks are
/// delivered through the `Dispatch` given at construction, in order; set them
/// before `start()`.
class Client {
 public:
  virtual ~Client() = default;

  /// Messages that arrive, in arrival order.
  virtual void on_message(std::function<void(const Message&)> handler) = 0;
  /// Connection changes: `true` after each CONNACK success, `false` with a
  /// reason on each loss or refused attempt.
  virtual void on_connection(std::function<void(bool connected, const std::string& reason)>) = 0;

  /// Adds a subscription: sent now when connected, and again on every reconnect.
  virtual void subscribe(std::string filter, int qos, SubscribeOptions options) = 0;
  /// `subscribe` with the default options.
  void subscribe(std::string filter, int qos) { subscribe(std::move(filter), qos, {}); }

  /// Publishes. Errors: errc::unavailable when not connected (nothing is queued
  /// then; callers that must not lose a message keep it until connected),
  /// errc::invalid_argument for a bad topic or oversized payload.
  virtual Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                               bool retain) = 0;

  /// Publishes like `publish` (same errors; nothing is called then) and, once the message
  /// has left (PUBACK/PUBCOMP for QoS 1/2, written to the socket for QoS 0), calls
  /// `on_left` through `Dispatch`. A QoS 1/2 message caught by a connection loss is sent
  /// again after the reconnect and `on_left` runs when that one is acknowledged; it never
  /// runs when the client stops first. For a sender that paces itself by the broker's
  /// acknowledgements (the cluster relay, docs/adr/0029).
  virtual Result<void> publish_tracked(std::string_view topic, std::string_view payload, int qos,
                                       std::function<void()> on_left) = 0;

  /// Waits until every message published so far has left: QoS 1 and 2 ones acknowledged
  /// by the broker, QoS 0 ones written to the socket (libmosquitto's publish callback).
  /// Returns false when `deadline` passed first. For a one-shot publisher that must not
  /// disconnect with messages still in flight (`stratus-console replay --to-broker`).
  virtual bool flush(std::chrono::steady_clock::time_point deadline) = 0;

  /// True between a successful CONNACK and the next connection loss.
  [[nodiscard]] virtual bool connected() const = 0;

  /// Starts connecting in the background. Errors: errc::invalid_argument for
  /// unusable options (unreadable TLS files, ...). A broker that is down is not
  /// an error: the client keeps retrying.
  virtual Result<void> start() = 0;

  /// Disconnects and stops the network thread. Idempotent. No callback runs
  /// after it returns... except ones already handed to `Dispatch`.
  virtual void stop() = 0;
};

/// The libmosquitto implementation. One network thread per client; incoming
/// messages are handed to `dispatch` in batches (one dispatch per burst, not per
/// message), so a busy subscription costs one executor hop per burst.
std::unique_ptr<Client> make_mosquitto_client(ClientOptions options, Dispatch dispatch);

}  // namespace stratus::mqtt
