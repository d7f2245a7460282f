#include "proto/topics.hpp"

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <utility>

#include "proto/payloads.hpp"

namespace stratus::proto {
namespace {

constexpr std::string_view kNodePrefix = "node/";
constexpr std::string_view kRulesPrefix = "$aws/rules/";
constexpr std::size_t kMaxPresencePayloadBytes = 1024;

// Suffixes with a fixed spelling, in the order parse tries them. `params/local/<group>`
// is handled separately after the fixed ones fail, so that `params/local/init` wins.
constexpr std::array<std::pair<std::string_view, Suffix>, 14> kFixedSuffixes{{
    {"config", Suffix::config},
    {"params/local/init", Suffix::params_local_init},
    {"params/local", Suffix::params_local},
    {"params/remote", Suffix::params_remote},
    {"alert", Suffix::alert},
    {"user/mapping", Suffix::user_mapping},
    {"otafetch", Suffix::otafetch},
    {"otaurl", Suffix::otaurl},
    {"otastatus", Suffix::otastatus},
    {"tsdata", Suffix::tsdata},
    {"simple_tsdata", Suffix::simple_tsdata},
    {"to-node", Suffix::to_node},
    {"from-node", Suffix::from_node},
    {"diagnostics/from-node", Suffix::diagnostics},
}};

// A topic level usable as a rule name or group id: non-empty, no separators or wildcards.
bool valid_level(std::string_view level) noexcept {
  return !level.empty() && level.find_first_of("/+#") == std::string_view::npos;
}

// Splits "<first>/<rest>" off `s`; false if there is no '/'.
bool split_level(std::string_view s, std::string_view& first, std::string_view& rest) noexcept {
  const auto slash = s.find('/');
  if (slash == std::string_view::npos) {
    return false;
  }
  first = s.substr(0, slash);
  rest = s.substr(slash + 1);
  return true;
}

// Parses "<node_id>/<suffix>" into `out`.
bool parse_id_and_suffix(std::string_view s, NodeTopic& out) noexcept {
  std::string_view id;
  std::string_view suffix;
  if (!split_level(s, id, suffix) || !valid_node_id(id)) {
    return false;
  }
  out.node_id = id;
  for (const auto& [text, value] : kFixedSuffixes) {
    if (suffix == text) {
      out.suffix = value;
      return true;
    }
  }
  constexpr std::string_view kGroupPrefix = "params/local/";
  if (suffix.starts_with(kGroupPrefix)) {
    const auto group = suffix.substr(kGroupPrefix.size());
    if (valid_level(group)) {
      out.suffix = Suffix::params_local_group;
      out.group_id = group;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view to_string(Suffix suffix) noexcept {
  switch (suffix) {
    case Suffix::params_local_group:
      return "params/local";
    default:
      break;
  }
  for (const auto& [text, value] : kFixedSuffixes) {
    if (value == suffix) {
      return text;
    }
  }
  return "unknown";
}

std::optional<NodeTopic> parse_node_topic(std::string_view topic) noexcept {
  NodeTopic out;
  if (topic.starts_with(kNodePrefix)) {
    if (!parse_id_and_suffix(topic.substr(kNodePrefix.size()), out)) {
      return std::nullopt;
    }
    return out;
  }
  if (topic.starts_with(kRulesPrefix)) {
    std::string_view rule;
    std::string_view rest;
    if (!split_level(topic.substr(kRulesPrefix.size()), rule, rest) || !valid_level(rule) ||
        !rest.starts_with(kNodePrefix)) {
      return std::nullopt;
    }
    if (!parse_id_and_suffix(rest.substr(kNodePrefix.size()), out)) {
      return std::nullopt;
    }
    out.basic_ingest = true;
    out.rule = rule;
    return out;
  }
  return std::nullopt;
}

std::string topic_for(std::string_view node_id, Suffix suffix, std::string_view group_id) {
  std::string topic;
  topic.reserve(kNodePrefix.size() + node_id.size() + 24 + group_id.size());
  topic.append(kNodePrefix).append(node_id).append("/").append(to_string(suffix));
  if (suffix == Suffix::params_local_group) {
    topic.append("/").append(group_id);
  }
  return topic;
}

std::string_view basic_ingest_rule(Suffix suffix) noexcept {
  switch (suffix) {
    case Suffix::config:
      return "esp_node_config";
    case Suffix::params_local_init:
      return "esp_init_params";
    case Suffix::params_local:
      return "esp_set_params";
    case Suffix::alert:
      return "esp_node_alert";
    case Suffix::user_mapping:
      return "esp_user_node_mapping";
    case Suffix::otafetch:
      return "esp_node_otafetch";
    case Suffix::otastatus:
      return "esp_node_otastatus";
    case Suffix::tsdata:
      return "esp_ts_ingest";
    case Suffix::simple_tsdata:
      return "esp_simple_ts_ingest";
    case Suffix::from_node:
      return "esp_cmd_resp";
    case Suffix::params_local_group:
    case Suffix::params_remote:
    case Suffix::otaurl:
    case Suffix::to_node:
    case Suffix::diagnostics:
      return {};
  }
  return {};
}

std::string node_publish_topic(std::string_view node_id, Suffix suffix, bool basic_ingest) {
  const auto rule = basic_ingest ? basic_ingest_rule(suffix) : std::string_view{};
  if (rule.empty()) {
    return topic_for(node_id, suffix);
  }
  std::string topic;
  topic.reserve(kRulesPrefix.size() + rule.size() + kNodePrefix.size() + node_id.size() + 24);
  topic.append(kRulesPrefix).append(rule).append("/").append(kNodePrefix).append(node_id);
  topic.append("/").append(to_string(suffix));
  return topic;
}

std::string presence_topic(std::string_view node_id) {
  std::string topic(kPresenceTopicPrefix);
  topic.append(node_id);
  return topic;
}

std::string presence_payload(const PresenceEvent& event) {
  boost::json::object o;
  o["node_id"] = event.node_id;
  o["connected"] = event.connected;
  o["timestamp"] = event.timestamp_ms;
  return boost::json::serialize(o);
}

Result<PresenceEvent> parse_presence(std::string_view topic, std::string_view payload) {
  if (!topic.starts_with(kPresenceTopicPrefix)) {
    return fail(errc::invalid_argument, "presence: topic does not start with $stratus/presence/");
  }
  const auto topic_id = topic.substr(kPresenceTopicPrefix.size());
  if (!valid_node_id(topic_id)) {
    return fail(errc::invalid_argument, "presence: topic does not end in a valid node id");
  }
  auto parsed = parse_json_object(payload, kMaxPresencePayloadBytes);
  if (!parsed) {
    return fail(errc::invalid_argument, "presence: " + parsed.error().context);
  }
  const auto& o = *parsed;
  PresenceEvent event;

  const auto* id = o.if_contains("node_id");
  if (id == nullptr || !id->is_string()) {
    return fail(errc::invalid_argument, "presence: node_id: expected a string");
  }
  if (std::string_view(id->get_string()) != topic_id) {
    return fail(errc::invalid_argument, "presence: node_id \"" + std::string(id->get_string()) +
                                            "\" differs from the topic's \"" +
                                            std::string(topic_id) + "\"");
  }
  event.node_id = std::string(topic_id);

  const auto* connected = o.if_contains("connected");
  if (connected == nullptr || !connected->is_bool()) {
    return fail(errc::invalid_argument, "presence: connected: expected a boolean");
  }
  event.connected = connected->get_bool();

  const auto* ts = o.if_contains("timestamp");
  if (ts != nullptr && ts->is_int64() && ts->get_int64() >= 0) {
    event.timestamp_ms = ts->get_int64();
  } else {
    return fail(errc::invalid_argument,
                "presence: timestamp: expected a non-negative integer (milliseconds)");
  }
  return event;
}

Result<std::string> parse_subscribed(std::string_view topic, std::string_view payload) {
  if (!topic.starts_with(kSubscribedTopicPrefix)) {
    return fail(errc::invalid_argument,
                "subscribed: topic does not start with $stratus/subscribed/");
  }
  const auto node_id = topic.substr(kSubscribedTopicPrefix.size());
  if (!valid_node_id(node_id)) {
    return fail(errc::invalid_argument, "subscribed: topic does not end in a valid node id");
  }
  if (payload != "params/remote") {
    return fail(errc::invalid_argument, "subscribed: payload is not params/remote");
  }
  return std::string(node_id);
}

}  // namespace stratus::proto
