#include "proto/rest/sharing.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

std::string_view ids_key(SharingKind kind) {
  return kind == SharingKind::node ? "nodes" : "groups";
}
std::string_view list_key(SharingKind kind) {
  return kind == SharingKind::node ? "node_sharing" : "group_sharing";
}
std::string_view id_key(SharingKind kind) {
  return kind == SharingKind::node ? "node_id" : "group_id";
}
std::string_view request_ids_key(SharingKind kind) {
  return kind == SharingKind::node ? "node_ids" : "group_ids";
}

// An optional object member as its text: absent or null → "". Errors: invalid_body.
Result<std::string> optional_object_text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return std::string();
  if (!v->is_object())
    return fail(invalid_body(std::string(key) + " must be an object"));
  return json::serialize(*v);
}

}  // namespace

Result<ShareRequest> parse_share_request(const json::object& body, SharingKind kind) {
  ShareRequest r;
  const std::string_view key =
      kind == SharingKind::node && !body.contains("nodes") ? "node_ids" : ids_key(kind);
  auto ids = optional_strings(body, key);
  if (!ids)
    return fail(ids.error());
  r.ids = std::move(*ids);
  auto names = optional_string_fields<2>(body, {"user_name", "new_role"});
  if (!names)
    return fail(names.error());
  r.user_name = (*names)[0].value_or("");
  r.new_role = (*names)[1].value_or("");
  auto primary = optional_bool(body, "primary", false);
  if (!primary)
    return fail(primary.error());
  r.primary = *primary;
  auto transfer = optional_bool(body, "transfer", false);
  if (!transfer)
    return fail(transfer.error());
  r.transfer = *transfer;
  if (const auto* v = body.if_contains("sub_role"); v != nullptr && !v->is_null()) {
    const auto n = integer(*v);
    if (!n)
      return fail(invalid_body("sub_role must be an integer"));
    // Out of range: -1, which the service refuses with the resource's own code (107040,
    // 108140), as it does 5.
    r.sub_role = *n < 0 || *n > 255 ? -1 : static_cast<int>(*n);
  }
  auto metadata = optional_object_text(body, "metadata");
  if (!metadata)
    return fail(metadata.error());
  r.metadata_json = std::move(*metadata);
  return r;
}

json::object to_json(const ShareRequest& r, SharingKind kind) {
  json::object o;
  o[ids_key(kind)] = strings_json(r.ids);
  o["user_name"] = r.user_name;
  if (r.sub_role != 0)
    o["sub_role"] = r.sub_role;
  if (r.primary)
    o["primary"] = true;
  if (r.transfer)
    o["transfer"] = true;
  if (!r.new_role.empty())
    o["new_role"] = r.new_role;
  if (!r.metadata_json.empty())
    o["metadata"] = document_value(r.metadata_json);
  return o;
}

json::object to_json(const ShareCreated& c) {
  json::object o = success_body(c.description);
  o["request_id"] = c.request_id;
  return o;
}

Result<ShareCreated> parse_share_created(const json::object& a) {
  ShareCreated c{string_or(a, "request_id"), string_or(a, "description"), false};
  if (c.request_id.empty())
    return fail(errc::internal, "the sharing answer lacks request_id");
  return c;
}

Result<SharingAnswer> parse_sharing_answer(const json::object& body) {
  SharingAnswer a;
  for (const std::string_view key : {"accept", "confirm_sharing"}) {
    const auto* v = body.if_contains(key);
    if (v == nullptr || v->is_null())
      continue;
    if (!v->is_bool())
      return fail(invalid_body(std::string(key) + " must be a boolean"));
    a.accept = v->as_bool();
    break;
  }
  auto id = optional_string(body, "request_id");
  if (!id)
    return fail(id.error());
  a.request_id = id->value_or("");
  return a;
}

json::object to_json(const SharingAnswer& a) {
  json::object o;
  o["accept"] = a.accept.value_or(false);
  o["request_id"] = a.request_id;
  return o;
}

