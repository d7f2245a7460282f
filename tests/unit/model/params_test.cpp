// Proves that params reports deep-merge into the stored state as spec rainmaker.md §1.5
// says, and that a user's set request is checked against the node config (device, param,
// write property, data type, bounds, step, valid_strs) with messages naming Device.Param.
// How: JSON documents in, JSON documents or error text out, over the tests/data light
// config and a small config with every data type.
#include "model/params.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace stratus::model {
namespace {

namespace json = boost::json;

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

NodeConfig light_config() {
  std::ifstream in(std::string(STRATUS_TEST_DATA_DIR) + "/node_config_light.json");
  std::ostringstream s;
  s << in.rdbuf();
  auto c = parse_node_config(s.str());
  EXPECT_TRUE(c.has_value());
  return c.value_or(NodeConfig{});
}

// One device with every data type, a read-only param, float bounds and valid_strs.
NodeConfig typed_config() {
  auto c = parse_node_config(R"({"node_id":"n","devices":[{"name":"Dev","params":[
      {"name":"B","data_type":"bool","properties":["read","write"]},
      {"name":"I","data_type":"int","properties":["read","write"],
       "bounds":{"min":10,"max":50,"step":5}},
      {"name":"F","data_type":"float","properties":["read","write"],
       "bounds":{"min":16.5,"max":30,"step":0.1}},
      {"name":"FreeF","data_type":"float","properties":["write"]},
      {"name":"FreeI","data_type":"int","properties":["write"]},
      {"name":"S","data_type":"string","properties":["read","write"]},
      {"name":"Mode","data_type":"string","properties":["read","write"],
       "valid_strs":["auto","cool","heat"]},
      {"name":"O","data_type":"object","properties":["read","write"]},
      {"name":"A","data_type":"array","properties":["read","write"],"bounds":{"min":0,"max":2}},
      {"name":"RO","data_type":"float","properties":["read","time_series"]}]}]})");
  EXPECT_TRUE(c.has_value()) << c.error().context;
  return c.value_or(NodeConfig{});
}

// ---- merge_report ----------------------------------------------------------------------

// validate_value is validate_set's per-value rule without the write check.
TEST(ValidateValue, SameRulesAsASetWithoutTheWriteProperty) {
  ParamSpec level;
  level.name = "Level";
  level.data_type = DataType::integer;
  level.bounds = {.min = 0, .max = 100, .step = 5};
  EXPECT_TRUE(validate_value(level, boost::json::value(40)).has_value());
  const auto above = validate_value(level, boost::json::value(150));
  ASSERT_FALSE(above.has_value());
  EXPECT_EQ(above.error().context, "150 is above the maximum 100");
  EXPECT_FALSE(validate_value(level, boost::json::value(42)).has_value());
  EXPECT_FALSE(validate_value(level, boost::json::value("40")).has_value());
}

TEST(MergeReport, AddsNewDeviceAndParam) {
  auto state = obj(R"({"Light":{"Power":false}})");
  merge_report(state, obj(R"({"Light":{"Brightness":40},"Time":{"TZ":"Europe/Paris"}})"));
  EXPECT_EQ(state,
            obj(R"({"Light":{"Power":false,"Brightness":40},"Time":{"TZ":"Europe/Paris"}})"));
}

TEST(MergeReport, ReplacesParamValue) {
  auto state = obj(R"({"Light":{"Power":false,"Brightness":40}})");
  merge_report(state, obj(R"({"Light":{"Power":true}})"));
  EXPECT_EQ(state, obj(R"({"Light":{"Power":true,"Brightness":40}})"));
}

TEST(MergeReport, ReplacesArraysWholesale) {
  auto state = obj(R"({"Schedule":{"Schedules":[{"id":"a"},{"id":"b"}]}})");
  merge_report(state, obj(R"({"Schedule":{"Schedules":[{"id":"c"}]}})"));
  EXPECT_EQ(state, obj(R"({"Schedule":{"Schedules":[{"id":"c"}]}})"));
  merge_report(state, obj(R"({"Schedule":{"Schedules":[]}})"));
  EXPECT_EQ(state, obj(R"({"Schedule":{"Schedules":[]}})"));
}

TEST(MergeReport, ReplacesObjectParamsWholesale) {
  auto state = obj(R"({"Dev":{"Cfg":{"a":1,"b":{"c":2}}}})");
  merge_report(state, obj(R"({"Dev":{"Cfg":{"b":{"d":3}}}})"));
  EXPECT_EQ(state, obj(R"({"Dev":{"Cfg":{"b":{"d":3}}}})"));
}

TEST(MergeReport, NonObjectDeviceEntriesReplace) {
  auto state = obj(R"({"Weird":{"x":1},"Other":5})");
  merge_report(state, obj(R"({"Weird":7,"Other":{"y":2}})"));
  EXPECT_EQ(state, obj(R"({"Weird":7,"Other":{"y":2}})"));
}

