#pragma once
/// @file
/// Assertions on RainMaker-shaped HTTP replies, shared by the HTTP tests.

#include <boost/json/object.hpp>

#include "support/http_client.hpp"

namespace stratus::test {

/// The reply body as a JSON object; records a test failure and returns an
/// empty object when it is not one.
boost::json::object json_object(const HttpReply& reply);

/// Checks the RainMaker failure shape: `status` is the HTTP status, the body is
/// `{"status":"failure","error_code":<number error_code>,"description":"<non-empty>"}`.
void expect_failure(const HttpReply& reply, int status, int error_code);

}  // namespace stratus::test
