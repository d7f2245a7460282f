#pragma once
/// @file
/// The event hub (issue 15, docs/adr/0010-live-events.md): numbers committed events,
/// keeps the newest of them for resuming streams, and fans each one out to the
/// subscriptions allowed to see it, on its own dispatcher thread so that a publisher
/// (the ingest writer, a request handler) only ever appends to a queue.

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "service/events.hpp"
#include "storage/access_repository.hpp"

namespace stratus::service {

/// Limits of the hub (config section `events`).
struct EventHubOptions {
  std::size_t replay_events = 10000;  ///< newest events kept for resuming streams
  std::size_t queue_limit = 100000;   ///< events waiting for the dispatcher; above: dropped
  /// How often every subscription re-reads its user's nodes even without an access
  /// event (a safety net for changes no event names, e.g. a group edit).
  std::chrono::milliseconds access_refresh{60000};
  /// How soon a re-read of a user's nodes that failed is tried again. Until one succeeds
  /// the user's streams get only the events addressed to the user by id, then `resync`.
  std::chrono::milliseconds access_retry{1000};
  /// Event ids step by `id_stride` and are ≡ `id_slot` modulo it (`id_slot` <
  /// `id_stride`): several instances of a cluster (docs/adr/0021) each hold a slot, so
  /// their ids never collide and a stream resuming with another instance's id gets a
  /// `resync` instead of a wrong replay. A sole instance: stride 1, slot 0.
  std::uint64_t id_stride = 1;
  std::uint64_t id_slot = 0;
  /// How long after this instance's last user stream ended it still takes events relayed
  /// from the other instances of a cluster (`admit_relayed`). Within it a client that
  /// reconnects resumes as usual; after it, the relay stops decoding them and a stream
  /// resuming from before that moment gets `resync` (docs/adr/0033).
  std::chrono::milliseconds relayed_keep{std::chrono::minutes(5)};
  /// A cluster's relay (docs/adr/0021): every batch published here that was produced by
  /// this instance (not `relayed`) is also handed to it, on the publisher's thread,
  /// before it is numbered. Must not block. Empty: a sole instance.
  std::function<void(const std::vector<EventDraft>&)> relay;
};

/// Which nodes `user_id` may see now (direct or through a group), any order. Called on
/// the dispatcher thread and in `subscribe`; may block on the database.
using AccessLookup = std::function<Result<std::vector<std::string>>(std::string_view user_id)>;

/// The lookup over the access repository (`AccessStore::user_node_ids` in one read
/// transaction). `access` must outlive the returned function.
[[nodiscard]] AccessLookup node_access_lookup(storage::AccessRepository& access);

/// A numbered event, shared by every stream that carries it.
struct Event {
  std::uint64_t id = 0;  ///< 0 for the control messages `ready` and `resync`
  proto::rest::EventKind kind = proto::rest::EventKind::params;
  std::string node_id;
  std::vector<std::string> user_ids;  ///< as in `EventDraft`
  bool access_changed = false;        ///< as in `EventDraft`
  bool relayed = false;               ///< as in `EventDraft`
  std::string text;                   ///< the wire form (proto/rest/events.hpp)
  /// When `publish` numbered it (for `stratus_events_dispatch_seconds`).
  std::chrono::steady_clock::time_point published_at{};
};
using EventPtr = std::shared_ptr<const Event>;

/// A stream's receiving end. Called with the hub's subscription lock held, on the
/// dispatcher thread or inside `subscribe`: it must only queue and return. Returns
/// false when it cannot take the event (its queue is full); the hub then ends the
/// subscription, and the stream is expected to close itself.
using EventSink = std::function<bool(const EventPtr&)>;

/// How a user's subscription takes events (`EventHub::subscribe`).
struct SubscribeOptions {
  /// A consumer that acts on the user's events (a webhook's outbox), not a user's
  /// stream: it is given only the events committed on this instance, since a relayed
  /// event's consumers ran on the instance that produced it (docs/adr/0021), and it
  /// does not count for `EventHub::admit_relayed`. Consumers get no `resync` either.
  bool consumer = false;
  /// The most messages `sink` takes at once (a WebSocket's send queue): a resume whose
  /// replay, with its `ready`, would need more is answered `resync` instead. The sink
  /// would refuse the rest and the client would retry the same resume until the replay
  /// window moved past it.
  std::size_t sink_capacity = SIZE_MAX;
};

/// How a consumer inside the cloud takes events (`EventHub::subscribe_all`).
struct ConsumerOptions {
  /// Also the events relayed from other instances (automations, which act on the leader
  /// alone and follow every instance's reports: docs/adr/0021; `Event::relayed` tells
  /// them apart).
  bool with_relayed = false;
  /// Also the `resync` control message (`Event::id` 0), in order, after events the hub
  /// lost (a full queue, `EventHub::lost`): a consumer that keeps state from events
  /// (automations, whose edges span reports) reads that state again.
  bool with_losses = false;
};

/// Implements `EventPublisher`. `publish` and `subscribe` are thread-safe; `start` and
/// `stop` are called by the owner only. Metrics: `stratus_events_published_total`,
/// `stratus_events_delivered_total`, `stratus_events_dropped_total{reason}`
/// (`queue_full`: the dispatcher fell behind; `slow_stream`: a subscription's sink
/// refused), gauge `stratus_event_subscriptions`, histogram `stratus_events_dispatch_seconds`
/// (each event from `publish` until the dispatcher has handed it to every stream that
/// wants it: its wait in the queue and its round's work).
///
/// Events lost here are never lost silently: when `publish` drops a batch (queue full) or
/// `lost` is told of events that never arrived (a cluster's relay), every open user stream
/// gets `resync` (and every consumer subscribed `with_losses`), and a stream resuming from
/// an event before the loss gets `resync` instead of a replay without them.
///
/// Access is re-read, never assumed: each subscription holds its user's node set, read
/// when it subscribes and again whenever an `access_changed` event names the user (and
/// every `access_refresh`). A subscribe whose read began before such a re-read started
/// reads again, so an access change that committed before an event is never undone for
/// that event by a subscribe running at the same time. A re-read that fails closes the
/// user's view rather than keeping a stale one: until a re-read succeeds (tried again
/// every `access_retry`) the user's subscriptions get only events addressed to the user by
/// id, and the user's streams then get `resync`. After one failed read in a round the
/// other users of that round are not tried and are treated alike
/// (`stratus_events_access_failures_total` counts such rounds).
class EventHub final : public EventPublisher {
 public:
  /// Event ids of this run start above `unix_ms(clock.now()) * 1000`, so they only
  /// grow across restarts and an id from an earlier run is recognised as such; they
  /// step by `options.id_stride` from a value ≡ `options.id_slot` modulo it.
  /// `lookup`, `clock` and `metrics` must outlive the hub.
  EventHub(AccessLookup lookup, const Clock& clock, MetricsRegistry& metrics,
           EventHubOptions options);
  ~EventHub() override;
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  /// Starts the dispatcher thread.
  void start();
  /// Delivers what is queued, then stops the dispatcher. Idempotent.
  void stop();

