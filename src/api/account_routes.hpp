#pragma once
/// @file
/// The RainMaker user API (spec rainmaker.md §4.2–4.3; Espressif's OpenAPI
/// "User Management"): signup, login/refresh, logout, forgot/change password,
/// user info, account deletion, and the bearer-token check used by every
/// authenticated route.

#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "http/router.hpp"
#include "service/account_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Adds, with the current and the deprecated paths the CLI and apps use:
/// POST /v1/user2 (+/v1/user), POST /v1/login2 (+/v1/login), POST /v1/logout2,
/// PUT /v1/forgotpassword2 (+/v1/forgotpassword), PUT /v1/password2
/// (+/v1/password), GET /v1/user2 (+/v1/user) and DELETE /v1/user2. (The super-admin
/// route GET /v1/admin/users is with the fleet routes, api/admin_routes.hpp.)
/// Handlers run their work on `pool` (argon2id and SQLite block), never on the
/// HTTP threads. `accounts` and `pool` must outlive the router.
void add_account_routes(http::Router& router, service::AccountService& accounts,
                        boost::asio::thread_pool& pool);

/// The token of an `Authorization` header: the raw JWT (RainMaker style) or
/// `Bearer <jwt>`; nullopt when absent or empty.
std::optional<std::string_view> bearer_token(const http::Request& request);

/// Verifies the caller's access token. Blocking (one session lookup): call on
/// the pool. Errors as AccountService::authenticate.
Result<service::Principal> authenticate(service::AccountService& accounts,
                                        const http::Request& request);

}  // namespace stratus::api
