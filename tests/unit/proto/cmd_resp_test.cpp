// Proves the cmd-resp TLV8 codec writes and reads what the firmware does (spec §3.1, §3.4):
// the empty poll's exact bytes, little-endian command and timestamp, values fragmented into
// 255-byte records at 0/254/255/256/510/511 bytes and joined again, and malformed input
// refused with a reason. How: byte vectors and round trips.
#include "proto/cmd_resp.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace stratus::proto {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (const int c : b) {
    s.push_back(static_cast<char>(c));
  }
  return s;
}

// The (type, length) of every record, to check the fragmentation.
std::vector<std::pair<int, int>> records(const std::string& tlv) {
  std::vector<std::pair<int, int>> out;
  for (std::size_t at = 0; at + 1 < tlv.size();) {
    const int length = static_cast<unsigned char>(tlv[at + 1]);
    out.emplace_back(static_cast<unsigned char>(tlv[at]), length);
    at += 2U + static_cast<std::size_t>(length);
  }
  return out;
}

TEST(CmdResp, EmptyPollIsTheSpecBytes) {
  EXPECT_EQ(encode_poll(), bytes({0x01, 0x00, 0x03, 0x01, 0x00, 0x05, 0x02, 0x00, 0x00}));
  const auto poll = decode_response(encode_poll());
  ASSERT_TRUE(poll.has_value());
  EXPECT_TRUE(poll->is_poll());
  EXPECT_EQ(poll->status, 0);
}

TEST(CmdResp, RequestLayoutIsLittleEndian) {
  CmdRequest r;
  r.request_id = "R1";
  r.role = kRolePrimary | sub_role_bits(2);
  r.timestamp = 0x01020304;
  r.command = 0x1234;
  r.data = "{}";
  EXPECT_EQ(encode_request(r),
            bytes({0x01, 0x02, 'R',  '1',  0x02, 0x01, 0x22, 0x04, 0x04, 0x04, 0x03,
                   0x02, 0x01, 0x05, 0x02, 0x34, 0x12, 0x06, 0x02, '{',  '}'}));
  const auto back = decode_request(encode_request(r));
  ASSERT_TRUE(back.has_value()) << back.error().context;
  EXPECT_EQ(back->request_id, "R1");
  EXPECT_EQ(back->role, 0x22);
  EXPECT_EQ(back->timestamp, 0x01020304U);
  EXPECT_EQ(back->command, 0x1234);
  EXPECT_EQ(back->data, "{}");
}

TEST(CmdResp, SubRoleBits) {
  EXPECT_EQ(sub_role_bits(0), 0);
  EXPECT_EQ(sub_role_bits(1), 0x10);
  EXPECT_EQ(sub_role_bits(4), 0x80);
  EXPECT_EQ(sub_role_bits(5), 0);
}

TEST(CmdResp, ValuesAreFragmentedAt255AndJoinedAgain) {
  const std::vector<std::pair<std::size_t, std::vector<int>>> cases = {
      {0, {}}, {254, {254}}, {255, {255}}, {256, {255, 1}}, {510, {255, 255}}, {511, {255, 255, 1}},
  };
  for (const auto& [size, fragments] : cases) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
      data[i] = static_cast<char>('a' + i % 26);
    }
    CmdResponse r;
    r.request_id = "id";
    r.command = 7;
    r.data = data;
    const auto tlv = encode_response(r);
    std::vector<int> data_records;
    for (const auto& [type, length] : records(tlv)) {
      if (type == 6) {
        data_records.push_back(length);
      }
    }
    EXPECT_EQ(data_records, fragments) << size << " bytes";
    const auto back = decode_response(tlv);
    ASSERT_TRUE(back.has_value()) << size << ": " << back.error().context;
    EXPECT_EQ(back->data, data) << size << " bytes";
    EXPECT_EQ(back->request_id, "id");
  }
}

TEST(CmdResp, ATrailingEmptyFragmentIsTolerated) {
  // Some TLV8 writers end a 255-byte value with an empty record of the same type.
  std::string tlv = bytes({0x01, 0x01, 'x', 0x03, 0x01, 0x00, 0x05, 0x02, 0x01, 0x00, 0x06, 0xFF});
  tlv += std::string(255, 'd');
  tlv += bytes({0x06, 0x00});
  const auto r = decode_response(tlv);
  ASSERT_TRUE(r.has_value()) << r.error().context;
  EXPECT_EQ(r->data, std::string(255, 'd'));
}

TEST(CmdResp, UnknownRecordTypesAreSkipped) {
  const auto r =
      decode_response(bytes({0x09, 0x01, 0x55, 0x03, 0x01, 0x00, 0x05, 0x02, 0x00, 0x00}));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->is_poll());
}

TEST(CmdResp, MalformedInputIsRefusedWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {bytes({0x01}), "header cut off"},
      {bytes({0x01, 0x05, 'a'}), "runs past the end"},
      {bytes({0x03, 0x01, 0x00}), "command record is missing"},
      {bytes({0x03, 0x01, 0x00, 0x05, 0x01, 0x00}), "not 2 bytes"},
      {bytes({0x05, 0x02, 0x00, 0x00}), "status record is missing"},
      {bytes({0x03, 0x02, 0x00, 0x00, 0x05, 0x02, 0x00, 0x00}), "status record"},
      {bytes({0x01, 0x01, 'a', 0x03, 0x01, 0x00, 0x01, 0x01, 'b', 0x05, 0x02, 0x00, 0x00}),
       "appears twice"},
  };
  for (const auto& [tlv, reason] : cases) {
    const auto r = decode_response(tlv);
    ASSERT_FALSE(r.has_value()) << reason;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_NE(r.error().context.find(reason), std::string::npos) << r.error().context;
  }
  EXPECT_FALSE(
      decode_request(bytes({0x01, 0x01, 'a', 0x02, 0x02, 0x00, 0x00, 0x05, 0x02, 0x00, 0x01}))
          .has_value())
      << "a 2-byte role";
  EXPECT_FALSE(decode_request(std::string()).has_value()) << "nothing at all";
}

}  // namespace
}  // namespace stratus::proto