  /// Numbers `events`, keeps them for replay and queues them for the dispatcher.
  /// Never blocks on I/O; over `queue_limit` the events are dropped and counted.
  void publish(std::vector<EventDraft> events) override;

  /// Ends its subscription when destroyed (from any thread).
  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class EventHub;
    Subscription(EventHub& hub, std::uint64_t id) : hub_(hub), id_(id) {}
    EventHub& hub_;
    std::uint64_t id_;
  };

  /// Subscribes `user_id` with `filter`. Before the call returns, `sink` receives the
  /// replay (events after `filter.last_event_id` that the user may see, when the hub
  /// still keeps them all and they fit `options.sink_capacity`) or a `resync` message
  /// (otherwise), then `ready`; after that every later event that passes the filter and
  /// the user's current access, and `resync` whenever events were lost. A consumer
  /// (`options.consumer`) gets the same minus relayed events and control messages.
  /// Errors: what `lookup` returns (the user's nodes could not be read); errc::unavailable
  /// when the user's access changed during each of `kAccessReadAttempts` reads, or the
  /// sink refused its replay.
  Result<std::unique_ptr<Subscription>> subscribe(std::string user_id,
                                                  proto::rest::EventFilter filter, EventSink sink,
                                                  SubscribeOptions options = {});

  /// Reads of a user's nodes `subscribe` makes while access changes under it.
  static constexpr int kAccessReadAttempts = 5;

