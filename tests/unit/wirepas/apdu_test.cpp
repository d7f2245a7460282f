// The APDU decoders of spec wirepas.md §6 against payloads written by hand from the
// documented layouts, the simulator's encoders against the decoders, and short, long and
// random payloads as errors (backend-client crashed on them, its issue #348).
#include "wirepas/apdu.hpp"

#include <gtest/gtest.h>

#include <random>

namespace stratus::wirepas::apdu {
namespace {

using Bytes = std::vector<std::uint8_t>;

template <typename T>
T decoded_as(std::uint8_t src, std::uint8_t dst, const Bytes& payload) {
  auto d = decode(src, dst, payload);
  EXPECT_TRUE(d) << (d ? "" : d.error().message());
  if (!d || !std::holds_alternative<T>(*d)) {
    ADD_FAILURE() << "decoded as " << (d ? decoder_name(*d) : "an error");
    return T{};
  }
  return std::get<T>(*d);
}

TEST(WirepasApdu, TrafficDiagnosticsIsEighteenBytes) {
  const Bytes p{0x34, 0x12, 7, 90, 0x10, 0x00, 0x20, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const auto d = decoded_as<TrafficDiagnostics>(251, 255, p);
  EXPECT_EQ(d.access_cycles, 0x1234);
  EXPECT_EQ(d.cluster_channel, 7);
  EXPECT_EQ(d.channel_reliability, 90);
  EXPECT_EQ(d.rx_amount, 16);
  EXPECT_EQ(d.tx_amount, 0x120);
  EXPECT_EQ(d.aloha_rx_ratio, 1);
  EXPECT_EQ(d.max_aloha_slot_usage, 10);
  EXPECT_EQ(encode(d), p);
  EXPECT_FALSE(decode(251, 255, Bytes(17, 0)));
  EXPECT_FALSE(decode(251, 255, Bytes(19, 0)));
}

TEST(WirepasApdu, NeighborRecordsEndAtAZeroAddressOrThePayload) {
  const Bytes p{0x01, 0x02, 0x03, 11, 4, 0x81, 200,  // 0x030201
                0x10, 0x00, 0x00, 12, 5, 0x02, 180,  // 0x000010
                0x00, 0x00, 0x00, 0,  0, 0,    0,    // end of list
                0x00, 0x00, 0x00};                   // padding
  const auto d = decoded_as<NeighborDiagnostics>(252, 255, p);
  ASSERT_EQ(d.neighbors.size(), 2u);
  EXPECT_EQ(d.neighbors[0], (Neighbor{0x030201, 11, 4, 0x81, 200}));
  EXPECT_EQ(d.neighbors[1], (Neighbor{0x10, 12, 5, 0x02, 180}));
  EXPECT_EQ(encode(d), Bytes(p.begin(), p.begin() + 14));
  EXPECT_EQ(decoded_as<NeighborDiagnostics>(252, 255, encode(d)), d);
  EXPECT_TRUE(decoded_as<NeighborDiagnostics>(252, 255, {}).neighbors.empty());
  auto truncated = decode(252, 255, Bytes{0x01, 0x02, 0x03, 11, 4, 0x81});  // 6 of 7 bytes
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message().find("truncated"), std::string::npos);
}

TEST(WirepasApdu, NodeDiagnosticsInBothLengths) {
  NodeDiagnostics d;
  d.access_cycle = 2000;
  d.role = 0x11;
  d.voltage = 130;
  d.network_scans = 3;
  d.counters = {1, 2, 3, 4, 5, 6, 7, 0xFFFF};
  d.route_address = 0xABCDEF;
  d.next_hop_0 = {0x123456, 2, 200};
  d.next_hop_1 = {0x654321, 4, 100};
  d.events[14] = 9;
  d.duty_cycle = 513;
  d.current_antenna = 1;
  const auto short_form = encode(d);
  ASSERT_EQ(short_form.size(), 59u);
  EXPECT_EQ(short_form[2], 0x11);   // role after access_cycle
  EXPECT_EQ(short_form[28], 0xEF);  // route address starts after 28 bytes
  EXPECT_EQ(decoded_as<NodeDiagnostics>(253, 255, short_form), d);
  EXPECT_DOUBLE_EQ(d.volts(), 3.3);
  d.pending = PendingCounters{1, 2, 3, 4, 5, 6, 7, 8};
  const auto long_form = encode(d);
  ASSERT_EQ(long_form.size(), 67u);
  EXPECT_EQ(long_form.back(), 8);
  EXPECT_EQ(decoded_as<NodeDiagnostics>(253, 255, long_form), d);
  for (const std::size_t n : {0u, 58u, 60u, 66u, 68u})
    EXPECT_FALSE(decode(253, 255, Bytes(n, 1))) << n;
}

TEST(WirepasApdu, BootDiagnosticsIsThirtyOneBytes) {
  const Bytes p{3,    0x02, 12,   0,    1,    5,  // boot count, role, dev, maint, minor, major
                0x07, 0x00, 0x12, 0x00, 0x0C, 0x00, 1,  // seq 7, hw magic, profile, otap
                0x2A, 0x00, 0xEF, 0xBE,                 // line 42, file hash
                1,    0,    0,    0,    2,    0,    0, 0, 3, 0, 0, 0, 0x05, 0x00};
  ASSERT_EQ(p.size(), 31u);
  const auto d = decoded_as<BootDiagnostics>(254, 255, p);
  EXPECT_EQ(d.boot_count, 3);
  EXPECT_EQ(d.firmware_version(), 0x0501000Cu);
  EXPECT_EQ(d.scratchpad_sequence, 7);
  EXPECT_EQ(d.hw_magic, 0x12);
  EXPECT_EQ(d.stack_profile, 0x0C);
  EXPECT_EQ(d.otap_enabled, 1);
  EXPECT_EQ(d.boot_line_number, 42);
  EXPECT_EQ(d.file_hash, 0xBEEF);
  EXPECT_EQ(d.stack_trace, (std::array<std::uint32_t, 3>{1, 2, 3}));
  EXPECT_EQ(d.cur_seq, 5);
  EXPECT_EQ(encode(d), p);
  EXPECT_FALSE(decode(254, 255, Bytes(30, 0)));
}

TEST(WirepasApdu, AdvertiserRecordsMatchTheirCount) {
  const auto d = decoded_as<AdvertiserReport>(200, 200, {0x02, 2, 1, 0, 0, 254, 2, 0, 0, 100});
  EXPECT_EQ(d.type, 2);
  EXPECT_FALSE(d.long_addresses);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0], (AdvertiserRecord{1, 254}));
  EXPECT_DOUBLE_EQ(AdvertiserReport::rss_dbm(254), 0.0);
  EXPECT_DOUBLE_EQ(AdvertiserReport::rss_dbm(100), -77.0);
  const auto l = decoded_as<AdvertiserReport>(200, 200, {0x83, 1, 4, 3, 2, 1, 9});
  EXPECT_TRUE(l.long_addresses);
  EXPECT_EQ(l.type, 3);
  EXPECT_EQ(l.records.at(0), (AdvertiserRecord{0x01020304, 9}));
  EXPECT_FALSE(decode(200, 200, Bytes{0x02}));
  EXPECT_FALSE(decode(200, 200, Bytes{0x02, 2, 1, 0, 0, 254}));  // one of two records
  EXPECT_FALSE(decode(200, 200, Bytes{0x02, 0, 1}));             // bytes after none
}

