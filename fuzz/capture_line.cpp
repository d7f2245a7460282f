// Fuzz target `capture_line`: one line of a traffic capture (console/capture.hpp), the
// file `stratus-console replay` reads. Invariants: a line that parses re-encodes to a
// line that parses to the same message.
#include "console/capture.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::console;
  const auto m = parse_capture_line(stratus::fuzz::as_text(data, size));
  if (m) {
    const auto again = parse_capture_line(encode_capture_line(*m));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *m);
  }
  return 0;
}
