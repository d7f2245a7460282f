#include "api/admin_routes.hpp"

#include <boost/json.hpp>
#include <limits>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/accounts.hpp"
#include "proto/rest/admin.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using service::Principal;

Error query_invalid(std::string what) {
  return Error{errc::invalid_argument, std::move(what), rest::admin_error::query_invalid};
}

std::string query(const http::Request& r, std::string_view name) {
  return std::string(r.query_param(name).value_or(""));
}

rest::FleetNode to_rest(const storage::FleetNode& n) {
  return rest::FleetNode{n.node_id,         n.name,
                         n.model,           n.type,
                         n.fw_version,      n.platform,
                         n.online,          n.connectivity_ms,
                         n.primary_user_id, n.primary_user_name,
                         n.user_count};
}

rest::AuditRecord to_rest(const storage::AuditRecord& a) {
  return rest::AuditRecord{a.audit_id,  a.actor_kind,     a.actor_id, a.action, a.object_kind,
                           a.object_id, a.remote_address, a.outcome,  a.detail, a.at_ms};
}

rest::UserSummary to_rest(const service::FleetUser& f) {
  const auto& u = f.user;
  rest::UserSummary s{u.user_id, u.user_name, u.verified, u.super_admin, u.created_at};
  s.disabled = u.disabled;
  s.node_quota = u.node_quota;
  s.effective_quota = f.effective_quota;
  s.primary_nodes = f.primary_nodes;
  return s;
}

Result<std::size_t> page_size(const http::Request& r) {
  return rest::parse_page_size(r.query_param("num_records"));
}

http::Response get_nodes(service::FleetService& fleet, const http::Request& r,
                         const Principal& who) {
  if (const auto id = r.query_param("node_id"); id && !id->empty()) {
    auto detail = fleet.get_node(who, *id);
    if (!detail)
      return error_response(detail.error());
    rest::FleetNodeDetail out{to_rest(detail->node), {}, {}};
    for (const auto& u : detail->users)
      out.users.push_back(rest::FleetNodeUser{u.user_id, u.user_name, u.role});
    for (const auto& a : detail->history)
      out.history.push_back(to_rest(a));
    return json_answer(200, rest::to_json(out));
  }
  auto limit = page_size(r);
  if (!limit)
    return error_response(limit.error());
  storage::FleetNodeFilter filter;
  filter.model = query(r, "model");
  filter.type = query(r, "type");
  filter.fw_version = query(r, "fw_version");
  filter.user_id = query(r, "user");
  filter.id_prefix = query(r, "id_prefix");
  if (const auto online = r.query_param("online"); online && !online->empty()) {
    const auto parsed = rest::parse_query_bool(*online);
    if (!parsed)
      return error_response(query_invalid("online must be true or false"));
    filter.online = *parsed;
  }
  auto page = fleet.list_nodes(who, filter, query(r, "start_id"), *limit);
  if (!page)
    return error_response(page.error());
  rest::FleetNodePage out;
  for (const auto& n : page->nodes)
    out.nodes.push_back(to_rest(n));
  out.next_id = page->next_id;
  return json_answer(200, rest::to_json(out));
}

http::Response delete_node_mapping(service::FleetService& fleet, const http::Request& r,
                                   const Principal& who) {
  auto removed = fleet.unmap_node(who, query(r, "node_id"));
  if (!removed)
    return error_response(removed.error());
  return json_answer(200, json::object{{"status", "success"},
                                       {"description", "Node unmapped from every user"},
                                       {"users_removed", *removed}});
}

http::Response put_primary(service::FleetService& fleet, const http::Request& r,
                           const Principal& who) {
  auto body = read_body(r.body, rest::parse_set_primary_request);
  if (!body)
    return error_response(body.error());
  if (auto done = fleet.set_primary(who, body->node_id, body->user); !done)
    return error_response(done.error());
  return success_response(200, "Primary user set");
}

