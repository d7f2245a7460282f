// Proves that the node→cloud JSON payloads of spec rainmaker.md §1.3 (user/mapping, alert,
// otafetch, otastatus) decode into plain structs and that oversize, non-JSON, non-UTF-8,
// non-object and wrongly typed input is refused with an error naming the field. How: the
// spec's examples plus hand-made bad inputs.
#include "proto/payloads.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <random>
#include <string>
#include <vector>

#include "proto/topics.hpp"

namespace stratus::proto {
namespace {

void expect_invalid(const Error& e, std::string_view needle) {
  EXPECT_EQ(e.code, errc::invalid_argument);
  EXPECT_NE(e.context.find(needle), std::string::npos) << e.context;
}

TEST(ParseJsonObject, AcceptsObject) {
  const auto o = parse_json_object(R"({"a":1,"b":{"c":[true]}})", 100);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->size(), 2u);
}

// Issue 13, Medium 3: `{"Light":{"Brightness":1e400}}` on params/local was stored as
// infinity and the next report wiped the document; such a report is now refused.
TEST(ParseJsonObject, RefusesNumbersBeyondADouble) {
  for (const char* bad : {R"({"Light":{"Brightness":1e400}})", R"({"a":[0,-1e309]})"}) {
    const auto e = parse_json_object(bad, 100);
    ASSERT_FALSE(e.has_value()) << bad;
    expect_invalid(e.error(), "out of range");
  }
  EXPECT_TRUE(parse_json_object(R"({"a":1e308,"b":1e-400})", 100));
  EXPECT_TRUE(all_numbers_finite(boost::json::parse(R"([1,{"a":[2.5]}])")));
}

TEST(ParseJsonObject, RefusesOversize) {
  const std::string payload = R"({"a":")" + std::string(100, 'x') + R"("})";
  ASSERT_TRUE(parse_json_object(payload, payload.size()).has_value());
  const auto e = parse_json_object(payload, payload.size() - 1);
  ASSERT_FALSE(e.has_value());
  expect_invalid(e.error(), "exceeds the limit");
}

TEST(ParseJsonObject, RefusesNonObjectsAndGarbage) {
  const std::vector<std::string> bad = {
      "",
      " ",
      "[]",
      "1",
      "\"s\"",
      "null",
      "{",
      "{\"a\":}",
      "{} {}",
      "{'a':1}",
      "{\"a\":1,}",
      std::string("{\"a\":\"\xff\xfe\"}"),                              // invalid UTF-8
      std::string("{\"a\":\"\xc0\xaf\"}"),                              // overlong encoding
      std::string("\x00\x01\x02\x03", 4),                               // binary
      "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}",  // too deep
  };
  for (const auto& payload : bad) {
    const auto e = parse_json_object(payload, 4096);
    ASSERT_FALSE(e.has_value()) << payload;
    EXPECT_EQ(e.error().code, errc::invalid_argument);
  }
}

TEST(UserMapping, SpecExample) {
  const auto m = parse_user_mapping(
      R"({"node_id":"7CDFA1B2C3D4","user_id":"2e31002c-0756-4e2e-b2b4-9857e7754646",)"
      R"("secret_key":"98a35574-ca02-4de5-93fd-b5c2b08af65b","reset":true})");
  ASSERT_TRUE(m.has_value()) << m.error().context;
  EXPECT_EQ(m->node_id, "7CDFA1B2C3D4");
  EXPECT_EQ(m->user_id, "2e31002c-0756-4e2e-b2b4-9857e7754646");
  EXPECT_EQ(m->secret_key, "98a35574-ca02-4de5-93fd-b5c2b08af65b");
  EXPECT_TRUE(m->reset);
  EXPECT_TRUE(m->drops_existing_users());
}

TEST(UserMapping, ResetOptionalAndFactoryResetDummy) {
  const auto plain = parse_user_mapping(R"({"node_id":"n","user_id":"u","secret_key":"s"})");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->reset);
  EXPECT_FALSE(plain->drops_existing_users());

  const auto dummy = parse_user_mapping(
      R"({"node_id":"n","user_id":"esp-rmaker","secret_key":"failed","reset":false})");
  ASSERT_TRUE(dummy.has_value());
  EXPECT_TRUE(dummy->drops_existing_users());
}

TEST(UserMapping, WrongTypesNameTheField) {
  struct Case {
    std::string payload;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"user_id":"u","secret_key":"s"})", "node_id: missing"},
      {R"({"node_id":7,"user_id":"u","secret_key":"s"})", "node_id: expected a string"},
      {R"({"node_id":"","user_id":"u","secret_key":"s"})", "node_id: must not be empty"},
      {R"({"node_id":"n","user_id":null,"secret_key":"s"})", "user_id: expected a string"},
      {R"({"node_id":"n","user_id":"u","secret_key":["s"]})", "secret_key: expected a string"},
      {R"({"node_id":"n","user_id":"u","secret_key":"s","reset":"true"})",
       "reset: expected a boolean"},
      {R"({"node_id":"n","user_id":"u","secret_key":"s","reset":1})", "reset: expected a boolean"},
      {"[1]", "expected a JSON object"},
  };
  for (const auto& c : cases) {
    const auto m = parse_user_mapping(c.payload);
    ASSERT_FALSE(m.has_value()) << c.payload;
    expect_invalid(m.error(), c.field);
    expect_invalid(m.error(), "user/mapping");
  }
}

TEST(UserMapping, Oversize) {
  const std::string big = R"({"node_id":"n","user_id":"u","secret_key":")" +
                          std::string(kDefaultMaxMessageBytes, 's') + R"("})";
  EXPECT_FALSE(parse_user_mapping(big).has_value());
  EXPECT_TRUE(parse_user_mapping(big, big.size()).has_value());
}

