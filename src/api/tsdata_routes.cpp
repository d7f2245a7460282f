#include "api/tsdata_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "proto/rest/tsdata.hpp"

namespace stratus::api {
namespace {

namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using service::Principal;

http::Response read(service::TimeSeriesService& series, const http::Request& r,
                    const Principal& who, bool simple, bool admin) {
  auto query =
      rest::parse_tsdata_query([&r](std::string_view name) { return r.query_param(name); }, simple);
  if (!query)
    return error_response(query.error());
  auto answer = series.query(who, *query, admin);
  if (!answer)
    return error_response(answer.error());
  return json_answer(200, rest::to_json(*answer));
}

}  // namespace

void add_tsdata_routes(http::Router& router, service::AccountService& accounts,
                       service::TimeSeriesService& series, boost::asio::thread_pool& pool) {
  for (const bool admin : {false, true}) {
    for (const bool simple : {false, true}) {
      std::string path = std::string(admin ? "/v1/admin" : "/v1/user") + "/nodes/" +
                         (simple ? "simple_tsdata" : "tsdata");
      router.add("GET", std::move(path),
                 on_pool(pool, authed(accounts, [&series, simple, admin](const http::Request& r,
                                                                         const Principal& p) {
                           return read(series, r, p, simple, admin);
                         })));
    }
  }
}

}  // namespace stratus::api
