#include "proto/rest/admin_mfg.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::proto::rest {

namespace json = boost::json;

json::object to_json(const AdminMqttHost& a) {
  json::object o{{"mqtt_host", a.mqtt_host}};
  if (!a.mqtt_cred_host.empty())
    o["mqtt_cred_host"] = a.mqtt_cred_host;
  return o;
}

Result<AdminMqttHost> parse_admin_mqtt_host(const json::object& a) {
  AdminMqttHost answer{string_or(a, "mqtt_host"), string_or(a, "mqtt_cred_host")};
  if (answer.mqtt_host.empty())
    return fail(errc::internal, "GET /v1/admin/mqtt_host: the answer has no mqtt_host");
  return answer;
}

json::object to_json(const NodeIdsRequest& r) {
  return json::object{{"node_count", r.node_count}};
}

Result<NodeIdsRequest> parse_node_ids_request(const json::object& body) {
  const auto* v = body.if_contains("node_count");
  const auto count = v != nullptr ? integer(*v) : std::nullopt;
  if (!count || *count < 1 || *count > limits::kMaxNodeIdsPerRequest)
    return fail(invalid_body("node_count must be an integer from 1 to " +
                             std::to_string(limits::kMaxNodeIdsPerRequest)));
  return NodeIdsRequest{*count};
}

json::object to_json(const NodeIdsRequested& a) {
  return json::object{{"request_id", a.request_id}};
}

Result<NodeIdsRequested> parse_node_ids_requested(const json::object& a) {
  NodeIdsRequested answer{string_or(a, "request_id")};
  if (answer.request_id.empty()) {
    std::string context = "POST /v1/admin/node_ids: the answer has no request_id";
    if (const auto status = string_or(a, "status"); !status.empty())
      context += " (status " + status + ": " + string_or(a, "description") + ")";
    return fail(errc::internal, std::move(context));
  }
  return answer;
}

json::object to_json(const NodeIdsStatus& a) {
  json::object o{{"status", a.status}};
  if (!a.url.empty())
    o["url"] = a.url;
  if (!a.description.empty())
    o["description"] = a.description;
  return o;
}

NodeIdsStatus parse_node_ids_status(const json::object& a) {
  return NodeIdsStatus{string_or(a, "status"), string_or(a, "url"), string_or(a, "description")};
}

}  // namespace stratus::proto::rest
