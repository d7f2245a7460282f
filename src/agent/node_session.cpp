#include "agent/node_session.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <utility>

#include "proto/cmd_resp.hpp"
#include "proto/payloads.hpp"

namespace stratus::agent {
namespace {

namespace json = boost::json;
using proto::Suffix;

/// `ESP_RMAKER_MAX_ALERT_LEN`.
constexpr std::size_t kMaxAlertBytes = 100;
/// The firmware does not send `params/local` payloads shorter than this (spec §1.3).
constexpr std::size_t kMinReportBytes = 13;
/// `tsdata` format version the firmware writes (spec §1.3).
constexpr std::string_view kTsDataVersion = "2021-09-13";

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  std::size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) so a code point is never cut.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
    --end;
  }
  return text.substr(0, end);
}

}  // namespace

NodeSession::NodeSession(NodeModel& model, const Clock& clock, SessionOptions options)
    : model_(model),
      clock_(clock),
      options_(options),
      remote_topic_(proto::topic_for(model.node_id(), Suffix::params_remote)),
      to_node_topic_(proto::topic_for(model.node_id(), Suffix::to_node)) {
  stats_.boots = 1;
  if (options_.cmd_resp) {
    model_.set_attribute("cmd-resp", "1");
  }
  if (options_.ota) {
    ota_ = std::make_unique<OtaEngine>(model_, clock_, *options_.ota, options_.basic_ingest_topics,
                                       [this](MqttActions& out) { report(out); });
  }
}

NodeSession::~NodeSession() = default;

void NodeSession::publish(Suffix suffix, std::string payload, MqttActions& out) const {
  out.push_back({MqttAction::Kind::publish,
                 proto::node_publish_topic(model_.node_id(), suffix, options_.basic_ingest_topics),
                 std::move(payload)});
}

void NodeSession::subscribe_all(MqttActions& out) const {
  out.push_back({MqttAction::Kind::subscribe, remote_topic_, {}});
}

void NodeSession::start_cmd_resp(MqttActions& out) {
  if (options_.cmd_resp) {
    out.push_back({MqttAction::Kind::subscribe, to_node_topic_, {}});
    publish(Suffix::from_node, proto::encode_poll(), out);
    ++stats_.polls;
  }
}

void NodeSession::on_connected(MqttActions& out) {
  connected_ = true;
  ++stats_.connects;
  if (booted_) {
    // A reconnect within the boot: resubscribe, poll for pending commands, then what
    // changed while offline.
    subscribe_all(out);
    start_cmd_resp(out);
    report(out);
    if (ota_) {
      ota_->on_connected(false, out);
    }
    return;
  }
  // spec §1.4 steps 2-3.
  publish(Suffix::config, model_.config_json(), out);
  if (mapping_pending_) {
    publish_mapping(out);
  }
  subscribe_all(out);
  model_.clear_changes();
  publish(Suffix::params_local_init, json::serialize(model_.params()), out);
  booted_ = true;
  for (const auto& group : {&model_.config().devices, &model_.config().services}) {
    for (const auto& device : *group) {
      for (const auto& spec : device.params) {
        if (spec.time_series || spec.simple_ts) {
          if (const auto* v = model_.value(device.name, spec.name); v != nullptr) {
            publish_time_series(device.name, spec, *v, out);
          }
        }
      }
    }
  }
  start_cmd_resp(out);  // spec §1.4 step 5
  if (ota_) {
    ota_->on_connected(true, out);
  }
}

void NodeSession::on_disconnected() noexcept {
  connected_ = false;
  if (ota_) {
    ota_->on_disconnected();
  }
}

void NodeSession::reboot() noexcept {
  connected_ = false;
  booted_ = false;
  ++stats_.boots;
  if (ota_) {
    ota_->on_reboot();
  }
}

void NodeSession::tick(MqttActions& out) {
  if (ota_) {
    ota_->tick(out);
  }
}

std::optional<std::chrono::steady_clock::time_point> NodeSession::next_deadline() const {
  return ota_ ? ota_->next_deadline() : std::nullopt;
}

