#include "proto/rest/events.hpp"

#include <array>
#include <boost/json.hpp>
#include <charconv>

#include "core/strings.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, kEventKindCount> kKindNames = {
    "params",  "connectivity",    "config", "alert",     "command",
    "mapping", "sharing_request", "ota",    "automation"};

Error bad_filter(std::string_view what) {
  return Error{errc::invalid_argument, std::string("invalid event filter: ") + std::string(what),
               event_error::invalid_filter};
}

Result<std::uint32_t> kinds_mask(const std::vector<std::string>& names) {
  if (names.empty())
    return kAllEventKinds;
  std::uint32_t mask = 0;
  for (const auto& name : names) {
    auto kind = parse_event_kind(name);
    if (!kind)
      return fail(bad_filter("unknown event type '" + name + "'"));
    mask |= 1u << static_cast<unsigned>(*kind);
  }
  return mask;
}

Result<std::vector<std::string>> checked_nodes(std::vector<std::string> ids) {
  if (ids.size() > kMaxFilterNodes)
    return fail(bad_filter("more than " + std::to_string(kMaxFilterNodes) + " node ids"));
  for (const auto& id : ids) {
    if (id.empty())
      return fail(bad_filter("empty node id"));
  }
  return ids;
}

std::optional<std::uint64_t> parse_event_id(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end)
    return std::nullopt;
  return value;
}

}  // namespace

std::string_view to_string(EventKind kind) noexcept {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<EventKind> parse_event_kind(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name)
      return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

Result<EventFilter> parse_event_filter(
    const std::vector<std::pair<std::string, std::string>>& query) {
  EventFilter filter;
  for (const auto& [key, value] : query) {
    if (key == "node_ids") {
      auto ids = checked_nodes(split_list(value));
      if (!ids)
        return fail(ids.error());
      filter.node_ids = std::move(*ids);
    } else if (key == "types") {
      auto mask = kinds_mask(split_list(value));
      if (!mask)
        return fail(mask.error());
      filter.kinds = *mask;
    } else if (key == "last_event_id") {
      auto id = parse_event_id(value);
      if (!id)
        return fail(bad_filter("last_event_id must be a non-negative integer"));
      filter.last_event_id = *id;
    }
  }
  return filter;
}

Result<StreamHello> parse_stream_hello(std::string_view text) {
  auto body = parse_object_body(text);
  if (!body)
    return fail(bad_filter("the first message must be a JSON object with access_token"));
  auto token = optional_string(*body, "access_token");
  if (!token || !*token || (*token)->empty())
    return fail(bad_filter("access_token must be a non-empty string"));
  StreamHello hello;
  hello.access_token = std::move(**token);
  auto nodes = optional_strings(*body, "node_ids");
  if (!nodes)
    return fail(bad_filter("node_ids must be an array of strings"));
  auto ids = checked_nodes(std::move(*nodes));
  if (!ids)
    return fail(ids.error());
  hello.filter.node_ids = std::move(*ids);
  auto types = optional_strings(*body, "types");
  if (!types)
    return fail(bad_filter("types must be an array of strings"));
  auto mask = kinds_mask(*types);
  if (!mask)
    return fail(mask.error());
  hello.filter.kinds = *mask;
  if (const auto* last = body->if_contains("last_event_id"); last != nullptr && !last->is_null()) {
    const auto id = integer(*last);
    if (!id || *id < 0)
      return fail(bad_filter("last_event_id must be a non-negative integer"));
    hello.filter.last_event_id = static_cast<std::uint64_t>(*id);
  }
  return hello;
}

namespace {
json::array kind_names(std::uint32_t mask) {
  json::array names;
  for (std::size_t i = 0; i < kEventKindCount; ++i) {
    if ((mask & (1u << i)) != 0)
      names.emplace_back(kKindNames[i]);
  }
  return names;
}
}  // namespace

std::string stream_hello_json(std::string_view access_token, const EventFilter& filter) {
  json::object o{{"access_token", access_token}};
  if (!filter.node_ids.empty())
    o["node_ids"] = strings_json(filter.node_ids);
  if (filter.kinds != kAllEventKinds)
    o["types"] = kind_names(filter.kinds);
  if (filter.last_event_id)
    o["last_event_id"] = *filter.last_event_id;
  return json::serialize(o);
}

std::string event_filter_query(const EventFilter& filter) {
  std::vector<std::string> parts;
  if (!filter.node_ids.empty())
    parts.push_back("node_ids=" + join_list(filter.node_ids));
  if (filter.kinds != kAllEventKinds) {
    std::vector<std::string> names;
    for (const auto& n : kind_names(filter.kinds))
      names.emplace_back(n.as_string());
    parts.push_back("types=" + join_list(names));
  }
  if (filter.last_event_id)
    parts.push_back("last_event_id=" + std::to_string(*filter.last_event_id));
  return join_list(parts, "&");
}

std::string event_json(std::uint64_t id, EventKind kind, std::string_view node_id,
                       std::int64_t timestamp_ms, std::string_view data_json) {
  // Assembled as text: `data_json` is already serialized (once per event, however many
  // streams carry it) and the rest are a number, a fixed name and one escaped string.
  std::string out;
  out.reserve(96 + node_id.size() + data_json.size());
  out += R"({"id":)";
  out += std::to_string(id);
  out += R"(,"type":")";
  out += to_string(kind);
  out += '"';
  if (!node_id.empty()) {
    out += R"(,"node_id":)";
    append_json_string(out, node_id);
  }
  out += R"(,"timestamp":)";
  out += std::to_string(timestamp_ms);
  out += R"(,"data":)";
  out += data_json.empty() ? std::string_view("{}") : data_json;
  out += '}';
  return out;
}

