// The gateway-to-backend messages (spec wirepas.md §2): the wire examples of §2.8 byte for
// byte, the strict and tolerant reads of §1.5, envelopes with one member, headers, roles,
// result names, and garbage that gives an error and never a crash.
#include "wirepas/messages.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace stratus::wirepas {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kDigits[c >> 4];
    out += kDigits[c & 0x0F];
  }
  return out;
}

std::string varint_hex(std::uint64_t value) {
  std::string out;
  do {
    auto byte = static_cast<unsigned char>(value & 0x7F);
    value >>= 7;
    if (value != 0)
      byte |= 0x80;
    out += static_cast<char>(byte);
  } while (value != 0);
  return hex(out);
}

constexpr std::uint64_t kReqId9 = 0x0123456789ABCDEFull;   // a 9-byte varint
constexpr std::uint64_t kReqId10 = 0x8123456789ABCDEFull;  // a 10-byte varint

TEST(WirepasMessages, TheBackendClientsGetConfigsRequestByteForByte) {
  pb::GenericMessage m;
  m.mutable_wirepas()->mutable_get_configs_req()->mutable_header()->set_req_id(kReqId9);
  auto bytes = encode(m);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(hex(*bytes), "0a0e120c0a0a08" + varint_hex(kReqId9));
}

TEST(WirepasMessages, TheBackendClientsSendDataAndSetAppConfigByteForByte) {
  pb::GenericMessage send;
  auto* req = send.mutable_wirepas()->mutable_send_packet_req();
  req->mutable_header()->set_req_id(kReqId10);
  req->mutable_header()->set_sink_id("sink0");
  req->set_destination_address(1001);
  req->set_source_endpoint(10);
  req->set_destination_endpoint(11);
  req->set_qos(2);
  req->set_payload(std::string("\x01\x02", 2));
  EXPECT_EQ(hex(*encode(send)),
            "0a233221"
            "0a1208" +
                varint_hex(kReqId10) + "1205" + hex("sink0") +
                "10e907180a200b28023202"
                "0102");

  pb::GenericMessage set;
  auto* config = set.mutable_wirepas()->mutable_set_config_req();
  config->mutable_header()->set_req_id(kReqId9);
  config->mutable_header()->set_sink_id("sink0");
  config->mutable_config()->set_sink_id("sink0");
  auto* app = config->mutable_config()->mutable_app_config();
  app->set_diag_interval_s(60);
  app->set_app_config_data(std::string("\x0a\x0b\x0c", 3));
  app->set_seq(11);
  EXPECT_EQ(hex(*encode(set)),
            "0a292227"
            "0a1108" +
                varint_hex(kReqId9) + "1205" + hex("sink0") + "12120a05" + hex("sink0") +
                "3209083c12030a0b0c180b");
  auto back = decode(*encode(set));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->wirepas().set_config_req().config().app_config().seq(), 11u);
}

// Spec §1.5: the Python clients accept a SetConfigResp without its required config; a
// strict read refuses it and names the field, a tolerant one shows it.
TEST(WirepasMessages, MissingRequiredFieldsAreRefusedStrictlyAndReadTolerantly) {
  pb::GenericMessage m;
  auto* header = m.mutable_wirepas()->mutable_set_config_resp()->mutable_header();
  header->set_req_id(7);
  header->set_gw_id("gw1");
  header->set_res(pb::OK);
  std::string bytes;
  ASSERT_TRUE(m.SerializePartialToString(&bytes));
  auto strict = decode(bytes);
  ASSERT_FALSE(strict);
  EXPECT_NE(strict.error().message().find("config"), std::string::npos) << strict.error().message();
  auto tolerant = decode(bytes, Strictness::tolerant);
  ASSERT_TRUE(tolerant);
  EXPECT_EQ(tolerant->wirepas().set_config_resp().header().req_id(), 7u);
  EXPECT_FALSE(encode(m)) << "we never send what a strict parser refuses";
}

