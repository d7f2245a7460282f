#include "service/automation_engine.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace stratus::service {
namespace {

namespace json = boost::json;

std::string value_key(std::string_view device, std::string_view param) {
  std::string key(device);
  key += '\x1f';
  key += param;
  return key;
}

std::optional<double> number(const json::value& v) noexcept {
  if (v.is_int64())
    return static_cast<double>(v.get_int64());
  if (v.is_uint64())
    return static_cast<double>(v.get_uint64());
  if (v.is_double())
    return v.get_double();
  return std::nullopt;
}

}  // namespace

std::optional<Check> parse_check(std::string_view text) noexcept {
  if (text == "==" || text == "=")
    return Check::eq;
  if (text == "!=")
    return Check::ne;
  if (text == "<")
    return Check::lt;
  if (text == "<=")
    return Check::le;
  if (text == ">")
    return Check::gt;
  if (text == ">=")
    return Check::ge;
  return std::nullopt;
}

std::string_view to_string(Check check) noexcept {
  switch (check) {
    case Check::eq:
      return "==";
    case Check::ne:
      return "!=";
    case Check::lt:
      return "<";
    case Check::le:
      return "<=";
    case Check::gt:
      return ">";
    case Check::ge:
      return ">=";
  }
  return "==";
}

bool check_holds(Check check, const json::value& actual, const json::value& expected) noexcept {
  const auto a = number(actual);
  const auto b = number(expected);
  if (a && b) {
    switch (check) {
      case Check::eq:
        return *a == *b;
      case Check::ne:
        return *a != *b;
      case Check::lt:
        return *a < *b;
      case Check::le:
        return *a <= *b;
      case Check::gt:
        return *a > *b;
      case Check::ge:
        return *a >= *b;
    }
  }
  // Not two numbers: equality only, and values of different kinds are never equal.
  const bool same = actual.kind() == expected.kind() && actual == expected;
  if (check == Check::eq)
    return same && !actual.is_null();
  if (check == Check::ne)
    return !same;
  return false;
}

Result<std::vector<ParamCondition>> parse_conditions(
    const std::vector<std::pair<std::string, std::string>>& params_and_checks) {
  std::vector<ParamCondition> out;
  std::size_t index = 0;
  for (const auto& [params_text, check_text] : params_and_checks) {
    ++index;
    const auto where = "event " + std::to_string(index) + ": ";
    const auto check = parse_check(check_text);
    if (!check)
      return fail(errc::invalid_argument, where + "unknown check \"" + check_text + "\"");
    boost::system::error_code ec;
    auto params = json::parse(params_text, ec);
    if (ec || !params.is_object() || params.as_object().empty())
      return fail(errc::invalid_argument, where + "params must name a device and a param");
    for (const auto& [device, inner] : params.as_object()) {
      if (!inner.is_object() || inner.as_object().empty()) {
        return fail(errc::invalid_argument, where +
                                                "params must be {\"<Device>\":{\"<Param>\":"
                                                "value}}");
      }
      for (const auto& [param, value] : inner.as_object())
        out.push_back({std::string(device), std::string(param), *check, value});
    }
  }
  return out;
}

void AutomationEngine::put(ParamsTrigger trigger, const json::object& node_params) {
  auto& values = values_[trigger.node_id];
  for (const auto& c : trigger.conditions) {
    const auto key = value_key(c.device, c.param);
    if (values.contains(key))
      continue;
    json::value current;  // null: not reported yet
    if (const auto* d = node_params.if_contains(c.device); d != nullptr && d->is_object()) {
      if (const auto* p = d->as_object().if_contains(c.param))
        current = *p;
    }
    values.emplace(key, std::move(current));
  }
  const std::string id = trigger.automation_id;
  auto it = entries_.find(id);
  const std::string old_node = it != entries_.end() ? it->second.trigger.node_id : std::string();
  Entry e{std::move(trigger), false, it != entries_.end() ? it->second.order : next_order_++};
  e.held = evaluate(e, nullptr);
  if (!old_node.empty() && --watchers_[old_node] == 0)
    watchers_.erase(old_node);
  ++watchers_[e.trigger.node_id];
  entries_.insert_or_assign(id, std::move(e));
  if (!old_node.empty() && !watches(old_node)) {
    if (auto v = values_.find(old_node); v != values_.end())
      values_.erase(v);
  }
}

