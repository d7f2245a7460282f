#pragma once
/// @file
/// Node groups (spec rainmaker.md §4.3 row `group`; rainmaker-cloud.md §2;
/// docs/adr/0009): `POST|GET|PUT|DELETE v1/user/node_group`. What the real RainMaker
/// CLI sends is in docs/research/rainmaker-cli-sharing-and-groups.md §3: `is_matter:true`
/// on every root group, `mutually_exclusive` always, `operation` in lower case, and a
/// `group list` that follows `next_id` until it is absent. Conventions as accounts.hpp.
/// Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "proto/rest/nodes.hpp"

namespace stratus::proto::rest {

/// The body of `POST v1/user/node_group` and `PUT v1/user/node_group?group_id=`: every
/// member optional (the service says which are required, and checks lengths).
struct GroupFields {
  std::optional<std::string> group_name;
  std::optional<std::string> parent_group_id;
  std::optional<std::string> description;
  std::optional<std::string> type;
  std::optional<bool> mutually_exclusive;
  std::optional<bool> is_matter;
  /// `custom_data`: absent = nullopt; an object as its text; JSON null as "null"
  /// (on PUT: delete all custom data).
  std::optional<std::string> custom_data_json;
  std::vector<std::string> nodes;  ///< node ids to put in the group
  /// PUT: "add" | "remove" (compared case-insensitively); absent = nullopt.
  std::optional<std::string> operation;

  /// Whether the body changes nothing (PUT needs at least one member).
  [[nodiscard]] bool empty() const noexcept;
};
/// Errors: `invalid_body` for a member of a wrong type (`nodes` not an array of strings,
/// `custom_data` neither an object nor null, a flag not a boolean).
[[nodiscard]] Result<GroupFields> parse_group_fields(const boost::json::object& body);
/// Writes the members that are set.
[[nodiscard]] boost::json::object to_json(const GroupFields& fields);

/// The answer to a create: `{"status":"success","description","group_id"}`.
[[nodiscard]] boost::json::object group_created_json(std::string_view group_id);
/// Errors: internal when `group_id` is missing.
[[nodiscard]] Result<std::string> parse_group_created(const boost::json::object& answer);

/// One group as `GET v1/user/node_group` answers it.
struct Group {
  std::string group_id;
  std::string group_name;
  std::string parent_group_id;  ///< empty for a root group (then absent)
  std::string type;
  std::string description;
  bool mutually_exclusive = false;
  bool is_matter = false;
  std::string custom_data_json;  ///< an object's text; empty = `{}`
  bool primary = false;          ///< whether the caller is a primary user of the group
  int sub_role = 0;
  std::int64_t total = 0;  ///< nodes in the group
  /// `nodes` (ids), written only with `node_list=true`.
  std::optional<std::vector<std::string>> nodes;
  /// `node_details`, written only with `node_details=true` (then instead of `nodes`).
  std::optional<std::vector<NodeDetails>> node_details;
  /// `sub_groups`, written only with `sub_groups=true` (`[]` when there are none).
  std::optional<std::vector<Group>> sub_groups;
};
/// `GET v1/user/node_group` → `{"groups":[…],"next_id"?,"total"}`; `next_id` empty on
/// the last page (then not written: the CLI loops while it is there).
struct GroupPage {
  std::vector<Group> groups;
  std::string next_id;
  std::int64_t total = 0;
};
/// Writes it in the wire shape above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const GroupPage& page);
/// Reads that answer (tolerant; `total` falls back to the number of groups).
[[nodiscard]] GroupPage parse_group_page(const boost::json::object& answer);
/// `to_json(page)` serialized (the CLI's `--json` without a JSON library of its own).
[[nodiscard]] std::string json_text(const GroupPage& page);

}  // namespace stratus::proto::rest
