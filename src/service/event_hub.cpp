#include "service/event_hub.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <utility>

#include "core/assert.hpp"
#include "core/thread_name.hpp"
#include "log/log.hpp"

namespace stratus::service {

AccessLookup node_access_lookup(storage::AccessRepository& access) {
  return [&access](std::string_view user_id) -> Result<std::vector<std::string>> {
    std::vector<std::string> ids;
    auto read = access.read([&](storage::AccessStore& s) -> Result<void> {
      auto found = s.user_node_ids(user_id);
      if (!found)
        return fail(found.error());
      ids = std::move(*found);
      return {};
    });
    if (!read)
      return fail(read.error());
    return ids;
  };
}

namespace json = boost::json;
using proto::rest::EventKind;

namespace {

// The first id of a run: above unix_ms * 1000, ≡ id_slot modulo id_stride.
std::uint64_t first_event_id(const Clock& clock, const EventHubOptions& o) {
  STRATUS_ASSERT(o.id_stride >= 1 && o.id_slot < o.id_stride, "event id slot outside its stride");
  const auto floor =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, unix_ms(clock.now()))) * 1000;
  return (floor / o.id_stride + 1) * o.id_stride + o.id_slot;
}

json::value role_value(std::string_view role) {
  if (role.empty())
    return nullptr;
  return json::string(role);
}

std::string_view role_in(const std::vector<std::pair<std::string, std::string>>& users,
                         std::string_view user_id) {
  for (const auto& [user, role] : users) {
    if (user == user_id)
      return role;
  }
  return {};
}

EventPtr control(std::string text) {
  auto e = std::make_shared<Event>();
  e->text = std::move(text);
  return e;
}

}  // namespace

std::string mapping_event_data(std::string_view role, std::string_view previous_role) {
  return json::serialize(
      json::object{{"role", role_value(role)}, {"previous_role", role_value(previous_role)}});
}

std::vector<EventDraft> access_change_events(
    std::string_view node_id, const std::vector<std::pair<std::string, std::string>>& before,
    const std::vector<std::pair<std::string, std::string>>& after, std::int64_t timestamp_ms) {
  std::vector<EventDraft> events;
  const auto add = [&](const std::string& user_id) {
    const auto now = role_in(after, user_id);
    const auto was = role_in(before, user_id);
    if (now == was)
      return;
    for (const auto& e : events) {
      if (e.user_ids.front() == user_id)
        return;
    }
    events.push_back(EventDraft{EventKind::mapping,
                                std::string(node_id),
                                {user_id},
                                timestamp_ms,
                                mapping_event_data(now, was),
                                true});
  };
  for (const auto& [user, role] : before)
    add(user);
  for (const auto& [user, role] : after)
    add(user);
  return events;
}

EventHub::EventHub(AccessLookup lookup, const Clock& clock, MetricsRegistry& metrics,
                   EventHubOptions options)
    : lookup_(std::move(lookup)),
      options_(options),
      published_(metrics.counter("stratus_events_published_total",
                                 "Events numbered by the hub (after their change committed).")),
      delivered_(metrics.counter("stratus_events_delivered_total",
                                 "Events handed to event streams and webhook queues.")),
      dropped_full_(metrics.counter("stratus_events_dropped_total",
                                    "Events or deliveries dropped, by reason.",
                                    {{"reason", "queue_full"}})),
      dropped_slow_(metrics.counter("stratus_events_dropped_total",
                                    "Events or deliveries dropped, by reason.",
                                    {{"reason", "slow_stream"}})),
      access_failures_(metrics.counter(
          "stratus_events_access_failures_total",
          "Rounds of access re-reads that failed; the users of the round saw no node's "
          "events until a re-read succeeded.")),
      subscriptions_gauge_(
          metrics.gauge("stratus_event_subscriptions", "Open event stream subscriptions.")),
      dispatch_seconds_(metrics.histogram(
          "stratus_events_dispatch_seconds",
          "Events from their publication until handed to every stream that wants them.",
          latency_bounds_seconds())),
      next_id_(first_event_id(clock, options_)),
      first_id_(next_id_),
      done_through_(next_id_ - options_.id_stride),
      dispatched_through_(next_id_ - options_.id_stride),
      refreshed_at_(std::chrono::steady_clock::now()) {}

EventHub::~EventHub() {
  stop();
}

