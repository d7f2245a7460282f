#include "service/expected_reports.hpp"

namespace stratus::service {

void ExpectedReports::expect(std::string_view node_id) {
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  forget_expired(now);
  // Renewals of one node leave one stale entry each in order_, walked off as their
  // deadlines pass; both are bounded, and a set past either bound is not expedited.
  // Every node in deadlines_ has its current deadline in order_.
  if (order_.size() >= 2 * options_.limit)
    return;
  const auto deadline = now + options_.window;
  auto it = deadlines_.find(node_id);
  if (it == deadlines_.end()) {
    if (deadlines_.size() >= options_.limit)
      return;
    it = deadlines_.emplace(std::string(node_id), deadline).first;
  } else {
    it->second = deadline;
  }
  order_.emplace_back(deadline, it->first);
  count_.store(deadlines_.size(), std::memory_order_relaxed);
}

bool ExpectedReports::take(std::string_view node_id) {
  if (count_.load(std::memory_order_relaxed) == 0)
    return false;
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  const auto it = deadlines_.find(node_id);
  if (it == deadlines_.end())
    return false;
  const bool in_time = now < it->second;
  deadlines_.erase(it);
  count_.store(deadlines_.size(), std::memory_order_relaxed);
  return in_time;
}

bool ExpectedReports::pending() {
  if (count_.load(std::memory_order_relaxed) == 0)
    return false;
  const auto now = clock_.steady_now();
  std::lock_guard lock(mutex_);
  forget_expired(now);
  return !deadlines_.empty();
}

void ExpectedReports::forget_expired(TimePoint now) {
  while (!order_.empty() && order_.front().first <= now) {
    const auto& [deadline, node_id] = order_.front();
    if (const auto it = deadlines_.find(node_id); it != deadlines_.end() && it->second == deadline)
      deadlines_.erase(it);
    order_.pop_front();
  }
  count_.store(deadlines_.size(), std::memory_order_relaxed);
}

}  // namespace stratus::service
