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
  auto v = optional_string_fields<2>(body, {"mac_addr", "platform"});
  if (!v)
    return fail(v.error());
  auto& [mac_addr, platform] = *v;
  if (!mac_addr) {
    return fail(missing(claim_error::mac_invalid,
                        "mac_addr is missing (12 hex digits, e.g. 7CDFA100033B)"));
  }
  if (!platform)
    return fail(missing(claim_error::platform_invalid, "platform is missing"));
  return ClaimInitiateRequest{std::move(*mac_addr), std::move(*platform)};
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
  auto v = optional_string_fields<6>(
      body, {"csr", "auth_id", "challenge_response", "node_id", "node_policies", "mac_addr"});
  if (!v)
    return fail(v.error());
  auto& [csr, auth_id, challenge_response, node_id, node_policies, mac_addr] = *v;
  if (!csr)
    return fail(missing(claim_error::csr_missing, "csr is missing"));
  r.csr = std::move(*csr);
  r.auth_id = std::move(auth_id);
  r.challenge_response = std::move(challenge_response);
  r.node_id = std::move(node_id);
  r.node_policies = std::move(node_policies);
  r.mac_addr = std::move(mac_addr);
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
  v.mqtt_port = port_or_zero(a, "mqtt_port");
  v.ca_certificate_pem = string_or(a, "ca_certificate");
  if (v.certificate_pem.empty())
    return fail(errc::internal, "POST /claim/verify: the answer has no certificate");
  return v;
}

}  // namespace stratus::proto::rest
