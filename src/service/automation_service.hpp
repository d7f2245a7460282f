#pragma once
/// @file
/// Automations (issue 16, docs/adr/0012; rainmaker-cloud.md §3): the REST use cases of
/// `v1/user/node_automation` and the runner that turns committed params reports (through
/// the event hub) and sunrises/sunsets into sets on other nodes.
///
/// - `node_params`: evaluated by `AutomationEngine` on the runner's thread for every
///   committed `params` event of a trigger node — never on the ingest writer's thread.
/// - `daylight`: the next sunrise or sunset of the automation's location (libnova, see
///   daylight.hpp) is scheduled on the same thread and re-scheduled after each.
/// - `weather`: stored and listed with `"status":"unsupported"` (this cloud has no
///   weather service); never evaluated.
///
/// A firing sets every action's params through `NodeService::set_params` in the owner's
/// name: access and the node config are checked again then (authorization at use), an
/// offline node gets the set queued. The firing is stored (`last_triggered`) and
/// published as an `automation` event to the owner.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "proto/rest/automations.hpp"
#include "service/account_service.hpp"
#include "service/automation_engine.hpp"
#include "service/cluster.hpp"
#include "service/event_hub.hpp"
#include "service/node_service.hpp"
#include "storage/access_repository.hpp"
#include "storage/automation_repository.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// Limits (config section `automations`).
struct AutomationOptions {
  std::size_t max_per_user = 100;           ///< automations one user may have
  std::size_t max_firings_per_minute = 10;  ///< per automation; more are skipped and counted
  std::size_t queue_limit = 100000;         ///< params events waiting for the runner
  std::chrono::milliseconds poll{1000};     ///< the runner looks for due daylight events
  /// Who fires daylight automations (docs/adr/0021); the others only move their schedule
  /// on. Null: a sole instance, always. Each firing is also claimed in storage (a daylight
  /// firing by its due time, a params edge by its trigger report), so two instances that
  /// both believe they lead fire it once. Params triggers fire on the leader too, which follows
  /// every instance's reports through the relay (as does every instance, so that a new leader
  /// judges the next report by the node's current state): a node's reports go to any instance, and
  /// judged where each arrived, one rising edge fired on two instances or none.
  const Leadership* leadership = nullptr;
  /// Told when an automation is created, updated or removed, so that the other
  /// instances of a cluster reload it; null: a sole instance.
  ChangeNotices* notices = nullptr;
};

/// Thread-safe. The REST calls block (database): call them from the blocking pool.
/// Metrics: `stratus_automation_firings_total{outcome}` (`fired`, `limited`: over the
/// per-minute limit, `no_access`: the owner lost access to the trigger node),
/// `stratus_automation_actions_total{status}` (`success`, `queued`, `failure`),
/// `stratus_automation_events_dropped_total` (the runner's queue was full),
/// `stratus_automation_resyncs_total` (trigger nodes' state read again after a loss).
///
/// Events lost on the way (the hub's queue or the runner's was full; a cluster's relay
/// lost a message) would leave the engine judging later reports against a state the node
/// has left: an edge missed, or one fired that never happened. So a loss queues a
/// `resync` in order; the runner then reads every trigger node's stored params, judges
/// each document as the state after the gap (`AutomationEngine::on_state`: an edge across
/// the gap fires, late, once) and for a minute skips the node's events received no later
/// than the `params_ms` it read. Limits: a reversal inside the gap stays unseen; a read
/// that fails leaves that node as the events left it; the skip compares receive times,
/// so a report received in the same millisecond as the read one but committed after the
/// read is skipped too (the node's next report corrects the state); with two leaders at
/// once and a loss on one of them, an edge across the gap may be claimed under two
/// report times and fire twice.
class AutomationService {
 public:
  /// Every reference must outlive the service.
  AutomationService(storage::AutomationRepository& automations, storage::NodeRepository& nodes,
                    storage::AccessRepository& access, NodeService& node_service, EventHub& hub,
                    const Clock& clock, MetricsRegistry& metrics, AutomationOptions options);
  ~AutomationService();
  AutomationService(const AutomationService&) = delete;
  AutomationService& operator=(const AutomationService&) = delete;

