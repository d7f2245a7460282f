#pragma once
/// @file
/// Manufacturing and revocation routes (issue 18; spec rainmaker.md §7; docs/adr/0014;
/// docs/api.md "Manufacturing and revocation"). What Espressif's admin CLI calls, in the
/// shapes it reads (`rmaker_admin_lib/node_mfg.py`, `deployment.py`):
///
/// - `GET /v1/admin/mqtt_host` → `{"mqtt_host","mqtt_cred_host"}`;
/// - `GET /v1/admin/rainmaker_deployment_details` → `{"pre_requisite_details":
///   {"is_super_admin_ses_verified":false,"is_ses_in_production":false}}` (no job mail);
/// - `POST /v1/admin/node_ids {"node_count"}` → `{"request_id"}`;
///   `GET /v1/admin/node_ids?request_id=` → `{"status":"success","url"}`, the URL a signed
///   `GET /v1/mfg/node_ids?request_id&expires&sig` (no login) answering the ids
///   comma-separated on one line (`text/plain`);
/// - `GET /v1/admin/node_certificates/register?file_name=` → `{"url","request_id"}`, the URL
///   a signed `PUT /v1/mfg/upload?request_id&expires&sig` (no login; the raw file; exactly
///   200 on success; at most `max_upload_bytes`); `GET …/register?request_id=` →
///   `{"status","description","total","registered","failed"}` (one path: the query tells
///   them apart, `request_id` first); `POST …/register {…}` → `{"status":"success",
///   "request_id"}`;
/// - `GET /v1/admin/node_group?group_name=` → `[{"group_id","group_name","parent_group_id"?}]`.
///
/// Stratus's own: `POST /v1/admin/cacert {"certificate"}`, `GET /v1/admin/cacert`;
/// `POST /v1/admin/nodes/revoke {"node_id","reason"?}`, `POST /v1/admin/nodes/allow_reclaim
/// {"node_id"}`, `GET /v1/admin/nodes/revoked?node_id&start&num_records`.
///
/// Every `/v1/admin` route answers 403 `100004` to anyone but a super-admin. The signed
/// URLs are built on the scheme stratusd serves (`https` with `http.tls`) and the request's
/// `Host`, so they point where the caller reached stratusd.

#include <cstddef>

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/manufacturing_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Registers the routes above. `https`: whether stratusd serves TLS (the scheme of signed
/// URLs); `max_upload_bytes` bounds a node_certs.csv upload. Every reference must outlive
/// the router.
void add_manufacturing_routes(http::Router& router, service::AccountService& accounts,
                              service::ManufacturingService& mfg, boost::asio::thread_pool& pool,
                              bool https, std::size_t max_upload_bytes);

}  // namespace stratus::api
