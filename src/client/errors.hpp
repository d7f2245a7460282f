#pragma once
/// @file
/// Turning a server's failure answer into an `Error` (spec rainmaker.md §4.1:
/// `{"status":"failure","error_code":N,"description":"…"}`).

#include <string_view>

#include "core/error.hpp"

namespace stratus::client {

/// The `errc` for an HTTP status: 400 invalid_argument, 401 unauthenticated,
/// 403 forbidden, 404 not_found, 409 conflict, 413/429 resource_exhausted,
/// 503 unavailable, 504 timeout, other 4xx invalid_argument, other 5xx internal.
/// Pure; thread-safe.
[[nodiscard]] errc errc_from_http_status(int status) noexcept;

/// The error a non-2xx answer stands for: code from the status, `reason` from the
/// body's `error_code` (a number or a string of digits; 0 when absent), `context`
/// from its `description` (or `message`, the other shape RainMaker uses), else
/// "HTTP <status>" plus the start of a non-JSON body. Pure; thread-safe.
[[nodiscard]] Error error_from_response(int status, std::string_view body);

}  // namespace stratus::client
