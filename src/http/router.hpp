#pragma once
/// @file
/// Maps (method, path) to a handler. Exact paths only; a trailing '/' is
/// ignored ("/v1/user/nodes/" finds "/v1/user/nodes"). Route parameters live in
/// the query string in the RainMaker API, so no path patterns are needed.

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "http/websocket.hpp"

namespace stratus::http {

/// A route handler: a coroutine on the connection's executor. It may throw; the
/// server answers 500 and keeps serving. It may take as long as
/// `ServerOptions::request_timeout`, after which it is cancelled.
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

/// How the server reads the body of requests to one route (method + path).
struct RouteOptions {
  /// Largest body accepted, in bytes; above it the client gets 413 and the handler is not
  /// called. Unset: `ServerOptions::max_body_bytes` (1 MiB by default). A `body_to_file`
  /// route nearly always wants its own, larger value.
  std::optional<std::size_t> max_body_bytes;
  /// Stream the body into a temp file in `ServerOptions::upload_dir` instead of memory:
  /// the handler gets `Request::body_file` (and an empty `Request::body`). The body read
  /// is bounded by an idle timeout (re-armed as data arrives), not by `request_timeout`;
  /// the handler's own `request_timeout` starts once the body is in.
  bool body_to_file = false;
};

/// Result of `Router::find`.
struct RouteMatch {
  enum class Kind { found, not_found, method_not_allowed };
  Kind kind = Kind::not_found;
  const Handler* handler = nullptr;  ///< Set when `kind == found`; owned by the router.
  std::string_view route;            ///< The registered path; set unless `kind == not_found`.
  std::string allow;                 ///< For `method_not_allowed`: "GET, HEAD, POST".
  /// Set when the route is a WebSocket route and the method is GET; owned by the router.
  const UpgradeHandler* upgrade = nullptr;
  RouteOptions options;  ///< Set when `kind == found`: how to read the body.
};

/// The route table. Build it with `add`, then hand it to the `Server`; `find` is
/// const and safe from any number of threads, `add` is not.
class Router {
 public:
  /// Registers `handler` for `method` ("GET", upper case) on `path` (starts with '/'),
  /// reading request bodies as `options` says (default: in memory, up to
  /// `ServerOptions::max_body_bytes`). Registering the same method and path twice is a
  /// programmer error (asserted), and so is a zero `options.max_body_bytes`.
  void add(std::string_view method, std::string path, Handler handler, RouteOptions options = {});

  /// Registers a WebSocket route on `path`: a GET with a WebSocket upgrade goes to
  /// `handler`; a GET without one is answered 426 (`http_error::upgrade_required`) with
  /// `Upgrade: websocket`. The path must not have a GET handler already (asserted).
  void add_websocket(std::string path, UpgradeHandler handler);

  /// Registers the handler for GET and HEAD requests to paths no route has (the web
  /// dashboard's files and client routes); `route` names it in the access log and metrics.
  /// Other methods on such paths stay 404. At most one (asserted).
  void set_fallback(std::string route, Handler handler);

  /// The handler for `method` on the decoded `path`. A HEAD request finds the
  /// GET handler when no HEAD handler is registered (the server drops the body). A GET or
  /// HEAD to an unknown path finds the fallback, when one is set.
  [[nodiscard]] RouteMatch find(std::string_view method, std::string_view path) const;

  /// Every registered (method, path pattern), ordered by path then method; WebSocket-only
  /// routes are not listed. For tests that check a rule over all routes (e.g. every
  /// `/v1/admin/` route refuses a user token).
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> routes() const;

  /// True if some route was added with `RouteOptions::body_to_file` (the server then
  /// needs an `upload_dir`).
  [[nodiscard]] bool has_body_to_file_routes() const;

 private:
  struct Method {
    Handler handler;
    RouteOptions options;
  };
  struct Route {
    std::string pattern;                                 // as registered
    std::map<std::string, Method, std::less<>> methods;  // method -> handler
    UpgradeHandler upgrade;                              // WebSocket routes only
  };
  std::map<std::string, Route, std::less<>> routes_;  // key: path without trailing '/'
  std::string fallback_route_;                        // set_fallback
  Handler fallback_;
};

}  // namespace stratus::http
