// The node commands: getnodes, getnodedetails, getnodeconfig, getnodestatus.
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"

namespace stratus::cli::detail {
namespace {

struct NodeOptions {
  std::string node_id;
  bool raw = false;
  LocalFlags local;  // getnodeconfig --local …
};

int get_nodes(Context& ctx) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (ctx.json()) {
    auto ids = s->all_node_ids();
    if (!ids)
      return ctx.report_call(ids.error());
    client::NodePage all;
    all.total = static_cast<std::int64_t>(ids->size());
    all.node_ids = std::move(*ids);
    ctx.print_json(proto::rest::json_text(all));
    return 0;
  }
  auto nodes = s->node_details();
  if (!nodes)
    return ctx.report_call(nodes.error());
  ctx.out() << node_table(*nodes, ctx.clock().now());
  return 0;
}

int get_node_details(Context& ctx, const NodeOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  std::optional<std::string> only;
  if (!o.node_id.empty())
    only = o.node_id;
  auto nodes = s->node_details(only);
  if (!nodes)
    return ctx.report_call(nodes.error());
  auto& out = ctx.out();
  if (ctx.json() || o.raw) {
    client::NodePage all;
    all.with_details = true;
    all.total = static_cast<std::int64_t>(nodes->size());
    all.node_details = std::move(*nodes);
    ctx.print_json(proto::rest::json_text(all));
    return 0;
  }
  if (nodes->empty()) {
    out << "no nodes\n";
    return 0;
  }
  const auto now = ctx.clock().now();
  bool first = true;
  for (const auto& n : *nodes) {
    if (!first)
      out << '\n';
    first = false;
    std::vector<std::pair<std::string, std::string>> rows{
        {"node", n.id},
        {"name", n.name.empty() ? "-" : n.name},
        {"type", n.type.empty() ? "-" : n.type},
        {"firmware", n.fw_version.empty() ? "-" : n.fw_version},
        {"status", connectivity_text(n.connectivity, now)},
        {"role", n.role.empty() ? "-" : n.role}};
    if (n.mapping_timestamp_s > 0) {
      rows.emplace_back("mapped",
                        format_local_time(std::chrono::system_clock::time_point(
                                              std::chrono::seconds(n.mapping_timestamp_s)),
                                          now));
    }
    rows.emplace_back("tags", list_text(n.tags));
    const bool has_metadata = !n.metadata_json.empty() && n.metadata_json != "{}";
    rows.emplace_back("metadata", has_metadata ? n.metadata_json : "-");
    rows.emplace_back("params", n.params_json.empty() ? "(not reported yet)" : "");
    std::string text = key_values(rows);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
      text.pop_back();
    out << text << '\n';
    if (!n.params_json.empty())
      out << pretty_json(n.params_json, "  ");
  }
  return 0;
}

int node_config(Context& ctx, const NodeOptions& o) {
  if (o.local.local)
    return local_get(ctx, o.node_id, o.local, "config");
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto config = s->node_config(o.node_id);
  if (!config)
    return ctx.report_call(config.error());
  ctx.print_json(*config);
  return 0;
}

int node_status(Context& ctx, const NodeOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto status = s->node_status(o.node_id);
  if (!status)
    return ctx.report_call(status.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << connectivity_text(*status, ctx.clock().now()) << '\n';
  return 0;
}

}  // namespace

void add_nodes(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<NodeOptions>();

  ctx.on(*app.add_subcommand("getnodes", "List your nodes (id, name, online/offline)"),
         [&ctx] { return get_nodes(ctx); });

  auto* details = app.add_subcommand("getnodedetails", "Show config, status and params of nodes");
  details->add_option("nodeid", o->node_id, "Node id (all nodes when left out)");
  details->add_flag("--raw", o->raw, "Print the raw JSON");
  ctx.on(*details, [&ctx, o] { return get_node_details(ctx, *o); });

  auto* config = app.add_subcommand("getnodeconfig", "Show a node's config");
  config->add_option("nodeid", o->node_id, "Node id")->required();
  add_local_flags(*config, o->local);
  ctx.on(*config, [&ctx, o] { return node_config(ctx, *o); });

  auto* status = app.add_subcommand("getnodestatus", "Show whether a node is online");
  status->add_option("nodeid", o->node_id, "Node id")->required();
  ctx.on(*status, [&ctx, o] { return node_status(ctx, *o); });
}

}  // namespace stratus::cli::detail
