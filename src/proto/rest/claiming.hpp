#pragma once
/// @file
/// The claiming resources (spec rainmaker.md §6.1, §6.3): `POST /claim/initiate` and
/// `POST /claim/verify`, for user claiming (with a token) and self claiming (without).
/// Conventions as accounts.hpp. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// `{"mac_addr","platform"}`. Errors: `invalid_body` for a non-string member;
/// invalid_argument `claim_error::mac_invalid` / `platform_invalid` when missing.
struct ClaimInitiateRequest {
  std::string mac_addr;
  std::string platform;
};
/// Reads a request body (strict; errors as the file comment says). Pure; thread-safe.
[[nodiscard]] Result<ClaimInitiateRequest> parse_claim_initiate_request(
    const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const ClaimInitiateRequest& request);

/// The answer to initiate: user claiming `{"node_id"}`, self claiming
/// `{"auth_id","challenge"}`.
struct ClaimInitiated {
  std::string node_id;    ///< user claiming
  std::string auth_id;    ///< self claiming
  std::string challenge;  ///< self claiming
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const ClaimInitiated& initiated);
/// Errors: internal when neither `node_id` nor `auth_id` is present.
[[nodiscard]] Result<ClaimInitiated> parse_claim_initiated(const boost::json::object& answer);

/// `{"csr", "node_id"?, "auth_id"?, "challenge_response"?, "node_policies"?,
/// "mac_addr"?, "send_mqtt_host"?}`. Errors: `invalid_body` for a member of the wrong
/// type (`send_mqtt_host` must be a boolean); invalid_argument
/// `claim_error::csr_missing` without `csr`.
struct ClaimVerifyRequest {
  std::string csr;  ///< PEM
  std::optional<std::string> node_id;
  std::optional<std::string> auth_id;
  std::optional<std::string> challenge_response;
  std::optional<std::string> node_policies;
  std::optional<std::string> mac_addr;
  bool send_mqtt_host = false;
};
/// Reads a request body (strict; errors as the file comment says). Pure; thread-safe.
[[nodiscard]] Result<ClaimVerifyRequest> parse_claim_verify_request(
    const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const ClaimVerifyRequest& request);

/// The answer to verify: `{"certificate","mqtt_host"?,"mqtt_port"?,"ca_certificate"?}`
/// (Stratus adds the port and its CA; empty/0 = absent).
struct ClaimVerified {
  std::string certificate_pem;  ///< JSON `certificate`
  std::string mqtt_host;
  std::uint16_t mqtt_port = 0;
  std::string ca_certificate_pem;  ///< JSON `ca_certificate`
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const ClaimVerified& verified);
/// Errors: internal when `certificate` is missing.
[[nodiscard]] Result<ClaimVerified> parse_claim_verified(const boost::json::object& answer);

}  // namespace stratus::proto::rest
