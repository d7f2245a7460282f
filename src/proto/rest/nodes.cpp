#include "proto/rest/nodes.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

}  // namespace

json::object to_json(const Connectivity& c) {
  return json::object{{"connected", c.connected}, {"timestamp", c.timestamp_ms}};
}

Connectivity parse_node_status(const json::object& a) {
  Connectivity c;
  if (const auto* v = a.if_contains("connectivity"); v != nullptr && v->is_object()) {
    c.connected = bool_or(v->as_object(), "connected");
    c.timestamp_ms = int_or(v->as_object(), "timestamp");
  }
  return c;
}

json::object node_status_json(const Connectivity& c) {
  return json::object{{"connectivity", to_json(c)}};
}

json::object to_json(const NodeDetails& n) {
  json::object o{{"id", n.id},
                 {"node_id", n.id},
                 {"role", n.role},
                 {"primary", n.primary()},
                 {"sub_role", n.sub_role},
                 {"node_type", "rainmaker"},
                 {"is_matter", false},
                 {"mapping_timestamp", n.mapping_timestamp_s},
                 {"status", node_status_json(n.connectivity)},
                 {"tags", strings_json(n.tags)},
                 {"metadata", document_value(n.metadata_json)}};
  if (!n.config_json.empty())
    o["config"] = document_value(n.config_json);
  if (!n.params_json.empty())
    o["params"] = document_value(n.params_json);
  return o;
}

NodeDetails parse_node_details(const json::object& o) {
  NodeDetails d;
  d.id = string_or(o, "id", string_or(o, "node_id"));
  d.role = string_or(o, "role");
  if (d.role.empty() && bool_or(o, "primary"))
    d.role = "primary";
  d.sub_role = static_cast<int>(int_or(o, "sub_role"));
  if (const auto* status = o.if_contains("status"); status != nullptr && status->is_object())
    d.connectivity = parse_node_status(status->as_object());
  if (const auto* config = o.if_contains("config"); config != nullptr && config->is_object()) {
    d.config_json = json::serialize(*config);
    if (const auto* info = config->as_object().if_contains("info");
        info != nullptr && info->is_object()) {
      d.name = string_or(info->as_object(), "name");
      d.type = string_or(info->as_object(), "type");
      d.fw_version = string_or(info->as_object(), "fw_version");
    }
  }
  d.params_json = document_or_empty(o, "params");
  d.metadata_json = document_or_empty(o, "metadata");
  d.tags = strings_or_empty(o, "tags");
  d.mapping_timestamp_s = int_or(o, "mapping_timestamp");
  return d;
}

json::object to_json(const NodePage& page) {
  json::object o;
  json::array items;
  if (page.with_details) {
    for (const auto& n : page.node_details)
      items.push_back(to_json(n));
  } else {
    for (const auto& id : page.node_ids)
      items.emplace_back(id);
  }
  o[page.with_details ? "node_details" : "nodes"] = std::move(items);
  if (!page.next_id.empty())
    o["next_id"] = page.next_id;
  o["total"] = page.total;
  return o;
}

NodePage parse_node_page(const json::object& a) {
  NodePage page;
  page.node_ids = strings_or_empty(a, "nodes");
  if (const auto* list = a.if_contains("node_details"); list != nullptr && list->is_array()) {
    page.with_details = true;
    for (const auto& entry : list->as_array()) {
      if (entry.is_object())
        page.node_details.push_back(parse_node_details(entry.as_object()));
    }
  }
  page.next_id = string_or(a, "next_id");
  const auto count = page.with_details ? page.node_details.size() : page.node_ids.size();
  page.total = int_or(a, "total", static_cast<std::int64_t>(count));
  return page;
}

std::string json_text(const NodePage& page) {
  return json::serialize(to_json(page));
}

