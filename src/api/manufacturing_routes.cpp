#include "api/manufacturing_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/admin_mfg.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/manufacturing.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using service::Principal;

struct Context {
  service::ManufacturingService& mfg;
  bool https = false;
};

// Where the caller reached stratusd: the signed URLs point there.
std::string base_url(const Context& ctx, const http::Request& r) {
  const auto host = r.header("Host").value_or("localhost");
  return std::string(ctx.https ? "https://" : "http://") + std::string(host);
}

std::string query(const http::Request& r, std::string_view name) {
  return std::string(r.query_param(name).value_or(""));
}

http::Response get_mqtt_host(const Context& ctx, const http::Request&, const Principal& who) {
  auto hosts = ctx.mfg.mqtt_host(who);
  if (!hosts)
    return error_response(hosts.error());
  return json_answer(200, rest::to_json(rest::AdminMqttHost{hosts->first, hosts->second}));
}

http::Response get_deployment(const Context& ctx, const http::Request&, const Principal& who) {
  auto mail = ctx.mfg.deployment_status_mail(who);
  if (!mail)
    return error_response(mail.error());
  return json_answer(200, json::object{{"pre_requisite_details",
                                        json::object{{"is_super_admin_ses_verified", *mail},
                                                     {"is_ses_in_production", *mail}}}});
}

http::Response post_node_ids(const Context& ctx, const http::Request& r, const Principal& who) {
  auto body = rest::parse_object_body(r.body);
  if (!body)
    return error_response(body.error());
  const auto* count = body->if_contains("node_count");
  const auto n = count != nullptr ? rest::integer(*count) : std::nullopt;
  if (!n) {
    return error_response(Error{errc::invalid_argument, "node_count must be an integer",
                                rest::mfg_error::node_count_invalid});
  }
  auto id = ctx.mfg.request_node_ids(who, *n);
  if (!id)
    return error_response(id.error());
  auto answer = rest::to_json(rest::NodeIdsRequested{std::move(*id)});
  answer["status"] = "success";
  return json_answer(200, std::move(answer));
}

http::Response get_node_ids(const Context& ctx, const http::Request& r, const Principal& who) {
  auto status = ctx.mfg.node_ids_status(who, query(r, "request_id"), base_url(ctx, r));
  if (!status)
    return error_response(status.error());
  return json_answer(200, rest::to_json(rest::NodeIdsStatus{status->status, status->url, {}}));
}

http::Response get_register(const Context& ctx, const http::Request& r, const Principal& who) {
  // One path, two calls (the admin CLI's): a status query names request_id, an upload-URL
  // request names file_name.
  if (const auto id = r.query_param("request_id"); id && !id->empty()) {
    auto status = ctx.mfg.registration_status(who, *id);
    if (!status)
      return error_response(status.error());
    return json_answer(200, rest::to_json(rest::RegistrationStatusAnswer{
                                status->status, status->description, status->total,
                                status->registered, status->failed}));
  }
  auto ticket = ctx.mfg.upload_url(who, query(r, "file_name"), base_url(ctx, r));
  if (!ticket)
    return error_response(ticket.error());
  return json_answer(200, rest::to_json(rest::UploadUrlAnswer{ticket->url, ticket->request_id}));
}

http::Response post_register(const Context& ctx, const http::Request& r, const Principal& who) {
  auto body = read_body(r.body, rest::parse_certificate_registration);
  if (!body)
    return error_response(body.error());
  service::RegistrationRequest req;
  req.request_id = body->request_id;
  req.file_name = body->file_name;
  req.file_md5 = body->file_md5;
  req.group_name = body->group_name;
  req.parent_group_name = body->parent_group_name;
  req.type = body->type;
  req.model = body->model;
  req.subtype = body->subtype;
  req.tags = body->tags;
  req.force = body->force;
  req.update_nodes = body->update_nodes;
  auto id = ctx.mfg.register_certificates(who, req);
  if (!id)
    return error_response(id.error());
  return json_answer(
      200, json::object{
               {"status", "success"}, {"request_id", *id}, {"description", "registration queued"}});
}

http::Response get_node_group(const Context& ctx, const http::Request& r, const Principal& who) {
  auto groups = ctx.mfg.node_groups(who, query(r, "group_name"));
  if (!groups)
    return error_response(groups.error());
  json::array list;
  for (const auto& g : *groups) {
    json::object o{{"group_id", g.group_id}, {"group_name", g.group_name}};
    if (g.parent_group_id)
      o["parent_group_id"] = *g.parent_group_id;
    list.emplace_back(std::move(o));
  }
  return json_answer(200, list);
}

rest::CaCertificateAnswer ca_answer(const service::ManufacturingCa& ca) {
  return rest::CaCertificateAnswer{ca.fingerprint_hex, ca.subject, ca.not_after, ca.added_at};
}

http::Response post_cacert(const Context& ctx, const http::Request& r, const Principal& who) {
  auto body = rest::parse_object_body(r.body);
  if (!body)
    return error_response(body.error());
  auto pem = rest::optional_string(*body, "certificate");
  if (!pem)
    return error_response(pem.error());
  auto ca = ctx.mfg.add_ca(who, pem->value_or(""));
  if (!ca)
    return error_response(ca.error());
  return json_answer(200, rest::to_json(ca_answer(*ca)));
}

