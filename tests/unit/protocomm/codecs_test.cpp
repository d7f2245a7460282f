// Proves the endpoint codecs write the bytes the firmware and the RainMaker CLI write
// (prov-config, prov-scan, prov-ctrl, cloud_user_assoc, ch_resp, esp_local_ctrl; spec
// rainmaker-device.md §3-§5), read back what they write, and refuse anything else with a
// reason: wrong message type, a payload that does not match it, truncations, garbage,
// invalid UTF-8 in string fields. How: byte vectors, round trips, prefix and noise sweeps.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "protocomm/local_ctrl.hpp"
#include "protocomm/mapping.hpp"
#include "protocomm/wifi.hpp"
#include "test_bytes.hpp"

namespace stratus::protocomm {
namespace {

using test::hex;
using test::unhex;

template <class T, class Decode, class Encode>
void expect_round_trip(const T& value, Encode encode, Decode decode) {
  const auto bytes = encode(value);
  const auto back = decode(bytes);
  ASSERT_TRUE(back.has_value()) << hex(bytes) << ": " << back.error().context;
  EXPECT_TRUE(*back == value) << hex(bytes);
}

// Every decoder is total: every prefix of `bytes` and random noise give a value or an
// invalid_argument error, never a crash or another code.
template <class Decode>
void expect_total(Decode decode, const std::string& bytes) {
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const auto r = decode(std::string_view(bytes).substr(0, n));
    if (!r) {
      EXPECT_EQ(r.error().code, errc::invalid_argument);
      EXPECT_FALSE(r.error().context.empty());
    }
  }
  std::mt19937 gen(1234);
  for (int i = 0; i < 300; ++i) {
    std::string noise(static_cast<std::size_t>(gen() % 40), '\0');
    for (auto& c : noise) {
      c = static_cast<char>(gen() & 0xFFU);
    }
    const auto r = decode(noise);
    if (!r) {
      EXPECT_EQ(r.error().code, errc::invalid_argument);
    }
  }
}

// --- prov-config -------------------------------------------------------------------------

TEST(WifiConfig, BytesAreTheSpecVectors) {
  EXPECT_EQ(hex(encode_wifi_config_request(WifiGetStatus{})), "5200");
  WifiStatus connecting;
  connecting.state = WifiStationState::connecting;
  EXPECT_EQ(hex(encode_wifi_config_response(connecting)), "08015a021001");
  const auto decoded = decode_wifi_config_response(unhex("08015a021001"));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(std::get<WifiStatus>(*decoded).state, WifiStationState::connecting);
  // The CLI's SetConfig{ssid, passphrase}: msg 2, cmd_set_config (field 12).
  EXPECT_EQ(hex(encode_wifi_config_request(WifiSetConfig{"ab", "pw", "", 0})),
            "080262080a026162120270"
            "77");
}

TEST(WifiConfig, RoundTrips) {
  const auto enc_req = [](const WifiConfigRequest& r) { return encode_wifi_config_request(r); };
  const auto dec_req = [](std::string_view b) { return decode_wifi_config_request(b); };
  expect_round_trip(WifiConfigRequest{WifiGetStatus{}}, enc_req, dec_req);
  expect_round_trip(WifiConfigRequest{WifiApplyConfig{}}, enc_req, dec_req);
  expect_round_trip(
      WifiConfigRequest{WifiSetConfig{"home\xff", std::string(64, 'p'),
                                      std::string("\x01\x02\x03\x04\x05\x06", 6), -3}},
      enc_req, dec_req);

  const auto enc = [](const WifiConfigResponse& r) { return encode_wifi_config_response(r); };
  const auto dec = [](std::string_view b) { return decode_wifi_config_response(b); };
  WifiStatus connected;
  connected.connected = WifiConnected{"192.168.1.20", WifiAuthMode::wpa2_psk, "home",
                                      std::string("\xaa\xbb\xcc\xdd\xee\xff", 6), 6};
  expect_round_trip(WifiConfigResponse{connected}, enc, dec);
  WifiStatus failed;
  failed.state = WifiStationState::connection_failed;
  failed.fail_reason = WifiFailReason::auth_error;  // 0: present only thanks to the oneof
  expect_round_trip(WifiConfigResponse{failed}, enc, dec);
  WifiStatus retrying;
  retrying.state = WifiStationState::connecting;
  retrying.attempts_remaining = 0;
  expect_round_trip(WifiConfigResponse{retrying}, enc, dec);
  expect_round_trip(WifiConfigResponse{WifiSetConfigResult{Status::invalid_argument}}, enc, dec);
  expect_round_trip(WifiConfigResponse{WifiApplyConfigResult{Status::internal_error}}, enc, dec);
  expect_round_trip(WifiConfigResponse{WifiApplyConfigResult{static_cast<Status>(42)}}, enc, dec);
}

TEST(WifiConfig, RefusesWhatIsNotARequestOrResponse) {
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"ff", "not a valid WiFiConfigPayload"},
      {"0801", "unexpected message type 1"},  // a response
      {"0809", "unexpected message type 9"},  // unknown
      {"0802", "does not match"},             // SetConfig without its payload
      {"08025200", "does not match"},         // SetConfig carrying cmd_get_status
      {"5a00", "does not match"},             // GetStatus carrying resp_get_status
  };
  for (const auto& [bytes, reason] : requests) {
    const auto r = decode_wifi_config_request(unhex(bytes));
    ASSERT_FALSE(r.has_value()) << bytes;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_NE(r.error().context.find(reason), std::string::npos) << r.error().context;
  }
  // Fieldless commands may come without their (empty) payload.
  EXPECT_TRUE(decode_wifi_config_request("").has_value());
  EXPECT_TRUE(decode_wifi_config_request(unhex("0804")).has_value());
  EXPECT_FALSE(decode_wifi_config_response(unhex("5200")).has_value());
  EXPECT_FALSE(decode_wifi_config_response(unhex("0801")).has_value());
  // ip4_addr is a protobuf string: invalid UTF-8 is refused.
  EXPECT_FALSE(decode_wifi_config_response(unhex("08015a065a040a02ff41")).has_value());
  expect_total([](std::string_view b) { return decode_wifi_config_request(b); },
               encode_wifi_config_request(WifiSetConfig{"ssid", "passphrase", "", 1}));
  WifiStatus s;
  s.connected = WifiConnected{"10.0.0.2", WifiAuthMode::wpa3_psk, "x", "123456", 11};
  expect_total([](std::string_view b) { return decode_wifi_config_response(b); },
               encode_wifi_config_response(s));
}

