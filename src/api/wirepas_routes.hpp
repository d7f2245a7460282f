#pragma once
/// @file
/// Wirepas gateway and operator credentials for the embedded broker (issue 20 item 3,
/// docs/adr/0018; shapes in proto/rest/admin.hpp, docs/api.md "Wirepas gateways and
/// operators"), super-admins only, audited by `service::WirepasAccessService`:
///
/// - `GET /v1/admin/wirepas/credentials` — every credential (never a password).
/// - `POST /v1/admin/wirepas/credentials {"role","name"}` — 201 with the generated
///   password, shown once.
/// - `DELETE /v1/admin/wirepas/credentials?name=` — the broker drops its sessions.

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/wirepas_access.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Registers the routes above. Every reference must outlive the router.
void add_wirepas_routes(http::Router& router, service::AccountService& accounts,
                        service::WirepasAccessService& wirepas, boost::asio::thread_pool& pool);

}  // namespace stratus::api