  /// Subscribes a consumer inside the cloud (alert mail; automations later) to every
  /// event that passes `filter` (kinds, node ids), whoever may see it: no access filter,
  /// no replay, no `ready` — the consumer checks access itself when it acts. Relayed
  /// events (produced by another instance, which has its own consumers) are not given,
  /// nor losses, unless `options` asks for them. `sink` as for `subscribe`; refusing an
  /// event ends the subscription. Thread-safe.
  std::unique_ptr<Subscription> subscribe_all(proto::rest::EventFilter filter, EventSink sink,
                                              ConsumerOptions options = {});

  /// A consumer subscribed `with_relayed` says whether it needs them now (`true` once,
  /// then `false` once): while any does, `admit_relayed` is true even with no user stream
  /// open. Thread-safe; takes the publishing lock briefly.
  void want_relayed(bool wanted);

  /// Whether events relayed from other instances would reach anyone here: true while a
  /// user stream (`subscribe`, not `subscribe_all`) is open or the last one ended less
  /// than `relayed_keep` ago. When false the caller leaves the relayed events out (the
  /// cluster relay then does not even decode them: docs/adr/0033), and the hub records
  /// it, so that a stream resuming from an event before this call gets `resync` rather
  /// than a replay without them. Thread-safe; takes the publishing lock briefly.
  [[nodiscard]] bool admit_relayed();

  /// Events that should have reached this hub did not (a cluster relay's message lost
  /// on the way; `what` says which, for the streams' `resync` reason): every open user
  /// stream and every consumer subscribed `with_losses` gets `resync`, and a resume from
  /// an event before this call gets `resync`.
  /// Thread-safe; never blocks on I/O.
  void lost(std::string_view what);

  /// Blocks until every event published, and every `resync` queued, before the call is
  /// dispatched (tests, benchmarks). Returns false if `timeout` passes first.
  bool flush(std::chrono::milliseconds timeout);

  /// The id of the newest event published so far (0: none yet in this run).
  [[nodiscard]] std::uint64_t last_event_id() const;

 private:
  struct Stream {
    std::string user_id;
    proto::rest::EventFilter filter;
    std::unordered_set<std::string> wanted;  // filter.node_ids
    // The user's nodes: one set shared by all of the user's streams (replaced, never
    // changed), so dispatch looks a node up once per user and event, not once per stream.
    std::shared_ptr<const std::unordered_set<std::string>> visible;
    EventSink sink;
    std::uint64_t skip_through = 0;  // a resumed stream has seen events up to this id
    bool every_user = false;         // subscribe_all: no access filter
    bool with_relayed = false;       // subscribe_all that takes relayed events too
    bool with_losses = false;        // subscribe_all that takes `resync` too
    bool consumer = false;           // acts on events: none relayed, no control messages
  };
  // A user with a subscription, or one being made: the generation of its node set.
  // `refresh_access` bumps it before reading, so a subscribe that read before the bump
  // knows its answer may predate an access change and reads again.
  struct UserAccess {
    std::size_t holders = 0;  // subscriptions and subscribes in progress
    std::uint64_t generation = 0;
  };
  // Why a stream resuming from before `gap_after_` cannot be replayed.
  enum class Gap { none, relayed_left_out, lost };
  void run();
  /// `refresh_all`: re-read every stream user's nodes first (events were lost, and with
  /// them perhaps an `access_changed` one).
  void dispatch(const std::vector<EventPtr>& batch, bool refresh_all);
  void refresh_access(const std::unordered_set<std::string>& users);
  void unsubscribe(std::uint64_t id);
  // A user stream counted in `subscribe` ended (or never started): for `admit_relayed`.
  void user_stream_ended();
  // A holder of `user`'s entry in access_ let go (streams_mutex_ held).
  void release_access(const std::string& user);
  // Records a loss (queue_mutex_ held): the gap for resumes, and one `resync` with
  // `reason` queued for the open streams unless one is waiting already.
  void record_loss(std::string reason);
  // Adds a stream to streams_ and to the `by_kind_` lists of the kinds it wants
  // (streams_mutex_ held); its id is the newest, so every list stays in id order.
  // `remove` takes it out of both.
  void add(std::uint64_t id, Stream stream);
  void remove(std::uint64_t id);
  // Visibility answers already found for the event being dispatched, by node set.
  using VisibleMemo = std::vector<std::pair<const std::unordered_set<std::string>*, bool>>;
  static bool passes(const Stream& stream, const Event& event, VisibleMemo& memo);

