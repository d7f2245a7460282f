// Fuzz target `topics`: the node topic parser (spec rainmaker.md §1.2) and the broker
// plugin's presence and subscription events (§1.5), all read from outside the process.
// Input: `<topic>\n<payload>`; the whole input is also tried as a topic.
// Invariants: a parsed topic has a valid node id, is inside the ACL the broker enforces for
// that node, and is rebuilt byte for byte from its parts; a parsed presence event
// round-trips through presence_topic/presence_payload.
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "proto/topic_rules.hpp"
#include "proto/topics.hpp"

namespace {

using namespace stratus::proto;

void check_topic(std::string_view topic) {
  const auto parsed = parse_node_topic(topic);
  if (!parsed)
    return;
  FUZZ_CHECK(valid_node_id(parsed->node_id));
  FUZZ_CHECK(parsed->group_id.empty() == (parsed->suffix != Suffix::params_local_group));
  std::string rebuilt = topic_for(parsed->node_id, parsed->suffix, parsed->group_id);
  if (parsed->basic_ingest) {
    FUZZ_CHECK(!parsed->rule.empty());
    FUZZ_CHECK(under_basic_ingest(topic, parsed->node_id));
    rebuilt = "$aws/rules/" + std::string(parsed->rule) + "/" + rebuilt;
  } else {
    FUZZ_CHECK(parsed->rule.empty());
    FUZZ_CHECK(under_node_tree(topic, parsed->node_id));
  }
  FUZZ_CHECK(rebuilt == topic);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = stratus::fuzz::as_text(data, size);
  const auto [topic, payload] = stratus::fuzz::split_line(text);
  check_topic(text);
  check_topic(topic);

  if (const auto event = parse_presence(topic, payload)) {
    FUZZ_CHECK(valid_node_id(event->node_id));
    FUZZ_CHECK(event->timestamp_ms >= 0);
    const auto again = parse_presence(presence_topic(event->node_id), presence_payload(*event));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->node_id == event->node_id && again->connected == event->connected &&
               again->timestamp_ms == event->timestamp_ms);
  }
  if (const auto node_id = parse_subscribed(topic, payload)) {
    FUZZ_CHECK(valid_node_id(*node_id));
    FUZZ_CHECK(payload == "params/remote");
    FUZZ_CHECK(topic == std::string(kSubscribedTopicPrefix) + *node_id);
  }
  return 0;
}
