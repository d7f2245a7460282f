#pragma once
/// @file
/// Where a RainMaker-compatible server lives, and how request URLs are built from
/// it (spec rainmaker.md §4.1: versioned calls under `<root>/v1/`, `apiversions`,
/// `mqtt_host` and the claim calls at `<root>/`).

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::client {

/// A parsed server URL. `root` is scheme + authority + optional path prefix, with
/// no trailing '/' and no trailing "/v1" ("http://127.0.0.1:8080",
/// "https://cloud.example/rainmaker").
struct ServerUrl {
  std::string root;

  /// `<root>/v1/<path>`; `path` has no leading '/' and may carry a query string.
  [[nodiscard]] std::string versioned(std::string_view path) const;
  /// `<root>/<path>` for the unversioned endpoints (`apiversions`, `mqtt_host`,
  /// `claim/initiate`, `claim/verify`).
  [[nodiscard]] std::string unversioned(std::string_view path) const;
  /// Whether the URL uses https.
  [[nodiscard]] bool tls() const;
};

/// Parses a profile URL such as "http://127.0.0.1:8080", "http://host:8080/" or
/// "https://api.example.com/v1/" (the RainMaker CLI's form). The scheme must be
/// http or https and the host non-empty; a trailing "/v1" and slashes are dropped;
/// query strings, fragments, user info and white space are refused. Errors:
/// invalid_argument naming the problem. Pure; thread-safe.
[[nodiscard]] Result<ServerUrl> parse_server_url(std::string_view text);

/// Percent-encodes `text` for a query value (RFC 3986 unreserved characters stay).
/// Pure; thread-safe.
[[nodiscard]] std::string percent_encode(std::string_view text);

}  // namespace stratus::client
