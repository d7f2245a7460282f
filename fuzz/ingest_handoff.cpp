// Fuzz target `ingest_handoff`: the ingest handoff's framing (docs/adr/0025), read by
// stratusd from the broker plugin's socket and by the plugin from stratusd's.
// Invariants: a stream is split into frames that never reach past the input, each within
// the size limit; whatever parses as a hello, message or ack re-encodes to exactly the
// frame it came from.
#include "proto/ingest_handoff.hpp"

#include <string>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::proto;
  std::string_view rest = stratus::fuzz::as_text(data, size);
  for (;;) {
    const auto d = next_handoff_frame(rest);
    if (d.status != HandoffDecode::Status::frame)
      break;
    FUZZ_CHECK(d.frame.size <= rest.size());
    FUZZ_CHECK(d.frame.body.size() <= kMaxHandoffBodyBytes);
    FUZZ_CHECK(d.frame.size == kHandoffHeaderBytes + d.frame.body.size());
    const auto whole = rest.substr(0, d.frame.size);
    std::string again;
    switch (d.frame.kind) {
      case HandoffKind::hello:
        if (const auto h = parse_handoff_hello(d.frame.body)) {
          // The version is not checked by the parser; re-encoding writes kHandoffVersion.
          append_handoff_hello(again, h->session, h->secret);
          if (h->version == kHandoffVersion)
            FUZZ_CHECK(again == whole);
        }
        break;
      case HandoffKind::message:
        if (const auto m = parse_handoff_message(d.frame.body)) {
          FUZZ_CHECK(append_handoff_message(again, m->sequence, m->topic, m->payload));
          FUZZ_CHECK(again == whole);
        }
        break;
      case HandoffKind::ack:
        if (const auto a = parse_handoff_ack(d.frame.body)) {
          append_handoff_ack(again, *a);
          FUZZ_CHECK(again == whole);
        }
        break;
    }
    rest.remove_prefix(d.frame.size);
  }
  return 0;
}
