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

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace code = service::challenge_mapping_error;
using detail::authed;
using detail::on_pool;
using service::Principal;

Error bad_body(std::string text) {
  return Error{errc::invalid_argument, "invalid request body: " + std::move(text), 100006};
}

Error bad_timeout() {
  return Error{errc::invalid_argument, "timeout must be a whole number of seconds",
               code::timeout_invalid};
}

// `timeout` as seconds: absent or null → nullopt. Range checks are the service's;
// here only "is it a whole number that fits".
Result<std::optional<std::chrono::seconds>> timeout_field(const json::object& body) {
  const auto* v = body.if_contains("timeout");
  if (v == nullptr || v->is_null())
    return std::optional<std::chrono::seconds>();
  std::int64_t seconds = 0;
  if (v->is_int64()) {
    seconds = v->as_int64();
  } else if (v->is_uint64()) {
    if (v->as_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return fail(bad_timeout());
    seconds = static_cast<std::int64_t>(v->as_uint64());
  } else if (v->is_double()) {
    const double d = v->as_double();  // 360.0 from some JSON encoders
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 1e15)
      return fail(bad_timeout());
    seconds = static_cast<std::int64_t>(d);
  } else {
    return fail(bad_timeout());
  }
  return std::optional<std::chrono::seconds>(std::chrono::seconds(seconds));
}

// `tags` must be an array of strings and `metadata` an object when present
// (null allowed). Their storage comes with the node tags/metadata work.
Result<void> check_tags_and_metadata(const json::object& body) {
  if (const auto* tags = body.if_contains("tags"); tags != nullptr && !tags->is_null()) {
    if (!tags->is_array())
      return fail(bad_body("tags must be an array of strings"));
    for (const auto& tag : tags->as_array()) {
      if (!tag.is_string())
        return fail(bad_body("tags must be an array of strings"));
    }
  }
  if (const auto* metadata = body.if_contains("metadata");
      metadata != nullptr && !metadata->is_null() && !metadata->is_object()) {
    return fail(bad_body("metadata must be an object"));
  }
  return {};
}

http::Response initiate(service::ChallengeMapping& mapping, const http::Request& r,
                        const Principal& who) {
  // The CLI always sends {"timeout":360}; other clients may send nothing.
  json::object body;
  if (r.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto parsed = parse_object(r.body);
    if (!parsed)
      return error_response(parsed.error());
    body = std::move(*parsed);
  }
  auto timeout = timeout_field(body);
  if (!timeout)
    return error_response(timeout.error());
  auto challenge = mapping.initiate(who, *timeout);
  if (!challenge)
    return error_response(challenge.error());
  return http::json_response(200, json::serialize(json::object{
                                      {"request_id", challenge->request_id},
                                      {"challenge", challenge->challenge},
                                  }));
}

http::Response verify(service::ChallengeMapping& mapping, const http::Request& r,
                      const Principal& who) {
  auto body = parse_object(r.body);
  if (!body)
    return error_response(body.error());
  constexpr std::array<std::string_view, 3> names{"request_id", "node_id", "challenge_response"};
  std::array<std::optional<std::string>, 3> values;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto value = optional_string(*body, names[i]);
    if (!value)
      return error_response(value.error());
    values[i] = std::move(*value);
  }
  if (auto checked = check_tags_and_metadata(*body); !checked)
    return error_response(checked.error());
  const auto& [request_id, node_id, challenge_response] = values;
  auto mapped = mapping.verify(who, request_id.value_or(""), node_id.value_or(""),
                               challenge_response.value_or(""));
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
