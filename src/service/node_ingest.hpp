#pragma once
/// @file
/// The ingest hot path (ARCHITECTURE.md "Threads and data flow"): node events
/// go into a bounded write-behind queue; one writer thread applies them in
/// batches, one transaction per batch (group commit), reading and writing each
/// node's params document once per batch however many reports it carries.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/strings.hpp"
#include "service/events.hpp"
#include "service/expected_reports.hpp"
#include "service/node_events.hpp"
#include "service/node_messenger.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

class CommandService;

/// Queue and batch limits (config section `nodes`).
struct IngestOptions {
  std::size_t queue_limit = 100000;
  std::size_t batch_max = 5000;
  /// Under load (reports waiting when the last batch committed), the longest wait for a
  /// batch to fill: the writer waits as long as the last batch took to apply, at most this;
  /// an idle writer commits a report at once.
  std::chrono::milliseconds flush_delay{5};
  /// Time-series points stamped later than now plus this are dropped (docs/adr/0011).
  std::chrono::seconds ts_future_skew{300};
  /// `accounts.default_node_quota`: a node's mapping report does not make a user primary
  /// beyond its quota (0 = unlimited).
  std::int64_t default_node_quota = 0;
  /// While an interactive report is expected (docs/adr/0026), the bulk batches are cut to
  /// this many reports, so the awaited one waits for at most one short batch.
  std::size_t interactive_batch_max = 200;
  /// On a backend with row versions (PostgreSQL), the writer keeps the params rows it
  /// wrote, at most this many nodes, and does not read them again in its next batches;
  /// a kept row is written only if nothing else changed it meanwhile (docs/adr/0030).
  /// 0 keeps none.
  std::size_t row_cache_max = 100000;
  /// Added to the writer thread's nice value when it starts (capped at 19; 0: none): when
  /// the machine's CPU is short, the broker, whose acknowledgements and deliveries set
  /// the pace and the latency, and the threads that answer requests run first, and the
  /// writer's batches grow, each costing less per report (docs/adr/0031).
  int writer_nice = 0;
  /// A batch the database cannot take now is written again after `retry_first`, then
  /// after waits doubling up to `retry_max`, until it is taken (see `NodeIngest`).
  std::chrono::milliseconds retry_first{50};
  std::chrono::milliseconds retry_max{5000};
};

/// Applies node events to storage. `submit` is thread-safe and never blocks on
/// I/O; the writer thread does the database work and, after a commit, sends
/// desired state to nodes that became reachable: the queued sets of every user
/// who still has access to the node, merged oldest first (a user who lost access
/// meanwhile has theirs discarded, not sent).
///
/// After a commit it publishes what changed to `events` (issue 15): each params report
/// as it came (`params`, data `{"payload":{…},"init"?:true}`), presence changes that
/// took effect (`connectivity`), configs (`config`), alerts (`alert`, with the stored
/// alert's id) and, for mapping reports, one `mapping` event per user whose access
/// changed. Nothing is published for a batch that failed.
///
/// Reports are visible to REST reads as soon as their batch commits. A batch the
/// database cannot take now (`errc::unavailable`: restarting, failing over, out of disk)
/// is written again after a wait that doubles from `IngestOptions::retry_first` to
/// `retry_max`, and meanwhile counts as not processed (the ingest handoff acknowledges none
/// of it). A batch that fails otherwise is split by node and the halves written, down to
/// the one node whose events the database refuses: those are logged and counted
/// (`stratus_ingest_failed_batches_total`), the others stored. Only a stopping writer
/// gives up on an unavailable database.
///
/// Time series (docs/adr/0011): `tsdata`/`simple_tsdata` records, and every value of a
/// params report whose param the node's config marks `time_series` (stamped with the
/// time the report was received), are stored as points in the batch's transaction.
/// Points stamped before 2001 or after now + `ts_future_skew`, and params values that
/// do not match their config's data type, are dropped and counted.
///
/// Interactive reports (docs/adr/0026): a params report from a node `expected` names
/// (one that was just sent a set) is applied ahead of the bulk queue, in a batch of its
/// own with the earlier queued events of the same node, so each node's events still apply
/// in the order they came. While any such report is expected, bulk batches are cut to
/// `interactive_batch_max`.
///
/// Metrics: `stratus_ingest_events_total`, `stratus_ingest_interactive_total`, histograms
/// `stratus_ingest_interactive_wait_seconds` (an interactive report from `submit` until the
/// writer takes it) and `stratus_ingest_interactive_apply_seconds` (from then until its
/// batch is committed and its events are handed to the publisher),
/// `stratus_ingest_batch_seconds` (each batch, from the writer taking it until it is
/// committed and published) and `stratus_ingest_batch_cpu_seconds` (the writer thread's CPU
/// time in that span: the difference is time the thread was runnable and not running, or
/// waiting on the database),
/// `stratus_ts_points_total`, `stratus_ts_points_dropped_total{reason}`,
/// `stratus_ingest_dropped_total{reason}`, `stratus_ingest_batches_total`,
/// `stratus_ingest_queue_depth`, `stratus_desired_discarded_total` (queued sets whose user lost
/// access), `stratus_ingest_row_cache_stale_total`, `stratus_ingest_row_cache_nodes`,
/// `stratus_ingest_retries_total` (waits for an unavailable database),
/// `stratus_ingest_split_batches_total` (failed batches split by node).
///
/// Kept rows (docs/adr/0030): on PostgreSQL the writer keeps each params row it wrote with
/// the row's version and takes it instead of reading it in the next batch; the write
/// applies only if the row still has that version, so a row changed meanwhile by anyone
/// (another instance, an operator) makes the batch roll back and apply again with it read.
class NodeIngest {
 public:
  /// `commands` receives command answers and polls (docs/adr/0006): an answer is
  /// stored before the batch it arrived in is applied, and an answer to command 1 (set
  /// params) is merged into the params at its place among the reports; after a batch
  /// commits, every node that polled gets its pending commands re-sent. Every reference
  /// must outlive the ingest.
  /// `expected` (may be null: no report is expedited) must outlive the ingest too.
  NodeIngest(storage::NodeRepository& repository, NodeMessenger& messenger,
             CommandService& commands, EventPublisher& events, const Clock& clock,
             MetricsRegistry& metrics, IngestOptions options, ExpectedReports* expected = nullptr);
  ~NodeIngest();
  NodeIngest(const NodeIngest&) = delete;
  NodeIngest& operator=(const NodeIngest&) = delete;

