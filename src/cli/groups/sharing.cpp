// The sharing commands (spec rainmaker.md §4.3 rows `sharing` and `group sharing`):
// `sharing add_user|remove_user|accept|decline|cancel|list_nodes|list_requests` with the
// RainMaker CLI's names and options, and the same verbs under `group sharing` for groups.
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "core/strings.hpp"

namespace stratus::cli::detail {
namespace {

using client::SharingKind;

struct SharingOptions {
  std::string user;
  std::string ids;  // --nodes / --groups, comma-separated
  int sub_role = 0;
  bool primary = false;
  bool transfer = false;
  std::string new_role;
  std::string request_id;  // --id
  std::string only_id;     // list: --node / --group-id
  bool sent = false;       // list_requests --primary_user
};

std::string_view noun(SharingKind kind, std::size_t n) {
  if (kind == SharingKind::node)
    return n == 1 ? "node" : "nodes";
  return n == 1 ? "group" : "groups";
}

int add_user(Context& ctx, SharingKind kind, const SharingOptions& o) {
  client::ShareRequest request;
  request.ids = split_list(o.ids);
  if (request.ids.empty())
    return ctx.report(Error{errc::invalid_argument, "no id given", 0});
  request.user_name = o.user;
  request.sub_role = o.sub_role;
  request.primary = o.primary;
  request.transfer = o.transfer;
  request.new_role = o.new_role;
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto created = s->share(kind, request);
  if (!created)
    return ctx.report_call(created.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << created->description << '\n'
            << key_values({{"request id", created->request_id},
                           {noun(kind, request.ids.size()).data(), list_text(request.ids)},
                           {"user", o.user}});
  return 0;
}

int remove_user(Context& ctx, SharingKind kind, const SharingOptions& o) {
  const auto ids = split_list(o.ids);
  if (ids.empty())
    return ctx.report(Error{errc::invalid_argument, "no id given", 0});
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->unshare(kind, ids, o.user); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << o.user << " no longer has access to " << noun(kind, ids.size()) << ' '
            << list_text(ids) << '\n';
  return 0;
}

int answer(Context& ctx, SharingKind kind, const SharingOptions& o, bool accept) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->answer_sharing_request(kind, o.request_id, accept); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "request " << o.request_id << (accept ? " accepted" : " declined") << '\n';
  return 0;
}

int cancel(Context& ctx, SharingKind kind, const SharingOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->cancel_sharing_request(kind, o.request_id); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "request " << o.request_id << " cancelled\n";
  return 0;
}

int list_users(Context& ctx, SharingKind kind, const SharingOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto users = s->sharing_users(kind, o.only_id);
  if (!users)
    return ctx.report_call(users.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  if (users->empty()) {
    ctx.out() << "no " << noun(kind, 2) << '\n';
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : *users)
    rows.push_back({u.id, list_text(u.primary), list_text(u.secondary)});
  ctx.out() << render_table(
      {kind == SharingKind::node ? "NODE ID" : "GROUP ID", "PRIMARY", "SECONDARY"}, rows);
  return 0;
}

int list_requests(Context& ctx, SharingKind kind, const SharingOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto page = s->sharing_requests(kind, o.sent, o.request_id);
  if (!page)
    return ctx.report_call(page.error());
  if (ctx.json()) {
    ctx.print_json(proto::rest::json_text(*page, kind));
    return 0;
  }
  if (page->requests.empty()) {
    ctx.out() << (o.sent ? "no requests sent\n" : "no requests received\n");
    return 0;
  }
  const auto now = ctx.clock().now();
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : page->requests) {
    std::string what =
        list_text(kind == SharingKind::group && !r.group_names.empty() ? r.group_names : r.ids);
    std::string role = r.user_role.empty() ? "secondary" : r.user_role;
    if (r.transfer)
      role = "primary (transfer)";
    rows.push_back(
        {r.request_id, o.sent ? r.user_name : r.primary_user_name, what, role, r.status,
         format_local_time(
             std::chrono::system_clock::time_point(std::chrono::seconds(r.timestamp_s)), now)});
  }
  ctx.out() << render_table(
      {"REQUEST ID", o.sent ? "TO" : "FROM", kind == SharingKind::node ? "NODES" : "GROUPS", "ROLE",
       "STATUS", "SENT"},
      rows);
  return 0;
}

}  // namespace

void add_sharing_commands(CLI::App& parent, Context& ctx, client::SharingKind kind) {
  auto o = std::make_shared<SharingOptions>();
  const bool nodes = kind == SharingKind::node;
  // The RainMaker CLI's node verbs use underscores; group sharing follows spec §4.3.
  const auto name = [nodes](std::string_view node_name, std::string_view group_name) {
    return std::string(nodes ? node_name : group_name);
  };
  const std::string ids_flag = nodes ? "--nodes" : "--groups";

  auto* add = parent.add_subcommand(name("add_user", "add"),
                                    nodes ? "Share nodes with a user (they accept the request)"
                                          : "Share groups with a user (they accept the request)");
  add->add_option("--user", o->user, "User name (e-mail or phone number) to share with")
      ->required();
  add->add_option(ids_flag, o->ids, "Comma-separated ids (no spaces)")->required();
  add->add_option("--sub_role", o->sub_role, "Sub-role 1-4 of the new user")
      ->check(CLI::Range(1, 4));
  add->add_flag("--primary", o->primary, "Make the user a primary user");
  add->add_flag("--transfer", o->transfer, "Transfer your primary role to the user");
  add->add_option("--new_role", o->new_role, "Your role after a transfer (secondary)")
      ->check(CLI::IsMember({"secondary"}));
  ctx.on(*add, [&ctx, kind, o] { return add_user(ctx, kind, *o); });

  auto* remove = parent.add_subcommand(name("remove_user", "remove"),
                                       "Remove a user's access (your own name: leave)");
  remove->add_option("--user", o->user, "User name to remove")->required();
  remove->add_option(ids_flag, o->ids, "Comma-separated ids (no spaces)")->required();
  ctx.on(*remove, [&ctx, kind, o] { return remove_user(ctx, kind, *o); });

  auto* accept = parent.add_subcommand("accept", "Accept a sharing request sent to you");
  accept->add_option("--id", o->request_id, "Request id")->required();
  ctx.on(*accept, [&ctx, kind, o] { return answer(ctx, kind, *o, true); });

  auto* decline = parent.add_subcommand("decline", "Decline a sharing request sent to you");
  decline->add_option("--id", o->request_id, "Request id")->required();
  ctx.on(*decline, [&ctx, kind, o] { return answer(ctx, kind, *o, false); });

  auto* cancel_cmd = parent.add_subcommand("cancel", "Cancel a sharing request you sent");
  cancel_cmd->add_option("--id", o->request_id, "Request id")->required();
  ctx.on(*cancel_cmd, [&ctx, kind, o] { return cancel(ctx, kind, *o); });

  auto* list =
      parent.add_subcommand(name("list_nodes", "list"), nodes ? "Who has access to your nodes"
                                                              : "Who has access to your groups");
  list->add_option(nodes ? "--node" : "--group-id", o->only_id, "Only this one");
  ctx.on(*list, [&ctx, kind, o] { return list_users(ctx, kind, *o); });

  auto* requests = parent.add_subcommand(name("list_requests", "list-requests"),
                                         "Sharing requests received (or sent: --primary_user)");
  requests->add_flag("--primary_user", o->sent, "Requests you sent, as a primary user");
  requests->add_option("--id", o->request_id, "Only this request");
  ctx.on(*requests, [&ctx, kind, o] { return list_requests(ctx, kind, *o); });
}

void add_sharing(CLI::App& app, Context& ctx) {
  auto* sharing = app.add_subcommand("sharing", "Share nodes with other users");
  sharing->require_subcommand(1);
  add_sharing_commands(*sharing, ctx, SharingKind::node);
}

}  // namespace stratus::cli::detail
