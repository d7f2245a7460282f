// Proves that request targets are split and percent-decoded, that error replies have
// exactly the RainMaker failure shape, and that Range headers and file replies follow
// RFC 9110 §14 for one range. How: pure calls, compared with literals.
#include "http/message.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string_view>

#include "proto/rest/error_codes.hpp"

namespace stratus::http {
namespace {

TEST(ParseTarget, SplitsPathAndDecodesQueryInOrder) {
  const auto target = parse_target("/v1/user/nodes?node_details=true&name=a%20b+c&empty&x=%C3%A9");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->path, "/v1/user/nodes");
  const Fields expected{
      {"node_details", "true"}, {"name", "a b c"}, {"empty", ""}, {"x", "\xC3\xA9"}};
  EXPECT_EQ(target->query, expected);
}

TEST(ParseTarget, DecodesThePathButKeepsPlus) {
  const auto target = parse_target("/a%2Fb/c+d");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->path, "/a/b/c+d");
  EXPECT_TRUE(target->query.empty());
}

TEST(ParseTarget, RejectsBadTargets) {
  for (const char* bad :
       {"", "v1/nodes", "http://host/x", "*", "/a%2", "/a%zz", "/a?b=%0", "/a%00b"}) {
    const auto target = parse_target(bad);
    ASSERT_FALSE(target.has_value()) << bad;
    EXPECT_EQ(target.error().code, errc::invalid_argument) << bad;
  }
}

TEST(ParseTarget, RejectsRawNulBytes) {
  // Found by the http_target fuzz target: only the escaped form was refused.
  using namespace std::string_view_literals;
  for (const auto bad : {"/a\0b"sv, "/a?b\0=1"sv, "/a?b=1\0"sv}) {
    const auto target = parse_target(bad);
    ASSERT_FALSE(target.has_value());
    EXPECT_EQ(target.error().code, errc::invalid_argument);
  }
}

TEST(ParseTarget, SkipsEmptyPairsAndFragment) {
  const auto target = parse_target("/x?a=1&&b=2#frag");
  ASSERT_TRUE(target.has_value());
  const Fields expected{{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(target->query, expected);
}

TEST(Request, HeaderLookupIgnoresCaseQueryLookupDoesNot) {
  Request request;
  request.headers = {{"Content-Type", "application/json"}, {"Authorization", "token"}};
  request.query = {{"node_id", "abc"}};
  EXPECT_EQ(request.header("authorization"), "token");
  EXPECT_EQ(request.header("CONTENT-TYPE"), "application/json");
  EXPECT_FALSE(request.header("x-missing").has_value());
  EXPECT_EQ(request.query_param("node_id"), "abc");
  EXPECT_FALSE(request.query_param("NODE_ID").has_value());
}

TEST(FailureResponse, HasTheRainMakerShapeWithEscaping) {
  const Response response =
      failure_response(404, proto::rest::http_error::unknown_route, "no \"such\" route\n");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body,
            R"({"status":"failure","error_code":100404,"description":"no \"such\" route\n"})");
}

TEST(JsonResponse, KeepsBodyAndStatus) {
  const Response response = json_response(201, R"({"status":"success"})");
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"status":"success"})");
}

using Kind = RangeDecision::Kind;

void expect_range(std::string_view header, std::uint64_t size, std::uint64_t offset,
                  std::uint64_t length) {
  const RangeDecision range = parse_byte_range(header, size);
  EXPECT_EQ(range.kind, Kind::satisfiable) << header;
  EXPECT_EQ(range.offset, offset) << header;
  EXPECT_EQ(range.length, length) << header;
}

void expect_kind(std::string_view header, std::uint64_t size, Kind kind) {
  const RangeDecision range = parse_byte_range(header, size);
  EXPECT_EQ(range.kind, kind) << header << " size " << size;
  if (kind != Kind::satisfiable) {
    EXPECT_EQ(range.offset, 0U) << header;
    EXPECT_EQ(range.length, 0U) << header;
  }
}

TEST(ParseByteRange, TheThreeFormsOfOneRange) {
  expect_range("bytes=10-19", 100, 10, 10);
  expect_range("bytes=0-0", 100, 0, 1);
  expect_range("bytes=5-", 100, 5, 95);
  expect_range("bytes=-5", 100, 95, 5);
  expect_range("bytes=99-99", 100, 99, 1);
}

