#pragma once
/// @file
/// The server's view of its open connections: each one can be closed from the
/// thread calling `Server::stop`, and stop can wait for all of them to end.
/// Internal: included by server.cpp only.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/metrics.hpp"

namespace stratus::http::detail {

/// One open connection as seen from outside its coroutine. The stream pointer and
/// the busy flag belong to the connection's strand: they are only touched there,
/// so closing from another thread means posting to that strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(boost::asio::any_io_executor strand) : strand_(std::move(strand)) {}

  // --- on the strand only ---
  void attach(boost::beast::tcp_stream& stream) { stream_ = &stream; }
  void detach() { stream_ = nullptr; }
  /// Busy: a request has been read and is not yet fully answered.
  void set_busy(bool busy) { busy_ = busy; }

  // --- from any thread ---
  /// Closes the socket if the connection is waiting for its next request.
  void close_if_idle() {
    boost::asio::post(strand_, [self = shared_from_this()] {
      if (self->stream_ != nullptr && !self->busy_)
        self->stream_->close();
    });
  }
  /// Closes the socket whatever it is doing; pending operations fail.
  void close() {
    boost::asio::post(strand_, [self = shared_from_this()] {
      if (self->stream_ != nullptr)
        self->stream_->close();
    });
  }

 private:
  boost::asio::any_io_executor strand_;
  boost::beast::tcp_stream* stream_ = nullptr;
  bool busy_ = false;
};

/// All open connections. Thread-safe.
class ConnectionTable {
 public:
  explicit ConnectionTable(Gauge& open) : open_(open) {}

  /// Adds `connection`; returns the number of open connections including it.
  std::size_t add(std::shared_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    const Connection* key = connection.get();
    connections_.emplace(key, std::move(connection));
    open_.add(1);
    return connections_.size();
  }

  void remove(const Connection* connection) {
    std::lock_guard lock(mutex_);
    if (connections_.erase(connection) == 0)
      return;
    open_.add(-1);
    if (connections_.empty())
      emptied_.notify_all();
  }

  /// Calls `f` on every open connection, under the table's lock.
  void for_each(const std::function<void(Connection&)>& f) {
    std::lock_guard lock(mutex_);
    for (auto& entry : connections_)
      f(*entry.second);
  }

  /// Waits until no connection is open or `timeout` passes; true if none is open.
  bool wait_empty(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return emptied_.wait_for(lock, timeout, [this] { return connections_.empty(); });
  }

 private:
  Gauge& open_;
  std::mutex mutex_;
  std::condition_variable emptied_;
  std::unordered_map<const Connection*, std::shared_ptr<Connection>> connections_;
};

/// Membership of one connection in the table, for exactly as long as this object
/// lives. Passed by value into the connection's coroutine so that the entry goes
/// away even if the coroutine never runs (io_context destroyed first).
class Registration {
 public:
  Registration(ConnectionTable& table, std::shared_ptr<Connection> connection)
      : table_(&table), connection_(std::move(connection)), open_count_(table.add(connection_)) {}
  ~Registration() {
    if (table_ != nullptr)
      table_->remove(connection_.get());
  }
  Registration(Registration&& other) noexcept
      : table_(std::exchange(other.table_, nullptr)),
        connection_(std::move(other.connection_)),
        open_count_(other.open_count_) {}
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  Registration& operator=(Registration&&) = delete;

  [[nodiscard]] Connection& connection() const { return *connection_; }
  /// Open connections right after this one was added.
  [[nodiscard]] std::size_t open_count() const { return open_count_; }

 private:
  ConnectionTable* table_;
  std::shared_ptr<Connection> connection_;
  std::size_t open_count_;
};

}  // namespace stratus::http::detail
