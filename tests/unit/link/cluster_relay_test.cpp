// The relay between the instances of a cluster (docs/adr/0021): the codec at its
// boundaries (every error, splitting by size, an event too large alone), the event hub's
// id slots (ids never collide across instances; a stream resuming with another
// instance's id is told to resync), relayed events reaching streams but not the
// consumers that act, and `ClusterRelay` over a recording MQTT client.
// How: pure functions; the real EventHub with a fixed access lookup; a fake mqtt::Client.
#include "link/cluster_relay.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "support/recording_mqtt_client.hpp"

namespace stratus::link {
namespace {

namespace rest = proto::rest;
using namespace std::chrono_literals;
using service::Cached;
using service::EventDraft;
using service::EventHub;
using service::EventHubOptions;
using service::EventPtr;

EventDraft draft(std::string node_id, std::string data = R"({"payload":{"L":{"P":true}}})") {
  EventDraft e;
  e.kind = rest::EventKind::params;
  e.node_id = std::move(node_id);
  e.timestamp_ms = 1700000000000;
  e.data_json = std::move(data);
  return e;
}

TEST(RelayCodec, EventsRoundTripWithEveryField) {
  EventDraft e = draft("n\"1");
  e.kind = rest::EventKind::mapping;
  e.user_ids = {"u1", "u\\2"};
  e.access_changed = true;
  e.data_json = R"({"role":"primary","previous_role":null})";
  std::size_t too_large = 0;
  const auto batches = encode_relay_events({e, draft("n2")}, kMaxRelayMessageBytes, too_large);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].events, 2u);
  EXPECT_EQ(too_large, 0u);
  auto parsed = parse_relay_message(batches[0].payload);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->events.size(), 2u);
  const auto& back = parsed->events[0];
  EXPECT_TRUE(back.relayed);
  EXPECT_EQ(back.kind, rest::EventKind::mapping);
  EXPECT_EQ(back.node_id, "n\"1");
  EXPECT_EQ(back.user_ids, (std::vector<std::string>{"u1", "u\\2"}));
  EXPECT_EQ(back.timestamp_ms, 1700000000000);
  EXPECT_EQ(boost::json::parse(back.data_json), boost::json::parse(e.data_json));
  EXPECT_TRUE(back.access_changed);
  EXPECT_TRUE(parsed->events[1].user_ids.empty());
  EXPECT_FALSE(parsed->events[1].access_changed);
}

TEST(RelayCodec, BatchesSplitAtTheSizeLimitAndAnOversizedEventIsLeftOut) {
  const std::string big = R"({"payload":")" + std::string(300, 'x') + R"("})";
  std::vector<EventDraft> events;
  for (int i = 0; i < 10; ++i)
    events.push_back(draft("n" + std::to_string(i), big));
  events.insert(events.begin() + 5, draft("huge", R"({"p":")" + std::string(5000, 'y') + R"("})"));
  std::size_t too_large = 0;
  const auto batches = encode_relay_events(events, 1024, too_large);
  EXPECT_EQ(too_large, 1u);
  std::size_t total = 0;
  std::vector<std::string> order;
  for (const auto& b : batches) {
    EXPECT_LE(b.payload.size(), 1024u);
    auto parsed = parse_relay_message(b.payload);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->events.size(), b.events);
    for (const auto& e : parsed->events)
      order.push_back(e.node_id);
    total += b.events;
  }
  EXPECT_EQ(total, 10u);
  EXPECT_GT(batches.size(), 1u);
  EXPECT_EQ(order.front(), "n0");
  EXPECT_EQ(order.back(), "n9");
  EXPECT_TRUE(encode_relay_events({}, 1024, too_large).empty());
}

TEST(RelayCodec, ChangesRoundTrip) {
  for (const auto what : {Cached::webhook, Cached::automation}) {
    auto parsed = parse_relay_message(encode_relay_change(what, "id-\"1"));
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->changes.size(), 1u);
    EXPECT_EQ(parsed->changes[0].first, what);
    EXPECT_EQ(parsed->changes[0].second, "id-\"1");
    EXPECT_TRUE(parsed->events.empty());
  }
}

TEST(RelayCodec, RateCountsRoundTrip) {
  using service::RateLimit;
  for (const auto limit : {RateLimit::login_failures_per_user, RateLimit::attempts_per_address,
                           RateLimit::codes_per_user}) {
    for (const bool reset : {false, true}) {
      auto parsed = parse_relay_message(encode_relay_rate(limit, "a\"b@example.com", reset));
      ASSERT_TRUE(parsed);
      ASSERT_EQ(parsed->rates.size(), 1u);
      EXPECT_EQ(parsed->rates[0].limit, limit);
      EXPECT_EQ(parsed->rates[0].key, "a\"b@example.com");
      EXPECT_EQ(parsed->rates[0].reset, reset);
    }
  }
  auto no_reset = parse_relay_message(R"({"rates":[{"limit":"codes_per_user","key":"k"}]})");
  ASSERT_TRUE(no_reset);
  EXPECT_FALSE(no_reset->rates.at(0).reset);
}

TEST(RelayCodec, ExpectedNodesRoundTrip) {
  auto parsed = parse_relay_message(encode_relay_expected("node-\"1\\"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->expected, (std::vector<std::string>{"node-\"1\\"}));
  EXPECT_TRUE(parsed->events.empty() && parsed->changes.empty() && parsed->rates.empty());
  auto two = parse_relay_message(R"({"expected":["a","b"],"changed":[]})");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->expected, (std::vector<std::string>{"a", "b"}));
}