TEST(ParseByteRange, ClampsToTheRepresentation) {
  expect_range("bytes=90-1000", 100, 90, 10);  // last-pos beyond the end
  expect_range("bytes=-1000", 100, 0, 100);    // suffix longer than the file: all of it
  expect_range("bytes=0-18446744073709551615", 100, 0, 100);
  expect_range("bytes=0-99999999999999999999999999", 100, 0, 100);  // saturates
  expect_range("bytes=-99999999999999999999999999", 100, 0, 100);
}

TEST(ParseByteRange, UnitCaseAndWhitespaceAreTolerated) {
  expect_range("Bytes=1-2", 10, 1, 2);
  expect_range("BYTES=1-2", 10, 1, 2);
  expect_range("  bytes=1-2\t", 10, 1, 2);
  expect_range("bytes= 1-2 ", 10, 1, 2);
  expect_range("bytes=1-2,", 10, 1, 2);  // empty list elements are skipped
  expect_range("bytes=, ,1-2", 10, 1, 2);
}

TEST(ParseByteRange, UnsatisfiableRanges) {
  expect_kind("bytes=100-", 100, Kind::not_satisfiable);
  expect_kind("bytes=100-200", 100, Kind::not_satisfiable);
  expect_kind("bytes=-0", 100, Kind::not_satisfiable);
  expect_kind("bytes=0-", 0, Kind::not_satisfiable);
  expect_kind("bytes=0-0", 0, Kind::not_satisfiable);
  expect_kind("bytes=99999999999999999999999-", 100, Kind::not_satisfiable);  // saturates
  expect_kind("bytes=18446744073709551615-", std::numeric_limits<std::uint64_t>::max(),
              Kind::not_satisfiable);
}

TEST(ParseByteRange, MalformedOrUnsupportedIsIgnored) {
  for (const char* header : {"",
                             " ",
                             "bytes",
                             "bytes=",
                             "bytes=-",
                             "bytes=,",
                             "bytes=5-4",
                             "bytes=a-b",
                             "bytes=1-2x",
                             "bytes=+1-2",
                             "bytes=0x1-2",
                             "bytes=1 -2",
                             "bytes=1- 2",
                             "bytes=--1",
                             "bytes=1-2-3",
                             "items=0-1",
                             "bytes =0-1",
                             "=0-1",
                             "bytes=0-1,5-6",
                             "bytes=0-1, 0-1",
                             "bytes=-1,-2",
                             "bytes=1"}) {
    expect_kind(header, 100, Kind::ignore);
  }
  expect_kind("bytes=-5", 0, Kind::ignore);  // 206 cannot describe zero bytes
}

TEST(FileResponse, NoRangeIsTheWholeFile) {
  const Response response =
      file_response("/srv/fw.bin", 1000, std::nullopt, "application/octet-stream");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/octet-stream");
  EXPECT_TRUE(response.body.empty());
  ASSERT_TRUE(response.file.has_value());
  EXPECT_EQ(response.file->path, "/srv/fw.bin");
  EXPECT_EQ(response.file->offset, 0U);
  EXPECT_EQ(response.file->length, 1000U);
  const Fields expected{{"Accept-Ranges", "bytes"}};
  EXPECT_EQ(response.headers, expected);
}

TEST(FileResponse, RangeIs206WithContentRangeThenExtraHeaders) {
  const Response response = file_response("/srv/fw.bin", 1000, "bytes=10-19",
                                          "application/octet-stream", {{"ETag", "\"v1\""}});
  EXPECT_EQ(response.status, 206);
  ASSERT_TRUE(response.file.has_value());
  EXPECT_EQ(response.file->offset, 10U);
  EXPECT_EQ(response.file->length, 10U);
  const Fields expected{
      {"Accept-Ranges", "bytes"}, {"Content-Range", "bytes 10-19/1000"}, {"ETag", "\"v1\""}};
  EXPECT_EQ(response.headers, expected);
}

TEST(FileResponse, UnsatisfiableIs416WithoutBody) {
  const Response response = file_response("/srv/fw.bin", 1000, "bytes=1000-", "x/y");
  EXPECT_EQ(response.status, 416);
  EXPECT_FALSE(response.file.has_value());
  EXPECT_TRUE(response.body.empty());
  EXPECT_TRUE(response.content_type.empty());
  const Fields expected{{"Accept-Ranges", "bytes"}, {"Content-Range", "bytes */1000"}};
  EXPECT_EQ(response.headers, expected);
}

TEST(FileResponse, IgnoredRangeIsTheWholeFile) {
  const Response response = file_response("/srv/fw.bin", 1000, "bytes=0-1,5-6", "x/y");
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(response.file.has_value());
  EXPECT_EQ(response.file->length, 1000U);
}

}  // namespace
}  // namespace stratus::http