  AccessLookup lookup_;
  EventHubOptions options_;
  Counter& published_;
  Counter& delivered_;
  Counter& dropped_full_;
  Counter& dropped_slow_;
  Counter& access_failures_;
  Gauge& subscriptions_gauge_;
  Histogram& dispatch_seconds_;

  // Publishing side: numbering, the replay ring and the dispatcher's queue.
  mutable std::mutex queue_mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::uint64_t next_id_;           // the id the next event gets (steps by id_stride)
  std::uint64_t first_id_;          // the first id of this run
  std::deque<EventPtr> ring_;       // newest `replay_events`, oldest first
  std::deque<EventPtr> queue_;      // published, not yet dispatched
  std::uint64_t done_through_ = 0;  // id of the newest dispatched event, for `flush`
  // Everything ever queued (events and control messages) and everything dispatched, for
  // `flush`: a `resync` queued before the call is waited for too.
  std::uint64_t queued_total_ = 0;
  std::uint64_t dispatched_total_ = 0;
  // User streams open or being subscribed, and when the last one ended (relayed events).
  std::size_t user_streams_ = 0;
  std::size_t relayed_wanted_ = 0;  // consumers that want relayed events now (want_relayed)
  std::chrono::steady_clock::time_point last_user_stream_ended_{};
  // next_id_ when events were last left out or lost: a stream that saw only events
  // before it cannot resume here (0: never), and why.
  std::uint64_t gap_after_ = 0;
  Gap gap_ = Gap::none;
  bool resync_queued_ = false;  // a `resync` for the open streams waits in queue_
  // Events were lost since the last batch: the next dispatch re-reads every stream's
  // access, since a lost revocation would otherwise wait for the periodic refresh.
  bool refresh_all_ = false;
  bool stopping_ = false;
  std::thread thread_;

  // Dispatching side: the subscriptions. Lock order: streams_mutex_ before queue_mutex_.
  std::mutex streams_mutex_;
  std::map<std::uint64_t, Stream> streams_;
  // For each event kind, the streams whose filter wants it, by id: an event is checked
  // against those only, not against every stream (issue 24: 980 streams asking for alerts
  // cost every params report 980 checks). Points into streams_ (a node map: stable).
  std::array<std::vector<std::pair<std::uint64_t, Stream*>>, proto::rest::kEventKindCount> by_kind_;
  std::unordered_map<std::string, UserAccess> access_;
  std::uint64_t next_stream_ = 1;
  std::uint64_t dispatched_through_ = 0;  // id of the newest dispatched event
  std::chrono::steady_clock::time_point refreshed_at_;
  // Dispatcher thread only: users whose last re-read failed (their streams see no node's
  // events until one succeeds), and when they are tried again.
  std::unordered_set<std::string> access_unknown_;
  std::chrono::steady_clock::time_point access_retry_at_{};
};

}  // namespace stratus::service
