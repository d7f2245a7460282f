#pragma once
/// @file
/// RainMaker node routes (spec rainmaker.md §4.3–4.5): listing and details,
/// config/status/params reads, params sets, and user-node mapping.

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/node_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Adds GET /v1/user/nodes, GET /v1/user/nodes/config|status|params (query
/// `node_id` or the CLI's legacy `nodeid`), PUT /v1/user/nodes/params (batch
/// array ≤ 25, or one node with `?node_id=`), PUT and GET
/// /v1/user/nodes/mapping, and PUT/DELETE /v1/user/nodes?node_id= for tags
/// and metadata. All need a logged-in caller; handlers run on `pool`.
void add_node_routes(http::Router& router, service::AccountService& accounts,
                     service::NodeService& nodes, boost::asio::thread_pool& pool);

}  // namespace stratus::api
