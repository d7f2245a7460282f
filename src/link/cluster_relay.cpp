#include "link/cluster_relay.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <deque>
#include <iterator>
#include <mutex>

#include "core/assert.hpp"
#include "core/clock.hpp"
#include "core/hex.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"

namespace stratus::link {
namespace {

namespace json = boost::json;
using log::Channel;

constexpr std::string_view kWhatNames[] = {"webhook", "automation"};
constexpr std::string_view kLimitNames[] = {"login_failures_per_user", "attempts_per_address",
                                            "codes_per_user"};

// One event as the wire form's JSON object, written into one buffer sized up front.
std::string encode_event(const service::EventDraft& e) {
  const auto kind = proto::rest::to_string(e.kind);
  std::size_t size = 96 + kind.size() + e.node_id.size() + e.data_json.size();
  for (const auto& u : e.user_ids)
    size += u.size() + 3;
  std::string out;
  out.reserve(size);  // enough unless a string needs escapes
  out += "{\"kind\":\"";
  out += kind;
  out += "\",\"node_id\":";
  append_json_string(out, e.node_id);
  if (!e.user_ids.empty()) {
    out += ",\"user_ids\":[";
    for (std::size_t i = 0; i < e.user_ids.size(); ++i) {
      if (i != 0)
        out += ',';
      append_json_string(out, e.user_ids[i]);
    }
    out += ']';
  }
  out += ",\"timestamp\":";
  char digits[24];
  const auto end = std::to_chars(std::begin(digits), std::end(digits), e.timestamp_ms).ptr;
  out.append(digits, end);
  out += ",\"data\":";
  out += e.data_json;  // the publisher's committed event data: a JSON object's text
  if (e.access_changed)
    out += ",\"access_changed\":true";
  out += '}';
  return out;
}

Result<service::EventDraft> parse_event(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr)
    return fail(errc::invalid_argument, "an event is not an object");
  service::EventDraft e;
  e.relayed = true;
  const auto* kind = o->if_contains("kind");
  const auto parsed_kind = kind != nullptr && kind->is_string()
                               ? proto::rest::parse_event_kind(std::string_view(kind->get_string()))
                               : std::nullopt;
  if (!parsed_kind)
    return fail(errc::invalid_argument, "an event's kind is missing or unknown");
  e.kind = *parsed_kind;
  const auto* node_id = o->if_contains("node_id");
  if (node_id == nullptr || !node_id->is_string())
    return fail(errc::invalid_argument, "an event's node_id is not a string");
  e.node_id = std::string(node_id->get_string());
  if (const auto* users = o->if_contains("user_ids")) {
    if (!users->is_array())
      return fail(errc::invalid_argument, "an event's user_ids is not an array");
    if (users->get_array().size() > kMaxRelayItems)
      return fail(errc::invalid_argument, "an event has too many user_ids");
    for (const auto& u : users->get_array()) {
      if (!u.is_string())
        return fail(errc::invalid_argument, "an event's user_ids holds a non-string");
      e.user_ids.emplace_back(u.get_string());
    }
  }
  const auto* timestamp = o->if_contains("timestamp");
  if (timestamp == nullptr || !timestamp->is_int64())
    return fail(errc::invalid_argument, "an event's timestamp is not an integer");
  e.timestamp_ms = timestamp->get_int64();
  const auto* data = o->if_contains("data");
  if (data == nullptr || !data->is_object())
    return fail(errc::invalid_argument, "an event's data is not an object");
  e.data_json = json::serialize(*data);
  if (const auto* changed = o->if_contains("access_changed")) {
    if (!changed->is_bool())
      return fail(errc::invalid_argument, "an event's access_changed is not a boolean");
    e.access_changed = changed->get_bool();
  }
  return e;
}

Result<std::pair<service::Cached, std::string>> parse_change(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr)
    return fail(errc::invalid_argument, "a change is not an object");
  const auto* what = o->if_contains("what");
  const auto* id = o->if_contains("id");
  if (what == nullptr || !what->is_string() || id == nullptr || !id->is_string())
    return fail(errc::invalid_argument, "a change needs a string what and id");
  for (std::size_t i = 0; i < std::size(kWhatNames); ++i) {
    if (what->get_string() == kWhatNames[i])
      return std::pair{static_cast<service::Cached>(i), std::string(id->get_string())};
  }
  return fail(errc::invalid_argument, "a change names an unknown kind of row");
}

