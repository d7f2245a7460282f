// `stratus-admin node …`, `user …` and `audit` (issue 18 items 5 and 6; docs/adr/0015):
// fleet administration and the audit log for super-admins. The `node` group may be shared
// with other admin commands (`node revoke`): it is found or created, never added twice.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "proto/rest/admin.hpp"

namespace stratus::cli::detail {
namespace {

namespace json = boost::json;

struct FleetOptions {
  client::FleetNodeQuery nodes;
  std::string online;  // "", "yes", "no"
  std::string node_id;
  std::string user;
  std::string quota;  // a number or "default"
  std::string start;
  int limit = 0;
  // audit
  std::string actor;
  std::string object;
  std::string action;
  std::string from;
  std::string to;
};

std::string dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// A time given on the command line: Unix seconds, or a UTC date "YYYY-MM-DD" (its first
// second, or with `end` its last), or "YYYY-MM-DDTHH:MM[:SS]" (UTC).
Result<std::int64_t> parse_time_arg(const std::string& text, bool end, std::string_view flag) {
  const auto bad = [&] {
    return fail(errc::invalid_argument,
                std::string(flag) + ": \"" + text +
                    "\" is not Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC)");
  };
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    std::int64_t value = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || p != text.data() + text.size())
      return bad();
    return value;
  }
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  const int n =
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail);
  const bool date_only = n == 3 && text.size() == 10;
  const bool minutes = n == 5 && text.size() == 16;
  const bool seconds = n == 6 && text.size() == 19;
  if (!date_only && !minutes && !seconds)
    return bad();
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ||
      h < 0 || mi < 0 || s < 0)
    return bad();
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = date_only && end ? 23 : h;
  tm.tm_min = date_only && end ? 59 : mi;
  tm.tm_sec = date_only && end ? 59 : s;
  const std::time_t t = ::timegm(&tm);
  if (t < 0)
    return bad();
  return static_cast<std::int64_t>(t);
}

int list_nodes(Context& ctx, FleetOptions& o) {
  if (o.online == "yes")
    o.nodes.online = true;
  else if (o.online == "no")
    o.nodes.online = false;
  o.nodes.start_id = o.start;
  o.nodes.num_records = o.limit;
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto page = s->fleet_nodes(o.nodes);
  if (!page)
    return ctx.report_call(page.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  if (page->nodes.empty()) {
    ctx.out() << "no nodes\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : page->nodes) {
    rows.push_back({n.node_id, dash(n.model), dash(n.type), dash(n.fw_version),
                    n.online ? "online" : "offline",
                    n.primary_user_name.empty() ? dash(n.primary_user_id) : n.primary_user_name,
                    std::to_string(n.user_count)});
  }
  ctx.out() << render_table(
      {"NODE ID", "MODEL", "TYPE", "FW VERSION", "STATE", "PRIMARY USER", "USERS"}, rows);
  if (!page->next_id.empty())
    ctx.out() << "more: --start " << page->next_id << '\n';
  return 0;
}

std::string audit_table(const std::vector<client::AuditRecord>& records,
                        std::chrono::system_clock::time_point now) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : records) {
    rows.push_back({std::to_string(r.audit_id), format_local_time(from_ms(r.timestamp_ms), now),
                    r.actor_kind + (r.actor_id.empty() ? "" : ":" + r.actor_id), r.action,
                    r.object_id.empty() ? "-" : r.object_kind + ":" + r.object_id,
                    dash(r.remote_address), r.outcome, dash(r.detail)});
  }
  return render_table({"ID", "TIME", "ACTOR", "ACTION", "OBJECT", "FROM", "OUTCOME", "DETAIL"},
                      rows);
}

