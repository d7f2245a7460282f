#include "api/sharing_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "core/strings.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/sharing.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using rest::SharingKind;
using service::Principal;

std::string_view ids_param(SharingKind kind) {
  return kind == SharingKind::node ? "nodes" : "groups";
}
std::string_view id_param(SharingKind kind) {
  return kind == SharingKind::node ? "node_id" : "group_id";
}

http::Response answer_request(service::SharingService& sharing, SharingKind kind,
                              const json::object& body, const Principal& who) {
  auto answer = rest::parse_sharing_answer(body);
  if (!answer)
    return error_response(answer.error());
  auto done = sharing.answer(who, kind, *answer);
  if (!done)
    return error_response(done.error());
  return success_response(200, *answer->accept ? "Sharing request accepted successfully"
                                               : "Sharing request declined successfully");
}

http::Response share(service::SharingService& sharing, SharingKind kind, const http::Request& r,
                     const Principal& who) {
  auto body = rest::parse_object_body(r.body);
  if (!body)
    return error_response(body.error());
  // The older contract answered requests on this path too (rainmaker-cloud.md §1.2).
  if (kind == SharingKind::node && !body->contains("nodes") && !body->contains("node_ids") &&
      (body->contains("accept") || body->contains("confirm_sharing"))) {
    return answer_request(sharing, kind, *body, who);
  }
  auto request = rest::parse_share_request(*body, kind);
  if (!request)
    return error_response(request.error());
  auto created = sharing.share(who, kind, *request);
  if (!created)
    return error_response(created.error());
  return json_answer(200, rest::to_json(*created));
}

http::Response list_users(service::SharingService& sharing, SharingKind kind,
                          const http::Request& r, const Principal& who) {
  auto users = sharing.users(who, kind, r.query_param(id_param(kind)).value_or(""));
  if (!users)
    return error_response(users.error());
  return json_answer(200, rest::sharing_users_json(*users, kind));
}

http::Response unshare(service::SharingService& sharing, SharingKind kind, const http::Request& r,
                       const Principal& who) {
  const auto ids = split_list(r.query_param(ids_param(kind)).value_or(""));
  auto done = sharing.unshare(who, kind, ids, r.query_param("user_name").value_or(""));
  if (!done)
    return error_response(done.error());
  return success_response(200, "Sharing removed successfully");
}

http::Response list_requests(service::SharingService& sharing, SharingKind kind,
                             const http::Request& r, const Principal& who) {
  // The CLI always sends primary_user, as Python prints a bool: True / False.
  bool sent = false;
  if (const auto v = r.query_param("primary_user")) {
    const auto parsed = rest::parse_query_bool(*v);
    if (!parsed) {
      return error_response(Error{errc::invalid_argument, "primary_user must be true or false",
                                  kind == SharingKind::node
                                      ? rest::sharing_error::primary_user_invalid
                                      : rest::group_error::primary_user_invalid});
    }
    sent = *parsed;
  }
  auto limit = rest::parse_page_size(r.query_param("num_records"));
  if (!limit)
    return error_response(limit.error());
  auto page = sharing.requests(who, kind, sent, r.query_param("request_id").value_or(""),
                               r.query_param("start_request_id").value_or(""), *limit);
  if (!page)
    return error_response(page.error());
  return json_answer(200, rest::to_json(*page, kind));
}

http::Response put_request(service::SharingService& sharing, SharingKind kind,
                           const http::Request& r, const Principal& who) {
  auto body = rest::parse_object_body(r.body);
  if (!body)
    return error_response(body.error());
  return answer_request(sharing, kind, *body, who);
}

http::Response cancel_request(service::SharingService& sharing, SharingKind kind,
                              const http::Request& r, const Principal& who) {
  auto done = sharing.cancel(who, kind, r.query_param("request_id").value_or(""));
  if (!done)
    return error_response(done.error());
  return success_response(200, "Sharing request cancelled successfully");
}

}  // namespace

void add_sharing_routes(http::Router& router, service::AccountService& accounts,
                        service::SharingService& sharing, boost::asio::thread_pool& pool) {
  using Handler = http::Response (*)(service::SharingService&, SharingKind, const http::Request&,
                                     const Principal&);
  for (const auto kind : {SharingKind::node, SharingKind::group}) {
    const std::string base =
        kind == SharingKind::node ? "/v1/user/nodes/sharing" : "/v1/user/node_group/sharing";
    const auto add = [&](std::string_view method, std::string path, Handler handler) {
      router.add(method, std::move(path),
                 on_pool(pool, authed(accounts, [&sharing, kind, handler](const http::Request& r,
                                                                          const Principal& p) {
                           return handler(sharing, kind, r, p);
                         })));
    };
    add("PUT", base, share);
    add("GET", base, list_users);
    add("DELETE", base, unshare);
    add("GET", base + "/requests", list_requests);
    add("PUT", base + "/requests", put_request);
    add("DELETE", base + "/requests", cancel_request);
  }
}

}  // namespace stratus::api