// --- prov-scan ---------------------------------------------------------------------------

TEST(WifiScan, RoundTripsAndCliBytes) {
  // The CLI's SoftAP scan start: blocking, group_channels 5, period 120 ms (msg 0 omitted).
  EXPECT_EQ(hex(encode_wifi_scan_request(WifiScanStart{true, false, 5, 120})), "5206080118052078");
  const auto enc_req = [](const WifiScanRequest& r) { return encode_wifi_scan_request(r); };
  const auto dec_req = [](std::string_view b) { return decode_wifi_scan_request(b); };
  expect_round_trip(WifiScanRequest{WifiScanStart{true, true, 4, 300}}, enc_req, dec_req);
  expect_round_trip(WifiScanRequest{WifiScanStatus{}}, enc_req, dec_req);
  expect_round_trip(WifiScanRequest{WifiScanResults{100, 4}}, enc_req, dec_req);

  const auto enc = [](const WifiScanResponse& r) { return encode_wifi_scan_response(r); };
  const auto dec = [](std::string_view b) { return decode_wifi_scan_response(b); };
  expect_round_trip(WifiScanResponse{WifiScanStarted{}}, enc, dec);
  expect_round_trip(WifiScanResponse{WifiScanProgress{Status::success, true, 3}}, enc, dec);
  WifiScanPage page;
  page.entries = {{"home", 6, -40, "abcdef", WifiAuthMode::wpa2_psk},
                  {"", 11, -90, "", WifiAuthMode::open},
                  {"cafe\xe9", 1, 0, "123456", static_cast<WifiAuthMode>(99)}};
  expect_round_trip(WifiScanResponse{page}, enc, dec);
  expect_round_trip(WifiScanResponse{WifiScanPage{Status::internal_error, {}}}, enc, dec);

  EXPECT_FALSE(decode_wifi_scan_request(unhex("0801")).has_value());
  EXPECT_FALSE(decode_wifi_scan_request(unhex("0804")).has_value());  // result without payload
  EXPECT_FALSE(decode_wifi_scan_response(unhex("0800")).has_value());
  expect_total(dec_req, encode_wifi_scan_request(WifiScanResults{1, 2}));
  expect_total(dec, encode_wifi_scan_response(page));
}

