#include "service/group_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "core/random.hpp"
#include "log/log.hpp"
#include "model/params.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
namespace code = proto::rest::group_error;

constexpr std::string_view kPrimary = "primary";
constexpr int kMaxChain = 64;  // a guard against a cycle in stored data, far above max_depth

Result<void> check_name(std::string_view name) {
  const bool blank_edge =
      !name.empty() && (std::isspace(static_cast<unsigned char>(name.front())) ||
                        std::isspace(static_cast<unsigned char>(name.back())));
  if (name.empty() || name.size() > 256 || blank_edge ||
      name.find_first_of("#$|") != std::string_view::npos ||
      std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return fail(errc::invalid_argument, code::name_invalid,
                "group_name must be 1-256 characters without leading or trailing blanks, "
                "control characters, '#', '$' or '|'");
  }
  return {};
}

Result<void> check_description(const std::optional<std::string>& description) {
  if (description && description->size() > 500)
    return fail(errc::invalid_argument, code::description_too_long,
                "description is limited to 500 characters");
  return {};
}

// `type` is a short label (as the apps show it) and `custom_data` an object of at most
// 16 KiB serialized, as a node's metadata: both are stored and sent with every group read.
Result<void> check_type(const std::optional<std::string>& type) {
  if (type && (type->size() > 256 || std::any_of(type->begin(), type->end(), [](char c) {
                 return static_cast<unsigned char>(c) < 0x20;
               }))) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "type must be at most 256 bytes without control characters");
  }
  return {};
}

Result<void> check_custom_data(std::string_view custom_data) {
  if (custom_data.size() > proto::rest::limits::kMaxMetadataBytes) {
    return fail(errc::invalid_argument, proto::rest::request_error::invalid_request_body,
                "custom_data is limited to 16 KiB (serialized)");
  }
  return {};
}

Error group_not_found(std::string_view id) {
  return Error{errc::not_found, "group " + std::string(id) + " not found", code::group_not_found};
}

// `custom_data` of a create or update applied to `current` (an object's text): null
// clears it, an object patches it.
std::string patched_custom_data(std::string_view current, const std::string& patch) {
  if (patch == "null")
    return "{}";
  boost::system::error_code ec;
  json::value base = json::parse(current, ec);
  if (ec || !base.is_object())
    base = json::object();
  const json::value change = json::parse(patch, ec);
  if (!ec && change.is_object())
    model::apply_patch(base.as_object(), change.as_object());
  return json::serialize(base);
}

// Every node must be one the caller may access, and (in a sub-group) one of the parent.
Result<void> check_nodes(storage::AccessStore& s, const Principal& who,
                         const std::vector<std::string>& nodes, std::string_view parent_group_id) {
  std::vector<std::string> parent_nodes;
  if (!parent_group_id.empty()) {
    auto in_parent = s.group_nodes(parent_group_id);
    if (!in_parent)
      return fail(in_parent.error());
    parent_nodes = std::move(*in_parent);
  }
  for (const auto& node_id : nodes) {
    auto rel = s.relation(who.user_id, node_id);
    if (!rel)
      return fail(rel.error());
    if (!*rel)
      return fail(errc::not_found, code::nodes_not_mapped, "node " + node_id + " not found");
    if (!parent_group_id.empty() &&
        !std::binary_search(parent_nodes.begin(), parent_nodes.end(), node_id)) {
      return fail(errc::invalid_argument, code::nodes_not_in_parent,
                  "node " + node_id + " is not in the parent group");
    }
  }
  return {};
}

}  // namespace

Result<std::optional<storage::GroupUser>> group_role(storage::AccessStore& s,
                                                     std::string_view user_id,
                                                     std::string_view group_id, int* depth) {
  // Walk up to the root, remembering the nearest row of the user.
  std::optional<storage::GroupUser> found;
  std::string id(group_id);
  int level = 0;
  while (!id.empty() && level < kMaxChain) {
    auto group = s.group(id);
    if (!group)
      return fail(group.error());
    if (!*group)
      return std::optional<storage::GroupUser>();
    ++level;
    if (!found) {
      auto users = s.group_users(id);
      if (!users)
        return fail(users.error());
      for (auto& u : *users) {
        if (u.user_id == user_id)
          found = std::move(u);
      }
    }
    id = (*group)->parent_group_id;
  }
  // `level` counted from the group up; the group's own level is the chain's length.
  if (depth != nullptr)
    *depth = level;
  return found;
}

