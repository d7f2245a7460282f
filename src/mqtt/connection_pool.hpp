#pragma once
/// @file
/// Many MQTT connections driven by one thread: an epoll event loop over
/// libmosquitto in non-threaded mode, for the node swarm (thousands of simulated
/// RainMaker nodes in one process). No libmosquitto type appears here.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "core/error.hpp"
#include "mqtt/client.hpp"

namespace stratus::mqtt {

/// Names one connection of a pool. Never 0; an id is not reused while its
/// connection exists (a slot's generation changes when it is freed).
using ConnectionId = std::uint32_t;

/// What a pool reports. Every handler runs on the thread that calls
/// `ConnectionPool::poll()` (or, for nested events, inside a pool method called
/// from a handler); handlers may call any pool method except `poll()`. Unset
/// handlers are skipped.
struct PoolHandlers {
  /// Connection changes: `connected = true` after each CONNACK success;
  /// `false` with a reason after each loss, each failed or refused attempt
  /// (so once per retry while the broker is down) and when a `disconnect()`
  /// completes. Not called for a connection after `remove()`.
  std::function<void(ConnectionId, bool connected, std::string_view reason)> on_connection;
  /// An application message received on a subscription. The reference is valid
  /// only during the call (its buffers are reused for the next message).
  std::function<void(ConnectionId, const Message&)> on_message;
  /// The publish with message id `mid` (as returned by `publish()`) is done:
  /// PUBACK received for QoS 1 (PUBCOMP for QoS 2); for QoS 0, written to the
  /// socket, which may happen inside `publish()` before it returns.
  std::function<void(ConnectionId, int mid)> on_published;
};

/// Pool-wide settings. Durations as std::chrono types.
struct PoolOptions {
  /// Upper bound on `add()`ed connections that exist at once (at most 2^20).
  /// Each connection holds 3 file descriptors (its socket plus a socket pair
  /// libmosquitto 2.0 keeps per client): the process's RLIMIT_NOFILE must allow
  /// that; the pool never raises limits itself. libmosquitto 2.0 also writes a
  /// wake-up byte into that pair per packet sent, which nothing reads in
  /// non-threaded mode: after ~280 packets a connection pins about
  /// net.core.wmem_default (~208 KiB) of kernel socket memory, then the writes
  /// fail harmlessly. Budget memory for it at swarm scale.
  std::size_t max_connections = 20000;
  /// Reconnect backoff per connection: the n-th consecutive failure waits
  /// min(reconnect_max, reconnect_min * 2^(n-1)), scaled by a random factor in
  /// [0.5, 1] so that nodes dropped together do not return together. A
  /// successful CONNACK resets n. `ClientOptions::reconnect_*` are ignored.
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30000};
  /// Connection attempts (TCP connect + TLS handshake + CONNECT/CONNACK) in
  /// progress at once; more are queued in FIFO order, so N nodes starting
  /// together do not stampede the broker or this thread's CPU.
  int max_connects_in_flight = 64;
  /// An attempt without CONNACK after this long is abandoned (and retried with
  /// backoff). Also bounds how long a graceful `disconnect()` may take.
  std::chrono::milliseconds connect_timeout{10000};
  /// Seed of the backoff jitter; 0 = random.
  std::uint64_t random_seed = 0;
};

/// Totals since the pool was created. Plain counts, read with `stats()`.
struct PoolStats {
  std::uint64_t connect_attempts = 0;   ///< attempts started (TCP connect issued)
  std::uint64_t connects = 0;           ///< CONNACK successes
  std::uint64_t disconnects = 0;        ///< losses of an established connection
  std::uint64_t failed_attempts = 0;    ///< attempts that ended without CONNACK success
  std::uint64_t publishes = 0;          ///< successful `publish()` calls
  std::uint64_t messages_received = 0;  ///< messages delivered to `on_message`
  std::uint64_t errors = 0;             ///< failed attempts + failed publish/subscribe calls
};

