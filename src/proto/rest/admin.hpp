#pragma once
/// @file
/// Fleet administration and audit resources (Stratus, issue 18; docs/api.md "Fleet
/// administration and audit"), all under `/v1/admin/`, super-admins only:
///
/// - `GET /v1/admin/nodes?node_id=` → `FleetNodeDetail`; without `node_id`:
///   `?model&type&fw_version&user&id_prefix&online&start_id&num_records` → `FleetNodePage`.
/// - `DELETE /v1/admin/nodes/mapping?node_id=` → `{status, description, users_removed}`.
/// - `PUT /v1/admin/nodes/primary` `SetPrimaryRequest` → success.
/// - `GET /v1/admin/users?start_id&num_records` → `UserPage` (accounts.hpp).
/// - `PUT /v1/admin/users/status` `UserStatusRequest` → success.
/// - `PUT /v1/admin/users/quota` `UserQuotaRequest` → the user as a `UserSummary`.
/// - `GET /v1/admin/audit?actor&object&action&from&to&start_id&num_records` → `AuditPage`.
/// - `GET /v1/admin/wirepas/credentials` → `{"credentials":[WirepasCredential]}`;
///   `POST` `WirepasCredentialRequest` → 201 `IssuedWirepasCredential`;
///   `DELETE ?name=` → success (docs/adr/0018).
///
/// Request parsers are strict (invalid_argument `invalid_request_body` naming the field);
/// answer parsers tolerant. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// One node of the fleet listing.
struct FleetNode {
  std::string node_id;
  std::string name;
  std::string model;
  std::string type;
  std::string fw_version;
  std::string platform;
  bool online = false;
  std::int64_t connectivity_ms = 0;  ///< last presence change, Unix ms
  std::string primary_user_id;       ///< empty when no user holds it
  std::string primary_user_name;
  std::int64_t user_count = 0;
};

/// `{"nodes":[…],"next_id"?}`.
struct FleetNodePage {
  std::vector<FleetNode> nodes;
  std::string next_id;  ///< empty on the last page
};

/// One audit row: `{"audit_id","actor_kind","actor_id","action","object_kind","object_id",
/// "remote_address","outcome","detail","timestamp"}` (`timestamp` in Unix ms).
struct AuditRecord {
  std::int64_t audit_id = 0;
  std::string actor_kind;
  std::string actor_id;
  std::string action;
  std::string object_kind;
  std::string object_id;
  std::string remote_address;
  std::string outcome;
  std::string detail;
  std::int64_t timestamp_ms = 0;
};

/// `{"records":[…],"next_id"?}`; `next_id` is the audit id that starts the next page.
struct AuditPage {
  std::vector<AuditRecord> records;
  std::string next_id;
};

/// One user of a node: `{"user_id","user_name","role"}`.
struct FleetNodeUser {
  std::string user_id;
  std::string user_name;
  std::string role;
};

/// `{"node":{…FleetNode},"users":[…],"history":[…AuditRecord]}`.
struct FleetNodeDetail {
  FleetNode node;
  std::vector<FleetNodeUser> users;
  std::vector<AuditRecord> history;
};

/// `PUT /v1/admin/nodes/primary {"node_id","user"}` (`user`: a user id or user name).
struct SetPrimaryRequest {
  std::string node_id;
  std::string user;
};

/// `PUT /v1/admin/users/status {"user","disabled"}`.
struct UserStatusRequest {
  std::string user;
  bool disabled = false;
};

/// `PUT /v1/admin/users/quota {"user","node_quota"}`: a whole number 0–1000000 (0 =
/// unlimited) or null (back to the operator's default).
struct UserQuotaRequest {
  std::string user;
  std::optional<std::int64_t> node_quota{};
};

/// The query of `GET /v1/admin/nodes` (list form); empty members are not sent.
struct FleetNodeQuery {
  std::string model;
  std::string type;
  std::string fw_version;
  std::string user;  ///< user id or user name
  std::string id_prefix;
  std::optional<bool> online{};
  std::string start_id;
  int num_records = 0;  ///< 0: the server's default
};

