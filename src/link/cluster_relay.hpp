#pragma once
/// @file
/// The relay between the instances of a cluster (issue 23,
/// docs/adr/0021-several-instances.md), carried by the broker they share: every
/// instance publishes the events it committed, notices of changed webhooks and
/// automations, and its rate-limit counts, on `$stratus/relay/<slot>-<random>`, and
/// subscribes (unshared, No Local) to `$stratus/relay/+`; events are paced by the
/// broker's PUBACKs (docs/adr/0029). What it receives from the others goes to its event hub as
/// relayed events (its WebSocket streams see them; its webhooks, automations and alert
/// mail do not, since they ran where the event was produced) and to its caches.
///
/// The wire form, JSON, one message per batch:
///   {"events":[{"kind":"params","node_id":"…","user_ids":["…"],"timestamp":1700000000000,
///               "data":{…},"access_changed":false}, …]}
///   {"changed":[{"what":"webhook"|"automation","id":"…"}]}
///   {"rates":[{"limit":"login_failures_per_user"|"attempts_per_address"|"codes_per_user",
///              "key":"…","reset":false}]}
///   {"expected":["<node id>", …]}   (nodes just sent a set: their answer is interactive,
///                                    docs/adr/0026, wherever it arrives)
/// The relay puts one of the four arrays in each message, so a message of events begins
/// `{"events":[` (a receiver with no stream skips it on that: docs/adr/0033); the decoder
/// still accepts several. `user_ids` and `access_changed` are optional (empty, false). The backend
/// user alone may publish under `$stratus/` (the plugin's ACL); what arrives is still parsed as
/// outside input.
///
/// Paced messages of events end with `"seq":N`: one sender's messages are numbered 1 apart,
/// from a start above `unix_ms × 1000` at its start (so a restarted sender numbers above
/// its last run), and a sender that drops events (backlog, unsent, too large) skips a
/// number. A receiver that sees a number skipped tells its hub the events were lost (its
/// streams get `resync`), and one it has seen already (a QoS 1 redelivery) is dropped.
/// Events that change access (`access_changed`) leave at once, unnumbered, ahead of the
/// paced queue and never dropped for its backlog: another instance's streams must stop
/// showing a revoked node as soon as possible. A message without `seq` (those, or an older
/// sender's) is taken as it comes.
///
/// Every message is sealed (`seal_relay_message`): it ends with its sender's number for it,
/// its send time and an HMAC-SHA-256 over those, the sender's topic and the JSON, under a
/// key the instances share (derived from the token key, `auth/token.key`, which they share
/// already). A receiver checks the seal before anything else and then takes a message only
/// if it has not had its number from that sender yet (an anti-replay window of the 64
/// numbers below the highest, as IPsec's: a message resent after a reconnect may overtake
/// or follow newer ones) and its time is within `kRelayMaxClockSkew` of its own clock. So
/// a client that gets past the broker's ACL (a hand-written one, on EMQX) can neither forge
/// a message nor pass one sender's off as another's, and can replay one only to a receiver
/// that has not heard that sender yet (one started less than `kRelayMaxClockSkew` ago), once;
/// what it sends unsealed is counted and changes nothing (no resync). Defence in depth: the
/// ACL stays the guard, and such a client can still flood the topic or keep messages away.
/// A message that waited longer than `kRelayMaxClockSkew` (a broker outage) is refused as
/// stale: its events show as a gap (resync), its notices are lost as if the broker had
/// lost them.
/// The topics changed with the seal (`$stratus/cluster/` before): instances of the
/// versions before and after it ignore each other's messages rather than resync on each.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "mqtt/client.hpp"
#include "service/cluster.hpp"
#include "service/event_hub.hpp"
#include "service/events.hpp"