void EventHub::start() {
  std::lock_guard lock(queue_mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] {
    core::name_this_thread("event-hub");
    run();
  });
}

void EventHub::stop() {
  {
    std::lock_guard lock(queue_mutex_);
    if (!thread_.joinable())
      return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::uint64_t EventHub::last_event_id() const {
  std::lock_guard lock(queue_mutex_);
  return next_id_ - options_.id_stride;
}

void EventHub::publish(std::vector<EventDraft> events) {
  if (events.empty())
    return;
  if (options_.relay && !events.front().relayed)
    options_.relay(events);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(queue_mutex_);
    if (queue_.size() + events.size() > options_.queue_limit) {
      dropped_full_.inc(events.size());
      record_loss("events were dropped: the server fell behind");
      return;
    }
    for (auto& draft : events) {
      auto e = std::make_shared<Event>();
      e->id = next_id_;
      next_id_ += options_.id_stride;
      e->kind = draft.kind;
      e->relayed = draft.relayed;
      e->text = proto::rest::event_json(e->id, draft.kind, draft.node_id, draft.timestamp_ms,
                                        draft.data_json);
      e->node_id = std::move(draft.node_id);
      e->user_ids = std::move(draft.user_ids);
      e->access_changed = draft.access_changed;
      e->published_at = now;
      EventPtr shared = std::move(e);
      ring_.push_back(shared);
      if (ring_.size() > options_.replay_events)
        ring_.pop_front();
      queue_.push_back(std::move(shared));
      ++queued_total_;
    }
  }
  published_.inc(events.size());
  wake_.notify_one();
}

bool EventHub::admit_relayed() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(queue_mutex_);
  if (user_streams_ > 0 || relayed_wanted_ > 0 ||
      now - last_user_stream_ended_ < options_.relayed_keep)
    return true;
  gap_after_ = next_id_;
  gap_ = Gap::relayed_left_out;
  return false;
}

void EventHub::lost(std::string_view what) {
  {
    std::lock_guard lock(queue_mutex_);
    record_loss("events were lost: " + std::string(what));
  }
  wake_.notify_one();
}

void EventHub::record_loss(std::string reason) {
  gap_after_ = next_id_;
  gap_ = Gap::lost;
  refresh_all_ = true;
  if (resync_queued_)
    return;
  // One past `queue_limit` at most: the open streams must hear of the loss.
  queue_.push_back(control(proto::rest::stream_resync_json(reason)));
  ++queued_total_;
  resync_queued_ = true;
}

void EventHub::user_stream_ended() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(queue_mutex_);
  --user_streams_;
  last_user_stream_ended_ = now;
}

bool EventHub::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mutex_);
  const auto target = next_id_ - options_.id_stride;
  const auto queued = queued_total_;
  return drained_.wait_for(lock, timeout,
                           [&] { return done_through_ >= target && dispatched_total_ >= queued; });
}

void EventHub::run() {
  std::vector<EventPtr> batch;
  std::unique_lock lock(queue_mutex_);
  while (true) {
    auto refresh_due = refreshed_at_ + options_.access_refresh;
    if (!access_unknown_.empty())
      refresh_due = std::min(refresh_due, access_retry_at_);
    wake_.wait_until(lock, refresh_due, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_)
      break;
    batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    resync_queued_ = false;  // a waiting one is in this batch
    const bool refresh_all = std::exchange(refresh_all_, false);
    lock.unlock();
    dispatch(batch, refresh_all);
    const auto dispatched = std::chrono::steady_clock::now();
    std::uint64_t newest = 0;
    for (const auto& e : batch) {
      if (e->id == 0)
        continue;  // a control message
      dispatch_seconds_.observe(
          std::chrono::duration<double>(dispatched - e->published_at).count());
      newest = e->id;
    }
    lock.lock();
    if (newest != 0)
      done_through_ = newest;
    dispatched_total_ += batch.size();
    batch.clear();
    drained_.notify_all();
  }
}

