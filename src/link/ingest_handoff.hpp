#pragma once
/// @file
/// stratusd's end of the ingest handoff (docs/adr/0025; wire format
/// proto/ingest_handoff.hpp): the embedded broker's plugin passes node messages in
/// batches over a Unix stream socket, and they go to `NodeLink::on_message` exactly as
/// messages from the backend MQTT connection would. What the link handed to the ingest
/// queue is acknowledged to the plugin once the writer has processed it, so the plugin
/// keeps, and after a reconnect sends again, everything not yet committed.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "link/node_link.hpp"
#include "service/node_ingest.hpp"

namespace stratus::link {

/// Settings of an IngestHandoffReceiver.
struct IngestHandoffReceiverOptions {
  /// Where to listen (`<data_dir>/broker/ingest.sock`); a stale file there is replaced.
  /// Created with mode 0600. At most 107 bytes (the `sun_path` limit).
  std::filesystem::path socket_path;
  /// The backend secret the plugin must present in its `hello`.
  std::string secret;
  /// How often acknowledgements are checked while some are due.
  std::chrono::milliseconds ack_poll{2};
};

/// Listens on a Unix socket for the broker plugin (one connection at a time: a new one
/// replaces the old) and feeds its messages to `link`. One thread of its own; the link
/// and the ingest queue are thread-safe. A connection that does not begin with a `hello`
/// carrying the secret, or that breaks the framing, is closed; nothing of it reaches the
/// link. Messages of the session already seen (resent after a reconnect) are skipped.
/// It hands on no more than the ingest queue has room for and stops reading meanwhile, so
/// a full queue leaves messages in the plugin's buffer instead of dropping them.
///
/// Metrics: `stratus_handoff_messages_total` (handed to the link),
/// `stratus_handoff_duplicates_total` (skipped), `stratus_handoff_connections_total`,
/// `stratus_handoff_refused_total` (bad hello or framing), `stratus_handoff_connected`.
class IngestHandoffReceiver {
 public:
  /// `link`, `ingest` and `metrics` must outlive the receiver.
  IngestHandoffReceiver(IngestHandoffReceiverOptions options, NodeLink& link,
                        service::NodeIngest& ingest, MetricsRegistry& metrics);
  ~IngestHandoffReceiver();
  IngestHandoffReceiver(const IngestHandoffReceiver&) = delete;
  IngestHandoffReceiver& operator=(const IngestHandoffReceiver&) = delete;

  /// Binds and listens, then starts the thread. Errors: `unavailable` when the socket
  /// cannot be created, bound (path too long, directory missing) or listened on.
  Result<void> start();
  /// Stops the thread, closes the sockets and removes the socket file. Messages already
  /// handed to the link stay queued for the writer; what was not acknowledged the plugin
  /// sends again to the next stratusd. Idempotent.
  void stop();

  /// Whether a plugin connection that passed its `hello` is open. Thread-safe.
  [[nodiscard]] bool connected() const noexcept { return connected_.load(); }

 private:
  void run();
  void accept_connection();
  bool read_connection();
  bool handle_frames();
  void send_acks();
  void close_connection(const char* why);
  void refuse(const char* why);  // counts, then closes

  IngestHandoffReceiverOptions options_;
  NodeLink& link_;
  service::NodeIngest& ingest_;
  Counter& messages_;
  Counter& duplicates_;
  Counter& connections_;
  Counter& refused_;
  Gauge& connected_gauge_;

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop()
  int conn_fd_ = -1;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // Connection state (thread only).
  bool authenticated_ = false;
  std::string in_;  // bytes read, not yet whole frames
  std::vector<char> read_buffer_;
  std::string closed_why_;      // why read_connection found the connection closed
  std::uint64_t session_ = 0;   // the plugin session seen last (survives reconnects)
  std::uint64_t last_seq_ = 0;  // highest message sequence of `session_` handed on
  // (ingest mark, sequence): the sequence may be acknowledged once the mark is processed.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> due_;
  std::uint64_t ack_unsent_ = 0;  // an ack the socket had no room for (0: none)
  bool held_ = false;             // whole frames wait in `in_` for room in the ingest queue
  mqtt::Message message_;         // reused for every message: no allocation in steady state
};

}  // namespace stratus::link
