#pragma once
/// @file
/// Automation routes (spec rainmaker.md §4.3 row `automations`; rainmaker-cloud.md §3;
/// docs/api.md "Automations"), as the real RainMaker CLI's `automations` commands and
/// the RainMaker apps call them (docs/research/rainmaker-automations.md).

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/automation_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Adds, for a logged-in caller (401 otherwise):
///
/// - `POST /v1/user/node_automation` `{"name","event_type"?,"node_id"?,"location"?,
///   "events":[…],"event_operator"?,"actions":[…],"retrigger"?,"enabled"?,"metadata"?}`
///   → 200 `{"status":"success","description","automation_id"}` (all strings).
/// - `GET /v1/user/node_automation[?node_id=&start_id=&num_records=]` →
///   `{"automation_trigger_actions":[…],"total","next_id"?}` (default page 100: the iOS app
///   reads one page); with `automation_id=` the one automation, wrapped and at the top
///   level.
/// - `PUT /v1/user/node_automation?automation_id=` with any POST member but `event_type`
///   → `{"status":"success",…}`.
/// - `DELETE /v1/user/node_automation?automation_id=` → `{"status":"success",…}`.
///
/// Failures use the RainMaker shape with proto::rest::automation_error codes. Handlers
/// run on `pool`; `accounts`, `automations` and `pool` must outlive the router.
void add_automation_routes(http::Router& router, service::AccountService& accounts,
                           service::AutomationService& automations, boost::asio::thread_pool& pool);

}  // namespace stratus::api
