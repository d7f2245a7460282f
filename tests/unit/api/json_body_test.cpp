// Proves request bodies are read strictly (the readers every route uses, from
// proto/rest/json.hpp, and api's `read_body`): wrong types and malformed JSON are clear
// 100006 errors naming the field. How: feeds strings, checks results.
#include "api/json_body.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "proto/rest/accounts.hpp"

namespace stratus::api {
namespace {

using proto::rest::optional_string;
using proto::rest::parse_query_bool;

Result<boost::json::object> parse_object(std::string_view body) {
  return proto::rest::parse_object_body(body);
}

TEST(JsonBody, ObjectsOnly) {
  EXPECT_TRUE(parse_object(R"({"a":1})"));
  for (const char* bad : {"", "{", "[]", "\"x\"", "1", "{\"a\":}", "nul"}) {
    const auto r = parse_object(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().reason, 100006);
  }
}

// Issue 13, Medium 3: a number beyond a double would be stored as infinity (not JSON).
TEST(JsonBody, NumbersBeyondADoubleAreRefused) {
  for (const char* bad : {R"({"x":1e400})", R"({"m":{"x":[1,-1e999]}})", R"({"x":[[[1E+400]]]})"}) {
    const auto r = parse_object(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().reason, 100006);
    EXPECT_NE(r.error().context.find("out of range"), std::string::npos);
  }
  EXPECT_TRUE(parse_object(R"({"x":1.7976931348623157e308,"y":-4e-400,"z":18446744073709551615})"));
}

TEST(JsonBody, OptionalStringFields) {
  const auto o = *parse_object(R"({"s":"x","n":null,"i":5,"a":[]})");
  EXPECT_EQ(**optional_string(o, "s"), "x");
  EXPECT_FALSE(*optional_string(o, "n"));
  EXPECT_FALSE(*optional_string(o, "missing"));
  const auto wrong = optional_string(o, "i");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().context.find("i must be a string"), std::string::npos);
  EXPECT_FALSE(optional_string(o, "a"));
}

TEST(JsonBody, ReadBodyParsesTheObjectThenTheDto) {
  EXPECT_EQ(read_body("[]", proto::rest::parse_login_request).error().reason, 100006);
  EXPECT_EQ(read_body(R"({"user_name":1})", proto::rest::parse_login_request).error().reason,
            100006);
  EXPECT_EQ(read_body(R"({"user_name":"a"})", proto::rest::parse_login_request)->user_name, "a");
}

TEST(JsonBody, QueryBooleansAsClientsSendThem) {
  EXPECT_EQ(parse_query_bool("True"), true);
  EXPECT_EQ(parse_query_bool("false"), false);
  EXPECT_EQ(parse_query_bool("1"), true);
  EXPECT_EQ(parse_query_bool("yes"), std::nullopt);
}

}  // namespace
}  // namespace stratus::api
