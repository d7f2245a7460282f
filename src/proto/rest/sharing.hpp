#pragma once
/// @file
/// Node sharing and group sharing (spec rainmaker.md §4.3 rows `sharing` and `group
/// sharing`, §9.4–9.5; rainmaker-cloud.md §1 and §2.6; docs/adr/0009):
/// `v1/user/nodes/sharing[/requests]` and `v1/user/node_group/sharing[/requests]`.
/// The two families have the same shapes apart from their names (`nodes`/`groups`,
/// `node_ids`/`group_ids`, `node_sharing`/`group_sharing`), so one DTO serves both,
/// told apart by `SharingKind`.
///
/// The real RainMaker CLI (1.13.0, docs/research/rainmaker-cli-sharing-and-groups.md)
/// reads every sharing answer as JSON whatever the HTTP status and judges it by
/// `status`; a failure must carry `error_code` and `description`. Conventions as
/// accounts.hpp: strict `parse_*_request` for the server (type errors are
/// `invalid_body`; ranges and rules are the service's, with their own codes), tolerant
/// `parse_*` for the client. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// What is shared: nodes (`user/nodes/sharing`) or groups (`user/node_group/sharing`).
enum class SharingKind { node, group };

/// `PUT v1/user/nodes/sharing` `{"nodes":[…],"user_name","sub_role"?,"primary"?,
/// "transfer"?,"new_role"?,"metadata"?}` (`node_ids` accepted for `nodes`), or the
/// group form with `groups`.
struct ShareRequest {
  std::vector<std::string> ids;  ///< node ids or group ids
  std::string user_name;         ///< the recipient; empty = missing
  bool primary = false;          ///< the recipient becomes a primary user
  int sub_role = 0;              ///< 0 = not given; the service accepts 1–4
  bool transfer = false;         ///< the caller's primary role moves to the recipient
  std::string new_role;          ///< with `transfer`: what the caller keeps ("" = nothing)
  std::string metadata_json;     ///< free object shown to the recipient; empty = none
};
/// Errors: `invalid_body` for an id list that is not an array of strings, a flag that is
/// not a boolean, `sub_role` that is not an integer (0–255), `new_role` or `user_name`
/// that is not a string, `metadata` that is not an object.
[[nodiscard]] Result<ShareRequest> parse_share_request(const boost::json::object& body,
                                                       SharingKind kind);
/// Writes it in the wire shape above (only the optional keys that are set).
[[nodiscard]] boost::json::object to_json(const ShareRequest& request, SharingKind kind);

/// The answer to a share: `{"status":"success","description","request_id"}`.
struct ShareCreated {
  std::string request_id;
  std::string description;
  bool applied = false;  ///< the recipient already had access: applied at once
};
/// Writes it in the wire shape above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const ShareCreated& created);
/// Errors: internal when `request_id` is missing.
[[nodiscard]] Result<ShareCreated> parse_share_created(const boost::json::object& answer);

/// `PUT …/sharing/requests` `{"accept":bool,"request_id"}` (legacy `confirm_sharing`
/// in place of `accept`).
struct SharingAnswer {
  std::optional<bool> accept;  ///< nullopt when neither key is there (the service's error)
  std::string request_id;      ///< empty = missing
};
/// Errors: `invalid_body` when `accept`/`confirm_sharing` is not a boolean or
/// `request_id` not a string.
[[nodiscard]] Result<SharingAnswer> parse_sharing_answer(const boost::json::object& body);
/// Writes `{"accept","request_id"}` (the key order the CLI uses). Precondition: `accept`.
[[nodiscard]] boost::json::object to_json(const SharingAnswer& answer);

/// Who has access to one node or group: user names by role. `secondary` is filled only
/// for a primary caller (a secondary never sees other secondaries).
struct SharingUsers {
  std::string id;  ///< node id or group id
  std::vector<std::string> primary;
  std::vector<std::string> secondary;
};
/// `{"node_sharing":[{"node_id","users":{"primary":[…],"secondary":[…]}}]}` or
/// `{"group_sharing":[{"group_id","users":{…}}]}`.
[[nodiscard]] boost::json::object sharing_users_json(const std::vector<SharingUsers>& entries,
                                                     SharingKind kind);
/// Reads that answer (entries without an id are skipped).
[[nodiscard]] std::vector<SharingUsers> parse_sharing_users(const boost::json::object& answer,
                                                            SharingKind kind);

/// One entry of `GET …/sharing/requests`.
struct SharingRequestInfo {
  std::string request_id;
  std::string status;            ///< "pending" | "accepted" | "declined" | "cancelled" | "expired"
  std::int64_t timestamp_s = 0;  ///< JSON `request_timestamp`, seconds since the epoch
  std::vector<std::string> ids;  ///< `node_ids` or `group_ids`
  std::vector<std::string> group_names;  ///< groups only, in the order of `ids`
  std::string user_name;                 ///< the recipient
  std::string primary_user_name;         ///< the sender
  std::string user_role;                 ///< what the recipient gets: "primary" | "secondary"
  int sub_role = 0;
  bool transfer = false;
  std::string new_role;
  std::string metadata_json;  ///< empty = none
};
/// A page of requests; `next_request_id` empty on the last page (then neither `next_*`
/// key is written).
struct SharingRequestPage {
  std::vector<SharingRequestInfo> requests;
  std::string next_request_id;
  std::string next_user_name;
};
/// `{"sharing_requests":[{request_id, request_status, request_timestamp, node_ids |
/// group_ids (+group_names), user_name, primary_user_name, user_role, sub_role, transfer,
/// new_role?, metadata?}], "next_request_id"?, "next_user_name"?}`. Both user names are
/// always written: the CLI reads `user_name` in the sender's view and
/// `primary_user_name` in the recipient's.
[[nodiscard]] boost::json::object to_json(const SharingRequestPage& page, SharingKind kind);
/// `to_json(page, kind)` serialized (the CLI's `--json` without a JSON library of its own).
[[nodiscard]] std::string json_text(const SharingRequestPage& page, SharingKind kind);
/// Reads that answer (tolerant).
[[nodiscard]] SharingRequestPage parse_sharing_request_page(const boost::json::object& answer,
                                                            SharingKind kind);

}  // namespace stratus::proto::rest
