#pragma once
/// @file
/// Manufacturing and revocation (issue 18; spec rainmaker.md §7; docs/adr/0014; docs/api.md
/// "Manufacturing and revocation"). The shapes Espressif's admin CLI reads
/// (`rmaker_admin_lib/node_mfg.py`, `deployment.py`): `{"request_id"}`, `{"status","url"}`,
/// `{"url","request_id"}`, `{"status","request_id"}`, `{"status","description"}`,
/// `{"mqtt_host","mqtt_cred_host"}`, `{"pre_requisite_details":{…}}`, node groups as a bare
/// array of `{"group_id","group_name","parent_group_id"?}`; and the Stratus routes for CAs
/// and revocation. Requests are read strictly (a wrong type is `invalid_request_body`);
/// answers tolerantly. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// The body of `POST v1/admin/node_certificates/register` as the admin CLI sends it
/// (`file_name, file_md5, refresh_token, group_name, type, model, parent_group_id,
/// parent_group_name, subtype, tags, force, update_nodes, request_id, node_policies`).
/// JSON `null` counts as absent (the CLI sends `null` for options not given).
struct CertificateRegistration {
  std::string request_id;
  std::string file_name;
  std::string file_md5;
  std::string group_name;
  std::string parent_group_name;
  std::string type, model, subtype;
  std::string tags;  ///< "k:v,k2:v2"
  bool force = false;
  bool update_nodes = false;
};
/// Errors: `invalid_body` naming a member of the wrong type (`force`/`update_nodes` must
/// be booleans; the others strings; `tags` may also be an array of strings, joined).
[[nodiscard]] Result<CertificateRegistration> parse_certificate_registration(
    const boost::json::object& body);
[[nodiscard]] boost::json::object to_json(const CertificateRegistration& registration);

/// `GET v1/admin/node_certificates/register?request_id=` → `{"status","description",
/// "total","registered","failed"}` (the last three are Stratus additions).
struct RegistrationStatusAnswer {
  std::string status;  ///< awaiting_upload | uploaded | queued | in_progress | success |
                       ///< partial_success | failure
  std::string description;
  std::int64_t total = 0, registered = 0, failed = 0;
};
[[nodiscard]] boost::json::object to_json(const RegistrationStatusAnswer& status);
[[nodiscard]] RegistrationStatusAnswer parse_registration_status(const boost::json::object& o);

/// `GET v1/admin/node_certificates/register?file_name=` → `{"url","request_id"}`.
struct UploadUrlAnswer {
  std::string url;
  std::string request_id;
};
[[nodiscard]] boost::json::object to_json(const UploadUrlAnswer& answer);
/// Errors: internal when `url` is missing.
[[nodiscard]] Result<UploadUrlAnswer> parse_upload_url(const boost::json::object& o);

/// `POST v1/admin/cacert` `{"certificate":"<PEM>"}` → this (Stratus).
struct CaCertificateAnswer {
  std::string fingerprint;  ///< SHA-256 of the DER, lower-case hex
  std::string subject;
  std::int64_t not_after = 0;  ///< Unix seconds
  std::int64_t added_at = 0;   ///< Unix seconds
};
[[nodiscard]] boost::json::object to_json(const CaCertificateAnswer& ca);
[[nodiscard]] CaCertificateAnswer parse_ca_certificate(const boost::json::object& o);

/// One entry of `GET v1/admin/nodes/revoked` (Stratus).
struct RevokedCertificateEntry {
  std::string node_id;
  std::string serial;           ///< lower-case hex
  std::string fingerprint;      ///< SHA-256 of the DER, lower-case hex
  std::string method;           ///< how it was obtained: assisted | self | manufactured
  std::int64_t revoked_at = 0;  ///< Unix seconds
  std::string reason;
};
[[nodiscard]] boost::json::object to_json(const RevokedCertificateEntry& entry);
[[nodiscard]] RevokedCertificateEntry parse_revoked_certificate(const boost::json::object& o);

/// `{"revoked":[…],"next_start"?}` — `next_start` is the `start` of the next page.
struct RevokedPage {
  std::vector<RevokedCertificateEntry> revoked;
  std::optional<std::int64_t> next_start;
};
[[nodiscard]] boost::json::object to_json(const RevokedPage& page);
[[nodiscard]] RevokedPage parse_revoked_page(const boost::json::object& o);

/// `POST v1/admin/nodes/revoke` `{"node_id","reason"?}` and
/// `POST v1/admin/nodes/allow_reclaim` `{"node_id"}` (Stratus).
struct NodeRevocationRequest {
  std::string node_id;
  std::string reason;
};
/// Errors: `invalid_body` for a member that is not a string.
[[nodiscard]] Result<NodeRevocationRequest> parse_node_revocation(const boost::json::object& body);
[[nodiscard]] boost::json::object to_json(const NodeRevocationRequest& request);

}  // namespace stratus::proto::rest
