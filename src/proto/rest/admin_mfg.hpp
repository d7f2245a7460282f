#pragma once
/// @file
/// The REST calls of manufacturing (spec rainmaker.md §7; Espressif's admin CLI
/// `rmaker_admin_lib/node_mfg.py`), for `api` and `client`:
/// - `GET /v1/admin/mqtt_host` → `{"mqtt_host"[,"mqtt_cred_host"]}` (super-admin);
/// - `POST /v1/admin/node_ids {"node_count":N}` → `{"request_id"}`;
/// - `GET /v1/admin/node_ids?request_id=` → `{"status":"in_progress"|"success"|"failure",
///   "url"?,"description"?}`; `url` is fetched without authentication and answers the ids
///   comma-separated on one line (`proto::parse_node_id_list`).
/// The admin CLI reads JSON keys and mostly ignores HTTP statuses. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// `GET /v1/admin/mqtt_host`. `mqtt_cred_host` is empty when the deployment has none
/// (written only when set).
struct AdminMqttHost {
  std::string mqtt_host;
  std::string mqtt_cred_host;
};
/// Writes it in the wire shape above.
[[nodiscard]] boost::json::object to_json(const AdminMqttHost& answer);
/// Reads the answer (tolerant). Errors: internal when `mqtt_host` is missing or empty.
[[nodiscard]] Result<AdminMqttHost> parse_admin_mqtt_host(const boost::json::object& answer);

/// `POST /v1/admin/node_ids` body.
struct NodeIdsRequest {
  std::int64_t node_count = 0;  ///< 1..`limits::kMaxNodeIdsPerRequest`
};
/// Writes `{"node_count":N}`.
[[nodiscard]] boost::json::object to_json(const NodeIdsRequest& request);
/// Reads the body (strict). Errors: `invalid_body` when `node_count` is missing, not an
/// integer, or outside 1..`limits::kMaxNodeIdsPerRequest`.
[[nodiscard]] Result<NodeIdsRequest> parse_node_ids_request(const boost::json::object& body);

/// The answer to `POST /v1/admin/node_ids`: `{"request_id"}`.
struct NodeIdsRequested {
  std::string request_id;
};
/// Writes it in the wire shape above.
[[nodiscard]] boost::json::object to_json(const NodeIdsRequested& answer);
/// Reads the answer (tolerant). Errors: internal when `request_id` is missing or empty
/// (then the server's `status`/`description`, if any, are in the context).
[[nodiscard]] Result<NodeIdsRequested> parse_node_ids_requested(const boost::json::object& answer);

/// The answer to `GET /v1/admin/node_ids?request_id=`.
struct NodeIdsStatus {
  std::string status;       ///< "in_progress", "success" or "failure"
  std::string url;          ///< with "success": where to download the ids
  std::string description;  ///< with "failure": why
};
/// Writes it in the wire shape above (empty members omitted).
[[nodiscard]] boost::json::object to_json(const NodeIdsStatus& answer);
/// Reads the answer (tolerant: absent members read as empty).
[[nodiscard]] NodeIdsStatus parse_node_ids_status(const boost::json::object& answer);

}  // namespace stratus::proto::rest