  /// Starts the writer thread.
  void start();
  /// Applies what is queued, then stops the writer. Idempotent.
  void stop();

  /// Queues an event. Returns false (and counts a drop) when the queue is full.
  bool submit(NodeEvent event);

  /// Blocks until everything submitted before the call is committed (for tests
  /// and orderly shutdown). Returns false if `timeout` passes first.
  bool flush(std::chrono::milliseconds timeout);

  /// How many more events the queue takes now (`IngestOptions::queue_limit` minus those
  /// waiting). Thread-safe; another thread may take the room before the caller does. The
  /// ingest handoff reads no more than this, so a full queue holds messages back in the
  /// broker plugin instead of dropping them (docs/adr/0025).
  [[nodiscard]] std::size_t room();

  /// How many events were submitted so far: a mark that `processed(mark)` compares with.
  /// Thread-safe.
  [[nodiscard]] std::uint64_t submitted_mark();
  /// True once every event submitted before `mark` was taken is processed (interactive
  /// reports applied ahead of older ones do not count until those are): committed, or
  /// given up on (`stratus_ingest_failed_batches_total`: events the database refused, or
  /// any batch while stopping with the database unavailable).
  /// Never blocks on the writer's work. Thread-safe. Used by the ingest handoff to
  /// acknowledge what is committed (docs/adr/0025).
  [[nodiscard]] bool processed(std::uint64_t mark);

 private:
  struct Queued {
    std::uint64_t seq;  // submission order
    NodeEvent event;
  };
  void run();
  /// Moves into `batch` the interactive reports and every older queued event of their
  /// nodes, in queue order; returns the smallest sequence number taken. Mutex held.
  std::uint64_t take_interactive(std::vector<NodeEvent>& batch);
  /// Every event submitted before the returned sequence number is processed. Mutex held.
  [[nodiscard]] std::uint64_t oldest_pending() const;
  struct BatchWork;
  void apply(std::vector<NodeEvent>& batch);
  /// Writes `batch` and publishes what it changed: again after a wait while the database
  /// is unavailable (`errc::unavailable`), and by halves (`split_by_node`) when an error
  /// would repeat, so one node's events that the database refuses cost only that node's
  /// events. Writer thread only.
  void commit(std::vector<NodeEvent>& batch);
  /// The attempts at `batch` in its transaction (again with kept rows read when one was
  /// stale, docs/adr/0030); `work` holds the last attempt's. Writer thread only.
  Result<void> write_batch(std::vector<NodeEvent>& batch, BatchWork& work);
  static bool split_by_node(std::vector<NodeEvent>& batch, std::vector<NodeEvent>& first,
                            std::vector<NodeEvent>& second);
  /// One attempt at `batch` inside its transaction; `use_cache`: take kept rows instead
  /// of reading them. Writer thread only.
  Result<void> apply_in(storage::NodeWriter& w, std::vector<NodeEvent>& batch, std::int64_t now_at,
                        bool use_cache, BatchWork& work);

  storage::NodeRepository& repository_;
  NodeMessenger& messenger_;
  CommandService& commands_;
  EventPublisher& events_;
  const Clock& clock_;
  IngestOptions options_;
  Counter& batches_;
  Counter& committed_;
  Counter& interactive_;
  Histogram& interactive_wait_;
  Histogram& interactive_apply_;
  Histogram& batch_seconds_;
  Histogram& batch_cpu_seconds_;
  Counter& dropped_full_;
  Counter& dropped_invalid_;
  Counter& dropped_too_large_;
  Counter& desired_discarded_;
  Counter& failed_batches_;
  Counter& retried_;
  Counter& split_;
  Counter& ts_points_;
  Counter& ts_too_old_;
  Counter& ts_future_;
  Counter& ts_type_;
  Gauge& depth_;
  Counter& row_cache_stale_;
  Gauge& row_cache_size_;
  /// The rows the writer wrote last, by node id (`IngestOptions::row_cache_max`); writer
  /// thread only.
  std::unordered_map<std::string, storage::NodeBatchRow, StringHash, std::equal_to<>> row_cache_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  ExpectedReports* expected_;
  std::deque<Queued> queue_;
  std::uint64_t submitted_ = 0;
  /// The smallest sequence number of the batch being applied, if one is.
  std::optional<std::uint64_t> applying_from_;
  /// Interactive reports queued and not yet taken: their nodes, and the newest one's seq.
  std::vector<std::string> interactive_nodes_;
  std::uint64_t interactive_last_ = 0;
  /// When each of those reports was submitted (any order), for `interactive_wait_`.
  std::vector<std::chrono::steady_clock::time_point> interactive_submitted_;
  /// The queue size a filling batch waits for (batch_max, or interactive_batch_max).
  std::size_t fill_target_ = 0;
  bool stopping_ = false;
  /// What the writer waits for, so `submit` wakes it only when that happens.
  enum class WriterWait { busy, idle, filling };
  WriterWait writer_wait_ = WriterWait::busy;
  std::thread thread_;
};

}  // namespace stratus::service
