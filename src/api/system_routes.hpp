#pragma once
/// @file
/// Unversioned RainMaker routes a client calls before anything else
/// (spec rainmaker.md §4.1, §6.4): `GET /apiversions` and `GET /mqtt_host`.

#include <cstdint>
#include <string>
#include <string_view>

#include "http/router.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::service {
class CaRevocationList;
}  // namespace stratus::service

namespace stratus::api {

/// Where stratusd serves the Stratus CA's revocation list; `claiming.crl_url` names it
/// as the outside world reaches it (docs/adr/0037).
inline constexpr std::string_view kCaRevocationListPath = "/crl/stratus-ca.crl";

/// Adds `GET /apiversions` → `{"supported_versions":["v1"],"current_version":"v1"}`
/// (the CLI refreshes tokens only after seeing "v1" here) and `GET /mqtt_host` →
/// `{"mqtt_host":"<mqtt_host>","mqtt_port":<mqtt_port>}`. The firmware and the
/// RainMaker CLI read only `mqtt_host` (spec §6.4); `mqtt_port`, the node MQTT
/// port the broker actually bound, is a Stratus extra so that host tools
/// (`stratus claim`, `stratus-node`) connect without more configuration. It is
/// left out when 0 (external broker: the port is not known).
/// Thread-safe handlers; no state beyond the two values.
void add_system_routes(http::Router& router, std::string mqtt_host, std::uint16_t mqtt_port = 0);

/// Adds `GET /crl/stratus-ca.crl` (`kCaRevocationListPath`), unauthenticated as CRLs
/// are (RFC 5280 §5): 200 with the DER list of `crl` (`CaRevocationList::current`, which
/// keeps serving the last list while a new one cannot be built), `Content-Type:
/// application/pkix-crl` (RFC 2585), `Cache-Control: max-age=5` (the list is reused that
/// long); without a list, the RainMaker error shape with 503 (database unavailable) or
/// 500 (signing failed). Runs on `pool` (it may read and sign). `crl` and `pool` must
/// outlive the router.
void add_ca_revocation_list_route(http::Router& router, service::CaRevocationList& crl,
                                  boost::asio::thread_pool& pool);

}  // namespace stratus::api
