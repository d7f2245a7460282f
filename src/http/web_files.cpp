#include "http/web_files.hpp"

#include <sys/stat.h>

#include <array>
#include <utility>

#include "proto/rest/error_codes.hpp"

namespace stratus::http {
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
// Vite's build has no inline script or style; the event stream is a same-origin WebSocket.
constexpr std::string_view kPolicy =
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

struct Type {
  std::string_view extension;
  std::string_view content_type;
};
constexpr std::array kTypes{
    Type{".html", "text/html; charset=utf-8"},
    Type{".js", "text/javascript; charset=utf-8"},
    Type{".css", "text/css; charset=utf-8"},
    Type{".json", "application/json"},
    Type{".svg", "image/svg+xml"},
    Type{".png", "image/png"},
    Type{".ico", "image/x-icon"},
    Type{".webp", "image/webp"},
    Type{".woff2", "font/woff2"},
    Type{".txt", "text/plain; charset=utf-8"},
    Type{".map", "application/json"},
};

std::string_view content_type_of(std::string_view path) {
  for (const Type& t : kTypes) {
    if (path.size() > t.extension.size() && path.ends_with(t.extension))
      return t.content_type;
  }
  return "application/octet-stream";
}

// False for ".." segments, backslashes and empty input: nothing outside `root` is reachable.
bool safe(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find('\\') != std::string_view::npos)
    return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (path.substr(start, end - start) == "..")
      return false;
    start = end + 1;
  }
  return true;
}

std::optional<std::uint64_t> regular_file_size(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

Response not_found(std::string_view path) {
  Response r = failure_response(404, proto::rest::http_error::unknown_route,
                                "no such route: " + std::string(path));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

Response file(const std::filesystem::path& p, std::uint64_t size,
              std::optional<std::string_view> range, std::string_view cache) {
  const std::string_view type = content_type_of(p.native());
  Fields headers{{"Cache-Control", std::string(cache)}, {"X-Content-Type-Options", "nosniff"}};
  if (type.starts_with("text/html")) {
    headers.emplace_back("Content-Security-Policy", std::string(kPolicy));
    headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  return file_response(p.native(), size, range, std::string(type), std::move(headers));
}

}  // namespace

Result<WebFiles> WebFiles::open(const std::filesystem::path& root) {
  if (!regular_file_size(root / "index.html"))
    return fail(errc::not_found, "web dashboard: no " + (root / "index.html").string());
  return WebFiles(root);
}

Response WebFiles::reply(std::string_view path, std::optional<std::string_view> range) const {
  if (!safe(path))
    return not_found(path);
  const std::string_view relative = path.substr(1);
  const bool asset = path.starts_with("/assets/");
  if (!relative.empty()) {
    const auto p = root_ / std::filesystem::path(relative);
    if (const auto size = regular_file_size(p))
      return file(p, *size, range, asset ? kImmutable : kRevalidate);
  }
  const std::string_view last = path.substr(path.rfind('/') + 1);
  if (asset || path.starts_with("/v1/") || path == "/v1" ||
      last.find('.') != std::string_view::npos)
    return not_found(path);
  const auto index = root_ / "index.html";
  const auto size = regular_file_size(index);
  if (!size)
    return not_found(path);  // the bundle was removed while stratusd runs
  return file(index, *size, range, kRevalidate);
}

}  // namespace stratus::http
