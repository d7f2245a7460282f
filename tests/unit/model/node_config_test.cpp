// Proves that node configs as firmware emits them (spec rainmaker.md §2) parse into the
// model with every field the cloud uses, that unknown fields are tolerated and wrongly
// typed ones refused with an error naming the JSON path. How: the spec's §2.3 example, a
// realistic light config from tests/data, and hand-made variants.
#include "model/node_config.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace stratus::model {
namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(STRATUS_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr std::string_view kSpecExample =
    R"({"node_id":"T2uNDXPMS9nj9vpKjs2QG8","config_version":"2020-03-20",
 "info":{"name":"ESP RainMaker Device","fw_version":"1.0","type":"Switch","model":"switch","project_name":"switch","platform":"esp32c3"},
 "attributes":[{"name":"cmd-resp","value":"1"}],
 "devices":[{"name":"Switch","type":"esp.device.switch","primary":"Power",
   "params":[{"name":"Name","type":"esp.param.name","data_type":"string","properties":["read","write"]},
             {"name":"Power","type":"esp.param.power","data_type":"bool","properties":["read","write"],"ui_type":"esp.ui.toggle"}]}],
 "services":[{"name":"System","type":"esp.service.system","params":[{"name":"Reboot","type":"esp.param.reboot","data_type":"bool","properties":["read","write"]}]}]})";

TEST(NodeConfig, SpecExample) {
  const auto c = parse_node_config(kSpecExample);
  ASSERT_TRUE(c.has_value()) << c.error().context;
  EXPECT_EQ(c->node_id, "T2uNDXPMS9nj9vpKjs2QG8");
  EXPECT_EQ(c->config_version, "2020-03-20");
  EXPECT_EQ(c->info.name, "ESP RainMaker Device");
  EXPECT_EQ(c->info.fw_version, "1.0");
  EXPECT_EQ(c->info.type, "Switch");
  EXPECT_EQ(c->info.model, "switch");
  EXPECT_EQ(c->info.project_name, "switch");
  EXPECT_EQ(c->info.platform, "esp32c3");
  EXPECT_TRUE(c->supports_cmd_resp());
  ASSERT_EQ(c->devices.size(), 1u);
  const auto& sw = c->devices[0];
  EXPECT_EQ(sw.name, "Switch");
  EXPECT_EQ(sw.type, "esp.device.switch");
  EXPECT_EQ(sw.primary, "Power");
  ASSERT_EQ(sw.params.size(), 2u);
  const auto* power = c->find_param("Switch", "Power");
  ASSERT_NE(power, nullptr);
  EXPECT_EQ(power->data_type, DataType::boolean);
  EXPECT_EQ(power->type, "esp.param.power");
  EXPECT_EQ(power->ui_type, "esp.ui.toggle");
  EXPECT_TRUE(power->readable);
  EXPECT_TRUE(power->writable);
  EXPECT_FALSE(power->time_series);
  EXPECT_EQ(c->find_param("Switch", "Name")->data_type, DataType::string);
  ASSERT_EQ(c->services.size(), 1u);
  EXPECT_EQ(c->find_param("System", "Reboot")->type, "esp.param.reboot");
  EXPECT_EQ(c->find_param("Switch", "Reboot"), nullptr);
  EXPECT_EQ(c->find_param("Fan", "Power"), nullptr);
}