void AutomationEngine::remove(std::string_view automation_id) {
  auto it = entries_.find(automation_id);
  if (it == entries_.end())
    return;
  const std::string node_id = it->second.trigger.node_id;
  entries_.erase(it);
  if (auto w = watchers_.find(node_id); w != watchers_.end() && --w->second == 0)
    watchers_.erase(w);
  if (auto r = recent_.find(automation_id); r != recent_.end())
    recent_.erase(r);
  // Values of a node nobody watches would go stale: forget them.
  if (!watches(node_id)) {
    if (auto v = values_.find(node_id); v != values_.end())
      values_.erase(v);
  }
}

std::string AutomationEngine::trigger_node(std::string_view automation_id) const {
  const auto it = entries_.find(automation_id);
  return it != entries_.end() ? it->second.trigger.node_id : std::string();
}

bool AutomationEngine::watches(std::string_view node_id) const {
  return watchers_.find(node_id) != watchers_.end();
}

bool AutomationEngine::evaluate(const Entry& e, std::string* cause) const {
  const auto node = values_.find(e.trigger.node_id);
  if (node == values_.end() || e.trigger.conditions.empty())
    return false;
  bool result = !e.trigger.any;
  for (const auto& c : e.trigger.conditions) {
    const auto v = node->second.find(value_key(c.device, c.param));
    const bool holds = v != node->second.end() && check_holds(c.check, v->second, c.value);
    if (holds && cause != nullptr) {
      if (!cause->empty())
        *cause += e.trigger.any ? " or " : " and ";
      *cause += c.device + "." + c.param + " " + std::string(to_string(c.check)) + " " +
                json::serialize(c.value);
    }
    result = e.trigger.any ? (result || holds) : (result && holds);
  }
  return result;
}

std::vector<Firing> AutomationEngine::on_report(std::string_view node_id, const json::object& delta,
                                                std::chrono::steady_clock::time_point now,
                                                bool acting) {
  return judge(node_id, delta, now, acting, false);
}

std::vector<Firing> AutomationEngine::on_state(std::string_view node_id,
                                               const json::object& document,
                                               std::chrono::steady_clock::time_point now,
                                               bool acting) {
  return judge(node_id, document, now, acting, true);
}

std::vector<Firing> AutomationEngine::judge(std::string_view node_id, const json::object& delta,
                                            std::chrono::steady_clock::time_point now, bool acting,
                                            bool changed_only) {
  std::vector<Firing> out;
  auto node = values_.find(node_id);
  if (node == values_.end())
    return out;
  // Take the new values of the watched params.
  std::vector<std::string> touched;
  for (const auto& [device, inner] : delta) {
    if (!inner.is_object())
      continue;
    for (const auto& [param, value] : inner.as_object()) {
      auto key = value_key(device, param);
      if (auto v = node->second.find(key); v != node->second.end()) {
        if (changed_only && v->second == value)
          continue;
        v->second = value;
        touched.push_back(std::move(key));
      }
    }
  }
  if (touched.empty())
    return out;
  std::vector<std::pair<std::size_t, Firing>> ordered;
  for (auto& [id, e] : entries_) {
    if (e.trigger.node_id != node_id)
      continue;
    const bool touches = std::any_of(
        e.trigger.conditions.begin(), e.trigger.conditions.end(), [&](const ParamCondition& c) {
          return std::find(touched.begin(), touched.end(), value_key(c.device, c.param)) !=
                 touched.end();
        });
    if (!touches)
      continue;
    std::string cause;
    const bool now_holds = evaluate(e, &cause);
    const bool fire = e.trigger.enabled && now_holds && (!e.held || e.trigger.retrigger);
    e.held = now_holds;
    if (!fire)
      continue;
    if (!acting) {
      ordered.emplace_back(e.order, Firing{id, std::move(cause), false, true});
      continue;
    }
    Firing f{id, std::move(cause), !admit(id, now), false};
    ordered.emplace_back(e.order, std::move(f));
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, f] : ordered)
    out.push_back(std::move(f));
  return out;
}

bool AutomationEngine::admit(std::string_view automation_id,
                             std::chrono::steady_clock::time_point now) {
  auto it = recent_.find(automation_id);
  if (it == recent_.end())
    it = recent_
             .emplace(std::string(automation_id),
                      std::deque<std::chrono::steady_clock::time_point>{})
             .first;
  auto& times = it->second;
  while (!times.empty() && now - times.front() >= std::chrono::minutes(1))
    times.pop_front();
  if (times.size() >= max_per_minute_)
    return false;
  times.push_back(now);
  return true;
}

}  // namespace stratus::service