Result<RelayMessage::RateCount> parse_rate(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr)
    return fail(errc::invalid_argument, "a rate count is not an object");
  const auto* limit = o->if_contains("limit");
  const auto* key = o->if_contains("key");
  const auto* reset = o->if_contains("reset");
  if (limit == nullptr || !limit->is_string() || key == nullptr || !key->is_string() ||
      (reset != nullptr && !reset->is_bool())) {
    return fail(errc::invalid_argument, "a rate count needs a string limit and key");
  }
  for (std::size_t i = 0; i < std::size(kLimitNames); ++i) {
    if (limit->get_string() == kLimitNames[i]) {
      return RelayMessage::RateCount{static_cast<service::RateLimit>(i),
                                     std::string(key->get_string()),
                                     reset != nullptr && reset->get_bool()};
    }
  }
  return fail(errc::invalid_argument, "a rate count names an unknown limit");
}

}  // namespace

namespace {

constexpr std::string_view kEventsHead = "{\"events\":[";
constexpr std::string_view kEventsTail = "]}";
// Room a paced message keeps for its `,"seq":N` (N ≤ 20 digits).
constexpr std::size_t kSequenceRoom = 32;
// What a message's JSON may take: the rest of `kMaxRelayMessageBytes` is its seal's.
constexpr std::size_t kMaxRelayBodyBytes = kMaxRelayMessageBytes - kRelaySealBytes;
constexpr std::size_t kMaxPacedEventsBytes = kMaxRelayBodyBytes - kSequenceRoom;

// What the MAC covers besides the payload, so that a later format cannot be taken for
// this one.
constexpr std::string_view kSealLabel = "stratus-relay-v1\n";

// HMAC-SHA-256 of the label, `topic`, "\n", `fields` ("<number> <sent_ms>"), "\n" and
// `payload` under `key`, as 64 lower-case hex digits (OpenSSL's HMAC, which uses the CPU's
// SHA instructions: about 1.5 GB/s here). Empty if OpenSSL fails.
std::string mac_of(std::string_view key, std::string_view topic, std::string_view fields,
                   std::string_view payload) {
  // Fetched once (a method-store lookup under a global lock); shared read-only by every
  // thread, each with a context of its own.
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr, &EVP_MAC_CTX_free);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  std::array<unsigned char, 32> mac{};
  std::size_t length = 0;
  const auto update = [&](std::string_view part) {
    return EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                          part.size()) == 1;
  };
  if (!ctx ||
      EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1 ||
      !update(kSealLabel) || !update(topic) || !update("\n") || !update(fields) || !update("\n") ||
      !update(payload) || EVP_MAC_final(ctx.get(), mac.data(), &length, mac.size()) != 1 ||
      length != mac.size()) {
    return {};
  }
  return to_hex(std::span<const std::uint8_t>(mac.data(), mac.size()));
}

template <class Int>
std::optional<Int> whole_number(std::string_view text) {
  // Plain decimal: digits only (no sign), no leading zero.
  if (text.empty() || text.front() < '0' || text.front() > '9' ||
      (text.size() > 1 && text.front() == '0'))
    return std::nullopt;
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

// `{"events":[…]}` → `{"events":[…],"seq":N}`.
void append_sequence(std::string& payload, std::uint64_t sequence) {
  payload.pop_back();
  payload += ",\"seq\":";
  char digits[24];
  const auto end = std::to_chars(std::begin(digits), std::end(digits), sequence).ptr;
  payload.append(digits, end);
  payload += '}';
}

// The first `seq` of this run: above unix_ms × 1000, so above any a sender's earlier run
// used unless the clock went back by more than that run sent messages (tens a second).
std::uint64_t first_sequence() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return static_cast<std::uint64_t>(std::max<std::int64_t>(ms, 0)) * 1000;
}

