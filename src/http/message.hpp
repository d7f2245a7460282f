#pragma once
/// @file
/// The request and response as route handlers see them: plain structs, no Beast.
/// The server converts to and from the wire format; handlers never touch sockets.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace stratus::http {

/// Ordered name/value pairs (query parameters, header fields).
using Fields = std::vector<std::pair<std::string, std::string>>;

/// One HTTP request, fully read (the body is complete). Owned by the connection
/// for the duration of one handler call.
struct Request {
  std::string method;          ///< As sent, e.g. "GET" (methods are case-sensitive).
  std::string target;          ///< Raw request-target, e.g. "/v1/user/nodes?node_details=true".
  std::string path;            ///< Percent-decoded path part of `target`, e.g. "/v1/user/nodes".
  Fields query;                ///< Decoded query parameters ('+' is a space), in order.
  Fields headers;              ///< Header fields as sent, in order.
  std::string body;            ///< The body, possibly empty.
  std::string remote_address;  ///< Peer IP address, e.g. "127.0.0.1".
  std::string route;  ///< The matched route pattern; set by the server before the handler runs.

  /// Value of the first header named `name` (ASCII case-insensitive), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  /// Value of the first query parameter named `name` (case-sensitive), if any.
  [[nodiscard]] std::optional<std::string_view> query_param(std::string_view name) const;
};

/// What a handler answers. The server adds `Content-Length` (replies are never
/// chunked), `Server` and `Connection`; `headers` may not set those.
struct Response {
  int status = 200;                               ///< HTTP status code, 100..599.
  std::string content_type = "application/json";  ///< Empty: no Content-Type header.
  std::string body;
  Fields headers;  ///< Extra header fields, e.g. {"Allow", "GET"}.
};

/// A JSON reply; `body` must already be serialized JSON.
[[nodiscard]] Response json_response(int status, std::string body);

/// The RainMaker error reply, exactly
/// `{"status":"failure","error_code":<error_code>,"description":"<description>"}`
/// with `description` JSON-escaped.
[[nodiscard]] Response failure_response(int status, int error_code, std::string_view description);

/// A request-target split into its decoded parts.
struct Target {
  std::string path;  ///< Percent-decoded; always starts with '/'.
  Fields query;      ///< Percent-decoded, '+' decoded to a space, in order; "a" gives {"a",""}.
};

/// Parses an origin-form request-target ("/path?query"; RFC 9112 §3.2.1).
/// Errors: `errc::invalid_argument` if it does not start with '/', has a bad
/// percent-escape, or holds or decodes to a NUL byte. Pure; thread-safe.
[[nodiscard]] Result<Target> parse_target(std::string_view target);

}  // namespace stratus::http
