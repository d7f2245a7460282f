#pragma once
/// @file
/// Who may use which node topic (spec rainmaker.md §1.2, §1.5): the node-id rule and the
/// per-node topic ACL that the broker plugin enforces. Header-only and standard-library-only
/// on purpose: the mosquitto plugin links no Stratus library (it runs inside an
/// uninstrumented mosquitto), yet must apply exactly the rule the cloud parses with.
/// Pure constexpr functions over strings: no allocation, never throw, thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace stratus::proto {

/// Longest node id accepted, in bytes.
inline constexpr std::size_t kMaxNodeIdBytes = 128;

/// Topic prefix of the broker plugin's presence events; the node id follows.
inline constexpr std::string_view kPresenceTopicPrefix = "$stratus/presence/";

/// Topic prefix of the broker plugin's subscription events (`$stratus/subscribed/<node
/// id>`, payload the subscribed topic suffix, `params/remote`): the node subscribed to its
/// sets, so desired state kept while it was offline can be delivered now even when its
/// firmware publishes nothing on reconnect (issue 13).
inline constexpr std::string_view kSubscribedTopicPrefix = "$stratus/subscribed/";

/// Where the broker plugin copies node traffic whose topic begins with `$` (basic
/// ingest `$aws/rules/…`, `$stratus/subscribed/…`) when several stratusd share the
/// broker (`plugin_opt_cluster_mirror true`, docs/adr/0021): mosquitto 2.0 does not
/// deliver `$` topics to shared subscriptions. The copy of `$rest` is
/// `stratus-mirror/rest`; a node may not publish there itself (its ACL is its own tree).
inline constexpr std::string_view kClusterMirrorPrefix = "stratus-mirror/";

/// The mirror copy's topic of `dollar_topic` (which begins with `$`):
/// `$aws/rules/r/node/n/params/local` → `stratus-mirror/aws/rules/r/node/n/params/local`.
inline std::string cluster_mirror_topic(std::string_view dollar_topic) {
  std::string topic(kClusterMirrorPrefix);
  topic += dollar_topic.substr(1);
  return topic;
}

/// The topic a mirror copy stands for (`mirror_topic` begins with kClusterMirrorPrefix):
/// `$` and what follows the prefix, or that as it is when a rule engine kept the `$`
/// (`stratus-mirror/$aws/…`, EMQX, docs/scale-out.md).
inline std::string topic_from_cluster_mirror(std::string_view mirror_topic) {
  const auto rest = mirror_topic.substr(kClusterMirrorPrefix.size());
  return rest.starts_with('$') ? std::string(rest) : "$" + std::string(rest);
}

/// The filter that takes the mirror copies of the topics `dollar_filter` matches, in
/// either form: `$aws/rules/+/node/+/#` → `stratus-mirror/+/rules/+/node/+/#`.
inline std::string cluster_mirror_filter(std::string_view dollar_filter) {
  std::string filter(kClusterMirrorPrefix);
  filter += '+';
  filter += dollar_filter.substr(dollar_filter.find('/'));
  return filter;
}

/// Where the broker plugin sends an instance its share of node traffic when the
/// instances partition it (`cluster.node_traffic = partitioned`, docs/adr/0027): an
/// instance whose backend connection (client id `c`) subscribes
/// `stratus-batch/<c>` becomes a consumer, and receives on that topic, addressed to it
/// alone, the messages of the nodes the plugin assigns to it, framed as the ingest
/// handoff's `message` frames (proto/ingest_handoff.hpp), several per PUBLISH.
inline constexpr std::string_view kClusterBatchTopicPrefix = "stratus-batch/";

/// The batch topic of the backend connection with client id `client_id`.
inline std::string cluster_batch_topic(std::string_view client_id) {
  std::string topic(kClusterBatchTopicPrefix);
  topic += client_id;
  return topic;
}

/// True if `node_id` is 1–128 characters of `[A-Za-z0-9._:-]`: the rule the broker
/// plugin enforces on certificate CNs, so that a node id is always a single, literal
/// MQTT topic level (no `/`, `+`, `#`, NUL or spaces) and needs no escaping in JSON.
constexpr bool valid_node_id(std::string_view node_id) noexcept {
  if (node_id.empty() || node_id.size() > kMaxNodeIdBytes) {
    return false;
  }
  for (const char c : node_id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

/// True if `topic` is `node/<node_id>` or lies under `node/<node_id>/`: what a node may
/// subscribe to, read and publish (plain form). `node_id` is compared literally; the
/// caller passes a node id that passed `valid_node_id`, so it holds no wildcards.
constexpr bool under_node_tree(std::string_view topic, std::string_view node_id) noexcept {
  constexpr std::string_view prefix = "node/";
  if (!topic.starts_with(prefix)) {
    return false;
  }
  topic.remove_prefix(prefix.size());
  if (!topic.starts_with(node_id)) {
    return false;
  }
  topic.remove_prefix(node_id.size());
  return topic.empty() || topic.front() == '/';
}

/// True if `topic` is `$aws/rules/<rule>/node/<node_id>/<rest>`, the firmware's
/// basic-ingest publish form: `<rule>` is a non-empty level without `+` or `#`, and
/// something (at least the `/`) follows the node id. What a node may publish besides its
/// own `node/<node_id>/…` tree. Same contract for `node_id` as `under_node_tree`.
constexpr bool under_basic_ingest(std::string_view topic, std::string_view node_id) noexcept {
  constexpr std::string_view prefix = "$aws/rules/";
  if (!topic.starts_with(prefix)) {
    return false;
  }
  topic.remove_prefix(prefix.size());
  const auto slash = topic.find('/');
  if (slash == 0 || slash == std::string_view::npos) {
    return false;
  }
  const auto rule = topic.substr(0, slash);
  if (rule.find_first_of("+#") != std::string_view::npos) {
    return false;
  }
  topic.remove_prefix(slash + 1);
  return under_node_tree(topic, node_id) && topic.size() > 5 + node_id.size();
}

/// True if `topic` is exactly `node/<node_id>/params/remote`: the subscription that
/// shows a node can receive its sets (spec §1.4 step 2). Same caller contract as
/// `under_node_tree`.
constexpr bool is_params_remote(std::string_view topic, std::string_view node_id) noexcept {
  constexpr std::string_view kSuffix = "/params/remote";
  return topic.size() == 5 + node_id.size() + kSuffix.size() && under_node_tree(topic, node_id) &&
         topic.ends_with(kSuffix);
}

}  // namespace stratus::proto