TEST(WirepasApdu, PositioningTlvs) {
  const Bytes p{0x05, 0x00,                                               // sequence 5
                0x00, 8,    0x01, 0x00, 0x00, 120, 0x02, 0x00, 0x00, 60,  // two short-range
                0xF0, 4,    0x03, 0x00, 0x00, 90,                         // anchor
                0x04, 2,    0xE4, 0x0C,                                   // 3300 mV
                0x77, 1,    0xAA};                                        // unknown
  const auto d = decoded_as<PositioningReport>(238, 238, p);
  EXPECT_EQ(d.sequence, 5);
  ASSERT_EQ(d.measurements.size(), 3u);
  EXPECT_EQ(d.measurements[1], (PositioningMeasurement{0x00, 2, 60}));
  EXPECT_DOUBLE_EQ(d.measurements[0].rss_dbm(), -60.0);
  EXPECT_EQ(d.measurements[2].type, 0xF0);
  EXPECT_EQ(d.voltage, 3300);
  ASSERT_EQ(d.other.size(), 1u);
  EXPECT_EQ(d.other[0], (OtherTlv{0x77, {0xAA}}));
  EXPECT_FALSE(decode(238, 238, Bytes{0x05}));
  EXPECT_FALSE(decode(238, 238, Bytes{0x05, 0x00, 0x00, 8, 0x01}));     // TLV past the end
  EXPECT_FALSE(decode(238, 238, Bytes{0x05, 0x00, 0x00, 3, 1, 2, 3}));  // not 4-byte records
  EXPECT_FALSE(decode(238, 238, Bytes{0x05, 0x00, 0x04, 1, 1}));        // short voltage
  EXPECT_FALSE(decode(238, 238, Bytes{0x05, 0x00, 0x04}));              // cut TLV header
}

