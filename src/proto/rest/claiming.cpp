#include "proto/rest/claiming.hpp"

#include <boost/json.hpp>

#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

Error missing(int reason, std::string text) {
  return Error{errc::invalid_argument, std::move(text), reason};
}

}  // namespace

Result<ClaimInitiateRequest> parse_claim_initiate_request(const json::object& body) {
  auto mac_addr = optional_string(body, "mac_addr");
  if (!mac_addr)
    return fail(mac_addr.error());
  auto platform = optional_string(body, "platform");
  if (!platform)
    return fail(platform.error());
  if (!*mac_addr) {
    return fail(missing(claim_error::mac_invalid,
                        "mac_addr is missing (12 hex digits, e.g. 7CDFA100033B)"));
  }
  if (!*platform)
    return fail(missing(claim_error::platform_invalid, "platform is missing"));
  return ClaimInitiateRequest{std::move(**mac_addr), std::move(**platform)};
}

json::object to_json(const ClaimInitiateRequest& r) {
  return json::object{{"mac_addr", r.mac_addr}, {"platform", r.platform}};
}

json::object to_json(const ClaimInitiated& i) {
  if (!i.node_id.empty())
    return json::object{{"node_id", i.node_id}};
  return json::object{{"auth_id", i.auth_id}, {"challenge", i.challenge}};
}

Result<ClaimInitiated> parse_claim_initiated(const json::object& a) {
  ClaimInitiated i{string_or(a, "node_id"), string_or(a, "auth_id"), string_or(a, "challenge")};
  if (i.node_id.empty() && i.auth_id.empty())
    return fail(errc::internal, "POST /claim/initiate: the answer has no node_id");
  return i;
}

Result<ClaimVerifyRequest> parse_claim_verify_request(const json::object& body) {
  ClaimVerifyRequest r;
  auto flag = optional_bool(body, "send_mqtt_host");
  if (!flag)
    return fail(flag.error());
  r.send_mqtt_host = *flag;
  std::optional<std::string> csr;
  for (auto [name, target] : {std::pair{"csr", &csr},
                              {"auth_id", &r.auth_id},
                              {"challenge_response", &r.challenge_response},
                              {"node_id", &r.node_id},
                              {"node_policies", &r.node_policies},
                              {"mac_addr", &r.mac_addr}}) {
    auto value = optional_string(body, name);
    if (!value)
      return fail(value.error());
    *target = std::move(*value);
  }
  if (!csr)
    return fail(missing(claim_error::csr_missing, "csr is missing"));
  r.csr = std::move(*csr);
  return r;
}

json::object to_json(const ClaimVerifyRequest& r) {
  json::object o{{"csr", r.csr}};
  for (auto [name, value] : {std::pair{"node_id", &r.node_id},
                             {"auth_id", &r.auth_id},
                             {"challenge_response", &r.challenge_response},
                             {"node_policies", &r.node_policies},
                             {"mac_addr", &r.mac_addr}}) {
    if (*value)
      o[name] = **value;
  }
  if (r.send_mqtt_host)
    o["send_mqtt_host"] = true;
  return o;
}

json::object to_json(const ClaimVerified& v) {
  json::object o{{"certificate", v.certificate_pem}};
  if (!v.mqtt_host.empty())
    o["mqtt_host"] = v.mqtt_host;
  if (v.mqtt_port != 0)
    o["mqtt_port"] = v.mqtt_port;
  if (!v.ca_certificate_pem.empty())
    o["ca_certificate"] = v.ca_certificate_pem;
  return o;
}

Result<ClaimVerified> parse_claim_verified(const json::object& a) {
  ClaimVerified v;
  v.certificate_pem = string_or(a, "certificate");
  v.mqtt_host = string_or(a, "mqtt_host");
  const auto port = int_or(a, "mqtt_port");
  if (port > 0 && port <= 65535)
    v.mqtt_port = static_cast<std::uint16_t>(port);
  v.ca_certificate_pem = string_or(a, "ca_certificate");
  if (v.certificate_pem.empty())
    return fail(errc::internal, "POST /claim/verify: the answer has no certificate");
  return v;
}

}  // namespace stratus::proto::rest