TEST(RelayCodec, EveryMalformedMessageIsRefused) {
  const std::string ok_event = R"({"kind":"alert","node_id":"n","timestamp":1,"data":{}})";
  ASSERT_TRUE(parse_relay_message(R"({"events":[)" + ok_event + "]}"));
  std::string too_many = R"({"events":[)";
  for (std::size_t i = 0; i <= kMaxRelayItems; ++i)
    too_many += (i == 0 ? "" : ",") + ok_event;
  too_many += "]}";
  for (
      const std::string& bad : std::vector<std::string>{
          std::string("not json"),
          std::string("[]"),
          std::string("{}"),
          std::string(R"({"events":{}})"),
          std::string(R"({"changed":"x"})"),
          std::string(R"({"events":[1]})"),
          std::string(R"({"events":[{"node_id":"n","timestamp":1,"data":{}}]})"),
          std::string(R"({"events":[{"kind":"nope","node_id":"n","timestamp":1,"data":{}}]})"),
          std::string(R"({"events":[{"kind":"alert","node_id":1,"timestamp":1,"data":{}}]})"),
          std::string(R"({"events":[{"kind":"alert","node_id":"n","timestamp":"1","data":{}}]})"),
          std::string(R"({"events":[{"kind":"alert","node_id":"n","timestamp":1.5,"data":{}}]})"),
          std::string(
              R"({"events":[{"kind":"alert","node_id":"n","timestamp":18446744073709551615,"data":{}}]})"),
          std::string(R"({"events":[{"kind":"alert","node_id":"n","timestamp":1,"data":"x"}]})"),
          std::string(R"({"events":[{"kind":"alert","node_id":"n","timestamp":1}]})"),
          std::string(
              R"({"events":[{"kind":"alert","node_id":"n","timestamp":1,"data":{},"user_ids":"u"}]})"),
          std::string(
              R"({"events":[{"kind":"alert","node_id":"n","timestamp":1,"data":{},"user_ids":[1]}]})"),
          std::string(
              R"({"events":[{"kind":"alert","node_id":"n","timestamp":1,"data":{},"access_changed":1}]})"),
          std::string(R"({"changed":[{"what":"group","id":"1"}]})"),
          std::string(R"({"changed":[{"what":"webhook"}]})"),
          std::string(R"({"changed":[{"what":"webhook","id":7}]})"),
          std::string(R"({"changed":[[]]})"),
          std::string(R"({"rates":{}})"),
          std::string(R"({"rates":[1]})"),
          std::string(R"({"rates":[{"limit":"logins","key":"k"}]})"),
          std::string(R"({"rates":[{"limit":"codes_per_user"}]})"),
          std::string(R"({"rates":[{"limit":"codes_per_user","key":1}]})"),
          std::string(R"({"rates":[{"limit":"codes_per_user","key":"k","reset":"yes"}]})"),
          std::string(R"({"expected":"n"})"),
          std::string(R"({"expected":[1]})"),
          std::string(R"({"expected":[""]})"),
          std::string(R"({"expected":["n",null]})"),
          too_many,
      }) {
    auto parsed = parse_relay_message(bad);
    ASSERT_FALSE(parsed) << bad.substr(0, 200);
    EXPECT_EQ(parsed.error().code, errc::invalid_argument);
  }
}

// The hub of one instance, every user seeing every node.
struct Hub {
  explicit Hub(EventHubOptions options)
      : clock(std::chrono::system_clock::time_point(1700000000000ms)),
        hub(
            [](std::string_view) -> Result<std::vector<std::string>> {
              return std::vector<std::string>{"n1", "n2"};
            },
            clock, metrics, std::move(options)) {
    hub.start();
  }
  ~Hub() { hub.stop(); }
  ManualClock clock;
  MetricsRegistry metrics;
  EventHub hub;
};

void collect(std::vector<EventPtr>& into, std::mutex& m, const EventPtr& e) {
  std::lock_guard lock(m);
  into.push_back(e);
}

TEST(RelayHub, IdsOfEachSlotNeverMeetAndAStreamResumingElsewhereResyncs) {
  EventHubOptions slot1;
  slot1.id_stride = 16;
  slot1.id_slot = 1;
  EventHubOptions slot2 = slot1;
  slot2.id_slot = 2;
  Hub a(slot1);
  Hub b(slot2);
  a.hub.publish({draft("n1"), draft("n2")});
  b.hub.publish({draft("n1")});
  ASSERT_TRUE(a.hub.flush(5s));
  ASSERT_TRUE(b.hub.flush(5s));
  const auto last_a = a.hub.last_event_id();
  const auto last_b = b.hub.last_event_id();
  EXPECT_EQ(last_a % 16, 1u);
  EXPECT_EQ(last_b % 16, 2u);
  EXPECT_GT(last_a, 1700000000000ull * 1000);

  // Resuming on A with A's own id: a replay, no resync. With B's id: a resync.
  std::mutex m;
  std::vector<EventPtr> got;
  rest::EventFilter own;
  own.last_event_id = last_a - 16;
  auto sub = a.hub.subscribe("u", own, [&](const EventPtr& e) {
    collect(got, m, e);
    return true;
  });
  ASSERT_TRUE(sub);
  {
    std::lock_guard lock(m);
    ASSERT_EQ(got.size(), 2u);  // the last event, then ready
    EXPECT_EQ(got[0]->id, last_a);
    EXPECT_NE(got[1]->text.find("\"ready\""), std::string::npos);
    got.clear();
  }
  rest::EventFilter foreign;
  foreign.last_event_id = last_b;
  auto other = a.hub.subscribe("u", foreign, [&](const EventPtr& e) {
    collect(got, m, e);
    return true;
  });
  ASSERT_TRUE(other);
  std::lock_guard lock(m);
  ASSERT_FALSE(got.empty());
  EXPECT_NE(got[0]->text.find("resync"), std::string::npos) << got[0]->text;
  EXPECT_NE(got[0]->text.find("another instance"), std::string::npos) << got[0]->text;
}