Result<std::vector<ParamsSet>> parse_params_sets(const json::value& body,
                                                 std::string_view query_node_id) {
  std::vector<ParamsSet> sets;
  if (const auto* items = body.if_array()) {
    if (items->empty() || items->size() > limits::kMaxSetsPerRequest) {
      return fail(invalid_body("1 to " + std::to_string(limits::kMaxSetsPerRequest) +
                               " node entries expected"));
    }
    sets.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
      const auto* item = (*items)[i].if_object();
      const auto* id = item != nullptr ? item->if_contains("node_id") : nullptr;
      const auto* payload = item != nullptr ? item->if_contains("payload") : nullptr;
      if (id == nullptr || !id->is_string() || payload == nullptr || !payload->is_object()) {
        return fail(invalid_body("entry " + std::to_string(i) +
                                 " needs a string node_id and an object payload"));
      }
      sets.push_back(ParamsSet{std::string(id->as_string()), &payload->as_object()});
    }
    return sets;
  }
  if (body.is_object() && !query_node_id.empty()) {
    sets.push_back(ParamsSet{std::string(query_node_id), &body.as_object()});
    return sets;
  }
  return fail(invalid_body("expected [{node_id, payload}] or an object payload with ?node_id="));
}

json::array to_json(const std::vector<ParamsSet>& sets) {
  json::array body;
  for (const auto& s : sets)
    body.push_back(json::object{{"node_id", s.node_id}, {"payload", *s.payload}});
  return body;
}

json::object to_json(const SetOutcome& o) {
  json::object j{{"node_id", o.node_id},
                 {"status", o.success ? "success" : "failure"},
                 {"description", o.description}};
  if (o.queued)
    j["queued"] = true;
  if (!o.success)
    j["error_code"] = o.error_code;
  return j;
}

std::vector<SetOutcome> parse_set_outcomes(const json::value& answer,
                                           const std::vector<std::string>& node_ids) {
  std::vector<SetOutcome> outcomes;
  const auto* list = answer.if_array();
  if (list == nullptr) {
    for (const auto& id : node_ids)
      outcomes.push_back(SetOutcome{id, true, "success", 0, false});
    return outcomes;
  }
  for (const auto& entry : *list) {
    if (!entry.is_object())
      continue;
    const auto& o = entry.as_object();
    outcomes.push_back(SetOutcome{string_or(o, "node_id"), string_or(o, "status") == "success",
                                  string_or(o, "description"),
                                  static_cast<int>(int_or(o, "error_code")), bool_or(o, "queued")});
  }
  return outcomes;
}

Result<MappingRequest> parse_mapping_request(const json::object& body) {
  MappingRequest r;
  auto node_id = optional_string(body, "node_id");
  auto secret_key = optional_string(body, "secret_key");
  auto operation = optional_string(body, "operation");
  auto user_id = optional_string(body, "user_id");
  for (const auto* v : {&node_id, &secret_key, &operation, &user_id}) {
    if (!*v)
      return fail(v->error());
  }
  if (!*node_id) {
    return fail(errc::invalid_argument, request_error::invalid_request_body, "node_id is missing");
  }
  r.node_id = std::move(**node_id);
  r.secret_key = secret_key->value_or("");
  r.operation = operation->value_or("add");
  r.user_id = std::move(*user_id);
  return r;
}

json::object to_json(const MappingRequest& r) {
  json::object o{{"node_id", r.node_id}, {"secret_key", r.secret_key}, {"operation", r.operation}};
  if (r.user_id)
    o["user_id"] = *r.user_id;
  return o;
}

json::object mapping_created_json(std::string_view request_id) {
  json::object o = success_body("Mapping request created");
  o["request_id"] = request_id;
  return o;
}

Result<std::string> parse_mapping_created(const json::object& a) {
  auto request_id = string_or(a, "request_id");
  if (request_id.empty())
    return fail(errc::internal, "PUT /v1/user/nodes/mapping: the answer has no request_id");
  return request_id;
}

std::string_view to_string(MappingStatus status) noexcept {
  switch (status) {
    case MappingStatus::requested:
      return "requested";
    case MappingStatus::confirmed:
      return "confirmed";
    case MappingStatus::timedout:
      return "timedout";
    case MappingStatus::discarded:
      return "discarded";
  }
  return "discarded";
}

