#pragma once
/// @file
/// Error codes that the http layer itself puts into the RainMaker failure shape
/// `{"status":"failure","error_code":N,"description":"..."}`. The last three digits
/// echo the HTTP status they are sent with, except `request_timeout` (sent with 503).
/// Route handlers use their own, domain-specific codes.

namespace stratus::http::error_code {

/// The request could not be parsed (bad HTTP syntax, bad target, bad percent-encoding).
inline constexpr int malformed_request = 100400;
/// No route has this path.
inline constexpr int unknown_route = 100404;
/// A route has this path, but not for this method (the answer carries `Allow`).
inline constexpr int method_not_allowed = 100405;
/// The handler did not finish within `ServerOptions::request_timeout`.
inline constexpr int request_timeout = 100408;
/// The body is larger than `ServerOptions::max_body_bytes`.
inline constexpr int body_too_large = 100413;
/// The request line and headers are larger than `ServerOptions::max_header_bytes`.
inline constexpr int headers_too_large = 100431;
/// The handler failed (threw); details are in the server log only.
inline constexpr int internal_error = 100500;
/// Too many open connections, or the server is shutting down.
inline constexpr int server_busy = 100503;

}  // namespace stratus::http::error_code
