#pragma once
/// @file
/// A fluentd stand-in for system tests: accepts connections on 127.0.0.1 (a free port) and
/// decodes every forward-protocol record in Message Mode, `[tag, time, {key: value}]`
/// (MessagePack, read with msgpuck), keeping the tag and the string members.
/// Thread-safe: a thread of its own accepts and reads; `records` may be called any time.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stratus::test {

/// One record received.
struct FluentdRecord {
  std::string tag;
  std::map<std::string, std::string> fields;  ///< members whose values are strings
};

/// See the file comment.
class FluentdListener {
 public:
  FluentdListener();
  ~FluentdListener();
  FluentdListener(const FluentdListener&) = delete;
  FluentdListener& operator=(const FluentdListener&) = delete;

  [[nodiscard]] int port() const { return port_; }
  /// Every record so far, in arrival order.
  [[nodiscard]] std::vector<FluentdRecord> records() const;
  /// Waits up to `timeout` for a record that `match` accepts.
  bool wait_for(const std::function<bool(const FluentdRecord&)>& match,
                std::chrono::milliseconds timeout) const;

 private:
  void run();
  void decode(std::string& buffer);

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<FluentdRecord> records_;
};

}  // namespace stratus::test
