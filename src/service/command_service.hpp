#pragma once
/// @file
/// Command requests (cmd-resp, spec rainmaker.md §3, docs/adr/0006): the REST side
/// (`POST|GET|DELETE /v1/user/nodes/cmd`, §3.5) and the node side (the poll re-sends
/// pending requests, §3.4; answers are stored, §3.1; set-params answers feed the
/// stored params, §3.3).
///
/// Lifecycle of one (request, node) record: `requested` (stored; the node was offline)
/// → `in_progress` (published on `to-node`) → `success` | `failure` (the node answered)
/// | `timed_out` (expiration passed) | `overridden` (a newer request with `override`) |
/// `cancelled` (DELETE). Final states never change again; answers to them are ignored.
///
/// Authorization: the caller must be the node's primary or secondary user, or a
/// super-admin; anyone else gets exactly what an unknown node gets (`node_error::node_not_found`).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "proto/cmd_resp.hpp"
#include "proto/rest/commands.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/limits.hpp"
#include "service/account_service.hpp"
#include "service/audit.hpp"
#include "service/events.hpp"
#include "service/node_messenger.hpp"
#include "storage/account_repository.hpp"
#include "storage/command_repository.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// Limits and defaults (config section `nodes`).
struct CommandOptions {
  std::chrono::seconds default_timeout{30};  ///< when the POST has no timeout
  std::size_t max_data_bytes = proto::rest::limits::kMaxCommandDataBytes;  ///< spec §3.5
  std::size_t max_nodes = proto::rest::limits::kMaxCommandNodes;           ///< node ids per request
};

/// A command request as the REST layer parsed it (types checked, ranges not yet): the
/// wire DTO itself. `create` checks the ranges (`proto::rest::limits`, `CommandOptions`):
/// cmd 0–65535, data size, timeout 1–2592000 or -1.
using NewCommand = proto::rest::CommandRequest;

/// What happened for one node of a POST.
struct CommandNodeOutcome {
  std::string node_id;
  bool sent = false;        ///< published to the node, now in_progress
  std::string description;  ///< what happened to this node (also the failure's text)
  /// Why it was not sent: not_found (`node_error::node_not_found`), invalid_argument
  /// (`command_error::not_supported`), or unavailable (`command_error::node_offline`:
  /// stored, sent when the node connects). Empty when sent.
  std::optional<Error> error;
};

/// The answer to a POST: the request id and one outcome per node, in request order.
struct CommandCreated {
  std::string request_id;
  std::vector<CommandNodeOutcome> outcomes;
  /// True when every node was sent to (REST 200 rather than 207).
  [[nodiscard]] bool all_sent() const noexcept;
};

/// `GET /v1/user/nodes/cmd` parameters. `request_id` or `node_id` is required.
struct CommandQuery {
  std::string request_id;
  std::string node_id;
  std::string status;                        ///< empty or one of the seven statuses
  std::optional<std::int64_t> start_time_s;  ///< request time ≥ (epoch seconds)
  std::optional<std::int64_t> end_time_s;    ///< request time ≤ (epoch seconds)
  std::int64_t start_id = 0;                 ///< the previous page's `next_id`
  std::size_t limit = 10;                    ///< 1–100
};

/// One page of records ordered by creation; `next_id` 0 on the last page.
struct CommandPage {
  std::vector<storage::CommandRecord> requests;
  std::int64_t next_id = 0;
};

/// Thread-safe; calls block (database). REST calls run on the blocking pool; `on_poll`
/// and `on_response` on the ingest writer; `expire_due` on the sweep thread.
///
/// Metrics: `stratus_commands_total{status}` (records entering each status) and
/// `stratus_command_responses_ignored_total{reason}` (`unknown`: no such request for
/// that node; `final`: the record was already final).
class CommandService {
 public:
  /// Every state change of a record that a call makes is published to `events` as a
  /// `command` event addressed to the record's requester (data `{"request_id","cmd",
  /// "status","status_description"}`), the `timed_out` of the sweep included. Requests
  /// (one `node.command.request` entry per node) and cancellations are recorded in `audit`.
  CommandService(storage::CommandRepository& commands, storage::NodeRepository& nodes,
                 storage::AccountRepository& accounts, NodeMessenger& messenger,
                 EventPublisher& events, const Clock& clock, MetricsRegistry& metrics,
                 CommandOptions options, AuditLog& audit);

  /// `POST /v1/user/nodes/cmd`. Checks the request (errors invalid_argument with a
  /// `command_error`: `node_ids_missing`, `too_many_nodes`, `duplicate_node_ids`,
  /// `invalid_cmd`, `data_too_large`, `invalid_timeout`),
  /// resolves the caller's role per node, then stores one `requested` record per accepted node in
  /// one transaction (with `override_pending`, the caller's pending records for the same node and
  /// cmd become `overridden` in that transaction) and only then publishes to online nodes, which
  /// become `in_progress`. Per-node failures (`node_error::node_not_found` unknown or another's
  /// node, `command_error::not_supported` no cmd-resp, `command_error::node_offline` offline —
  /// stored nonetheless) are outcomes; when no node is accepted nothing is stored and the first
  /// failure is returned (errc::not_found for `node_error::node_not_found`, invalid_argument
  /// otherwise). errc::unavailable when storage fails.
  Result<CommandCreated> create(const Principal& who, const NewCommand& command);

