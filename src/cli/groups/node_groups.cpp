// The group commands (spec rainmaker.md §4.3 row `group`), with the RainMaker CLI's names
// and options: group add|remove|edit|list|show|add-nodes|remove-nodes|list-nodes, and
// `group sharing …` (sharing.cpp).
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "core/strings.hpp"

namespace stratus::cli::detail {
namespace {

struct GroupOptions {
  std::string group_id;
  std::string name;
  std::string description;
  bool mutually_exclusive = false;       // add: a flag
  std::string mutually_exclusive_value;  // edit: true|false|1|0
  std::string custom_data;
  std::string nodes;
  std::string type;
  std::string parent_group_id;
  bool sub_groups = false;
  bool node_details = false;
  bool raw = false;
};

// Optional text: set when the user gave it.
std::optional<std::string> given(const std::string& value) {
  if (value.empty())
    return std::nullopt;
  return value;
}

// One line per group, sub-groups indented below their parent.
void print_groups(std::ostream& out, const std::vector<client::Group>& groups, int depth) {
  int n = 0;
  for (const auto& g : groups) {
    out << std::string(static_cast<std::size_t>(depth) * 4, ' ') << ++n << ". "
        << (g.group_name.empty() ? "Unnamed" : g.group_name) << " (ID: " << g.group_id << ")";
    if (!g.description.empty())
      out << " - " << g.description;
    out << "  [" << g.total << (g.total == 1 ? " node" : " nodes")
        << (g.primary ? "" : ", shared with you") << "]\n";
    if (g.sub_groups)
      print_groups(out, *g.sub_groups, depth + 1);
  }
}

int create(Context& ctx, const GroupOptions& o) {
  client::GroupFields f;
  f.group_name = o.name;
  f.parent_group_id = given(o.parent_group_id);
  if (!f.parent_group_id)
    f.is_matter = true;  // as the RainMaker CLI sends it for every root group
  f.description = given(o.description);
  f.mutually_exclusive = o.mutually_exclusive;
  f.custom_data_json = given(o.custom_data);
  f.nodes = split_list(o.nodes);
  f.type = given(o.type);
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto id = s->create_group(f);
  if (!id)
    return ctx.report_call(id.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "group " << o.name << " created: " << *id << '\n';
  return 0;
}

int edit(Context& ctx, const GroupOptions& o, std::optional<std::string> operation) {
  client::GroupFields f;
  if (operation) {
    f.nodes = split_list(o.nodes);
    if (f.nodes.empty())
      return ctx.report(Error{errc::invalid_argument, "no node id given", 0});
    f.operation = operation;
  } else {
    f.group_name = given(o.name);
    f.description = given(o.description);
    if (!o.mutually_exclusive_value.empty())
      f.mutually_exclusive =
          o.mutually_exclusive_value == "true" || o.mutually_exclusive_value == "1";
    f.custom_data_json = given(o.custom_data);
    f.type = given(o.type);
    f.parent_group_id = given(o.parent_group_id);
    if (f.empty())
      return ctx.report(
          Error{errc::invalid_argument, "nothing to change: give at least one option", 0});
  }
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->update_group(o.group_id, f); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  if (!operation)
    ctx.out() << "group " << o.group_id << " updated\n";
  else
    ctx.out() << (*operation == "add" ? "added " : "removed ") << list_text(f.nodes)
              << (*operation == "add" ? " to" : " from") << " group " << o.group_id << '\n';
  return 0;
}

int remove(Context& ctx, const GroupOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->remove_group(o.group_id); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "group " << o.group_id << " removed\n";
  return 0;
}

int list(Context& ctx, const GroupOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto page = s->list_groups(o.sub_groups);
  if (!page)
    return ctx.report_call(page.error());
  if (ctx.json()) {
    ctx.print_json(proto::rest::json_text(*page));
    return 0;
  }
  if (page->groups.empty()) {
    ctx.out() << "no groups\n";
    return 0;
  }
  ctx.out() << "Groups:\n";
  print_groups(ctx.out(), page->groups, 0);
  ctx.out() << "Total groups: " << page->groups.size() << '\n';
  return 0;
}

int show(Context& ctx, const GroupOptions& o, bool list_nodes) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto group = s->group(o.group_id, o.sub_groups, list_nodes, list_nodes && o.node_details);
  if (!group)
    return ctx.report_call(group.error());
  if (ctx.json() || o.raw) {
    ctx.print_json(s->last_body());
    return 0;
  }
  auto& out = ctx.out();
  if (!list_nodes) {
    std::vector<std::pair<std::string, std::string>> rows{
        {"group", group->group_name},
        {"id", group->group_id},
        {"role", group->primary ? "primary" : "secondary"},
        {"nodes", std::to_string(group->total)}};
    if (!group->parent_group_id.empty())
      rows.emplace_back("parent", group->parent_group_id);
    if (!group->type.empty())
      rows.emplace_back("type", group->type);
    if (!group->description.empty())
      rows.emplace_back("description", group->description);
    rows.emplace_back("mutually exclusive", group->mutually_exclusive ? "yes" : "no");
    if (!group->custom_data_json.empty() && group->custom_data_json != "{}")
      rows.emplace_back("custom data", group->custom_data_json);
    out << key_values(rows);
  } else if (group->node_details) {
    if (group->node_details->empty())
      out << "No nodes found in group.\n";
    else
      out << node_table(*group->node_details, ctx.clock().now());
  } else {
    const auto& ids = group->nodes ? *group->nodes : std::vector<std::string>{};
    if (ids.empty()) {
      out << "No nodes found in group.\n";
    } else {
      out << "Nodes in group:\n";
      int n = 0;
      for (const auto& id : ids)
        out << ++n << ". " << id << '\n';
      out << "Total nodes: " << ids.size() << '\n';
    }
  }
  if (o.sub_groups && group->sub_groups && !group->sub_groups->empty()) {
    out << "Sub-groups:\n";
    print_groups(out, *group->sub_groups, 0);
  }
  return 0;
}

}  // namespace

void add_node_groups(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<GroupOptions>();
  auto* group = app.add_subcommand("group", "Group nodes (homes, rooms, fleets)");
  group->require_subcommand(1);

  auto* add = group->add_subcommand("add", "Create a group");
  add->add_option("--name", o->name, "Group name")->required();
  add->add_option("--description", o->description, "Description");
  add->add_flag("--mutually-exclusive", o->mutually_exclusive,
                "A node may be in only one such group of the same type");
  add->add_option("--custom-data", o->custom_data, "Custom data (a JSON object)");
  add->add_option("--nodes", o->nodes, "Comma-separated node ids to put in it");
  add->add_option("--type", o->type, "Group type (free text, e.g. home, room)");
  add->add_option("--parent-group-id", o->parent_group_id, "Create it as a sub-group of this");
  ctx.on(*add, [&ctx, o] { return create(ctx, *o); });

  auto* remove_cmd = group->add_subcommand("remove", "Delete a group (a shared one: leave it)");
  remove_cmd->add_option("--group-id", o->group_id, "Group id")->required();
  ctx.on(*remove_cmd, [&ctx, o] { return remove(ctx, *o); });

  auto* edit_cmd = group->add_subcommand("edit", "Change a group's name, description, …");
  edit_cmd->add_option("--group-id", o->group_id, "Group id")->required();
  edit_cmd->add_option("--name", o->name, "New name");
  edit_cmd->add_option("--description", o->description, "New description");
  edit_cmd->add_option("--mutually-exclusive", o->mutually_exclusive_value, "true|false|1|0")
      ->check(CLI::IsMember({"true", "false", "1", "0"}));
  edit_cmd->add_option("--custom-data", o->custom_data,
                       "Custom data patch (a JSON object; null values delete keys)");
  edit_cmd->add_option("--type", o->type, "New type");
  edit_cmd->add_option("--parent-group-id", o->parent_group_id, "Parent group id");
  ctx.on(*edit_cmd, [&ctx, o] { return edit(ctx, *o, std::nullopt); });

  auto* list_cmd = group->add_subcommand("list", "List your groups");
  list_cmd->add_flag("--sub-groups", o->sub_groups, "Show sub-groups too");
  ctx.on(*list_cmd, [&ctx, o] { return list(ctx, *o); });

  auto* show_cmd = group->add_subcommand("show", "Show one group");
  show_cmd->add_option("--group-id", o->group_id, "Group id")->required();
  show_cmd->add_flag("--sub-groups", o->sub_groups, "Show its sub-groups");
  ctx.on(*show_cmd, [&ctx, o] { return show(ctx, *o, false); });

  auto* add_nodes = group->add_subcommand("add-nodes", "Add nodes to a group");
  add_nodes->add_option("--group-id", o->group_id, "Group id")->required();
  add_nodes->add_option("--nodes", o->nodes, "Comma-separated node ids")->required();
  ctx.on(*add_nodes, [&ctx, o] { return edit(ctx, *o, std::string("add")); });

  auto* remove_nodes = group->add_subcommand("remove-nodes", "Remove nodes from a group");
  remove_nodes->add_option("--group-id", o->group_id, "Group id")->required();
  remove_nodes->add_option("--nodes", o->nodes, "Comma-separated node ids")->required();
  ctx.on(*remove_nodes, [&ctx, o] { return edit(ctx, *o, std::string("remove")); });

  auto* list_nodes = group->add_subcommand("list-nodes", "List the nodes of a group");
  list_nodes->add_option("--group-id", o->group_id, "Group id")->required();
  list_nodes->add_flag("--node-details", o->node_details, "Show each node's details");
  list_nodes->add_flag("--sub-groups", o->sub_groups, "Show its sub-groups");
  list_nodes->add_flag("--raw", o->raw, "Print the raw JSON");
  ctx.on(*list_nodes, [&ctx, o] { return show(ctx, *o, true); });

  auto* sharing = group->add_subcommand("sharing", "Share groups with other users");
  sharing->require_subcommand(1);
  add_sharing_commands(*sharing, ctx, client::SharingKind::group);
}

}  // namespace stratus::cli::detail
