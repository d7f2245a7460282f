// The command-response commands (spec §3.5): create_cmd_request, get_cmd_requests.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "core/strings.hpp"

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

// `create_cmd_request <nodes> <cmd> <data>`: data is JSON, or taken as a string.
int create_cmd_request(Context& ctx, const CmdRequestOptions& o) {
  int cmd = -1;
  const auto parsed = std::from_chars(o.cmd.data(), o.cmd.data() + o.cmd.size(), cmd);
  if (parsed.ec != std::errc{} || parsed.ptr != o.cmd.data() + o.cmd.size() || cmd < 0 ||
      cmd > 65535)
    return ctx.report(Error{errc::invalid_argument, "cmd must be a number 0..65535", 0});
  client::CommandRequestSpec spec;
  spec.node_ids = split_list(o.node_ids);
  if (spec.node_ids.empty())
    return ctx.report(Error{errc::invalid_argument, "no node id given", 0});
  spec.cmd = cmd;
  std::error_code json_error;
  (void)boost::json::parse(o.data, json_error);
  spec.data_json = json_error ? boost::json::serialize(boost::json::string(o.data)) : o.data;
  spec.timeout_s = o.timeout_s;
  spec.is_base64 = o.is_base64;
  spec.override_pending = o.override_pending;
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto answer = s->create_command_request(spec);
  if (!answer)
    return ctx.report_call(answer.error());
  if (ctx.json()) {
    ctx.print_json(answer->body);
    return 0;
  }
  auto& out = ctx.out();
  std::error_code ec;
  const auto body = boost::json::parse(answer->body, ec);
  const auto* object = ec ? nullptr : body.if_object();
  const auto* id = object != nullptr ? object->if_contains("request_id") : nullptr;
  out << "request " << (id != nullptr && id->is_string() ? std::string(id->get_string()) : "?")
      << '\n';
  const auto* responses = object != nullptr ? object->if_contains("responses") : nullptr;
  if (responses == nullptr || !responses->is_array()) {
    out << "sent to " << spec.node_ids.size() << (spec.node_ids.size() == 1 ? " node" : " nodes")
        << "; follow it with: stratus get_cmd_requests "
        << (id != nullptr && id->is_string() ? std::string(id->get_string()) : "<id>") << '\n';
    return 0;
  }
  constexpr std::int64_t kNodeOffline = 131112;  // spec §3.5
  bool refused = false;
  for (const auto& entry : responses->get_array()) {
    const auto* e = entry.if_object();
    if (e == nullptr)
      continue;
    std::string nodes;
    if (const auto* list = e->if_contains("node_ids"); list != nullptr && list->is_array())
      for (const auto& n : list->get_array())
        nodes += (nodes.empty() ? "" : ",") + std::string(n.is_string() ? n.get_string() : "?");
    const auto* r = e->if_contains("response");
    const auto* ro = r != nullptr ? r->if_object() : nullptr;
    const auto* d = ro != nullptr ? ro->if_contains("description") : nullptr;
    const auto* c = ro != nullptr ? ro->if_contains("error_code") : nullptr;
    out << "  " << nodes << ": "
        << (d != nullptr && d->is_string() ? std::string(d->get_string()) : "failure");
    if (c != nullptr && !c->is_null())
      out << " (code " << boost::json::serialize(*c) << ")";
    out << '\n';
    // An offline node keeps the request (delivered when it is back); anything else
    // (unknown node, no cmd-resp support) means the command will not reach that node.
    const bool kept = c != nullptr && ((c->is_int64() && c->get_int64() == kNodeOffline) ||
                                       (c->is_string() && c->get_string() == "131112"));
    refused = refused || !kept;
  }
  return refused ? 1 : 0;
}

int get_cmd_requests(Context& ctx, const CmdRequestOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto answer = s->command_requests(o.request_id, o.node_id, o.start_id, o.num_records);
  if (!answer)
    return ctx.report_call(answer.error());
  if (ctx.json()) {
    ctx.print_json(*answer);
    return 0;
  }
  auto& out = ctx.out();
  std::error_code ec;
  const auto body = boost::json::parse(*answer, ec);
  const auto* object = ec ? nullptr : body.if_object();
  const auto* requests = object != nullptr ? object->if_contains("requests") : nullptr;
  if (requests == nullptr || !requests->is_array() || requests->get_array().empty()) {
    out << "no requests\n";
    return 0;
  }
  const auto now = ctx.clock().now();
  auto text = [now](const boost::json::object& obj, std::string_view key) -> std::string {
    const auto* v = obj.if_contains(key);
    if (v == nullptr || v->is_null())
      return {};
    if (v->is_string())
      return std::string(v->get_string());
    if (v->is_int64() && (key.ends_with("_timestamp")))
      return format_local_time(
          std::chrono::system_clock::time_point(std::chrono::seconds(v->get_int64())), now);
    return boost::json::serialize(*v);
  };
  bool first = true;
  for (const auto& entry : requests->get_array()) {
    const auto* r = entry.if_object();
    if (r == nullptr)
      continue;
    if (!first)
      out << '\n';
    first = false;
    std::vector<std::pair<std::string, std::string>> rows{{"request", text(*r, "request_id")},
                                                          {"node", text(*r, "node_id")},
                                                          {"cmd", text(*r, "cmd")},
                                                          {"status", text(*r, "status")}};
    for (const auto& [label, key] : {std::pair{"device status", "device_status"},
                                     {"description", "status_description"},
                                     {"requested", "request_timestamp"},
                                     {"answered", "response_timestamp"},
                                     {"expires", "expiration_timestamp"},
                                     {"request data", "request_data"},
                                     {"response data", "response_data"}}) {
      if (auto v = text(*r, key); !v.empty())
        rows.emplace_back(label, std::move(v));
    }
    out << key_values(rows);
  }
  if (const auto* next = object->if_contains("next_id");
      next != nullptr && next->is_string() && !next->get_string().empty())
    out << "more: --start_id " << std::string(next->get_string()) << '\n';
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
