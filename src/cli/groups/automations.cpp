// `stratus automations add|get|edit|remove` with the RainMaker CLI's options
// (docs/research/rainmaker-automations.md §1; rainmaker-cloud.md §3): events and actions
// are JSON as the user types them, `--location lat,long`, `--event-operator AND|OR`.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "core/strings.hpp"
#include "proto/rest/json.hpp"

namespace stratus::cli::detail {
namespace {

namespace json = boost::json;

struct AutomationOptions {
  std::string id;
  std::string name;
  std::string event_type;
  std::vector<std::string> events;
  std::string action;
  std::string node_id;
  std::string location;
  std::string event_operator;
  std::string metadata;
  bool retrigger = false, no_retrigger = false;
  bool enabled = false, disabled = false;
};

// Reads the typed options into request fields. Errors name the option.
Result<client::AutomationFields> fields_of(const AutomationOptions& o) {
  client::AutomationFields f;
  if (!o.name.empty())
    f.name = o.name;
  if (!o.node_id.empty())
    f.node_id = o.node_id;
  if (!o.event_operator.empty())
    f.event_operator = o.event_operator == "AND" || o.event_operator == "and" ? "and" : "or";
  if (!o.location.empty()) {
    const auto parts = split_list(o.location);
    if (parts.size() != 2)
      return fail(errc::invalid_argument, "--location takes latitude,longitude");
    f.location = proto::rest::AutomationLocation{parts[0], parts[1]};
  }
  if (!o.events.empty()) {
    std::vector<proto::rest::AutomationEvent> events;
    for (const auto& text : o.events) {
      auto v = proto::rest::parse_object_body(text);
      if (!v)
        return fail(errc::invalid_argument, "--event: " + v.error().context);
      json::object body{{"events", json::array{*v}}};
      auto parsed = proto::rest::parse_automation_fields(body);
      if (!parsed)
        return fail(errc::invalid_argument, "--event: " + parsed.error().context);
      events.push_back(parsed->events->front());
    }
    f.events = std::move(events);
  }
  if (!o.action.empty()) {
    auto v = proto::rest::parse_body(o.action);
    if (!v)
      return fail(errc::invalid_argument, "--action: " + v.error().context);
    auto parsed = proto::rest::parse_automation_fields(json::object{{"actions", *v}});
    if (!parsed)
      return fail(errc::invalid_argument, "--action: " + parsed.error().context);
    f.actions = std::move(parsed->actions);
  }
  if (!o.metadata.empty()) {
    auto v = proto::rest::parse_body(o.metadata);
    if (!v)
      return fail(errc::invalid_argument, "--metadata: " + v.error().context);
    f.metadata_json = json::serialize(*v);
  }
  if (o.retrigger || o.no_retrigger)
    f.retrigger = o.retrigger;
  if (o.enabled || o.disabled)
    f.enabled = o.enabled;
  return f;
}

int add(Context& ctx, const AutomationOptions& o) {
  // The RainMaker CLI's checks, before anything is sent.
  if (o.event_type == "params" && o.node_id.empty())
    return ctx.report(
        Error{errc::invalid_argument, "--node-id is needed with --event-type params"});
  if (o.event_type != "params" && o.location.empty()) {
    return ctx.report(
        Error{errc::invalid_argument, "--location is needed with --event-type " + o.event_type});
  }
  if (o.events.size() > 1 && o.event_operator.empty())
    return ctx.report(
        Error{errc::invalid_argument, "--event-operator is needed with several --event"});
  auto f = fields_of(o);
  if (!f)
    return ctx.report(f.error());
  f->event_type = o.event_type == "params" ? "node_params" : o.event_type;
  f->retrigger = o.retrigger;
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto id = s->create_automation(*f);
  if (!id)
    return ctx.report_call(id.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "automation created: " << *id << '\n';
  return 0;
}

int edit(Context& ctx, const AutomationOptions& o) {
  auto f = fields_of(o);
  if (!f)
    return ctx.report(f.error());
  if (f->empty()) {
    ctx.out() << "No fields to update: give --name, --event, --action, … (see --help)\n";
    return 0;
  }
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->update_automation(o.id, *f); !r)
    return ctx.report_call(r.error());
  ctx.out() << "automation updated: " << o.id << '\n';
  return 0;
}

int remove(Context& ctx, const AutomationOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->remove_automation(o.id); !r)
    return ctx.report_call(r.error());
  ctx.out() << "automation removed: " << o.id << '\n';
  return 0;
}

std::string trigger_text(const client::Automation& a) {
  if (a.event_type == "node_params")
    return a.node_id;
  if (a.location)
    return a.event_type + " at " + a.location->latitude + "," + a.location->longitude;
  return a.event_type;
}

int get(Context& ctx, const AutomationOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto list = s->automations(o.node_id, o.id);
  if (!list)
    return ctx.report_call(list.error());
  if (ctx.json()) {
    json::array items;
    for (const auto& a : *list)
      items.push_back(proto::rest::to_json(a));
    ctx.print_json(json::serialize(items));
    return 0;
  }
  if (list->empty()) {
    ctx.out() << "No automations found.\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = std::chrono::system_clock::now();
  for (const auto& a : *list) {
    std::string last = "never";
    if (a.last_triggered) {
      const auto at = std::chrono::system_clock::time_point(
          std::chrono::milliseconds(a.last_triggered->timestamp_ms));
      last = format_local_time(at, now) + " (" + a.last_triggered->cause + ")";
    }
    rows.push_back({a.automation_id, a.name, trigger_text(a),
                    a.status.empty() ? (a.enabled ? "enabled" : "disabled") : a.status, last});
  }
  ctx.out() << render_table({"AUTOMATION ID", "NAME", "TRIGGER", "STATE", "LAST TRIGGERED"}, rows);
  if (!o.id.empty()) {
    const auto& a = list->front();
    for (const auto& e : a.events)
      ctx.out() << "event:  " << e.params_json << " " << e.check << '\n';
    for (const auto& act : a.actions)
      ctx.out() << "action: " << act.node_id << " " << act.params_json << '\n';
    if (a.last_triggered)
      ctx.out() << "last results: " << a.last_triggered->results_json << '\n';
  }
  return 0;
}

}  // namespace

void add_automations(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("automations", "Cloud automations: when X, set Y");
  group->require_subcommand(1);
  auto o = std::make_shared<AutomationOptions>();

  auto* add_cmd = group->add_subcommand("add", "Add an automation");
  add_cmd->add_option("--name", o->name, "Name of the automation")->required();
  add_cmd->add_option("--event-type", o->event_type, "Event type")
      ->required()
      ->check(CLI::IsMember({"params", "weather", "daylight"}));
  add_cmd
      ->add_option("--event", o->events,
                   R"(Event JSON, repeatable: '{"params":{"Light":{"Power":true}},"check":"=="}')")
      ->required();
  add_cmd
      ->add_option(
          "--action", o->action,
          R"(Action JSON (object or array): '{"node_id":"…","params":{"Light":{"Power":true}}}')")
      ->required();
  add_cmd->add_option("--node-id", o->node_id, "Trigger node (event type params)");
  add_cmd->add_option("--location", o->location, "latitude,longitude (weather, daylight)");
  add_cmd->add_option("--event-operator", o->event_operator, "With several events")
      ->check(CLI::IsMember({"AND", "OR", "and", "or"}));
  add_cmd->add_flag("--retrigger", o->retrigger, "Fire again on each report while true");
  add_cmd->add_option("--metadata", o->metadata, "Metadata as JSON");
  ctx.on(*add_cmd, [&ctx, o] { return add(ctx, *o); });

  auto* edit_cmd = group->add_subcommand("edit", "Change an automation");
  edit_cmd->add_option("--id", o->id, "Automation ID")->required();
  edit_cmd->add_option("--name", o->name, "New name");
  edit_cmd->add_option("--node-id", o->node_id, "New trigger node");
  edit_cmd->add_option("--location", o->location, "latitude,longitude");
  edit_cmd->add_option("--metadata", o->metadata, "Metadata as JSON");
  edit_cmd->add_option("--event", o->events, "Event JSON, repeatable (replaces all)");
  edit_cmd->add_option("--action", o->action, "Action JSON (replaces all)");
  edit_cmd->add_option("--event-operator", o->event_operator, "AND or OR")
      ->check(CLI::IsMember({"AND", "OR", "and", "or"}));
  auto* re = edit_cmd->add_flag("--retrigger", o->retrigger, "Enable retriggering");
  edit_cmd->add_flag("--no-retrigger", o->no_retrigger, "Disable retriggering")->excludes(re);
  auto* en = edit_cmd->add_flag("--enabled", o->enabled, "Enable the automation");
  edit_cmd->add_flag("--disabled", o->disabled, "Disable the automation")->excludes(en);
  ctx.on(*edit_cmd, [&ctx, o] { return edit(ctx, *o); });

  auto* remove_cmd = group->add_subcommand("remove", "Remove an automation");
  remove_cmd->add_option("--id", o->id, "Automation ID to remove")->required();
  ctx.on(*remove_cmd, [&ctx, o] { return remove(ctx, *o); });

  auto* get_cmd = group->add_subcommand("get", "List automations, or show one");
  get_cmd->add_option("--id", o->id, "Automation ID (omit to list all)");
  get_cmd->add_option("--node-id", o->node_id, "Only automations of this trigger node");
  ctx.on(*get_cmd, [&ctx, o] { return get(ctx, *o); });
}

}  // namespace stratus::cli::detail
