// Fuzz target `rainmaker_map`: what the console's RainMaker side reads from the broker
// (console/rainmaker_map.hpp): a topic (the first line) and a payload (the rest), applied
// twice. Invariants: no crash; a topic it does not take changes nothing; a message it takes
// names a node the map then holds, and its JSON is one object whether or not it decoded; a
// refused payload says why.
#include "console/rainmaker_map.hpp"

#include <boost/json.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using stratus::console::RainMakerMap;
  const auto [topic, payload] = stratus::fuzz::split_line(stratus::fuzz::as_text(data, size));
  RainMakerMap map;
  for (int i = 0; i < 2; ++i) {
    const auto before = map.nodes().size();
    const auto m = map.on_message(topic, payload, 1000 + i);
    if (!m) {
      FUZZ_CHECK(map.nodes().size() == before);
      continue;
    }
    FUZZ_CHECK(map.nodes().contains(m->node_id));
    FUZZ_CHECK(m->decoded || !m->error.empty());
    boost::json::error_code ec;
    const auto v = boost::json::parse(m->json, ec);
    FUZZ_CHECK(!ec && v.is_object());
    const auto& node = map.nodes().find(m->node_id)->second;
    FUZZ_CHECK(node.first_seen_ms <= node.last_seen_ms && node.messages >= 1);
  }
  return 0;
}
