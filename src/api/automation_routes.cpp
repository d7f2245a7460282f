#include "api/automation_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/automations.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"

namespace stratus::api {
namespace {

namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using service::Principal;

constexpr std::size_t kDefaultPage = 100;  // the iOS app reads one page only

Error id_missing() {
  return Error{errc::invalid_argument, "automation_id is missing",
               rest::automation_error::id_missing};
}

http::Response create(service::AutomationService& automations, const http::Request& r,
                      const Principal& who) {
  auto fields = read_body(r.body, rest::parse_automation_fields);
  if (!fields)
    return error_response(fields.error());
  auto id = automations.create(who, *fields);
  if (!id)
    return error_response(id.error());
  return json_answer(200, rest::automation_created_json(*id));
}

http::Response get(service::AutomationService& automations, const http::Request& r,
                   const Principal& who) {
  if (const auto id = r.query_param("automation_id"); id && !id->empty()) {
    auto a = automations.get(who, *id);
    if (!a)
      return error_response(a.error());
    return json_answer(200, rest::automation_detail_json(*a));
  }
  const auto num_records = r.query_param("num_records");
  std::size_t limit = kDefaultPage;
  if (num_records && !num_records->empty()) {
    auto parsed = rest::parse_page_size(num_records);
    if (!parsed)
      return error_response(parsed.error());
    limit = *parsed;
  }
  // Android's first request sends `start_id=` (empty): the first page.
  auto page = automations.list(who, r.query_param("node_id").value_or(""),
                               r.query_param("start_id").value_or(""), limit);
  if (!page)
    return error_response(page.error());
  return json_answer(200, rest::to_json(*page));
}

http::Response update(service::AutomationService& automations, const http::Request& r,
                      const Principal& who) {
  const auto id = r.query_param("automation_id");
  if (!id || id->empty())
    return error_response(id_missing());
  auto fields = read_body(r.body, rest::parse_automation_fields);
  if (!fields)
    return error_response(fields.error());
  auto done = automations.update(who, *id, *fields);
  if (!done)
    return error_response(done.error());
  return success_response(200, "Automation updated successfully");
}

http::Response remove(service::AutomationService& automations, const http::Request& r,
                      const Principal& who) {
  const auto id = r.query_param("automation_id");
  if (!id || id->empty())
    return error_response(id_missing());
  auto done = automations.remove(who, *id);
  if (!done)
    return error_response(done.error());
  return success_response(200, "Automation removed successfully");
}

}  // namespace

void add_automation_routes(http::Router& router, service::AccountService& accounts,
                           service::AutomationService& automations,
                           boost::asio::thread_pool& pool) {
  auto& a = automations;
  const auto add = [&](std::string_view method, detail::AuthedHandler h) {
    router.add(method, "/v1/user/node_automation", on_pool(pool, authed(accounts, std::move(h))));
  };
  add("POST", [&a](const http::Request& r, const Principal& p) { return create(a, r, p); });
  add("GET", [&a](const http::Request& r, const Principal& p) { return get(a, r, p); });
  add("PUT", [&a](const http::Request& r, const Principal& p) { return update(a, r, p); });
  add("DELETE", [&a](const http::Request& r, const Principal& p) { return remove(a, r, p); });
}

}  // namespace stratus::api
