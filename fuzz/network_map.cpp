// Fuzz target `network_map`: what the console's network map reads from the broker
// (console/network_map.hpp): a topic (the first line) and a payload (the rest), applied
// twice. Invariants: no crash; a message that changes nothing leaves the map as it was;
// every node is keyed by a network some packet named and was heard through a sink.
#include "console/network_map.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using stratus::console::NetworkMap;
  const auto [topic, payload] = stratus::fuzz::split_line(stratus::fuzz::as_text(data, size));
  NetworkMap map;
  for (int i = 0; i < 2; ++i) {
    const auto gateways = map.gateways().size();
    const auto nodes = map.nodes().size();
    if (map.on_message(topic, payload, 1000 + i) == NetworkMap::Change::none) {
      FUZZ_CHECK(map.gateways().size() == gateways);
      FUZZ_CHECK(map.nodes().size() == nodes);
    }
  }
  for (const auto& [key, node] : map.nodes()) {
    FUZZ_CHECK(!node.via.empty());
    FUZZ_CHECK(node.packets >= 1 && node.first_seen_ms <= node.last_seen_ms);
  }
  (void)map.networks();
  (void)map.offline_gateways();
  return 0;
}
