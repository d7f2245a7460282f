// Fuzz target `protocomm`: what a device's protocomm endpoints receive from the network
// (spec rainmaker-device.md §1-§5): `prov-session`/`esp_local_ctrl/session` bodies fed to
// the security 0/1/2 device engines (fresh, and sec1/sec2 waiting for command 1), and the
// decrypted bodies of `prov-config`, `prov-scan`, `prov-ctrl`, `cloud_user_assoc`,
// `ch_resp` and `esp_local_ctrl/control` fed to their request decoders; the clients'
// response decoders and the `proto-ver`/version JSON readers get the same bytes.
// Invariants: decoders fail only with invalid_argument, and what decodes re-encodes to
// bytes that decode to the same value; engines fail only with invalid_argument, conflict
// or unauthenticated, and never establish a session from one message (sec0 aside).
#include <string>

#include "fuzz_check.hpp"
#include "protocomm/capabilities.hpp"
#include "protocomm/local_ctrl.hpp"
#include "protocomm/mapping.hpp"
#include "protocomm/security0.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"
#include "protocomm/wifi.hpp"

namespace {

using namespace stratus;
using namespace stratus::protocomm;

// Deterministic "randomness": a counter, so every run of an input is the same.
RandomSource counting_random() {
  return [n = std::uint8_t{1}](std::span<std::uint8_t> out) mutable {
    for (auto& b : out) {
      b = n++;
    }
  };
}

template <class Decode, class Encode>
void round_trip(std::string_view bytes, Decode decode, Encode encode) {
  const auto value = decode(bytes);
  if (!value) {
    FUZZ_CHECK(value.error().code == errc::invalid_argument);
    return;
  }
  const auto again = decode(encode(*value));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *value);
}

void check_engine_error(const Result<std::string>& r) {
  if (!r) {
    const auto code = r.error().code;
    FUZZ_CHECK(code == errc::invalid_argument || code == errc::conflict ||
               code == errc::unauthenticated);
  }
}

const Sec2Verifier& verifier() {
  static const Sec2Verifier v = *make_sec2_verifier(kSec2Username, "abcd1234",
                                                    std::string("\x10\x11\x12\x13\x14\x15\x16"
                                                                "\x17\x18\x19\x1a\x1b\x1c\x1d"
                                                                "\x1e\x1f"));
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = fuzz::as_text(data, size);

  // Endpoint payloads, device side (requests) and client side (responses).
  round_trip(bytes, decode_wifi_config_request,
             [](const auto& v) { return encode_wifi_config_request(v); });
  round_trip(bytes, decode_wifi_config_response,
             [](const auto& v) { return encode_wifi_config_response(v); });
  round_trip(bytes, decode_wifi_scan_request,
             [](const auto& v) { return encode_wifi_scan_request(v); });
  round_trip(bytes, decode_wifi_scan_response,
             [](const auto& v) { return encode_wifi_scan_response(v); });
  round_trip(bytes, decode_wifi_ctrl_request,
             [](const auto& v) { return encode_wifi_ctrl_request(v); });
  round_trip(bytes, decode_wifi_ctrl_response,
             [](const auto& v) { return encode_wifi_ctrl_response(v); });
  round_trip(bytes, decode_user_mapping_request,
             [](const auto& v) { return encode_user_mapping_request(v); });
  round_trip(bytes, decode_user_mapping_response,
             [](const auto& v) { return encode_user_mapping_response(v); });
  round_trip(bytes, decode_ch_resp_request,
             [](const auto& v) { return encode_ch_resp_request(v); });
  round_trip(bytes, decode_ch_resp_response,
             [](const auto& v) { return encode_ch_resp_response(v); });
  round_trip(bytes, decode_local_ctrl_request,
             [](const auto& v) { return encode_local_ctrl_request(v); });
  round_trip(bytes, decode_local_ctrl_response,
             [](const auto& v) { return encode_local_ctrl_response(v); });
  round_trip(bytes, parse_proto_version, [](const auto& v) { return to_json(v); });
  round_trip(bytes, parse_local_ctrl_version, [](const auto& v) { return to_json(v); });

  // Session bodies.
  Sec0Device sec0;
  check_engine_error(sec0.handle(bytes));

  Sec1Device sec1("abcd1234", counting_random());
  check_engine_error(sec1.handle(bytes));
  FUZZ_CHECK(!sec1.established());
  // The same bytes as command 1 of a handshake whose command 0 came from a client.
  Sec1Device sec1_waiting("abcd1234", counting_random());
  Sec1Client client1("abcd1234", counting_random());
  const auto cmd0 = client1.start();
  FUZZ_CHECK(cmd0.has_value() && sec1_waiting.handle(*cmd0).has_value());
  check_engine_error(sec1_waiting.handle(bytes));

  Sec2Device sec2(verifier(), counting_random());
  const auto first = sec2.handle(bytes);
  check_engine_error(first);
  FUZZ_CHECK(!sec2.established());
  if (first.has_value()) {  // a valid command 0: the bytes' second half as command 1
    check_engine_error(sec2.handle(bytes.substr(bytes.size() / 2)));
    FUZZ_CHECK(!sec2.established());
  }
  return 0;
}
