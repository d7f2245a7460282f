#include "console/rainmaker_map.hpp"

#include <boost/json.hpp>

#include "console/detail/command_text.hpp"
#include "core/hex.hpp"
#include "model/node_config.hpp"
#include "proto/cmd_resp.hpp"
#include "proto/ota.hpp"
#include "proto/payloads.hpp"
#include "proto/topic_rules.hpp"
#include "proto/topics.hpp"

namespace stratus::console {
namespace {

namespace json = boost::json;
using proto::Suffix;

// Params documents may be large (many devices); the cloud's own cap for a report.
constexpr std::size_t kMaxParamsBytes = 64 * 1024;
constexpr std::size_t kSummaryChars = 160;

constexpr std::string_view kAwsPresencePrefix = "$aws/events/presence/";

std::string shorten(std::string text) {
  if (text.size() > kSummaryChars) {
    text.resize(kSummaryChars - 3);
    text += "...";
  }
  return text;
}

// Text from outside that JSON did not vet (topic levels, TLV strings, decoder messages):
// printable ASCII kept, every other byte as `\xNN`, so the JSON stays valid UTF-8.
std::string printable(std::string_view text) {
  return detail::bytes_text(text, false);
}

// Bytes as text when they are printable ASCII, else hex.
json::value bytes_value(std::string_view bytes) {
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f)
      return json::object{{"hex", to_hex(bytes)}};
  }
  return json::string(bytes);
}

}  // namespace

const std::vector<std::string>& rainmaker_filters() {
  static const std::vector<std::string> filters = {
      std::string(proto::kNodeTopicFilter), std::string(proto::kBasicIngestTopicFilter),
      std::string(proto::kPresenceTopicFilter), std::string(kAwsPresencePrefix) + "+/+"};
  return filters;
}

RainMakerNode& RainMakerMap::node(std::string_view node_id, std::int64_t wall_ms) {
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) {
    it = nodes_.emplace(std::string(node_id), RainMakerNode{}).first;
    it->second.node_id = std::string(node_id);
    it->second.first_seen_ms = wall_ms;
  }
  it->second.last_seen_ms = wall_ms;
  ++it->second.messages;
  return it->second;
}