TEST(RelayHub, RelayedEventsReachStreamsButNotConsumersAndAreNotSentBack) {
  std::mutex m;
  std::vector<std::vector<EventDraft>> forwarded;
  EventHubOptions options;
  options.relay = [&](const std::vector<EventDraft>& drafts) {
    std::lock_guard lock(m);
    forwarded.push_back(drafts);
  };
  Hub h(options);
  std::vector<EventPtr> stream;
  std::vector<EventPtr> consumer;
  auto s = h.hub.subscribe("u", {}, [&](const EventPtr& e) {
    collect(stream, m, e);
    return true;
  });
  ASSERT_TRUE(s);
  auto c = h.hub.subscribe_all({}, [&](const EventPtr& e) {
    collect(consumer, m, e);
    return true;
  });
  auto local = draft("n1");
  auto relayed = draft("n2");
  relayed.relayed = true;
  h.hub.publish({local});
  h.hub.publish({relayed});
  ASSERT_TRUE(h.hub.flush(5s));
  std::lock_guard lock(m);
  ASSERT_EQ(forwarded.size(), 1u) << "only the local batch goes to the other instances";
  EXPECT_EQ(forwarded[0].at(0).node_id, "n1");
  ASSERT_EQ(consumer.size(), 1u);
  EXPECT_EQ(consumer[0]->node_id, "n1");
  std::vector<std::string> streamed;
  for (const auto& e : stream) {
    if (e->id != 0)
      streamed.push_back(e->node_id);
  }
  EXPECT_EQ(streamed, (std::vector<std::string>{"n1", "n2"}));
}

// Relayed events are taken while a user stream is open and for `relayed_keep` after the
// last one ended (docs/adr/0033); consumers (`subscribe_all`) do not count. Once they have
// been left out, a stream resuming from an event before that moment is told to resync,
// and one resuming from a later event is replayed as usual.
TEST(RelayHub, RelayedEventsAreTakenOnlyNearStreamsAndAResumeAcrossTheGapResyncs) {
  EventHubOptions options;
  options.relayed_keep = 0ms;
  Hub h(options);
  EXPECT_FALSE(h.hub.admit_relayed()) << "no stream has ever been open";
  auto consumer = h.hub.subscribe_all({}, [](const EventPtr&) { return true; });
  EXPECT_FALSE(h.hub.admit_relayed()) << "a consumer does not take relayed events";

  h.hub.publish({draft("n1")});
  ASSERT_TRUE(h.hub.flush(5s));
  const auto before_gap = h.hub.last_event_id();
  auto stream = h.hub.subscribe("u", {}, [](const EventPtr&) { return true; });
  ASSERT_TRUE(stream);
  EXPECT_TRUE(h.hub.admit_relayed()) << "a stream is open";
  stream->reset();
  EXPECT_FALSE(h.hub.admit_relayed()) << "the last stream ended and nothing is kept after it";
  h.hub.publish({draft("n2")});
  ASSERT_TRUE(h.hub.flush(5s));
  const auto after_gap = h.hub.last_event_id();

  std::vector<EventPtr> got;
  const auto resume = [&](std::uint64_t last) {
    rest::EventFilter filter;
    filter.last_event_id = last;
    got.clear();  // the sink runs inside `subscribe` only: nothing is published meanwhile
    return h.hub.subscribe("u", filter, [&](const EventPtr& e) {
      got.push_back(e);
      return true;
    });
  };
  {
    auto resumed = resume(before_gap);
    ASSERT_TRUE(resumed);
    ASSERT_FALSE(got.empty());
    EXPECT_NE(got[0]->text.find("resync"), std::string::npos) << got[0]->text;
    EXPECT_NE(got[0]->text.find("other instances"), std::string::npos) << got[0]->text;
  }
  {
    auto resumed = resume(after_gap);
    ASSERT_TRUE(resumed);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0]->text.find("\"ready\""), std::string::npos) << got[0]->text;
  }

  EventHubOptions kept;  // the default keeps them for minutes after the last stream
  Hub k(kept);
  auto brief = k.hub.subscribe("u", {}, [](const EventPtr&) { return true; });
  ASSERT_TRUE(brief);
  brief->reset();
  EXPECT_TRUE(k.hub.admit_relayed()) << "a client that reconnects soon resumes as usual";
}

using test::RecordingClient;

// The key the instances of the tests' cluster share.
const std::string kKey = "the cluster's relay key";
constexpr std::string_view kOther = "$stratus/relay/5";  // another instance's topic

std::int64_t now_ms() {
  return unix_ms(std::chrono::system_clock::now());
}

// `payload` as the instance on `topic` sends it: sealed with its next number, now.
std::string sealed(std::string_view topic, std::string payload, std::int64_t sent_ms = now_ms()) {
  static std::mutex m;
  static std::map<std::string, std::uint64_t, std::less<>> numbers;
  std::uint64_t number = 0;
  {
    std::lock_guard lock(m);
    number = ++numbers[std::string(topic)];
  }
  auto out = seal_relay_message(kKey, topic, std::move(payload), number, sent_ms);
  EXPECT_TRUE(out) << out.error().message();
  return out ? *out : std::string();
}

// What a relay sent, its seal checked and taken off.
std::string body_of(const RecordingClient::Sent& sent) {
  const auto opened = open_relay_message(kKey, sent.topic, sent.payload);
  EXPECT_TRUE(opened) << sent.payload.substr(0, 200);
  return opened ? std::string(opened->payload) : std::string();
}

