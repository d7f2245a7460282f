#include "api/account_routes.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <functional>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "core/strings.hpp"
#include "proto/rest/accounts.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"

namespace stratus::api {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace rest = proto::rest;
namespace code = proto::rest::account_error;

using detail::authed;
using detail::on_pool;
using detail::SyncHandler;

http::Response tokens_response(const service::Tokens& tokens) {
  return json_answer(
      200, rest::to_json(rest::Tokens{tokens.id_token, tokens.access_token, tokens.refresh_token}));
}

Error user_name_missing() {
  return Error{errc::invalid_argument, "user name is missing", code::user_name_missing};
}

http::Response sign_up(service::AccountService& accounts, const http::Request& request) {
  auto fields = read_body(request.body, rest::parse_sign_up_request);
  if (!fields)
    return error_response(fields.error());
  const auto& [user_name, password, verification_code] = *fields;
  if (!user_name)
    return error_response(user_name_missing());
  if (verification_code) {
    auto r = accounts.confirm_sign_up(*user_name, *verification_code, request.remote_address);
    if (!r)
      return error_response(r.error());
    return success_response(201, "User verified");
  }
  if (!password) {
    return error_response(Error{errc::invalid_argument, "password or verification code is missing",
                                code::password_or_code_missing});
  }
  auto r = accounts.sign_up(*user_name, *password, request.remote_address);
  if (!r)
    return error_response(r.error());
  return success_response(201, "User created. A verification code has been sent");
}

http::Response log_in(service::AccountService& accounts, const http::Request& request) {
  auto fields = read_body(request.body, rest::parse_login_request);
  if (!fields)
    return error_response(fields.error());
  const auto& [user_name, password, refresh] = *fields;
  if (refresh) {
    auto tokens = accounts.refresh(*refresh, request.remote_address);
    if (!tokens)
      return error_response(tokens.error());
    // Clients that rotate store the new refresh token; the CLI ignores it.
    return tokens_response(*tokens);
  }
  if (!user_name)
    return error_response(user_name_missing());
  if (!password) {
    return error_response(Error{errc::invalid_argument,
                                "password is missing (password-less login is not supported)",
                                code::password_missing});
  }
  auto tokens = accounts.log_in(*user_name, *password, request.remote_address);
  if (!tokens)
    return error_response(tokens.error());
  return tokens_response(*tokens);
}

http::Response log_out(service::AccountService& accounts, const http::Request& request,
                       const service::Principal& who) {
  bool all = false;
  if (const auto value = request.query_param("logout_all")) {
    const auto parsed = rest::parse_query_bool(*value);
    if (!parsed) {
      return error_response(Error{errc::invalid_argument,
                                  "invalid logout_all value; valid values are true and false",
                                  code::logout_all_invalid});
    }
    all = *parsed;
  }
  auto r = accounts.log_out(who, all);
  if (!r)
    return error_response(r.error());
  return success_response(200, all ? "Logged out of all sessions" : "Logged out");
}

http::Response forgot_password(service::AccountService& accounts, const http::Request& request) {
  auto fields = read_body(request.body, rest::parse_forgot_password_request);
  if (!fields)
    return error_response(fields.error());
  const auto& [user_name, password, verification_code] = *fields;
  if (!user_name)
    return error_response(user_name_missing());
  if (!password && !verification_code) {
    auto r = accounts.request_password_reset(*user_name, request.remote_address);
    if (!r)
      return error_response(r.error());
    return success_response(200, "A verification code has been sent");
  }
  if (!verification_code) {
    return error_response(
        Error{errc::invalid_argument, "verification code is missing", code::code_missing});
  }
  if (!password) {
    return error_response(
        Error{errc::invalid_argument, "password is missing", code::password_missing});
  }
  auto r =
      accounts.reset_password(*user_name, *verification_code, *password, request.remote_address);
  if (!r)
    return error_response(r.error());
  return success_response(200, "Password changed");
}

http::Response change_password(service::AccountService& accounts, const http::Request& request,
                               const service::Principal& who) {
  auto fields = read_body(request.body, rest::parse_change_password_request);
  if (!fields)
    return error_response(fields.error());
  const auto& [password, new_password] = *fields;
  if (!password) {
    return error_response(
        Error{errc::invalid_argument, "password is missing", code::password_missing});
  }
  if (!new_password) {
    return error_response(
        Error{errc::invalid_argument, "new password is missing", code::new_password_missing});
  }
  auto r = accounts.change_password(who, *password, *new_password, request.remote_address);
  if (!r)
    return error_response(r.error());
  return success_response(200, "Password changed; other sessions were logged out");
}

rest::UserInfo user_info(const service::UserInfo& user) {
  rest::UserInfo info{user.user_id, user.user_name,   {},    {},
                      user.name,    user.super_admin, false, user.alert_mail};
  (user.is_phone ? info.phone_number : info.email) = user.user_name;
  return info;
}

http::Response get_user(service::AccountService& accounts, const http::Request&,
                        const service::Principal& who) {
  auto user = accounts.get_user(who);
  if (!user)
    return error_response(user.error());
  return json_answer(200, rest::to_json(user_info(*user)));
}

http::Response update_user(service::AccountService& accounts, const http::Request& request,
                           const service::Principal& who) {
  auto update = read_body(request.body, rest::parse_user_update);
  if (!update)
    return error_response(update.error());
  auto user = accounts.update_user(who, storage::ProfileUpdate{update->name, update->alert_mail});
  if (!user)
    return error_response(user.error());
  return json_answer(200, rest::to_json(user_info(*user)));
}

http::Response delete_user(service::AccountService& accounts, const http::Request& request,
                           const service::Principal& who) {
  if (const auto code_value = request.query_param("verification_code")) {
    if (code_value->empty()) {  // missing, not a wrong code that uses up an attempt
      return error_response(
          Error{errc::invalid_argument, "verification code is missing", code::delete_code_missing});
    }
    auto r = accounts.delete_user(who, *code_value, request.remote_address);
    if (!r)
      return error_response(r.error());
    return success_response(200, "User deleted");
  }
  const auto wants = request.query_param("request");
  if (wants && rest::parse_query_bool(*wants).value_or(false)) {
    auto r = accounts.request_deletion(who);
    if (!r)
      return error_response(r.error());
    return success_response(200, "A verification code has been sent");
  }
  return error_response(Error{errc::invalid_argument,
                              "verification code is missing (or use request=true to get one)",
                              code::delete_code_missing});
}

}  // namespace