// Whether one encoded event fits in a message on its own.
bool fits_alone(const std::string& item, std::size_t max_bytes) {
  return kEventsHead.size() + item.size() + kEventsTail.size() <= max_bytes;
}

// The next message: the oldest items of [first, last) that fit in `max_bytes` (at least
// one; each fits alone), and where the items after it begin.
template <class It>
std::pair<RelayBatch, It> take_message(It first, It last, std::size_t max_bytes) {
  RelayBatch message;
  for (; first != last; ++first) {
    if (message.events != 0 &&
        message.payload.size() + 1 + first->size() + kEventsTail.size() > max_bytes) {
      break;
    }
    message.payload += message.events == 0 ? kEventsHead : std::string_view(",");
    message.payload += *first;
    ++message.events;
  }
  message.payload += kEventsTail;
  return {std::move(message), first};
}

// Each event encoded, in order, leaving out (and counting in `too_large`) those that do
// not fit a message of `max_bytes` alone. With `access_changes`, events that change access
// are copied there instead of encoded (they leave on their own: see `forward`).
std::vector<std::string> encode_items(const std::vector<service::EventDraft>& events,
                                      std::size_t max_bytes, std::size_t& too_large,
                                      std::vector<service::EventDraft>* access_changes = nullptr) {
  std::vector<std::string> items;
  items.reserve(events.size());
  for (const auto& e : events) {
    if (access_changes != nullptr && e.access_changed) {
      access_changes->push_back(e);
      continue;
    }
    std::string item = encode_event(e);
    if (fits_alone(item, max_bytes))
      items.push_back(std::move(item));
    else
      ++too_large;
  }
  return items;
}

}  // namespace

std::vector<RelayBatch> encode_relay_events(const std::vector<service::EventDraft>& events,
                                            std::size_t max_bytes, std::size_t& too_large) {
  const auto items = encode_items(events, max_bytes, too_large);
  std::vector<RelayBatch> messages;
  for (auto next = items.begin(); next != items.end();) {
    auto [message, rest] = take_message(next, items.end(), max_bytes);
    messages.push_back(std::move(message));
    next = rest;
  }
  return messages;
}

std::string encode_relay_change(service::Cached what, std::string_view id) {
  std::string out = "{\"changed\":[{\"what\":\"";
  out += kWhatNames[static_cast<std::size_t>(what)];
  out += "\",\"id\":";
  append_json_string(out, id);
  out += "}]}";
  return out;
}

std::string encode_relay_rate(service::RateLimit limit, std::string_view key, bool reset) {
  std::string out = "{\"rates\":[{\"limit\":\"";
  out += kLimitNames[static_cast<std::size_t>(limit)];
  out += "\",\"key\":";
  append_json_string(out, key);
  out += reset ? ",\"reset\":true}]}" : ",\"reset\":false}]}";
  return out;
}

