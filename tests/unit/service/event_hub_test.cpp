// The event hub's guarantees that the HTTP tests cannot time (docs/adr/0010, 0021, 0033):
// a consumer that acts (a webhook) is given only events committed on its own instance; a
// subscribe whose read of the user's nodes began before a revocation reads again, so the
// revoked node's events do not reach the new stream; a resume whose replay is more than
// the sink takes is answered `resync`; events dropped on a full queue, or reported lost,
// send `resync` to the open streams, to a resume from before them and to a consumer that
// asks for losses (in order), never to other consumers; a re-read of a
// user's nodes that fails withholds node events from that user until one succeeds, and
// then `resync`.
// How: the real EventHub with an access lookup the test controls, sinks that record.
#include "service/event_hub.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "core/metrics.hpp"

namespace stratus::service {
namespace {

namespace rest = proto::rest;
using namespace std::chrono_literals;

EventDraft params_of(std::string node_id, bool relayed = false) {
  EventDraft e;
  e.kind = rest::EventKind::params;
  e.node_id = std::move(node_id);
  e.timestamp_ms = 1700000000000;
  e.data_json = R"({"payload":{"L":{"P":true}}})";
  e.relayed = relayed;
  return e;
}

EventDraft revocation_of(std::string node_id, std::string user_id) {
  EventDraft e;
  e.kind = rest::EventKind::mapping;
  e.node_id = std::move(node_id);
  e.user_ids = {std::move(user_id)};
  e.timestamp_ms = 1700000000000;
  e.data_json = R"({"role":null,"previous_role":"primary"})";
  e.access_changed = true;
  return e;
}

// What a sink received, in order; thread-safe.
struct Received {
  std::mutex mutex;
  std::vector<EventPtr> events;

  EventSink sink() {
    return [this](const EventPtr& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
      return true;
    };
  }
  // Node ids of the numbered events, and "resync" / "ready" for control messages.
  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e->id != 0)
        out.push_back(e->node_id);
      else if (e->text.find("\"resync\"") != std::string::npos)
        out.emplace_back("resync");
      else if (e->text.find("\"ready\"") != std::string::npos)
        out.emplace_back("ready");
    }
    return out;
  }
};

// The nodes each user may see, changed by the test; a read of `blocked_user` waits until
// the test releases it, returning what it was when the read began.
class Access {
 public:
  AccessLookup lookup() {
    return [this](std::string_view user) -> Result<std::vector<std::string>> {
      std::unique_lock lock(mutex_);
      if (failing_)
        return fail(errc::unavailable, "the database is away");
      auto answer = nodes_[std::string(user)];
      if (user == blocked_user_) {
        blocked_user_.clear();
        waiting_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return released_; });
      }
      return answer;
    };
  }
  void set(const std::string& user, std::vector<std::string> nodes) {
    std::lock_guard lock(mutex_);
    nodes_[user] = std::move(nodes);
  }
  void fail_reads(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }
  void block_next_read_of(std::string user) {
    std::lock_guard lock(mutex_);
    blocked_user_ = std::move(user);
  }
  bool wait_until_blocked() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return waiting_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<std::string>> nodes_;
  std::string blocked_user_;
  bool waiting_ = false;
  bool released_ = false;
  bool failing_ = false;
};

struct Hub {
  explicit Hub(EventHubOptions options = {}, bool start = true)
      : clock(std::chrono::system_clock::time_point(1700000000000ms)),
        hub(access.lookup(), clock, metrics, std::move(options)) {
    access.set("u", {"n1", "n2"});
    if (start)
      hub.start();
  }
  ~Hub() { hub.stop(); }
  Access access;
  ManualClock clock;
  MetricsRegistry metrics;
  EventHub hub;
};

// Each instance of a cluster stages webhook deliveries for the events it committed; a
// relayed copy reaching a webhook here would deliver the event once per instance.
TEST(EventHub, AConsumerIsGivenOnlyEventsCommittedHereAndNoControlMessages) {
  EventHubOptions options;
  options.relayed_keep = 0ms;
  Hub h(options);
  Received consumer;
  auto sub = h.hub.subscribe("u", {}, consumer.sink(), SubscribeOptions{.consumer = true});
  ASSERT_TRUE(sub);
  EXPECT_FALSE(h.hub.admit_relayed()) << "a consumer is no stream to relay events to";
  Received stream;
  auto open = h.hub.subscribe("u", {}, stream.sink());
  ASSERT_TRUE(open);
  h.hub.publish({params_of("n1")});
  h.hub.publish({params_of("n2", true)});
  h.hub.lost("a relay message went missing");
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(consumer.seen(), (std::vector<std::string>{"n1"}));
  EXPECT_EQ(stream.seen(), (std::vector<std::string>{"ready", "n1", "n2", "resync"}));
}

