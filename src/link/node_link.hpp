#pragma once
/// @file
/// The cloud's MQTT side for nodes, in two parts built at different moments of the
/// composition (docs/architecture.md): `MqttNodeMessenger`, outbound, exists before the
/// services that send to nodes; `NodeLink`, inbound, is built last, from the ingest
/// queue it feeds: it subscribes to both node topic forms and the broker's presence and
/// subscription events, decodes with `proto`, and hands events to the ingest queue.
///
/// Identity: the topic's node id *is* the sender's identity, because the broker
/// lets a node publish only under its own `node/<cn>/…` and
/// `$aws/rules/<rule>/node/<cn>/…` (the Stratus plugin in embedded mode; the
/// operator's ACL with an external broker, docs/architecture.md).

#include <array>
#include <cstddef>
#include <functional>
#include <string>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "mqtt/client.hpp"
#include "proto/payloads.hpp"
#include "service/node_ingest.hpp"
#include "service/node_messenger.hpp"

namespace stratus::service {
class OtaService;
}  // namespace stratus::service

namespace stratus::link {

/// What the services send to nodes, over the backend MQTT client. Thread-safe (the
/// client's publish is).
class MqttNodeMessenger final : public service::NodeMessenger {
 public:
  /// `client` must outlive the messenger.
  explicit MqttNodeMessenger(mqtt::Client& client) : client_(client) {}

  /// `node/<id>/params/remote` at QoS 1 (spec §1.3). Errors: unavailable when the
  /// backend is not connected.
  Result<void> publish_params_remote(std::string_view node_id, std::string_view payload) override;
  /// `node/<id>/to-node` at QoS 1 (spec §3.2). Errors: as above.
  Result<void> publish_to_node(std::string_view node_id, std::string_view bytes) override;
  /// `node/<id>/otaurl` at QoS 1 (spec §1.3). Errors: as above.
  Result<void> publish_ota_url(std::string_view node_id, std::string_view payload) override;

 private:
  mqtt::Client& client_;
};

/// Thread-safety: `on_message` runs on the link executor (one thread).
///
/// `tsdata` and `simple_tsdata` (spec §1.3) are decoded with `proto::parse_tsdata` /
/// `parse_simple_tsdata` into `TimeSeriesReported`; a message with more than
/// `max_ts_records` records is dropped as `malformed`.
///
/// `from-node` (spec §3) is decoded here with `proto::decode_response`: the empty poll
/// becomes `NodeReady`, any other answer `CommandAnswered`; TLV that does not decode is
/// dropped as `malformed`.
///
/// `otafetch` and `otastatus` (spec §1.3) are decoded with `proto::parse_ota_fetch` /
/// `parse_ota_status` and handed to the `OtaService` (its runner does the work); an
/// `otafetch` whose `node_id` is not the topic's is dropped as `id_mismatch`. Without an
/// OTA service they are counted as `unhandled`.
///
/// Metrics: `stratus_link_messages_total{kind}` (accepted) and
/// `stratus_link_dropped_total{reason}` (malformed, oversize, unknown topic,
/// mismatched ids, queue full): dropped messages never change state.
/// Running as one of several instances (docs/adr/0021-several-instances.md).
struct NodeLinkCluster {
  /// Node traffic and subscription notices are subscribed as
  /// `$share/<share_group>/<filter>`, so the broker hands each to one instance; topics
  /// that begin with `$` (basic ingest, subscription notices) through the plugin's
  /// mirror, `proto::kClusterMirrorPrefix` (mosquitto 2.0 gives `$` topics to no shared
  /// subscription), and are read back as the original topic. Presence events are not
  /// shared: every instance applies them, and the second application changes nothing
  /// (the stored state carries the event's timestamp).
  std::string share_group;
  /// When not empty, node traffic is partitioned instead (`cluster.node_traffic =
  /// partitioned`, docs/adr/0027): the link subscribes this topic alone,
  /// `proto::cluster_batch_topic(<the backend client id>)`, and the Stratus plugin sends
  /// on it, to this connection only, the messages of the nodes it assigned to this
  /// instance, in the nodes' order, as ingest-handoff `message` frames; each frame is
  /// handled as the message it carries. `share_group` is then unused.
  std::string batch_topic;
};

class NodeLink {
 public:
  /// Feeds decoded events to `ingest`: installs the client's message handler and the
  /// subscriptions (the client repeats them on every reconnect). Build it before the
  /// client starts; `client` and `ingest` must outlive the link. With
  /// `node_traffic_by_handoff`, the nodes' own topics (`node/…`, basic ingest) and the
  /// subscription events are not subscribed: the embedded broker's plugin hands them to
  /// `on_message` through the ingest handoff, in the order they came (link/ingest_handoff.hpp,
  /// docs/adr/0025); presence events, retained, still come over MQTT.
  NodeLink(mqtt::Client& client, service::NodeIngest& ingest, const Clock& clock,
           MetricsRegistry& metrics, std::size_t max_payload_bytes,
           std::size_t max_ts_records = proto::kDefaultMaxTsRecords,
           service::OtaService* ota_service = nullptr, NodeLinkCluster cluster = {},
           bool node_traffic_by_handoff = false);

  /// Handles one message: the backend client's, or the ingest handoff's; a batch (on
  /// `NodeLinkCluster::batch_topic`) is handled frame by frame, and a frame that does not
  /// decode ends the batch, counted `malformed` (the frames before it stand). Thread-safe
  /// (it parses and queues; the ingest queue and the OTA service are thread-safe), so the
  /// two sources may call it at once.
  void on_message(const mqtt::Message& message);
  /// `on_message` for one message (not a batch) whose sender keeps it until it is taken
  /// (the ingest handoff): false when the ingest queue had no room (for `otafetch` and
  /// `otastatus`, the OTA service's queue), and then nothing was taken or counted, so the
  /// caller can offer it again later. A message dropped for any
  /// other reason (malformed, oversize, …) is counted and answers true: offering it again
  /// would not help. Thread-safe as `on_message`.
  [[nodiscard]] bool offer(const mqtt::Message& message);

 private:
  enum Kind {
    config,
    params,
    alert,
    mapping,
    presence,
    ready,
    subscribed,
    command_response,
    tsdata,
    ota,
    unhandled,
    kind_count
  };
  enum Drop { malformed, oversize, unknown_topic, id_mismatch, queue_full, drop_count };
  // Counts a message that will never be taken; returns true (handled) for `offer`.
  bool drop(Drop reason, std::string_view topic, std::string_view why);
  // Submits `event`; false when the ingest queue is full (nothing counted).
  bool accept(Kind kind, service::NodeEvent event);
  void on_batch(const mqtt::Message& batch);

  mqtt::Client& client_;
  service::NodeIngest& ingest_;
  service::OtaService* ota_;
  const Clock& clock_;
  std::size_t max_payload_bytes_;
  std::size_t max_ts_records_;
  std::array<Counter*, kind_count> accepted_{};
  std::array<Counter*, drop_count> dropped_{};
  std::string batch_topic_;  // NodeLinkCluster::batch_topic
};

}  // namespace stratus::link
