#pragma once
/// @file
/// Command-response routes (spec rainmaker.md §3.5; docs/api.md "Commands";
/// docs/adr/0006): create, read and cancel command requests.

#include <boost/json/object.hpp>

#include "http/router.hpp"
#include "proto/rest/commands.hpp"
#include "service/account_service.hpp"
#include "service/command_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Adds, all for a logged-in caller and run on `pool`:
/// - `POST /v1/user/nodes/cmd` `{node_ids, cmd, data, is_base64?, timeout?, override?}`
///   → 200 `{"request_id","status":"success"}` when every node was sent to, else 207
///   `{"request_id","responses":[{"node_ids":[…],"response":{"status","error_code"?,
///   "description"}}]}` (nodes grouped by identical outcome); when no node is accepted,
///   the RainMaker failure shape (400/404) and nothing is stored.
/// - `GET /v1/user/nodes/cmd?request_id=&node_id=&status=&start_time=&end_time=
///   &start_id=&num_records=` → 200 `{"requests":[…],"next_id"?}` (times in seconds).
/// - `DELETE /v1/user/nodes/cmd?request_id=[&node_id=]` (Stratus extension) → 200.
/// `accounts`, `commands` and `pool` must outlive the router.
void add_command_routes(http::Router& router, service::AccountService& accounts,
                        service::CommandService& commands, boost::asio::thread_pool& pool);

/// Parses the body of `POST /v1/user/nodes/cmd` (`proto::rest::parse_command_request`)
/// into a command for the service, which checks ranges and node ids. Errors:
/// invalid_argument with the RainMaker reason code (`invalid_request_body` for a
/// malformed body or field type, or the `command_error` codes for `cmd`, `data`, base64
/// data and `timeout`). Pure; exposed for tests and the `rest_body` fuzz target.
Result<service::NewCommand> parse_new_command(std::string_view body);

/// One stored record as the REST contract describes it (times in seconds).
proto::rest::CommandRecord command_record(const storage::CommandRecord& record);

/// One stored record as `GET /v1/user/nodes/cmd` shows it: `request_data` and
/// `response_data` are JSON when the bytes are valid JSON, else a string — base64 when
/// the request was `is_base64` or the bytes are not UTF-8. Exposed for tests.
boost::json::object command_record_json(const storage::CommandRecord& record);

}  // namespace stratus::api
