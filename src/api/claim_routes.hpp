#pragma once
/// @file
/// The claiming API (spec rainmaker.md §6; Espressif's "Claiming Service"
/// OpenAPI): `POST /claim/initiate` and `POST /claim/verify`, unversioned, at
/// the paths the firmware (`<claim base URL>/claim/initiate`) and the CLI
/// (`<claim base>claim/initiate`) call.

#include <cstdint>
#include <string>

#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/claim_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// What Stratus adds to a successful `POST /claim/verify` answer so that a
/// host-claimed node can connect without more configuration. Real clients ignore
/// unknown keys.
struct ClaimAnswerExtras {
  /// PEM of the CA that signs node and server certificates; sent as
  /// `"ca_certificate"` when not empty.
  std::string ca_certificate_pem;
  /// The node MQTT port the broker bound; sent as `"mqtt_port"` when not 0.
  std::uint16_t mqtt_port = 0;
};

/// Adds the claiming routes. A request with an `Authorization` token (raw JWT
/// or `Bearer`) is user claiming (assisted or host-driven) and a bad token is
/// refused with 401; without one it is self claiming.
///
/// - `POST /claim/initiate` `{"mac_addr":"7CDFA100033B","platform":"esp32s3"}`
///   → 200 `{"node_id":"…"}` (user) or `{"auth_id":"…","challenge":"…"}` (self).
/// - `POST /claim/verify[?matter=false]`
///   user: `{"csr":"<PEM>"[,"send_mqtt_host":true][,"node_policies":"…"]
///   [,"mac_addr":"…"][,"node_id":"…"]}`; self: `{"auth_id","challenge_response",
///   "csr"[,"send_mqtt_host"]}` → 200 `{"certificate":"<PEM>"[,"mqtt_host":"…"]
///   [,"ca_certificate":"<PEM>"][,"mqtt_port":8883]}` (the last two from `extras`).
///   `send_mqtt_host`, `node_policies` and `mac_addr` are accepted and ignored
///   (mqtt_host is always sent when configured); `node_id` must equal the CSR's
///   CN; `matter=true` is refused (`claim_error::matter_unsupported`).
///
/// Failures use the RainMaker shape with the codes of proto/rest/error_codes.hpp (`claim_error`),
/// `request_error::invalid_request_body` for a body that is not a JSON object or has a field of the
/// wrong type, and the account codes for token problems. Handlers run on `pool`; `claims`,
/// `accounts` and `pool` must outlive the router.
void add_claim_routes(http::Router& router, service::ClaimService& claims,
                      service::AccountService& accounts, boost::asio::thread_pool& pool,
                      ClaimAnswerExtras extras = {});

}  // namespace stratus::api
