// Fuzz target `esp_image`: the OTA image checks (spec rainmaker-device.md §7) and the
// `otaurl` decoder (rainmaker.md §1.3), each fed the whole input; the image checker also in
// uneven chunks. Invariants: the header parser and the streaming checker agree on the
// version they read; a checker that accepted the stream has its header and, with an appended
// hash, covers a prefix of the input; feeding in chunks gives the same verdict as feeding
// whole; a decoded offer has a job id and a URL and encodes back to an equal offer.
#include "proto/esp_image.hpp"

#include <span>
#include <string_view>

#include "fuzz_check.hpp"
#include "proto/ota.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::proto;
  const std::span<const std::uint8_t> bytes(data, size);
  const auto header = parse_esp_image_header(bytes);

  EspImageChecker whole(1 << 20);
  const bool whole_ok = whole.feed(bytes).has_value() && whole.finish().has_value();
  if (whole_ok) {
    FUZZ_CHECK(whole.info().has_value());
    FUZZ_CHECK(header.has_value() && header->version == whole.info()->version);
    FUZZ_CHECK(whole.hashed_bytes() <= size);
  }
  EspImageChecker chunked(1 << 20);
  bool chunked_ok = true;
  for (std::size_t at = 0, step = 1; at < size && chunked_ok; at += step, step = step * 2 + 1)
    chunked_ok = chunked.feed(bytes.subspan(at, std::min(step, size - at))).has_value();
  chunked_ok = chunked_ok && chunked.finish().has_value();
  FUZZ_CHECK(chunked_ok == whole_ok);

  const auto text = std::string_view(reinterpret_cast<const char*>(data), size);
  if (const auto offer = parse_ota_url(text)) {
    FUZZ_CHECK(!offer->ota_job_id.empty() && !offer->url.empty());
    const auto again = parse_ota_url(encode_ota_url(*offer), 1 << 20);
    FUZZ_CHECK(again.has_value() && again->url == offer->url &&
               again->file_size == offer->file_size && again->metadata == offer->metadata);
  }
  return 0;
}
