// Fuzz target `node_config`: the node config a node publishes on `config` (spec
// rainmaker.md §2.1), parsed by model::parse_node_config.
// Invariants: a parsed config has a non-empty node id; writing it with to_json and parsing
// that again succeeds and writes the same JSON (the documented round trip).
#include <string>

#include "fuzz_check.hpp"
#include "model/node_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::model;
  const auto config = parse_node_config(stratus::fuzz::as_text(data, size));
  if (!config)
    return 0;
  FUZZ_CHECK(!config->node_id.empty());
  const std::string json = to_json(*config);
  const auto again = parse_node_config(json);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(to_json(*again) == json);
  for (const auto& device : config->devices)
    FUZZ_CHECK(config->find_device(device.name) == &device);
  return 0;
}
