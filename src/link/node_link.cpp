#include "link/node_link.hpp"

#include "log/log.hpp"
#include "proto/cmd_resp.hpp"
#include "proto/ingest_handoff.hpp"
#include "proto/payloads.hpp"
#include "proto/topics.hpp"
#include "service/ota_service.hpp"

namespace stratus::link {
namespace {

using log::Channel;

constexpr const char* kKindNames[] = {"config",   "params", "alert",      "mapping",
                                      "presence", "ready",  "subscribed", "command_response",
                                      "tsdata",   "ota",    "unhandled"};
constexpr const char* kDropNames[] = {"malformed", "oversize", "unknown_topic", "id_mismatch",
                                      "queue_full"};

}  // namespace

NodeLink::NodeLink(mqtt::Client& client, service::NodeIngest& ingest, const Clock& clock,
                   MetricsRegistry& metrics, std::size_t max_payload_bytes,
                   std::size_t max_ts_records, service::OtaService* ota_service,
                   NodeLinkCluster cluster, bool node_traffic_by_handoff)
    : client_(client),
      ingest_(ingest),
      ota_(ota_service),
      clock_(clock),
      max_payload_bytes_(max_payload_bytes),
      max_ts_records_(max_ts_records) {
  for (std::size_t i = 0; i < kind_count; ++i) {
    accepted_[i] = &metrics.counter("stratus_link_messages_total",
                                    "Node messages accepted, by kind.", {{"kind", kKindNames[i]}});
  }
  for (std::size_t i = 0; i < drop_count; ++i) {
    dropped_[i] = &metrics.counter("stratus_link_dropped_total",
                                   "Node messages dropped without changing state, by reason.",
                                   {{"reason", kDropNames[i]}});
  }
  batch_topic_ = std::move(cluster.batch_topic);
  client_.on_message([this](const mqtt::Message& m) { on_message(m); });
  if (node_traffic_by_handoff) {
    // Node messages and subscription events come through the handoff.
  } else if (!batch_topic_.empty()) {
    client_.subscribe(batch_topic_, 1);  // this instance's share, from the plugin
  } else if (cluster.share_group.empty()) {
    client_.subscribe(std::string(proto::kNodeTopicFilter), 1);
    client_.subscribe(std::string(proto::kBasicIngestTopicFilter), 1);
    client_.subscribe(std::string(proto::kSubscribedTopicFilter), 1);
  } else {
    const std::string share = "$share/" + cluster.share_group + "/";
    client_.subscribe(share + std::string(proto::kNodeTopicFilter), 1);
    client_.subscribe(share + proto::cluster_mirror_filter(proto::kBasicIngestTopicFilter), 1);
    client_.subscribe(share + proto::cluster_mirror_filter(proto::kSubscribedTopicFilter), 1);
  }
  client_.subscribe(std::string(proto::kPresenceTopicFilter), 1);
}

bool NodeLink::drop(Drop reason, std::string_view topic, std::string_view why) {
  dropped_[reason]->inc();
  log::debug(Channel::link, "dropped topic={} reason={} {}", topic, kDropNames[reason], why);
  return true;  // handled: it will never be taken
}

bool NodeLink::accept(Kind kind, service::NodeEvent event) {
  if (!ingest_.submit(std::move(event)))
    return false;  // the caller counts it, or keeps the message for later
  accepted_[kind]->inc();
  return true;
}

void NodeLink::on_batch(const mqtt::Message& batch) {
  // One message reused for every frame, as the handoff receiver does: its buffers grow to
  // the batch's largest frame instead of being allocated for each.
  mqtt::Message message{{}, {}, batch.qos, false};
  std::string_view rest = batch.payload;
  while (!rest.empty()) {
    const auto d = proto::next_handoff_frame(rest);
    if (d.status != proto::HandoffDecode::Status::frame) {
      drop(malformed, batch.topic,
           d.status == proto::HandoffDecode::Status::need_more ? "truncated frame" : d.error);
      return;
    }
    const auto frame = d.frame.kind == proto::HandoffKind::message
                           ? proto::parse_handoff_message(d.frame.body)
                           : std::nullopt;
    if (!frame) {
      drop(malformed, batch.topic, "a frame that is not a well-formed message");
      return;
    }
    message.topic.assign(frame->topic);
    message.payload.assign(frame->payload);
    on_message(message);
    rest.remove_prefix(d.frame.size);
  }
}

void NodeLink::on_message(const mqtt::Message& m) {
  if (!batch_topic_.empty() && m.topic == batch_topic_)
    return on_batch(m);  // before the size check: a batch holds many messages
  if (!offer(m))
    drop(queue_full, m.topic, "");
}

bool NodeLink::offer(const mqtt::Message& m) {
  const auto now_ms = unix_ms(clock_.now());
  if (m.payload.size() > max_payload_bytes_) {
    drop(oversize, m.topic, std::to_string(m.payload.size()) + " bytes");
    return true;
  }
  if (m.topic.starts_with(proto::kClusterMirrorPrefix)) {
    // The plugin's copy of a `$` topic (cluster mode): handled as the original.
    return offer({proto::topic_from_cluster_mirror(m.topic), m.payload, m.qos, m.retain});
  }
  if (m.topic.starts_with(proto::kPresenceTopicPrefix)) {
    auto event = proto::parse_presence(m.topic, m.payload);
    if (!event)
      return drop(malformed, m.topic, event.error().context);
    return accept(presence, {event->node_id, now_ms,
                             service::PresenceChanged{event->connected, event->timestamp_ms}});
  }
  if (m.topic.starts_with(proto::kSubscribedTopicPrefix)) {
    auto node_id = proto::parse_subscribed(m.topic, m.payload);
    if (!node_id)
      return drop(malformed, m.topic, node_id.error().context);
    return accept(subscribed, {std::move(*node_id), now_ms, service::ParamsSubscribed{}});
  }
  const auto topic = proto::parse_node_topic(m.topic);
  if (!topic)
    return drop(unknown_topic, m.topic, "");
  std::string node_id(topic->node_id);
  using proto::Suffix;
  switch (topic->suffix) {
    case Suffix::config: {
      if (auto o = proto::parse_json_object(m.payload, max_payload_bytes_); !o) {
        return drop(malformed, m.topic, o.error().context);
      }
      return accept(config, {std::move(node_id), now_ms, service::ConfigReported{m.payload}});
    }
    case Suffix::params_local_init:
    case Suffix::params_local:
    case Suffix::params_local_group: {
      if (auto o = proto::parse_json_object(m.payload, max_payload_bytes_); !o) {
        return drop(malformed, m.topic, o.error().context);
      }
      return accept(
          params, {std::move(node_id), now_ms,
                   service::ParamsReported{m.payload, topic->suffix == Suffix::params_local_init}});
    }
    case Suffix::alert: {
      if (m.payload.size() > proto::kMaxAlertBytes) {
        return drop(oversize, m.topic, "alert of " + std::to_string(m.payload.size()) + " bytes");
      }
      if (auto o = proto::parse_json_object(m.payload, max_payload_bytes_); !o) {
        return drop(malformed, m.topic, o.error().context);
      }
      return accept(alert, {std::move(node_id), now_ms, service::AlertRaised{m.payload}});
    }
    case Suffix::user_mapping: {
      auto report = proto::parse_user_mapping(m.payload, max_payload_bytes_);
      if (!report)
        return drop(malformed, m.topic, report.error().context);
      if (report->node_id != node_id) {
        return drop(id_mismatch, m.topic, "payload node_id " + report->node_id);
      }
      return accept(mapping,
                    {std::move(node_id), now_ms,
                     service::MappingReported{report->user_id, report->secret_key, report->reset}});
    }
    case Suffix::from_node: {
      auto response = proto::decode_response(m.payload);
      if (!response)
        return drop(malformed, m.topic, response.error().context);
      if (response->is_poll()) {
        // The cmd-resp poll follows the node's subscriptions on every connect
        // (spec §1.4 step 5): a safe moment to deliver queued params and commands.
        return accept(ready, {std::move(node_id), now_ms, service::NodeReady{}});
      }
      if (response->request_id.empty()) {
        return drop(malformed, m.topic, "answer without a request id");
      }
      return accept(command_response,
                    {std::move(node_id), now_ms, service::CommandAnswered{std::move(*response)}});
    }
    case Suffix::tsdata: {
      auto records = proto::parse_tsdata(m.payload, max_ts_records_, max_payload_bytes_);
      if (!records)
        return drop(malformed, m.topic, records.error().context);
      return accept(tsdata, {std::move(node_id), now_ms,
                             service::TimeSeriesReported{std::move(*records), false}});
    }
    case Suffix::simple_tsdata: {
      auto record = proto::parse_simple_tsdata(m.payload, max_payload_bytes_);
      if (!record)
        return drop(malformed, m.topic, record.error().context);
      std::vector<proto::TsRecord> records;
      records.push_back(std::move(*record));
      return accept(tsdata, {std::move(node_id), now_ms,
                             service::TimeSeriesReported{std::move(records), true}});
    }
    case Suffix::otafetch: {
      if (ota_ == nullptr) {
        accepted_[unhandled]->inc();
        return true;
      }
      auto fetch = proto::parse_ota_fetch(m.payload, max_payload_bytes_);
      if (!fetch)
        return drop(malformed, m.topic, fetch.error().context);
      if (fetch->node_id != node_id)
        return drop(id_mismatch, m.topic, "payload node_id " + fetch->node_id);
      if (!ota_->on_fetch(std::move(node_id), std::move(*fetch)))
        return false;  // its queue is full: offered again, or dropped by `on_message`
      accepted_[ota]->inc();
      return true;
    }
    case Suffix::otastatus: {
      if (ota_ == nullptr) {
        accepted_[unhandled]->inc();
        return true;
      }
      auto status = proto::parse_ota_status(m.payload, max_payload_bytes_);
      if (!status)
        return drop(malformed, m.topic, status.error().context);
      if (!ota_->on_status(std::move(node_id), std::move(*status)))
        return false;
      accepted_[ota]->inc();
      return true;
    }
    default:
      accepted_[unhandled]->inc();
      return true;
  }
}

Result<void> MqttNodeMessenger::publish_params_remote(std::string_view node_id,
                                                      std::string_view payload) {
  return client_.publish(proto::topic_for(node_id, proto::Suffix::params_remote), payload, 1,
                         false);
}

Result<void> MqttNodeMessenger::publish_to_node(std::string_view node_id, std::string_view bytes) {
  return client_.publish(proto::topic_for(node_id, proto::Suffix::to_node), bytes, 1, false);
}

}  // namespace stratus::link

namespace stratus::link {

Result<void> MqttNodeMessenger::publish_ota_url(std::string_view node_id,
                                                std::string_view payload) {
  return client_.publish(proto::topic_for(node_id, proto::Suffix::otaurl), payload, 1, false);
}

}  // namespace stratus::link