// --- prov-ctrl ---------------------------------------------------------------------------

TEST(WifiCtrl, RoundTripsAndRefusals) {
  EXPECT_EQ(hex(encode_wifi_ctrl_request({WifiCtrlCommand::reset})), "08015a00");
  for (const auto c : {WifiCtrlCommand::reset, WifiCtrlCommand::reprov}) {
    expect_round_trip(
        WifiCtrlRequest{c}, [](const auto& r) { return encode_wifi_ctrl_request(r); },
        [](std::string_view b) { return decode_wifi_ctrl_request(b); });
    expect_round_trip(
        WifiCtrlResponse{c, Status::invalid_proto},
        [](const auto& r) { return encode_wifi_ctrl_response(r); },
        [](std::string_view b) { return decode_wifi_ctrl_response(b); });
  }
  const auto reserved = decode_wifi_ctrl_request("");  // msg 0: TypeCtrlReserved
  ASSERT_FALSE(reserved.has_value());
  EXPECT_NE(reserved.error().context.find("unexpected message type 0"), std::string::npos);
  EXPECT_FALSE(decode_wifi_ctrl_request(unhex("08026200")).has_value());
  EXPECT_FALSE(decode_wifi_ctrl_response(unhex("0801")).has_value());
  expect_total([](std::string_view b) { return decode_wifi_ctrl_response(b); },
               encode_wifi_ctrl_response({WifiCtrlCommand::reprov, Status::success}));
}

// --- cloud_user_assoc --------------------------------------------------------------------

TEST(UserMapping, BytesRoundTripsAndRefusals) {
  EXPECT_EQ(hex(encode_user_mapping_request({"u", "s"})), "52060a0175120173");
  expect_round_trip(
      UserMappingRequest{"8a3c1f2e-user", "0f0e0d0c-0b0a-4908-8706-050403020100"},
      [](const auto& r) { return encode_user_mapping_request(r); },
      [](std::string_view b) { return decode_user_mapping_request(b); });
  expect_round_trip(
      UserMappingResponse{UserMappingStatus::success, "NODE0000001"},
      [](const auto& r) { return encode_user_mapping_response(r); },
      [](std::string_view b) { return decode_user_mapping_response(b); });
  expect_round_trip(
      UserMappingResponse{UserMappingStatus::invalid_param, ""},
      [](const auto& r) { return encode_user_mapping_response(r); },
      [](std::string_view b) { return decode_user_mapping_response(b); });

  // No payload, or the response's: decoded, marked, answered InvalidParam by the node.
  for (const auto* bytes : {"", "5a00"}) {
    const auto odd = decode_user_mapping_request(unhex(bytes));
    ASSERT_TRUE(odd.has_value()) << bytes;
    EXPECT_FALSE(odd->payload_matches) << bytes;
    EXPECT_EQ(hex(encode_user_mapping_request(*odd)), "");
  }
  EXPECT_FALSE(decode_user_mapping_request(unhex("0801")).has_value());        // a response
  EXPECT_FALSE(decode_user_mapping_request(unhex("52030a01ff")).has_value());  // bad UTF-8
  const auto bare = decode_user_mapping_response(unhex("0801"));
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->status, UserMappingStatus::success);
  expect_total([](std::string_view b) { return decode_user_mapping_request(b); },
               encode_user_mapping_request({"user", "secret"}));
}

// --- ch_resp -----------------------------------------------------------------------------

