#include "proto/rest/automations.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

Result<std::vector<AutomationEvent>> read_events(const json::value& v) {
  if (!v.is_array())
    return fail(invalid_body("events must be an array"));
  std::vector<AutomationEvent> events;
  for (const auto& item : v.as_array()) {
    const auto* o = item.if_object();
    if (o == nullptr)
      return fail(invalid_body("each event must be an object"));
    const auto* params = o->if_contains("params");
    if (params == nullptr || !params->is_object())
      return fail(invalid_body("each event needs a params object"));
    AutomationEvent e{json::serialize(*params), "=="};
    if (const auto* check = o->if_contains("check"); check != nullptr && !check->is_null()) {
      if (!check->is_string())
        return fail(invalid_body("an event's check must be a string"));
      e.check = std::string(check->as_string());
    }
    events.push_back(std::move(e));
  }
  return events;
}

Result<std::vector<AutomationAction>> read_actions(const json::value& v) {
  if (!v.is_array())
    return fail(invalid_body("actions must be an array"));
  std::vector<AutomationAction> actions;
  for (const auto& item : v.as_array()) {
    const auto* o = item.if_object();
    if (o == nullptr)
      return fail(invalid_body("each action must be an object"));
    const auto* node = o->if_contains("node_id");
    const auto* params = o->if_contains("params");
    if (node == nullptr || !node->is_string() || node->as_string().empty())
      return fail(invalid_body("each action needs a node_id string"));
    if (params == nullptr || !params->is_object())
      return fail(invalid_body("each action needs a params object"));
    actions.push_back({std::string(node->as_string()), json::serialize(*params)});
  }
  return actions;
}

// A coordinate as text: a string as sent, or a JSON number's shortest text.
std::optional<std::string> coordinate(const json::value* v) {
  if (v == nullptr)
    return std::nullopt;
  if (v->is_string())
    return std::string(v->as_string());
  if (v->is_number())
    return json::serialize(*v);
  return std::nullopt;
}

Result<AutomationLocation> read_location(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr)
    return fail(invalid_body("location must be an object"));
  auto lat = coordinate(o->if_contains("latitude"));
  auto lon = coordinate(o->if_contains("longitude"));
  if (!lat || !lon)
    return fail(invalid_body("location needs latitude and longitude (strings)"));
  return AutomationLocation{std::move(*lat), std::move(*lon)};
}

json::array events_json(const std::vector<AutomationEvent>& events) {
  json::array out;
  for (const auto& e : events)
    out.push_back(json::object{{"params", document_value(e.params_json)}, {"check", e.check}});
  return out;
}

json::array actions_json(const std::vector<AutomationAction>& actions) {
  json::array out;
  for (const auto& a : actions)
    out.push_back(json::object{{"node_id", a.node_id}, {"params", document_value(a.params_json)}});
  return out;
}

json::object location_json(const AutomationLocation& l) {
  return json::object{{"latitude", l.latitude}, {"longitude", l.longitude}};
}

std::vector<AutomationEvent> tolerant_events(const json::object& o) {
  std::vector<AutomationEvent> out;
  if (const auto* v = o.if_contains("events"); v != nullptr && v->is_array()) {
    for (const auto& item : v->as_array()) {
      if (const auto* e = item.if_object())
        out.push_back({document_or_empty(*e, "params"), string_or(*e, "check", "==")});
    }
  }
  return out;
}

std::vector<AutomationAction> tolerant_actions(const json::object& o) {
  std::vector<AutomationAction> out;
  if (const auto* v = o.if_contains("actions"); v != nullptr && v->is_array()) {
    for (const auto& item : v->as_array()) {
      if (const auto* a = item.if_object())
        out.push_back({string_or(*a, "node_id"), document_or_empty(*a, "params")});
    }
  }
  return out;
}

Automation parse_automation(const json::object& o) {
  Automation a;
  a.automation_id = string_or(o, "automation_id");
  a.name = string_or(o, "name");
  a.enabled = bool_or(o, "enabled", true);
  a.event_type = string_or(o, "event_type", "node_params");
  a.node_id = string_or(o, "node_id");
  if (const auto* l = o.if_contains("location")) {
    if (auto loc = read_location(*l))
      a.location = std::move(*loc);
  }
  a.events = tolerant_events(o);
  a.event_operator = string_or(o, "event_operator", "and");
  a.actions = tolerant_actions(o);
  a.retrigger = bool_or(o, "retrigger");
  a.metadata_json = document_or_empty(o, "metadata");
  a.status = string_or(o, "status");
  if (const auto* t = o.if_contains("last_triggered"); t != nullptr && t->is_object()) {
    const auto& lt = t->as_object();
    a.last_triggered = AutomationFiring{int_or(lt, "timestamp"), string_or(lt, "cause"),
                                        document_or_empty(lt, "results")};
  }
  return a;
}

}  // namespace

bool AutomationFields::empty() const noexcept {
  return !name && !event_type && !node_id && !location && !events && !event_operator && !actions &&
         !retrigger && !enabled && !metadata_json;
}

