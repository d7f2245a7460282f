// Fuzz target `esp_image`: the OTA image checks (spec rainmaker-device.md §7) and the
// `otaurl` decoder (rainmaker.md §1.3), each fed the whole input; the image checker also in
// uneven chunks. Invariants: the header parser and the streaming checker agree on the
// version they read; a checker that accepted the stream has its header and, with an appended
// hash, covers a prefix of the input; feeding in chunks gives the same verdict as feeding
// whole; a decoded offer has a job id and a URL and encodes back to an equal offer. Its
// metadata is compared as JSON, numbers that are not integers within 1e-12 of each other:
// Boost.JSON 1.81 does not round a literal like a 97-digit integer correctly, so its text
// after one round trip may name a neighbouring double (a finding, kept in the corpus as
// otaurl_metadata_97_digit_number; the offer code is right to pass metadata through).
#include "proto/esp_image.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <optional>
#include <string>
#include <span>
#include <string_view>

#include "fuzz_check.hpp"
#include "proto/ota.hpp"

namespace {

// Equal JSON values, doubles within a relative 1e-12 (see the comment above).
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_number() || !b.is_number())
      return false;
    const double x = a.to_number<double>();
    const double y = b.to_number<double>();
    return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.is_object() && b.is_object()) {
    const auto& oa = a.get_object();
    const auto& ob = b.get_object();
    if (oa.size() != ob.size())
      return false;
    for (const auto& [key, value] : oa) {
      const auto* other = ob.if_contains(key);
      if (other == nullptr || !same_json(value, *other))
        return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    const auto& xa = a.get_array();
    const auto& xb = b.get_array();
    if (xa.size() != xb.size())
      return false;
    for (std::size_t i = 0; i < xa.size(); ++i) {
      if (!same_json(xa[i], xb[i]))
        return false;
    }
    return true;
  }
  return a == b;
}

bool same_metadata(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (a.has_value() != b.has_value())
    return false;
  return !a || same_json(boost::json::parse(*a), boost::json::parse(*b));
}

}  // namespace

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
               again->file_size == offer->file_size &&
               same_metadata(again->metadata, offer->metadata));
  }
  return 0;
}
