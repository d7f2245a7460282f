// Fuzz target `wirepas`: the gateway-to-backend topic parser and message decoder (spec
// wirepas.md §1.2, §2), both read from any gateway or backend on a shared broker, and the
// remote-API (MSAP) packets nodes and backends exchange on endpoint 240 (§3.4).
// Input: `<topic>\n<payload>`; the whole input is also tried as a topic and as a payload.
// Invariants: a parsed topic is rebuilt byte for byte (but for the README's second
// spelling of the get_gw_info response); a strictly decoded message encodes and decodes to
// the same bytes; a message's kind agrees with which header it has; a split MSAP packet
// joins back to itself (when under the size bound) and every decoded item re-encodes to
// itself.
#include <algorithm>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "wirepas/messages.hpp"
#include "wirepas/msap.hpp"
#include "wirepas/topics.hpp"

namespace {

using namespace stratus::wirepas;

void check_topic(std::string_view text) {
  const auto topic = parse_topic(text);
  if (!topic)
    return;
  FUZZ_CHECK(valid_id(topic->gw_id));
  FUZZ_CHECK(topic->sink_id.empty() != names_sink(topic->operation));
  const auto rebuilt = build_topic(*topic);
  FUZZ_CHECK(rebuilt.has_value());
  if (*rebuilt != text) {
    FUZZ_CHECK(topic->operation == Operation::get_gw_info &&
               topic->direction == Direction::response && text.starts_with(*rebuilt + "/"));
  }
}

void check_payload(std::string_view payload) {
  for (const auto strictness : {Strictness::strict, Strictness::tolerant}) {
    const auto message = decode(payload, strictness);
    if (!message)
      continue;
    if (const auto kind = kind_of(message->wirepas())) {
      const bool request = request_header(message->wirepas()) != nullptr;
      const bool response = response_header(message->wirepas()) != nullptr;
      const bool event = event_header(message->wirepas()) != nullptr;
      FUZZ_CHECK(request + response + event <= 1);
      if (request)
        FUZZ_CHECK(kind->direction == Direction::request);
      if (response)
        FUZZ_CHECK(kind->direction == Direction::response);
      if (event)
        FUZZ_CHECK(kind->direction == Direction::event);
    }
    if (strictness == Strictness::strict) {
      const auto bytes = encode(*message);
      FUZZ_CHECK(bytes.has_value());
      if (!bytes->empty()) {
        const auto again = decode(*bytes);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(*encode(*again) == *bytes);
      }
    }
  }
}

void check_msap(std::string_view text) {
  namespace msap = stratus::wirepas::msap;
  const std::span bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  const auto items = msap::split(bytes);
  if (!items)
    return;
  if (const auto joined = msap::join(*items))
    FUZZ_CHECK(std::equal(joined->begin(), joined->end(), bytes.begin(), bytes.end()));
  else
    FUZZ_CHECK(bytes.size() >= msap::kMaxPacketBytes);
  for (const auto& item : *items) {
    if (const auto request = msap::decode_request(item))
      FUZZ_CHECK(msap::encode(*request) == item);
    if (const auto reply = msap::decode_reply(item))
      FUZZ_CHECK(msap::encode(*reply) == item);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = stratus::fuzz::as_text(data, size);
  const auto [topic, payload] = stratus::fuzz::split_line(text);
  check_topic(text);
  check_topic(topic);
  check_payload(text);
  check_payload(payload);
  check_msap(text);
  return 0;
}