Result<AutomationFields> parse_automation_fields(const json::object& body) {
  auto strings =
      optional_string_fields<4>(body, {"name", "event_type", "node_id", "event_operator"});
  if (!strings)
    return fail(strings.error());
  AutomationFields f;
  f.name = std::move((*strings)[0]);
  f.event_type = std::move((*strings)[1]);
  f.node_id = std::move((*strings)[2]);
  f.event_operator = std::move((*strings)[3]);
  if (const auto* v = body.if_contains("location"); v != nullptr && !v->is_null()) {
    auto location = read_location(*v);
    if (!location)
      return fail(location.error());
    f.location = std::move(*location);
  }
  if (const auto* v = body.if_contains("events"); v != nullptr && !v->is_null()) {
    auto events = read_events(*v);
    if (!events)
      return fail(events.error());
    f.events = std::move(*events);
  }
  if (const auto* v = body.if_contains("actions"); v != nullptr && !v->is_null()) {
    // The CLI wraps a single action object into an array itself; accept the bare object too.
    auto actions = v->is_object() ? read_actions(json::array{*v}) : read_actions(*v);
    if (!actions)
      return fail(actions.error());
    f.actions = std::move(*actions);
  }
  for (const auto& [key, slot] : {std::pair{"retrigger", &f.retrigger}, {"enabled", &f.enabled}}) {
    if (const auto* v = body.if_contains(key); v != nullptr && !v->is_null()) {
      if (!v->is_bool())
        return fail(invalid_body(std::string(key) + " must be a boolean"));
      *slot = v->get_bool();
    }
  }
  if (const auto* v = body.if_contains("metadata"); v != nullptr && !v->is_null())
    f.metadata_json = json::serialize(*v);
  return f;
}

json::object to_json(const AutomationFields& f) {
  json::object o;
  if (f.name)
    o["name"] = *f.name;
  if (f.event_type)
    o["event_type"] = *f.event_type;
  if (f.node_id)
    o["node_id"] = *f.node_id;
  if (f.location)
    o["location"] = location_json(*f.location);
  if (f.events)
    o["events"] = events_json(*f.events);
  if (f.event_operator)
    o["event_operator"] = *f.event_operator;
  if (f.actions)
    o["actions"] = actions_json(*f.actions);
  if (f.retrigger)
    o["retrigger"] = *f.retrigger;
  if (f.enabled)
    o["enabled"] = *f.enabled;
  if (f.metadata_json)
    o["metadata"] = document_value(*f.metadata_json);
  return o;
}

json::object automation_created_json(std::string_view automation_id) {
  json::object o = success_body("Automation created successfully");
  o["automation_id"] = automation_id;
  return o;
}

Result<std::string> parse_automation_created(const json::object& a) {
  auto id = string_or(a, "automation_id");
  if (id.empty())
    return fail(errc::internal, "the answer lacks automation_id");
  return id;
}

json::object to_json(const Automation& a) {
  json::object o{{"automation_id", a.automation_id},
                 {"name", a.name},
                 {"enabled", a.enabled},
                 {"event_type", a.event_type},
                 {"events", events_json(a.events)},
                 {"event_operator", a.event_operator},
                 {"actions", actions_json(a.actions)},
                 {"retrigger", a.retrigger},
                 {"metadata", a.metadata_json.empty() ? json::value(json::object())
                                                      : document_value(a.metadata_json)}};
  if (!a.node_id.empty())
    o["node_id"] = a.node_id;
  if (a.location)
    o["location"] = location_json(*a.location);
  if (!a.status.empty())
    o["status"] = a.status;
  if (a.last_triggered) {
    o["last_triggered"] = json::object{{"timestamp", a.last_triggered->timestamp_ms},
                                       {"cause", a.last_triggered->cause},
                                       {"results", document_value(a.last_triggered->results_json)}};
  }
  return o;
}

json::object to_json(const AutomationPage& page) {
  json::array items;
  items.reserve(page.automations.size());
  for (const auto& a : page.automations)
    items.emplace_back(to_json(a));
  json::object o{{"automation_trigger_actions", std::move(items)}, {"total", page.total}};
  if (!page.next_id.empty())
    o["next_id"] = page.next_id;
  return o;
}

json::object automation_detail_json(const Automation& automation) {
  json::object o = to_json(automation);
  o["automation_trigger_actions"] = json::array{to_json(automation)};
  o["total"] = 1;
  return o;
}

AutomationPage parse_automation_page(const json::object& answer) {
  AutomationPage page;
  if (const auto* v = answer.if_contains("automation_trigger_actions");
      v != nullptr && v->is_array()) {
    for (const auto& item : v->as_array()) {
      if (const auto* o = item.if_object())
        page.automations.push_back(parse_automation(*o));
    }
  }
  page.total = int_or(answer, "total", static_cast<std::int64_t>(page.automations.size()));
  page.next_id = string_or(answer, "next_id");
  return page;
}

}  // namespace stratus::proto::rest
