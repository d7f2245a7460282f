// Fuzz target `byte_range`: the Range header parser (http::parse_byte_range, RFC 9110 §14,
// one range) and http::file_response built from it, for a fixed set of representation
// sizes (0, 1, 100, 2^32, 2^64-1); the input is the header value.
// Invariants: a satisfiable range is non-empty and lies inside the representation; the
// other outcomes carry no range; the range written back as `bytes=first-last` parses to
// the same range; file_response answers 200/206/416 with a file body exactly for 200/206,
// covering the whole file for 200 and the parsed range for 206.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using stratus::http::RangeDecision;
  const auto header = stratus::fuzz::as_text(data, size);
  for (const std::uint64_t length :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{100}, std::uint64_t{1} << 32,
        std::numeric_limits<std::uint64_t>::max()}) {
    const RangeDecision range = stratus::http::parse_byte_range(header, length);
    if (range.kind == RangeDecision::Kind::satisfiable) {
      FUZZ_CHECK(range.length >= 1);
      FUZZ_CHECK(range.offset < length && range.length <= length - range.offset);
      const std::string again = "bytes=" + std::to_string(range.offset) + "-" +
                                std::to_string(range.offset + range.length - 1);
      const RangeDecision reparsed = stratus::http::parse_byte_range(again, length);
      FUZZ_CHECK(reparsed.kind == RangeDecision::Kind::satisfiable);
      FUZZ_CHECK(reparsed.offset == range.offset && reparsed.length == range.length);
    } else {
      FUZZ_CHECK(range.offset == 0 && range.length == 0);
    }

    const auto response = stratus::http::file_response("f", length, header, "x/y");
    FUZZ_CHECK(response.body.empty());
    switch (range.kind) {
      case RangeDecision::Kind::ignore:
        FUZZ_CHECK(response.status == 200 && response.file && response.file->offset == 0 &&
                   response.file->length == length);
        break;
      case RangeDecision::Kind::satisfiable:
        FUZZ_CHECK(response.status == 206 && response.file &&
                   response.file->offset == range.offset && response.file->length == range.length);
        break;
      case RangeDecision::Kind::not_satisfiable:
        FUZZ_CHECK(response.status == 416 && !response.file);
        break;
    }
  }
  return 0;
}
