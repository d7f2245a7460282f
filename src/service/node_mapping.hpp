#pragma once
/// @file
/// User-node mapping (spec rainmaker.md §1.3 `user/mapping`, §1.5, §4.5): a
/// user's REST request and the node's MQTT message carry the same
/// (node_id, user_id, secret_key); whichever arrives second confirms the
/// mapping and makes the user the node's primary user.

#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "service/node_events.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// The user name the firmware sends to say "forget every user" (factory reset).
inline constexpr std::string_view kResetUserId = "esp-rmaker";

/// Matching logic, used inside a storage transaction. Stateless apart from the quota;
/// thread-compatible. A user's request expires by its own `expires_at`
/// (`nodes.mapping_timeout_s`, set by NodeService); the node's report waits until a
/// request matches it, the node reports again, or another mapping of the node succeeds,
/// and matches only a request made within one mapping timeout of it.
class MappingMatcher {
 public:
  /// `default_node_quota`: `accounts.default_node_quota` (0 = unlimited); a user's own
  /// quota overrides it (service/node_quota.hpp).
  explicit MappingMatcher(std::int64_t default_node_quota = 0)
      : default_node_quota_(default_node_quota) {}

  /// The node's side. `reset:true` or user `esp-rmaker` first removes every
  /// user of the node, with their queued sets and pending command requests
  /// (`cancelled`); then a pending request with the same user and secret is
  /// confirmed (or `discarded` when its user reached its node quota meanwhile), or the
  /// report is kept for a request that comes later. Returns what the reset removed (all
  /// zero without one).
  Result<storage::AccessRemoved> on_node_report(storage::NodeWriter& w, std::string_view node_id,
                                                const MappingReported& report,
                                                std::int64_t now_at) const;

  /// The user's side: stores the request and confirms it at once when the
  /// node's report is already there. Both sides run inside serialized write
  /// transactions, so whichever commits second sees the other. Returns the
  /// request's status. Errors: forbidden `admin_error::node_quota_reached` (nothing
  /// stored) when the user is not yet the node's primary user and holds its quota.
  Result<std::string> on_user_request(storage::NodeWriter& w,
                                      const storage::MappingRequest& request,
                                      std::int64_t now_at) const;

 private:
  std::int64_t default_node_quota_;
};

}  // namespace stratus::service