std::string stream_ready_json(std::uint64_t last_event_id, bool resumed) {
  return json::serialize(
      json::object{{"type", "ready"}, {"last_event_id", last_event_id}, {"resumed", resumed}});
}

std::string stream_resync_json(std::string_view reason) {
  return json::serialize(json::object{{"type", "resync"}, {"reason", reason}});
}

Result<StreamMessage> parse_stream_message(std::string_view text) {
  auto o = parse_answer(text, "event stream");
  if (!o)
    return fail(errc::invalid_argument, o.error().context);
  StreamMessage m;
  m.type = string_or(*o, "type");
  if (m.type.empty())
    return fail(errc::invalid_argument, "event stream: a message without a type");
  if (m.type == "ready") {
    m.id = static_cast<std::uint64_t>(std::max<std::int64_t>(0, int_or(*o, "last_event_id")));
    m.resumed = bool_or(*o, "resumed");
    return m;
  }
  if (m.type == "resync") {
    m.reason = string_or(*o, "reason");
    return m;
  }
  if (const auto* id = o->if_contains("id"); id != nullptr) {
    if (id->is_uint64())
      m.id = id->as_uint64();
    else if (auto v = integer(*id); v && *v >= 0)
      m.id = static_cast<std::uint64_t>(*v);
  }
  m.node_id = string_or(*o, "node_id");
  m.timestamp_ms = int_or(*o, "timestamp");
  if (const auto* data = o->if_contains("data"); data != nullptr && data->is_object())
    m.data_json = json::serialize(*data);
  return m;
}

std::string alert_page_json(const AlertPage& page) {
  json::array alerts;
  alerts.reserve(page.alerts.size());
  for (const auto& a : page.alerts) {
    alerts.emplace_back(json::object{{"alert_id", a.alert_id},
                                     {"node_id", a.node_id},
                                     {"timestamp", a.timestamp_ms},
                                     {"payload", document_value(a.payload_json)}});
  }
  json::object o{{"alerts", std::move(alerts)}};
  if (page.next_id)
    o["next_id"] = *page.next_id;
  return json::serialize(o);
}

