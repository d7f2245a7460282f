#include "api/errors.hpp"

#include <boost/json.hpp>

#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"

namespace stratus::api {

namespace code = proto::rest;

int http_status(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
      return 400;
    case errc::unauthenticated:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::already_exists:
      return 409;
    case errc::conflict:
      return 409;
    case errc::resource_exhausted:
      return 429;
    case errc::internal:
      return 500;
    case errc::unavailable:
      return 503;
    case errc::timeout:
      return 504;
  }
  return 500;
}

int api_error_code(const Error& error) noexcept {
  if (error.reason != 0)
    return error.reason;
  switch (error.code) {
    case errc::invalid_argument:
      return code::request_error::invalid_request_body;
    case errc::unauthenticated:
      return code::account_error::access_token_invalid;
    case errc::forbidden:
      return code::request_error::not_authorized;
    case errc::not_found:
      return code::http_error::unknown_route;
    case errc::already_exists:
    case errc::conflict:
      return code::request_error::conflict;
    case errc::resource_exhausted:
      return code::request_error::rate_limited;
    case errc::unavailable:
      return code::http_error::server_busy;
    case errc::timeout:
      return code::http_error::request_timeout;
    case errc::internal:
      return code::http_error::internal_error;
  }
  return code::http_error::internal_error;
}

http::Response error_response(const Error& error) {
  const bool hide =
      error.code == errc::internal || (error.code == errc::unavailable && error.reason == 0);
  return http::failure_response(http_status(error.code), api_error_code(error),
                                hide ? "internal error, please retry later" : error.context);
}

http::Response json_answer(int status, const boost::json::value& body) {
  return http::json_response(status, boost::json::serialize(body));
}

http::Response success_response(int status, std::string_view description) {
  return json_answer(status, proto::rest::success_body(description));
}

}  // namespace stratus::api