void EventHub::dispatch(const std::vector<EventPtr>& batch, bool refresh_all) {
  // Access first: a stream whose user just lost a node must not get this batch's
  // events about it, and one who gained a node should.
  std::unordered_set<std::string> changed;
  const auto now = std::chrono::steady_clock::now();
  if (refresh_all || now >= refreshed_at_ + options_.access_refresh) {
    refreshed_at_ = now;
    std::lock_guard lock(streams_mutex_);
    for (const auto& [id, stream] : streams_) {
      if (!stream.every_user)
        changed.insert(stream.user_id);
    }
  }
  if (!access_unknown_.empty() && now >= access_retry_at_)
    changed.insert(access_unknown_.begin(), access_unknown_.end());
  for (const auto& e : batch) {
    if (e->access_changed)
      changed.insert(e->user_ids.begin(), e->user_ids.end());
  }
  if (!changed.empty())
    refresh_access(changed);

  std::lock_guard lock(streams_mutex_);
  std::vector<std::uint64_t> dead;
  std::uint64_t delivered = 0;
  VisibleMemo memo;
  for (const auto& e : batch) {
    if (e->id == 0) {
      // A `resync` for every open user stream (record_loss), and for the consumers that
      // keep state from events.
      for (auto& [id, stream] : streams_) {
        if (stream.every_user ? !stream.with_losses : stream.consumer)
          continue;
        if (stream.sink(e))
          ++delivered;
        else
          dead.push_back(id);
      }
      for (const auto id : dead)
        remove(id);
      dropped_slow_.inc(dead.size());
      dead.clear();
      continue;
    }
    memo.clear();
    for (const auto& [id, stream] : by_kind_[static_cast<std::size_t>(e->kind)]) {
      if (!passes(*stream, *e, memo))
        continue;
      if (stream->sink(e)) {
        ++delivered;
      } else if (std::find(dead.begin(), dead.end(), id) == dead.end()) {
        dead.push_back(id);
      }
    }
    for (const auto id : dead)
      remove(id);
    dropped_slow_.inc(dead.size());
    dead.clear();
    dispatched_through_ = e->id;
  }
  delivered_.inc(delivered);
  subscriptions_gauge_.set(static_cast<std::int64_t>(streams_.size()));
}

void EventHub::refresh_access(const std::unordered_set<std::string>& users) {
  using NodeSet = std::shared_ptr<const std::unordered_set<std::string>>;
  std::vector<std::pair<std::string, NodeSet>> fresh;  // no set: the read failed
  std::vector<std::string> held;  // the users with a subscription here, or one being made
  {
    std::lock_guard lock(streams_mutex_);
    for (const auto& user : users) {
      if (const auto it = access_.find(user); it != access_.end()) {
        ++it->second.generation;  // a subscribe reading now reads again
        held.push_back(user);
      } else {
        access_unknown_.erase(user);  // nobody here to show anything to
      }
    }
  }
  std::vector<std::string> recovered;  // their streams saw nothing meanwhile: `resync`
  bool failing = false;
  for (const auto& user : held) {
    // After one failed read the rest are not tried (the database is most likely away,
    // and each try would hold up the dispatcher): they too see nothing until a retry.
    auto nodes = failing ? Result<std::vector<std::string>>(fail(errc::unavailable, "not tried"))
                         : lookup_(user);
    if (!nodes) {
      // Fail closed: a stale set may still hold a node whose revocation is what this
      // read was for. The user's streams see none of it until a read succeeds.
      if (!failing)
        access_failures_.inc();
      failing = true;
      if (access_unknown_.insert(user).second) {
        log::warn(log::Channel::service,
                  "events: cannot re-read the nodes of user_id={}: {}; its streams see no "
                  "node's events until a re-read succeeds",
                  user, nodes.error().message());
      }
      fresh.emplace_back(user, nullptr);
      continue;
    }
    if (access_unknown_.erase(user) > 0) {
      log::info(log::Channel::service, "events: the nodes of user_id={} were read again", user);
      recovered.push_back(user);
    }
    fresh.emplace_back(user, std::make_shared<const std::unordered_set<std::string>>(nodes->begin(),
                                                                                     nodes->end()));
  }
  // One retry time for every user waiting, moved only once it has come: failures between
  // retries (an access change for one user) do not put off the others' retry.
  const auto now = std::chrono::steady_clock::now();
  if (!access_unknown_.empty() && access_retry_at_ <= now)
    access_retry_at_ = now + options_.access_retry;
  std::lock_guard lock(streams_mutex_);
  for (auto& [id, stream] : streams_) {
    for (const auto& [user, nodes] : fresh) {
      if (stream.user_id == user)
        stream.visible = nodes;
    }
  }
  if (recovered.empty())
    return;
  const auto resync = control(
      proto::rest::stream_resync_json("events were withheld while your access could not be read"));
  std::vector<std::uint64_t> dead;
  for (auto& [id, stream] : streams_) {
    if (stream.every_user || stream.consumer ||
        std::find(recovered.begin(), recovered.end(), stream.user_id) == recovered.end())
      continue;
    if (!stream.sink(resync))
      dead.push_back(id);
  }
  for (const auto id : dead)
    remove(id);
  dropped_slow_.inc(dead.size());
}

