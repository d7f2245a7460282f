// The command-response commands (spec §3.5): create_cmd_request, get_cmd_requests.
#include <CLI/CLI.hpp>
#include <charconv>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "core/strings.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::cli::detail {
namespace {

struct CmdRequestOptions {
  std::string node_ids;  // create: comma-separated
  std::string cmd;
  std::string data;
  std::optional<int> timeout_s;
  bool is_base64 = false;
  bool override_pending = false;
  std::string request_id;  // get
  std::string node_id;
  std::string start_id;
  int num_records = 0;
};

// `create_cmd_request <nodes> <cmd> <data>`: data is JSON (an object or array is sent as
// JSON), or taken as a string.
int create_cmd_request(Context& ctx, const CmdRequestOptions& o) {
  int cmd = -1;
  const auto parsed = std::from_chars(o.cmd.data(), o.cmd.data() + o.cmd.size(), cmd);
  if (parsed.ec != std::errc{} || parsed.ptr != o.cmd.data() + o.cmd.size() || cmd < 0 ||
      cmd > proto::rest::limits::kMaxCommandId)
    return ctx.report(Error{errc::invalid_argument, "cmd must be a number 0..65535", 0});
  client::CommandRequest request;
  request.node_ids = split_list(o.node_ids);
  if (request.node_ids.empty())
    return ctx.report(Error{errc::invalid_argument, "no node id given", 0});
  request.cmd = cmd;
  request.data = o.data;
  if (o.timeout_s)
    request.timeout_s = *o.timeout_s;
  request.is_base64 = o.is_base64;
  request.override_pending = o.override_pending;
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto created = s->create_command_request(request);
  if (!created)
    return ctx.report_call(created.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  auto& out = ctx.out();
  out << "request " << created->request_id << '\n';
  if (created->all_sent()) {
    out << "sent to " << request.node_ids.size()
        << (request.node_ids.size() == 1 ? " node" : " nodes")
        << "; follow it with: stratus get_cmd_requests " << created->request_id << '\n';
    return 0;
  }
  bool refused = false;
  for (const auto& group : created->responses) {
    std::string nodes;
    for (const auto& id : group.node_ids)
      nodes += (nodes.empty() ? "" : ",") + id;
    out << "  " << nodes << ": " << group.description;
    if (!group.success)
      out << " (code " << group.error_code << ")";
    out << '\n';
    // An offline node keeps the request (delivered when it is back); anything else
    // (unknown node, no cmd-resp support) means the command will not reach that node.
    const bool kept = group.success || group.error_code == proto::rest::command_error::node_offline;
    refused = refused || !kept;
  }
  return refused ? 1 : 0;
}

int get_cmd_requests(Context& ctx, const CmdRequestOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto page = s->command_requests(o.request_id, o.node_id, o.start_id, o.num_records);
  if (!page)
    return ctx.report_call(page.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  auto& out = ctx.out();
  if (page->requests.empty()) {
    out << "no requests\n";
    return 0;
  }
  const auto now = ctx.clock().now();
  const auto when = [now](std::optional<std::int64_t> seconds) -> std::string {
    if (!seconds)
      return {};
    return format_local_time(std::chrono::system_clock::time_point(std::chrono::seconds(*seconds)),
                             now);
  };
  bool first = true;
  for (const auto& r : page->requests) {
    if (!first)
      out << '\n';
    first = false;
    std::vector<std::pair<std::string, std::string>> rows{{"request", r.request_id},
                                                          {"node", r.node_id},
                                                          {"cmd", std::to_string(r.cmd)},
                                                          {"status", r.status}};
    const std::pair<const char*, std::string> optional_rows[] = {
        {"device status", r.device_status ? std::to_string(*r.device_status) : std::string()},
        {"description", r.status_description},
        {"requested", when(r.request_timestamp_s)},
        {"answered", when(r.response_timestamp_s)},
        {"expires", when(r.expiration_timestamp_s)},
        {"request data", proto::rest::command_data_text(r.request_data_json)},
        {"response data", proto::rest::command_data_text(r.response_data_json)}};
    for (const auto& [label, value] : optional_rows) {
      if (!value.empty())
        rows.emplace_back(label, value);
    }
    out << key_values(rows);
  }
  if (!page->next_id.empty())
    out << "more: --start_id " << page->next_id << '\n';
  return 0;
}

}  // namespace

void add_cmd_requests(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CmdRequestOptions>();

  auto* create_cmd =
      app.add_subcommand("create_cmd_request", "Send a command to nodes (command-response)");
  create_cmd->add_option("nodes", o->node_ids, "Node ids, comma-separated (at most 25)")
      ->required();
  create_cmd->add_option("cmd", o->cmd, "Command id, 0..65535 (1 = set params)")->required();
  create_cmd
      ->add_option("data", o->data, R"(Data: JSON ('{"params":{"Light":{"Power":true}}}') or text)")
      ->required();
  create_cmd->add_option("--timeout", o->timeout_s,
                         "Seconds the request stays valid (1..2592000, -1 = until answered; "
                         "default 30)");
  create_cmd->add_flag("--base64", o->is_base64, "data is base64 of raw bytes");
  create_cmd->add_flag("--override", o->override_pending,
                       "Replace your pending requests with the same command to these nodes");
  ctx.on(*create_cmd, [&ctx, o] { return create_cmd_request(ctx, *o); });

  auto* get_cmds = app.add_subcommand("get_cmd_requests", "Show command requests and answers");
  get_cmds->add_option("request_id", o->request_id, "Request id from create_cmd_request")
      ->required();
  get_cmds->add_option("--node_id", o->node_id, "Only this node");
  get_cmds->add_option("--start_id", o->start_id, "Next page (from the previous answer)");
  get_cmds->add_option("--num_records", o->num_records, "Requests per page (1..100)");
  ctx.on(*get_cmds, [&ctx, o] { return get_cmd_requests(ctx, *o); });
}

}  // namespace stratus::cli::detail