std::optional<std::string_view> bearer_token(const http::Request& request) {
  auto value = request.header("Authorization");
  if (!value)
    return std::nullopt;
  std::string_view token = *value;
  if (token.size() > 7 && (token.starts_with("Bearer ") || token.starts_with("bearer "))) {
    token.remove_prefix(7);
  }
  token = trim(token, " ");
  if (token.empty())
    return std::nullopt;
  return token;
}

Result<service::Principal> authenticate(service::AccountService& accounts,
                                        const http::Request& request) {
  const auto token = bearer_token(request);
  return accounts.authenticate(token ? *token : std::string_view());
}

void add_account_routes(http::Router& router, service::AccountService& accounts,
                        asio::thread_pool& pool) {
  auto& a = accounts;
  const auto add = [&](std::string_view method, std::string path, SyncHandler h) {
    router.add(method, std::move(path), on_pool(pool, std::move(h)));
  };
  for (const char* path : {"/v1/user2", "/v1/user"}) {
    add("POST", path, [&a](const http::Request& r) { return sign_up(a, r); });
    add("GET", path, authed(a, [&a](const http::Request& r, const service::Principal& p) {
          return get_user(a, r, p);
        }));
    add("PUT", path, authed(a, [&a](const http::Request& r, const service::Principal& p) {
          return update_user(a, r, p);
        }));
  }
  add("DELETE", "/v1/user2", authed(a, [&a](const http::Request& r, const service::Principal& p) {
        return delete_user(a, r, p);
      }));
  for (const char* path : {"/v1/login2", "/v1/login"}) {
    add("POST", path, [&a](const http::Request& r) { return log_in(a, r); });
  }
  add("POST", "/v1/logout2", authed(a, [&a](const http::Request& r, const service::Principal& p) {
        return log_out(a, r, p);
      }));
  for (const char* path : {"/v1/forgotpassword2", "/v1/forgotpassword"}) {
    add("PUT", path, [&a](const http::Request& r) { return forgot_password(a, r); });
  }
  for (const char* path : {"/v1/password2", "/v1/password"}) {
    add("PUT", path, authed(a, [&a](const http::Request& r, const service::Principal& p) {
          return change_password(a, r, p);
        }));
  }
}

}  // namespace stratus::api
