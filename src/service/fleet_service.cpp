#include "service/fleet_service.hpp"

#include <algorithm>

#include "log/log.hpp"
#include "proto/rest/error_codes.hpp"
#include "service/node_quota.hpp"

namespace stratus::service {
namespace {

namespace admin_code = proto::rest::admin_error;
using log::Channel;

std::size_t clamp_limit(std::size_t limit) {
  return std::clamp<std::size_t>(limit, 1, 100);
}

}  // namespace

FleetService::FleetService(storage::AccountRepository& accounts, storage::NodeRepository& nodes,
                           storage::AuditRepository& audit_reader, AuditLog& audit,
                           EventPublisher& events, const Clock& clock, FleetOptions options)
    : accounts_(accounts),
      nodes_(nodes),
      audit_reader_(audit_reader),
      audit_(audit),
      events_(events),
      clock_(clock),
      options_(options) {}

std::int64_t FleetService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
      .count();
}

Result<void> FleetService::require_admin(const Principal& who, std::string_view action,
                                         std::string_view object_kind, std::string_view object_id) {
  if (who.super_admin)
    return {};
  Result<void> refused = fail(errc::forbidden, proto::rest::request_error::not_authorized,
                              "you are not authorized to perform this operation");
  return audited(audit_, who, std::string(action), std::string(object_kind), std::string(object_id),
                 std::move(refused));
}

Result<storage::UserRecord> FleetService::find_user(std::string_view user) {
  if (user.empty())
    return fail(errc::invalid_argument, admin_code::user_not_found, "user is missing");
  auto by_id = accounts_.get_user(user);
  if (by_id || by_id.error().code != errc::not_found)
    return by_id;
  auto name = AccountService::normalize_user_name(user);
  if (!name)
    return fail(errc::not_found, admin_code::user_not_found,
                "no user with id or name \"" + std::string(user) + "\"");
  auto by_name = accounts_.get_user_by_name(*name);
  if (!by_name && by_name.error().code == errc::not_found)
    return fail(errc::not_found, admin_code::user_not_found,
                "no user with id or name \"" + std::string(user) + "\"");
  return by_name;
}

Result<storage::FleetNode> FleetService::find_node(std::string_view node_id) {
  if (!node_id.empty()) {
    storage::FleetNodeFilter exact;
    exact.id_prefix = std::string(node_id);
    auto rows = nodes_.list_fleet_nodes(exact, node_id, 1);
    if (!rows)
      return fail(rows.error());
    if (!rows->empty() && rows->front().node_id == node_id)
      return rows->front();
  }
  return fail(errc::not_found, admin_code::node_not_found,
              "no node \"" + std::string(node_id) + "\"");
}

Result<FleetUser> FleetService::describe(storage::UserRecord user) {
  // node_slots is a NodeWriter call (it is what the quota check reads inside a mapping
  // transaction); a short read-only transaction here keeps one definition of "slots".
  storage::NodeSlots slots;
  auto read = nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    auto s = w.node_slots(user.user_id);
    if (!s)
      return fail(s.error());
    slots = *s;
    return {};
  });
  if (!read)
    return fail(read.error());
  user.password_hash.clear();
  FleetUser out;
  out.primary_nodes = slots.primary_nodes;
  out.effective_quota = effective_node_quota(slots, options_.default_node_quota);
  out.user = std::move(user);
  return out;
}

Result<FleetNodePage> FleetService::list_nodes(const Principal& who,
                                               const storage::FleetNodeFilter& filter,
                                               std::string_view start_id, std::size_t limit) {
  if (auto r = require_admin(who, "admin.node.list", "", ""); !r)
    return fail(r.error());
  limit = clamp_limit(limit);
  Result<FleetNodePage> page = [&]() -> Result<FleetNodePage> {
    storage::FleetNodeFilter resolved = filter;
    if (!resolved.user_id.empty()) {  // a user id or a user name
      auto user = find_user(resolved.user_id);
      if (!user)
        return fail(user.error());
      resolved.user_id = user->user_id;
    }
    auto rows = nodes_.list_fleet_nodes(resolved, start_id, limit + 1);
    if (!rows)
      return fail(rows.error());
    FleetNodePage p{std::move(*rows), {}};
    if (p.nodes.size() > limit) {
      p.next_id = p.nodes.back().node_id;
      p.nodes.pop_back();
    }
    return p;
  }();
  std::string detail;
  const auto add = [&](std::string_view key, const std::string& value) {
    if (!value.empty())
      detail += std::string(detail.empty() ? "" : " ") + std::string(key) + "=" + value;
  };
  add("model", filter.model);
  add("type", filter.type);
  add("fw_version", filter.fw_version);
  add("user", filter.user_id);
  add("id_prefix", filter.id_prefix);
  if (filter.online)
    add("online", *filter.online ? "1" : "0");
  return audited(audit_, who, "admin.node.list", "", "", std::move(page), std::move(detail));
}

