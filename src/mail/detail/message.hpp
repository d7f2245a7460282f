#pragma once
/// @file
/// Internals shared by the mailers: header validation and UTC time formats.
/// Nobody outside src/mail/ includes this.

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "service/mailer.hpp"

namespace stratus::mail::detail {

/// Rejects a header value containing CR or LF (header injection) or NUL.
/// Errors: errc::invalid_argument naming `field`. Pure, thread-safe.
Result<void> check_header_value(std::string_view field, std::string_view value);

/// Checks `to` and `subject` of `message` with check_header_value.
Result<void> check_headers(const service::MailMessage& message);

/// Formats `t` in UTC with strftime `format` ("%Y%m%dT%H%M%SZ"). Thread-safe (gmtime_r).
std::string format_utc(std::chrono::system_clock::time_point t, const char* format);

}  // namespace stratus::mail::detail
