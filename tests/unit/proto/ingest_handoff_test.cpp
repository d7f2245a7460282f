// The ingest handoff's framing (docs/adr/0025, proto/ingest_handoff.hpp) at its
// boundaries: exact bytes of each frame, round trips, every truncation point, the length
// limit, unknown kinds, short bodies, topics at the u16 limit.
// How: pure functions over strings.
#include "proto/ingest_handoff.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stratus::proto {
namespace {

using Status = HandoffDecode::Status;

TEST(IngestHandoffTest, FramesHaveTheDocumentedBytes) {
  std::string out;
  append_handoff_ack(out, 0x0102030405060708ULL);
  EXPECT_EQ(out, std::string("\x08\x00\x00\x00\x03\x08\x07\x06\x05\x04\x03\x02\x01", 13));

  out.clear();
  ASSERT_TRUE(append_handoff_message(out, 1, "node/n1/params/local", "{}"));
  const std::string expected = std::string("\x20\x00\x00\x00\x02", 5) +
                               std::string("\x01\x00\x00\x00\x00\x00\x00\x00", 8) +
                               std::string("\x14\x00", 2) + "node/n1/params/local{}";
  EXPECT_EQ(out, expected);

  out.clear();
  append_handoff_hello(out, 7, "secret");
  EXPECT_EQ(out, std::string("\x12\x00\x00\x00\x01", 5) + std::string("\x01\x00\x00\x00", 4) +
                     std::string("\x07\x00\x00\x00\x00\x00\x00\x00", 8) + "secret");
}

TEST(IngestHandoffTest, RoundTripsEveryKindBackToBack) {
  std::string stream;
  append_handoff_hello(stream, 0xFFFFFFFFFFFFFFFFULL, "s3cret");
  ASSERT_TRUE(append_handoff_message(stream, 41, "$aws/rules/r/node/n/params/local", "{\"a\":1}"));
  ASSERT_TRUE(append_handoff_message(stream, 42, "node/n/alert", ""));
  append_handoff_ack(stream, 42);

  std::string_view rest = stream;
  auto d = next_handoff_frame(rest);
  ASSERT_EQ(d.status, Status::frame);
  ASSERT_EQ(d.frame.kind, HandoffKind::hello);
  const auto hello = parse_handoff_hello(d.frame.body);
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->version, kHandoffVersion);
  EXPECT_EQ(hello->session, 0xFFFFFFFFFFFFFFFFULL);
  EXPECT_EQ(hello->secret, "s3cret");
  rest.remove_prefix(d.frame.size);

  d = next_handoff_frame(rest);
  ASSERT_EQ(d.frame.kind, HandoffKind::message);
  auto m = parse_handoff_message(d.frame.body);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sequence, 41u);
  EXPECT_EQ(m->topic, "$aws/rules/r/node/n/params/local");
  EXPECT_EQ(m->payload, "{\"a\":1}");
  rest.remove_prefix(d.frame.size);

  d = next_handoff_frame(rest);
  m = parse_handoff_message(d.frame.body);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sequence, 42u);
  EXPECT_EQ(m->topic, "node/n/alert");
  EXPECT_TRUE(m->payload.empty());
  rest.remove_prefix(d.frame.size);

  d = next_handoff_frame(rest);
  ASSERT_EQ(d.frame.kind, HandoffKind::ack);
  EXPECT_EQ(parse_handoff_ack(d.frame.body), 42u);
  rest.remove_prefix(d.frame.size);
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(next_handoff_frame(rest).status, Status::need_more);
}

TEST(IngestHandoffTest, EveryTruncationAsksForMore) {
  std::string frame;
  ASSERT_TRUE(append_handoff_message(frame, 9, "node/n/params/local", "{\"p\":true}"));
  for (std::size_t n = 0; n < frame.size(); ++n) {
    EXPECT_EQ(next_handoff_frame(std::string_view(frame).substr(0, n)).status, Status::need_more)
        << n;
  }
  EXPECT_EQ(next_handoff_frame(frame).status, Status::frame);
}

TEST(IngestHandoffTest, RefusesLengthsAboveTheLimitAndUnknownKindsFromTheHeader) {
  std::string header;
  handoff_detail::put_le(header, kMaxHandoffBodyBytes, 4);
  header.push_back(2);
  // At the limit: a frame still arriving.
  EXPECT_EQ(next_handoff_frame(header).status, Status::need_more);
  header.clear();
  handoff_detail::put_le(header, kMaxHandoffBodyBytes + 1, 4);
  header.push_back(2);
  auto d = next_handoff_frame(header);
  EXPECT_EQ(d.status, Status::malformed);
  EXPECT_STREQ(d.error, "frame longer than the limit");
  d = next_handoff_frame(std::string("\xFF\xFF\xFF\xFF\x02", 5));
  EXPECT_EQ(d.status, Status::malformed);

  for (const char kind : {'\x00', '\x04', '\xFF'}) {
    d = next_handoff_frame(std::string("\x00\x00\x00\x00", 4) + kind);
    EXPECT_EQ(d.status, Status::malformed);
    EXPECT_STREQ(d.error, "unknown frame kind");
  }
}

TEST(IngestHandoffTest, RefusesShortBodies) {
  EXPECT_FALSE(parse_handoff_hello(std::string(11, '\0')));
  EXPECT_TRUE(
      parse_handoff_hello(std::string(12, '\0')));  // an empty secret parses (and fails the check)
  EXPECT_FALSE(parse_handoff_message(std::string(9, '\0')));
  EXPECT_TRUE(parse_handoff_message(std::string(10, '\0')));  // empty topic and payload
  // A topic length that runs past the body.
  std::string body(8, '\0');
  handoff_detail::put_le(body, 5, 2);
  body += "abcd";
  EXPECT_FALSE(parse_handoff_message(body));
  body += "e";
  const auto m = parse_handoff_message(body);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "abcde");
  EXPECT_TRUE(m->payload.empty());
  EXPECT_FALSE(parse_handoff_ack(std::string(7, '\0')));
  EXPECT_FALSE(parse_handoff_ack(std::string(9, '\0')));
}

TEST(IngestHandoffTest, TopicsUpToTheU16LimitAndNoFurther) {
  std::string out;
  const std::string longest(kMaxHandoffTopicBytes, 't');
  ASSERT_TRUE(append_handoff_message(out, 1, longest, "x"));
  const auto d = next_handoff_frame(out);
  ASSERT_EQ(d.status, Status::frame);
  const auto m = parse_handoff_message(d.frame.body);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic.size(), kMaxHandoffTopicBytes);
  EXPECT_EQ(m->payload, "x");

  const std::string before = out;
  EXPECT_FALSE(append_handoff_message(out, 2, longest + "t", "x"));
  EXPECT_EQ(out, before);  // nothing appended
  EXPECT_FALSE(append_handoff_message(out, 2, "t", std::string(kMaxHandoffBodyBytes, 'p')));
  EXPECT_EQ(out, before);
}

}  // namespace
}  // namespace stratus::proto
