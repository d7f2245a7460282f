#include "api/wirepas_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/admin.hpp"

namespace stratus::api {
namespace {

namespace rest = proto::rest;
using service::Principal;

rest::WirepasCredential to_rest(const service::WirepasCredentialInfo& c) {
  return rest::WirepasCredential{c.name, c.role, c.created_by, c.created_ms};
}

http::Response get_credentials(service::WirepasAccessService& wirepas, const http::Request&,
                               const Principal& who) {
  auto list = wirepas.list(who);
  if (!list)
    return error_response(list.error());
  std::vector<rest::WirepasCredential> out;
  out.reserve(list->size());
  for (const auto& c : *list)
    out.push_back(to_rest(c));
  return json_answer(200, rest::to_json(out));
}

http::Response post_credential(service::WirepasAccessService& wirepas, const http::Request& r,
                               const Principal& who) {
  auto body = read_body(r.body, rest::parse_wirepas_credential_request);
  if (!body)
    return error_response(body.error());
  auto issued = wirepas.add(who, body->role, body->name);
  if (!issued)
    return error_response(issued.error());
  return json_answer(201, rest::to_json(rest::IssuedWirepasCredential{
                              to_rest(issued->credential), std::move(issued->password)}));
}

http::Response delete_credential(service::WirepasAccessService& wirepas, const http::Request& r,
                                 const Principal& who) {
  const auto name = r.query_param("name").value_or("");
  if (auto removed = wirepas.remove(who, name); !removed)
    return error_response(removed.error());
  return success_response(200, "Wirepas credential removed");
}

}  // namespace

void add_wirepas_routes(http::Router& router, service::AccountService& accounts,
                        service::WirepasAccessService& wirepas, boost::asio::thread_pool& pool) {
  using H =
      http::Response (*)(service::WirepasAccessService&, const http::Request&, const Principal&);
  const auto add = [&](std::string_view method, H handler) {
    router.add(
        method, "/v1/admin/wirepas/credentials",
        detail::on_pool(pool, detail::authed(accounts, [&wirepas, handler](const http::Request& r,
                                                                           const Principal& p) {
                          return handler(wirepas, r, p);
                        })));
  };
  add("GET", get_credentials);
  add("POST", post_credential);
  add("DELETE", delete_credential);
}

}  // namespace stratus::api
