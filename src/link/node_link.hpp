#pragma once
/// @file
/// The cloud's MQTT side for nodes: subscribes to both node topic forms and the
/// broker's presence events, decodes with `proto`, and hands events to the
/// ingest queue; publishes what the services send to nodes.
///
/// Identity: the topic's node id *is* the sender's identity, because the broker
/// lets a node publish only under its own `node/<cn>/…` and
/// `$aws/rules/<rule>/node/<cn>/…` (the Stratus plugin in embedded mode; the
/// operator's ACL with an external broker, docs/architecture.md).

#include <array>
#include <cstddef>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "mqtt/client.hpp"
#include "service/node_ingest.hpp"
#include "service/node_messenger.hpp"

namespace stratus::link {

/// Thread-safety: `on_message` runs on the link executor (one thread);
/// `publish_params_remote` and `publish_to_node` may be called from any thread.
///
/// `from-node` (spec §3) is decoded here with `proto::decode_response`: the empty poll
/// becomes `NodeReady`, any other answer `CommandAnswered`; TLV that does not decode is
/// dropped as `malformed`.
///
/// Metrics: `stratus_link_messages_total{kind}` (accepted) and
/// `stratus_link_dropped_total{reason}` (malformed, oversize, unknown topic,
/// mismatched ids, queue full): dropped messages never change state.
class NodeLink final : public service::NodeMessenger {
 public:
  NodeLink(mqtt::Client& client, const Clock& clock, MetricsRegistry& metrics,
           std::size_t max_payload_bytes);

  /// Feeds decoded events to `ingest`, installs the message handler and the
  /// subscriptions (the client repeats them on every reconnect). Call once,
  /// before the client starts; `ingest` must outlive the link.
  void attach(service::NodeIngest& ingest);

  /// Handles one message (public for tests).
  void on_message(const mqtt::Message& message);

  /// `node/<id>/params/remote` at QoS 1 (spec §1.3).
  Result<void> publish_params_remote(std::string_view node_id, std::string_view payload) override;
  /// `node/<id>/to-node` at QoS 1 (spec §3.2).
  Result<void> publish_to_node(std::string_view node_id, std::string_view bytes) override;

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
    unhandled,
    kind_count
  };
  enum Drop { malformed, oversize, unknown_topic, id_mismatch, queue_full, drop_count };
  void drop(Drop reason, std::string_view topic, std::string_view why);
  void accept(Kind kind, service::NodeEvent event);

  mqtt::Client& client_;
  service::NodeIngest* ingest_ = nullptr;
  const Clock& clock_;
  std::size_t max_payload_bytes_;
  std::array<Counter*, kind_count> accepted_{};
  std::array<Counter*, drop_count> dropped_{};
};

}  // namespace stratus::link
