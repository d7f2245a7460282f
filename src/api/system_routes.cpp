#include "api/system_routes.hpp"

#include <boost/json.hpp>

namespace stratus::api {

void add_system_routes(http::Router& router, std::string mqtt_host, std::uint16_t mqtt_port) {
  router.add("GET", "/apiversions", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, R"({"supported_versions":["v1"],"current_version":"v1"})");
  });
  boost::json::object answer{{"mqtt_host", mqtt_host}};
  if (mqtt_port != 0)
    answer["mqtt_port"] = mqtt_port;
  std::string body = boost::json::serialize(answer);
  router.add("GET", "/mqtt_host", [body](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, body);
  });
}

}  // namespace stratus::api