void NodeSession::on_download_header(std::uint64_t id, std::span<const std::uint8_t> head,
                                     MqttActions& out) {
  if (ota_) {
    ota_->on_download_header(id, head, out);
  }
}

void NodeSession::on_download_progress(std::uint64_t id, std::uint64_t bytes, MqttActions& out) {
  if (ota_) {
    ota_->on_download_progress(id, bytes, out);
  }
}

void NodeSession::on_download_finished(std::uint64_t id, const Result<DownloadedImage>& result,
                                       MqttActions& out) {
  if (ota_) {
    ota_->on_download_finished(id, result, out);
  }
}

void NodeSession::restore_ota(const OtaPersistentState& state) {
  if (ota_) {
    ota_->restore(state);
  }
}

void NodeSession::on_message(std::string_view topic, std::string_view payload, MqttActions& out) {
  if (options_.cmd_resp && topic == to_node_topic_) {
    handle_command(payload, out);
    return;
  }
  if (ota_ && ota_->on_message(topic, payload, out)) {
    return;
  }
  if (topic != remote_topic_) {
    return;
  }
  if (!apply_user_set(payload, out, SetOrigin::cloud)) {
    ++stats_.rejected_messages;
  }
}

Result<SetOutcome> NodeSession::apply_user_set(std::string_view payload, MqttActions& out,
                                               SetOrigin origin) {
  auto set = proto::parse_json_object(payload, options_.max_remote_payload_bytes);
  if (!set) {
    return fail(std::move(set).error());
  }
  ++(origin == SetOrigin::cloud ? stats_.remote_sets : stats_.local_sets);
  auto outcome = model_.apply_set(*set);
  stats_.refused_params += outcome.refused.size();
  report(out);
  if (ota_) {
    ota_->on_params_applied(outcome.applied, out);  // OTA using params: `OTA.URL`
  }
  return outcome;
}

void NodeSession::handle_command(std::string_view payload, MqttActions& out) {
  if (payload.size() > options_.max_command_bytes) {
    ++stats_.rejected_messages;
    return;
  }
  auto request = proto::decode_request(payload);
  if (!request) {
    ++stats_.rejected_messages;
    return;
  }
  const auto role = static_cast<std::uint8_t>(request->role & 0x0FU);
  int sub_role = 0;
  for (int n = 1; n <= 4; ++n) {
    if ((request->role & proto::sub_role_bits(n)) != 0) {
      sub_role = n;
    }
  }
  auto answer = [&](proto::CmdStatus status) {
    respond(request->request_id, request->command, static_cast<std::uint8_t>(status), {}, out);
  };
  if (request->request_id.empty() || request->request_id.size() > proto::kMaxRequestIdBytes ||
      role == 0 || request->command == 0) {
    answer(proto::CmdStatus::invalid);
    return;
  }
  const CommandRequest view{request->request_id, request->role, sub_role,
                            request->command,    request->data, request->timestamp.value_or(0)};
  CommandReply reply;
  json::object applied;  // params set by command 1, for OTA using params
  if (request->command == proto::kCmdSetParams) {
    // spec §3.3: super-admin, primary and secondary users may set params.
    if ((role & (admin_access | primary_access | secondary_access)) == 0) {
      answer(proto::CmdStatus::auth_failed);
      return;
    }
    reply = set_params_command(view, applied);
  } else {
    const auto* entry = model_.find_command(request->command);
    if (entry == nullptr) {
      answer(proto::CmdStatus::not_found);
      return;
    }
    if ((entry->first & role) == 0) {
      answer(proto::CmdStatus::auth_failed);
      return;
    }
    reply = entry->second(view);
  }
  if (!reply.deferred) {
    respond(request->request_id, request->command, reply.status, reply.data, out);
  }
  // Changes a handler made through `NodeModel::update` are reported as usual.
  report(out);
  if (ota_ && !applied.empty()) {
    ota_->on_params_applied(applied, out);  // the job starts after the answer
  }
}