TEST(ChallengeResponse, BytesRoundTripsAndRefusals) {
  EXPECT_EQ(hex(encode_ch_resp_request(ChallengeRequest{"abc"})), "52050a03616263");
  // A disabled node answers msg 1 with status 3 and no payload.
  EXPECT_EQ(hex(encode_ch_resp_response(ChallengeResponse{ChRespStatus::disabled, "", ""})),
            "08011003");
  const auto disabled = decode_ch_resp_response(unhex("08011003"));
  ASSERT_TRUE(disabled.has_value());
  EXPECT_EQ(std::get<ChallengeResponse>(*disabled).status, ChRespStatus::disabled);

  const auto enc_req = [](const ChRespRequest& r) { return encode_ch_resp_request(r); };
  const auto dec_req = [](std::string_view b) { return decode_ch_resp_request(b); };
  expect_round_trip(ChRespRequest{ChallengeRequest{std::string("\x00\xff", 2)}}, enc_req, dec_req);
  expect_round_trip(ChRespRequest{GetNodeIdRequest{}}, enc_req, dec_req);
  expect_round_trip(ChRespRequest{DisableChallengeResponseRequest{}}, enc_req, dec_req);
  const auto enc = [](const ChRespResponse& r) { return encode_ch_resp_response(r); };
  const auto dec = [](std::string_view b) { return decode_ch_resp_response(b); };
  expect_round_trip(ChRespResponse{ChallengeResponse{
                        ChRespStatus::success, std::string("\x30\x45\x02\x21\x00", 5), "NODE1"}},
                    enc, dec);
  expect_round_trip(ChRespResponse{GetNodeIdResponse{ChRespStatus::fail, "n"}}, enc, dec);
  expect_round_trip(ChRespResponse{DisableChallengeResponseResult{}}, enc, dec);

  EXPECT_FALSE(decode_ch_resp_request("").has_value());  // challenge without payload
  EXPECT_FALSE(decode_ch_resp_request(unhex("0801")).has_value());
  EXPECT_FALSE(decode_ch_resp_request(unhex("0802520100")).has_value());
  EXPECT_FALSE(decode_ch_resp_response(unhex("0804")).has_value());
  expect_total(dec_req, encode_ch_resp_request(ChallengeRequest{"challenge-text"}));
  expect_total(dec, encode_ch_resp_response(ChallengeResponse{ChRespStatus::success, "sig", "id"}));
}

// --- esp_local_ctrl ----------------------------------------------------------------------

TEST(LocalCtrl, BytesRoundTripsAndRefusals) {
  EXPECT_EQ(hex(encode_local_ctrl_request(GetPropertyCount{})), "5200");
  // Indices are packed (proto3 repeated scalars).
  EXPECT_EQ(hex(encode_local_ctrl_request(GetPropertyValues{{0, 1}})), "080462040a020001");

  const auto enc_req = [](const LocalCtrlRequest& r) { return encode_local_ctrl_request(r); };
  const auto dec_req = [](std::string_view b) { return decode_local_ctrl_request(b); };
  expect_round_trip(LocalCtrlRequest{GetPropertyCount{}}, enc_req, dec_req);
  expect_round_trip(LocalCtrlRequest{GetPropertyValues{{}}}, enc_req, dec_req);
  expect_round_trip(LocalCtrlRequest{GetPropertyValues{{kLocalCtrlPropConfig, 7, 4000000000U}}},
                    enc_req, dec_req);
  expect_round_trip(
      LocalCtrlRequest{SetPropertyValues{{{kLocalCtrlPropParams, R"({"Light":{"Power":true}})"}}}},
      enc_req, dec_req);
  // Unpacked indices (proto2-style writers) read the same.
  const auto unpacked =
      decode_local_ctrl_request(unhex("080462040800"
                                      "0801"));
  ASSERT_TRUE(unpacked.has_value());
  EXPECT_EQ(std::get<GetPropertyValues>(*unpacked).indices, (std::vector<std::uint32_t>{0, 1}));

  const auto enc = [](const LocalCtrlResponse& r) { return encode_local_ctrl_response(r); };
  const auto dec = [](std::string_view b) { return decode_local_ctrl_response(b); };
  expect_round_trip(LocalCtrlResponse{PropertyCount{Status::success, 2}}, enc, dec);
  expect_round_trip(
      LocalCtrlResponse{PropertyValues{
          Status::success,
          {{Status::success, "config", 1, kLocalCtrlFlagReadOnly, R"({"node_id":"n"})"},
           {Status::success, "params", 2, 0, "{}"}}}},
      enc, dec);
  expect_round_trip(LocalCtrlResponse{PropertyValues{Status::invalid_argument, {}}}, enc, dec);
  expect_round_trip(LocalCtrlResponse{SetPropertyResult{Status::invalid_argument}}, enc, dec);

  for (const auto* bad : {"0801", "0802", "0803", "0806", "08066200", "ff01"}) {
    const auto r = decode_local_ctrl_request(unhex(bad));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
  }
  EXPECT_FALSE(decode_local_ctrl_response("").has_value());
  expect_total(dec_req, encode_local_ctrl_request(SetPropertyValues{{{1, "{\"a\":1}"}}}));
  expect_total(dec, encode_local_ctrl_response(PropertyValues{
                        Status::success, {{Status::success, "params", 2, 0, "{}"}}}));
}

}  // namespace
}  // namespace stratus::protocomm
