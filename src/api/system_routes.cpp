#include "api/system_routes.hpp"

#include <boost/json.hpp>

#include "proto/rest/accounts.hpp"

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

}  // namespace stratus::api
