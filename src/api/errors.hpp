#pragma once
/// @file
/// The one table from `errc` to HTTP status, and the RainMaker failure body
/// `{"status":"failure","error_code":N,"description":"…"}` (spec rainmaker.md §4.1).

#include <boost/json/fwd.hpp>

#include "core/error.hpp"
#include "http/message.hpp"

namespace stratus::api {

/// HTTP status for an error code. Total over `errc` (a unit test checks every value).
int http_status(errc code) noexcept;

/// The RainMaker error code sent for `error`: its `reason`, or a generic
/// 1004xx/1005xx code derived from `error.code` when it has none.
int api_error_code(const Error& error) noexcept;

/// The failure response for `error`. Internal errors are described generically
/// (details go to the log, not to the client).
http::Response error_response(const Error& error);

/// `body` (a proto::rest codec's `to_json`) serialized, with `status`.
http::Response json_answer(int status, const boost::json::value& body);

/// `{"status":"success","description":"…"}` with `status`.
http::Response success_response(int status, std::string_view description);

}  // namespace stratus::api
