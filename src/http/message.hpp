#pragma once
/// @file
/// The request and response as route handlers see them: plain structs, no Beast.
/// The server converts to and from the wire format; handlers never touch sockets.

#include <cstdint>
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
  std::string method;  ///< As sent, e.g. "GET" (methods are case-sensitive).
  std::string target;  ///< Raw request-target, e.g. "/v1/user/nodes?node_details=true".
  std::string path;    ///< Percent-decoded path part of `target`, e.g. "/v1/user/nodes".
  Fields query;        ///< Decoded query parameters ('+' is a space), in order.
  Fields headers;      ///< Header fields as sent, in order.
  std::string body;    ///< The body, possibly empty; always empty on a `body_to_file` route.
  std::string remote_address;  ///< Peer IP address, e.g. "127.0.0.1".
  std::string route;  ///< The matched route pattern; set by the server before the handler runs.
  /// On a route registered with `RouteOptions::body_to_file`: the path of a temp file (in
  /// `ServerOptions::upload_dir`) holding the whole body, possibly empty; the server removes
  /// it when the handler returns unless the handler moved it away (e.g. `rename`). Empty on
  /// every other route.
  std::string body_file;

  /// Value of the first header named `name` (ASCII case-insensitive), if any.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  /// Value of the first query parameter named `name` (case-sensitive), if any.
  [[nodiscard]] std::optional<std::string_view> query_param(std::string_view name) const;
};

/// A byte range of a file on disk, sent as a response body. Plain data: the file is
/// opened by the server when the reply is written, not when this is built.
struct FileBody {
  std::string path;          ///< File to read, absolute or relative to the working directory.
  std::uint64_t offset = 0;  ///< First byte to send, in bytes from the start of the file.
  std::uint64_t length = 0;  ///< Bytes to send; the reply's Content-Length.
};

/// What a handler answers. The server adds `Content-Length` (replies are never
/// chunked), `Server` and `Connection`; `headers` may not set those.
struct Response {
  int status = 200;                               ///< HTTP status code, 100..599.
  std::string content_type = "application/json";  ///< Empty: no Content-Type header.
  std::string body;                               ///< The body; must be empty when `file` is set.
  Fields headers;                                 ///< Extra header fields, e.g. {"Allow", "GET"}.
  /// When set, the body is this byte range of a file, streamed from disk in bounded
  /// chunks (memory does not grow with the file size) with `Content-Length: length`;
  /// HEAD gets the header only. The server opens the file when writing the reply: if it
  /// cannot be opened or is shorter than `offset + length` then, the client gets 500; if
  /// it shrinks during the transfer, the connection is closed (the header is out already).
  /// Not allowed with status 204 or 304 or a non-empty `body` (the server answers 500).
  std::optional<FileBody> file;
};

/// A JSON reply; `body` must already be serialized JSON.
[[nodiscard]] Response json_response(int status, std::string body);

/// The RainMaker error reply, exactly
/// `{"status":"failure","error_code":<error_code>,"description":"<description>"}`
/// with `description` JSON-escaped.
[[nodiscard]] Response failure_response(int status, int error_code, std::string_view description);

/// What `parse_byte_range` makes of a Range header field.
struct RangeDecision {
  enum class Kind {
    ignore,           ///< No usable range (malformed, another unit, several ranges): send 200.
    satisfiable,      ///< Send 206 with bytes `offset .. offset + length - 1`.
    not_satisfiable,  ///< Send 416 with `Content-Range: bytes */<size>`.
  };
  Kind kind = Kind::ignore;
  std::uint64_t offset = 0;  ///< First byte, for `satisfiable`; else 0.
  std::uint64_t length = 0;  ///< Byte count (at least 1), for `satisfiable`; else 0.
};

/// Interprets the value of a Range header field (RFC 9110 §14.1-14.2) for a
/// representation of `size` bytes, supporting exactly one range:
/// `bytes=a-b` (b clamped to size-1), `bytes=a-` (to the end), `bytes=-n` (the last n
/// bytes; all of them if n >= size). The unit is case-insensitive; spaces and tabs around
/// the value and around list commas are allowed, empty list elements are skipped.
/// - `ignore` (the server MAY ignore Range, §14.2): empty or unparsable value, a unit
///   other than `bytes`, `bytes=`, non-digits, `a-b` with b < a, more than one range, and
///   a suffix range of an empty representation (206 cannot describe zero bytes).
/// - `not_satisfiable` (§14.1.1): `a` >= size (so every `bytes=a-` of an empty
///   representation), or `bytes=-0`.
/// Numbers too large for 64 bits count as the largest value (a first-pos beyond any size,
/// a last-pos or suffix that covers everything). Pure; thread-safe; never fails.
[[nodiscard]] RangeDecision parse_byte_range(std::string_view range_header, std::uint64_t size);

/// A reply that sends the file at `path` (`size` bytes, as the caller knows it), honouring
/// `range_header` (the request's Range value, if any) through `parse_byte_range`:
/// - 200 with the whole file when there is no Range or it is ignored;
/// - 206 with `Content-Range: bytes <first>-<last>/<size>` and that range;
/// - 416 with `Content-Range: bytes */<size>`, no body and no Content-Type.
/// Every variant carries `Accept-Ranges: bytes` and then `headers` (which must not hold
/// Accept-Ranges or Content-Range). `content_type`, e.g. "application/octet-stream", is
/// used for 200 and 206. If-Range is not handled here: a handler that supports it passes
/// no range when the validator does not match. Pure; thread-safe.
[[nodiscard]] Response file_response(std::string path, std::uint64_t size,
                                     std::optional<std::string_view> range_header,
                                     std::string content_type, Fields headers = {});

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