Result<FleetNodeDetail> FleetService::get_node(const Principal& who, std::string_view node_id) {
  if (auto r = require_admin(who, "admin.node.show", "node", node_id); !r)
    return fail(r.error());
  Result<FleetNodeDetail> detail = [&]() -> Result<FleetNodeDetail> {
    auto node = find_node(node_id);
    if (!node)
      return fail(node.error());
    FleetNodeDetail d;
    d.node = std::move(*node);
    auto users = nodes_.users_of(node_id);
    if (!users)
      return fail(users.error());
    for (auto& [user_id, role] : *users) {
      auto user = accounts_.get_user(user_id);
      d.users.push_back(FleetNodeUser{user_id, user ? user->user_name : std::string(), role});
    }
    (void)audit_.flush(options_.audit_flush_timeout);
    storage::AuditQuery q;
    q.object_id = std::string(node_id);
    q.limit = options_.node_history_rows;
    auto history = audit_reader_.list(q);
    if (!history)
      return fail(history.error());
    d.history = std::move(*history);
    return d;
  }();
  return audited(audit_, who, "admin.node.show", "node", std::string(node_id), std::move(detail));
}

Result<std::int64_t> FleetService::unmap_node(const Principal& who, std::string_view node_id) {
  if (auto r = require_admin(who, "admin.node.unmap", "node", node_id); !r)
    return fail(r.error());
  std::vector<EventDraft> events;
  std::int64_t removed_users = 0;
  Result<void> done = [&]() -> Result<void> {
    if (auto node = find_node(node_id); !node)
      return fail(node.error());
    return nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
      const auto now = now_ms();
      auto before = w.users_of(node_id);
      if (!before)
        return fail(before.error());
      auto removed = w.remove_all_users(node_id, "an administrator unmapped the node", now);
      if (!removed)
        return fail(removed.error());
      removed_users = removed->users;
      auto after = w.users_of(node_id);
      if (!after)
        return fail(after.error());
      events = access_change_events(node_id, *before, *after, now);
      return {};
    });
  }();
  if (done) {
    events_.publish(std::move(events));
    log::info(Channel::service, "admin unmapped node node_id={} users={} admin={}", node_id,
              removed_users, who.user_id);
  }
  Result<std::int64_t> result =
      done ? Result<std::int64_t>(removed_users) : Result<std::int64_t>(fail(done.error()));
  return audited(audit_, who, "admin.node.unmap", "node", std::string(node_id), std::move(result),
                 "users_removed=" + std::to_string(removed_users));
}

Result<void> FleetService::set_primary(const Principal& who, std::string_view node_id,
                                       std::string_view user) {
  if (auto r = require_admin(who, "admin.node.set_primary", "node", node_id); !r)
    return fail(r.error());
  std::vector<EventDraft> events;
  std::string new_primary;
  Result<void> done = [&]() -> Result<void> {
    if (auto node = find_node(node_id); !node)
      return fail(node.error());
    auto target = find_user(user);
    if (!target)
      return fail(target.error());
    new_primary = target->user_id;
    return nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
      const auto now = now_ms();
      auto before = w.users_of(node_id);
      if (!before)
        return fail(before.error());
      for (const auto& [user_id, role] : *before) {
        if (role != "primary" || user_id == new_primary)
          continue;
        if (auto r = w.remove_user(user_id, node_id,
                                   "an administrator reassigned the node's primary user", now);
            !r)
          return fail(r.error());
      }
      if (auto r = w.add_user(new_primary, node_id, "primary", now / 1000); !r)
        return r;
      auto after = w.users_of(node_id);
      if (!after)
        return fail(after.error());
      events = access_change_events(node_id, *before, *after, now);
      return {};
    });
  }();
  if (done)
    events_.publish(std::move(events));
  return audited(audit_, who, "admin.node.set_primary", "node", std::string(node_id),
                 std::move(done), "user_id=" + new_primary);
}

