// The remote-API (MSAP) frames of spec wirepas.md §3.4: each request and reply against
// bytes written from the documented layouts, concatenated packets, the 102-byte bound,
// and malformed items as errors.
#include "wirepas/msap.hpp"

#include <gtest/gtest.h>

#include <random>

namespace stratus::wirepas::msap {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes packet_of(const Request& request) {
  return *join({encode(request)});
}

TEST(WirepasMsap, RequestsAsTheDocumentedBytes) {
  EXPECT_EQ(packet_of(Ping{ping_reference(0x0102030405060708ull)}),
            (Bytes{0x00, 0x08, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
  EXPECT_EQ(packet_of(Begin{}), (Bytes{0x01, 0x00}));
  EXPECT_EQ(packet_of(End{}), (Bytes{0x03, 0x00}));
  EXPECT_EQ(packet_of(Cancel{}), (Bytes{0x04, 0x00}));
  EXPECT_EQ(packet_of(Update{600}), (Bytes{0x05, 0x02, 0x58, 0x02}));
  EXPECT_EQ(packet_of(ScratchpadStatusQuery{}), (Bytes{0x19, 0x00}));
  EXPECT_EQ(packet_of(ScratchpadUpdate{5}), (Bytes{0x1A, 0x01, 0x05}));
  EXPECT_EQ(packet_of(DiagnosticControl{60, 0x02}), (Bytes{0x60, 0x03, 0x3C, 0x00, 0x02}));
}

TEST(WirepasMsap, ACombinedPacketSplitsIntoItsRequests) {
  const Bytes packet{0x01, 0x00, 0x1A, 0x01, 0x07, 0x05, 0x02, 0x0A, 0x00, 0x03, 0x00};
  auto items = split(packet);
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ(*decode_request((*items)[0]), Request{Begin{}});
  EXPECT_EQ(*decode_request((*items)[1]), Request{ScratchpadUpdate{7}});
  EXPECT_EQ(*decode_request((*items)[2]), Request{Update{10}});
  EXPECT_EQ(*decode_request((*items)[3]), Request{End{}});
  EXPECT_EQ(*join(*items), packet);
}

TEST(WirepasMsap, RequestsOutsideTheirRangesAreRefused) {
  EXPECT_FALSE(decode_request(encode(Update{9})));
  EXPECT_FALSE(decode_request(encode(Update{32768})));
  EXPECT_TRUE(decode_request(encode(Update{32767})));
  EXPECT_FALSE(decode_request(encode(ScratchpadUpdate{0})));
  EXPECT_FALSE(decode_request(Item{0x01, {0x00}}));        // begin with data
  EXPECT_FALSE(decode_request(Item{0x05, {0x0A}}));        // short update
  EXPECT_FALSE(decode_request(Item{0x60, {0x3C, 0x00}}));  // short diag control
  EXPECT_FALSE(decode_request(Item{0x81, {}}));            // a reply
  EXPECT_FALSE(decode_request(Item{0x02, {}}));            // unknown
}

TEST(WirepasMsap, TheThirtyNineByteScratchpadStatus) {
  const Bytes data{
      0x00, 0x10, 0x02, 0x00,  // stored length 0x21000
      0x34, 0x12,              // stored CRC
      0x07, 0x02, 0x00,        // stored seq, type, status
      0x00, 0x08, 0x01, 0x00,  // processed length 0x10800
      0x78, 0x56,              // processed CRC
      0x06,                    // processed seq
      0x01, 0x00, 0x00, 0x00,  // firmware area id
      5,    1,    0,    12,    // firmware 5.1.0.12
      0x00, 0x02, 0x00, 0x00,  // application processed length 0x200
      0xCD, 0xAB, 0x03,        // application CRC, seq
      0x02, 0x00, 0x00, 0x00,  // application area id
      1,    2,    3,    4,     // application 1.2.3.4
  };
  ASSERT_EQ(data.size(), 39u);
  auto reply = decode_reply(Item{0x99, data});
  ASSERT_TRUE(reply) << reply.error().message();
  const auto& s = std::get<ScratchpadStatusReply>(*reply);
  EXPECT_EQ(s.stored_length, 0x21000u);
  EXPECT_EQ(s.stored_crc, 0x1234);
  EXPECT_EQ(s.stored_sequence, 7);
  EXPECT_EQ(s.stored_type, 2);
  EXPECT_EQ(s.processed_length, 0x10800u);
  EXPECT_EQ(s.processed_crc, 0x5678);
  EXPECT_EQ(s.processed_sequence, 6);
  EXPECT_EQ(s.firmware_area_id, 1u);
  EXPECT_EQ(s.firmware, (Version{5, 1, 0, 12}));
  ASSERT_TRUE(s.application);
  EXPECT_EQ(s.application->processed_length, 0x200u);
  EXPECT_EQ(s.application->processed_crc, 0xABCD);
  EXPECT_EQ(s.application->processed_sequence, 3);
  EXPECT_EQ(s.application->area_id, 2u);
  EXPECT_EQ(s.application->version, (Version{1, 2, 3, 4}));
  EXPECT_EQ(encode(*reply), (Item{0x99, data}));

  const Bytes short_form(data.begin(), data.begin() + 24);
  auto short_reply = decode_reply(Item{0x99, short_form});
  ASSERT_TRUE(short_reply);
  EXPECT_FALSE(std::get<ScratchpadStatusReply>(*short_reply).application);
  EXPECT_EQ(encode(*short_reply).data, short_form);
  EXPECT_FALSE(decode_reply(Item{0x99, Bytes(21, 0)}));  // backend-client's struct size
  EXPECT_FALSE(decode_reply(Item{0x99, Bytes(40, 0)}));
}

TEST(WirepasMsap, TheOtherReplies) {
  EXPECT_EQ(*decode_reply(Item{0x80, {1, 2, 3}}), (Reply{PingReply{{1, 2, 3}}}));
  EXPECT_EQ(*decode_reply(Item{0x81, {}}), Reply{Ack{Type::begin}});
  EXPECT_EQ(*decode_reply(Item{0x83, {}}), Reply{Ack{Type::end}});
  EXPECT_EQ(*decode_reply(Item{0x84, {}}), Reply{Ack{Type::cancel}});
  EXPECT_EQ(*decode_reply(Item{0x85, {0x58, 0x02}}), Reply{UpdateReply{600}});
  EXPECT_EQ(*decode_reply(Item{0x9A, {0x05}}), Reply{ScratchpadUpdateReply{5}});
  EXPECT_EQ(*decode_reply(Item{0xE0, {0x00}}), (Reply{DiagnosticControlReply{{0x00}}}));
  EXPECT_EQ(*decode_reply(Item{0xFB, {0x01}}), (Reply{ErrorReply{{0x01}}}));
  for (const auto& reply : {Reply{PingReply{{9}}}, Reply{Ack{Type::cancel}}, Reply{UpdateReply{10}},
                            Reply{ScratchpadUpdateReply{1}}, Reply{ErrorReply{}}}) {
    EXPECT_EQ(*decode_reply(encode(reply)), reply);
  }
  EXPECT_FALSE(decode_reply(Item{0x01, {}}));  // a request
  EXPECT_FALSE(decode_reply(Item{0x82, {}}));  // no such reply
  EXPECT_FALSE(decode_reply(Item{0x81, {0}}));
  EXPECT_FALSE(decode_reply(Item{0x85, {0x58}}));
}

TEST(WirepasMsap, TruncatedAndOversizedPackets) {
  EXPECT_FALSE(split(Bytes{}));
  EXPECT_FALSE(split(Bytes{0x01}));
  EXPECT_FALSE(split(Bytes{0x00, 0x08, 0x01}));
  EXPECT_FALSE(split(Bytes{0x01, 0x00, 0x19}));
  EXPECT_TRUE(join({Item{0x00, Bytes(99, 1)}}));  // 101 bytes
  EXPECT_FALSE(join({Item{0x00, Bytes(100, 1)}}));
  EXPECT_FALSE(join({Item{0x00, Bytes(256, 1)}}));
  std::mt19937 rng(240);
  for (int i = 0; i < 3000; ++i) {
    Bytes packet(rng() % 40);
    for (auto& b : packet)
      b = static_cast<std::uint8_t>(rng());
    if (auto items = split(packet)) {
      for (const auto& item : *items) {
        if (auto request = decode_request(item)) {
          EXPECT_EQ(encode(*request), item);
        }
        if (auto reply = decode_reply(item)) {
          EXPECT_EQ(encode(*reply), item);
        }
      }
    }
  }
}

}  // namespace
}  // namespace stratus::wirepas::msap