TEST(NodeConfig, LightWithServices) {
  const auto c = parse_node_config(read_data("node_config_light.json"));
  ASSERT_TRUE(c.has_value()) << c.error().context;
  EXPECT_EQ(c->node_id, "7CDFA1B2C3D4");
  EXPECT_TRUE(c->supports_cmd_resp());
  ASSERT_EQ(c->attributes.size(), 1u);
  EXPECT_EQ(c->attributes[0].first, "cmd-resp");

  ASSERT_EQ(c->devices.size(), 1u);
  const auto& light = c->devices[0];
  EXPECT_EQ(light.type, "esp.device.lightbulb");
  EXPECT_EQ(light.primary, "Power");
  std::vector<std::string> names;
  for (const auto& p : light.params) {
    names.push_back(p.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Name", "Power", "Brightness", "Hue", "Saturation"}));

  const auto* brightness = c->find_param("Light", "Brightness");
  ASSERT_NE(brightness, nullptr);
  EXPECT_EQ(brightness->data_type, DataType::integer);
  EXPECT_EQ(brightness->ui_type, "esp.ui.slider");
  EXPECT_EQ(brightness->bounds.min, 0.0);
  EXPECT_EQ(brightness->bounds.max, 100.0);
  EXPECT_EQ(brightness->bounds.step, 1.0);
  EXPECT_EQ(c->find_param("Light", "Hue")->bounds.max, 360.0);

  ASSERT_EQ(c->services.size(), 3u);
  EXPECT_EQ(c->services[0].name, "Schedule");
  EXPECT_EQ(c->services[1].name, "Time");
  EXPECT_EQ(c->services[2].name, "System");
  const auto* schedules = c->find_param("Schedule", "Schedules");
  ASSERT_NE(schedules, nullptr);
  EXPECT_EQ(schedules->data_type, DataType::array);
  EXPECT_EQ(schedules->bounds.max, 10.0);  // max schedule count
  EXPECT_FALSE(schedules->bounds.step.has_value());
  EXPECT_EQ(c->find_param("Time", "TZ-POSIX")->data_type, DataType::string);
  EXPECT_EQ(c->find_param("System", "Wi-Fi-Reset")->type, "esp.param.wifi-reset");
  EXPECT_EQ(c->find_device("Schedule")->type, "esp.service.schedule");
}

TEST(NodeConfig, PropertiesBoundsValidStrs) {
  const auto c = parse_node_config(R"({"node_id":"n","devices":[{"name":"AC","params":[
      {"name":"Mode","data_type":"string","properties":["read","write","persist","future"],
       "valid_strs":["cool","heat"]},
      {"name":"Temp","data_type":"float","properties":["read","time_series"],
       "bounds":{"min":16.5,"max":30,"step":0.5}},
      {"name":"Energy","data_type":"int","properties":["read","simple_ts"],"bounds":{"min":null}},
      {"name":"Cfg","data_type":"object","properties":[]},
      {"name":"Bare","data_type":"string"}]}]})");
  ASSERT_TRUE(c.has_value()) << c.error().context;
  const auto* mode = c->find_param("AC", "Mode");
  EXPECT_TRUE(mode->persist);
  EXPECT_EQ(mode->valid_strs, (std::vector<std::string>{"cool", "heat"}));
  const auto* temp = c->find_param("AC", "Temp");
  EXPECT_EQ(temp->data_type, DataType::floating);
  EXPECT_TRUE(temp->time_series);
  EXPECT_FALSE(temp->writable);
  EXPECT_EQ(temp->bounds.min, 16.5);
  EXPECT_EQ(temp->bounds.step, 0.5);
  const auto* energy = c->find_param("AC", "Energy");
  EXPECT_TRUE(energy->simple_ts);
  EXPECT_FALSE(energy->bounds.min.has_value());
  EXPECT_EQ(c->find_param("AC", "Cfg")->data_type, DataType::object);
  const auto* bare = c->find_param("AC", "Bare");
  EXPECT_FALSE(bare->readable);
  EXPECT_FALSE(bare->writable);
  EXPECT_TRUE(c->services.empty());
  EXPECT_FALSE(c->supports_cmd_resp());
  EXPECT_TRUE(c->info.fw_version.empty());
}

TEST(NodeConfig, ToleratesUnknownFields) {
  const auto c = parse_node_config(R"({"node_id":"n","config_version":"2099-01-01","extra":{},
      "info":{"name":"x","subtype":"s","readme":"r","secure_boot_digest":{"k0":null}},
      "attributes":[{"name":"cmd-resp","value":"0"},{"name":"network-id","value":"p"}],
      "devices":[{"name":"D","subtype":"x","model":"m","attributes":[{"name":"a","value":"b"}],
        "params":[{"name":"P","data_type":"bool","properties":["read"],"new_field":[1,2]}],
        "more":true}],
      "services":[]})");
  ASSERT_TRUE(c.has_value()) << c.error().context;
  EXPECT_FALSE(c->supports_cmd_resp());
  ASSERT_NE(c->find_attribute("network-id"), nullptr);
  EXPECT_EQ(*c->find_attribute("network-id"), "p");
  EXPECT_NE(c->find_param("D", "P"), nullptr);
}

