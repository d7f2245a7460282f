#pragma once
/// @file
/// Who may use which Wirepas topic on a shared broker (issue 20 item 3; spec wirepas.md
/// §1.2): a gateway publishes only its own events and responses and subscribes only to its
/// own requests; an operator (a console, an integration) may use every `gw-*` topic and
/// nothing else. Header-only and standard-library-only, like `proto/topic_rules.hpp`: the
/// mosquitto plugin links no Stratus library yet must apply exactly these rules. Pure
/// constexpr functions over strings: no allocation, never throw, thread-safe.

#include <cstddef>
#include <string_view>

namespace stratus::wirepas {

/// Longest gateway id or operator name a broker credential may have.
inline constexpr std::size_t kMaxBrokerIdentityBytes = 64;

/// True for a gateway id or operator name the embedded broker accepts as an identity
/// (docs/adr/0018): 1-64 characters of `[A-Za-z0-9._:-]`, so it is one topic level with
/// no wildcards, no spaces (the credential file is space-separated) and nothing to escape.
constexpr bool valid_broker_identity(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxBrokerIdentityBytes)
    return false;
  for (const char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

namespace rules_detail {

// `topic` = `<first>/<operation>/<gw_id>` or `<first>/<operation>/<gw_id>/<more>`, with an
// operation level free of wildcards. `<more>` is not inspected here.
constexpr bool names_gateway(std::string_view topic, std::string_view first,
                             std::string_view gw_id) noexcept {
  if (!topic.starts_with(first) || topic.size() <= first.size() || topic[first.size()] != '/')
    return false;
  topic.remove_prefix(first.size() + 1);
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos || slash == 0)
    return false;
  const auto operation = topic.substr(0, slash);
  if (operation.find_first_of("+#") != std::string_view::npos)
    return false;
  topic.remove_prefix(slash + 1);
  if (!topic.starts_with(gw_id))
    return false;
  topic.remove_prefix(gw_id.size());
  return topic.empty() || topic.front() == '/';
}

}  // namespace rules_detail

/// True if gateway `gw_id` may publish `topic`: `gw-event/<op>/<gw_id>[/…]` or
/// `gw-response/<op>/<gw_id>[/…]`, without wildcards (a publish topic has none; checked
/// anyway). `gw_id` is the broker identity (its user name), a valid id without wildcards.
constexpr bool gateway_may_publish(std::string_view topic, std::string_view gw_id) noexcept {
  if (topic.find_first_of("+#") != std::string_view::npos || gw_id.empty())
    return false;
  return rules_detail::names_gateway(topic, "gw-event", gw_id) ||
         rules_detail::names_gateway(topic, "gw-response", gw_id);
}

/// True if gateway `gw_id` may subscribe to (or receive) `filter`: under
/// `gw-request/<op>/<gw_id>`, wildcards allowed only after the gateway level (the
/// reference gateway subscribes `gw-request/set_config/<gw>/+`).
constexpr bool gateway_may_subscribe(std::string_view filter, std::string_view gw_id) noexcept {
  return !gw_id.empty() && rules_detail::names_gateway(filter, "gw-request", gw_id);
}

/// True if an operator may publish to, subscribe to or receive `topic_or_filter`: its
/// first level is exactly `gw-event`, `gw-request` or `gw-response` (so `#`, `+/…` and
/// every RainMaker topic are out; `gw-event/#` is in).
constexpr bool operator_may_use(std::string_view topic_or_filter) noexcept {
  for (const std::string_view first : {"gw-event/", "gw-request/", "gw-response/"}) {
    if (topic_or_filter.starts_with(first))
      return true;
  }
  return false;
}

}  // namespace stratus::wirepas
