#include "proto/rest/admin.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

template <class T, class Read>
std::vector<T> read_list(const json::object& a, std::string_view key, Read read) {
  std::vector<T> out;
  if (const auto* list = a.if_contains(key); list != nullptr && list->is_array()) {
    for (const auto& item : list->as_array()) {
      if (item.is_object())
        out.push_back(read(item.as_object()));
    }
  }
  return out;
}

Result<std::string> required_string(const json::object& body, std::string_view key) {
  auto value = optional_string(body, key);
  if (!value)
    return fail(value.error());
  if (!*value || (*value)->empty())
    return fail(invalid_body(std::string(key) + " is missing"));
  return std::move(**value);
}

}  // namespace

json::object to_json(const FleetNode& n) {
  return json::object{{"node_id", n.node_id},
                      {"name", n.name},
                      {"model", n.model},
                      {"type", n.type},
                      {"fw_version", n.fw_version},
                      {"platform", n.platform},
                      {"online", n.online},
                      {"connectivity_timestamp", n.connectivity_ms},
                      {"primary_user_id", n.primary_user_id},
                      {"primary_user_name", n.primary_user_name},
                      {"user_count", n.user_count}};
}

json::object to_json(const FleetNodePage& page) {
  json::array nodes;
  for (const auto& n : page.nodes)
    nodes.push_back(to_json(n));
  json::object o{{"nodes", std::move(nodes)}};
  if (!page.next_id.empty())
    o["next_id"] = page.next_id;
  return o;
}

json::object to_json(const AuditRecord& r) {
  return json::object{{"audit_id", r.audit_id},
                      {"actor_kind", r.actor_kind},
                      {"actor_id", r.actor_id},
                      {"action", r.action},
                      {"object_kind", r.object_kind},
                      {"object_id", r.object_id},
                      {"remote_address", r.remote_address},
                      {"outcome", r.outcome},
                      {"detail", r.detail},
                      {"timestamp", r.timestamp_ms}};
}

json::object to_json(const AuditPage& page) {
  json::array records;
  for (const auto& r : page.records)
    records.push_back(to_json(r));
  json::object o{{"records", std::move(records)}};
  if (!page.next_id.empty())
    o["next_id"] = page.next_id;
  return o;
}

json::object to_json(const FleetNodeDetail& d) {
  json::array users;
  for (const auto& u : d.users) {
    users.push_back(
        json::object{{"user_id", u.user_id}, {"user_name", u.user_name}, {"role", u.role}});
  }
  json::array history;
  for (const auto& r : d.history)
    history.push_back(to_json(r));
  return json::object{
      {"node", to_json(d.node)}, {"users", std::move(users)}, {"history", std::move(history)}};
}

json::object to_json(const SetPrimaryRequest& r) {
  return json::object{{"node_id", r.node_id}, {"user", r.user}};
}

json::object to_json(const UserStatusRequest& r) {
  return json::object{{"user", r.user}, {"disabled", r.disabled}};
}

json::object to_json(const UserQuotaRequest& r) {
  json::object o{{"user", r.user}};
  if (r.node_quota)
    o["node_quota"] = *r.node_quota;
  else
    o["node_quota"] = nullptr;
  return o;
}

FleetNode parse_fleet_node(const json::object& a) {
  FleetNode n;
  n.node_id = string_or(a, "node_id");
  n.name = string_or(a, "name");
  n.model = string_or(a, "model");
  n.type = string_or(a, "type");
  n.fw_version = string_or(a, "fw_version");
  n.platform = string_or(a, "platform");
  n.online = bool_or(a, "online");
  n.connectivity_ms = int_or(a, "connectivity_timestamp");
  n.primary_user_id = string_or(a, "primary_user_id");
  n.primary_user_name = string_or(a, "primary_user_name");
  n.user_count = int_or(a, "user_count");
  return n;
}

FleetNodePage parse_fleet_node_page(const json::object& a) {
  return FleetNodePage{read_list<FleetNode>(a, "nodes", parse_fleet_node), string_or(a, "next_id")};
}

