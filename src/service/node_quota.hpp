#pragma once
/// @file
/// Per-user node quota (issue 18 item 5, docs/adr/0015): how many nodes a user may hold as
/// primary user. The operator sets a default (`accounts.default_node_quota`, 0 = unlimited);
/// an admin may set a user's own (`stratus-admin user quota`). Claiming a new MAC and every
/// way of becoming a node's primary user (mapping request, node report, challenge-response)
/// check it; a node the user no longer holds gives its slot back, because the count is of
/// current primary relations, not of past claims.

#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// The quota that applies: the user's own when set, else `default_quota`; 0 = unlimited.
[[nodiscard]] std::int64_t effective_node_quota(const storage::NodeSlots& slots,
                                                std::int64_t default_quota) noexcept;

/// Inside a write transaction: succeeds when `user_id` already is a primary user of
/// `node_id` (no new slot), or holds fewer primary nodes than its quota. Pass an empty
/// `node_id` for "a node it does not hold yet" (claiming). Errors: forbidden
/// `admin_error::node_quota_reached` naming the quota; storage errors as they come.
Result<void> check_node_quota(storage::NodeWriter& w, std::string_view user_id,
                              std::string_view node_id, std::int64_t default_quota);

}  // namespace stratus::service
