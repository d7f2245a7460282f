// Fuzz target `http_target`: the request-target parser (http::parse_target, RFC 9112
// §3.2.1): path and query percent-decoding, run on every request stratusd serves.
// Invariants: an accepted target gives a path that starts with '/' and holds no NUL, and
// query names and values without NUL.
#include <string_view>

#include "fuzz_check.hpp"
#include "http/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto target = stratus::http::parse_target(stratus::fuzz::as_text(data, size));
  if (!target)
    return 0;
  FUZZ_CHECK(!target->path.empty() && target->path.front() == '/');
  FUZZ_CHECK(target->path.find('\0') == std::string_view::npos);
  for (const auto& [name, value] : target->query) {
    FUZZ_CHECK(name.find('\0') == std::string_view::npos);
    FUZZ_CHECK(value.find('\0') == std::string_view::npos);
  }
  return 0;
}
