#pragma once
/// @file
/// Node groups (spec rainmaker.md §4.3 row `group`; rainmaker-cloud.md §2; docs/adr/0009):
/// create, edit, add and remove nodes, list, show, delete. A root group's creator is its
/// primary user; sub-groups belong to their root (a user of a group may use every group
/// below it), nest at most `GroupOptions::max_depth` levels, and hold only nodes of their
/// parent. A group holds only nodes its primary user may access.
///
/// Failures carry the codes of proto::rest::group_error; a group the caller cannot see
/// fails exactly like an unknown group (`group_not_found`).

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "proto/rest/groups.hpp"
#include "service/account_service.hpp"
#include "service/events.hpp"
#include "storage/access_repository.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// Limits of groups (rainmaker-cloud.md §2.1, §2.5).
struct GroupOptions {
  int max_depth = 3;  ///< levels, a root group being level 1 (RainMaker: 3)
  std::size_t max_nodes_per_request = 100;
  std::size_t max_sub_groups = 100;  ///< direct sub-groups of one group
};

/// What a group listing carries for each group's nodes.
enum class GroupNodes { none, ids, details };

/// One group as a caller sees it, with what was asked for.
struct GroupView {
  storage::GroupRecord group;
  std::string role;  ///< the caller's: "primary" | "secondary"
  int sub_role = 0;
  std::int64_t node_count = 0;
  std::vector<std::string> node_ids;  ///< with GroupNodes::ids
  std::vector<storage::UserNode>
      node_details;  ///< with GroupNodes::details (what the caller may see)
  std::optional<std::vector<GroupView>> sub_groups;  ///< when asked
};

/// A page of groups; `next_id` empty on the last page.
struct GroupViewPage {
  std::vector<GroupView> groups;
  std::string next_id;
  std::int64_t total = 0;
};

/// The caller's role in a group: its own row, or the row of the nearest ancestor it is a
/// user of. `depth`, when given, receives the group's level (1 = root). nullopt when the
/// group is unknown or the user has no role in it. Errors: unavailable.
Result<std::optional<storage::GroupUser>> group_role(storage::AccessStore& store,
                                                     std::string_view user_id,
                                                     std::string_view group_id,
                                                     int* depth = nullptr);

/// Thread-safe; calls block (database). Call from the blocking pool.
class GroupService {
 public:
  /// A change of a group's nodes, or its deletion, is published to `events` as a
  /// `mapping` event (`access_changed`) for every user of its root group.
  GroupService(storage::AccessRepository& access, storage::NodeRepository& nodes,
               EventPublisher& events, const Clock& clock, GroupOptions options = {});

  /// `POST v1/user/node_group`. Returns the new group id. Errors (group_error):
  /// `name_missing`, `name_invalid`, `description_too_long`, `too_many_nodes`,
  /// `name_exists` (conflict), `parent_invalid` (not_found), `too_deep`,
  /// `too_many_sub_groups`, `nodes_not_mapped` (not_found), `nodes_not_in_parent`.
  Result<std::string> create(const Principal& who, const proto::rest::GroupFields& fields);

  /// `PUT v1/user/node_group?group_id=`: changes the given fields; `nodes` with
  /// `operation` add|remove (any case) changes membership (removing from a group removes
  /// from the groups below it too). Moving a group to another parent is not supported
  /// (`parent_invalid`). Errors: as `create`; `group_not_found`; `not_primary`
  /// (forbidden); `nothing_to_update`; `operation_invalid`.
  Result<void> update(const Principal& who, std::string_view group_id,
                      const proto::rest::GroupFields& fields);

  /// `DELETE v1/user/node_group?group_id=`: a primary user deletes the group with its
  /// sub-groups; a secondary user leaves it. Errors: `group_not_found`;
  /// `shared_via_parent` (conflict) when a secondary's access comes from a parent.
  Result<void> remove(const Principal& who, std::string_view group_id);
  /// `DELETE v1/user/node_group?group_id=&leave=true`: the caller leaves the group, a
  /// primary user too while another primary user stays. Errors: `group_not_found`;
  /// `sole_primary` (conflict) for the only primary user; `shared_via_parent` (conflict)
  /// when the caller's access comes from a parent group.
  Result<void> leave(const Principal& who, std::string_view group_id);

  /// `GET v1/user/node_group[?start_id=&num_records=&sub_groups=]`: the groups the caller
  /// is a user of, by group id, `limit` (1–100) per page.
  Result<GroupViewPage> list(const Principal& who, std::string_view start_id, std::size_t limit,
                             bool sub_groups, GroupNodes nodes);

  /// `GET v1/user/node_group?group_id=`. Errors: `group_not_found`.
  Result<GroupView> get(const Principal& who, std::string_view group_id, bool sub_groups,
                        GroupNodes nodes);

 private:
  // `visible`: the nodes the caller may see (direct or through a group); a group's nodes
  // outside it are neither listed nor counted (another user's node looks unknown).
  Result<GroupView> view(storage::AccessStore& s, const Principal& who,
                         const storage::GroupRecord& group, const storage::GroupUser& role,
                         bool sub_groups, GroupNodes nodes, int level,
                         const std::unordered_set<std::string>& visible);
  std::int64_t now_s() const;
  // The caller's own row of `group_id` goes (inside `s`'s write transaction). Errors: as
  // `leave`.
  Result<void> leave_locked(storage::AccessStore& s, const Principal& who,
                            std::string_view group_id);

  storage::AccessRepository& access_;
  storage::NodeRepository& nodes_;
  EventPublisher& events_;
  const Clock& clock_;
  GroupOptions options_;
};

}  // namespace stratus::service