int show_node(Context& ctx, const FleetOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto d = s->fleet_node(o.node_id);
  if (!d)
    return ctx.report_call(d.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  const auto now = ctx.clock().now();
  const auto& n = d->node;
  ctx.out() << key_values(
      {{"node_id", n.node_id},
       {"name", dash(n.name)},
       {"model", dash(n.model)},
       {"type", dash(n.type)},
       {"fw_version", dash(n.fw_version)},
       {"platform", dash(n.platform)},
       {"state",
        std::string(n.online ? "online" : "offline") +
            (n.connectivity_ms > 0 ? " since " + format_local_time(from_ms(n.connectivity_ms), now)
                                   : "")}});
  ctx.out() << "\nusers:\n";
  if (d->users.empty()) {
    ctx.out() << "  none\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& u : d->users)
      rows.push_back({u.user_id, dash(u.user_name), u.role});
    ctx.out() << render_table({"USER ID", "USER NAME", "ROLE"}, rows);
  }
  ctx.out() << "\nhistory (newest first):\n";
  if (d->history.empty())
    ctx.out() << "  none\n";
  else
    ctx.out() << audit_table(d->history, now);
  return 0;
}

int unmap_node(Context& ctx, const FleetOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto removed = s->unmap_node(o.node_id);
  if (!removed)
    return ctx.report_call(removed.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "unmapped node " << o.node_id << " from " << *removed
            << (*removed == 1 ? " user\n" : " users\n");
  return 0;
}

int set_primary(Context& ctx, const FleetOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->set_primary_user(o.node_id, o.user); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << o.user << " is now the primary user of node " << o.node_id << '\n';
  return 0;
}

std::string quota_text(const client::UserSummary& u) {
  const std::string effective =
      u.effective_quota == 0 ? "unlimited" : std::to_string(u.effective_quota);
  return std::to_string(u.primary_nodes) + " / " + effective + (u.node_quota ? "" : " (default)");
}

int list_users(Context& ctx, const FleetOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto page = s->admin_users(o.start, o.limit);
  if (!page)
    return ctx.report_call(page.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  if (page->users.empty()) {
    ctx.out() << "no users\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : page->users) {
    std::string state = u.disabled ? "disabled" : (u.verified ? "active" : "unverified");
    if (u.super_admin)
      state += ", admin";
    rows.push_back({u.user_name, u.user_id, state, quota_text(u)});
  }
  ctx.out() << render_table({"USER NAME", "USER ID", "STATE", "NODES / QUOTA"}, rows);
  if (!page->next_id.empty())
    ctx.out() << "more: --start " << page->next_id << '\n';
  return 0;
}

int set_disabled(Context& ctx, const FleetOptions& o, bool disabled) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->set_user_disabled(o.user, disabled); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << (disabled ? "disabled " : "enabled ") << o.user
            << (disabled ? " (its sessions were ended)\n" : "\n");
  return 0;
}

int set_quota(Context& ctx, const FleetOptions& o) {
  std::optional<std::int64_t> quota;
  if (o.quota != "default") {
    std::int64_t value = -1;
    const auto [p, ec] = std::from_chars(o.quota.data(), o.quota.data() + o.quota.size(), value);
    if (ec != std::errc() || p != o.quota.data() + o.quota.size() || value < 0) {
      return ctx.report(Error{errc::invalid_argument,
                              "quota must be a whole number (0 = unlimited) or \"default\"", 0});
    }
    quota = value;
  }
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto user = s->set_user_quota(o.user, quota);
  if (!user)
    return ctx.report_call(user.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << user->user_name << ": nodes / quota " << quota_text(*user) << '\n';
  return 0;
}

int audit(Context& ctx, const FleetOptions& o) {
  client::AuditQuery q;
  q.actor = o.actor;
  q.object = o.object;
  q.action = o.action;
  q.start_id = o.start;
  q.num_records = o.limit;
  if (!o.from.empty()) {
    auto from = parse_time_arg(o.from, false, "--from");
    if (!from)
      return ctx.report(from.error());
    q.from_s = *from;
  }
  if (!o.to.empty()) {
    auto to = parse_time_arg(o.to, true, "--to");
    if (!to)
      return ctx.report(to.error());
    q.to_s = *to;
  }
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto page = s->audit_log(q);
  if (!page)
    return ctx.report_call(page.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  if (page->records.empty()) {
    ctx.out() << "no audit records\n";
    return 0;
  }
  ctx.out() << audit_table(page->records, ctx.clock().now());
  if (!page->next_id.empty())
    ctx.out() << "more: --start " << page->next_id << '\n';
  return 0;
}

CLI::App* group(CLI::App& app, const std::string& name, const std::string& description) {
  const auto existing =
      app.get_subcommands([&](const CLI::App* sub) { return sub->get_name() == name; });
  if (!existing.empty())
    return existing.front();
  auto* created = app.add_subcommand(name, description);
  created->require_subcommand(1);
  return created;
}

}  // namespace

void add_fleet_admin(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<FleetOptions>();

  auto* node = group(app, "node", "Nodes of the fleet: list, show, unmap, set the primary user");
  auto* list = node->add_subcommand("list", "List nodes (every filter must match)");
  list->add_option("--model", o->nodes.model, "Only nodes of this model");
  list->add_option("--type", o->nodes.type, "Only nodes of this type");
  list->add_option("--fw-version", o->nodes.fw_version, "Only nodes running this version");
  list->add_option("--user", o->nodes.user, "Only nodes of this user (user id or user name)");
  list->add_option("--id-prefix", o->nodes.id_prefix, "Only node ids starting with this");
  list->add_option("--online", o->online, "yes: only online nodes; no: only offline ones")
      ->check(CLI::IsMember({"yes", "no"}));
  list->add_option("--start", o->start, "Start at this node id (from a previous page's \"more\")");
  list->add_option("--limit", o->limit, "Nodes per page, 1-100 (default 25)")
      ->check(CLI::Range(1, 100));
  ctx.on(*list, [&ctx, o] { return list_nodes(ctx, *o); });

  auto* show = node->add_subcommand("show", "A node with its users and its audit history");
  show->add_option("node_id", o->node_id, "Node ID")->required();
  ctx.on(*show, [&ctx, o] { return show_node(ctx, *o); });

  auto* unmap = node->add_subcommand(
      "unmap", "Remove every user of a node (as a factory reset would); their slots come back");
  unmap->add_option("node_id", o->node_id, "Node ID")->required();
  ctx.on(*unmap, [&ctx, o] { return unmap_node(ctx, *o); });

  auto* primary = node->add_subcommand(
      "set-primary", "Make a user the node's only primary user (secondary users stay)");
  primary->add_option("node_id", o->node_id, "Node ID")->required();
  primary->add_option("user", o->user, "User id or user name")->required();
  ctx.on(*primary, [&ctx, o] { return set_primary(ctx, *o); });

  auto* user = group(app, "user", "Users: list, disable, enable, node quota");
  auto* users = user->add_subcommand("list", "List users with their state and node quota");
  users->add_option("--start", o->start, "Start at this user name (from a previous page)");
  users->add_option("--limit", o->limit, "Users per page, 1-100 (default 25)")
      ->check(CLI::Range(1, 100));
  ctx.on(*users, [&ctx, o] { return list_users(ctx, *o); });

  auto* disable = user->add_subcommand(
      "disable",
      "Disable a user: its sessions end, it cannot log in, its queued sets and commands are "
      "dropped, and its automations, webhooks and alert mail stop until it is enabled");
  disable->add_option("user", o->user, "User id or user name")->required();
  ctx.on(*disable, [&ctx, o] { return set_disabled(ctx, *o, true); });

  auto* enable = user->add_subcommand("enable", "Enable a disabled user");
  enable->add_option("user", o->user, "User id or user name")->required();
  ctx.on(*enable, [&ctx, o] { return set_disabled(ctx, *o, false); });

  auto* quota = user->add_subcommand(
      "quota", "Set how many nodes a user may hold as primary user (0 = unlimited)");
  quota->add_option("user", o->user, "User id or user name")->required();
  quota
      ->add_option("quota", o->quota,
                   "A whole number, or \"default\" for accounts.default_node_quota")
      ->required();
  ctx.on(*quota, [&ctx, o] { return set_quota(ctx, *o); });

  auto* log = app.add_subcommand("audit", "The audit log: who did what, newest first");
  log->add_option("--actor", o->actor, "Only this actor (user id or node id)");
  log->add_option("--object", o->object, "Only this object (node id, user id, job id, ...)");
  log->add_option("--action", o->action,
                  "Only this action, or a dotted prefix (\"ota\" for every ota.*)");
  log->add_option("--from", o->from,
                  "From this time: Unix seconds, YYYY-MM-DD or "
                  "YYYY-MM-DDTHH:MM[:SS] (UTC)");
  log->add_option("--to", o->to, "Up to this time (inclusive), same forms as --from");
  log->add_option("--start", o->start, "Start at this audit id (from a previous page)");
  log->add_option("--limit", o->limit, "Records per page, 1-100 (default 25)")
      ->check(CLI::Range(1, 100));
  ctx.on(*log, [&ctx, o] { return audit(ctx, *o); });
}

}  // namespace stratus::cli::detail
