// Proves that request targets are split and percent-decoded and that error replies
// have exactly the RainMaker failure shape. How: pure calls, compared with literals.
#include "http/message.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace stratus::http
