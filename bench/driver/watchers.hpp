#pragma once
/// @file
/// Many event-stream clients at once for the `events` scenario: WebSocket connections to
/// `GET /v1/user/events` (docs/api.md "Live events"), all read on one thread of their own,
/// so that a thousand clients cost the load generator one core at most. A measuring tool:
/// connections are opened one after the other, blocking.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::bench {

/// Where and as whom the clients connect.
struct WatcherOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string access_token;
  std::size_t clients = 1000;
  /// The query string of client `i` (without '?'), e.g. `node_ids=a&types=params`.
  std::function<std::string(std::size_t i)> query;
};

/// Called on the reading thread for every message: the client's index, the text, and the
/// time it was read. Must be quick and thread-safe with respect to the caller's state.
using WatcherSink = std::function<void(std::size_t client, std::string_view text,
                                       std::chrono::steady_clock::time_point at)>;

/// The open streams. Thread-safe counters; `close` from the owner only.
class Watchers {
 public:
  /// Opens every stream (TCP, WebSocket handshake with the Authorization header) and
  /// starts reading. Errors: unavailable with the first failure (the streams opened so
  /// far are closed).
  static Result<std::unique_ptr<Watchers>> open(const WatcherOptions& options, WatcherSink sink);
  ~Watchers();
  Watchers(const Watchers&) = delete;
  Watchers& operator=(const Watchers&) = delete;

  /// Messages read so far, over all streams.
  [[nodiscard]] std::uint64_t received() const;
  /// Streams the server closed or that failed.
  [[nodiscard]] std::size_t lost() const;
  /// Closes every stream and joins the reading thread. Idempotent.
  void close();

 private:
  struct Impl;
  explicit Watchers(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::bench