  /// Loads every automation, subscribes to the hub's params events and starts the
  /// runner. Errors: storage.
  Result<void> start();
  /// Stops the runner (what is queued is dropped: the reports are committed, only
  /// their automations are not run). Idempotent.
  void stop();
  /// Blocks until the runner has handled everything the hub delivered before the call
  /// (tests). False on timeout. A `resync` from `EventHub::lost` with no event published
  /// after it is not waited for.
  bool flush(std::chrono::milliseconds timeout);

  /// `POST`: validates (the codes of `automation_error`, see docs/api.md) and stores;
  /// returns the new id.
  Result<std::string> create(const Principal& who, const proto::rest::AutomationFields& fields);
  /// `GET` without `automation_id`: a page of the caller's automations (by id).
  Result<proto::rest::AutomationPage> list(const Principal& who, std::string_view node_id,
                                           std::string_view start_id, std::size_t limit);
  /// `GET ?automation_id=`. Errors: not_found `automation_error::not_found` (also for
  /// another user's automation).
  Result<proto::rest::Automation> get(const Principal& who, std::string_view automation_id);
  /// `PUT ?automation_id=`: replaces the members given (validated as on create);
  /// `event_type` cannot change. Errors: as create, `nothing_to_update`, `not_found`.
  Result<void> update(const Principal& who, std::string_view automation_id,
                      const proto::rest::AutomationFields& fields);
  /// `DELETE ?automation_id=`. Errors: `not_found`.
  Result<void> remove(const Principal& who, std::string_view automation_id);

  /// Re-reads `automation_id` into the engine (or drops it when gone), on the runner
  /// thread: another instance changed it (`ChangeNotices`). Never blocks.
  void reload(std::string_view automation_id);

 private:
  struct Work {
    EventPtr event;         // a params event of a watched node …
    std::string reload_id;  // … or: re-read this automation (created, changed, removed),
    // with its trigger node's params document as it was when the change was accepted
    // (nullopt: read it when loading, as for a change another instance made).
    std::optional<std::string> node_params;
    bool resync = false;  // … or: events were lost before this point
  };
  struct Daylight {
    std::string automation_id;
    std::string user_id;
    std::chrono::system_clock::time_point at;    // the sunrise or sunset
    std::chrono::system_clock::time_point next;  // when to look: `at`, or a retry after it
    std::string cause;                           // "sunrise" | "sunset"
    bool retrying = false;  // storage failed when it was due: warned once, tried again
  };

  Result<void> validate(const Principal& who, storage::AutomationRecord& record);
  // Whether `user_id` is not disabled and has a relation to the node (direct or through a
  // shared group); without a node (an automation with no trigger node) only the former.
  Result<bool> may_control(std::string_view user_id, std::optional<std::string_view> node_id);
  void enqueue(Work work);
  // A change of `record` this instance accepted: its trigger node is watched from now
  // on, and the reload queued ahead of that node's next report, with the node's params
  // read now as the state a later report is compared with. So a report sent after the
  // answer is judged by the new automation, as its caller expects.
  void accepted(const storage::AutomationRecord& record);
  void run();
  void load(const storage::AutomationRecord& record,
            const std::optional<std::string>& node_params = std::nullopt);
  void unload(const std::string& automation_id);
  void update_watched(const std::string& node_id);
  // Tells the hub whether relayed events are wanted, after watched_nodes_ changed
  // (mutex_ held).
  void want_relayed_locked();
  void handle_report(const Work& work);
  // Judges `payload` of `node_id` committed at `report_ms` (a report, or with `state` the
  // stored document read after a loss: `AutomationEngine::on_state`): fires, defers or
  // counts what the engine finds.
  void judge(const std::string& node_id, const boost::json::object& payload, std::int64_t report_ms,
             bool state);
  // After a loss: every trigger node's stored params, judged as one report.
  void resync();
  // Queues a `resync` unless one is waiting (mutex_ held): one past `queue_limit` at most.
  void queue_resync_locked();
  void run_due_daylight();
  // On taking the lease: fires the deferred edges still due; then forgets old ones.
  void run_deferred();
  // What a firing claims in storage before it acts, so that two instances that both
  // believe they lead (for up to a lease after a leadership change, docs/adr/0021) act
  // once between them: a daylight firing due at `ms`, or the edge judged on the trigger
  // report committed at `ms`, the `ordinal`-th of the automation's edges on reports of
  // that millisecond (`edge_ordinal`).
  struct Claim {
    enum class Kind { scheduled, edge } kind = Kind::scheduled;
    std::int64_t ms = 0;
    std::int64_t ordinal = 0;
  };
  // Runs the actions in the owner's name (if the owner may) and stores the firing. With a
  // claim it is not run when another instance claimed the same. Errors: storage, only
  // with a claim (a daylight caller tries again; an edge is not retried).
  Result<void> fire(const storage::AutomationRecord& record, const std::string& cause,
                    std::optional<Claim> claim = std::nullopt);