namespace stratus::link {

/// Instance `n` publishes on `$stratus/relay/<n>-<8 hex digits drawn at start>`.
inline constexpr std::string_view kClusterTopicPrefix = "$stratus/relay/";
/// The unshared subscription every instance holds.
inline constexpr std::string_view kClusterTopicFilter = "$stratus/relay/+";
/// Events or changes one relay message may carry.
inline constexpr std::size_t kMaxRelayItems = 10000;
/// Largest relay message a sender builds: a bigger batch is split. One event larger than
/// this on its own is not relayed (and counted). 240 KiB: under the 256 KiB payload limit
/// of the broker stratusd configures (`broker.max_payload_bytes`) and the defaults of
/// mosquitto, EMQX, HiveMQ and VerneMQ; the broker reads one packet per connection per
/// pass, so the larger the message, the more events a pass carries (docs/adr/0029).
inline constexpr std::size_t kMaxRelayMessageBytes = 240 * 1024;
/// Messages of events that may await the broker's PUBACK at once. The events committed
/// meanwhile wait and leave together, so the number of messages follows what the broker
/// reads rather than how often the writers commit: mosquitto reads one packet per
/// connection per pass of its event loop, about 20 passes a second under full ingest
/// (docs/adr/0029).
inline constexpr std::size_t kRelayWindow = 2;
/// Encoded events that may wait for the window; beyond it new events are dropped and
/// counted (`backlog`): a broker that stays this far behind loses the other instances'
/// streams some events rather than this instance its memory. 16 MiB is about 50 000
/// params events, several seconds of a saturated instance.
inline constexpr std::size_t kMaxRelayBacklogBytes = 16 * 1024 * 1024;
/// How long a full window may go without a PUBACK before the relay stops waiting for it
/// (a message lost with its connection) and sends the next.
inline constexpr std::chrono::milliseconds kRelayStallTimeout{5000};

/// Most bytes a seal adds to a message: "\n", a number and a time of up to 20 digits each,
/// two spaces and 64 hex digits.
inline constexpr std::size_t kRelaySealBytes = 107;
/// How far a message's send time may be from the receiver's clock: older (or newer)
/// ones are refused, so a captured message cannot be replayed later. The instances'
/// clocks must agree within it (NTP).
inline constexpr std::chrono::seconds kRelayMaxClockSkew{60};

/// `payload` sealed for sending on `topic`: `payload` + "\n" + `number` + " " + `sent_ms` +
/// " " + the HMAC-SHA-256, 64 lower-case hex digits, of "stratus-relay-v1\n", `topic`, "\n",
/// "<number> <sent_ms>", "\n" and `payload` under `key`. A sender numbers its messages 1,
/// 2, … (`number`) and stamps them with its clock (`sent_ms`, Unix ms). Errors:
/// invalid_argument for a negative `sent_ms`; internal if OpenSSL fails. Thread-safe.
[[nodiscard]] Result<std::string> seal_relay_message(std::string_view key, std::string_view topic,
                                                     std::string payload, std::uint64_t number,
                                                     std::int64_t sent_ms);

/// A message whose seal checked.
struct OpenedRelayMessage {
  std::string_view payload;  ///< the JSON (a view into the message)
  std::uint64_t number = 0;  ///< its sender's number for it
  std::int64_t sent_ms = 0;  ///< when its sender sealed it, Unix ms
};

/// `message`, received on `topic`, opened: when its seal is `key`'s over that topic, its
/// number, its time and its payload (compared in constant time); nullopt otherwise (no
/// seal, a wrong key or topic, a changed byte, numbers that are not plain decimal). The
/// caller judges the number and the time. Pure; thread-safe.
[[nodiscard]] std::optional<OpenedRelayMessage> open_relay_message(std::string_view key,
                                                                   std::string_view topic,
                                                                   std::string_view message);

/// One relay message, decoded. `events` have `relayed` set.
struct RelayMessage {
  std::vector<service::EventDraft> events;
  std::vector<std::pair<service::Cached, std::string>> changes;
  struct RateCount {
    service::RateLimit limit = service::RateLimit::login_failures_per_user;
    std::string key;
    bool reset = false;
  };
  std::vector<RateCount> rates;
  std::vector<std::string> expected;      ///< node ids, each non-empty
  std::optional<std::uint64_t> sequence;  ///< `seq`: the sender's number for a paced message
};

/// One relay message and how many events it carries.
struct RelayBatch {
  std::string payload;
  std::size_t events = 0;
};

/// The messages that carry `events` in order, each at most `max_bytes` long; an event
/// that does not fit in one message alone is left out and counted in `too_large`. Pure.
[[nodiscard]] std::vector<RelayBatch> encode_relay_events(
    const std::vector<service::EventDraft>& events, std::size_t max_bytes, std::size_t& too_large);
/// The message that carries one change notice. Pure.
[[nodiscard]] std::string encode_relay_change(service::Cached what, std::string_view id);
/// The message that carries one rate-limit count (or reset). Pure.
[[nodiscard]] std::string encode_relay_rate(service::RateLimit limit, std::string_view key,
                                            bool reset);
/// The message that names one node expected to answer a set. Pure.
[[nodiscard]] std::string encode_relay_expected(std::string_view node_id);
/// Decodes a relay message. Errors (errc::invalid_argument, with what is wrong): not a
/// JSON object; none of `events`, `changed`, `rates` and `expected` present, or one of
/// them not an array; more than `kMaxRelayItems` items in one; an event without a known `kind`, a
/// string `node_id`, an integer `timestamp`, an object `data`, or with `user_ids` not an
/// array of strings; a change with an unknown `what` or no string `id`; a rate count with
/// an unknown `limit`, no string `key` or a `reset` that is not a boolean; an expected
/// node that is not a non-empty string; a `seq` that is not an unsigned integer. Pure;
/// thread-safe.
Result<RelayMessage> parse_relay_message(std::string_view payload);

/// Implements `ChangeNotices` and `RateShare`, and takes the hub's locally produced
/// events (`EventHubOptions::relay` calls `forward`). `forward`, `changed` and `counted`
/// are thread-safe and never block on I/O (an MQTT publish is queued by the client; they
/// may wait for the outbox's lock while it seals and queues a message, well under a
/// millisecond); while the broker is
/// unreachable the relay drops what it cannot send, and counts it: the other instances'
/// streams miss those events (their clients resync when they notice a gap).
///
/// Events are paced by the broker (docs/adr/0029): at most `kRelayWindow` messages of
/// them await a PUBACK; what is committed meanwhile waits, in order, and leaves in the
/// next messages, each up to `kMaxRelayMessageBytes`. An idle relay sends at once. Change
/// notices, rate counts and expected nodes are not paced: they are sent at once, ahead of
/// waiting events.
///
/// Metrics: `stratus_cluster_relay_sent_total`, `stratus_cluster_relay_received_total`
/// (events, notices, rate counts and expected nodes), `stratus_cluster_relay_skipped_total`
/// (messages of events not decoded: no stream here), `stratus_cluster_relay_dropped_total{reason}`
/// (`unsent`: the broker was unreachable, `too_large`, `malformed`: a message that did not
/// parse, `unsealed`: one whose seal did not check, `stale`: one sent more than
/// `kRelayMaxClockSkew` from this clock, `backlog`: more than `kMaxRelayBacklogBytes`
/// waiting, `duplicate`: a message received again), `stratus_cluster_relay_gaps_total` (messages of
/// another instance found missing: its events lost here, the streams told to resync),
/// `stratus_cluster_relay_waiting_events` (events waiting for the window).
class ClusterRelay final : public service::ChangeNotices, public service::RateShare {
 public:
  /// What to do with what another instance sent besides events. They run where the
  /// client delivers its messages (the link executor in stratusd), so they must not
  /// block (post database work to the blocking pool).
  struct Handlers {
    std::function<void(service::Cached what, std::string id)> changed;
    std::function<void(service::RateLimit limit, std::string key, bool reset)> counted;
    /// Another instance sent `node_id` a set (`ExpectedReports::expect` here).
    std::function<void(std::string node_id)> expected;
  };