TEST(MergeReport, TypeChangeOfParamReplaces) {
  auto state = obj(R"({"D":{"P":[1,2]}})");
  merge_report(state, obj(R"({"D":{"P":{"k":1}}})"));
  EXPECT_EQ(state, obj(R"({"D":{"P":{"k":1}}})"));
}

TEST(MergeReport, InitReplacingVersusMerging) {
  const auto before = obj(R"({"Light":{"Power":true,"Stale":1},"Gone":{"X":1}})");
  const auto init = obj(R"({"Light":{"Power":false,"Brightness":10}})");
  // Merge keeps what the init does not mention...
  auto merged = before;
  merge_report(merged, init);
  EXPECT_EQ(merged, obj(R"({"Light":{"Power":false,"Stale":1,"Brightness":10},"Gone":{"X":1}})"));
  // ...replacing (assigning the init report) drops it.
  auto replaced = before;
  replaced = init;
  EXPECT_EQ(replaced, init);
  // Merging into an empty state equals the report.
  json::object empty;
  merge_report(empty, init);
  EXPECT_EQ(empty, init);
}

// ---- validate_set ----------------------------------------------------------------------

std::string error_of(const NodeConfig& c, std::string_view payload) {
  const auto r = validate_set(c, obj(payload));
  if (r.has_value()) {
    return "<accepted>";
  }
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  return r.error().context;
}

TEST(ValidateSet, AcceptsRealisticRequests) {
  const auto c = light_config();
  for (const char* ok : {
           R"({"Light":{"Power":true}})",
           R"({"Light":{"Power":false,"Brightness":0,"Hue":360,"Saturation":100,"Name":"Desk"}})",
           R"({"Schedule":{"Schedules":[{"id":"ab12","operation":"add","name":"Wake",
               "triggers":[{"m":420,"d":31}],"action":{"Light":{"Power":true}}}]}})",
           R"({"Time":{"TZ":"Europe/Paris"},"System":{"Reboot":true}})",
       }) {
    const auto r = validate_set(c, obj(ok));
    EXPECT_TRUE(r.has_value()) << ok << ": " << r.error().context;
  }
}

TEST(ValidateSet, BriefExamples) {
  const auto c = light_config();
  EXPECT_EQ(error_of(c, R"({"Light":{"Brightness":150}})"),
            "Light.Brightness: 150 is above the maximum 100");
  EXPECT_EQ(error_of(c, R"({"Light":{"Power":"on"}})"), "Light.Power: expected a boolean");
  EXPECT_EQ(error_of(c, R"({"Light":{"Color":"red"}})"), "Light.Color: unknown param");
  EXPECT_EQ(error_of(c, R"({"Fan":{"Speed":3}})"), "Fan: unknown device");
  const auto t = typed_config();
  EXPECT_EQ(error_of(t, R"({"Dev":{"RO":21.5}})"), "Dev.RO: not writable");
}

TEST(ValidateSet, EmptyPayloadAndEmptyDevice) {
  const auto c = light_config();
  EXPECT_NE(error_of(c, "{}").find("empty payload"), std::string::npos);
  EXPECT_EQ(error_of(c, R"({"Light":{}})"), "Light: no params to set");
  EXPECT_EQ(error_of(c, R"({"Light":true})"), "Light: expected an object of params");
}

TEST(ValidateSet, ReportsEveryProblem) {
  const auto c = light_config();
  EXPECT_EQ(error_of(c, R"({"Light":{"Power":1,"Brightness":-1},"Fan":{}})"),
            "Light.Power: expected a boolean; Light.Brightness: -1 is below the minimum 0; "
            "Fan: unknown device");
  std::string many = "{\"Light\":{";
  for (int i = 0; i < 25; ++i) {
    many += (i == 0 ? "" : ",") + std::string("\"X") + std::to_string(i) + "\":1";
  }
  many += "}}";
  const auto e = error_of(c, many);
  EXPECT_NE(e.find("Light.X9: unknown param; and 15 more"), std::string::npos) << e;
}

struct TypeCase {
  const char* param;
  const char* value;
  const char* error;  // nullptr = accepted
};

