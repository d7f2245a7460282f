// Fuzz target `wirepas_provisioning`: the provisioning protocol (spec wirepas.md §5.3) as a
// server or a joining node reads it from the mesh: frames of endpoints 246/255, the CBOR
// content of a DATA, and a secured DATA opened with a fixed factory key and IV.
// Invariants: a decoded frame encodes to the same bytes; decoded content encodes and
// decodes to the same value; a secured DATA that opens re-seals to the same body.
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "wirepas/provisioning.hpp"

namespace {

using namespace stratus::wirepas::provisioning;

void check_content(std::string_view cbor) {
  const auto content = decode_content(cbor);
  if (!content)
    return;
  const auto again = decode_content(encode_content(*content));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *content);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = stratus::fuzz::as_text(data, size);
  const auto frame = decode_frame(text);
  if (frame) {
    FUZZ_CHECK(encode(*frame) == text);
    if (const auto* d = std::get_if<Data>(&*frame)) {
      check_content(d->body);
      static const auto key = *FactoryKey::split(std::string(32, '\x5A'));
      const Iv iv{};
      if (const auto plain = open(key, iv, *d)) {
        FUZZ_CHECK(seal(key, iv, d->header, d->counter, *plain).body == d->body);
        check_content(*plain);
      }
    }
  }
  check_content(text);
  return 0;
}