  storage::AutomationRepository& automations_;
  storage::NodeRepository& nodes_;
  storage::AccessRepository& access_;
  NodeService& node_service_;
  EventHub& hub_;
  const Clock& clock_;
  AutomationOptions options_;
  Counter& fired_;
  Counter& limited_;
  Counter& no_access_;
  Counter& action_success_;
  Counter& action_queued_;
  Counter& action_failure_;
  Counter& dropped_;
  Counter& resyncs_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Work> queue_;
  // Trigger nodes of the loaded automations: the hub's sink drops every other node's
  // events at once, so the ingest's rate costs the runner nothing.
  std::unordered_set<std::string> watched_nodes_;
  // In a cluster: whether this service has told the hub it wants relayed events (it
  // does while any node is watched; docs/adr/0033 leaves them undecoded otherwise).
  bool wants_relayed_ = false;
  std::uint64_t enqueued_ = 0, handled_ = 0;
  bool resync_queued_ = false;  // a `resync` is in `queue_`
  bool stopping_ = false;
  std::unique_ptr<EventHub::Subscription> subscription_;
  std::thread thread_;

  // Runner thread only.
  AutomationEngine engine_;
  // The `updated_ms` of each node_params automation the engine has: a firing whose stored
  // record differs was judged by a definition that changed meanwhile.
  std::map<std::string, std::int64_t, std::less<>> loaded_updated_ms_;
  std::map<std::string, Daylight, std::less<>> daylight_;
  // In a cluster, edges this instance judged while it did not lead (docs/adr/0021): the
  // report's time and when it was judged. Fired when this instance takes the lease within
  // kEdgeGrace of them, unless the automation fired since the report (the old leader).
  struct Deferred {
    std::string cause;
    std::int64_t report_ms = 0;
    std::int64_t ordinal = 0;  // as `edge_ordinal` numbered it, for its claim
    std::chrono::steady_clock::time_point judged{};
  };
  std::map<std::string, Deferred, std::less<>> deferred_;
  bool was_leader_ = false;
  // Per node_params automation, the report time of its last edge and how many edges it had
  // on reports of that millisecond: every instance follows the same reports in the same
  // order, so each numbers an edge alike, and the number tells two edges of one
  // millisecond apart in their claims.
  std::map<std::string, std::pair<std::int64_t, std::int64_t>, std::less<>> edge_counts_;
  // Trigger nodes read again by `resync`, with the `params_ms` read: for a minute their
  // events received no later (the time an event and `params_ms` both carry) are taken to
  // be in that state already and are skipped.
  struct ReadThrough {
    std::int64_t params_ms = 0;
    std::chrono::steady_clock::time_point read_at{};
  };
  std::map<std::string, ReadThrough, std::less<>> read_through_;
  // The `ordinal` of `automation_id`'s edge on a report committed at `report_ms`.
  std::int64_t edge_ordinal(const std::string& automation_id, std::int64_t report_ms);
};

}  // namespace stratus::service