/// The query of `GET /v1/admin/audit`; empty members are not sent.
struct AuditQuery {
  std::string actor;                     ///< actor id (user id or node id)
  std::string object;                    ///< object id
  std::string action;                    ///< exact, or a dotted prefix ("ota" for every "ota.*")
  std::optional<std::int64_t> from_s{};  ///< Unix seconds, inclusive
  std::optional<std::int64_t> to_s{};    ///< Unix seconds, inclusive
  std::string start_id;
  int num_records = 0;
};

/// A Wirepas gateway or operator allowed on the embedded broker (docs/adr/0018):
/// `{"name","role","created_by","created_at"}` (`created_at` in Unix ms).
struct WirepasCredential {
  std::string name;
  std::string role;  ///< "gateway" | "operator"
  std::string created_by;
  std::int64_t created_ms = 0;
};

/// `POST /v1/admin/wirepas/credentials {"role","name"}`.
struct WirepasCredentialRequest {
  std::string role;
  std::string name;
};

/// The answer of that POST: the credential's members plus `"password"` (and `"status"`).
struct IssuedWirepasCredential {
  WirepasCredential credential;
  std::string password;
};

[[nodiscard]] boost::json::object to_json(const FleetNode& node);
[[nodiscard]] boost::json::object to_json(const FleetNodePage& page);
[[nodiscard]] boost::json::object to_json(const AuditRecord& record);
[[nodiscard]] boost::json::object to_json(const AuditPage& page);
[[nodiscard]] boost::json::object to_json(const FleetNodeDetail& detail);
[[nodiscard]] boost::json::object to_json(const SetPrimaryRequest& request);
[[nodiscard]] boost::json::object to_json(const UserStatusRequest& request);
[[nodiscard]] boost::json::object to_json(const UserQuotaRequest& request);
[[nodiscard]] boost::json::object to_json(const WirepasCredential& credential);
[[nodiscard]] boost::json::object to_json(const std::vector<WirepasCredential>& credentials);
[[nodiscard]] boost::json::object to_json(const WirepasCredentialRequest& request);
[[nodiscard]] boost::json::object to_json(const IssuedWirepasCredential& issued);

/// Tolerant answer readers (absent members read as empty).
[[nodiscard]] FleetNode parse_fleet_node(const boost::json::object& answer);
[[nodiscard]] FleetNodePage parse_fleet_node_page(const boost::json::object& answer);
[[nodiscard]] AuditRecord parse_audit_record(const boost::json::object& answer);
[[nodiscard]] AuditPage parse_audit_page(const boost::json::object& answer);
[[nodiscard]] FleetNodeDetail parse_fleet_node_detail(const boost::json::object& answer);
[[nodiscard]] WirepasCredential parse_wirepas_credential(const boost::json::object& answer);
[[nodiscard]] std::vector<WirepasCredential> parse_wirepas_credentials(
    const boost::json::object& answer);
[[nodiscard]] IssuedWirepasCredential parse_issued_wirepas_credential(
    const boost::json::object& answer);

/// Strict request readers. Errors: invalid_argument `invalid_request_body` naming the
/// field (`node_id`/`user` missing or not strings, `disabled` not a boolean or missing,
/// `node_quota` missing, not an integer or null).
[[nodiscard]] Result<SetPrimaryRequest> parse_set_primary_request(const boost::json::object& body);
[[nodiscard]] Result<UserStatusRequest> parse_user_status_request(const boost::json::object& body);
[[nodiscard]] Result<UserQuotaRequest> parse_user_quota_request(const boost::json::object& body);
/// Strict: `role` and `name` non-empty strings (their values are the service's to check).
[[nodiscard]] Result<WirepasCredentialRequest> parse_wirepas_credential_request(
    const boost::json::object& body);

}  // namespace stratus::proto::rest
