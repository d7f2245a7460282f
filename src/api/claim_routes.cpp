#include "api/claim_routes.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "api/account_routes.hpp"
#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "service/claim_errors.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace code = service::claim_error;

// The caller, when the request carries a token: nullopt for self claiming.
// Errors as AccountService::authenticate (a bad token is never self claiming).
Result<std::optional<service::Principal>> caller(service::AccountService& accounts,
                                                 const http::Request& request) {
  const auto token = bearer_token(request);
  if (!token)
    return std::optional<service::Principal>();
  auto who = accounts.authenticate(*token);
  if (!who)
    return fail(who.error());
  return std::optional<service::Principal>(std::move(*who));
}

Error missing(int reason, std::string text) {
  return Error{errc::invalid_argument, std::move(text), reason};
}

http::Response initiate(service::ClaimService& claims, service::AccountService& accounts,
                        const http::Request& request) {
  auto fields = string_fields<2>(request.body, {"mac_addr", "platform"});
  if (!fields)
    return error_response(fields.error());
  const auto& [mac_addr, platform] = *fields;
  if (!mac_addr) {
    return error_response(
        missing(code::mac_invalid, "mac_addr is missing (12 hex digits, e.g. 7CDFA100033B)"));
  }
  if (!platform)
    return error_response(missing(code::platform_invalid, "platform is missing"));
  auto who = caller(accounts, request);
  if (!who)
    return error_response(who.error());
  if (*who) {
    auto node_id = claims.initiate((*who)->user_id, *mac_addr, *platform);
    if (!node_id)
      return error_response(node_id.error());
    return http::json_response(200, json::serialize(json::object{{"node_id", *node_id}}));
  }
  auto challenge = claims.self_initiate(*mac_addr, *platform);
  if (!challenge)
    return error_response(challenge.error());
  return http::json_response(
      200, json::serialize(
               json::object{{"auth_id", challenge->auth_id}, {"challenge", challenge->challenge}}));
}

http::Response verify(service::ClaimService& claims, service::AccountService& accounts,
                      const ClaimAnswerExtras& extras, const http::Request& request) {
  if (const auto matter = request.query_param("matter")) {
    const auto value = parse_query_bool(*matter);
    if (!value) {
      return error_response(Error{errc::invalid_argument, "matter must be true or false", 100006});
    }
    if (*value) {
      return error_response(Error{errc::invalid_argument,
                                  "Matter device certificates are not issued by this server",
                                  code::matter_unsupported});
    }
  }
  auto object = parse_object(request.body);
  if (!object)
    return error_response(object.error());
  if (const auto* flag = object->if_contains("send_mqtt_host");
      flag != nullptr && !flag->is_bool() && !flag->is_null()) {
    return error_response(
        Error{errc::invalid_argument, "send_mqtt_host must be a boolean", 100006});
  }
  std::array<std::optional<std::string>, 6> values;
  constexpr std::array<std::string_view, 6> names{"csr",     "auth_id",       "challenge_response",
                                                  "node_id", "node_policies", "mac_addr"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto value = optional_string(*object, names[i]);
    if (!value)
      return error_response(value.error());
    values[i] = std::move(*value);
  }
  const auto& [csr, auth_id, challenge_response, node_id, node_policies, mac_addr] = values;
  if (!csr)
    return error_response(missing(code::csr_missing, "csr is missing"));
  auto who = caller(accounts, request);
  if (!who)
    return error_response(who.error());
  Result<service::ClaimedCertificate> issued =
      *who ? claims.verify((*who)->user_id, node_id.value_or(""), *csr, request.remote_address)
           : claims.self_verify(auth_id.value_or(""), challenge_response.value_or(""), *csr,
                                request.remote_address);
  if (!issued)
    return error_response(issued.error());
  json::object body{{"certificate", issued->certificate_pem}};
  if (!issued->mqtt_host.empty())
    body["mqtt_host"] = issued->mqtt_host;
  if (extras.mqtt_port != 0)
    body["mqtt_port"] = extras.mqtt_port;
  if (!extras.ca_certificate_pem.empty())
    body["ca_certificate"] = extras.ca_certificate_pem;
  return http::json_response(200, json::serialize(body));
}

}  // namespace

void add_claim_routes(http::Router& router, service::ClaimService& claims,
                      service::AccountService& accounts, boost::asio::thread_pool& pool,
                      ClaimAnswerExtras extras) {
  auto& c = claims;
  auto& a = accounts;
  router.add("POST", "/claim/initiate",
             detail::on_pool(pool, [&c, &a](const http::Request& r) { return initiate(c, a, r); }));
  router.add("POST", "/claim/verify",
             detail::on_pool(pool, [&c, &a, e = std::move(extras)](const http::Request& r) {
               return verify(c, a, e, r);
             }));
}

}  // namespace stratus::api
