#include "api/system_routes.hpp"

#include <boost/json.hpp>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "proto/rest/accounts.hpp"
#include "service/ca_revocation_list.hpp"

namespace stratus::api {

void add_system_routes(http::Router& router, std::string mqtt_host, std::uint16_t mqtt_port) {
  std::string versions =
      boost::json::serialize(proto::rest::to_json(proto::rest::ApiVersions{{"v1"}, "v1"}));
  router.add("GET", "/apiversions",
             [versions](http::Request&) -> boost::asio::awaitable<http::Response> {
               co_return http::json_response(200, versions);
             });
  std::string body = boost::json::serialize(
      proto::rest::to_json(proto::rest::MqttHost{std::move(mqtt_host), mqtt_port}));
  router.add("GET", "/mqtt_host", [body](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, body);
  });
}

void add_ca_revocation_list_route(http::Router& router, service::CaRevocationList& crl,
                                  boost::asio::thread_pool& pool) {
  router.add("GET", std::string(kCaRevocationListPath),
             detail::on_pool(pool, [&crl](const http::Request&) {
               auto list = crl.current();
               if (!list)
                 return error_response(list.error());
               http::Response r;
               r.content_type = "application/pkix-crl";
               r.body = (*list)->der;
               r.headers.push_back({"Cache-Control", "max-age=5"});
               return r;
             }));
}

}  // namespace stratus::api
