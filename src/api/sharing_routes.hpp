#pragma once
/// @file
/// Node sharing and group sharing routes (spec rainmaker.md §4.3 rows `sharing` and
/// `group sharing`; rainmaker-cloud.md §1, §2.6; docs/api.md). The real RainMaker CLI reads
/// these answers as JSON whatever the status and judges them by `status`; every failure
/// is the RainMaker shape with `error_code` and `description`.

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/sharing_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Adds, for a logged-in caller (401 otherwise), under `/v1/user/nodes/sharing` (ids in
/// `nodes`, `node_id`) and `/v1/user/node_group/sharing` (ids in `groups`, `group_id`):
///
/// - `PUT …/sharing` `{"nodes"|"groups":[…],"user_name","sub_role"?,"primary"?,
///   "transfer"?,"new_role"?,"metadata"?}` → 200 `{"status":"success","description",
///   "request_id"}`. The deprecated node form with `{"accept","request_id"}` answers a
///   request, as `PUT …/sharing/requests` does.
/// - `GET …/sharing[?node_id=|group_id=]` → `{"node_sharing"|"group_sharing":[{id,
///   "users":{"primary":[…],"secondary":[…]}}]}`.
/// - `DELETE …/sharing?nodes|groups=a,b&user_name=` → `{"status":"success",…}`.
/// - `GET …/sharing/requests?primary_user=true|false|True|False[&request_id=]
///   [&start_request_id=][&num_records=]` → `{"sharing_requests":[…],"next_request_id"?,
///   "next_user_name"?}`.
/// - `PUT …/sharing/requests` `{"accept":bool,"request_id"}` (recipient).
/// - `DELETE …/sharing/requests?request_id=` (sender).
///
/// Handlers run on `pool`; `accounts`, `sharing` and `pool` must outlive the router.
void add_sharing_routes(http::Router& router, service::AccountService& accounts,
                        service::SharingService& sharing, boost::asio::thread_pool& pool);

}  // namespace stratus::api
