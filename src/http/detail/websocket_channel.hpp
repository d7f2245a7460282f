#pragma once
/// @file
/// The `WebSocket` a route's app holds: a bounded queue of outgoing text messages that
/// any thread may fill, drained by the connection's writer coroutine on its strand.
/// Internal: included by session.hpp only.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "http/websocket.hpp"

namespace stratus::http::detail {

/// Thread-safety: `send`, `close` from any thread; everything else on the strand.
class WebSocketChannel final : public WebSocket,
                               public std::enable_shared_from_this<WebSocketChannel> {
 public:
  /// The close request the writer carries out.
  struct CloseRequest {
    std::uint16_t code = 1000;
    std::string reason;
  };

  /// `strand` is the connection's; `limit` ≥ 1 queued messages; a write still stuck
  /// `write_grace` after an overflow ends the connection through `kill`.
  WebSocketChannel(boost::asio::any_io_executor strand, std::size_t limit,
                   std::chrono::milliseconds write_grace, std::function<void()> kill)
      : strand_(std::move(strand)),
        wake_(strand_),
        kill_timer_(strand_),
        limit_(limit),
        write_grace_(write_grace),
        kill_(std::move(kill)) {}

  bool send(std::string text) override {
    bool accepted = false;
    {
      std::lock_guard lock(mutex_);
      if (close_)
        return false;
      if (queue_.size() >= limit_) {
        queue_.clear();
        discarding_ = true;
        close_ = CloseRequest{4008, "send queue full: the client reads too slowly"};
      } else {
        queue_.push_back(std::move(text));
        accepted = true;
      }
    }
    poke();
    return accepted;
  }

  void close(std::uint16_t code, std::string reason) override {
    end(code, std::move(reason), false);
  }

  void abort(std::uint16_t code, std::string reason) override {
    end(code, std::move(reason), true);
  }

  // --- the writer's side (on the strand) -------------------------------------------

  /// Moves what is queued into `out`; returns the close request once the queue is empty.
  std::optional<CloseRequest> take(std::deque<std::string>& out) {
    std::lock_guard lock(mutex_);
    out.swap(queue_);
    queue_.clear();
    return close_;
  }
  /// Whether the queue overflowed or the socket was aborted: the writer stops sending
  /// what it holds.
  bool discarding() {
    std::lock_guard lock(mutex_);
    return discarding_;
  }
  /// Whether there is something to do (checked on the strand right before waiting, so a
  /// `poke` posted afterwards always finds the writer waiting).
  bool has_work() {
    std::lock_guard lock(mutex_);
    return !queue_.empty() || close_.has_value() || reader_done_;
  }
  void set_writing(bool writing) { writing_ = writing; }
  boost::asio::steady_timer& wake_timer() { return wake_; }

  // --- the reader's side and the end (on the strand) -------------------------------

  /// The reader ended (peer closed, error): the writer stops too.
  void reader_finished() {
    {
      std::lock_guard lock(mutex_);
      reader_done_ = true;
    }
    wake_.cancel();
  }
  bool reader_done() {
    std::lock_guard lock(mutex_);
    return reader_done_;
  }
  /// The connection has ended: later sends and closes do nothing, `kill` is dropped.
  void finish() {
    {
      std::lock_guard lock(mutex_);
      if (!close_)
        close_ = CloseRequest{1000, "closed"};
      queue_.clear();
    }
    finished_ = true;
    kill_ = nullptr;
    kill_timer_.cancel();
  }

 private:
  void end(std::uint16_t code, std::string reason, bool discard) {
    {
      std::lock_guard lock(mutex_);
      if (discard) {  // even after a close: what it would still have sent is dropped
        queue_.clear();
        discarding_ = true;
      }
      if (!close_) {
        if (reason.size() > 123)
          reason.resize(123);  // RFC 6455 §5.5: a control frame's payload is ≤ 125 bytes
        close_ = CloseRequest{code, std::move(reason)};
      }
    }
    poke();
  }

  // Wakes the writer on the strand; after an overflow or an abort, arms the deadline for
  // a write that a client which stopped reading never lets finish.
  void poke() {
    boost::asio::post(strand_, [self = shared_from_this()] {
      self->wake_.cancel();
      if (self->finished_ || !self->writing_ || self->kill_armed_ || !self->discarding())
        return;
      self->kill_armed_ = true;
      self->kill_timer_.expires_after(self->write_grace_);
      self->kill_timer_.async_wait([self](const boost::system::error_code& ec) {
        if (!ec && !self->finished_ && self->writing_ && self->kill_)
          self->kill_();
      });
    });
  }

  boost::asio::any_io_executor strand_;
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer kill_timer_;
  const std::size_t limit_;
  const std::chrono::milliseconds write_grace_;
  std::function<void()> kill_;  // strand only

  std::mutex mutex_;
  std::deque<std::string> queue_;
  std::optional<CloseRequest> close_;
  bool discarding_ = false;
  bool reader_done_ = false;

  // Strand only.
  bool writing_ = false;
  bool finished_ = false;
  bool kill_armed_ = false;
};

}  // namespace stratus::http::detail