Result<RelayMessage> parse_relay_message(std::string_view payload) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  // One arena per message, freed at once: a message holds up to kMaxRelayItems events,
  // and the tree is only read to copy the events out.
  json::monotonic_resource arena(payload.size() * 2 + 1024);
  const json::value v =
      json::parse(json::string_view(payload.data(), payload.size()), ec, &arena, options);
  if (ec)
    return fail(errc::invalid_argument, "relay message is not JSON: " + ec.message());
  const auto* o = v.if_object();
  if (o == nullptr)
    return fail(errc::invalid_argument, "relay message is not a JSON object");
  const auto* events = o->if_contains("events");
  const auto* changed = o->if_contains("changed");
  const auto* rates = o->if_contains("rates");
  const auto* expected = o->if_contains("expected");
  if ((events != nullptr && !events->is_array()) || (changed != nullptr && !changed->is_array()) ||
      (rates != nullptr && !rates->is_array()) || (expected != nullptr && !expected->is_array()) ||
      (events == nullptr && changed == nullptr && rates == nullptr && expected == nullptr)) {
    return fail(errc::invalid_argument,
                "relay message has no events, changed, rates or expected array");
  }
  RelayMessage message;
  if (events != nullptr) {
    if (events->get_array().size() > kMaxRelayItems)
      return fail(errc::invalid_argument, "relay message carries too many events");
    message.events.reserve(events->get_array().size());
    for (const auto& item : events->get_array()) {
      auto e = parse_event(item);
      if (!e)
        return fail(e.error());
      message.events.push_back(std::move(*e));
    }
  }
  if (changed != nullptr) {
    if (changed->get_array().size() > kMaxRelayItems)
      return fail(errc::invalid_argument, "relay message carries too many changes");
    for (const auto& item : changed->get_array()) {
      auto c = parse_change(item);
      if (!c)
        return fail(c.error());
      message.changes.push_back(std::move(*c));
    }
  }
  if (rates != nullptr) {
    if (rates->get_array().size() > kMaxRelayItems)
      return fail(errc::invalid_argument, "relay message carries too many rate counts");
    for (const auto& item : rates->get_array()) {
      auto r = parse_rate(item);
      if (!r)
        return fail(r.error());
      message.rates.push_back(std::move(*r));
    }
  }
  if (const auto* seq = o->if_contains("seq")) {
    if (seq->is_uint64())
      message.sequence = seq->get_uint64();
    else if (seq->is_int64() && seq->get_int64() >= 0)
      message.sequence = static_cast<std::uint64_t>(seq->get_int64());
    else
      return fail(errc::invalid_argument, "relay message's seq is not an unsigned integer");
  }
  if (expected != nullptr) {
    if (expected->get_array().size() > kMaxRelayItems)
      return fail(errc::invalid_argument, "relay message names too many expected nodes");
    for (const auto& item : expected->get_array()) {
      if (!item.is_string() || item.get_string().empty())
        return fail(errc::invalid_argument, "an expected node is not a non-empty string");
      message.expected.emplace_back(item.get_string());
    }
  }
  return message;
}

Result<std::string> seal_relay_message(std::string_view key, std::string_view topic,
                                       std::string payload, std::uint64_t number,
                                       std::int64_t sent_ms) {
  if (sent_ms < 0)
    return fail(errc::invalid_argument, "a relay message's time is before 1970");
  const auto fields = std::to_string(number) + " " + std::to_string(sent_ms);
  const auto mac = mac_of(key, topic, fields, payload);
  if (mac.empty())
    return fail(errc::internal, "cannot compute the relay message's HMAC (OpenSSL)");
  payload.reserve(payload.size() + 2 + fields.size() + mac.size());
  payload += '\n';
  payload += fields;
  payload += ' ';
  payload += mac;
  return payload;
}

std::optional<OpenedRelayMessage> open_relay_message(std::string_view key, std::string_view topic,
                                                     std::string_view message) {
  constexpr std::size_t kMacDigits = 64;
  if (message.size() < kMacDigits + 5 || message[message.size() - kMacDigits - 1] != ' ')
    return std::nullopt;
  const auto mac = message.substr(message.size() - kMacDigits);
  const auto rest = message.substr(0, message.size() - kMacDigits - 1);  // payload \n N T
  const auto line = rest.rfind('\n');
  if (line == std::string_view::npos || rest.size() - line - 1 > 41)
    return std::nullopt;
  const auto fields = rest.substr(line + 1);
  const auto space = fields.find(' ');
  if (space == std::string_view::npos)
    return std::nullopt;
  const auto number = whole_number<std::uint64_t>(fields.substr(0, space));
  const auto sent_ms = whole_number<std::int64_t>(fields.substr(space + 1));
  if (!number || !sent_ms)
    return std::nullopt;
  const auto payload = rest.substr(0, line);
  const auto expected = mac_of(key, topic, fields, payload);
  if (expected.size() != mac.size() || CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) != 0)
    return std::nullopt;
  return OpenedRelayMessage{payload, *number, *sent_ms};
}

