#include "wirepas/requests.hpp"

#include <algorithm>

#include "wirepas/messages.hpp"

namespace stratus::wirepas {

std::uint64_t PendingRequests::add(Operation operation, std::string gw_id, std::string sink_id,
                                   Clock::time_point deadline) {
  std::uint64_t id = new_request_id();
  while (pending_.contains(id))
    id = new_request_id();  // 2^-64 per draw; bounded in practice
  pending_.emplace(id, Pending{id, operation, std::move(gw_id), std::move(sink_id), deadline});
  return id;
}

std::optional<PendingRequests::Pending> PendingRequests::match(const Topic& response_topic,
                                                               std::uint64_t req_id) {
  if (req_id == 0 || response_topic.direction != Direction::response)
    return std::nullopt;
  const auto it = pending_.find(req_id);
  if (it == pending_.end() || it->second.operation != response_topic.operation ||
      it->second.gw_id != response_topic.gw_id) {
    return std::nullopt;
  }
  Pending out = std::move(it->second);
  pending_.erase(it);
  return out;
}

std::vector<PendingRequests::Pending> PendingRequests::expire(Clock::time_point now) {
  std::vector<Pending> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline <= now) {
      out.push_back(std::move(it->second));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Pending& a, const Pending& b) { return a.deadline < b.deadline; });
  return out;
}

std::optional<PendingRequests::Clock::time_point> PendingRequests::next_deadline() const {
  std::optional<Clock::time_point> out;
  for (const auto& [id, p] : pending_) {
    if (!out || p.deadline < *out)
      out = p.deadline;
  }
  return out;
}

}  // namespace stratus::wirepas