namespace {

// The role `user_id` holds on `group_id` (own or inherited), or `group_not_found` when it
// holds none or the group does not exist: callers without a role learn nothing more.
Result<storage::GroupUser> caller_role(storage::AccessStore& s, std::string_view user_id,
                                       std::string_view group_id) {
  auto role = group_role(s, user_id, group_id);
  if (!role)
    return fail(role.error());
  if (!*role)
    return fail(group_not_found(group_id));
  return std::move(**role);
}

}  // namespace

GroupService::GroupService(storage::AccessRepository& access, storage::NodeRepository& nodes,
                           EventPublisher& events, const Clock& clock, GroupOptions options)
    : access_(access), nodes_(nodes), events_(events), clock_(clock), options_(options) {}

namespace {

// The users of the root of `group_id` (only root groups have user rows).
Result<std::vector<std::string>> root_users(storage::AccessStore& s, std::string_view group_id) {
  std::string id(group_id);
  for (int hops = 0; hops < 64; ++hops) {
    auto g = s.group(id);
    if (!g)
      return fail(g.error());
    if (!*g)
      return std::vector<std::string>{};
    if ((*g)->parent_group_id.empty())
      break;
    id = (*g)->parent_group_id;
  }
  auto users = s.group_users(id);
  if (!users)
    return fail(users.error());
  std::vector<std::string> ids;
  for (const auto& u : *users)
    ids.push_back(u.user_id);
  return ids;
}

EventDraft group_access_event(std::string_view group_id, std::vector<std::string> users,
                              std::int64_t now_s) {
  return EventDraft{proto::rest::EventKind::mapping,
                    {},
                    std::move(users),
                    now_s * 1000,
                    boost::json::serialize(boost::json::object{{"group_id", group_id}}),
                    true};
}

}  // namespace

std::int64_t GroupService::now_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

Result<std::string> GroupService::create(const Principal& who,
                                         const proto::rest::GroupFields& fields) {
  if (!fields.group_name)
    return fail(errc::invalid_argument, code::name_missing, "group_name is missing");
  if (auto ok = check_name(*fields.group_name); !ok)
    return fail(ok.error());
  if (auto ok = check_description(fields.description); !ok)
    return fail(ok.error());
  if (auto ok = check_type(fields.type); !ok)
    return fail(ok.error());
  if (fields.nodes.size() > options_.max_nodes_per_request) {
    return fail(errc::invalid_argument, code::too_many_nodes,
                "at most " + std::to_string(options_.max_nodes_per_request) + " nodes per request");
  }
  const auto now = now_s();
  storage::GroupRecord group;
  group.group_id = uuid_v4();
  group.group_name = *fields.group_name;
  group.parent_group_id = fields.parent_group_id.value_or("");
  group.type = fields.type.value_or("");
  group.description = fields.description.value_or("");
  group.mutually_exclusive = fields.mutually_exclusive.value_or(false);
  group.is_matter = fields.is_matter.value_or(false);
  group.custom_data =
      fields.custom_data_json ? patched_custom_data("{}", *fields.custom_data_json) : "{}";
  if (auto ok = check_custom_data(group.custom_data); !ok)
    return fail(ok.error());
  group.created_at = now;

  auto r = access_.write([&](storage::AccessStore& s) -> Result<void> {
    if (!group.parent_group_id.empty()) {
      int depth = 0;
      auto role = group_role(s, who.user_id, group.parent_group_id, &depth);
      if (!role)
        return fail(role.error());
      if (!*role || (*role)->role != kPrimary) {
        return fail(errc::not_found, code::parent_invalid,
                    "parent group " + group.parent_group_id + " not found");
      }
      if (depth + 1 > options_.max_depth) {
        return fail(errc::invalid_argument, code::too_deep,
                    "groups nest at most " + std::to_string(options_.max_depth) + " levels");
      }
      auto siblings = s.sub_groups(group.parent_group_id);
      if (!siblings)
        return fail(siblings.error());
      if (siblings->size() >= options_.max_sub_groups) {
        return fail(
            errc::invalid_argument, code::too_many_sub_groups,
            "a group has at most " + std::to_string(options_.max_sub_groups) + " sub-groups");
      }
    } else {
      auto taken = s.root_group_named(who.user_id, group.group_name);
      if (!taken)
        return fail(taken.error());
      if (*taken) {
        return fail(errc::conflict, code::name_exists,
                    "you already have a group named \"" + group.group_name + "\"");
      }
    }
    if (auto ok = check_nodes(s, who, fields.nodes, group.parent_group_id); !ok)
      return ok;
    if (auto put = s.put_group(group); !put)
      return put;
    // A root group's creator is its primary user; a sub-group belongs to its root.
    if (group.parent_group_id.empty()) {
      if (auto put = s.put_group_user(group.group_id, who.user_id, kPrimary, 0, now); !put)
        return put;
    }
    for (const auto& node_id : fields.nodes) {
      if (auto add = s.add_group_node(group.group_id, node_id, now); !add)
        return add;
    }
    return {};
  });
  if (!r)
    return fail(r.error());
  log::info(log::Channel::service, "group created group_id={} user_id={} nodes={}", group.group_id,
            who.user_id, fields.nodes.size());
  return group.group_id;
}