TEST(NodeConfig, ErrorsNameThePath) {
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"([])", "node config: expected a JSON object"},
      {R"({)", "node config: not valid JSON"},
      {R"({"devices":[]})", "node_id: missing"},
      {R"({"node_id":5})", "node_id: expected a string"},
      {R"({"node_id":""})", "node_id: must not be empty"},
      {R"({"node_id":"n","config_version":1})", "config_version: expected a string"},
      {R"({"node_id":"n","info":[]})", "info: expected an object"},
      {R"({"node_id":"n","info":{"fw_version":1.0}})", "info.fw_version: expected a string"},
      {R"({"node_id":"n","attributes":{}})", "attributes: expected an array"},
      {R"({"node_id":"n","attributes":[{"name":"a","value":1}]})",
       "attributes[0].value: expected a string"},
      {R"({"node_id":"n","attributes":[{"value":"1"}]})", "attributes[0].name: missing"},
      {R"({"node_id":"n","devices":{}})", "devices: expected an array"},
      {R"({"node_id":"n","devices":[1]})", "devices[0]: expected an object"},
      {R"({"node_id":"n","devices":[{"params":[]}]})", "devices[0].name: missing"},
      {R"({"node_id":"n","devices":[{"name":"A"},{"name":"B","type":7}]})",
       "devices[1].type: expected a string"},
      {R"({"node_id":"n","devices":[{"name":"A","primary":true}]})",
       "devices[0].primary: expected a string"},
      {R"({"node_id":"n","devices":[{"name":"A"},{"name":"B","params":[{"name":"P","data_type":1}]}]})",
       "devices[1].params[0].data_type: expected a string"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P"}]}]})",
       "devices[0].params[0].data_type: missing"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P","data_type":"invalid"}]}]})",
       "devices[0].params[0].data_type: unknown data type \"invalid\""},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"data_type":"int"}]}]})",
       "devices[0].params[0].name: missing"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P","data_type":"int","properties":"rw"}]}]})",
       "devices[0].params[0].properties: expected an array"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P","data_type":"int","properties":["read",2]}]}]})",
       "devices[0].params[0].properties[1]: expected a string"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P","data_type":"int","bounds":[0,1]}]}]})",
       "devices[0].params[0].bounds: expected an object"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P","data_type":"int","bounds":{"max":"9"}}]}]})",
       "devices[0].params[0].bounds.max: expected a number"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P","data_type":"string","valid_strs":["a",1]}]}]})",
       "devices[0].params[0].valid_strs[1]: expected a string"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P","data_type":"int","ui_type":0}]}]})",
       "devices[0].params[0].ui_type: expected a string"},
      {R"({"node_id":"n","devices":[{"name":"A","params":[{"name":"P","data_type":"int"},{"name":"P","data_type":"int"}]}]})",
       "devices[0].params[1].name: duplicate param name \"P\""},
      {R"({"node_id":"n","devices":[{"name":"A"}],"services":[{"name":"A"}]})",
       "services[0].name: duplicate device or service name \"A\""},
      {R"({"node_id":"n","services":[{"name":"S","params":[{"name":"P","data_type":true}]}]})",
       "services[0].params[0].data_type: expected a string"},
  };
  for (const auto& c : cases) {
    const auto r = parse_node_config(c.json);
    ASSERT_FALSE(r.has_value()) << c.json;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_NE(r.error().context.find(c.message), std::string::npos)
        << "got: " << r.error().context << "\nwant: " << c.message;
  }
}

