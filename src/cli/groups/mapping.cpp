// The user-node mapping commands: removenode, test --addnode.
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "client/jwt.hpp"
#include "core/random.hpp"

namespace stratus::cli::detail {
namespace {

using namespace std::chrono_literals;

struct MappingOptions {
  std::string node_id;   // removenode
  std::string add_node;  // test --addnode
  int timeout_s = 120;
};

int remove_node(Context& ctx, const MappingOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->remove_mapping(o.node_id); !r)
    return ctx.report_call(r.error());
  ctx.out() << "removed node " << o.node_id << '\n';
  return 0;
}

// Asks the server for a mapping, prints the node's `add-user` console line and polls
// once a second until the node confirms it, the request ends, or `--timeout` passes.
int add_node(Context& ctx, const MappingOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto claims = client::decode_token_claims(s->tokens().id_token);
  if (!claims || claims->user_id.empty()) {
    return ctx.report(Error{errc::unauthenticated,
                            "the stored id token has no custom:user_id; " + std::string(kLoginHint),
                            0});
  }
  const std::string secret = uuid_v4();
  auto request_id = s->add_mapping(o.add_node, secret, claims->user_id);
  if (!request_id)
    return ctx.report_call(request_id.error());
  ctx.out() << "add-user " << claims->user_id << ' ' << secret << '\n' << std::flush;
  const auto deadline = ctx.clock().steady_now() + std::chrono::seconds(o.timeout_s);
  for (;;) {
    auto status = s->mapping_status(*request_id);
    if (!status)
      return ctx.report_call(status.error());
    switch (*status) {
      case client::MappingStatus::confirmed:
        ctx.out() << "node " << o.add_node << " is now mapped to "
                  << (claims->account_name().empty() ? claims->user_id : claims->account_name())
                  << '\n';
        return 0;
      case client::MappingStatus::timedout:
        return ctx.report(Error{
            errc::timeout,
            "the mapping request " + *request_id + " timed out: the node did not confirm it", 0});
      case client::MappingStatus::discarded:
        return ctx.report(
            Error{errc::conflict, "the mapping request " + *request_id + " was discarded", 0});
      case client::MappingStatus::requested:
        break;
    }
    if (ctx.clock().steady_now() >= deadline) {
      return ctx.report(Error{errc::timeout,
                              "the node did not confirm the mapping within " +
                                  std::to_string(o.timeout_s) +
                                  " s; enter the add-user line on the node's console",
                              0});
    }
    ctx.sleep(1s);
  }
}

}  // namespace

void add_mapping(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<MappingOptions>();

  auto* remove = app.add_subcommand("removenode", "Remove a node from your account");
  remove->add_option("nodeid", o->node_id, "Node id")->required();
  ctx.on(*remove, [&ctx, o] { return remove_node(ctx, *o); });

  auto* test = app.add_subcommand("test", "Map a node with the add-user console command");
  test->add_option("--addnode", o->add_node, "Node id to add")->required();
  test->add_option("--timeout", o->timeout_s, "Seconds to wait for the node's confirmation")
      ->check(CLI::Range(1, 3600));
  ctx.on(*test, [&ctx, o] { return add_node(ctx, *o); });
}

}  // namespace stratus::cli::detail