// The race: a subscribe reads the user's nodes (n1 still among them), a revocation
// commits and its event is dispatched, and only then does the subscribe install what it
// read. The subscribe must see that its read may predate the revocation and read again.
TEST(EventHub, ASubscribeWhoseReadBeganBeforeARevocationReadsAgain) {
  Hub h;
  h.access.block_next_read_of("u");
  Received stream;
  Result<std::unique_ptr<EventHub::Subscription>> sub = fail(errc::internal, "not yet");
  std::thread subscriber([&] { sub = h.hub.subscribe("u", {}, stream.sink()); });
  ASSERT_TRUE(h.access.wait_until_blocked());  // the read began: n1 and n2

  h.access.set("u", {"n2"});  // n1 revoked, and its event dispatched
  h.hub.publish({revocation_of("n1", "u")});
  ASSERT_TRUE(h.hub.flush(5s));

  h.access.release();
  subscriber.join();
  ASSERT_TRUE(sub) << sub.error().message();
  h.hub.publish({params_of("n1"), params_of("n2")});
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(stream.seen(), (std::vector<std::string>{"ready", "n2"}))
      << "nothing about the revoked node";
}

// A revocation whose re-read fails: the stale set still holds the revoked node, so
// keeping it would show that node's events to the user it was taken from. The user's
// streams see no node's events until a re-read succeeds, and then `resync`.
TEST(EventHub, ARevocationWhoseReReadFailsWithholdsEventsUntilAReadSucceedsThenResyncs) {
  EventHubOptions options;
  options.access_retry = 20ms;
  Hub h(options);
  Received stream;
  auto sub = h.hub.subscribe("u", {}, stream.sink());
  ASSERT_TRUE(sub);

  h.access.set("u", {"n2"});
  h.access.fail_reads(true);
  h.hub.publish({revocation_of("n1", "u"), params_of("n1"), params_of("n2")});
  ASSERT_TRUE(h.hub.flush(5s));
  std::this_thread::sleep_for(100ms);  // retries, still failing
  h.hub.publish({params_of("n1")});
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(stream.seen(), (std::vector<std::string>{"ready", "n1"}))
      << "the revocation itself (addressed to the user), nothing about either node";

  h.access.fail_reads(false);
  for (int i = 0; i < 500 && stream.seen().size() < 3; ++i)
    std::this_thread::sleep_for(10ms);
  h.hub.publish({params_of("n1"), params_of("n2")});
  ASSERT_TRUE(h.hub.flush(5s));
  ASSERT_EQ(stream.seen(), (std::vector<std::string>{"ready", "n1", "resync", "n2"}));
  EXPECT_NE(stream.events[2]->text.find("withheld"), std::string::npos);
}

// A replay the sink cannot take at once would be refused half way, and the client would
// retry the same resume until the window moved past it: it is answered `resync` instead.
TEST(EventHub, AResumeWhoseReplayIsMoreThanTheSinkTakesResyncs) {
  Hub h;
  h.hub.publish({params_of("n1")});
  ASSERT_TRUE(h.hub.flush(5s));
  const auto from = h.hub.last_event_id();
  for (int i = 0; i < 10; ++i)
    h.hub.publish({params_of("n2")});
  ASSERT_TRUE(h.hub.flush(5s));

  rest::EventFilter resume;
  resume.last_event_id = from;
  Received small;
  auto a = h.hub.subscribe("u", resume, small.sink(), SubscribeOptions{.sink_capacity = 5});
  ASSERT_TRUE(a);
  EXPECT_EQ(small.seen(), (std::vector<std::string>{"resync", "ready"}));
  Received large;
  auto b = h.hub.subscribe("u", resume, large.sink(), SubscribeOptions{.sink_capacity = 11});
  ASSERT_TRUE(b);
  EXPECT_EQ(large.seen().size(), 11u) << "ten replayed, then ready";
  EXPECT_EQ(large.seen().back(), "ready");
}