TEST(NodeConfig, DataTypeSpellings) {
  for (const auto t : {DataType::boolean, DataType::integer, DataType::floating, DataType::string,
                       DataType::object, DataType::array}) {
    EXPECT_EQ(parse_data_type(to_string(t)), t);
  }
  EXPECT_EQ(to_string(DataType::boolean), "bool");
  EXPECT_EQ(to_string(DataType::integer), "int");
  EXPECT_EQ(to_string(DataType::floating), "float");
  EXPECT_FALSE(parse_data_type("Bool").has_value());
}

TEST(NodeConfig, GarbageNeverCrashes) {
  // Every prefix of a real config: none may crash; all but the full one must fail.
  const auto text = read_data("node_config_light.json");
  ASSERT_GT(text.size(), 2u);
  for (std::size_t n = 0; n + 2 < text.size(); n += 7) {
    const auto r = parse_node_config(std::string_view(text).substr(0, n));
    EXPECT_FALSE(r.has_value()) << n;
  }
}

// to_json writes what the firmware's generator writes: the spec's example comes back
// byte for byte (keys in the firmware's order), and a config with bounds and valid_strs
// survives a round trip.
TEST(NodeConfigToJson, SpecExampleRoundTripsByteForByte) {
  const auto c = parse_node_config(kSpecExample);
  ASSERT_TRUE(c.has_value()) << c.error().context;
  EXPECT_EQ(to_json(*c), boost::json::serialize(boost::json::parse(kSpecExample)));
}

TEST(NodeConfigToJson, BoundsStepAndValidStrings) {
  NodeConfig c;
  c.node_id = "n1";
  c.config_version = "2020-03-20";
  auto param = [](std::string name, std::string type, DataType data_type, bool writable) {
    ParamSpec p;
    p.name = std::move(name);
    p.type = std::move(type);
    p.data_type = data_type;
    p.readable = true;
    p.writable = writable;
    return p;
  };
  auto brightness = param("Brightness", "esp.param.brightness", DataType::integer, true);
  brightness.ui_type = "esp.ui.slider";
  brightness.bounds = {.min = 0, .max = 100, .step = 1};
  auto mode = param("Mode", "", DataType::string, true);
  mode.valid_strs = {"auto", "eco"};
  auto temperature = param("Temperature", "", DataType::floating, false);
  temperature.time_series = true;
  temperature.bounds = {.min = -40.5, .max = 85.0, .step = 0.0};
  DeviceSpec light;
  light.name = "Light";
  light.type = "esp.device.light";
  light.primary = "Brightness";
  light.params = {brightness, mode, temperature};
  c.devices.push_back(light);
  const auto text = to_json(c);
  EXPECT_NE(text.find(R"("bounds":{"min":0,"max":100,"step":1})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("bounds":{"min":-4.05E1,"max":8.5E1})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("valid_strs":["auto","eco"])"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("properties":["read","time_series"])"), std::string::npos) << text;
  EXPECT_EQ(text.find("\"attributes\""), std::string::npos) << "empty attributes are omitted";
  const auto back = parse_node_config(text);
  ASSERT_TRUE(back.has_value()) << back.error().context;
  EXPECT_EQ(to_json(*back), text);
}

TEST(NodeConfigToJson, OddBoundsRoundTrip) {
  // Found by the node_config fuzz target: an int bound beyond int64 was cast (undefined
  // behaviour), and a lone step 0 gave an empty "bounds":{} that did not round-trip.
  const auto c = parse_node_config(
      R"({"node_id":"n1","devices":[{"name":"A","params":[)"
      R"({"name":"big","data_type":"int","bounds":{"min":-1e300,"max":1e19,"step":0.5}},)"
      R"({"name":"zero","data_type":"int","bounds":{"step":0}}]}]})");
  ASSERT_TRUE(c.has_value()) << c.error().context;
  const auto text = to_json(*c);
  EXPECT_NE(text.find(R"("bounds":{"min":-1E300,"max":1E19,"step":5E-1})"), std::string::npos)
      << text;
  EXPECT_EQ(text.find(R"("bounds":{})"), std::string::npos) << text;
  const auto back = parse_node_config(text);
  ASSERT_TRUE(back.has_value()) << back.error().context;
  EXPECT_EQ(to_json(*back), text);
}

}  // namespace
}  // namespace stratus::model