// The events waiting for the window (see kRelayWindow). Owned by the relay; the PUBACK
// callbacks hold it weakly, so one that runs after the relay is gone does nothing.
class ClusterRelay::Outbox : public std::enable_shared_from_this<Outbox> {
 public:
  Outbox(mqtt::Client& publisher, std::string topic, std::string key,
         std::chrono::milliseconds stall_timeout, Counter& sent, Counter& unsent, Counter& backlog,
         Gauge& waiting)
      : publisher_(publisher),
        topic_(std::move(topic)),
        key_(std::move(key)),
        stall_timeout_(stall_timeout),
        sent_(sent),
        unsent_(unsent),
        backlog_(backlog),
        waiting_(waiting),
        next_sequence_(first_sequence()) {}

  // Seals and publishes `payload` now, ahead of the waiting events (change notices, rate
  // counts, expected nodes, access changes), in order with the paced messages: one lock
  // numbers and publishes both. Counts `items` sent or unsent.
  void send_now(std::string payload, std::size_t items) {
    std::lock_guard lock(mutex_);
    auto sealed = seal(std::move(payload));
    auto r = sealed ? publisher_.publish(topic_, *sealed, 1, false) : fail(sealed.error());
    if (!r) {
      unsent_.inc(items);
      log::debug(Channel::link, "cluster relay: {} item(s) not sent: {}", items,
                 r.error().message());
      return;
    }
    sent_.inc(items);
  }

  // Events were dropped before they reached the queue: the receivers must see a gap.
  void skip() {
    std::lock_guard lock(mutex_);
    ++next_sequence_;
  }

  // Queues `items` (each fits a paced message alone) and sends what the window allows.
  void add(std::vector<std::string> items) {
    std::lock_guard lock(mutex_);
    std::size_t dropped = 0;
    for (auto& item : items) {
      if (bytes_ + item.size() > kMaxRelayBacklogBytes) {
        ++dropped;
        continue;
      }
      bytes_ += item.size();
      items_.push_back(std::move(item));
    }
    if (dropped != 0) {
      ++next_sequence_;  // the receivers see the gap
      backlog_.inc(dropped);
      log::debug(Channel::link, "cluster relay: {} event(s) dropped, {} bytes waiting", dropped,
                 bytes_);
    }
    pump();
  }

 private:
  // A message of generation `generation` was acknowledged.
  void acknowledged(std::uint64_t generation) {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || in_flight_ == 0)
      return;  // given up on already
    --in_flight_;
    progress_at_ = std::chrono::steady_clock::now();
    pump();
  }

  // Sends from the oldest waiting events while the window has room. Called with mutex_
  // held: the publish only queues (its callback comes later, through the client's
  // dispatch), and sending under the lock keeps the messages in order.
  void pump() {
    const auto now = std::chrono::steady_clock::now();
    if (in_flight_ >= kRelayWindow && now - progress_at_ >= stall_timeout_) {
      log::warn(Channel::link, "cluster relay: no PUBACK for {} ms; sending on",
                std::chrono::duration_cast<std::chrono::milliseconds>(now - progress_at_).count());
      in_flight_ = 0;
      ++generation_;
    }
    while (in_flight_ < kRelayWindow && !items_.empty()) {
      auto [message, rest] = take_message(items_.begin(), items_.end(), kMaxPacedEventsBytes);
      for (auto it = items_.begin(); it != rest; ++it)
        bytes_ -= it->size();
      items_.erase(items_.begin(), rest);
      append_sequence(message.payload, next_sequence_++);  // an unsent one leaves a gap
      auto sealed = seal(std::move(message.payload));
      auto r =
          sealed ? publisher_.publish_tracked(topic_, *sealed, 1,
                                              [weak = weak_from_this(), generation = generation_] {
                                                if (auto self = weak.lock())
                                                  self->acknowledged(generation);
                                              })
                 : fail(sealed.error());
      if (!r) {
        unsent_.inc(message.events);
        log::debug(Channel::link, "cluster relay: {} event(s) not sent: {}", message.events,
                   r.error().message());
        continue;
      }
      sent_.inc(message.events);
      if (in_flight_++ == 0)
        progress_at_ = now;
    }
    waiting_.set(static_cast<std::int64_t>(items_.size()));
  }

  // `payload` sealed with the next number and the time now. Called with mutex_ held, so
  // that numbers follow the order of the publishes. An error (OpenSSL failed) is logged.
  Result<std::string> seal(std::string payload) {
    auto sealed = seal_relay_message(key_, topic_, std::move(payload), next_number_++,
                                     unix_ms(std::chrono::system_clock::now()));
    if (const auto now = std::chrono::steady_clock::now();
        !sealed && now - seal_failure_logged_ >= std::chrono::minutes(1)) {
      seal_failure_logged_ = now;
      log::error(Channel::link, "cluster relay: {} (logged once a minute)",
                 sealed.error().message());
    }
    return sealed;
  }

  mqtt::Client& publisher_;
  const std::string topic_;
  const std::string key_;
  const std::chrono::milliseconds stall_timeout_;
  Counter& sent_;
  Counter& unsent_;
  Counter& backlog_;
  Gauge& waiting_;
  std::mutex mutex_;               // everything below
  std::deque<std::string> items_;  // encoded events waiting, oldest first
  std::size_t bytes_ = 0;          // their total size
  std::size_t in_flight_ = 0;      // messages sent and not yet acknowledged
  std::uint64_t generation_ = 0;   // bumped when the relay stops waiting for a PUBACK
  std::uint64_t next_sequence_;    // `seq` of the next message (see cluster_relay.hpp)
  std::uint64_t next_number_ = 1;  // the seal's number of the next message of any kind
  std::chrono::steady_clock::time_point seal_failure_logged_{};
  // The last send into an empty window, or the last PUBACK.
  std::chrono::steady_clock::time_point progress_at_{};
};

