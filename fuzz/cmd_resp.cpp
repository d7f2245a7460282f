// Fuzz target `cmd_resp`: the command-response TLV8 codec (spec rainmaker.md §3.1) — a
// node's responses on `from-node` come from outside; requests are decoded by the agent.
// Invariants: whatever decodes re-encodes to bytes that decode to the same value
// (decode(encode(x)) == x); a decoded poll re-encodes to exactly the spec's poll bytes.
#include <string>

#include "fuzz_check.hpp"
#include "proto/cmd_resp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::proto;
  const auto bytes = stratus::fuzz::as_text(data, size);

  if (const auto request = decode_request(bytes)) {
    const auto again = decode_request(encode_request(*request));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->request_id == request->request_id && again->role == request->role &&
               again->timestamp == request->timestamp && again->command == request->command &&
               again->data == request->data);
  }
  if (const auto response = decode_response(bytes)) {
    const std::string encoded = encode_response(*response);
    const auto again = decode_response(encoded);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->request_id == response->request_id && again->status == response->status &&
               again->command == response->command && again->data == response->data);
    if (response->is_poll() && response->status == 0 && response->data.empty())
      FUZZ_CHECK(encoded == encode_poll());
  }
  return 0;
}