// What a relay sent, as the instance on `topic` would have sent it.
std::string as_from(std::string_view topic, const RecordingClient::Sent& sent) {
  return sealed(topic, body_of(sent));
}

// A user stream on `hub` and what it got, in order: an event's node id, "resync", or
// "ctl" for the other control messages.
class StreamLog {
 public:
  explicit StreamLog(EventHub& hub)
      : stream_(hub.subscribe("u", {}, [this](const EventPtr& e) {
          collect(got_, m_, e);
          return true;
        })) {}
  [[nodiscard]] bool open() const { return stream_.has_value(); }
  // `with_control`: also the control messages.
  std::vector<std::string> seen(bool with_control = true) {
    std::lock_guard lock(m_);
    std::vector<std::string> out;
    for (const auto& e : got_) {
      if (e->id != 0)
        out.push_back(e->node_id);
      else if (with_control)
        out.emplace_back(e->text.find("resync") != std::string::npos ? "resync" : "ctl");
    }
    return out;
  }

 private:
  std::mutex m_;
  std::vector<EventPtr> got_;
  Result<std::unique_ptr<EventHub::Subscription>> stream_;  // last: unsubscribed first
};

TEST(ClusterRelayTest, SendsOnItsSlotTopicTakesOthersAndIgnoresItsOwn) {
  RecordingClient client;
  ClusterRelay* relay_ptr = nullptr;
  EventHubOptions options;
  options.relay = [&](const std::vector<EventDraft>& d) { relay_ptr->forward(d); };
  Hub h(options);
  std::vector<std::pair<Cached, std::string>> changes;
  std::vector<std::string> counted;
  std::vector<std::string> expected;
  ClusterRelay::Handlers handlers;
  handlers.expected = [&](std::string node_id) { expected.push_back(std::move(node_id)); };
  handlers.changed = [&](Cached what, std::string id) { changes.emplace_back(what, id); };
  handlers.counted = [&](service::RateLimit, std::string key, bool reset) {
    counted.push_back(key + (reset ? " reset" : ""));
  };
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, std::move(handlers));
  relay_ptr = &relay;
  ASSERT_EQ(client.filters, (std::vector<std::string>{std::string(kClusterTopicFilter)}));
  auto stream = h.hub.subscribe("u", {}, [](const EventPtr&) { return true; });
  ASSERT_TRUE(stream) << "a stream here, so that relayed events are taken";

  h.hub.publish({draft("n1")});
  relay.changed(Cached::automation, "auto-1");
  ASSERT_EQ(client.sent.size(), 2u);
  EXPECT_TRUE(client.sent[0].topic.starts_with("$stratus/relay/3-")) << client.sent[0].topic;
  EXPECT_EQ(client.sent[0].topic, relay.topic());
  EXPECT_EQ(client.sent[0].qos, 1);
  EXPECT_FALSE(client.sent[0].retain);
  EXPECT_TRUE(parse_relay_message(body_of(client.sent[0])));

  // Its own messages come back from the broker: ignored. Another instance's: taken.
  relay.on_message({relay.topic(), client.sent[1].payload, 1, false});
  EXPECT_TRUE(changes.empty());
  relay.on_message({std::string(kOther), as_from(kOther, client.sent[1]), 1, false});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].second, "auto-1");
  relay.counted(service::RateLimit::attempts_per_address, "10.0.0.1", false);
  relay.on_message({std::string(kOther), as_from(kOther, client.sent.back()), 1, false});
  EXPECT_EQ(counted, (std::vector<std::string>{"10.0.0.1"}));
  relay.expected("lamp-1");
  EXPECT_EQ(client.sent.back().topic, relay.topic());
  relay.on_message({relay.topic(), client.sent.back().payload, 1, false});
  EXPECT_TRUE(expected.empty()) << "its own set is already marked here";
  relay.on_message({std::string(kOther), as_from(kOther, client.sent.back()), 1, false});
  EXPECT_EQ(expected, (std::vector<std::string>{"lamp-1"}));
  relay.on_message({std::string(kOther), sealed(kOther, "garbage"), 1, false});
  const auto sent_before = client.sent.size();
  relay.on_message({std::string(kOther), as_from(kOther, client.sent[0]), 1, false});
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(client.sent.size(), sent_before) << "a relayed event went back out";

  // A broker that is away: the events stay local, and the loss is counted.
  client.up = false;
  h.hub.publish({draft("n2")});
  const auto text = h.metrics.render_prometheus();
  EXPECT_NE(text.find(R"(stratus_cluster_relay_dropped_total{reason="unsent"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(stratus_cluster_relay_dropped_total{reason="malformed"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find("stratus_cluster_relay_received_total 4"), std::string::npos);
}

// The relay takes its subscriber's messages itself (stratusd's publishing connection, with
// no node traffic to wait behind), ignores other topics there, and drops a message larger
// than any sender builds; one of the largest size a sender builds is taken whole (the node
// link's 64 KiB limit used to drop those).
TEST(ClusterRelayTest, TakesItsSubscribersMessagesUpToTheLargestASenderBuilds) {
  RecordingClient client;
  Hub h(EventHubOptions{});
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, {});
  ASSERT_TRUE(client.handler) << "the relay took the subscriber's messages";
  auto stream = h.hub.subscribe("u", {}, [](const EventPtr&) { return true; });
  ASSERT_TRUE(stream);

  std::vector<EventDraft> many;
  for (int i = 0; i < 4000; ++i)
    many.push_back(draft("node-" + std::to_string(i)));
  std::size_t too_large = 0;
  const auto batches =
      encode_relay_events(many, kMaxRelayMessageBytes - kRelaySealBytes, too_large);
  ASSERT_GE(batches.size(), 2u);
  const auto largest = sealed(kOther, batches.front().payload);
  ASSERT_GT(largest.size(), 64u * 1024) << "over the node link's old limit";
  ASSERT_LE(largest.size(), kMaxRelayMessageBytes);
  ASSERT_GT(largest.size(), kMaxRelayMessageBytes - 1024) << "about the largest a sender builds";
  client.handler({std::string(kOther), largest, 1, false});
  client.handler({"node/x/params/local", largest, 1, false});  // not the relay's
  client.handler({std::string(kOther), std::string(kMaxRelayMessageBytes + 1, ' '), 1, false});
  ASSERT_TRUE(h.hub.flush(5s));
  const auto text = h.metrics.render_prometheus();
  EXPECT_NE(
      text.find("stratus_cluster_relay_received_total " + std::to_string(batches.front().events)),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(stratus_cluster_relay_dropped_total{reason="too_large"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(stratus_cluster_relay_dropped_total{reason="malformed"} 0)"),
            std::string::npos)
      << text;
}

// The node ids a relay message carries, in order.
std::vector<std::string> nodes_of(const RecordingClient::Sent& sent) {
  auto parsed = parse_relay_message(body_of(sent));
  EXPECT_TRUE(parsed) << parsed.error().message();
  std::vector<std::string> ids;
  if (parsed) {
    for (const auto& e : parsed->events)
      ids.push_back(e.node_id);
  }
  return ids;
}

std::string metric(const MetricsRegistry& metrics, const std::string& series) {
  const auto text = metrics.render_prometheus();
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos)
    return "absent";
  const auto start = at + series.size() + 2;
  return text.substr(start, text.find('\n', start) - start);
}

// Events are paced by the broker's PUBACKs (docs/adr/0029): an idle relay sends at once,
// a full window holds what is committed meanwhile, and the next PUBACK sends it all, in
// order, in one message. The subscription asks the broker not to echo this instance's
// own messages.
TEST(ClusterRelayTest, PacesEventsByThePubacksOfItsWindow) {
  RecordingClient client;
  Hub h(EventHubOptions{});
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, {});
  ASSERT_EQ(client.subscribe_options.size(), 1u);
  EXPECT_TRUE(client.subscribe_options[0].no_local);

  relay.forward({draft("n0")});
  relay.forward({draft("n1")});
  ASSERT_EQ(client.sent.size(), kRelayWindow) << "an idle relay sends at once";
  relay.forward({draft("n2"), draft("n3")});
  relay.forward({draft("n4")});
  EXPECT_EQ(client.sent.size(), kRelayWindow) << "a full window waits";
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_waiting_events"), "3");
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_sent_total"), "2");

  client.sent[0].on_left();
  ASSERT_EQ(client.sent.size(), 3u);
  EXPECT_EQ(client.sent[2].topic, relay.topic());
  EXPECT_EQ(client.sent[2].qos, 1);
  EXPECT_EQ(nodes_of(client.sent[2]), (std::vector<std::string>{"n2", "n3", "n4"}));
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_waiting_events"), "0");
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_sent_total"), "5");

  // Change notices are not paced: they go out at once even with the window full.
  relay.forward({draft("n5")});
  relay.changed(Cached::webhook, "w1");
  ASSERT_EQ(client.sent.size(), 4u);
  EXPECT_TRUE(parse_relay_message(body_of(client.sent[3]))->changes.size() == 1);
  client.sent[1].on_left();
  client.sent[2].on_left();
  ASSERT_EQ(client.sent.size(), 5u);
  EXPECT_EQ(nodes_of(client.sent[4]), (std::vector<std::string>{"n5"}));
  client.sent[4].on_left();
  relay.forward({draft("n6")});
  ASSERT_EQ(client.sent.size(), 6u) << "idle again: at once";
}

