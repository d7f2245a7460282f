#include "http/router.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "core/assert.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::http {
namespace {

// "/a/b/" and "/a/b" are one route; "/" stays "/".
std::string_view normalized(std::string_view path) {
  while (path.size() > 1 && path.back() == '/')
    path.remove_suffix(1);
  return path;
}

bool is_method_token(std::string_view method) {
  return !method.empty() &&
         std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

void Router::add(std::string_view method, std::string path, Handler handler, RouteOptions options) {
  STRATUS_ASSERT(is_method_token(method), "HTTP method must be an upper-case token");
  STRATUS_ASSERT(!path.empty() && path.front() == '/', "route path must start with '/'");
  STRATUS_ASSERT(handler != nullptr, "route handler must not be empty");
  STRATUS_ASSERT(options.max_body_bytes.value_or(1) > 0, "a route's max_body_bytes must be > 0");
  const std::string key(normalized(path));
  auto& route = routes_[key];
  if (route.pattern.empty())
    route.pattern = std::move(path);
  const bool inserted =
      route.methods
          .emplace(std::string(method), Method{.handler = std::move(handler), .options = options})
          .second;
  STRATUS_ASSERT(inserted, "route registered twice for the same method");
}

void Router::add_websocket(std::string path, UpgradeHandler handler) {
  STRATUS_ASSERT(handler != nullptr, "upgrade handler must not be empty");
  const std::string key(normalized(path));
  add("GET", std::move(path), [](Request& request) -> boost::asio::awaitable<Response> {
    Response refused = failure_response(426, proto::rest::http_error::upgrade_required,
                                        request.route + " is a WebSocket: send an upgrade");
    refused.headers.emplace_back("Upgrade", "websocket");
    co_return refused;
  });
  routes_[key].upgrade = std::move(handler);
}

void Router::set_fallback(std::string route, Handler handler) {
  STRATUS_ASSERT(handler != nullptr, "fallback handler must not be empty");
  STRATUS_ASSERT(fallback_ == nullptr, "one fallback per router");
  fallback_route_ = std::move(route);
  fallback_ = std::move(handler);
}

RouteMatch Router::find(std::string_view method, std::string_view path) const {
  const auto route = routes_.find(normalized(path));
  if (route == routes_.end()) {
    if (fallback_ != nullptr && (method == "GET" || method == "HEAD")) {
      return RouteMatch{.kind = RouteMatch::Kind::found,
                        .handler = &fallback_,
                        .route = fallback_route_,
                        .allow = {},
                        .upgrade = nullptr,
                        .options = {}};
    }
    return RouteMatch{};
  }

  const auto& methods = route->second.methods;
  auto handler = methods.find(method);
  if (handler == methods.end() && method == "HEAD")
    handler = methods.find("GET");
  if (handler != methods.end()) {
    const bool upgradable = route->second.upgrade != nullptr && handler->first == "GET";
    return RouteMatch{.kind = RouteMatch::Kind::found,
                      .handler = &handler->second.handler,
                      .route = route->second.pattern,
                      .allow = {},
                      .upgrade = upgradable ? &route->second.upgrade : nullptr,
                      .options = handler->second.options};
  }

  // HEAD is answered wherever GET is, so it is allowed there too.
  std::set<std::string_view> names;
  for (const auto& entry : methods)
    names.insert(entry.first);
  if (names.contains("GET"))
    names.insert("HEAD");
  std::string allow;
  for (const auto name : names) {
    if (!allow.empty())
      allow += ", ";
    allow += name;
  }
  return RouteMatch{.kind = RouteMatch::Kind::method_not_allowed,
                    .handler = nullptr,
                    .route = route->second.pattern,
                    .allow = std::move(allow),
                    .upgrade = nullptr,
                    .options = {}};
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, route] : routes_) {
    for (const auto& [method, handler] : route.methods)
      out.emplace_back(method, route.pattern);
  }
  return out;
}

bool Router::has_body_to_file_routes() const {
  return std::any_of(routes_.begin(), routes_.end(), [](const auto& route) {
    return std::any_of(route.second.methods.begin(), route.second.methods.end(),
                       [](const auto& method) { return method.second.options.body_to_file; });
  });
}

}  // namespace stratus::http