// Events dropped because the dispatcher fell behind are numbered nowhere, so no stream
// could notice them missing: the open streams are told to resync, and so is a resume
// from before the drop; one from after it is replayed as usual.
TEST(EventHub, EventsDroppedOnAFullQueueResyncOpenStreamsAndEarlierResumes) {
  EventHubOptions options;
  options.queue_limit = 2;
  Hub h(options, /*start=*/false);
  Received stream;
  auto open = h.hub.subscribe("u", {}, stream.sink());
  ASSERT_TRUE(open);
  h.hub.publish({params_of("n1")});
  const auto before_drop = h.hub.last_event_id();
  h.hub.publish({params_of("n2")});
  h.hub.publish({params_of("n1"), params_of("n2")});  // over the limit: dropped
  h.hub.publish({params_of("n1")});                   // still over it with the resync queued
  h.hub.start();
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(stream.seen(), (std::vector<std::string>{"ready", "n1", "n2", "resync"}));
  EXPECT_NE(stream.events.back()->text.find("fell behind"), std::string::npos);

  rest::EventFilter resume;
  resume.last_event_id = before_drop;
  Received resumed;
  auto r = h.hub.subscribe("u", resume, resumed.sink());
  ASSERT_TRUE(r);
  EXPECT_EQ(resumed.seen(), (std::vector<std::string>{"resync", "ready"}));

  h.hub.publish({params_of("n1")});
  h.hub.publish({params_of("n2")});
  ASSERT_TRUE(h.hub.flush(5s));
  resume.last_event_id = h.hub.last_event_id() - 1;  // the n1 after the drop (stride 1)
  Received later;
  auto l = h.hub.subscribe("u", resume, later.sink());
  ASSERT_TRUE(l);
  EXPECT_EQ(later.seen(), (std::vector<std::string>{"n2", "ready"}));
}

// A consumer that keeps state from events (automations) may ask for the losses: it gets
// the `resync` in order, after the events before the drop and before the ones after it.
// Other consumers (alert mail, OTA) get none.
TEST(EventHub, AConsumerWithLossesGetsTheResyncInOrder) {
  EventHubOptions options;
  options.queue_limit = 2;
  Hub h(options, /*start=*/false);
  Received with_losses, without;
  auto a = h.hub.subscribe_all({}, with_losses.sink(), ConsumerOptions{false, true});
  auto b = h.hub.subscribe_all({}, without.sink());
  h.hub.publish({params_of("n1")});
  h.hub.publish({params_of("n2")});
  h.hub.publish({params_of("n3")});  // over the limit: dropped
  h.hub.start();
  ASSERT_TRUE(h.hub.flush(5s));
  h.hub.publish({params_of("n4")});
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(with_losses.seen(), (std::vector<std::string>{"n1", "n2", "resync", "n4"}));
  EXPECT_EQ(without.seen(), (std::vector<std::string>{"n1", "n2", "n4"}));
  h.hub.lost("a relay message never came");
  h.hub.publish({params_of("n5")});
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(with_losses.seen().size(), 6u);
  EXPECT_EQ(with_losses.seen()[4], "resync");
  EXPECT_EQ(without.seen().back(), "n5");
}

// A revocation dropped with a full queue: the loss makes the next batch re-read every
// stream's access, so the revoked node's events stop then, not at the periodic refresh
// (here an hour away).
TEST(EventHub, ALostRevocationIsCaughtByTheNextBatch) {
  EventHubOptions options;
  options.queue_limit = 2;
  options.access_refresh = std::chrono::hours(1);
  Hub h(options, /*start=*/false);
  Received stream;
  auto sub = h.hub.subscribe("u", {}, stream.sink());
  ASSERT_TRUE(sub);
  h.hub.publish({params_of("n1")});
  h.hub.publish({params_of("n2")});
  h.access.set("u", {"n2"});  // n1 taken from u; its event is dropped: the queue is full
  h.hub.publish({revocation_of("n1", "u")});
  h.hub.start();
  ASSERT_TRUE(h.hub.flush(5s));
  h.hub.publish({params_of("n1"), params_of("n2")});
  ASSERT_TRUE(h.hub.flush(5s));
  const auto seen = stream.seen();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "resync"), 1) << "the loss is told";
  EXPECT_EQ(seen.back(), "n2") << "nothing about n1 after the loss";
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "n1"), 0)
      << "the batch that carried the loss re-read access before its events";
}

}  // namespace
}  // namespace stratus::service
