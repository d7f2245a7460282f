#include "service/rate_limiter.hpp"

namespace stratus::service {

bool RateLimiter::allowed(std::string_view key) {
  std::lock_guard lock(mutex_);
  const auto it = windows_.find(std::string(key));
  if (it == windows_.end())
    return true;
  return expired(it->second, clock_.steady_now()) || it->second.count < limit_;
}

void RateLimiter::record(std::string_view key) {
  record_shared(key);
  if (observer_)
    observer_(key, false);
}

void RateLimiter::reset(std::string_view key) {
  reset_shared(key);
  if (observer_)
    observer_(key, true);
}

void RateLimiter::record_shared(std::string_view key) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.steady_now();
  auto it = windows_.find(std::string(key));
  if (it == windows_.end()) {
    if (windows_.size() >= max_keys_) {
      std::erase_if(windows_, [&](const auto& kv) { return expired(kv.second, now); });
      if (windows_.size() >= max_keys_)
        return;
    }
    it = windows_.emplace(std::string(key), Window{now, 0}).first;
  } else if (expired(it->second, now)) {
    it->second = Window{now, 0};
  }
  ++it->second.count;
}

void RateLimiter::reset_shared(std::string_view key) {
  std::lock_guard lock(mutex_);
  windows_.erase(std::string(key));
}

}  // namespace stratus::service
