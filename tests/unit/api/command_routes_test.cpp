// Proves how GET /v1/user/nodes/cmd renders a stored command record (bytes that are
// JSON come back as JSON, text as a string, raw bytes or is_base64 as base64, times in
// seconds, optional fields only when set) and how a POST body becomes a command.
// How: `command_record_json` on hand-made records, `parse_new_command` on bodies (pure).
#include "api/command_routes.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace stratus::api {
namespace {

namespace json = boost::json;

storage::CommandRecord record() {
  storage::CommandRecord r;
  r.id = 7;
  r.request_id = "R";
  r.node_id = "N";
  r.user_name = "a@example.com";
  r.cmd = 4096;
  r.request_data = R"({"a":1})";
  r.status = "in_progress";
  r.request_ms = 1'800'000'000'999;
  r.expiration_ms = 1'800'000'030'999;
  return r;
}

TEST(CommandRecordJson, PendingRecord) {
  EXPECT_EQ(json::value(command_record_json(record())),
            json::parse(R"({"request_id":"R","node_id":"N","status":"in_progress","cmd":4096,)"
                        R"("user_name":"a@example.com","request_data":{"a":1},)"
                        R"("request_timestamp":1800000000,"expiration_timestamp":1800000030})"));
}

TEST(CommandRecordJson, AnsweredRecordAndDataShapes) {
  auto r = record();
  r.status = "failure";
  r.device_status = 3;
  r.status_description = "not authorized for this role";
  r.response_data = "plain";
  r.response_ms = 1'800'000'001'000;
  r.expiration_ms.reset();
  auto o = command_record_json(r);
  EXPECT_EQ(o.at("device_status"), json::value(3));
  EXPECT_EQ(o.at("status_description"), json::value("not authorized for this role"));
  EXPECT_EQ(o.at("response_data"), json::value("plain"));
  EXPECT_EQ(o.at("response_timestamp"), json::value(1800000001));
  EXPECT_EQ(o.at("indefinite_timeout"), json::value(true));
  EXPECT_FALSE(o.contains("expiration_timestamp"));
  EXPECT_FALSE(o.contains("is_base64"));

  r.response_data = std::string("\xff\x00", 2);  // not UTF-8: base64
  EXPECT_EQ(command_record_json(r).at("response_data"), json::value("/wA="));
  r.is_base64 = true;
  r.request_data = "hi";
  o = command_record_json(r);
  EXPECT_EQ(o.at("request_data"), json::value("aGk="));
  EXPECT_EQ(o.at("is_base64"), json::value(true));
  r.request_data = "[1,2]";
  EXPECT_EQ(command_record_json(r).at("request_data"), json::parse("[1,2]")) << "JSON wins";
}

TEST(ParseNewCommand, ReadsEveryField) {
  const auto c = parse_new_command(
      R"({"node_ids":["a","b"],"cmd":4097,"data":{"x":1},"timeout":-1,"override":true})");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->node_ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->cmd, 4097);
  EXPECT_EQ(c->data, R"({"x":1})");
  EXPECT_EQ(c->timeout_s, -1);
  EXPECT_TRUE(c->override_pending);
  EXPECT_FALSE(c->is_base64);

  const auto raw =
      parse_new_command(R"({"node_ids":["a"],"cmd":1,"data":"AAE=","is_base64":true})");
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->data, std::string("\0\1", 2));
}

TEST(ParseNewCommand, RefusesWithTheRainMakerCode) {
  namespace code = proto::rest::command_error;
  const std::pair<const char*, int> cases[] = {
      {"[1]", 100006},
      {R"({"node_ids":"a","cmd":1})", 100006},
      {R"({"node_ids":["a"]})", code::invalid_cmd},
      {R"({"node_ids":["a"],"cmd":18446744073709551615})", code::invalid_cmd},
      {R"({"node_ids":["a"],"cmd":1,"data":5})", code::invalid_data},
      {R"({"node_ids":["a"],"cmd":1,"data":"A===","is_base64":true})", code::invalid_base64},
      {R"({"node_ids":["a"],"cmd":1,"timeout":1.5})", code::invalid_timeout},
  };
  for (const auto& [body, reason] : cases) {
    const auto c = parse_new_command(body);
    ASSERT_FALSE(c.has_value()) << body;
    EXPECT_EQ(c.error().code, errc::invalid_argument) << body;
    EXPECT_EQ(c.error().reason, reason) << body;
  }
}

}  // namespace
}  // namespace stratus::api
