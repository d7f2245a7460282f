// The param commands: getparams, setparams.
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/files.hpp"
#include "cli/detail/groups.hpp"
#include "core/strings.hpp"

namespace stratus::cli::detail {
namespace {

struct ParamOptions {
  std::string node_id;   // getparams
  std::string node_ids;  // setparams: comma-separated
  std::string data;
  std::string filepath;
  LocalFlags local;  // --local …
};

int node_params(Context& ctx, const ParamOptions& o) {
  if (o.local.local)
    return local_get(ctx, o.node_id, o.local, "params");
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto params = s->node_params(o.node_id);
  if (!params)
    return ctx.report_call(params.error());
  ctx.print_json(*params);
  return 0;
}

int set_params(Context& ctx, const ParamOptions& o) {
  if (o.data.empty() && o.filepath.empty())
    return ctx.report(Error{errc::invalid_argument, "--data or --filepath is required", 0});
  std::string payload = o.data;
  if (!o.filepath.empty()) {
    auto text = read_text_file(o.filepath);
    if (!text)
      return ctx.report(text.error());
    payload = std::move(*text);
  }
  if (o.local.local)
    return local_set_params(ctx, o.node_ids, o.local, payload);
  const auto ids = split_list(o.node_ids);
  if (ids.empty())
    return ctx.report(Error{errc::invalid_argument, "no node id given", 0});
  std::vector<client::NodeParams> sets;
  for (const auto& id : ids)
    sets.push_back(client::NodeParams{id, payload});
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto outcomes = s->set_params(sets);
  if (!outcomes)
    return ctx.report_call(outcomes.error());
  std::size_t failed = 0;
  for (const auto& r : *outcomes)
    failed += r.success ? 0 : 1;
  if (ctx.json()) {
    ctx.print_json(s->last_body());
  } else {
    auto& out = ctx.out();
    for (const auto& r : *outcomes) {
      out << r.node_id << ": ";
      if (r.success) {
        out << (r.queued ? "queued (the node is offline; sent when it is back)" : "success");
      } else {
        out << "failure: " << r.description;
        if (r.error_code != 0)
          out << " (code " << r.error_code << ")";
      }
      out << '\n';
    }
  }
  if (failed != 0) {
    return ctx.report(Error{errc::invalid_argument,
                            std::to_string(failed) + " of " + std::to_string(outcomes->size()) +
                                (outcomes->size() == 1 ? " node" : " nodes") +
                                " refused the params",
                            0});
  }
  return 0;
}

}  // namespace

void add_params(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ParamOptions>();

  auto* params = app.add_subcommand("getparams", "Show a node's reported params");
  params->add_option("nodeid", o->node_id, "Node id")->required();
  add_local_flags(*params, o->local);
  ctx.on(*params, [&ctx, o] { return node_params(ctx, *o); });

  auto* set = app.add_subcommand("setparams", "Set params of one or more nodes");
  set->add_option("nodeid", o->node_ids, "Node ids, comma-separated")->required();
  auto* data = set->add_option("--data", o->data, R"(Params as JSON: '{"Light":{"Power":true}}')");
  auto* file = set->add_option("--filepath", o->filepath, "File holding the params JSON");
  data->excludes(file);
  add_local_flags(*set, o->local);
  ctx.on(*set, [&ctx, o] { return set_params(ctx, *o); });
}

}  // namespace stratus::cli::detail
