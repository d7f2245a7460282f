// Fuzz targets `apdu_<decoder>`: one APDU decoder of spec wirepas.md §6 each, chosen at
// build time by FUZZ_SOURCE_ENDPOINT / FUZZ_DESTINATION_ENDPOINT (fuzz/CMakeLists.txt).
// Payloads come from any node of a mesh through any gateway.
// Invariants: the decoder gives a value or an invalid_argument error (never a crash or an
// allocation the payload did not pay for); it is the pair's decoder, not `generic`; a
// decoded binary diagnostic re-encodes to the bytes it came from (up to its end marker).
#include <algorithm>
#include <span>
#include <variant>

#include "fuzz_check.hpp"
#include "wirepas/apdu.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::wirepas::apdu;
  const std::span<const std::uint8_t> payload(data, size);
  const auto decoded = decode(FUZZ_SOURCE_ENDPOINT, FUZZ_DESTINATION_ENDPOINT, payload);
  if (!decoded) {
    FUZZ_CHECK(decoded.error().code == stratus::errc::invalid_argument);
    return 0;
  }
  FUZZ_CHECK(!std::holds_alternative<Generic>(*decoded));
  const auto same_prefix = [&](const std::vector<std::uint8_t>& bytes) {
    return bytes.size() <= size && std::equal(bytes.begin(), bytes.end(), payload.begin());
  };
  if (const auto* t = std::get_if<TrafficDiagnostics>(&*decoded))
    FUZZ_CHECK(encode(*t).size() == size && same_prefix(encode(*t)));
  if (const auto* n = std::get_if<NeighborDiagnostics>(&*decoded))
    FUZZ_CHECK(same_prefix(encode(*n)));
  if (const auto* d = std::get_if<NodeDiagnostics>(&*decoded))
    FUZZ_CHECK(encode(*d).size() == size && same_prefix(encode(*d)));
  if (const auto* b = std::get_if<BootDiagnostics>(&*decoded))
    FUZZ_CHECK(encode(*b).size() == size && same_prefix(encode(*b)));
  return 0;
}