json::object sharing_users_json(const std::vector<SharingUsers>& entries, SharingKind kind) {
  json::array list;
  list.reserve(entries.size());
  for (const auto& e : entries) {
    json::object users;
    users["primary"] = strings_json(e.primary);
    users["secondary"] = strings_json(e.secondary);
    json::object item;
    item[id_key(kind)] = e.id;
    item["users"] = std::move(users);
    list.emplace_back(std::move(item));
  }
  json::object o;
  o[list_key(kind)] = std::move(list);
  return o;
}

std::vector<SharingUsers> parse_sharing_users(const json::object& a, SharingKind kind) {
  std::vector<SharingUsers> out;
  const auto* list = a.if_contains(list_key(kind));
  if (list == nullptr || !list->is_array())
    return out;
  for (const auto& v : list->as_array()) {
    const auto* item = v.if_object();
    if (item == nullptr)
      continue;
    SharingUsers e;
    e.id = string_or(*item, id_key(kind));
    if (e.id.empty())
      continue;
    if (const auto* users = item->if_contains("users"); users != nullptr && users->is_object()) {
      e.primary = strings_or_empty(users->as_object(), "primary");
      e.secondary = strings_or_empty(users->as_object(), "secondary");
    }
    out.push_back(std::move(e));
  }
  return out;
}

json::object to_json(const SharingRequestPage& page, SharingKind kind) {
  json::array list;
  list.reserve(page.requests.size());
  for (const auto& r : page.requests) {
    json::object o;
    o["request_id"] = r.request_id;
    o["request_status"] = r.status;
    o["request_timestamp"] = r.timestamp_s;
    o[request_ids_key(kind)] = strings_json(r.ids);
    if (kind == SharingKind::group)
      o["group_names"] = strings_json(r.group_names);
    o["user_name"] = r.user_name;
    o["primary_user_name"] = r.primary_user_name;
    o["user_role"] = r.user_role;
    o["sub_role"] = r.sub_role;
    o["transfer"] = r.transfer;
    if (!r.new_role.empty())
      o["new_role"] = r.new_role;
    if (!r.metadata_json.empty())
      o["metadata"] = document_value(r.metadata_json);
    list.emplace_back(std::move(o));
  }
  json::object o;
  o["sharing_requests"] = std::move(list);
  if (!page.next_request_id.empty()) {
    o["next_request_id"] = page.next_request_id;
    o["next_user_name"] = page.next_user_name;
  }
  return o;
}

std::string json_text(const SharingRequestPage& page, SharingKind kind) {
  return json::serialize(to_json(page, kind));
}

SharingRequestPage parse_sharing_request_page(const json::object& a, SharingKind kind) {
  SharingRequestPage page;
  page.next_request_id = string_or(a, "next_request_id");
  page.next_user_name = string_or(a, "next_user_name");
  const auto* list = a.if_contains("sharing_requests");
  if (list == nullptr || !list->is_array())
    return page;
  for (const auto& v : list->as_array()) {
    const auto* o = v.if_object();
    if (o == nullptr)
      continue;
    SharingRequestInfo r;
    r.request_id = string_or(*o, "request_id");
    r.status = string_or(*o, "request_status");
    r.timestamp_s = int_or(*o, "request_timestamp", 0);
    r.ids = strings_or_empty(*o, request_ids_key(kind));
    r.group_names = strings_or_empty(*o, "group_names");
    r.user_name = string_or(*o, "user_name");
    r.primary_user_name = string_or(*o, "primary_user_name");
    r.user_role = string_or(*o, "user_role");
    r.sub_role = static_cast<int>(std::clamp<std::int64_t>(int_or(*o, "sub_role", 0), 0, 255));
    r.transfer = bool_or(*o, "transfer", false);
    r.new_role = string_or(*o, "new_role");
    r.metadata_json = document_or_empty(*o, "metadata");
    page.requests.push_back(std::move(r));
  }
  return page;
}

}  // namespace stratus::proto::rest