/// Many MQTT client connections on one thread, without a thread per connection.
///
/// Each connection is a libmosquitto client in non-threaded mode whose socket
/// sits in one epoll set; `poll()` waits for readiness and runs the protocol.
/// Connections reconnect by themselves (backoff with jitter) until
/// `disconnect()` or `remove()`. Subscriptions are NOT remembered: subscribe
/// again in `on_connection(id, true, ...)`.
///
/// TLS (ClientOptions::tls): the handshake runs non-blocking inside `poll()`,
/// driven by socket readiness. Not free: starting an attempt reads the CA,
/// certificate and key files, resolves `host` with getaddrinfo (use an address
/// or a name in /etc/hosts to keep it instant) and the handshake's crypto runs
/// on this thread (about a millisecond per P-256 handshake), which is why
/// attempts are capped by `max_connects_in_flight`.
///
/// Thread-safety: none. Every method and every handler must run on the thread
/// that calls `poll()`. The process must ignore SIGPIPE (libmosquitto writes
/// to sockets with write(2)); the app does that, the pool does not.
class ConnectionPool {
 public:
  /// A pool with its epoll set. Errors: invalid_argument for unusable options
  /// (max_connections 0 or over 2^20, max_connects_in_flight < 1, reconnect_min
  /// <= 0 or > reconnect_max, connect_timeout <= 0); unavailable if epoll cannot
  /// be created (the context carries the OS error).
  static Result<std::unique_ptr<ConnectionPool>> create(PoolOptions options, PoolHandlers handlers);

  /// Closes every connection at once (no DISCONNECT packets are sent, no
  /// handler runs). Must not run inside a handler.
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// Adds a connection and queues its first attempt; attempts start in `poll()`
  /// (at most `max_connects_in_flight` at once). Uses `host`, `port`,
  /// `client_id`, `username`, `password`, `tls`, `keepalive`, `clean_start`,
  /// `protocol_version` (4 = MQTT 3.1.1, 5) and the `messages_*` counters of
  /// `options`. The TLS files are read here, once: the connection keeps its TLS
  /// context for every attempt (changing the files later has no effect on it).
  /// Errors: invalid_argument for a protocol version other than 4 or 5, an empty
  /// host, port 0, a keepalive outside 5..65535 s, or a TLS file that is unreadable,
  /// malformed, or a key that does not match its certificate ("mqtt: TLS <file>:
  /// <why>"); resource_exhausted when `max_connections` exist.
  Result<ConnectionId> add(ClientOptions options);

  /// Publishes on a connected connection and returns the message id that
  /// `on_published` will report. `qos` 0..2. The topic and payload are copied
  /// (the caller's buffers may change after the call). Errors: not_found for an
  /// unknown id; unavailable when not connected (nothing is queued: keep the
  /// message and publish again after `on_connection(id, true, ...)`);
  /// invalid_argument for a bad topic, QoS or an oversized payload.
  Result<int> publish(ConnectionId id, std::string_view topic, std::string_view payload, int qos,
                      bool retain);

  /// Sends a SUBSCRIBE for `filter` at `qos` (0..2). Not remembered across
  /// reconnects. Errors: not_found, unavailable (not connected), invalid_argument.
  Result<void> subscribe(ConnectionId id, std::string_view filter, int qos);

  /// Sends DISCONNECT and closes once it is written (at the latest after
  /// `connect_timeout`); the connection then stays down (no reconnect) and
  /// `on_connection(id, false, "disconnected")` runs if it was connected. A
  /// queued or waiting attempt is cancelled. The id stays valid until
  /// `remove()`. Unknown ids are ignored.
  void disconnect(ConnectionId id);

  /// Forgets the connection: closes its socket without DISCONNECT (like a node
  /// losing power) and frees its slot; no handler runs for it afterwards.
  /// Unknown ids are ignored. Safe inside handlers (also for the id being
  /// reported: it is freed when the handler returns).
  void remove(ConnectionId id);

  /// True between a CONNACK success and the next loss or `disconnect()`.
  /// False for unknown ids.
  [[nodiscard]] bool connected(ConnectionId id) const;

  /// Connections currently connected.
  [[nodiscard]] std::size_t connected_count() const;

  /// Connections that exist (added and not removed).
  [[nodiscard]] std::size_t size() const;

  /// Totals since creation.
  [[nodiscard]] PoolStats stats() const;

  /// Runs the event loop once: fires due reconnect/timeout timers, starts
  /// queued attempts, waits up to `timeout` (less if a timer is due sooner; 0 =
  /// do not wait) for socket readiness, then reads, writes and runs keepalive
  /// for ready connections. Bounded work per call (at most 256 socket events, 64
  /// packets read per connection and event). Returns the number of socket
  /// events and timers handled. Must not be called from a handler (asserted).
  std::size_t poll(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit ConnectionPool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::mqtt
