#include "api/claim_routes.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "api/account_routes.hpp"
#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/claiming.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"

namespace stratus::api {
namespace {

namespace rest = proto::rest;
namespace code = proto::rest::claim_error;

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

http::Response initiate(service::ClaimService& claims, service::AccountService& accounts,
                        const http::Request& request) {
  auto fields = read_body(request.body, rest::parse_claim_initiate_request);
  if (!fields)
    return error_response(fields.error());
  auto who = caller(accounts, request);
  if (!who)
    return error_response(who.error());
  if (*who) {
    auto node_id = claims.initiate((*who)->user_id, fields->mac_addr, fields->platform,
                                   request.remote_address);
    if (!node_id)
      return error_response(node_id.error());
    return json_answer(200, rest::to_json(rest::ClaimInitiated{*node_id, {}, {}}));
  }
  auto challenge = claims.self_initiate(fields->mac_addr, fields->platform);
  if (!challenge)
    return error_response(challenge.error());
  return json_answer(
      200, rest::to_json(rest::ClaimInitiated{{}, challenge->auth_id, challenge->challenge}));
}

http::Response verify(service::ClaimService& claims, service::AccountService& accounts,
                      const ClaimAnswerExtras& extras, const http::Request& request) {
  if (const auto matter = request.query_param("matter")) {
    const auto value = rest::parse_query_bool(*matter);
    if (!value) {
      return error_response(Error{errc::invalid_argument, "matter must be true or false",
                                  rest::request_error::invalid_request_body});
    }
    if (*value) {
      return error_response(Error{errc::invalid_argument,
                                  "Matter device certificates are not issued by this server",
                                  code::matter_unsupported});
    }
  }
  auto fields = read_body(request.body, rest::parse_claim_verify_request);
  if (!fields)
    return error_response(fields.error());
  auto who = caller(accounts, request);
  if (!who)
    return error_response(who.error());
  Result<service::ClaimedCertificate> issued =
      *who ? claims.verify((*who)->user_id, fields->node_id.value_or(""), fields->csr,
                           request.remote_address)
           : claims.self_verify(fields->auth_id.value_or(""),
                                fields->challenge_response.value_or(""), fields->csr,
                                request.remote_address);
  if (!issued)
    return error_response(issued.error());
  return json_answer(
      200, rest::to_json(rest::ClaimVerified{issued->certificate_pem, issued->mqtt_host,
                                             extras.mqtt_port, extras.ca_certificate_pem}));
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