// A message whose PUBACK never comes (lost with its connection) stops the relay for no
// longer than the stall timeout; its late PUBACK then changes nothing.
TEST(ClusterRelayTest, AFullWindowThatStallsIsGivenUpAfterTheTimeout) {
  RecordingClient client;
  Hub h(EventHubOptions{});
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, {}, 0ms);
  relay.forward({draft("n0")});
  relay.forward({draft("n1")});
  ASSERT_EQ(client.sent.size(), 2u);
  relay.forward({draft("n2")});
  ASSERT_EQ(client.sent.size(), 3u) << "the stalled window was given up";
  EXPECT_EQ(nodes_of(client.sent[2]), (std::vector<std::string>{"n2"}));
  client.sent[0].on_left();  // late: from before the reset
  client.sent[1].on_left();
  EXPECT_EQ(client.sent.size(), 3u);
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_waiting_events"), "0");
}

// What waits is bounded: beyond kMaxRelayBacklogBytes new events are dropped and counted;
// a PUBACK that arrives after the relay is gone does nothing.
TEST(ClusterRelayTest, WaitingEventsAreBoundedAndLatePubacksAreHarmless) {
  RecordingClient client;
  Hub h(EventHubOptions{});
  auto relay =
      std::make_unique<ClusterRelay>(client, h.hub, 3, kKey, h.metrics, ClusterRelay::Handlers{});
  relay->forward({draft("n0"), draft("n1")});
  ASSERT_EQ(client.sent.size(), 1u) << "one message carries both";
  relay->forward({draft("n2")});
  ASSERT_EQ(client.sent.size(), 2u);
  const std::string data = R"({"p":")" + std::string(100 * 1024, 'x') + R"("})";
  std::vector<EventDraft> big;
  const std::size_t fit = kMaxRelayBacklogBytes / (data.size() + 100);
  for (std::size_t i = 0; i < fit + 3; ++i)
    big.push_back(draft("b" + std::to_string(i), data));
  relay->forward(big);
  EXPECT_EQ(client.sent.size(), 2u);
  const auto dropped =
      std::stoul(metric(h.metrics, R"(stratus_cluster_relay_dropped_total{reason="backlog"})"));
  const auto waiting = std::stoul(metric(h.metrics, "stratus_cluster_relay_waiting_events"));
  EXPECT_GE(dropped, 3u);
  EXPECT_EQ(waiting + dropped, big.size());

  auto on_left = client.sent[0].on_left;
  relay.reset();
  on_left();  // the relay is gone: nothing to do, nothing touched
  EXPECT_EQ(client.sent.size(), 2u);
}