ClusterRelay::ClusterRelay(mqtt::Client& client, service::EventHub& hub, unsigned slot,
                           std::string key, MetricsRegistry& metrics, Handlers handlers,
                           std::chrono::milliseconds stall_timeout)
    : client_(client),
      hub_(hub),
      // The slot and a number of this process's own: two instances may hold one slot
      // (one whose lease connection was lost while another started, ADR 0021), and
      // topics of their own keep them from taking each other's messages for their own
      // and each other's numbering (`seq`) for one sender's.
      topic_(std::string(kClusterTopicPrefix) + std::to_string(slot) + "-" + random_hex(4)),
      key_(std::move(key)),
      handlers_(std::move(handlers)),
      sent_(metrics.counter("stratus_cluster_relay_sent_total",
                            "Events and change notices sent to the other instances.")),
      received_(metrics.counter("stratus_cluster_relay_received_total",
                                "Events and change notices received from the other instances.")),
      dropped_unsent_(metrics.counter("stratus_cluster_relay_dropped_total",
                                      "Relay messages or events not sent or not taken, by reason.",
                                      {{"reason", "unsent"}})),
      skipped_(metrics.counter(
          "stratus_cluster_relay_skipped_total",
          "Messages of other instances' events not decoded: no event stream open here.")),
      dropped_too_large_(metrics.counter(
          "stratus_cluster_relay_dropped_total",
          "Relay messages or events not sent or not taken, by reason.", {{"reason", "too_large"}})),
      dropped_malformed_(metrics.counter(
          "stratus_cluster_relay_dropped_total",
          "Relay messages or events not sent or not taken, by reason.", {{"reason", "malformed"}})),
      dropped_duplicate_(metrics.counter(
          "stratus_cluster_relay_dropped_total",
          "Relay messages or events not sent or not taken, by reason.", {{"reason", "duplicate"}})),
      dropped_unsealed_(metrics.counter(
          "stratus_cluster_relay_dropped_total",
          "Relay messages or events not sent or not taken, by reason.", {{"reason", "unsealed"}})),
      dropped_stale_(metrics.counter("stratus_cluster_relay_dropped_total",
                                     "Relay messages or events not sent or not taken, by reason.",
                                     {{"reason", "stale"}})),
      gaps_(metrics.counter("stratus_cluster_relay_gaps_total",
                            "Messages of another instance's events found missing (streams told "
                            "to resync).")),
      outbox_(std::make_shared<Outbox>(
          client, topic_, key_, stall_timeout, sent_, dropped_unsent_,
          metrics.counter("stratus_cluster_relay_dropped_total",
                          "Relay messages or events not sent or not taken, by reason.",
                          {{"reason", "backlog"}}),
          metrics.gauge("stratus_cluster_relay_waiting_events",
                        "Events waiting for the relay's window (PUBACKs of earlier messages)."))) {
  STRATUS_ASSERT(!key_.empty(), "the cluster relay needs a key");
  client.on_message([this](const mqtt::Message& m) { on_message(m); });
  client.subscribe(std::string(kClusterTopicFilter), 1, mqtt::SubscribeOptions{.no_local = true});
}

