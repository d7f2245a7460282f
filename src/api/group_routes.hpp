#pragma once
/// @file
/// Node group routes (spec rainmaker.md §4.3 row `group`; rainmaker-cloud.md §2;
/// docs/api.md), as the real RainMaker CLI's `group` commands call them
/// (docs/research/rainmaker-cli-sharing-and-groups.md §3).

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/group_service.hpp"
#include "service/sharing_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Adds, for a logged-in caller (401 otherwise):
///
/// - `POST /v1/user/node_group` `{"group_name","parent_group_id"?,"description"?,"type"?,
///   "mutually_exclusive"?,"is_matter"?,"custom_data"?,"nodes"?}` → 200
///   `{"status":"success","description","group_id"}`.
/// - `GET /v1/user/node_group[?start_id=&num_records=|limit=&sub_groups=&node_list=
///   &node_details=]` → `{"groups":[…],"next_id"?,"total"}`; with `group_id=` the one group
///   as `{"groups":[G],"total":1}`.
/// - `PUT /v1/user/node_group?group_id=` with any of the POST members, or `{"nodes":[…],
///   "operation":"add"|"remove"}` → `{"status":"success",…}`.
/// - `DELETE /v1/user/node_group?group_id=` → `{"status":"success",…}` (a primary user
///   deletes it, a secondary user leaves it); `&leave=true`: the caller leaves (108142
///   for the only primary user); `&remove_sharing=true&user_name=`: a primary user removes
///   that user's share (`SharingService::unshare`). Spec rainmaker-cloud.md §2.4; the TS
///   SDK's Leave.ts and RemoveSharingFor.ts.
///
/// Failures use the RainMaker shape with proto::rest::group_error codes. Handlers run on
/// `pool`; `accounts`, `groups`, `sharing` and `pool` must outlive the router.
void add_group_routes(http::Router& router, service::AccountService& accounts,
                      service::GroupService& groups, service::SharingService& sharing,
                      boost::asio::thread_pool& pool);

}  // namespace stratus::api