bool EventHub::passes(const Stream& stream, const Event& event, VisibleMemo& memo) {
  if (event.id <= stream.skip_through || !stream.filter.wants(event.kind))
    return false;
  if (!stream.wanted.empty() && !event.node_id.empty() && !stream.wanted.contains(event.node_id))
    return false;
  if (event.relayed && (stream.consumer || (stream.every_user && !stream.with_relayed)))
    return false;  // its consumers ran where it was produced
  if (stream.every_user)
    return true;
  if (!event.user_ids.empty()) {
    return std::find(event.user_ids.begin(), event.user_ids.end(), stream.user_id) !=
           event.user_ids.end();
  }
  const auto* set = stream.visible.get();
  if (set == nullptr)
    return false;
  for (const auto& [seen, answer] : memo) {
    if (seen == set)
      return answer;
  }
  const bool answer = set->contains(event.node_id);
  memo.emplace_back(set, answer);
  return answer;
}

Result<std::unique_ptr<EventHub::Subscription>> EventHub::subscribe(std::string user_id,
                                                                    proto::rest::EventFilter filter,
                                                                    EventSink sink,
                                                                    SubscribeOptions options) {
  const bool user_stream = !options.consumer;
  if (user_stream) {
    // Counted before the user's nodes are read, under the lock `admit_relayed` takes:
    // relayed events (an access change among them) are taken from here on, and events
    // left out before this are seen as a gap below.
    std::lock_guard lock(queue_mutex_);
    ++user_streams_;
  }
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(streams_mutex_);
    auto& access = access_[user_id];
    ++access.holders;
    generation = access.generation;
  }
  const auto give_up = [&](bool streams_locked) {
    if (streams_locked) {
      release_access(user_id);
    } else {
      std::lock_guard lock(streams_mutex_);
      release_access(user_id);
    }
    if (user_stream)
      user_stream_ended();
  };

  // The user's nodes, read until no access change started a re-read meanwhile: an
  // answer read before a revocation committed must not replace the one read after it.
  std::shared_ptr<const std::unordered_set<std::string>> visible;
  std::unique_lock streams_lock(streams_mutex_, std::defer_lock);
  for (int attempt = 1;; ++attempt) {
    auto nodes = lookup_(user_id);
    if (!nodes) {
      log::warn(log::Channel::service, "events: stream of user_id={} not subscribed: {}", user_id,
                nodes.error().message());
      give_up(false);
      return fail(nodes.error());
    }
    visible = std::make_shared<const std::unordered_set<std::string>>(nodes->begin(), nodes->end());
    streams_lock.lock();
    const auto now = access_.at(user_id).generation;
    if (now == generation)
      break;
    generation = now;
    streams_lock.unlock();
    if (attempt == kAccessReadAttempts) {
      give_up(false);
      return fail(errc::unavailable, "the user's access kept changing; subscribe again");
    }
  }

  Stream stream;
  stream.user_id = user_id;  // `give_up` still needs `user_id`
  stream.wanted.insert(filter.node_ids.begin(), filter.node_ids.end());
  stream.visible = visible;
  stream.filter = std::move(filter);
  stream.sink = std::move(sink);
  stream.consumer = options.consumer;

  // The lookup just made is the newest answer for every stream of this user: they share it.
  // (Also while the dispatcher waits to re-read this user after a failure: its streams
  // then see events again before that retry, which still sends them `resync`.)
  for (auto& [other_id, other] : streams_) {
    if (other.user_id == stream.user_id)
      other.visible = stream.visible;
  }
  std::vector<EventPtr> replay;
  std::string resync;
  if (const auto last = stream.filter.last_event_id) {
    std::lock_guard lock(queue_mutex_);
    const std::uint64_t oldest = ring_.empty() ? next_id_ : ring_.front()->id;
    if (*last % options_.id_stride != options_.id_slot) {
      resync = "event " + std::to_string(*last) + " was sent by another instance";
    } else if (*last + options_.id_stride < first_id_) {
      resync = "the event stream restarted since event " + std::to_string(*last);
    } else if (*last >= next_id_) {
      resync = "unknown event id " + std::to_string(*last);
    } else if (gap_after_ > *last) {
      resync = gap_ == Gap::relayed_left_out
                   ? "events of other instances after event " + std::to_string(*last) +
                         " were not kept while this instance had no stream"
                   : "events after event " + std::to_string(*last) + " were lost";
    } else if (*last + options_.id_stride < oldest) {
      resync = "event " + std::to_string(*last) + " is older than the " +
               std::to_string(options_.replay_events) + " events kept for resuming";
    } else {
      // Events up to `dispatched_through_` are replayed here; later ones are still
      // queued and reach the stream live, except those the client already has.
      VisibleMemo memo;
      for (const auto& e : ring_) {
        memo.clear();
        if (e->id > *last && e->id <= dispatched_through_ && passes(stream, *e, memo))
          replay.push_back(e);
      }
      if (replay.size() + 1 > options.sink_capacity) {
        resync = "the " + std::to_string(replay.size()) + " events after event " +
                 std::to_string(*last) + " are more than the stream takes at once";
        replay.clear();
      } else {
        stream.skip_through = *last;
      }
    }
  }
  const bool resumed = stream.filter.last_event_id.has_value() && resync.empty();
  bool ok = true;
  for (const auto& e : replay)
    ok = ok && stream.sink(e);
  if (!options.consumer) {
    if (!resync.empty())
      ok = ok && stream.sink(control(proto::rest::stream_resync_json(resync)));
    ok = ok && stream.sink(control(proto::rest::stream_ready_json(dispatched_through_, resumed)));
  }
  if (!ok) {
    give_up(true);
    dropped_slow_.inc();
    return fail(errc::unavailable, "the event stream could not take its replay");
  }
  const auto id = next_stream_++;
  add(id, std::move(stream));
  return std::unique_ptr<Subscription>(new Subscription(*this, id));
}