Result<FleetUserPage> FleetService::list_users(const Principal& who,
                                               std::string_view start_user_name,
                                               std::size_t limit) {
  if (auto r = require_admin(who, "admin.user.list", "", ""); !r)
    return fail(r.error());
  limit = clamp_limit(limit);
  Result<FleetUserPage> page = [&]() -> Result<FleetUserPage> {
    auto users = accounts_.list_users(start_user_name, limit + 1);
    if (!users)
      return fail(users.error());
    FleetUserPage p;
    if (users->size() > limit) {
      p.next_id = users->back().user_name;
      users->pop_back();
    }
    for (auto& u : *users) {
      auto described = describe(std::move(u));
      if (!described)
        return fail(described.error());
      p.users.push_back(std::move(*described));
    }
    return p;
  }();
  return audited(audit_, who, "admin.user.list", "", "", std::move(page));
}

Result<void> FleetService::set_user_disabled(const Principal& who, std::string_view user,
                                             bool disabled) {
  const std::string action = disabled ? "admin.user.disable" : "admin.user.enable";
  if (auto r = require_admin(who, action, "user", user); !r)
    return fail(r.error());
  std::string user_id(user);
  Result<void> done = [&]() -> Result<void> {
    auto target = find_user(user);
    if (!target)
      return fail(target.error());
    user_id = target->user_id;
    if (disabled && target->user_id == who.user_id) {
      return fail(errc::invalid_argument, admin_code::disable_self,
                  "an admin cannot disable its own account");
    }
    return with_reason(accounts_.set_disabled(target->user_id, disabled, now_ms() / 1000),
                       errc::not_found, admin_code::user_not_found);
  }();
  if (done)
    log::info(Channel::service, "user {} user_id={} admin={}", disabled ? "disabled" : "enabled",
              user_id, who.user_id);
  return audited(audit_, who, action, "user", user_id, std::move(done));
}

Result<FleetUser> FleetService::set_user_quota(const Principal& who, std::string_view user,
                                               std::optional<std::int64_t> quota) {
  if (auto r = require_admin(who, "admin.user.quota", "user", user); !r)
    return fail(r.error());
  std::string user_id(user);
  Result<FleetUser> done = [&]() -> Result<FleetUser> {
    if (quota && (*quota < 0 || *quota > kMaxNodeQuota)) {
      return fail(errc::invalid_argument, admin_code::quota_invalid,
                  "node_quota must be 0.." + std::to_string(kMaxNodeQuota) +
                      " (0 = unlimited) or null (the default)");
    }
    auto target = find_user(user);
    if (!target)
      return fail(target.error());
    user_id = target->user_id;
    if (auto r = with_reason(accounts_.set_node_quota(target->user_id, quota, now_ms() / 1000),
                             errc::not_found, admin_code::user_not_found);
        !r)
      return fail(r.error());
    auto fresh = accounts_.get_user(target->user_id);
    if (!fresh)
      return fail(fresh.error());
    return describe(std::move(*fresh));
  }();
  return audited(audit_, who, "admin.user.quota", "user", user_id, std::move(done),
                 "node_quota=" + (quota ? std::to_string(*quota) : std::string("default")));
}

Result<AuditPage> FleetService::audit_log(const Principal& who, storage::AuditQuery query) {
  if (auto r = require_admin(who, "admin.audit.list", "", ""); !r)
    return fail(r.error());
  const std::size_t limit = clamp_limit(query.limit);
  query.limit = limit + 1;
  (void)audit_.flush(options_.audit_flush_timeout);
  auto rows = audit_reader_.list(query);
  Result<AuditPage> page = [&]() -> Result<AuditPage> {
    if (!rows)
      return fail(rows.error());
    AuditPage p{std::move(*rows), {}};
    if (p.records.size() > limit) {
      p.next_id = std::to_string(p.records.back().audit_id);
      p.records.pop_back();
    }
    return p;
  }();
  std::string detail;
  if (!query.actor_id.empty())
    detail += "actor=" + query.actor_id + " ";
  if (!query.object_id.empty())
    detail += "object=" + query.object_id + " ";
  if (!query.action.empty())
    detail += "action=" + query.action;
  return audited(audit_, who, "admin.audit.list", "", "", std::move(page), std::move(detail));
}

}  // namespace stratus::service