// With no stream here a message of another instance's events is counted and not decoded
// (nothing enters the hub), while its notices still are; with a stream open, events are.
TEST(ClusterRelayTest, EventsAreNotDecodedWhileNoStreamIsOpenHere) {
  RecordingClient client;
  EventHubOptions options;
  options.relayed_keep = 0ms;
  Hub h(options);
  std::vector<std::string> changes;
  ClusterRelay::Handlers handlers;
  handlers.changed = [&](Cached, std::string id) { changes.push_back(std::move(id)); };
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, std::move(handlers));
  std::size_t too_large = 0;
  const auto events =
      encode_relay_events({draft("n1"), draft("n2")}, kMaxRelayMessageBytes, too_large);
  ASSERT_EQ(events.size(), 1u);
  const auto before = h.hub.last_event_id();

  relay.on_message({std::string(kOther), sealed(kOther, events[0].payload), 1, false});
  relay.on_message(
      {std::string(kOther), sealed(kOther, encode_relay_change(Cached::webhook, "w1")), 1, false});
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(h.hub.last_event_id(), before) << "no event numbered";
  EXPECT_EQ(changes, (std::vector<std::string>{"w1"}));
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_skipped_total"), "1");
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_received_total"), "1");

  std::mutex m;
  std::vector<std::string> streamed;
  auto stream = h.hub.subscribe("u", {}, [&](const EventPtr& e) {
    std::lock_guard lock(m);
    if (e->id != 0)
      streamed.push_back(e->node_id);
    return true;
  });
  ASSERT_TRUE(stream);
  relay.on_message({std::string(kOther), sealed(kOther, events[0].payload), 1, false});
  ASSERT_TRUE(h.hub.flush(5s));
  {
    std::lock_guard lock(m);
    EXPECT_EQ(streamed, (std::vector<std::string>{"n1", "n2"}));
  }
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_skipped_total"), "1");
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_received_total"), "3");
}

// A paced message of events, as the instance on `topic` numbers and seals it.
mqtt::Message numbered(std::string_view topic, const std::string& node, std::uint64_t seq) {
  std::size_t too_large = 0;
  auto payload = encode_relay_events({draft(node)}, kMaxRelayMessageBytes, too_large).at(0).payload;
  payload.pop_back();
  payload += ",\"seq\":" + std::to_string(seq) + "}";
  return {std::string(topic), sealed(topic, std::move(payload)), 1, false};
}

// A receiver drops a numbered message it has taken already (a QoS 1 redelivery would
// show its events twice) and, when a number is skipped (the sender dropped events, or a
// message was lost), tells its streams to resync.
TEST(ClusterRelayTest, NumberedMessagesRevealRedeliveriesAndGaps) {
  RecordingClient client;
  Hub h(EventHubOptions{});
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, {});
  StreamLog stream(h.hub);
  ASSERT_TRUE(stream.open());
  relay.on_message(numbered(kOther, "n1", 100));
  relay.on_message(numbered(kOther, "n1", 100));  // again
  relay.on_message(numbered(kOther, "n2", 101));
  relay.on_message(numbered(kOther, "n1", 103));            // 102 missing
  relay.on_message(numbered("$stratus/relay/6", "n2", 7));  // another sender
  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(stream.seen(), (std::vector<std::string>{"ctl", "n1", "n2", "resync", "n1", "n2"}));
  EXPECT_EQ(metric(h.metrics, R"(stratus_cluster_relay_dropped_total{reason="duplicate"})"), "1");
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_gaps_total"), "1");
}