ClusterRelay::~ClusterRelay() = default;

std::string encode_relay_expected(std::string_view node_id) {
  std::string out = "{\"expected\":[";
  append_json_string(out, node_id);
  out += "]}";
  return out;
}

void ClusterRelay::send(std::string payload, std::size_t items) {
  outbox_->send_now(std::move(payload), items);
}

void ClusterRelay::forward(const std::vector<service::EventDraft>& events) {
  // Access changes leave at once, unnumbered: the others' streams must stop showing a
  // revoked node now, not after the paced queue, and never lose the event to its backlog.
  std::vector<service::EventDraft> at_once;
  std::size_t too_large = 0;
  auto paced = encode_items(events, kMaxPacedEventsBytes, too_large, &at_once);
  if (too_large != 0) {
    dropped_too_large_.inc(too_large);
    outbox_->skip();
  }
  if (!at_once.empty()) {
    std::size_t urgent_too_large = 0;
    for (const auto& message : encode_relay_events(at_once, kMaxRelayBodyBytes, urgent_too_large))
      send(message.payload, message.events);
    dropped_too_large_.inc(urgent_too_large);
  }
  if (!paced.empty())
    outbox_->add(std::move(paced));
}

void ClusterRelay::changed(service::Cached what, std::string_view id) {
  send(encode_relay_change(what, id), 1);
}

void ClusterRelay::counted(service::RateLimit limit, std::string_view key, bool reset) {
  send(encode_relay_rate(limit, key, reset), 1);
}

void ClusterRelay::expected(std::string_view node_id) {
  send(encode_relay_expected(node_id), 1);
}

