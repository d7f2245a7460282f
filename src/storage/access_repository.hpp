#pragma once
/// @file
/// Storage port for who may use what (docs/adr/0009): users' direct relations to nodes,
/// node groups with their nodes and users, and sharing requests for nodes and groups.
///
/// A user's access to a node is either direct (a row of its own: the mapping user, or
/// someone a node was shared with) or derived from a group: every user of a group has
/// secondary access to each node of the group of which some primary user of the group
/// is a primary user. The derived part is computed when read, never copied, so adding
/// a node to a shared group grants access and removing it (or unsharing the group)
/// takes it away in the same write. `NodeRepository`'s reads (`get_user_node`,
/// `list_user_nodes`, `users_of`, `take_desired`) see the same effective relation.
/// Times: `_at` Unix seconds, `_ms` Unix milliseconds.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "storage/node_repository.hpp"

namespace stratus::storage {

/// One user's effective relation to one node.
struct NodeUser {
  std::string user_id;
  std::string user_name;
  std::string role;  ///< "primary" | "secondary"
  int sub_role = 0;
  bool direct = false;  ///< false: derived from a shared group only
};

/// A node group as stored.
struct GroupRecord {
  std::string group_id;
  std::string group_name;
  std::string parent_group_id;  ///< empty for a root group
  std::string type;
  std::string description;
  bool mutually_exclusive = false;
  bool is_matter = false;
  std::string custom_data = "{}";  ///< JSON object text
  std::int64_t created_at = 0;
};

/// A user of a group (the creator is its first primary user).
struct GroupUser {
  std::string user_id;
  std::string user_name;
  std::string role;  ///< "primary" | "secondary"
  int sub_role = 0;
};

/// What is shared by a request.
enum class SharingKind { node, group };

/// A sharing request (rainmaker-cloud.md §1.2, §2.6). `status` as stored: "pending",
/// "accepted", "declined" or "cancelled"; a pending request past `expires_at` reads as
/// expired (the service says so).
struct SharingRequestRecord {
  std::string request_id;
  SharingKind kind = SharingKind::node;
  std::string from_user_id, to_user_id;
  std::string from_user_name, to_user_name;  ///< filled by reads
  std::string role = "secondary";            ///< what the recipient gets
  int sub_role = 0;
  bool transfer = false;
  std::string new_role;  ///< the sender's role after a transfer; "" = none
  std::string metadata;  ///< JSON object text; "" = none
  std::string status = "pending";
  std::int64_t created_at = 0, expires_at = 0, updated_at = 0;
  std::vector<std::string> items;  ///< node ids or group ids
};

/// Which requests a listing wants.
struct SharingRequestQuery {
  std::string user_id;
  SharingKind kind = SharingKind::node;
  bool sent = false;             ///< true: sent by `user_id`; false: addressed to it
  std::string request_id;        ///< only this one; empty = all
  std::string start_request_id;  ///< a page starts here (inclusive); empty = newest
  std::size_t limit = 10;
};

/// Reads and writes inside one transaction (see `AccessRepository`). Valid only during
/// the callback. Every method may fail with errc::unavailable.
class AccessStore {
 public:
  virtual ~AccessStore() = default;

