// Fuzz target `cluster_relay`: the relay messages one stratusd receives from the other
// instances of its cluster on `$stratus/relay/+` (docs/adr/0021), read from the broker.
// Input: the message payload (the JSON; its seal is checked against a fixed key first).
// Invariants: a message's seal is checked without a crash and never passes for input that
// was not sealed with the key; sealing the input and opening it gives the input back; a
// parsed message's events are marked relayed, with a JSON object as data; encoding them (and
// the change notices, rate counts and expected nodes) again and parsing that gives the same
// values.
#include "link/cluster_relay.hpp"

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view key = "fuzz key";
  constexpr std::string_view topic = "$stratus/relay/1-00000000";
  FUZZ_CHECK(!link::open_relay_message(key, topic, input));  // forging a seal: 2^-256
  const auto sealed = link::seal_relay_message(key, topic, std::string(input), 42, 1700000000000);
  FUZZ_CHECK(sealed.has_value());
  const auto opened = link::open_relay_message(key, topic, *sealed);
  FUZZ_CHECK(opened && opened->payload == input && opened->number == 42 &&
             opened->sent_ms == 1700000000000);
  FUZZ_CHECK(!link::open_relay_message(key, "$stratus/relay/2-00000000", *sealed));
  auto message = link::parse_relay_message(input);
  if (!message)
    return 0;
  for (const auto& e : message->events) {
    FUZZ_CHECK(e.relayed);
    FUZZ_CHECK(boost::json::parse(e.data_json).is_object());
  }
  std::size_t too_large = 0;
  const auto batches = link::encode_relay_events(message->events, 1u << 30, too_large);
  FUZZ_CHECK(too_large == 0);
  std::size_t count = 0;
  for (const auto& batch : batches) {
    auto again = link::parse_relay_message(batch.payload);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->events.size() == batch.events);
    for (std::size_t i = 0; i < again->events.size(); ++i) {
      const auto& a = again->events[i];
      const auto& b = message->events[count + i];
      FUZZ_CHECK(a.kind == b.kind && a.node_id == b.node_id && a.user_ids == b.user_ids &&
                 a.timestamp_ms == b.timestamp_ms && a.data_json == b.data_json &&
                 a.access_changed == b.access_changed);
    }
    count += batch.events;
  }
  FUZZ_CHECK(count == message->events.size());
  for (const auto& [what, id] : message->changes) {
    auto again = link::parse_relay_message(link::encode_relay_change(what, id));
    FUZZ_CHECK(again.has_value() && again->changes.size() == 1);
    FUZZ_CHECK(again->changes[0].first == what && again->changes[0].second == id);
  }
  for (const auto& r : message->rates) {
    auto again = link::parse_relay_message(link::encode_relay_rate(r.limit, r.key, r.reset));
    FUZZ_CHECK(again.has_value() && again->rates.size() == 1);
    FUZZ_CHECK(again->rates[0].limit == r.limit && again->rates[0].key == r.key &&
               again->rates[0].reset == r.reset);
  }
  for (const auto& node_id : message->expected) {
    FUZZ_CHECK(!node_id.empty());
    auto again = link::parse_relay_message(link::encode_relay_expected(node_id));
    FUZZ_CHECK(again.has_value() && again->expected == std::vector<std::string>{node_id});
  }
  return 0;
}