void ClusterRelay::on_message(const mqtt::Message& message) {
  if (message.topic == topic_ || !message.topic.starts_with(kClusterTopicPrefix))
    return;  // this instance's own, or not the relay's
  // What may come from anyone who can publish here is counted and changes nothing: no
  // state, no resync (which would cost every stream a re-read). Logged once a minute.
  const auto refuse = [&](Counter& counter, std::string_view what) {
    counter.inc();
    if (const auto now = std::chrono::steady_clock::now();
        now - refused_logged_ >= std::chrono::minutes(1)) {
      refused_logged_ = now;
      log::warn(Channel::link,
                "cluster relay: dropped a message on {}: {}; more such are counted "
                "(stratus_cluster_relay_dropped_total), not logged, for a minute",
                message.topic, what);
    }
  };
  if (message.payload.size() > kMaxRelayMessageBytes) {
    refuse(dropped_too_large_,
           fmt::format("{} bytes, more than a sender builds", message.payload.size()));
    return;
  }
  const auto opened = open_relay_message(key_, message.topic, message.payload);
  if (!opened) {
    refuse(dropped_unsealed_,
           "its seal does not check (an instance with another auth/token.key, or a client "
           "past the broker's ACL)");
    return;
  }
  const auto body = opened->payload;
  const bool of_events = body.starts_with(kEventsHead);
  const auto now = std::chrono::steady_clock::now();
  // Not a structured binding: the lambda below captures `last` (clang 14 cannot capture
  // a binding).
  const auto emplaced = last_sequence_.try_emplace(message.topic, LastSequence{});
  auto last = emplaced.first;
  const bool first = emplaced.second;
  // The numbers seen: the highest, and a window of the 64 below it (as IPsec's and DTLS's
  // anti-replay windows): a message resent after a reconnect may arrive after a newer one.
  const auto number = opened->number;
  const auto top = last->second.number;
  const bool newer = first || number > top;
  if (!newer && (top - number >= 64 || (last->second.window >> (top - number) & 1U) != 0)) {
    dropped_duplicate_.inc();  // a QoS 1 redelivery (taken already), or a replay
    return;
  }
  if (const auto skew = unix_ms(std::chrono::system_clock::now()) - opened->sent_ms;
      skew > std::chrono::milliseconds(kRelayMaxClockSkew).count() ||
      -skew > std::chrono::milliseconds(kRelayMaxClockSkew).count()) {
    refuse(dropped_stale_, fmt::format("sent {} ms from this clock (a replay, a broker that "
                                       "held it, or clocks apart: NTP)",
                                       skew));
    if (first)
      last_sequence_.erase(last);
    return;
  }
  if (first) {
    last->second.number = number;
    last->second.window = 1;
  } else if (newer) {
    const auto shift = number - top;
    last->second.window = (shift >= 64 ? 0 : last->second.window << shift) | 1U;
    last->second.number = number;
  } else {
    last->second.window |= std::uint64_t{1} << (top - number);
  }
  last->second.seen = now;
  if (first && last_sequence_.size() > kSendersKept) {
    // Each start of an instance is a sender of its own (its topic's random part): the
    // ones gone quiet for long are forgotten, so restarts do not grow the map for good
    // (a sender forgotten while alive has its next message taken as its first).
    std::erase_if(last_sequence_, [&](const auto& entry) {
      return entry.first != message.topic && now - entry.second.seen > kSenderForgottenAfter;
    });
    last = last_sequence_.find(message.topic);
  }
  // A message of events from the sender that cannot be taken: its events are lost to the
  // streams here, and its next paced message starts the count afresh.
  const auto lose = [&](std::string_view why) {
    last->second.sequence.reset();
    hub_.lost(fmt::format("a message of events from {} was {}", message.topic, why));
  };
  // Events only reach user streams here (consumers that act ran where the event was
  // produced): with none open, a message of events is not worth decoding. (The hub
  // records the gap for resumes.)
  if (of_events && !hub_.admit_relayed()) {
    skipped_.inc();
    last->second.sequence.reset();
    return;
  }
  auto decoded = parse_relay_message(body);
  if (!decoded) {
    dropped_malformed_.inc();
    log::warn(Channel::link, "cluster relay: dropped a message on {}: {}", message.topic,
              decoded.error().message());
    if (of_events)
      lose("malformed");
    return;
  }
  if (decoded->sequence) {
    const auto sequence = *decoded->sequence;
    auto& last_sequence = last->second.sequence;
    if (last_sequence && sequence <= *last_sequence) {
      dropped_duplicate_.inc();  // numbered again: taken already
      return;
    }
    if (last_sequence && sequence != *last_sequence + 1) {
      gaps_.inc();
      log::warn(Channel::link, "cluster relay: messages from {} missing (seq {} after {})",
                message.topic, sequence, *last_sequence);
      hub_.lost(fmt::format("messages of events from {} went missing", message.topic));
    }
    last_sequence = sequence;
  }
  received_.inc(decoded->events.size() + decoded->changes.size() + decoded->rates.size() +
                decoded->expected.size());
  if (!decoded->events.empty())
    hub_.publish(std::move(decoded->events));
  for (auto& [what, id] : decoded->changes) {
    if (handlers_.changed)
      handlers_.changed(what, std::move(id));
  }
  for (auto& r : decoded->rates) {
    if (handlers_.counted)
      handlers_.counted(r.limit, std::move(r.key), r.reset);
  }
  for (auto& node_id : decoded->expected) {
    if (handlers_.expected)
      handlers_.expected(std::move(node_id));
  }
}

}  // namespace stratus::link
