#pragma once
/// @file
/// Internal to src/api: synchronous handlers run on the blocking pool, and the
/// logged-in-caller wrapper. Route files include this; nothing outside api does.

#include <functional>
#include <string_view>

#include "core/error.hpp"
#include "http/router.hpp"
#include "service/account_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api::detail {

/// A handler that does its whole job synchronously (parse, one service call,
/// map the result). Runs on the blocking pool.
using SyncHandler = std::function<http::Response(const http::Request&)>;

/// A handler that needs a logged-in caller.
using AuthedHandler =
    std::function<http::Response(const http::Request&, const service::Principal&)>;

/// Wraps `handler` into a router handler that runs it on `pool` and resumes on
/// the HTTP executor. `pool` must outlive the router.
http::Handler on_pool(boost::asio::thread_pool& pool, SyncHandler handler);

/// Verifies the caller's access token first; answers 401 (RainMaker shape)
/// without calling `handler` when it is missing, invalid, expired or logged out.
SyncHandler authed(service::AccountService& accounts, AuthedHandler handler);

/// A boolean query parameter: absent or empty is false; `true`/`false` in the spellings
/// `rest::parse_query_bool` takes (Python's `True`/`False` among them). Errors:
/// invalid_argument with the request-body code (100006) for anything else, which must
/// not pass as false.
Result<bool> query_flag(const http::Request& r, std::string_view name);

}  // namespace stratus::api::detail