// Two instances can hold one slot (one whose lease connection was lost while another
// started, ADR 0021). Their topics still differ, so each takes the other's messages rather
// than drop them as its own, and numbers them as one sender's.
TEST(ClusterRelayTest, TwoInstancesOfOneSlotTakeEachOthersMessages) {
  RecordingClient a_client, b_client;
  Hub a(EventHubOptions{}), b(EventHubOptions{});
  ClusterRelay a_relay(a_client, a.hub, 3, kKey, a.metrics, {});
  ClusterRelay b_relay(b_client, b.hub, 3, kKey, b.metrics, {});
  EXPECT_NE(a_relay.topic(), b_relay.topic());
  StreamLog stream(b.hub);
  ASSERT_TRUE(stream.open());
  a_relay.forward({draft("n1")});
  b_relay.forward({draft("n1")});  // b's own numbering, far from a's
  a_client.sent[0].on_left();
  a_relay.forward({draft("n2")});
  ASSERT_EQ(a_client.sent.size(), 2u);
  for (const auto& sent : a_client.sent)
    b_relay.on_message({sent.topic, sent.payload, 1, false});
  ASSERT_TRUE(b.hub.flush(5s));
  EXPECT_EQ(stream.seen(false), (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(metric(b.metrics, "stratus_cluster_relay_gaps_total"), "0");
}

// The sender numbers its paced messages one apart, from above unix_ms × 1000, and skips
// a number for events it drops, so the receivers see the loss.
TEST(ClusterRelayTest, PacedMessagesAreNumberedAndEventsDroppedLeaveAGap) {
  RecordingClient client;
  Hub h(EventHubOptions{});
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, {});
  relay.forward({draft("n0")});
  relay.forward({draft("n1")});
  ASSERT_EQ(client.sent.size(), 2u);
  const auto first = parse_relay_message(body_of(client.sent[0]));
  const auto second = parse_relay_message(body_of(client.sent[1]));
  ASSERT_TRUE(first && first->sequence && second && second->sequence);
  EXPECT_GT(*first->sequence, 1700000000000ull * 1000);
  EXPECT_EQ(*second->sequence, *first->sequence + 1);
  EXPECT_LE(client.sent[0].payload.size(), kMaxRelayMessageBytes);

  relay.forward({draft("huge", R"({"p":")" + std::string(kMaxRelayMessageBytes, 'x') + R"("})")});
  relay.forward({draft("n2")});
  client.sent[0].on_left();
  ASSERT_EQ(client.sent.size(), 3u);
  const auto third = parse_relay_message(body_of(client.sent[2]));
  ASSERT_TRUE(third && third->sequence);
  EXPECT_EQ(*third->sequence, *second->sequence + 2) << "the event too large left a gap";
  EXPECT_EQ(nodes_of(client.sent[2]), (std::vector<std::string>{"n2"}));
}

// An access change leaves at once, ahead of a full window, unnumbered: the other
// instances' streams must stop showing a revoked node now.
TEST(ClusterRelayTest, AccessChangesLeaveAtOnceAheadOfAFullWindow) {
  RecordingClient client;
  Hub h(EventHubOptions{});
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, {});
  relay.forward({draft("n0")});
  relay.forward({draft("n1")});
  ASSERT_EQ(client.sent.size(), kRelayWindow);
  EventDraft revoked = draft("n2", R"({"role":null,"previous_role":"primary"})");
  revoked.kind = rest::EventKind::mapping;
  revoked.user_ids = {"u"};
  revoked.access_changed = true;
  relay.forward({draft("n3"), revoked});
  ASSERT_EQ(client.sent.size(), 3u) << "the access change went at once";
  const auto parsed = parse_relay_message(body_of(client.sent[2]));
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_TRUE(parsed->events[0].access_changed);
  EXPECT_FALSE(parsed->sequence);
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_waiting_events"), "1") << "n3 waits";
}

// Every message is sealed with the cluster's key over its sender's topic, its number, its
// time and its JSON (defence in depth behind the broker's ACL): a receiver checks the seal
// first and takes nothing whose seal does not check (no seal, another key, another
// sender's topic, a changed byte), nor a number it has seen from that sender (a replay),
// nor one sent more than a minute from its clock. What anyone could send changes nothing:
// no resync.
TEST(ClusterRelayTest, OnlySealedFreshMessagesAreTakenOnce) {
  const std::string body = encode_relay_change(Cached::webhook, "w1");
  const auto good = seal_relay_message(kKey, kOther, body, 7, 1700000000123);
  ASSERT_TRUE(good);
  EXPECT_LE(good->size(), body.size() + kRelaySealBytes);
  const auto opened = open_relay_message(kKey, kOther, *good);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->payload, body);
  EXPECT_EQ(opened->number, 7u);
  EXPECT_EQ(opened->sent_ms, 1700000000123);
  EXPECT_FALSE(open_relay_message("another key", kOther, *good));
  EXPECT_FALSE(open_relay_message(kKey, "$stratus/relay/6", *good));
  EXPECT_FALSE(open_relay_message(kKey, kOther, body));
  EXPECT_FALSE(open_relay_message(kKey, kOther, ""));
  for (const std::size_t at :
       {std::size_t{10}, good->size() - 70, good->size() - 66, good->size() - 1}) {
    std::string changed = *good;
    changed[at] = changed[at] == '1' ? '2' : '1';
    EXPECT_FALSE(open_relay_message(kKey, kOther, changed)) << "byte " << at;
  }
  EXPECT_FALSE(seal_relay_message(kKey, kOther, body, 1, -1));
  // The largest number and time fit the room a sender keeps for the seal.
  static_assert(kRelaySealBytes >= 1 + 20 + 1 + 19 + 1 + 64);
  const auto widest = seal_relay_message(kKey, kOther, body, UINT64_MAX, INT64_MAX);
  ASSERT_TRUE(widest);
  EXPECT_EQ(widest->size(), body.size() + kRelaySealBytes - 1);
  const auto opened_widest = open_relay_message(kKey, kOther, *widest);
  ASSERT_TRUE(opened_widest);
  EXPECT_EQ(opened_widest->number, UINT64_MAX);
  EXPECT_EQ(opened_widest->sent_ms, INT64_MAX);

  RecordingClient client;
  Hub h(EventHubOptions{});
  std::vector<std::string> changes;
  ClusterRelay::Handlers handlers;
  handlers.changed = [&](Cached, std::string id) { changes.push_back(std::move(id)); };
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, std::move(handlers));
  StreamLog stream(h.hub);
  ASSERT_TRUE(stream.open());
  const auto fresh = [&](std::uint64_t number, std::int64_t at = now_ms()) {
    return *seal_relay_message(kKey, kOther, body, number, at);
  };
  relay.on_message({std::string(kOther), body, 1, false});  // unsealed
  relay.on_message({std::string(kOther),
                    *seal_relay_message("another key", kOther, body, 1, now_ms()), 1, false});
  relay.on_message({"$stratus/relay/6", fresh(1), 1, false});  // sealed for another sender
  std::string forged_events = numbered(kOther, "n2", 1).payload;
  forged_events[forged_events.size() - 1] = forged_events.back() == 'a' ? 'b' : 'a';
  relay.on_message({std::string(kOther), forged_events, 1, false});
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(metric(h.metrics, R"(stratus_cluster_relay_dropped_total{reason="unsealed"})"), "4");

  relay.on_message({std::string(kOther), fresh(1, now_ms() - 120000), 1, false});  // old
  relay.on_message({std::string(kOther), fresh(1, now_ms() + 120000), 1, false});  // ahead
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(metric(h.metrics, R"(stratus_cluster_relay_dropped_total{reason="stale"})"), "2");

  const auto taken = fresh(70);
  relay.on_message({std::string(kOther), taken, 1, false});
  relay.on_message({std::string(kOther), taken, 1, false});  // replayed
  EXPECT_EQ(changes.size(), 1u);
  EXPECT_EQ(metric(h.metrics, R"(stratus_cluster_relay_dropped_total{reason="duplicate"})"), "1");
  // A message resent after a reconnect may come after newer ones: within the window of 64
  // below the highest, each number is taken once.
  const auto late = fresh(68);
  relay.on_message({std::string(kOther), late, 1, false});
  relay.on_message({std::string(kOther), late, 1, false});
  relay.on_message({std::string(kOther), fresh(6), 1, false});  // 64 below: out of the window
  EXPECT_EQ(changes.size(), 2u);
  EXPECT_EQ(metric(h.metrics, R"(stratus_cluster_relay_dropped_total{reason="duplicate"})"), "3");
  // A stale message leaves no trace: the same number, fresh, is taken after it.
  relay.on_message({std::string(kOther), fresh(75, now_ms() - 120000), 1, false});
  relay.on_message({std::string(kOther), fresh(75), 1, false});
  EXPECT_EQ(changes.size(), 3u);
  relay.on_message({std::string(kOther), fresh(69), 1, false});  // behind 75, not yet had
  EXPECT_EQ(changes.size(), 4u);

  ASSERT_TRUE(h.hub.flush(5s));
  EXPECT_EQ(stream.seen(), (std::vector<std::string>{"ctl"})) << "nothing refused made a resync";
}