http::Response get_users(service::FleetService& fleet, const http::Request& r,
                         const Principal& who) {
  auto limit = page_size(r);
  if (!limit)
    return error_response(limit.error());
  auto page = fleet.list_users(who, query(r, "start_id"), *limit);
  if (!page)
    return error_response(page.error());
  rest::UserPage out;
  for (const auto& u : page->users)
    out.users.push_back(to_rest(u));
  out.next_id = page->next_id;
  return json_answer(200, rest::to_json(out));
}

http::Response put_user_status(service::FleetService& fleet, const http::Request& r,
                               const Principal& who) {
  auto body = read_body(r.body, rest::parse_user_status_request);
  if (!body)
    return error_response(body.error());
  if (auto done = fleet.set_user_disabled(who, body->user, body->disabled); !done)
    return error_response(done.error());
  return success_response(200, body->disabled ? "User disabled" : "User enabled");
}

http::Response put_user_quota(service::FleetService& fleet, const http::Request& r,
                              const Principal& who) {
  auto body = read_body(r.body, rest::parse_user_quota_request);
  if (!body)
    return error_response(body.error());
  auto user = fleet.set_user_quota(who, body->user, body->node_quota);
  if (!user)
    return error_response(user.error());
  return json_answer(200, rest::to_json(to_rest(*user)));
}

// `from`/`to`: Unix seconds, inclusive; converted to the table's milliseconds.
Result<std::optional<std::int64_t>> time_param(const http::Request& r, std::string_view name,
                                               bool end) {
  auto value = rest::parse_query_int(r.query_param(name), name);
  if (!value)
    return fail(query_invalid(value.error().context));
  if (!*value)
    return std::optional<std::int64_t>{};
  if (**value < 0 || **value > proto::rest::limits::kMaxUnixSeconds)
    return fail(query_invalid(std::string(name) + " must be Unix seconds 0.." +
                              std::to_string(proto::rest::limits::kMaxUnixSeconds)));
  return std::optional<std::int64_t>(**value * 1000 + (end ? 999 : 0));
}

http::Response get_audit(service::FleetService& fleet, const http::Request& r,
                         const Principal& who) {
  auto limit = page_size(r);
  if (!limit)
    return error_response(limit.error());
  storage::AuditQuery q;
  q.limit = *limit;
  q.actor_id = query(r, "actor");
  q.object_id = query(r, "object");
  q.action = query(r, "action");
  auto from = time_param(r, "from", false);
  if (!from)
    return error_response(from.error());
  auto to = time_param(r, "to", true);
  if (!to)
    return error_response(to.error());
  q.from_ms = *from;
  q.to_ms = *to;
  auto start = rest::parse_query_int(r.query_param("start_id"), "start_id");
  if (!start || (*start && **start < 0))
    return error_response(query_invalid("start_id must be an audit id (a whole number)"));
  q.start_id = *start;
  auto page = fleet.audit_log(who, std::move(q));
  if (!page)
    return error_response(page.error());
  rest::AuditPage out;
  for (const auto& a : page->records)
    out.records.push_back(to_rest(a));
  out.next_id = page->next_id;
  return json_answer(200, rest::to_json(out));
}

}  // namespace

void add_admin_routes(http::Router& router, service::AccountService& accounts,
                      service::FleetService& fleet, boost::asio::thread_pool& pool) {
  auto& f = fleet;
  using H = http::Response (*)(service::FleetService&, const http::Request&, const Principal&);
  const auto add = [&](std::string_view method, std::string path, H handler) {
    router.add(
        method, std::move(path),
        on_pool(pool, authed(accounts, [&f, handler](const http::Request& r, const Principal& p) {
                  return handler(f, r, p);
                })));
  };
  add("GET", "/v1/admin/nodes", get_nodes);
  add("DELETE", "/v1/admin/nodes/mapping", delete_node_mapping);
  add("PUT", "/v1/admin/nodes/primary", put_primary);
  add("GET", "/v1/admin/users", get_users);
  add("PUT", "/v1/admin/users/status", put_user_status);
  add("PUT", "/v1/admin/users/quota", put_user_quota);
  add("GET", "/v1/admin/audit", get_audit);
}

}  // namespace stratus::api
