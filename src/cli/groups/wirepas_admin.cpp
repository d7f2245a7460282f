// `stratus-admin wirepas …` (issue 20 item 3, docs/adr/0018): the Wirepas gateways and
// operators allowed on the embedded broker's Wirepas listener. `add` prints the generated
// password once; nothing can show it again.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"

namespace stratus::cli::detail {
namespace {

struct WirepasOptions {
  std::string name;
};

int add(Context& ctx, const WirepasOptions& o, std::string_view role) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto issued = s->add_wirepas_credential(role, o.name);
  if (!issued)
    return ctx.report_call(issued.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  const auto& c = issued->credential;
  ctx.out() << "Wirepas " << c.role << " \"" << c.name
            << "\" added. Its MQTT credentials, shown only now:\n"
            << "  mqtt_username: " << c.name << '\n'
            << "  mqtt_password: " << issued->password << '\n';
  if (c.role == "gateway")
    ctx.out() << "The gateway must use its gateway id as MQTT client id (the reference gateway "
                 "does).\n";
  return 0;
}

int list(Context& ctx) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto all = s->wirepas_credentials();
  if (!all)
    return ctx.report_call(all.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  if (all->empty()) {
    ctx.out() << "no Wirepas gateways or operators\n";
    return 0;
  }
  const auto now = ctx.clock().now();
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *all) {
    rows.push_back(
        {c.name, c.role,
         format_local_time(
             std::chrono::system_clock::time_point(std::chrono::milliseconds(c.created_ms)), now),
         c.created_by.empty() ? "-" : c.created_by});
  }
  ctx.out() << render_table({"NAME", "ROLE", "CREATED", "BY"}, rows);
  return 0;
}

int remove(Context& ctx, const WirepasOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto removed = s->remove_wirepas_credential(o.name); !removed)
    return ctx.report_call(removed.error());
  ctx.out() << "Removed \"" << o.name << "\"; the broker drops its sessions.\n";
  return 0;
}

}  // namespace

void add_wirepas_admin(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<WirepasOptions>();
  auto* wirepas = app.add_subcommand(
      "wirepas", "Wirepas gateways and operators on the embedded broker (wirepas.enabled)");
  wirepas->require_subcommand(1);

  auto* gateway = wirepas->add_subcommand("gateway", "Wirepas gateways");
  gateway->require_subcommand(1);
  auto* gateway_add = gateway->add_subcommand(
      "add",
      "Issue MQTT credentials to a gateway: it may publish its own gw-event and "
      "gw-response topics and receive its own gw-request topics");
  gateway_add->add_option("gw_id", o->name, "Gateway id (its MQTT user name and client id)")
      ->required();
  ctx.on(*gateway_add, [&ctx, o] { return add(ctx, *o, "gateway"); });

  auto* op = wirepas->add_subcommand("operator", "Wirepas operators (consoles, integrations)");
  op->require_subcommand(1);
  auto* op_add = op->add_subcommand(
      "add", "Issue MQTT credentials to an operator: it may use every gw-* topic");
  op_add->add_option("name", o->name, "Operator name (its MQTT user name)")->required();
  ctx.on(*op_add, [&ctx, o] { return add(ctx, *o, "operator"); });

  auto* ls = wirepas->add_subcommand("list", "List the gateways and operators");
  ctx.on(*ls, [&ctx] { return list(ctx); });

  auto* rm = wirepas->add_subcommand("remove", "Remove a gateway or operator");
  rm->add_option("name", o->name, "Gateway id or operator name")->required();
  ctx.on(*rm, [&ctx, o] { return remove(ctx, *o); });
}

}  // namespace stratus::cli::detail
