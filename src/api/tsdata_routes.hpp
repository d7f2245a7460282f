#pragma once
/// @file
/// Time-series routes (rainmaker-cloud.md §4.1, §4.2; docs/adr/0011; docs/api.md).

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/time_series_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Adds, for a logged-in caller (401 otherwise):
///
/// - `GET /v1/user/nodes/tsdata?node_id&param_name[&type|data_type][&aggregate]
///   [&aggregation_interval][&start_time&end_time|&num_intervals][&num_records][&start_id]
///   [&desc_order][&timezone][&week_start]` → `{"ts_data":[{"node_id","params":[{
///   "param_name","values":[{"ts","val"}],"num_records"}],"next_id"?,"aggregate",
///   "interval"?,"week_start","differential","reset_on_negative","timezone"}]}`.
/// - `GET /v1/user/nodes/simple_tsdata?node_id&param_name&type[&start_time][&end_time]
///   [&num_records][&start_id][&query_type=raw]` → the same shape without the echoed
///   options, newest first.
/// - `GET /v1/admin/nodes/tsdata` and `/v1/admin/nodes/simple_tsdata`: the same for a
///   super-admin, on any node (403 `100004` for anyone else).
///
/// Failures are the RainMaker shape with the 126xxx/136xxx codes. Handlers run on `pool`;
/// `accounts`, `series` and `pool` must outlive the router.
void add_tsdata_routes(http::Router& router, service::AccountService& accounts,
                       service::TimeSeriesService& series, boost::asio::thread_pool& pool);

}  // namespace stratus::api
