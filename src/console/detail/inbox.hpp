#pragma once
/// @file
/// Work handed from the MQTT client's network thread to the console's owner thread, in
/// order. Thread-safe: `push` from any thread, `wait` from the owner.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>

namespace stratus::console::detail {

class Inbox {
 public:
  /// Queues `f` and wakes the owner.
  void push(std::function<void()> f) {
    {
      const std::lock_guard lock(mutex_);
      queue_.push_back(std::move(f));
    }
    ready_.notify_one();
  }
  /// Waits until work is queued or `until` passes; returns (and removes) what is queued.
  std::deque<std::function<void()>> wait(std::chrono::steady_clock::time_point until) {
    std::unique_lock lock(mutex_);
    ready_.wait_until(lock, until, [this] { return !queue_.empty(); });
    return std::exchange(queue_, {});
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
};

}  // namespace stratus::console::detail