void EventHub::want_relayed(bool wanted) {
  std::lock_guard lock(queue_mutex_);
  if (wanted)
    ++relayed_wanted_;
  else if (relayed_wanted_ > 0)
    --relayed_wanted_;
}

std::unique_ptr<EventHub::Subscription> EventHub::subscribe_all(proto::rest::EventFilter filter,
                                                                EventSink sink,
                                                                ConsumerOptions options) {
  Stream stream;
  stream.every_user = true;
  stream.with_relayed = options.with_relayed;
  stream.with_losses = options.with_losses;
  stream.wanted.insert(filter.node_ids.begin(), filter.node_ids.end());
  stream.filter = std::move(filter);
  stream.sink = std::move(sink);
  std::lock_guard lock(streams_mutex_);
  const auto id = next_stream_++;
  add(id, std::move(stream));
  return std::unique_ptr<Subscription>(new Subscription(*this, id));
}

void EventHub::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(streams_mutex_);
  remove(id);
}

void EventHub::add(std::uint64_t id, Stream stream) {
  auto& added = streams_.emplace(id, std::move(stream)).first->second;
  for (std::size_t k = 0; k < by_kind_.size(); ++k) {
    if (added.filter.wants(static_cast<proto::rest::EventKind>(k)))
      by_kind_[k].emplace_back(id, &added);
  }
  subscriptions_gauge_.set(static_cast<std::int64_t>(streams_.size()));
}

void EventHub::remove(std::uint64_t id) {
  const auto found = streams_.find(id);
  if (found == streams_.end())
    return;
  if (!found->second.every_user) {
    release_access(found->second.user_id);
    if (!found->second.consumer)
      user_stream_ended();
  }
  streams_.erase(found);
  for (auto& list : by_kind_) {
    const auto it =
        std::lower_bound(list.begin(), list.end(), id,
                         [](const auto& entry, std::uint64_t v) { return entry.first < v; });
    if (it != list.end() && it->first == id)
      list.erase(it);
  }
  subscriptions_gauge_.set(static_cast<std::int64_t>(streams_.size()));
}

void EventHub::release_access(const std::string& user) {
  const auto it = access_.find(user);
  if (it != access_.end() && --it->second.holders == 0)
    access_.erase(it);
}

EventHub::Subscription::~Subscription() {
  hub_.unsubscribe(id_);
}

}  // namespace stratus::service