  /// `GET /v1/user/nodes/cmd`: the caller's records (every user's for a super-admin),
  /// expired ones first marked `timed_out`. Errors: invalid_argument
  /// `request_error::invalid_request_body` without request_id and node_id, for an unknown status, a
  /// limit outside 1–100, a time outside 0–253402300799 (year 9999) or a negative start_id.
  Result<CommandPage> list(const Principal& who, const CommandQuery& query);

  /// `DELETE /v1/user/nodes/cmd` (Stratus extension): marks the request's pending
  /// records (only `node_id`'s when non-empty) `cancelled`; returns how many. Only the
  /// creator or a super-admin may. Errors: not_found `command_error::request_not_found` when there
  /// is no such request visible to the caller; conflict `command_error::not_pending` when none is
  /// pending any more.
  Result<std::int64_t> cancel(const Principal& who, std::string_view request_id,
                              std::string_view node_id);

  /// The node's poll (spec §3.4): re-sends every unexpired `requested`/`in_progress`
  /// record of `node_id` in creation order and marks them `in_progress`. Authorization
  /// is checked again for each record (issue 13): a record whose requester no longer
  /// holds the role byte it carries (unmapped, demoted, no longer super-admin, deleted)
  /// is not sent but `cancelled` with a reason. Stops at the first failed publish or
  /// storage read (the next poll retries). Failures are logged, not returned.
  void on_poll(std::string_view node_id);

  /// A node's answer (never the poll). Stores it on the pending record (`success` for
  /// status 0, else `failure` with `device_status` and a description naming it); an
  /// answer for an unknown request, another node's or a final record is ignored and
  /// counted; but the first answer to a record that ended unanswered (cancelled,
  /// overridden, timed out) still has what it applied merged, once (its `device_status`
  /// is stored, so a redelivery is not merged again). An answer for a requester who no longer has
  /// access to the node (a group
  /// change, a disabled account) is not kept either: the command is cancelled
  /// (`stratus_command_responses_ignored_total{reason="revoked"}`). Returns the
  /// params JSON object text to merge into the node's reported
  /// params when it answers command 1 (set params) with
  /// `{"status":"success","params":{…}}` (spec §3.3), else nullopt.
  std::optional<std::string> on_response(std::string_view node_id,
                                         const proto::CmdResponse& response);

  /// Counts `n` records that storage moved to `cancelled` on its own (the cascade when
  /// a node's users are removed, storage::NodeWriter::remove_all_users), so
  /// `stratus_commands_total{status="cancelled"}` stays exact. Thread-safe.
  void count_cancelled(std::int64_t n);

  /// Marks every pending record whose expiration has passed `timed_out` (the periodic
  /// sweep; also run before reads). Only reads when nothing is due. Returns how many.
  Result<std::int64_t> expire_due();

 private:
  Result<CommandCreated> create_unaudited(const Principal& who, const NewCommand& command);
  Result<std::int64_t> cancel_unaudited(const Principal& who, std::string_view request_id,
                                        std::string_view node_id);
  struct Accepted {
    std::string node_id;
    std::uint8_t role = 0;
  };
  /// Marks a role byte that could not be read (storage failure).
  static constexpr std::uint8_t kRoleUnknown = 0xff;
  /// The role byte `user_id` holds on `node_id` now: primary, secondary with sub-role
  /// bits, super-admin, 0 for none or a disabled user, kRoleUnknown when storage fails.
  std::uint8_t role_byte(std::string_view user_id, std::string_view node_id);
  // Cancels those of `records` still pending (their requester lost access); how many.
  // `device_status`: the node's answer that ended them, kept on the records.
  Result<std::size_t> cancel_revoked(const std::vector<storage::CommandRecord>& records,
                                     std::optional<int> device_status = {});
  std::int64_t now_ms() const;
  void count(std::string_view status, std::int64_t n = 1);
  /// Publishes one `command` event per record, in its current state.
  void announce(const std::vector<storage::CommandRecord>& records);
  /// Moves those of `records` still pending and unexpired to in_progress, in one
  /// transaction; returns them as stored (what may be published). Errors: storage.
  Result<std::vector<storage::CommandRecord>> claim(
      const std::vector<storage::CommandRecord>& records);
  /// Moves those of `unsent` still in_progress back to requested (a failed publish).
  void release(const std::vector<storage::CommandRecord>& unsent);

  storage::CommandRepository& commands_;
  storage::NodeRepository& nodes_;
  storage::AccountRepository& accounts_;
  NodeMessenger& messenger_;
  EventPublisher& events_;
  const Clock& clock_;
  AuditLog& audit_;
  MetricsRegistry& metrics_;
  CommandOptions options_;
  Counter& ignored_unknown_;
  Counter& ignored_final_;
  Counter& ignored_revoked_;  // the requester lost the role the command was sent with
};

/// The RainMaker name of a device status byte: "success", "command failed", "invalid
/// command or data", "not authorized for this role", "command not found", or "unknown
/// device status N". Pure.
std::string device_status_description(int status);

}  // namespace stratus::service
