#pragma once
/// @file
/// The web dashboard's files (web/, built by Vite into `share/stratus/web`), as the router's
/// fallback for GET and HEAD (docs/adr/0024).

#include <filesystem>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace stratus::http {

/// Serves a built single-page app from `root`:
/// - `/assets/<name>` (content-hashed by the build): the file with `Cache-Control: public,
///   max-age=31536000, immutable`; a missing one is 404 (never index.html: a stale page
///   asking for an old bundle must fail loudly, not get HTML as JavaScript);
/// - another path naming a regular file under `root` (`/favicon.ico`): the file, `no-cache`;
/// - a path under `/v1/`, or with a `.` in its last segment, that names nothing: the API's
///   404 (`unknown_route`), as without the dashboard;
/// - any other path (a client route such as `/nodes/<id>`): `index.html`, `no-cache`.
/// Paths with a `..` segment or a backslash are 404. Every reply has
/// `X-Content-Type-Options: nosniff`; HTML also a Content-Security-Policy that allows only
/// this origin (scripts, styles, fetch, WebSocket) and no framing. Byte ranges as
/// `file_response`. Thread-safe (immutable after `open`).
class WebFiles {
 public:
  /// The bundle at `root`. Errors: not_found when `root/index.html` is not a regular file.
  static Result<WebFiles> open(const std::filesystem::path& root);

  /// The reply for a GET or HEAD of the decoded `path` (starts with '/'); `range` is the
  /// request's Range header. Blocking `stat` calls only (no reads: the server streams the
  /// file).
  [[nodiscard]] Response reply(std::string_view path, std::optional<std::string_view> range) const;

  /// The directory served.
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }

 private:
  explicit WebFiles(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

}  // namespace stratus::http