  /// Subscribes to `kClusterTopicFilter` on `client` (kept across reconnects by the
  /// client; with No Local, so the broker does not send this instance its own messages),
  /// takes that client's messages (`on_message`: it replaces any handler, so the client
  /// must deliver nothing else) and publishes on it. stratusd passes its publishing
  /// connection (docs/adr/0022): relay messages do not queue behind the ingest's PUBACKs or
  /// share a connection with the node traffic, whose payload limit (64 KiB by default) is
  /// below theirs. `slot` is this instance's (`ClusterLease::slot`). `client`, `hub` and
  /// `metrics` must outlive the relay. `stall_timeout`: see `kRelayStallTimeout` (tests
  /// shorten it). `key` seals what it sends and checks what it receives: the same on
  /// every instance (stratusd derives it from the shared token key), not empty.
  ClusterRelay(mqtt::Client& client, service::EventHub& hub, unsigned slot, std::string key,
               MetricsRegistry& metrics, Handlers handlers,
               std::chrono::milliseconds stall_timeout = kRelayStallTimeout);
  ~ClusterRelay() override;
  ClusterRelay(const ClusterRelay&) = delete;
  ClusterRelay& operator=(const ClusterRelay&) = delete;

  /// Sends `events`, produced and committed here, to the other instances: at once when
  /// the window has room, else as the broker acknowledges earlier messages.
  void forward(const std::vector<service::EventDraft>& events);
  void changed(service::Cached what, std::string_view id) override;
  void counted(service::RateLimit limit, std::string_view key, bool reset) override;
  /// Tells the other instances that `node_id` was just sent a set from here, so that
  /// whichever of them receives its answer applies it ahead of bulk reports (ADR 0026).
  /// Sent on the publishing connection before the set itself, so the broker hands it to
  /// the others before the node can answer. Thread-safe; never blocks.
  void expected(std::string_view node_id);