Result<AlertPage> parse_alert_page(std::string_view text) {
  auto o = parse_answer(text, "alerts");
  if (!o)
    return fail(o.error());
  const auto* alerts = o->if_contains("alerts");
  if (alerts == nullptr || !alerts->is_array())
    return fail(errc::internal, "alerts: the server's answer has no alerts array");
  AlertPage page;
  for (const auto& v : alerts->as_array()) {
    if (!v.is_object())
      continue;
    const auto& a = v.as_object();
    page.alerts.push_back(Alert{int_or(a, "alert_id"), string_or(a, "node_id"),
                                int_or(a, "timestamp"), document_or_empty(a, "payload")});
  }
  if (o->contains("next_id"))
    page.next_id = int_or(*o, "next_id");
  return page;
}

Result<AlertQuery> parse_alert_query(
    const std::vector<std::pair<std::string, std::string>>& query) {
  const auto param = [&](std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [key, value] : query) {
      if (key == name)
        return value;
    }
    return std::nullopt;
  };
  AlertQuery q;
  q.node_id = std::string(param("node_id").value_or(""));
  if (q.node_id.empty())
    return fail(invalid_body("node_id is missing"));
  for (auto [name, field] :
       {std::pair{"start_time", &q.start_time}, std::pair{"end_time", &q.end_time}}) {
    auto value = parse_query_int(param(name), name);
    if (!value)
      return fail(value.error());
    if (*value && (**value < 0 || **value > limits::kMaxUnixSeconds)) {
      return fail(Error{errc::invalid_argument,
                        std::string(name) + " must be Unix seconds between 0 and 253402300799",
                        event_error::invalid_time_range});
    }
    *field = *value;
  }
  if (q.start_time && q.end_time && *q.start_time > *q.end_time) {
    return fail(Error{errc::invalid_argument, "start_time is after end_time",
                      event_error::invalid_time_range});
  }
  auto start_id = parse_query_int(param("start_id"), "start_id");
  if (!start_id)
    return fail(start_id.error());
  if (*start_id && **start_id < 0)
    return fail(invalid_body("start_id must not be negative"));
  q.start_id = *start_id;
  auto size = parse_page_size(param("num_records"));
  if (!size)
    return fail(size.error());
  q.num_records = *size;
  return q;
}

namespace {

std::string value_text(const json::value& v) {
  if (v.is_string())
    return std::string(v.as_string());
  return json::serialize(v);
}

// "Device.Param=value" for every param of a params object, in document order.
void flatten(const json::object& params, std::string& out) {
  for (const auto& [device, members] : params) {
    if (!members.is_object()) {
      out += (out.empty() ? "" : ", ") + std::string(device) + "=" + value_text(members);
      continue;
    }
    for (const auto& [param, value] : members.as_object()) {
      out += out.empty() ? "" : ", ";
      out += std::string(device) + "." + std::string(param) + "=" + value_text(value);
    }
  }
}

}  // namespace

std::string alert_text(std::string_view payload_json) {
  boost::system::error_code ec;
  const auto v = json::parse(payload_json, ec);
  if (!ec && v.is_object()) {
    if (const auto* text = v.as_object().if_contains("esp.alert.str");
        text != nullptr && text->is_string()) {
      return std::string(text->as_string());
    }
  }
  return std::string(payload_json);
}

