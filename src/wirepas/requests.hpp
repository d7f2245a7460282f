#pragma once
/// @file
/// Request/response correlation of the gateway-to-backend API (spec wirepas.md §1.1,
/// §1.4): a backend names each request with a random 64-bit `req_id`, the gateway echoes it
/// in the response header, and `req_id` 0 marks unsolicited responses. Sans-I/O: the
/// caller passes the time. Not thread-safe: one owner (the console's MQTT loop).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "wirepas/topics.hpp"

namespace stratus::wirepas {

/// Requests sent and not yet answered.
class PendingRequests {
 public:
  using Clock = std::chrono::steady_clock;

  /// One request in flight.
  struct Pending {
    std::uint64_t req_id = 0;
    Operation operation = Operation::get_configs;
    std::string gw_id;
    std::string sink_id;  ///< empty for gateway-level operations
    Clock::time_point deadline;
  };

  /// Registers a request and returns its new `req_id` (random, never 0, never one in
  /// flight). The caller puts it in the request header and publishes.
  std::uint64_t add(Operation operation, std::string gw_id, std::string sink_id,
                    Clock::time_point deadline);

  /// The request a response answers, removed from the table: same `req_id`, operation and
  /// gateway (a response on another gateway's topic with a known id is not a match; the sink
  /// is not compared: gateways answer get_gw_info with and without it). `nullopt` for
  /// `req_id` 0 (unsolicited: a configuration change, spec §1.4), for an unknown id (late,
  /// duplicate, or another backend's), or a mismatch.
  std::optional<Pending> match(const Topic& response_topic, std::uint64_t req_id);

  /// Removes and returns the requests whose deadline is at or before `now`, oldest first.
  std::vector<Pending> expire(Clock::time_point now);

  /// The earliest deadline in flight, if any (when to call `expire` next).
  [[nodiscard]] std::optional<Clock::time_point> next_deadline() const;

  /// How many requests are in flight.
  [[nodiscard]] std::size_t size() const noexcept { return pending_.size(); }

 private:
  std::unordered_map<std::uint64_t, Pending> pending_;
};

}  // namespace stratus::wirepas