TEST(ValidateSet, DataTypeTable) {
  const auto c = typed_config();
  const std::vector<TypeCase> cases = {
      {"B", "true", nullptr},
      {"B", "false", nullptr},
      {"B", "1", "expected a boolean"},
      {"B", "\"true\"", "expected a boolean"},
      {"B", "null", "expected a boolean"},
      {"FreeI", "7", nullptr},
      {"FreeI", "-2147483648", nullptr},
      {"FreeI", "2147483647", nullptr},
      {"FreeI", "2147483648", "2147483648 does not fit a 32-bit integer"},
      {"FreeI", "-2147483649", "-2147483649 does not fit a 32-bit integer"},
      {"FreeI", "18446744073709551615", "18446744073709551615 does not fit a 32-bit integer"},
      {"FreeI", "7.0", "expected an integer"},
      {"FreeI", "7.5", "expected an integer"},
      {"FreeI", "7e0", "expected an integer"},
      {"FreeI", "\"7\"", "expected an integer"},
      {"FreeI", "true", "expected an integer"},
      {"FreeF", "7", nullptr},
      {"FreeF", "-7.25", nullptr},
      {"FreeF", "1e300", nullptr},
      {"FreeF", "1e400", "inf is not a finite number"},
      {"FreeF", "-1e400", "-inf is not a finite number"},
      {"FreeF", "\"7.5\"", "expected a number"},
      {"FreeF", "[]", "expected a number"},
      {"S", "\"\"", nullptr},
      {"S", "\"hello\"", nullptr},
      {"S", "5", "expected a string"},
      {"S", "{}", "expected a string"},
      {"O", "{}", nullptr},
      {"O", "{\"k\":[1]}", nullptr},
      {"O", "[]", "expected an object"},
      {"O", "\"{}\"", "expected an object"},
      {"A", "[]", nullptr},
      {"A", "[1,2,3]", nullptr},  // array bounds (max count) are the node's business
      {"A", "{}", "expected an array"},
      {"A", "null", "expected an array"},
  };
  for (const auto& tc : cases) {
    const std::string payload = std::string("{\"Dev\":{\"") + tc.param + "\":" + tc.value + "}}";
    const auto got = error_of(c, payload);
    const std::string want =
        tc.error == nullptr ? "<accepted>" : std::string("Dev.") + tc.param + ": " + tc.error;
    EXPECT_EQ(got, want) << payload;
  }
}

TEST(ValidateSet, IntBoundsAndStep) {
  const auto c = typed_config();  // I: min 10, max 50, step 5
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"10", nullptr},
      {"15", nullptr},
      {"50", nullptr},
      {"9", "9 is below the minimum 10"},
      {"51", "51 is above the maximum 50"},
      {"55", "55 is above the maximum 50"},
      {"12", "12 is not on the step 5 from 10"},
      {"-5", "-5 is below the minimum 10"},
  };
  for (const auto& [value, error] : cases) {
    const auto got = error_of(c, std::string(R"({"Dev":{"I":)") + value + "}}");
    EXPECT_EQ(got, error == nullptr ? "<accepted>" : std::string("Dev.I: ") + error) << value;
  }
}

TEST(ValidateSet, FloatBoundsAndStep) {
  const auto c = typed_config();  // F: min 16.5, max 30, step 0.1
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"16.5", nullptr},
      {"30", nullptr},
      {"21.7", nullptr},
      {"16.6", nullptr},  // (16.6-16.5)/0.1 is 0.99999... in binary
      {"29.9", nullptr},
      {"22", nullptr},
      {"16.4", "16.4 is below the minimum 16.5"},
      {"30.01", "30.01 is above the maximum 30"},
      {"21.75", "21.75 is not on the step 0.1 from 16.5"},
      {"-1e300", "-1e+300 is below the minimum 16.5"},
  };
  for (const auto& [value, error] : cases) {
    const auto got = error_of(c, std::string(R"({"Dev":{"F":)") + value + "}}");
    EXPECT_EQ(got, error == nullptr ? "<accepted>" : std::string("Dev.F: ") + error) << value;
  }
}

TEST(ValidateSet, LightBoundsFromFirmwareConfig) {
  const auto c = light_config();
  EXPECT_EQ(error_of(c, R"({"Light":{"Hue":361}})"), "Light.Hue: 361 is above the maximum 360");
  EXPECT_EQ(error_of(c, R"({"Light":{"Saturation":-1}})"),
            "Light.Saturation: -1 is below the minimum 0");
  EXPECT_EQ(error_of(c, R"({"Light":{"Brightness":50.5}})"),
            "Light.Brightness: expected an integer");
}

TEST(ValidateSet, ValidStrs) {
  const auto c = typed_config();
  EXPECT_EQ(error_of(c, R"({"Dev":{"Mode":"cool"}})"), "<accepted>");
  EXPECT_EQ(error_of(c, R"({"Dev":{"Mode":"Cool"}})"),
            R"(Dev.Mode: "Cool" is not one of "auto", "cool", "heat")");
  EXPECT_EQ(error_of(c, R"({"Dev":{"Mode":""}})"),
            R"(Dev.Mode: "" is not one of "auto", "cool", "heat")");
  EXPECT_EQ(error_of(c, R"({"Dev":{"S":"anything"}})"), "<accepted>");  // empty list = any
}

TEST(ValidateSet, ServicesAreSettable) {
  const auto c = light_config();
  EXPECT_EQ(error_of(c, R"({"System":{"Factory-Reset":true}})"), "<accepted>");
  EXPECT_EQ(error_of(c, R"({"System":{"Factory-Reset":"yes"}})"),
            "System.Factory-Reset: expected a boolean");
  EXPECT_EQ(error_of(c, R"({"Schedule":{"Schedules":{}}})"),
            "Schedule.Schedules: expected an array");
}

}  // namespace
}  // namespace stratus::model
