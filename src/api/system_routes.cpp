#include "api/system_routes.hpp"

#include <boost/json.hpp>

namespace stratus::api {

void add_system_routes(http::Router& router, std::string mqtt_host) {
  router.add("GET", "/apiversions", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, R"({"supported_versions":["v1"],"current_version":"v1"})");
  });
  std::string body = boost::json::serialize(boost::json::object{{"mqtt_host", mqtt_host}});
  router.add("GET", "/mqtt_host", [body](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, body);
  });
}

}  // namespace stratus::api