// Spec §1.5: an error code this side does not know reads as UNKNOWN_ERROR_CODE, never OK.
TEST(WirepasMessages, AnUnknownResultCodeIsNeverReadAsOk) {
  // GetConfigsResp{header{req_id 1, gw_id "g", res 99}} written by hand.
  const std::string bytes("\x0a\x0b\x1a\x09\x0a\x07\x08\x01\x12\x01g\x20\x63", 13);
  auto m = decode(bytes, Strictness::tolerant);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->wirepas().get_configs_resp().header().res(), pb::UNKNOWN_ERROR_CODE);
  EXPECT_EQ(result_name(m->wirepas().get_configs_resp().header().res()), "GW_RES_UNKNOWN_ERROR");
  EXPECT_EQ(result_name(pb::SINK_TIMEOUT), "GW_RES_SINK_TIMEOUT");
  EXPECT_EQ(result_name(0), "GW_RES_OK");
  EXPECT_EQ(result_name(99), "GW_RES_UNKNOWN_ERROR");
}

TEST(WirepasMessages, KindHeadersAndTheOneMemberRule) {
  pb::GenericMessage m;
  auto* req = m.mutable_wirepas()->mutable_upload_scratchpad_req();
  req->mutable_header()->set_req_id(42);
  req->mutable_header()->set_sink_id("sink1");
  req->set_seq(3);
  auto kind = kind_of(m.wirepas());
  ASSERT_TRUE(kind);
  EXPECT_EQ(*kind, (MessageKind{Direction::request, Operation::otap_load_scratchpad}));
  ASSERT_NE(request_header(m.wirepas()), nullptr);
  EXPECT_EQ(request_header(m.wirepas())->sink_id(), "sink1");
  EXPECT_EQ(response_header(m.wirepas()), nullptr);
  EXPECT_EQ(event_header(m.wirepas()), nullptr);

  pb::GenericMessage event;
  auto* received = event.mutable_wirepas()->mutable_packet_received_event();
  received->mutable_header()->set_gw_id("gw1");
  EXPECT_EQ(*kind_of(event.wirepas()), (MessageKind{Direction::event, Operation::received_data}));
  ASSERT_NE(event_header(event.wirepas()), nullptr);
  EXPECT_EQ(event_header(event.wirepas())->gw_id(), "gw1");

  pb::GenericMessage two = m;
  two.mutable_wirepas()->mutable_get_configs_req()->mutable_header()->set_req_id(1);
  EXPECT_FALSE(kind_of(two.wirepas()));
  EXPECT_EQ(request_header(two.wirepas()), nullptr);
  EXPECT_FALSE(kind_of(pb::WirepasMessage{}));
}

TEST(WirepasMessages, RolesAsThePythonLibrariesNumberThem) {
  auto role = role_from_int(17);
  ASSERT_TRUE(role);
  EXPECT_EQ(role->role(), pb::NodeRole::SINK);
  ASSERT_EQ(role->flags_size(), 1);
  EXPECT_EQ(role->flags(0), pb::NodeRole::LOW_LATENCY);
  for (const std::uint32_t value : {1u, 2u, 3u, 0x11u, 0x82u, 0x93u})
    EXPECT_EQ(role_to_int(*role_from_int(value)), value);
  for (const std::uint32_t value : {0u, 4u, 0x15u, 0x21u, 0x103u})
    EXPECT_FALSE(role_from_int(value)) << value;
}

TEST(WirepasMessages, RequestIdsAreRandomAndNeverZero) {
  std::set<std::uint64_t> seen;
  bool high_bits = false;
  for (int i = 0; i < 64; ++i) {
    const auto id = new_request_id();
    EXPECT_NE(id, 0u);
    high_bits = high_bits || (id >> 48) != 0;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 64u);
  EXPECT_TRUE(high_bits) << "at least 48 random bits (spec §1.1)";
}

TEST(WirepasMessages, GarbageAndOversizedPayloadsAreErrors) {
  EXPECT_FALSE(decode(std::string_view{}));
  EXPECT_FALSE(decode(std::string(kMaxPayloadBytes + 1, '\0')));
  EXPECT_FALSE(decode(std::string("\x0a\xff\xff\xff\xff\x0f", 6)));  // length past the end
  std::mt19937 rng(20261203);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (auto& c : bytes)
      c = static_cast<char>(rng());
    for (const auto strictness : {Strictness::strict, Strictness::tolerant}) {
      auto m = decode(bytes, strictness);
      if (m)
        (void)kind_of(m->wirepas());  // either way: a value, no crash
    }
  }
}

}  // namespace
}  // namespace stratus::wirepas
