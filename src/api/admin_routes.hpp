#pragma once
/// @file
/// Fleet administration and audit routes (issue 18 items 5 and 6, docs/adr/0015; shapes in
/// proto/rest/admin.hpp, docs/api.md "Fleet administration and audit"):
///
/// - `GET /v1/admin/nodes` — `?node_id=` one node with users and history, else a page
///   filtered by `model`, `type`, `fw_version`, `user` (user id or name), `id_prefix`,
///   `online` (true|false), paged by `start_id`/`num_records`.
/// - `DELETE /v1/admin/nodes/mapping?node_id=` — unmap the node from every user.
/// - `PUT /v1/admin/nodes/primary {node_id, user}` — reassign the primary user.
/// - `GET /v1/admin/users?start_id&num_records` — users with status and quota.
/// - `PUT /v1/admin/users/status {user, disabled}`, `PUT /v1/admin/users/quota
///   {user, node_quota}`.
/// - `GET /v1/admin/audit?actor&object&action&from&to&start_id&num_records` — `from`/`to`
///   in Unix seconds (inclusive), newest first.
///
/// Every route needs a super-admin token (403 `100004` otherwise) and is audited by
/// `service::FleetService`.

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/fleet_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Registers the routes above. Every reference must outlive the router.
void add_admin_routes(http::Router& router, service::AccountService& accounts,
                      service::FleetService& fleet, boost::asio::thread_pool& pool);

}  // namespace stratus::api