AuditRecord parse_audit_record(const json::object& a) {
  AuditRecord r;
  r.audit_id = int_or(a, "audit_id");
  r.actor_kind = string_or(a, "actor_kind");
  r.actor_id = string_or(a, "actor_id");
  r.action = string_or(a, "action");
  r.object_kind = string_or(a, "object_kind");
  r.object_id = string_or(a, "object_id");
  r.remote_address = string_or(a, "remote_address");
  r.outcome = string_or(a, "outcome");
  r.detail = string_or(a, "detail");
  r.timestamp_ms = int_or(a, "timestamp");
  return r;
}

AuditPage parse_audit_page(const json::object& a) {
  return AuditPage{read_list<AuditRecord>(a, "records", parse_audit_record),
                   string_or(a, "next_id")};
}

FleetNodeDetail parse_fleet_node_detail(const json::object& a) {
  FleetNodeDetail d;
  if (const auto* node = a.if_contains("node"); node != nullptr && node->is_object())
    d.node = parse_fleet_node(node->as_object());
  d.users = read_list<FleetNodeUser>(a, "users", [](const json::object& u) {
    return FleetNodeUser{string_or(u, "user_id"), string_or(u, "user_name"), string_or(u, "role")};
  });
  d.history = read_list<AuditRecord>(a, "history", parse_audit_record);
  return d;
}

Result<SetPrimaryRequest> parse_set_primary_request(const json::object& body) {
  auto node_id = required_string(body, "node_id");
  if (!node_id)
    return fail(node_id.error());
  auto user = required_string(body, "user");
  if (!user)
    return fail(user.error());
  return SetPrimaryRequest{std::move(*node_id), std::move(*user)};
}

Result<UserStatusRequest> parse_user_status_request(const json::object& body) {
  auto user = required_string(body, "user");
  if (!user)
    return fail(user.error());
  const auto* disabled = body.if_contains("disabled");
  if (disabled == nullptr || !disabled->is_bool())
    return fail(invalid_body("disabled must be true or false"));
  return UserStatusRequest{std::move(*user), disabled->as_bool()};
}

Result<UserQuotaRequest> parse_user_quota_request(const json::object& body) {
  auto user = required_string(body, "user");
  if (!user)
    return fail(user.error());
  const auto* quota = body.if_contains("node_quota");
  if (quota == nullptr)
    return fail(invalid_body("node_quota is missing (a whole number, or null for the default)"));
  UserQuotaRequest request{std::move(*user), std::nullopt};
  if (quota->is_null())
    return request;
  const auto value = integer(*quota);
  if (!value)
    return fail(invalid_body("node_quota must be a whole number or null"));
  request.node_quota = *value;
  return request;
}

json::object to_json(const WirepasCredential& c) {
  return json::object{{"name", c.name},
                      {"role", c.role},
                      {"created_by", c.created_by},
                      {"created_at", c.created_ms}};
}

json::object to_json(const std::vector<WirepasCredential>& credentials) {
  json::array list;
  for (const auto& c : credentials)
    list.push_back(to_json(c));
  return json::object{{"credentials", std::move(list)}};
}

json::object to_json(const WirepasCredentialRequest& r) {
  return json::object{{"role", r.role}, {"name", r.name}};
}

json::object to_json(const IssuedWirepasCredential& issued) {
  json::object o = to_json(issued.credential);
  o["status"] = "success";
  o["password"] = issued.password;
  return o;
}

WirepasCredential parse_wirepas_credential(const json::object& a) {
  return WirepasCredential{string_or(a, "name"), string_or(a, "role"), string_or(a, "created_by"),
                           int_or(a, "created_at")};
}

std::vector<WirepasCredential> parse_wirepas_credentials(const json::object& a) {
  return read_list<WirepasCredential>(a, "credentials", parse_wirepas_credential);
}

IssuedWirepasCredential parse_issued_wirepas_credential(const json::object& a) {
  return IssuedWirepasCredential{parse_wirepas_credential(a), string_or(a, "password")};
}

Result<WirepasCredentialRequest> parse_wirepas_credential_request(const json::object& body) {
  auto role = required_string(body, "role");
  if (!role)
    return fail(role.error());
  auto name = required_string(body, "name");
  if (!name)
    return fail(name.error());
  return WirepasCredentialRequest{std::move(*role), std::move(*name)};
}

}  // namespace stratus::proto::rest