CommandReply NodeSession::set_params_command(const CommandRequest& request, json::object& applied) {
  auto document = proto::parse_json_object(request.data, options_.max_command_bytes);
  const json::value* params = document ? document->if_contains("params") : nullptr;
  if (params == nullptr || !params->is_object()) {
    return CommandReply::invalid(
        R"({"status":"fail","description":"expected {\"params\":{...}}"})");
  }
  auto outcome = model_.apply_set(params->get_object(), /*report=*/false);
  stats_.refused_params += outcome.refused.size();
  applied = outcome.applied;
  json::object answer;
  answer["status"] = outcome.applied.empty() && !outcome.refused.empty() ? "fail" : "success";
  if (!outcome.applied.empty()) {
    answer["params"] = std::move(outcome.applied);
  }
  return CommandReply::ok(json::serialize(answer));
}

bool NodeSession::respond(std::string_view request_id, std::uint16_t command, std::uint8_t status,
                          std::string_view data, MqttActions& out) {
  if (!connected_) {
    return false;
  }
  proto::CmdResponse response;
  response.request_id = request_id;
  response.status = status;
  response.command = command;
  response.data = data;
  publish(Suffix::from_node, proto::encode_response(response), out);
  ++stats_.commands;
  return true;
}

void NodeSession::start_mapping(std::string user_id, std::string secret_key, MqttActions& out) {
  mapping_user_id_ = std::move(user_id);
  mapping_secret_ = std::move(secret_key);
  mapping_pending_ = true;
  if (connected_ && booted_) {
    publish_mapping(out);
  }
}

void NodeSession::publish_mapping(MqttActions& out) {
  json::object message{{"node_id", model_.node_id()},
                       {"user_id", mapping_user_id_},
                       {"secret_key", mapping_secret_}};
  if (mapping_user_id_ != last_mapped_user_id_) {
    message["reset"] = true;
  }
  publish(Suffix::user_mapping, json::serialize(message), out);
  last_mapped_user_id_ = mapping_user_id_;
  mapping_pending_ = false;
  ++stats_.mappings;
}

void NodeSession::report(MqttActions& out) {
  if (!connected_ || !booted_ || !model_.has_changes()) {
    return;
  }
  publish_changes(model_.take_changes(), out);
}

void NodeSession::publish_changes(const json::object& changes, MqttActions& out) {
  auto payload = json::serialize(changes);
  if (payload.size() >= kMinReportBytes) {
    publish(Suffix::params_local, std::move(payload), out);
    ++stats_.reports;
  }
  for (const auto& [device, params] : changes) {
    const auto* device_spec = model_.config().find_device(device);
    if (device_spec == nullptr || !params.is_object()) {
      continue;
    }
    for (const auto& [param, value] : params.get_object()) {
      const auto* spec = device_spec->find_param(param);
      if (spec != nullptr && (spec->time_series || spec->simple_ts)) {
        publish_time_series(device, *spec, value, out);
      }
    }
  }
}

void NodeSession::publish_time_series(std::string_view device, const model::ParamSpec& spec,
                                      const json::value& value, MqttActions& out) {
  const auto t =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  std::string name;
  name.append(device).append(".").append(spec.name);
  if (spec.time_series) {
    json::object record{{"name", name},
                        {"type", spec.type},
                        {"dt", model::to_string(spec.data_type)},
                        {"records", json::array{json::object{{"t", t}, {"v", value}}}}};
    json::object message{{"ts_data_version", kTsDataVersion},
                         {"ts_data", json::array{std::move(record)}}};
    publish(Suffix::tsdata, json::serialize(message), out);
  } else {
    json::object message{{"name", name},
                         {"type", spec.type},
                         {"dt", model::to_string(spec.data_type)},
                         {"t", t},
                         {"v", value}};
    publish(Suffix::simple_tsdata, json::serialize(message), out);
  }
  ++stats_.time_series;
}

bool NodeSession::raise_alert(std::string_view text, MqttActions& out) {
  if (!connected_ || !booted_) {
    return false;
  }
  json::object message{{"esp.alert.str", utf8_prefix(text, kMaxAlertBytes)}};
  publish(Suffix::alert, json::serialize(message), out);
  ++stats_.alerts;
  return true;
}

}  // namespace stratus::agent
