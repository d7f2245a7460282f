#pragma once
/// @file
/// Storage port for nodes: reported state (config, params, presence, alerts),
/// desired state for offline nodes, user↔node access, and mapping requests.
/// JSON documents travel as text; the service layer parses and merges them.
/// Times: `_ms` Unix milliseconds, `_at` Unix seconds.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "storage/time_series_repository.hpp"

namespace stratus::storage {

/// Fields indexed out of a node config for listings and OTA targeting.
struct NodeInfoIndex {
  std::string name, type, model, fw_version, platform;
  bool cmd_resp = false;
  /// Params with the `time_series` property: a JSON object text
  /// `{"<Device>.<Param>":"<data_type>"}` (docs/adr/0011).
  std::string time_series_params = "{}";
};

/// A node as stored.
struct NodeRecord {
  std::string node_id;
  std::optional<std::string> config;  ///< verbatim JSON
  NodeInfoIndex info;
  std::optional<std::string> params;  ///< reported state JSON
  std::int64_t params_ms = 0;
  bool connected = false;
  std::int64_t connectivity_ms = 0;
  std::string tags = "[]";
  std::string metadata = "{}";
};

/// A node together with the caller's relation to it.
struct UserNode {
  NodeRecord node;
  std::string role;  ///< "primary" | "secondary"
  int sub_role = 0;
  std::int64_t mapped_at = 0;  ///< when the relation began (a group share: when accepted)
  bool direct = true;          ///< false: the access is derived from a shared group only
};

/// One page of a user's nodes.
struct UserNodePage {
  std::vector<UserNode> nodes;
  std::string next_node_id;  ///< empty on the last page
  std::int64_t total = 0;
};

/// How many nodes a user holds as primary user, and its own quota (fleet administration,
/// issue 18): nullopt = the operator's default applies, 0 = unlimited.
struct NodeSlots {
  std::int64_t primary_nodes = 0;
  std::optional<std::int64_t> quota{};
};

/// Which nodes `NodeRepository::list_fleet_nodes` returns; every non-empty filter must match.
struct FleetNodeFilter {
  std::string model;       ///< exact
  std::string type;        ///< exact
  std::string fw_version;  ///< exact
  std::string user_id;     ///< the user has a direct relation (primary or secondary)
  std::string id_prefix;   ///< node id starts with it (case-sensitive)
  std::optional<bool> online{};
};

/// A node as an admin's fleet listing shows it.
struct FleetNode {
  std::string node_id;
  std::string name;
  std::string model;
  std::string type;
  std::string fw_version;
  std::string platform;
  bool online = false;
  std::int64_t connectivity_ms = 0;  ///< last presence change (Unix ms)
  std::string primary_user_id;       ///< the lowest primary user id; empty when unmapped
  std::string primary_user_name;
  std::int64_t user_count = 0;  ///< users with a direct relation
};

/// A user-node mapping request (spec rainmaker.md §4.5).
struct MappingRequest {
  std::string request_id, user_id, node_id, secret_key;
  std::string status;  ///< requested | confirmed | timedout | discarded
  std::int64_t created_at = 0, expires_at = 0;
};

/// A stored alert (`node/<id>/alert`, spec rainmaker.md §1.3).
struct AlertRecord {
  std::int64_t id = 0;
  std::string node_id;
  std::string payload;  ///< the JSON object as the node sent it
  std::int64_t received_ms = 0;
};

/// Which alerts of one node to read, newest first.
struct AlertQuery {
  std::string node_id;
  std::int64_t start_ms = 0;           ///< inclusive
  std::int64_t end_ms = INT64_MAX;     ///< exclusive
  std::int64_t before_id = INT64_MAX;  ///< paging: only ids below this
  std::size_t limit = 10;              ///< ≥ 1
};

/// One user's sets waiting for an offline node (merged into one document).
struct DesiredSet {
  std::string user_id;
  std::string params;  ///< JSON object text {device:{param:value}}
  std::int64_t updated_ms = 0;
  /// Whether `user_id` still has a relation (primary or secondary) to the node when
  /// read and is not disabled: queued work is delivered only for users who still have
  /// access.
  bool has_access = false;
};

/// What removing users from a node discarded with them (same transaction).
struct AccessRemoved {
  std::int64_t users = 0;               ///< user_nodes rows removed
  std::int64_t desired_discarded = 0;   ///< queued-set documents dropped
  std::int64_t commands_cancelled = 0;  ///< pending command requests now `cancelled`
};

/// What the ingest writer reads of one node at the start of a batch.
struct NodeBatchRow {
  std::string node_id;
  std::optional<std::string> params;  ///< the reported params document, if any
  std::string time_series_params;     ///< as `NodeWriter::time_series_params`
  /// The row's version: PostgreSQL's `xmin` as text, which every write of the row (any
  /// column, by any instance) changes. Empty where the backend keeps none (SQLite) or
  /// for a row created in this transaction.
  std::string version;
};

/// One node's params document to store (`NodeWriter::put_params_many`).
struct ParamsWrite {
  std::string node_id;
  std::string json;
  std::int64_t ms = 0;
  /// When not empty, the row is written only if its version (`NodeBatchRow::version`)
  /// is still this one: the ingest writer's cache of the rows it wrote last (issue 23
  /// item 4; docs/adr/0030).
  std::string expected_version;
};

/// A row `NodeWriter::put_params_many` wrote, and its version after the write (empty
/// where the backend keeps none).
struct ParamsWritten {
  std::string node_id;
  std::string version;
};

/// The one version the rows of `written` share, when `written` names `expected` rows (one
/// per write) and all of them carry the same non-empty version: one `put_params_many`
/// statement wrote them in one transaction, and the version is that transaction's
/// (ADR 0030). nullopt otherwise (a row missing from the answer, a backend that keeps no
/// version, mixed versions): the caller then keeps none of the rows. The view points into
/// `written`. Pure; thread-safe.
std::optional<std::string_view> common_version(std::span<const ParamsWritten> written,
                                               std::size_t expected);

/// Writes inside one transaction (see `NodeRepository::write`). Valid only
/// during the callback. Every method may fail with errc::unavailable.
class NodeWriter {
 public:
  virtual ~NodeWriter() = default;
  /// The ingest writer's batch (issue 23 item 4): `ensure_node` for each of `node_ids`.
  /// The default calls it one by one; the SQL repository runs one statement (on
  /// PostgreSQL a statement is a network round trip; on SQLite 1 000 of them cost more
  /// than one over `json_each`, issue 24).
  virtual Result<void> ensure_nodes(std::span<const std::string> node_ids, std::int64_t now_at);
  /// The params and time-series params of each of `node_ids` that exists, in no
  /// particular order. The default calls `params` and `time_series_params` per node;
  /// the SQL repository runs one statement.
  virtual Result<std::vector<NodeBatchRow>> read_batch(std::span<const std::string> node_ids);
  /// The start of the ingest writer's batch: `ensure_nodes(node_ids, now_at)`, then one
  /// row per node of `node_ids` (distinct) as `read_batch` reads it; a node created here
  /// has no params and time-series params "{}". Order unspecified. The default does
  /// exactly that; the SQL repository reads first and inserts only the nodes it did not
  /// find, so a batch of known nodes costs one statement instead of two, and no conflict
  /// check per node (on PostgreSQL that check was 8 % of the server's CPU during
  /// `bench/run ingest --database postgres --instances 2`).
  virtual Result<std::vector<NodeBatchRow>> ensure_and_read(std::span<const std::string> node_ids,
                                                            std::int64_t now_at);
  /// `put_params` for each of `writes` (node ids distinct) whose row exists and, for a
  /// write with an `expected_version`, still has that version; returns one entry per row
  /// written, in no particular order: a write missing from the answer changed nothing.
  /// The default calls `put_params` one by one and answers every write, without versions
  /// (it ignores `expected_version`, which only a backend with versions hands out); the
  /// SQL repository runs one statement (on SQLite for two or more writes).
  virtual Result<std::vector<ParamsWritten>> put_params_many(std::span<const ParamsWrite> writes);
  /// Which of `node_ids` may have desired state waiting (`take_desired` finds nothing for
  /// the others). The default answers all of them; the SQL repository asks in one
  /// statement on both engines.
  virtual Result<std::vector<std::string>> with_desired(std::span<const std::string> node_ids);
  /// Creates the node row if missing (nodes appear when they first talk).
  virtual Result<void> ensure_node(std::string_view node_id, std::int64_t now_at) = 0;
  virtual Result<std::optional<std::string>> params(std::string_view node_id) = 0;
  virtual Result<void> put_params(std::string_view node_id, std::string_view json,
                                  std::int64_t ms) = 0;
  virtual Result<void> put_config(std::string_view node_id, std::string_view json,
                                  const NodeInfoIndex& info, std::int64_t at) = 0;
  /// Applies a presence change unless a newer one is stored (events may be
  /// reordered across reconnects). Returns true if it changed the state.
  virtual Result<bool> set_connectivity(std::string_view node_id, bool connected,
                                        std::int64_t ms) = 0;
  /// The node's `time_series` params as indexed from its config (`NodeInfoIndex`),
  /// "{}" when none or the node is unknown.
  virtual Result<std::string> time_series_params(std::string_view node_id) = 0;
  /// Stores the time-series points of each node of `nodes`: a point replaces a stored
  /// one of the same node, param and second (the later write wins), and the quarter-hour
  /// rollups of the numeric points' buckets follow (docs/adr/0011). The SQL repository
  /// writes the points of all nodes in a few multi-row statements (issue 24).
  virtual Result<void> add_points(std::span<const NodePoints> nodes) = 0;
  /// Stores an alert (its JSON object text, received at `ms`); returns its id, which
  /// grows with every alert.
  virtual Result<std::int64_t> add_alert(std::string_view node_id, std::string_view payload,
                                         std::int64_t ms) = 0;
  /// Marks every connected node disconnected at `ms` (the broker lost all
  /// sessions), except nodes with a newer presence change. Returns how many.
  virtual Result<std::int64_t> disconnect_all(std::int64_t ms) = 0;
  /// The node's tags (a JSON array text) and metadata (a JSON object text).
  virtual Result<std::pair<std::string, std::string>> tags_and_metadata(
      std::string_view node_id) = 0;
  virtual Result<void> put_tags_and_metadata(std::string_view node_id, std::string_view tags,
                                             std::string_view metadata) = 0;
  /// `user_id`'s queued sets for the node (a JSON object text), nullopt when none.
  virtual Result<std::optional<std::string>> desired(std::string_view node_id,
                                                     std::string_view user_id) = 0;
  /// Replaces `user_id`'s queued sets for the node.
  virtual Result<void> put_desired(std::string_view node_id, std::string_view user_id,
                                   std::string_view json, std::int64_t ms) = 0;
  /// Removes and returns every user's queued sets for the node, oldest update first,
  /// each with whether its user still has access (the caller delivers only those).
  virtual Result<std::vector<DesiredSet>> take_desired(std::string_view node_id) = 0;
  virtual Result<void> add_user(std::string_view user_id, std::string_view node_id,
                                std::string_view role, std::int64_t at) = 0;
  /// Removes `user_id`'s relation to the node and, with it, the user's queued sets for
  /// it and their pending command requests for it (marked `cancelled` at `ms` with
  /// `reason` as the status description). Issue 13: a former user reaches nothing.
  virtual Result<AccessRemoved> remove_user(std::string_view user_id, std::string_view node_id,
                                            std::string_view reason, std::int64_t ms) = 0;
  /// `remove_user` for every user of the node (a node reset). The node's time-series
  /// data goes with them (rainmaker-cloud.md §4.3); so it does when `remove_user`
  /// removes the node's last direct user.
  virtual Result<AccessRemoved> remove_all_users(std::string_view node_id, std::string_view reason,
                                                 std::int64_t ms) = 0;
  /// The node's users and their roles ("primary" | "secondary"), by user id.
  virtual Result<std::vector<std::pair<std::string, std::string>>> users_of(
      std::string_view node_id) = 0;
  /// Whether `user_id` exists and is not disabled (as `AccessStore::user_active`, inside
  /// this write transaction): what the writer does for a user later checks it.
  virtual Result<bool> user_active(std::string_view user_id) = 0;
  virtual Result<void> put_mapping_request(const MappingRequest& request) = 0;
  /// Moves a `requested` mapping request to `status` (`confirmed`, `discarded`,
  /// `timedout`) at `at` (s). Answers false, changing nothing, when the request is no
  /// longer `requested` (another path decided it first) or does not exist.
  virtual Result<bool> set_mapping_status(std::string_view request_id, std::string_view status,
                                          std::int64_t at) = 0;
  /// Pending (`requested`, unexpired at `now_at`) requests for a node.
  virtual Result<std::vector<MappingRequest>> pending_mapping_requests(std::string_view node_id,
                                                                       std::int64_t now_at) = 0;
  virtual Result<void> put_node_mapping_report(std::string_view node_id, std::string_view user_id,
                                               std::string_view secret_key, std::int64_t at) = 0;
  virtual Result<void> remove_node_mapping_report(std::string_view node_id) = 0;
  /// The node's own mapping report (user_id, secret_key), if one is waiting that was
  /// received at or after `received_since` (Unix seconds): an older one is stale.
  virtual Result<std::optional<std::pair<std::string, std::string>>> node_mapping_report(
      std::string_view node_id, std::int64_t received_since) = 0;
  /// The user's primary-node count and quota override (node quota, issue 18). An unknown
  /// user has no nodes and no override.
  virtual Result<NodeSlots> node_slots(std::string_view user_id) = 0;
};

/// Node storage. Thread-safe; every call may block.
class NodeRepository {
 public:
  virtual ~NodeRepository() = default;

