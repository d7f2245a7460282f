#pragma once
/// @file
/// Challenge-response user-node mapping routes (spec rainmaker.md §4.3, the
/// calls of esp-rainmaker-cli `rmaker_tools/rmaker_prov/challenge_response.py`).

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/challenge_mapping.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Adds, both for a logged-in caller (401 otherwise):
///
/// - `POST /v1/user/nodes/mapping/initiate` `{"timeout":<seconds>}` (optional,
///   1..`max_timeout`, default 360; an empty body is allowed)
///   → 200 `{"request_id":"…","challenge":"…"}`.
/// - `POST /v1/user/nodes/mapping/verify` `{"request_id","node_id",
///   "challenge_response":"<hex signature>","tags"?:["k:v",…],"metadata"?:{…}}`
///   → 200 `{"status":"success","description":"…"}` with the caller now a
///   primary user of the node. `tags` (array of strings) and `metadata`
///   (object) are type-checked and otherwise ignored for now.
///
/// Failures use the RainMaker shape with the codes of
/// proto::rest::mapping_error, and `request_error::invalid_request_body` for a body that is not a
/// JSON object or has a field of the wrong type. Handlers run on `pool`; `accounts`, `mapping` and
/// `pool` must outlive the router.
void add_mapping_challenge_routes(http::Router& router, service::AccountService& accounts,
                                  service::ChallengeMapping& mapping,
                                  boost::asio::thread_pool& pool);

}  // namespace stratus::api