std::string event_summary(const StreamMessage& m) {
  boost::system::error_code ec;
  const auto parsed = json::parse(m.data_json, ec);
  const json::object empty;
  const json::object& data = !ec && parsed.is_object() ? parsed.as_object() : empty;
  if (m.type == "params") {
    std::string out;
    if (const auto* p = data.if_contains("payload"); p != nullptr && p->is_object())
      flatten(p->as_object(), out);
    return bool_or(data, "init") ? "all params: " + out : out;
  }
  if (m.type == "connectivity")
    return bool_or(data, "connected") ? "online" : "offline";
  if (m.type == "alert") {
    const auto* p = data.if_contains("payload");
    return "alert: " + (p != nullptr ? alert_text(json::serialize(*p)) : std::string());
  }
  if (m.type == "config")
    return "config reported";
  if (m.type == "command") {
    return "command " + string_or(data, "request_id") + " " + string_or(data, "status");
  }
  if (m.type == "mapping") {
    if (const auto group = string_or(data, "group_id"); !group.empty())
      return "access changed (group " + group + ")";
    const auto role = string_or(data, "role");
    return role.empty() ? "access removed" : "access: " + role;
  }
  if (m.type == "sharing_request") {
    return "sharing request " + string_or(data, "request_id") + " " + string_or(data, "status");
  }
  if (m.type == "automation")
    return "automation \"" + string_or(data, "name") + "\" fired: " + string_or(data, "cause");
  if (m.type == "ota") {
    return "OTA job " + string_or(data, "ota_job_id") + " " + string_or(data, "status") + ": " +
           string_or(data, "additional_info");
  }
  return m.data_json;
}

Result<WebhookRequest> parse_webhook_request(const json::object& body) {
  WebhookRequest r;
  auto fields = optional_string_fields(body, std::array<std::string_view, 2>{"url", "secret"});
  if (!fields)
    return fail(fields.error());
  if (!(*fields)[0])
    return fail(invalid_body("url is missing"));
  if (!(*fields)[1])
    return fail(invalid_body("secret is missing"));
  r.url = std::move(*(*fields)[0]);
  r.secret = std::move(*(*fields)[1]);
  auto events = optional_strings(body, "events");
  if (!events)
    return fail(events.error());
  r.events = std::move(*events);
  auto nodes = optional_strings(body, "node_ids");
  if (!nodes)
    return fail(nodes.error());
  r.node_ids = std::move(*nodes);
  return r;
}

std::string webhook_request_json(const WebhookRequest& r) {
  json::object o{{"url", r.url}, {"events", strings_json(r.events)}, {"secret", r.secret}};
  if (!r.node_ids.empty())
    o["node_ids"] = strings_json(r.node_ids);
  return json::serialize(o);
}

std::vector<std::string> event_kind_names(std::uint32_t mask) {
  std::vector<std::string> names;
  for (const auto& n : kind_names(mask))
    names.emplace_back(n.as_string());
  return names;
}

std::string webhook_list_json(const std::vector<WebhookInfo>& webhooks) {
  json::array list;
  for (const auto& w : webhooks) {
    json::object o{{"webhook_id", w.webhook_id},
                   {"url", w.url},
                   {"events", strings_json(w.events)},
                   {"node_ids", strings_json(w.node_ids)},
                   {"enabled", w.enabled},
                   {"failures", w.failures},
                   {"created", w.created_ms}};
    if (!w.disabled_reason.empty())
      o["disabled_reason"] = w.disabled_reason;
    if (!w.last_error.empty())
      o["last_error"] = w.last_error;
    if (w.last_success_ms != 0)
      o["last_success"] = w.last_success_ms;
    list.emplace_back(std::move(o));
  }
  return json::serialize(json::object{{"webhooks", std::move(list)}});
}

Result<std::vector<WebhookInfo>> parse_webhook_list(std::string_view text) {
  auto o = parse_answer(text, "webhooks");
  if (!o)
    return fail(o.error());
  const auto* list = o->if_contains("webhooks");
  if (list == nullptr || !list->is_array())
    return fail(errc::internal, "webhooks: the server's answer has no webhooks array");
  std::vector<WebhookInfo> out;
  for (const auto& v : list->as_array()) {
    if (!v.is_object())
      continue;
    const auto& w = v.as_object();
    out.push_back(WebhookInfo{string_or(w, "webhook_id"), string_or(w, "url"),
                              strings_or_empty(w, "events"), strings_or_empty(w, "node_ids"),
                              bool_or(w, "enabled", true), int_or(w, "failures"),
                              string_or(w, "disabled_reason"), string_or(w, "last_error"),
                              int_or(w, "created"), int_or(w, "last_success")});
  }
  return out;
}

}  // namespace stratus::proto::rest