  /// Runs `body` in one transaction: all of its writes or none.
  virtual Result<void> write(const std::function<Result<void>(NodeWriter&)>& body) = 0;

  /// The caller's nodes ordered by node id, from `start_node_id` (inclusive),
  /// optionally only `only_node_id`. `limit` ≥ 1.
  virtual Result<UserNodePage> list_user_nodes(std::string_view user_id,
                                               std::string_view start_node_id, std::size_t limit,
                                               std::string_view only_node_id) = 0;
  /// One node as seen by `user_id`; errc::not_found when unknown *or* not the
  /// user's (the two must be indistinguishable).
  virtual Result<UserNode> get_user_node(std::string_view user_id, std::string_view node_id) = 0;
  virtual Result<NodeRecord> get_node(std::string_view node_id) = 0;
  virtual Result<MappingRequest> get_mapping_request(std::string_view request_id) = 0;
  /// Alerts of `query.node_id`, newest first, at most `query.limit`.
  virtual Result<std::vector<AlertRecord>> list_alerts(const AlertQuery& query) = 0;
  /// The node's users and their roles ("primary" | "secondary"), by user id; empty for
  /// an unknown node.
  virtual Result<std::vector<std::pair<std::string, std::string>>> users_of(
      std::string_view node_id) = 0;
  /// Fleet administration: known nodes matching `filter`, ordered by node id, from
  /// `start_node_id` (inclusive), at most `limit`.
  virtual Result<std::vector<FleetNode>> list_fleet_nodes(const FleetNodeFilter& filter,
                                                          std::string_view start_node_id,
                                                          std::size_t limit) = 0;
};

}  // namespace stratus::storage
