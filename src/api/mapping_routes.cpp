#include "api/mapping_routes.hpp"

#include <array>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/nodes.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using detail::authed;
using detail::on_pool;
using service::Principal;

http::Response initiate(service::ChallengeMapping& mapping, const http::Request& r,
                        const Principal& who) {
  // The CLI always sends {"timeout":360}; other clients may send nothing.
  json::object body;
  if (r.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto parsed = rest::parse_object_body(r.body);
    if (!parsed)
      return error_response(parsed.error());
    body = std::move(*parsed);
  }
  auto request = rest::parse_mapping_challenge_request(body);
  if (!request)
    return error_response(request.error());
  std::optional<std::chrono::seconds> timeout;
  if (request->timeout_s)
    timeout = std::chrono::seconds(*request->timeout_s);
  auto challenge = mapping.initiate(who, timeout);
  if (!challenge)
    return error_response(challenge.error());
  return json_answer(
      200, rest::to_json(rest::MappingChallenge{challenge->request_id, challenge->challenge}));
}

http::Response verify(service::ChallengeMapping& mapping, const http::Request& r,
                      const Principal& who) {
  auto request = read_body(r.body, rest::parse_mapping_verify_request);
  if (!request)
    return error_response(request.error());
  auto mapped =
      mapping.verify(who, request->request_id, request->node_id, request->challenge_response);
  if (!mapped)
    return error_response(mapped.error());
  return success_response(200, "User node mapping successful");
}

}  // namespace

void add_mapping_challenge_routes(http::Router& router, service::AccountService& accounts,
                                  service::ChallengeMapping& mapping,
                                  boost::asio::thread_pool& pool) {
  auto& m = mapping;
  router.add("POST", "/v1/user/nodes/mapping/initiate",
             on_pool(pool, authed(accounts, [&m](const http::Request& r, const Principal& who) {
                       return initiate(m, r, who);
                     })));
  router.add("POST", "/v1/user/nodes/mapping/verify",
             on_pool(pool, authed(accounts, [&m](const http::Request& r, const Principal& who) {
                       return verify(m, r, who);
                     })));
}

}  // namespace stratus::api
