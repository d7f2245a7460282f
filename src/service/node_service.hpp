#pragma once
/// @file
/// Node use cases behind the RainMaker REST API (spec rainmaker.md §4.3–4.5,
/// §9): listing and reading a user's nodes, setting params (validated against
/// the node config; kept as desired state while the node is offline), and the
/// REST side of user-node mapping.
///
/// Authorization: every call checks the caller's relation to the node; a node
/// of another user fails exactly like an unknown node (errc::not_found).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "proto/rest/error_codes.hpp"
#include "service/account_service.hpp"
#include "service/audit.hpp"
#include "service/events.hpp"
#include "service/node_mapping.hpp"
#include "service/node_messenger.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// The outcome of one node's set in a batch.
struct SetOutcome {
  std::string node_id;
  bool queued = false;      ///< node offline: kept and sent when it next comes online
  std::string description;  ///< what happened, on success
  /// The failure, when the set was refused: not_found (`node_error::node_not_found`,
  /// `no_config`), invalid_argument (`node_error::invalid_params`) or unavailable
  /// (`http_error::server_busy`); the text is in `context`.
  std::optional<Error> error;

  /// Whether the set was sent or queued.
  [[nodiscard]] bool success() const noexcept { return !error; }
};

/// Thread-safe; calls block (database). Call from the blocking pool.
class NodeService {
 public:
  /// Mapping changes made here (a confirmed request, a removal) are published to
  /// `events` as `mapping` events, one per user whose access changed.
  /// Sets (`node.params.set`, one entry per node with the payload as detail) and mapping
  /// changes (`node.mapping.add`, `node.mapping.remove`) are recorded in `audit`.
  /// `default_node_quota` (`accounts.default_node_quota`, 0 = unlimited) bounds the nodes
  /// a user may become primary user of by mapping (service/node_quota.hpp).
  NodeService(storage::NodeRepository& repository, NodeMessenger& messenger, EventPublisher& events,
              const Clock& clock, std::chrono::seconds mapping_timeout, AuditLog& audit,
              std::int64_t default_node_quota = 0);

  /// `GET /v1/user/nodes/alerts`: the node's alerts, newest first. Errors: not_found
  /// `node_error::node_not_found` for an unknown node or one the caller cannot see;
  /// unavailable when storage fails.
  Result<std::vector<storage::AlertRecord>> alerts(const Principal& who,
                                                   const storage::AlertQuery& query);

  /// A page of the caller's nodes (`limit` 1–100).
  Result<storage::UserNodePage> list(const Principal& who, std::string_view start_node_id,
                                     std::size_t limit, std::string_view only_node_id);
  /// One of the caller's nodes.
  Result<storage::UserNode> get(const Principal& who, std::string_view node_id);

  /// Validates and sends (or queues) each set; never fails as a whole. A set for an
  /// offline node is kept in the caller's name and delivered only if the caller still
  /// has access to the node when it next shows it is subscribed.
  std::vector<SetOutcome> set_params(
      const Principal& who, const std::vector<std::pair<std::string, boost::json::object>>& sets);

  /// `PUT /v1/user/nodes?node_id=` (spec §9.6): adds `tags` ("key:value"
  /// strings; duplicates ignored) and applies a metadata patch: JSON null
  /// deletes all metadata, `{}` changes nothing, `{"k":null}` deletes a key,
  /// objects merge recursively, arrays and scalars overwrite. Only the primary
  /// user may change them (errc::forbidden `request_error::not_authorized`). Errors:
  /// invalid_argument `request_error::invalid_request_body` for a malformed tag or a result over 64
  /// tags / 16 KiB of metadata.
  Result<void> update_tags_metadata(const Principal& who, std::string_view node_id,
                                    const std::vector<std::string>& add_tags,
                                    const boost::json::value* metadata_patch);
  /// `DELETE /v1/user/nodes?node_id=` with `{"tags":[…]}`: removes those tags.
  Result<void> remove_tags(const Principal& who, std::string_view node_id,
                           const std::vector<std::string>& tags);

  /// Marks every node recorded as connected disconnected now: the broker lost all its
  /// sessions (it restarted, or stratusd is starting it). A node with a newer presence
  /// change keeps it (it reconnected meanwhile). Returns how many changed. Errors:
  /// unavailable.
  Result<std::int64_t> mark_all_disconnected();

  /// `PUT /v1/user/nodes/mapping` operation add: returns the request id. Errors: forbidden
  /// `admin_error::node_quota_reached` when the caller holds its node quota.
  Result<std::string> request_mapping(const Principal& who, std::string_view node_id,
                                      std::string_view secret_key);
  /// `PUT /v1/user/nodes/mapping` operation remove: the caller's relation to the node
  /// goes, and with it (same transaction) the caller's queued sets for the node and
  /// their pending command requests for it (`cancelled`, with the reason). A primary or
  /// secondary user may remove itself; when the last primary user goes, every user of the
  /// node goes with it. Errors: not_found `node_error::node_not_found` when the node is
  /// unknown or not the caller's; conflict `sharing_error::group_derived` when the
  /// caller's access comes from a shared group (leave the group share instead).
  Result<void> remove_mapping(const Principal& who, std::string_view node_id);
  /// `GET /v1/user/nodes/mapping?request_id=`: requested | confirmed | timedout | discarded.
  Result<std::string> mapping_status(const Principal& who, std::string_view request_id);

 private:
  Result<std::string> request_mapping_unaudited(const Principal& who, std::string_view node_id,
                                                std::string_view secret_key);
  Result<void> remove_mapping_unaudited(const Principal& who, std::string_view node_id);
  SetOutcome set_one(const Principal& who, const std::string& node_id,
                     const boost::json::object& payload);
  Result<void> edit_tags_metadata(
      const Principal& who, std::string_view node_id,
      const std::function<Result<void>(boost::json::array&, boost::json::value&)>& edit);

  storage::NodeRepository& repository_;
  NodeMessenger& messenger_;
  EventPublisher& events_;
  const Clock& clock_;
  AuditLog& audit_;
  MappingMatcher matcher_;
  std::chrono::seconds mapping_timeout_;
};

}  // namespace stratus::service
