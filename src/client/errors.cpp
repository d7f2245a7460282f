#include "client/errors.hpp"

#include <boost/json.hpp>
#include <string>

#include "proto/rest/json.hpp"

namespace stratus::client {

errc errc_from_http_status(int status) noexcept {
  switch (status) {
    case 400:
      return errc::invalid_argument;
    case 401:
      return errc::unauthenticated;
    case 403:
      return errc::forbidden;
    case 404:
      return errc::not_found;
    case 409:
      return errc::conflict;
    case 413:
    case 429:
      return errc::resource_exhausted;
    case 503:
      return errc::unavailable;
    case 504:
      return errc::timeout;
    default:
      break;
  }
  return status >= 400 && status < 500 ? errc::invalid_argument : errc::internal;
}

Error error_from_response(int status, std::string_view body) {
  Error error{errc_from_http_status(status), {}, 0};
  boost::system::error_code ec;
  const auto value = boost::json::parse(body, ec);
  if (!ec && value.is_object()) {
    const auto& o = value.as_object();
    error.reason = static_cast<int>(proto::rest::int_or(o, "error_code"));
    error.context = proto::rest::string_or(o, "description");
    if (error.context.empty())
      error.context = proto::rest::string_or(o, "message");
  }
  if (error.context.empty()) {
    error.context = "HTTP " + std::to_string(status);
    std::string_view start = body.substr(0, body.find('\n'));
    if (start.size() > 120)
      start = start.substr(0, 120);
    if (!start.empty()) {
      error.context += ": ";
      error.context += start;
    }
  }
  return error;
}

}  // namespace stratus::client
