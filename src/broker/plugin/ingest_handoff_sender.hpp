#pragma once
/// @file
/// The broker plugin's end of the ingest handoff (docs/adr/0025, wire format
/// proto/ingest_handoff.hpp): node messages are appended to one buffer as they arrive
/// and written to stratusd's Unix socket once per pass of mosquitto's event loop, so one
/// `send` carries every message of the pass instead of one MQTT PUBLISH each. What was
/// sent stays in the buffer until stratusd acknowledges it as committed, and is sent again
/// after a reconnect.
///
/// Plain POSIX, no mosquitto API (logging goes through a callback), so the unit tests run
/// it against the real receiver. Not thread-safe: mosquitto calls the plugin from its one
/// thread.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace stratus::broker {

/// Settings of an IngestHandoffSender.
struct IngestHandoffOptions {
  std::string socket_path;    ///< stratusd's listening Unix socket
  std::string secret;         ///< the backend secret, sent in the `hello`
  std::uint64_t session = 0;  ///< this plugin's session id (random, not 0)
  /// Largest buffer of unacknowledged messages, in bytes; messages arriving beyond it are
  /// dropped and counted (as mosquitto drops beyond `max_queued_messages`).
  std::size_t max_pending_bytes = std::size_t{64} << 20;
  /// Pending unsent bytes that make `enqueue` write at once instead of at the next pump.
  std::size_t write_threshold_bytes = std::size_t{256} << 10;
  std::chrono::milliseconds reconnect_interval{250};
  /// Receives connection changes and drops: (true = warning, text).
  std::function<void(bool warning, const std::string&)> log;
};

/// See the file comment.
class IngestHandoffSender {
 public:
  explicit IngestHandoffSender(IngestHandoffOptions options);
  ~IngestHandoffSender();
  IngestHandoffSender(const IngestHandoffSender&) = delete;
  IngestHandoffSender& operator=(const IngestHandoffSender&) = delete;

  /// Appends one message (never blocks; writes at once when the unsent bytes pass the
  /// write threshold). Returns false when it was dropped: the buffer is full, or the
  /// topic does not fit a frame.
  bool enqueue(std::string_view topic, std::string_view payload);

  /// Connects when not connected (at most every reconnect interval), reads acks and writes
  /// what is unsent. Never blocks. Call once per event-loop pass.
  void pump(std::chrono::steady_clock::time_point now);

  /// Whether a connection is open (the hello may not be acknowledged yet).
  [[nodiscard]] bool connected() const noexcept { return fd_ >= 0; }
  /// Bytes sent or queued and not yet acknowledged.
  [[nodiscard]] std::size_t unacknowledged_bytes() const noexcept { return buf_.size() - head_; }
  /// Messages dropped since start.
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  /// The sequence of the next message to enqueue.
  [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_seq_; }

 private:
  void try_connect(std::chrono::steady_clock::time_point now);
  void close_connection(const std::string& why);
  bool read_acks();
  void acknowledge(std::uint64_t sequence);
  // Drops the frames up to `acked_through_` that were sent whole on this connection.
  void drop_acknowledged();
  void write_pending();
  ssize_t send_some(const char* data, std::size_t size);
  void compact();
  void log(bool warning, const std::string& text) const;

  IngestHandoffOptions options_;
  int fd_ = -1;
  std::chrono::steady_clock::time_point next_attempt_{};
  // [head_, sent_) sent and not acknowledged; [sent_, size) not sent yet. head_ ≤ sent_:
  // a frame leaves only once sent whole, even when stratusd acknowledges it earlier (it
  // took the message on an earlier connection, and this one is resending it).
  std::string buf_;
  std::size_t head_ = 0;
  std::size_t sent_ = 0;
  std::uint64_t head_seq_ = 1;  // sequence of the frame at head_
  std::uint64_t next_seq_ = 1;
  std::uint64_t acked_through_ = 0;  // the highest sequence stratusd acknowledged
  std::string hello_;                // unsent part of the hello of the current connection
  std::string in_;                   // bytes read from stratusd, not yet a whole frame
  std::uint64_t dropped_ = 0;
  std::chrono::steady_clock::time_point last_drop_log_{};
  bool refused_logged_ = false;
};

}  // namespace stratus::broker