  /// The topic this relay publishes on (`kClusterTopicPrefix`, slot, `-`, a random
  /// number of this process's). Thread-safe (fixed at construction).
  [[nodiscard]] const std::string& topic() const { return topic_; }

  /// A message from the client (on its callback executor: the link's in stratusd).
  /// This instance's own messages and other topics are ignored; one larger than
  /// `kMaxRelayMessageBytes` (no sender builds one) is dropped as `too_large`, one whose
  /// seal does not check as `unsealed`, both before anything else and changing nothing
  /// (logged once a minute at most); one whose time is off by more than
  /// `kRelayMaxClockSkew` as `stale`, and one whose number it has had from that sender (or
  /// that is 64 or more below the sender's highest) as `duplicate` (a QoS 1 redelivery, or
  /// a replay). A message
  /// of events (it begins `{"events":[`; the relay never puts anything else in one) is
  /// not decoded while the hub has no user stream to give them to
  /// (`EventHub::admit_relayed`, docs/adr/0033), and counted as skipped. A numbered
  /// message's `seq` is checked against the sender's last (see the file comment): a gap,
  /// or a message of events that does not parse, is `EventHub::lost`.
  void on_message(const mqtt::Message& message);

 private:
  class Outbox;  // the paced events; shared with the PUBACK callbacks, which may run late
  void send(std::string payload, std::size_t items);

  mqtt::Client& client_;
  service::EventHub& hub_;
  std::string topic_;  // this instance's
  std::string key_;    // seals and checks
  Handlers handlers_;
  Counter& sent_;
  Counter& received_;
  Counter& dropped_unsent_;
  Counter& skipped_;
  Counter& dropped_too_large_;
  Counter& dropped_malformed_;
  Counter& dropped_duplicate_;
  Counter& dropped_unsealed_;
  Counter& dropped_stale_;
  Counter& gaps_;
  std::chrono::steady_clock::time_point refused_logged_{};  // on_message's thread
  std::shared_ptr<Outbox> outbox_;
  // Each sender's (topic's) last number and paced `seq`, and when it was heard; only
  // on_message's thread touches it. Past kSendersKept senders, those not heard for
  // kSenderForgottenAfter go (a replay of theirs is older than kRelayMaxClockSkew by then).
  struct LastSequence {
    std::uint64_t number = 0;  // the highest seal number taken
    std::uint64_t window = 0;  // bit i: number − i taken (an anti-replay window of 64)
    std::optional<std::uint64_t> sequence;  // none: the next numbered message starts afresh
    std::chrono::steady_clock::time_point seen{};
  };
  static constexpr std::size_t kSendersKept = 64;
  static constexpr std::chrono::hours kSenderForgottenAfter{1};
  std::unordered_map<std::string, LastSequence> last_sequence_;
};

}  // namespace stratus::link