// With no stream open here, a message of events is not decoded, but its seal is checked
// first: an unsealed one does not touch the sender's numbering, so a genuine message after
// it is still judged against the sender's last.
TEST(ClusterRelayTest, TheSealIsCheckedBeforeAMessageOfEventsIsSkipped) {
  RecordingClient client;
  EventHubOptions options;
  options.relayed_keep = 0ms;
  Hub h(options);
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, {});
  const auto message = numbered(kOther, "n1", 10);
  relay.on_message(message);
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_skipped_total"), "1");
  relay.on_message({std::string(kOther), R"({"events":[]})", 1, false});
  EXPECT_EQ(metric(h.metrics, R"(stratus_cluster_relay_dropped_total{reason="unsealed"})"), "1");
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_skipped_total"), "1") << "not skipped";
  relay.on_message(message);  // the same again: a replay, whatever the streams
  EXPECT_EQ(metric(h.metrics, R"(stratus_cluster_relay_dropped_total{reason="duplicate"})"), "1");
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_skipped_total"), "1");
}

// Whatever a sender builds, sealed, fits the limit the receivers check: paced messages
// (with their `seq`) and access changes sent at once.
TEST(ClusterRelayTest, SealedMessagesStayWithinTheLimit) {
  RecordingClient client;
  Hub h(EventHubOptions{});
  ClusterRelay relay(client, h.hub, 3, kKey, h.metrics, {});
  // Events of a size that fills a message to the byte give the largest messages.
  std::vector<EventDraft> many;
  for (int i = 0; i < 3000; ++i)
    many.push_back(
        draft("node-" + std::to_string(i),
              R"({"p":")" + std::string(static_cast<std::size_t>(i % 97), 'x') + R"("})"));
  std::vector<EventDraft> urgent = many;
  for (auto& e : urgent) {
    e.kind = rest::EventKind::mapping;
    e.user_ids = {"u"};
    e.access_changed = true;
  }
  relay.forward(many);
  relay.forward(urgent);
  for (std::size_t i = 0; i < client.sent.size() && i < 200; ++i) {
    const auto acknowledge = client.sent[i].on_left;  // a copy: it may add to `sent`
    if (acknowledge)
      acknowledge();
  }
  EXPECT_EQ(metric(h.metrics, "stratus_cluster_relay_waiting_events"), "0");
  ASSERT_GT(client.sent.size(), 4u);
  std::size_t largest = 0;
  for (const auto& sent : client.sent) {
    EXPECT_LE(sent.payload.size(), kMaxRelayMessageBytes);
    largest = std::max(largest, sent.payload.size());
    EXPECT_TRUE(open_relay_message(kKey, sent.topic, sent.payload));
  }
  EXPECT_GT(largest, kMaxRelayMessageBytes - 1024) << "some were full";
}

// `seq` must be an unsigned integer.
TEST(RelayCodec, ASequenceThatIsNoUnsignedIntegerIsRefused) {
  EXPECT_FALSE(parse_relay_message(R"({"events":[],"seq":-1})"));
  EXPECT_FALSE(parse_relay_message(R"({"events":[],"seq":"1"})"));
  EXPECT_FALSE(parse_relay_message(R"({"events":[],"seq":1.5})"));
  const auto big = parse_relay_message(R"({"events":[],"seq":18446744073709551615})");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->sequence, std::uint64_t{18446744073709551615u});
}

}  // namespace
}  // namespace stratus::link
