#pragma once
/// @file
/// Fleet administration (issue 18 item 5, docs/adr/0015; `/v1/admin/…`, `stratus-admin node …`,
/// `stratus-admin user …`, `stratus-admin audit`): super-admins list and search nodes, look
/// at one node with its users and history, unmap a node from every user, reassign its
/// primary user, list users, disable and enable them, set their node quotas, and read the
/// audit log.
///
/// Every call, read or write, allowed or refused, leaves an audit entry (`admin.*`): an
/// admin's look at the fleet is itself on the record.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/account_service.hpp"
#include "service/audit.hpp"
#include "service/events.hpp"
#include "storage/account_repository.hpp"
#include "storage/audit_repository.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// Tunables (from config).
struct FleetOptions {
  /// `accounts.default_node_quota`: shown as a user's effective quota when it has none.
  std::int64_t default_node_quota = 0;
  /// How long an audit read waits for entries still queued (read-your-writes).
  std::chrono::milliseconds audit_flush_timeout{2000};
  /// History rows `get_node` returns (newest first).
  std::size_t node_history_rows = 50;
};

/// A page of nodes; `next_id` starts the next page (empty on the last).
struct FleetNodePage {
  std::vector<storage::FleetNode> nodes;
  std::string next_id;
};

/// One user of a node.
struct FleetNodeUser {
  std::string user_id;
  std::string user_name;
  std::string role;  ///< "primary" | "secondary"
};

/// One node with its users and its audit history (newest first).
struct FleetNodeDetail {
  storage::FleetNode node;
  std::vector<FleetNodeUser> users;
  std::vector<storage::AuditRecord> history;
};

/// A user as the fleet listing shows it.
struct FleetUser {
  storage::UserRecord user;          ///< password hash cleared
  std::int64_t primary_nodes = 0;    ///< nodes it holds as primary user (its used slots)
  std::int64_t effective_quota = 0;  ///< its own quota, else the default; 0 = unlimited
};

/// A page of users, by user name; `next_id` is the user name that starts the next page.
struct FleetUserPage {
  std::vector<FleetUser> users;
  std::string next_id;
};

/// A page of audit rows, newest first; `next_id` is the audit id that starts the next page.
struct AuditPage {
  std::vector<storage::AuditRecord> records;
  std::string next_id;
};

/// Largest node quota an admin may set.
inline constexpr std::int64_t kMaxNodeQuota = 1'000'000;

/// Thread-safe (no mutable state); every call blocks (database): call it from the blocking
/// pool. Every call requires a super-admin: others get forbidden
/// `request_error::not_authorized` (and an audit entry saying so). Users are named by user id
/// or user name (`user`); unknown ones give not_found `admin_error::user_not_found`, unknown
/// nodes not_found `admin_error::node_not_found`. Storage failures come back as they are.
class FleetService {
 public:
  /// Keeps references: all but `options` must outlive it. `audit_reader` reads back what
  /// `audit` wrote (the same table); `audit.flush` runs before each read.
  FleetService(storage::AccountRepository& accounts, storage::NodeRepository& nodes,
               storage::AuditRepository& audit_reader, AuditLog& audit, EventPublisher& events,
               const Clock& clock, FleetOptions options);

  /// `GET /v1/admin/nodes`: nodes matching `filter` by node id from `start_id`, `limit`
  /// 1–100 (clamped). `filter.user_id` may also be a user name.
  Result<FleetNodePage> list_nodes(const Principal& who, const storage::FleetNodeFilter& filter,
                                   std::string_view start_id, std::size_t limit);
  /// `GET /v1/admin/nodes?node_id=`: the node, its users, its last audit rows.
  Result<FleetNodeDetail> get_node(const Principal& who, std::string_view node_id);
  /// `DELETE /v1/admin/nodes/mapping?node_id=`: every user of the node goes, with their
  /// queued sets and pending command requests (cancelled) — as a factory reset would. The
  /// users' slots come back. Returns how many users went. Mapping events are published.
  Result<std::int64_t> unmap_node(const Principal& who, std::string_view node_id);
  /// `PUT /v1/admin/nodes/primary {node_id, user}`: `user` becomes the node's only primary
  /// user (the previous primary users lose it, as by `remove_user`; secondaries stay). The
  /// node quota is not applied: the admin decides. Mapping events are published.
  Result<void> set_primary(const Principal& who, std::string_view node_id, std::string_view user);

  /// `GET /v1/admin/users` (extended): users by user name from `start_user_name`.
  Result<FleetUserPage> list_users(const Principal& who, std::string_view start_user_name,
                                   std::size_t limit);
  /// `PUT /v1/admin/users/status {user, disabled}`: a disabled user's sessions are revoked at
  /// once, its login and refresh refused (`admin_error::user_disabled`), its access tokens
  /// refused at next use. Errors: invalid_argument `admin_error::disable_self`.
  Result<void> set_user_disabled(const Principal& who, std::string_view user, bool disabled);
  /// `PUT /v1/admin/users/quota {user, node_quota}`: nullopt = back to the default; 0 =
  /// unlimited. Errors: invalid_argument `admin_error::quota_invalid` outside 0–kMaxNodeQuota.
  /// Nodes already held above a lowered quota stay; new ones are refused.
  Result<FleetUser> set_user_quota(const Principal& who, std::string_view user,
                                   std::optional<std::int64_t> quota);

  /// `GET /v1/admin/audit`: rows matching `query` (limit 1–100, clamped), newest first.
  Result<AuditPage> audit_log(const Principal& who, storage::AuditQuery query);

 private:
  Result<void> require_admin(const Principal& who, std::string_view action,
                             std::string_view object_kind, std::string_view object_id);
  Result<storage::UserRecord> find_user(std::string_view user);
  Result<storage::FleetNode> find_node(std::string_view node_id);
  Result<FleetUser> describe(storage::UserRecord user);
  std::int64_t now_ms() const;

  storage::AccountRepository& accounts_;
  storage::NodeRepository& nodes_;
  storage::AuditRepository& audit_reader_;
  AuditLog& audit_;
  EventPublisher& events_;
  const Clock& clock_;
  FleetOptions options_;
};

}  // namespace stratus::service
