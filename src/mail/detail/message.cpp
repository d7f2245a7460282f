#include "mail/detail/message.hpp"

#include <ctime>

namespace stratus::mail::detail {

Result<void> check_header_value(std::string_view field, std::string_view value) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return fail(errc::invalid_argument,
                "mail: " + std::string(field) + " contains CR, LF or NUL (header injection)");
  }
  return {};
}

Result<void> check_headers(const service::MailMessage& message) {
  if (auto r = check_header_value("To", message.to); !r)
    return r;
  return check_header_value("Subject", message.subject);
}

std::string format_utc(std::chrono::system_clock::time_point t, const char* format) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  const std::size_t n = std::strftime(buffer, sizeof buffer, format, &tm);
  return std::string(buffer, n);
}

}  // namespace stratus::mail::detail