TEST(Alert, TextForm) {
  const auto a = parse_alert(R"({"esp.alert.str":"Door left open"})");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->kind, Alert::Kind::text);
  EXPECT_EQ(a->text, "Door left open");
}

TEST(Alert, ParamsForm) {
  const auto a = parse_alert(R"({"Door":{"Open":true}})");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->kind, Alert::Kind::params);
  EXPECT_EQ(boost::json::parse(a->text), boost::json::parse(R"({"Door":{"Open":true}})"));
}

TEST(Alert, Refused) {
  for (const char* bad : {R"({"esp.alert.str":5})", R"({})", R"({"Door":true})",
                          R"({"Door":{"Open":true},"x":[1]})", R"("text")", "\xff"}) {
    const auto a = parse_alert(bad);
    ASSERT_FALSE(a.has_value()) << bad;
    EXPECT_EQ(a.error().code, errc::invalid_argument);
  }
  expect_invalid(parse_alert(R"({"esp.alert.str":5})").error(), "esp.alert.str: expected a string");
  expect_invalid(parse_alert(R"({"Door":true})").error(), "Door: expected an object of params");
}

TEST(OtaFetch, Parses) {
  const auto f = parse_ota_fetch(R"({"node_id":"N1","fw_version":"1.0"})");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->node_id, "N1");
  EXPECT_EQ(f->fw_version, "1.0");
  EXPECT_FALSE(f->network_id.has_value());

  const auto s = parse_ota_fetch(R"({"node_id":"N1","fw_version":"1.0","network_id":"ab12"})");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->network_id, "ab12");
  const auto i = parse_ota_fetch(R"({"node_id":"N1","fw_version":"1.0","network_id":4660})");
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(i->network_id, "4660");
}

TEST(OtaFetch, Refused) {
  expect_invalid(parse_ota_fetch(R"({"fw_version":"1.0"})").error(), "node_id: missing");
  expect_invalid(parse_ota_fetch(R"({"node_id":"N1"})").error(), "fw_version: missing");
  expect_invalid(parse_ota_fetch(R"({"node_id":"N1","fw_version":1.0})").error(),
                 "fw_version: expected a string");
  expect_invalid(parse_ota_fetch(R"({"node_id":"N1","fw_version":"1","network_id":true})").error(),
                 "network_id: expected a string or an integer");
}

TEST(OtaStatus, ParsesEveryState) {
  for (const char* state : {"in-progress", "success", "failed", "delayed", "rejected"}) {
    const std::string payload = std::string(R"({"ota_job_id":"Jb7x","status":")") + state +
                                R"(","additional_info":"Downloading","ts":1703788200})";
    const auto s = parse_ota_status(payload);
    ASSERT_TRUE(s.has_value()) << s.error().context;
    EXPECT_EQ(s->ota_job_id, "Jb7x");
    EXPECT_EQ(to_string(s->status), state);
    EXPECT_EQ(s->additional_info, "Downloading");
    EXPECT_EQ(s->ts_s, 1703788200);
  }
}

TEST(OtaStatus, OptionalFields) {
  const auto s = parse_ota_status(R"({"ota_job_id":"J","status":"success"})");
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->additional_info.empty());
  EXPECT_FALSE(s->ts_s.has_value());
  EXPECT_FALSE(s->network_id.has_value());
  const auto n = parse_ota_status(
      R"({"ota_job_id":"J","status":"failed","additional_info":null,"network_id":"p1"})");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->network_id, "p1");
}

TEST(OtaStatus, Refused) {
  expect_invalid(parse_ota_status(R"({"status":"success"})").error(), "ota_job_id: missing");
  expect_invalid(parse_ota_status(R"({"ota_job_id":"J","status":"done"})").error(),
                 "status: \"done\" is not one of");
  expect_invalid(parse_ota_status(R"({"ota_job_id":"J","status":3})").error(),
                 "status: expected a string");
  expect_invalid(parse_ota_status(R"({"ota_job_id":"J","status":"success","ts":"1"})").error(),
                 "ts: expected an integer");
  expect_invalid(parse_ota_status(R"({"ota_job_id":"J","status":"success","ts":1.5})").error(),
                 "ts: expected an integer");
  expect_invalid(
      parse_ota_status(R"({"ota_job_id":"J","status":"success","additional_info":{}})").error(),
      "additional_info: expected a string");
  EXPECT_FALSE(parse_ota_state("In-Progress").has_value());
}

TEST(Payloads, RandomInputNeverCrashes) {
  // Seeded: JSON-ish fragments and raw bytes; every decoder must return, never throw.
  std::mt19937 rng(20240607);
  const std::vector<std::string> pieces = {
      "{",           "}",           "[",      "]",          ":",
      ",",           "\"node_id\"", "\"N1\"", "\"status\"", "\"success\"",
      "true",        "null",        "-1",     "1e400",      "\"esp.alert.str\"",
      "\"\\u0000\"", "\xff",        "/",      "+"};
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const auto n = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int k = 0; k < n; ++k) {
      if (rng() % 4 == 0) {
        s.push_back(static_cast<char>(rng() % 256));
      } else {
        s += pieces[rng() % pieces.size()];
      }
    }
    EXPECT_NO_THROW({
      (void)parse_json_object(s, 64);
      (void)parse_user_mapping(s);
      (void)parse_alert(s);
      (void)parse_ota_fetch(s);
      (void)parse_ota_status(s);
      (void)parse_presence("$stratus/presence/N1", s);
      (void)parse_node_topic("node/" + s);
      (void)parse_node_topic("$aws/rules/" + s);
    });
  }
}

}  // namespace
}  // namespace stratus::proto
