#include "service/node_quota.hpp"

#include <string>

#include "proto/rest/error_codes.hpp"

namespace stratus::service {

std::int64_t effective_node_quota(const storage::NodeSlots& slots,
                                  std::int64_t default_quota) noexcept {
  return slots.quota ? *slots.quota : default_quota;
}

Result<void> check_node_quota(storage::NodeWriter& w, std::string_view user_id,
                              std::string_view node_id, std::int64_t default_quota) {
  if (!node_id.empty()) {
    auto users = w.users_of(node_id);
    if (!users)
      return fail(users.error());
    for (const auto& [id, role] : *users) {
      if (id == user_id && role == "primary")
        return {};
    }
  }
  auto slots = w.node_slots(user_id);
  if (!slots)
    return fail(slots.error());
  const std::int64_t quota = effective_node_quota(*slots, default_quota);
  if (quota > 0 && slots->primary_nodes >= quota) {
    return fail(errc::forbidden, proto::rest::admin_error::node_quota_reached,
                "node quota reached: this user holds " + std::to_string(slots->primary_nodes) +
                    " of " + std::to_string(quota) +
                    " nodes allowed; remove a node or ask an administrator");
  }
  return {};
}

}  // namespace stratus::service
