#pragma once
/// @file
/// RainMaker MQTT topic names (spec rainmaker.md §1.2) and the broker plugin's presence
/// events (§1.5). Pure functions over strings: no I/O, no allocation except where a
/// `std::string` is returned. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "proto/topic_rules.hpp"

namespace stratus::proto {

/// The topic suffixes of spec §1.2, after `node/<node_id>/`. Wire spellings:
/// `config`, `params/local/init`, `params/local`, `params/local/<group_id>`,
/// `params/remote`, `alert`, `user/mapping`, `otafetch`, `otaurl`, `otastatus`, `tsdata`,
/// `simple_tsdata`, `to-node`, `from-node`, `diagnostics/from-node`.
enum class Suffix {
  config,
  params_local_init,
  params_local,
  params_local_group,  ///< `params/local/<group_id>` (Groups service, spec §1.2 extras)
  params_remote,
  alert,
  user_mapping,
  otafetch,
  otaurl,
  otastatus,
  tsdata,
  simple_tsdata,
  to_node,
  from_node,
  diagnostics,  ///< `diagnostics/from-node` (ESP Insights)
};

/// The wire spelling of `suffix` ("params/local/init", "to-node"). For
/// `params_local_group` this is "params/local" (the group id follows it).
std::string_view to_string(Suffix suffix) noexcept;

/// A parsed node topic. The views point into the topic string given to
/// `parse_node_topic`, which must outlive this value.
struct NodeTopic {
  std::string_view node_id;
  Suffix suffix = Suffix::config;
  /// The group id for `Suffix::params_local_group`; empty otherwise.
  std::string_view group_id;
  /// True for the basic-ingest form `$aws/rules/<rule>/node/<id>/<suffix>`.
  bool basic_ingest = false;
  /// The rule name of the basic-ingest form (e.g. "esp_set_params"); empty otherwise.
  std::string_view rule;
};

/// Parses `node/<node_id>/<suffix>` and `$aws/rules/<rule>/node/<node_id>/<suffix>`
/// (spec §1.2). The node id must pass `valid_node_id` (topic_rules.hpp); the rule and
/// group id must be non-empty and free of `/`, `+` and `#`. The rule name is not checked
/// against the suffix (firmware builds may rename rules). Any other topic (unknown suffix,
/// wrong prefix, empty level, trailing `/`) gives `std::nullopt`. Never throws.
std::optional<NodeTopic> parse_node_topic(std::string_view topic) noexcept;

/// The plain-form topic `node/<node_id>/<suffix>`, used for everything the cloud sends to a
/// node (`Suffix::params_remote`, `otaurl`, `to_node`). For `Suffix::params_local_group`
/// `group_id` is appended (`node/<id>/params/local/<group_id>`); it is ignored otherwise.
/// The caller passes a node id that passed `valid_node_id`.
std::string topic_for(std::string_view node_id, Suffix suffix, std::string_view group_id = {});

/// The firmware's basic-ingest rule name for a node→cloud suffix (spec §1.2 table:
/// `config` → "esp_node_config", `params/local` → "esp_set_params", `from-node` →
/// "esp_cmd_resp", ...); empty for cloud→node suffixes, `params/local/<group>` and
/// `diagnostics/from-node`, which have no fixed rule.
std::string_view basic_ingest_rule(Suffix suffix) noexcept;

/// The topic a node publishes on: the basic-ingest form
/// `$aws/rules/<rule>/node/<node_id>/<suffix>` when `basic_ingest` is true and the suffix
/// has a rule (what default firmware does), else the plain form of `topic_for`.
std::string node_publish_topic(std::string_view node_id, Suffix suffix, bool basic_ingest);

/// Subscription filter for plain-form node topics.
inline constexpr std::string_view kNodeTopicFilter = "node/+/#";
/// Subscription filter for basic-ingest topics; MQTT wildcards never match a leading `$`,
/// so this must be subscribed in addition to `kNodeTopicFilter` (spec §1.2).
inline constexpr std::string_view kBasicIngestTopicFilter = "$aws/rules/+/node/+/#";
/// Subscription filter for the broker plugin's presence events.
inline constexpr std::string_view kPresenceTopicFilter = "$stratus/presence/+";
/// Subscription filter for the broker plugin's subscription events (topic_rules.hpp).
inline constexpr std::string_view kSubscribedTopicFilter = "$stratus/subscribed/+";
// kPresenceTopicPrefix, the node-id rule and the node topic ACL are in topic_rules.hpp.

/// A node connected to or disconnected from the broker, as published by our mosquitto
/// plugin on `$stratus/presence/<node_id>` with the payload
/// `{"node_id":"<id>","connected":true|false,"timestamp":<ms since the Unix epoch>}`
/// (the self-hosted counterpart of AWS IoT lifecycle events, spec §1.5).
struct PresenceEvent {
  std::string node_id;
  bool connected = false;
  std::int64_t timestamp_ms = 0;
};

/// `$stratus/presence/<node_id>`. The caller passes a valid node id.
std::string presence_topic(std::string_view node_id);

/// The JSON payload for `event`, in the shape `parse_presence` reads.
std::string presence_payload(const PresenceEvent& event);

/// Parses a presence event. Errors (all `errc::invalid_argument`): the topic is not
/// `$stratus/presence/<valid node id>`; the payload is not a JSON object; `node_id` is not a
/// string, `connected` not a boolean, `timestamp` not an integer ≥ 0 that fits int64; the
/// node id in the payload differs from the one in the topic. Unknown payload fields are
/// ignored. Never throws.
Result<PresenceEvent> parse_presence(std::string_view topic, std::string_view payload);

/// The node id of a subscription event `$stratus/subscribed/<node_id>` whose payload is
/// `params/remote` (the only one the plugin sends). Errors (`errc::invalid_argument`):
/// another topic, an invalid node id, another payload. Never throws.
Result<std::string> parse_subscribed(std::string_view topic, std::string_view payload);

}  // namespace stratus::proto