Result<void> GroupService::update(const Principal& who, std::string_view group_id,
                                  const proto::rest::GroupFields& fields) {
  if (fields.empty())
    return fail(errc::invalid_argument, code::nothing_to_update, "the update names no field");
  if (fields.group_name) {
    if (auto ok = check_name(*fields.group_name); !ok)
      return ok;
  }
  if (auto ok = check_description(fields.description); !ok)
    return ok;
  if (auto ok = check_type(fields.type); !ok)
    return ok;
  std::string operation;
  if (fields.operation) {
    operation = *fields.operation;
    std::transform(operation.begin(), operation.end(), operation.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (operation != "add" && operation != "remove") {
      return fail(errc::invalid_argument, code::operation_invalid,
                  "operation must be add or remove");
    }
  }
  if (!fields.nodes.empty() && operation.empty()) {
    return fail(errc::invalid_argument, code::operation_invalid,
                "nodes need an operation (add or remove)");
  }
  if (fields.nodes.size() > options_.max_nodes_per_request) {
    return fail(errc::invalid_argument, code::too_many_nodes,
                "at most " + std::to_string(options_.max_nodes_per_request) + " nodes per request");
  }
  const auto now = now_s();
  std::vector<std::string> affected;
  auto done = access_.write([&](storage::AccessStore& s) -> Result<void> {
    auto role = caller_role(s, who.user_id, group_id);
    if (!role)
      return fail(role.error());
    if (role->role != kPrimary) {
      return fail(errc::forbidden, code::not_primary,
                  "only a primary user of the group may change it");
    }
    auto stored = s.group(group_id);
    if (!stored)
      return fail(stored.error());
    if (!*stored)
      return fail(group_not_found(group_id));
    storage::GroupRecord g = **stored;
    if (fields.parent_group_id && *fields.parent_group_id != g.parent_group_id) {
      return fail(errc::invalid_argument, code::parent_invalid,
                  "moving a group to another parent is not supported; create it there");
    }
    if (fields.group_name && *fields.group_name != g.group_name && g.parent_group_id.empty()) {
      auto taken = s.root_group_named(who.user_id, *fields.group_name);
      if (!taken)
        return fail(taken.error());
      if (*taken) {
        return fail(errc::conflict, code::name_exists,
                    "you already have a group named \"" + *fields.group_name + "\"");
      }
    }
    g.group_name = fields.group_name.value_or(g.group_name);
    g.description = fields.description.value_or(g.description);
    g.type = fields.type.value_or(g.type);
    g.mutually_exclusive = fields.mutually_exclusive.value_or(g.mutually_exclusive);
    g.is_matter = fields.is_matter.value_or(g.is_matter);
    if (fields.custom_data_json) {
      g.custom_data = patched_custom_data(g.custom_data, *fields.custom_data_json);
      if (auto ok = check_custom_data(g.custom_data); !ok)
        return ok;
    }
    if (auto put = s.put_group(g); !put)
      return put;
    if (operation == "add") {
      if (auto ok = check_nodes(s, who, fields.nodes, g.parent_group_id); !ok)
        return ok;
      for (const auto& node_id : fields.nodes) {
        if (auto add = s.add_group_node(g.group_id, node_id, now); !add)
          return add;
      }
    } else if (operation == "remove") {
      for (const auto& node_id : fields.nodes) {
        if (auto rm = s.remove_group_node(g.group_id, node_id); !rm)
          return rm;
      }
    }
    if (!operation.empty()) {
      auto users = root_users(s, g.group_id);
      if (!users)
        return fail(users.error());
      affected = std::move(*users);
    }
    return {};
  });
  if (done && !affected.empty())
    events_.publish({group_access_event(group_id, std::move(affected), now)});
  return done;
}

Result<void> GroupService::remove(const Principal& who, std::string_view group_id) {
  std::vector<std::string> affected{who.user_id};
  auto done = access_.write([&](storage::AccessStore& s) -> Result<void> {
    auto role = caller_role(s, who.user_id, group_id);
    if (!role)
      return fail(role.error());
    if (role->role == kPrimary) {
      log::info(log::Channel::service, "group deleted group_id={} user_id={}", group_id,
                who.user_id);
      auto users = root_users(s, group_id);
      if (!users)
        return fail(users.error());
      affected = std::move(*users);
      return s.delete_group(group_id);
    }
    return leave_locked(s, who, group_id);  // a secondary user leaves
  });
  if (done)
    events_.publish({group_access_event(group_id, std::move(affected), now_s())});
  return done;
}

Result<void> GroupService::leave(const Principal& who, std::string_view group_id) {
  auto done = access_.write([&](storage::AccessStore& s) -> Result<void> {
    auto role = caller_role(s, who.user_id, group_id);
    if (!role)
      return fail(role.error());
    return leave_locked(s, who, group_id);
  });
  if (done)
    events_.publish({group_access_event(group_id, {who.user_id}, now_s())});
  return done;
}

Result<void> GroupService::leave_locked(storage::AccessStore& s, const Principal& who,
                                        std::string_view group_id) {
  // The caller's own row; a parent's share is the parent's to change.
  auto users = s.group_users(group_id);
  if (!users)
    return fail(users.error());
  const auto own = std::find_if(users->begin(), users->end(),
                                [&](const auto& u) { return u.user_id == who.user_id; });
  if (own == users->end()) {
    return fail(errc::conflict, code::shared_via_parent,
                "your access comes from a parent group; leave that group instead");
  }
  if (own->role == kPrimary && std::count_if(users->begin(), users->end(), [](const auto& u) {
                                 return u.role == kPrimary;
                               }) == 1) {
    return fail(errc::conflict, code::sole_primary,
                "you are the group's only primary user: delete the group, or add another "
                "primary user first");
  }
  return s.remove_group_user(group_id, who.user_id);
}

namespace {

// The nodes `who` may see now, direct or through a group.
Result<std::unordered_set<std::string>> visible_nodes(storage::AccessStore& s,
                                                      const Principal& who) {
  auto ids = s.user_node_ids(who.user_id);
  if (!ids)
    return fail(ids.error());
  return std::unordered_set<std::string>(std::make_move_iterator(ids->begin()),
                                         std::make_move_iterator(ids->end()));
}

}  // namespace

Result<GroupView> GroupService::view(storage::AccessStore& s, const Principal& who,
                                     const storage::GroupRecord& group,
                                     const storage::GroupUser& role, bool sub_groups,
                                     GroupNodes nodes, int level,
                                     const std::unordered_set<std::string>& visible) {
  GroupView v;
  v.group = group;
  v.role = role.role;
  v.sub_role = role.sub_role;
  auto ids = s.group_nodes(group.group_id);
  if (!ids)
    return fail(ids.error());
  std::erase_if(*ids, [&](const std::string& id) { return !visible.contains(id); });
  v.node_count = static_cast<std::int64_t>(ids->size());
  if (nodes != GroupNodes::none)
    v.node_ids = std::move(*ids);
  if (sub_groups && level < kMaxChain) {
    auto children = s.sub_groups(group.group_id);
    if (!children)
      return fail(children.error());
    v.sub_groups.emplace();
    for (const auto& child : *children) {
      auto cv = view(s, who, child, role, true, nodes, level + 1, visible);
      if (!cv)
        return fail(cv.error());
      v.sub_groups->push_back(std::move(*cv));
    }
  }
  return v;
}

namespace {

// Node details are read after the access transaction ends (one pooled connection at a
// time per request): the nodes of `v` and its sub-groups the caller may see.
Result<void> fill_details(storage::NodeRepository& nodes, const Principal& who, GroupView& v) {
  for (const auto& id : v.node_ids) {
    auto node = nodes.get_user_node(who.user_id, id);
    if (node)
      v.node_details.push_back(std::move(*node));
    else if (node.error().code != errc::not_found)
      return fail(node.error());
  }
  v.node_ids.clear();
  if (v.sub_groups) {
    for (auto& child : *v.sub_groups) {
      if (auto r = fill_details(nodes, who, child); !r)
        return r;
    }
  }
  return {};
}

}  // namespace

Result<GroupViewPage> GroupService::list(const Principal& who, std::string_view start_id,
                                         std::size_t limit, bool sub_groups, GroupNodes nodes) {
  limit = std::clamp<std::size_t>(limit, 1, 100);
  GroupViewPage page;
  auto r = access_.read([&](storage::AccessStore& s) -> Result<void> {
    auto groups = s.user_groups(who.user_id, start_id, limit);
    if (!groups)
      return fail(groups.error());
    if (groups->size() > limit) {
      page.next_id = groups->back().group_id;
      groups->pop_back();
    }
    auto total = s.count_user_groups(who.user_id);
    if (!total)
      return fail(total.error());
    page.total = *total;
    auto visible = visible_nodes(s, who);
    if (!visible)
      return fail(visible.error());
    for (const auto& g : *groups) {
      auto role = group_role(s, who.user_id, g.group_id);
      if (!role)
        return fail(role.error());
      if (!*role)
        continue;
      auto v = view(s, who, g, **role, sub_groups, nodes, 1, *visible);
      if (!v)
        return fail(v.error());
      page.groups.push_back(std::move(*v));
    }
    return {};
  });
  if (!r)
    return fail(r.error());
  if (nodes == GroupNodes::details) {
    for (auto& v : page.groups) {
      if (auto ok = fill_details(nodes_, who, v); !ok)
        return fail(ok.error());
    }
  }
  return page;
}

Result<GroupView> GroupService::get(const Principal& who, std::string_view group_id,
                                    bool sub_groups, GroupNodes nodes) {
  std::optional<GroupView> out;
  auto r = access_.read([&](storage::AccessStore& s) -> Result<void> {
    auto role = caller_role(s, who.user_id, group_id);
    if (!role)
      return fail(role.error());
    auto g = s.group(group_id);
    if (!g)
      return fail(g.error());
    if (!*g)
      return fail(group_not_found(group_id));
    auto visible = visible_nodes(s, who);
    if (!visible)
      return fail(visible.error());
    auto v = view(s, who, **g, *role, sub_groups, nodes, 1, *visible);
    if (!v)
      return fail(v.error());
    out = std::move(*v);
    return {};
  });
  if (!r)
    return fail(r.error());
  if (nodes == GroupNodes::details) {
    if (auto ok = fill_details(nodes_, who, *out); !ok)
      return fail(ok.error());
  }
  return std::move(*out);
}

}  // namespace stratus::service