TEST(WirepasApdu, RuuviTlvs) {
  const Bytes p{1, 2, 0x2A, 0x00,              // counter 42
                2, 4, 0x2E, 0xFB, 0xFF, 0xFF,  // -1234 → -12.34 °C
                3, 4, 0x00, 0xC8, 0x00, 0x00,  // 51200 / 1024 = 50 %RH
                4, 4, 0x40, 0x77, 0x1B, 0x00,  // 1800000 / 10000 = 180 hPa
                5, 4, 0x18, 0xFC, 0xFF, 0xFF,  // -1000 → -1 g
                9, 0};
  const auto d = decoded_as<RuuviReport>(11, 11, p);
  EXPECT_EQ(d.counter, 42);
  EXPECT_DOUBLE_EQ(*d.temperature_c, -12.34);
  EXPECT_DOUBLE_EQ(*d.humidity_rh, 50.0);
  EXPECT_DOUBLE_EQ(*d.pressure_hpa, 180.0);
  EXPECT_DOUBLE_EQ(*d.acceleration_x_g, -1.0);
  EXPECT_FALSE(d.acceleration_y_g);
  ASSERT_EQ(d.other.size(), 1u);
  EXPECT_FALSE(decode(11, 11, Bytes{2, 2, 0, 0}));  // temperature is 4 bytes
  EXPECT_FALSE(decode(11, 11, Bytes{1, 2, 0}));
}

TEST(WirepasApdu, CborDiagnosticsNamedAsTheBackendClientNamesThem) {
  // {1: 5, 51: [10, 20], 42: h'01020304', 999: -3, 119: [7, 11, 4, 200]}
  const Bytes p{0xA5, 0x01, 0x05, 0x18, 0x33, 0x82, 0x0A, 0x14, 0x18, 0x2A, 0x44, 0x01, 0x02, 0x03,
                0x04, 0x19, 0x03, 0xE7, 0x22, 0x18, 0x77, 0x84, 0x07, 0x0B, 0x04, 0x18, 0xC8};
  const auto d = decoded_as<CborDiagnostics>(247, 255, p);
  ASSERT_EQ(d.entries.size(), 5u);
  EXPECT_EQ(d.entries[0], (DiagnosticEntry{1, "sink_address", "5"}));
  EXPECT_EQ(d.entries[1], (DiagnosticEntry{51, "buffer_usage", R"({"average":10,"maximum":20})"}));
  EXPECT_EQ(d.entries[2], (DiagnosticEntry{42, "firmware_app", R"("01020304")"}));
  EXPECT_EQ(d.entries[3], (DiagnosticEntry{999, "id_999", "-3"}));
  EXPECT_EQ(d.entries[4].name, "neighbor_device_info_neighbor");
  EXPECT_EQ(d.entries[4].value_json,
            R"({"node_address":7,"channel":11,"radio_power":4,"rssi":200})");
  EXPECT_FALSE(decode(247, 255, Bytes{0x05}));                    // not a map
  EXPECT_FALSE(decode(247, 255, Bytes{0xA1, 0x01}));              // cut
  EXPECT_FALSE(decode(247, 255, Bytes{0xA1, 0x01, 0x05, 0x00}));  // trailing byte
  EXPECT_FALSE(decode(247, 255, Bytes{0xA1, 0x61, 0x61, 0x05}));  // text key
  EXPECT_FALSE(decode(247, 255, Bytes{}));
  EXPECT_FALSE(decode(247, 255, Bytes(1025, 0xA0)));
  // libcbor allocates what a header declares: refused before it can.
  EXPECT_FALSE(decode(247, 255, Bytes{0xBB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_FALSE(decode(247, 255, Bytes{0xA1, 0x01, 0x9B, 0, 0, 0, 1, 0, 0, 0, 0}));
  Bytes deep{0xA1, 0x01};
  deep.insert(deep.end(), 40, 0x81);  // [[[[...0]]]]
  deep.push_back(0x00);
  EXPECT_FALSE(decode(247, 255, deep));
}

TEST(WirepasApdu, OtherPairsAreGeneric) {
  EXPECT_EQ(decoder_name(*decode(10, 11, Bytes{1, 2})), "generic");
  EXPECT_EQ(decoder_name(*decode(251, 254, Bytes{1, 2})), "generic");  // source matches only
  EXPECT_EQ(decoder_name(*decode(240, 255, Bytes{})), "generic");
}

TEST(WirepasApdu, RandomPayloadsGiveAValueOrAnError) {
  std::mt19937 rng(348);
  const std::pair<std::uint8_t, std::uint8_t> pairs[] = {
      {251, 255}, {252, 255}, {253, 255}, {254, 255}, {247, 255}, {200, 200}, {238, 238}, {11, 11}};
  for (int i = 0; i < 4000; ++i) {
    Bytes p(rng() % 80);
    for (auto& b : p)
      b = static_cast<std::uint8_t>(rng());
    const auto [src, dst] = pairs[static_cast<std::size_t>(i) % std::size(pairs)];
    (void)decode(src, dst, p);
  }
}

}  // namespace
}  // namespace stratus::wirepas::apdu