http::Response get_cacerts(const Context& ctx, const http::Request&, const Principal& who) {
  auto cas = ctx.mfg.list_cas(who);
  if (!cas)
    return error_response(cas.error());
  json::array list;
  for (const auto& ca : *cas)
    list.emplace_back(rest::to_json(ca_answer(ca)));
  return json_answer(200, json::object{{"cacerts", std::move(list)}});
}

http::Response post_revoke(const Context& ctx, const http::Request& r, const Principal& who) {
  auto body = read_body(r.body, rest::parse_node_revocation);
  if (!body)
    return error_response(body.error());
  auto done = ctx.mfg.revoke_node(who, body->node_id, body->reason);
  if (!done)
    return error_response(done.error());
  return json_answer(200, json::object{{"status", "success"},
                                       {"description", "node revoked"},
                                       {"node_id", done->node_id},
                                       {"revoked_certificates", done->certificates}});
}

http::Response post_allow_reclaim(const Context& ctx, const http::Request& r,
                                  const Principal& who) {
  auto body = read_body(r.body, rest::parse_node_revocation);
  if (!body)
    return error_response(body.error());
  if (auto done = ctx.mfg.allow_reclaim(who, body->node_id); !done)
    return error_response(done.error());
  return success_response(200, "the node may be claimed again once");
}

http::Response get_revoked(const Context& ctx, const http::Request& r, const Principal& who) {
  auto limit = rest::parse_page_size(r.query_param("num_records"));
  if (!limit)
    return error_response(limit.error());
  auto start = rest::parse_query_int(r.query_param("start"), "start");
  if (!start)
    return error_response(start.error());
  const auto offset = static_cast<std::size_t>(std::max<std::int64_t>(0, start->value_or(0)));
  // One more than asked tells whether a next page exists.
  auto rows = ctx.mfg.list_revoked(who, query(r, "node_id"), offset, *limit + 1);
  if (!rows)
    return error_response(rows.error());
  rest::RevokedPage page;
  for (std::size_t i = 0; i < rows->size() && i < *limit; ++i) {
    const auto& c = (*rows)[i];
    page.revoked.push_back(rest::RevokedCertificateEntry{c.node_id, c.serial_hex, c.fingerprint_hex,
                                                         c.method, c.revoked_at, c.reason});
  }
  if (rows->size() > *limit)
    page.next_start = static_cast<std::int64_t>(offset + *limit);
  return json_answer(200, rest::to_json(page));
}

// --- signed URLs (no login: the URL is the credential) ---------------------------

http::Response download_node_ids(const Context& ctx, const http::Request& r) {
  auto ids =
      ctx.mfg.download_node_ids(query(r, "request_id"), query(r, "expires"), query(r, "sig"));
  if (!ids)
    return error_response(ids.error());
  http::Response response;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(*ids);
  response.headers.emplace_back("Cache-Control", "private, no-store");
  return response;
}

http::Response upload(const Context& ctx, const http::Request& r) {
  auto done = ctx.mfg.store_upload(query(r, "request_id"), query(r, "expires"), query(r, "sig"),
                                   r.body_file);
  if (!done)
    return error_response(done.error());
  return success_response(200, "file uploaded");
}

}  // namespace

void add_manufacturing_routes(http::Router& router, service::AccountService& accounts,
                              service::ManufacturingService& mfg, boost::asio::thread_pool& pool,
                              bool https, std::size_t max_upload_bytes) {
  // Owned by the handlers (copied into each): two references and a flag.
  const Context ctx{mfg, https};
  using H = http::Response (*)(const Context&, const http::Request&, const Principal&);
  const auto add = [&](std::string_view method, std::string path, H handler) {
    router.add(
        method, std::move(path),
        on_pool(pool, authed(accounts, [ctx, handler](const http::Request& r, const Principal& p) {
                  return handler(ctx, r, p);
                })));
  };
  add("GET", "/v1/admin/mqtt_host", get_mqtt_host);
  add("GET", "/v1/admin/rainmaker_deployment_details", get_deployment);
  add("POST", "/v1/admin/node_ids", post_node_ids);
  add("GET", "/v1/admin/node_ids", get_node_ids);
  add("GET", "/v1/admin/node_certificates/register", get_register);
  add("POST", "/v1/admin/node_certificates/register", post_register);
  add("GET", "/v1/admin/node_group", get_node_group);
  add("POST", "/v1/admin/cacert", post_cacert);
  add("GET", "/v1/admin/cacert", get_cacerts);
  add("POST", "/v1/admin/nodes/revoke", post_revoke);
  add("POST", "/v1/admin/nodes/allow_reclaim", post_allow_reclaim);
  add("GET", "/v1/admin/nodes/revoked", get_revoked);
  router.add("GET", "/v1/mfg/node_ids",
             on_pool(pool, [ctx](const http::Request& r) { return download_node_ids(ctx, r); }));
  router.add("PUT", "/v1/mfg/upload",
             on_pool(pool, [ctx](const http::Request& r) { return upload(ctx, r); }),
             http::RouteOptions{.max_body_bytes = max_upload_bytes, .body_to_file = true});
}

}  // namespace stratus::api