std::optional<RainMakerMessage> RainMakerMap::on_message(std::string_view topic,
                                                         std::string_view payload,
                                                         std::int64_t wall_ms) {
  RainMakerMessage m;
  json::object o;
  const auto refuse = [&m](const std::string& why) {
    m.decoded = false;
    m.error = printable(why);
    m.summary = "(not decoded: " + m.error + ")";
    m.json = "{}";
    return m;
  };

  // Presence: Stratus's retained events, or AWS IoT's lifecycle events.
  if (topic.starts_with(proto::kPresenceTopicPrefix)) {
    auto p = proto::parse_presence(topic, payload);
    if (!p)
      return std::nullopt;  // not one of ours: an empty retained clear, or foreign
    auto& n = node(p->node_id, wall_ms);
    m.node_id = p->node_id;
    m.kind = "presence";
    n.online = p->connected;
    n.online_since_ms = p->timestamp_ms;
    m.summary = p->connected ? "connected" : "disconnected";
    m.json = json::serialize(
        json::object{{"connected", p->connected}, {"timestamp_ms", p->timestamp_ms}});
    return m;
  }
  if (topic.starts_with(kAwsPresencePrefix)) {
    const auto rest = topic.substr(kAwsPresencePrefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos)
      return std::nullopt;
    const auto event = rest.substr(0, slash);
    const auto id = rest.substr(slash + 1);
    if ((event != "connected" && event != "disconnected") || !proto::valid_node_id(id))
      return std::nullopt;
    auto& n = node(id, wall_ms);
    m.node_id = std::string(id);
    m.kind = "presence";
    n.online = event == "connected";
    n.online_since_ms = wall_ms;
    json::error_code ec;
    const auto v = json::parse(payload, ec);
    if (!ec && v.is_object() && v.as_object().contains("timestamp") &&
        v.as_object().at("timestamp").is_int64())
      n.online_since_ms = v.as_object().at("timestamp").as_int64();
    m.summary = std::string(event);
    m.json = json::serialize(
        json::object{{"connected", event == "connected"}, {"timestamp_ms", n.online_since_ms}});
    return m;
  }

  const auto t = proto::parse_node_topic(topic);
  if (!t)
    return std::nullopt;
  auto& n = node(t->node_id, wall_ms);
  m.node_id = std::string(t->node_id);
  m.kind = std::string(proto::to_string(t->suffix));
  if (!t->group_id.empty())
    o["group_id"] = printable(t->group_id);

  switch (t->suffix) {
    case Suffix::config: {
      auto c = model::parse_node_config(payload);
      if (!c)
        return refuse(c.error().context);
      n.name = c->info.name;
      n.type = c->info.type;
      n.model = c->info.model;
      n.fw_version = c->info.fw_version;
      json::array devices;
      for (const auto& d : c->devices)
        devices.push_back(json::string(d.name));
      o["name"] = c->info.name;
      o["type"] = c->info.type;
      o["model"] = c->info.model;
      o["fw_version"] = c->info.fw_version;
      o["devices"] = std::move(devices);
      m.summary = "name=" + c->info.name + " type=" + c->info.type + " model=" + c->info.model +
                  " fw=" + c->info.fw_version + " devices=" + std::to_string(c->devices.size());
      break;
    }
    case Suffix::params_local_init:
    case Suffix::params_local:
    case Suffix::params_local_group:
    case Suffix::params_remote: {
      auto p = proto::parse_json_object(payload, kMaxParamsBytes);
      if (!p)
        return refuse(p.error().context);
      if (t->suffix != Suffix::params_remote)
        n.last_params_ms = wall_ms;
      m.summary = shorten(json::serialize(*p));
      o["params"] = std::move(*p);
      break;
    }
    case Suffix::alert: {
      auto a = proto::parse_alert(payload, proto::kMaxAlertBytes);
      if (!a)
        return refuse(a.error().context);
      ++n.alerts;
      const bool text = a->kind == proto::Alert::Kind::text;
      o["kind"] = text ? "text" : "params";
      o[text ? "message" : "params"] = a->text;
      m.summary = shorten((text ? "alert: " : "alert params: ") + a->text);
      break;
    }
    case Suffix::otafetch: {
      auto f = proto::parse_ota_fetch(payload);
      if (!f)
        return refuse(f.error().context);
      n.fw_version = f->fw_version;
      o["fw_version"] = f->fw_version;
      m.summary = "fetch, running " + f->fw_version;
      break;
    }
    case Suffix::otastatus: {
      auto s = proto::parse_ota_status(payload);
      if (!s)
        return refuse(s.error().context);
      n.ota_status = std::string(proto::to_string(s->status));
      o["ota_job_id"] = s->ota_job_id;
      o["status"] = n.ota_status;
      o["additional_info"] = s->additional_info;
      m.summary = "job " + s->ota_job_id + ": " + n.ota_status +
                  (s->additional_info.empty() ? "" : " (" + s->additional_info + ")");
      break;
    }
    case Suffix::otaurl: {
      auto u = proto::parse_ota_url(payload);
      if (!u)
        return refuse(u.error().context);
      o["ota_job_id"] = u->ota_job_id;
      o["url"] = u->url;
      if (u->fw_version)
        o["fw_version"] = *u->fw_version;
      if (u->file_size)
        o["file_size"] = *u->file_size;
      m.summary = "offer " + u->ota_job_id + " " + u->fw_version.value_or("?") + " " + u->url;
      break;
    }
    case Suffix::to_node: {
      auto r = proto::decode_request(payload);
      if (!r)
        return refuse(r.error().context);
      o["request_id"] = printable(r->request_id);
      o["command"] = r->command;
      o["role"] = r->role;
      o["data"] = bytes_value(r->data);
      m.summary = "request " + printable(r->request_id) + " command " + std::to_string(r->command) +
                  " role " + std::to_string(r->role) + " " + std::to_string(r->data.size()) +
                  " byte(s)";
      break;
    }
    case Suffix::from_node: {
      auto r = proto::decode_response(payload);
      if (!r)
        return refuse(r.error().context);
      if (r->is_poll()) {
        o["poll"] = true;
        m.summary = "poll for pending commands";
        break;
      }
      o["request_id"] = printable(r->request_id);
      o["command"] = r->command;
      o["status"] = r->status;
      o["data"] = bytes_value(r->data);
      m.summary = "response " + printable(r->request_id) + " command " +
                  std::to_string(r->command) + " status " + std::to_string(r->status) + " " +
                  std::to_string(r->data.size()) + " byte(s)";
      break;
    }
    case Suffix::user_mapping: {
      auto u = proto::parse_user_mapping(payload);
      if (!u)
        return refuse(u.error().context);
      o["user_id"] = u->user_id;
      o["reset"] = u->reset;  // the secret key is never shown
      m.summary = "mapping to user " + u->user_id + (u->reset ? " (reset)" : "");
      break;
    }
    case Suffix::tsdata: {
      auto r = proto::parse_tsdata(payload);
      if (!r)
        return refuse(r.error().context);
      o["records"] = r->size();
      m.summary = std::to_string(r->size()) + " time-series record(s)";
      break;
    }
    case Suffix::simple_tsdata: {
      auto r = proto::parse_simple_tsdata(payload);
      if (!r)
        return refuse(r.error().context);
      o["records"] = 1;
      m.summary = "1 time-series record";
      break;
    }
    case Suffix::diagnostics:
      o["bytes"] = payload.size();
      m.summary = std::to_string(payload.size()) + " byte(s) of diagnostics";
      break;
  }
  m.json = json::serialize(o);
  return m;
}

}  // namespace stratus::console