  // --- node relations ---------------------------------------------------------------
  /// The effective relation of `user_id` to the node (direct wins over group-derived);
  /// nullopt when none.
  virtual Result<std::optional<NodeUser>> relation(std::string_view user_id,
                                                   std::string_view node_id) = 0;
  /// Node ids `user_id` has access to (directly or through a group), ordered.
  virtual Result<std::vector<std::string>> user_node_ids(std::string_view user_id) = 0;
  /// Every user with access to the node, primary users first, then by user name.
  virtual Result<std::vector<NodeUser>> node_users(std::string_view node_id) = 0;
  /// The users with access to the node who opted in to alert mail and are not disabled,
  /// as `node_users`.
  virtual Result<std::vector<NodeUser>> alert_mail_recipients(std::string_view node_id) = 0;
  /// Whether `user_id` exists and is not disabled (`UserRecord::disabled`). Work queued
  /// or kept on a user's behalf (automations, webhooks, sets, commands) asks before it acts:
  /// a disabled user keeps its relations, so that its nodes stay its own, but nothing runs
  /// for it meanwhile (docs/security.md).
  virtual Result<bool> user_active(std::string_view user_id) = 0;
  /// Creates or changes the direct relation.
  virtual Result<void> put_relation(std::string_view user_id, std::string_view node_id,
                                    std::string_view role, int sub_role, std::int64_t at) = 0;
  /// Removes the direct relation and what is queued in the user's name for the node (as
  /// `NodeWriter::remove_user`).
  virtual Result<AccessRemoved> remove_relation(std::string_view user_id, std::string_view node_id,
                                                std::string_view reason, std::int64_t ms) = 0;

  // --- groups ------------------------------------------------------------------------
  virtual Result<void> put_group(const GroupRecord& group) = 0;  ///< insert or replace
  virtual Result<std::optional<GroupRecord>> group(std::string_view group_id) = 0;
  /// Deletes the group and, with it, its sub-groups, memberships and users.
  virtual Result<void> delete_group(std::string_view group_id) = 0;
  /// Whether a root group named `name` has `user_id` as a primary user.
  virtual Result<bool> root_group_named(std::string_view user_id, std::string_view name) = 0;
  virtual Result<std::vector<GroupRecord>> sub_groups(std::string_view group_id) = 0;
  /// Node ids of the group, ordered.
  virtual Result<std::vector<std::string>> group_nodes(std::string_view group_id) = 0;
  virtual Result<void> add_group_node(std::string_view group_id, std::string_view node_id,
                                      std::int64_t at) = 0;
  /// Removes the node from the group and from every group below it.
  virtual Result<void> remove_group_node(std::string_view group_id, std::string_view node_id) = 0;
  /// Users of the group, primary users first, then by user name.
  virtual Result<std::vector<GroupUser>> group_users(std::string_view group_id) = 0;
  virtual Result<void> put_group_user(std::string_view group_id, std::string_view user_id,
                                      std::string_view role, int sub_role, std::int64_t at) = 0;
  virtual Result<void> remove_group_user(std::string_view group_id, std::string_view user_id) = 0;
  /// Groups `user_id` is a user of (not counting ancestors), ordered by group id, from
  /// `start_group_id` (inclusive), at most `limit` + 1 (the extra one says there is more).
  virtual Result<std::vector<GroupRecord>> user_groups(std::string_view user_id,
                                                       std::string_view start_group_id,
                                                       std::size_t limit) = 0;
  /// How many groups `user_id` is a user of.
  virtual Result<std::int64_t> count_user_groups(std::string_view user_id) = 0;

  // --- sharing requests --------------------------------------------------------------
  virtual Result<void> put_request(const SharingRequestRecord& request) = 0;
  /// errc::not_found when unknown.
  virtual Result<SharingRequestRecord> request(std::string_view request_id) = 0;
  virtual Result<void> set_request_status(std::string_view request_id, std::string_view status,
                                          std::int64_t at) = 0;
  /// Newest first; at most `limit` + 1 (the extra one says there is more).
  virtual Result<std::vector<SharingRequestRecord>> requests(const SharingRequestQuery& query) = 0;
};

/// Access storage. Thread-safe; every call may block.
class AccessRepository {
 public:
  virtual ~AccessRepository() = default;
  /// Runs `body` in one write transaction: all of its writes or none. Writers are
  /// serialized, so what `body` reads stays true until it commits.
  virtual Result<void> write(const std::function<Result<void>(AccessStore&)>& body) = 0;
  /// Runs `body` in one read transaction (one snapshot). `body` must not write.
  virtual Result<void> read(const std::function<Result<void>(AccessStore&)>& body) = 0;
};

}  // namespace stratus::storage
