#include "api/errors.hpp"

#include <boost/json.hpp>

#include "http/error_codes.hpp"

namespace stratus::api {

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
      return 100006;  // RainMaker "invalid request body"
    case errc::unauthenticated:
      return 100401;
    case errc::forbidden:
      return 100004;  // RainMaker "not authorized"
    case errc::not_found:
      return http::error_code::unknown_route;
    case errc::already_exists:
    case errc::conflict:
      return 100409;
    case errc::resource_exhausted:
      return 100429;
    case errc::unavailable:
      return http::error_code::server_busy;
    case errc::timeout:
      return http::error_code::request_timeout;
    case errc::internal:
      return http::error_code::internal_error;
  }
  return http::error_code::internal_error;
}

http::Response error_response(const Error& error) {
  const bool hide =
      error.code == errc::internal || (error.code == errc::unavailable && error.reason == 0);
  return http::failure_response(http_status(error.code), api_error_code(error),
                                hide ? "internal error, please retry later" : error.context);
}

http::Response success_response(int status, std::string_view description) {
  boost::json::object body{{"status", "success"}, {"description", description}};
  return http::json_response(status, boost::json::serialize(body));
}

}  // namespace stratus::api