json::object mapping_status_json(std::string_view status) {
  return json::object{{"request_status", status}};
}

Result<MappingStatus> parse_mapping_status(const json::object& a) {
  const auto status = string_or(a, "request_status");
  for (auto s : {MappingStatus::requested, MappingStatus::confirmed, MappingStatus::timedout,
                 MappingStatus::discarded}) {
    if (status == to_string(s))
      return s;
  }
  if (status == "timeout")
    return MappingStatus::timedout;
  return fail(errc::internal, "unknown mapping status \"" + status + "\"");
}

Result<NodeUpdate> parse_node_update(const json::object& body) {
  NodeUpdate u;
  const auto* tags = body.if_contains("tags");
  if (tags != nullptr) {
    if (!tags->is_array())
      return fail(invalid_body("tags must be an array of strings"));
    if (tags->as_array().size() > limits::kMaxTags)
      return fail(invalid_body("a node has at most " + std::to_string(limits::kMaxTags) + " tags"));
    auto list = optional_strings(body, "tags");
    if (!list)
      return fail(list.error());
    u.tags = std::move(*list);
  }
  u.metadata = body.if_contains("metadata");
  if (u.tags.empty() && u.metadata == nullptr)
    return fail(invalid_body("tags or metadata expected"));
  return u;
}

json::object to_json(const NodeUpdate& u) {
  json::object o;
  if (!u.tags.empty())
    o["tags"] = strings_json(u.tags);
  if (u.metadata != nullptr)
    o["metadata"] = *u.metadata;
  return o;
}

Result<MappingChallengeRequest> parse_mapping_challenge_request(const json::object& body) {
  const auto bad = [] {
    return Error{errc::invalid_argument, "timeout must be a whole number of seconds",
                 mapping_error::timeout_invalid};
  };
  MappingChallengeRequest r;
  const auto* v = body.if_contains("timeout");
  if (v == nullptr || v->is_null())
    return r;
  if (const auto n = integer(*v)) {
    r.timeout_s = *n;
  } else if (v->is_double()) {
    const double d = v->as_double();  // 360.0 from some JSON encoders
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 1e15)
      return fail(bad());
    r.timeout_s = static_cast<std::int64_t>(d);
  } else {
    return fail(bad());
  }
  return r;
}

json::object to_json(const MappingChallengeRequest& r) {
  json::object o;
  if (r.timeout_s)
    o["timeout"] = *r.timeout_s;
  return o;
}

json::object to_json(const MappingChallenge& c) {
  return json::object{{"request_id", c.request_id}, {"challenge", c.challenge}};
}

Result<MappingChallenge> parse_mapping_challenge(const json::object& a) {
  MappingChallenge c{string_or(a, "request_id"), string_or(a, "challenge")};
  if (c.request_id.empty() || c.challenge.empty()) {
    return fail(errc::internal,
                "POST /v1/user/nodes/mapping/initiate: the answer lacks request_id or challenge");
  }
  return c;
}

Result<MappingVerifyRequest> parse_mapping_verify_request(const json::object& body) {
  auto v = optional_string_fields<3>(body, {"request_id", "node_id", "challenge_response"});
  if (!v)
    return fail(v.error());
  auto& [request_id, node_id, challenge_response] = *v;
  MappingVerifyRequest r{request_id.value_or(""), node_id.value_or(""),
                         challenge_response.value_or("")};
  if (const auto* tags = body.if_contains("tags"); tags != nullptr && !tags->is_null()) {
    if (auto list = optional_strings(body, "tags"); !list)
      return fail(list.error());
  }
  if (const auto* metadata = body.if_contains("metadata");
      metadata != nullptr && !metadata->is_null() && !metadata->is_object()) {
    return fail(invalid_body("metadata must be an object"));
  }
  return r;
}

json::object to_json(const MappingVerifyRequest& r) {
  return json::object{{"request_id", r.request_id},
                      {"node_id", r.node_id},
                      {"challenge_response", r.challenge_response}};
}

}  // namespace stratus::proto::rest
