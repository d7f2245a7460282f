// Proves that NodeModel keeps a node's params the way the firmware does: initial values are
// checked against their specs, local updates are validated and coalesced into one delta,
// and a user's set is applied param by param (bad params refused, good ones applied and
// re-reported), with the device's callback able to refuse. How: a light built in memory.
#include "agent/node_model.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/standard.hpp"

namespace stratus::agent {
namespace {

namespace json = boost::json;

model::NodeInfo info(std::string name) {
  model::NodeInfo i;
  i.name = std::move(name);
  i.fw_version = "1.0";
  i.type = "Lightbulb";
  return i;
}

model::DeviceSpec light_spec() {
  model::DeviceSpec light;
  light.name = "Light";
  light.type = "esp.device.lightbulb";
  light.primary = "Power";
  light.params = {
      standard::param("Name", "esp.param.name", model::DataType::string, standard::read),
      standard::power_param(), standard::brightness_param()};
  return light;
}

NodeModel light_node() {
  NodeModel node("node1", info("Lamp"));
  auto ok = node.add_device(light_spec(), {{"Name", "Lamp"}, {"Power", false}, {"Brightness", 50}});
  EXPECT_TRUE(ok.has_value()) << ok.error().context;
  return node;
}

TEST(NodeModel, ConfigJsonIsTheFirmwareShape) {
  auto node = light_node();
  node.set_attribute("cmd-resp", "1");
  const auto config = json::parse(node.config_json()).as_object();
  EXPECT_EQ(config.at("node_id"), "node1");
  EXPECT_EQ(config.at("config_version"), "2020-03-20");
  EXPECT_EQ(config.at("info").at("name"), "Lamp");
  EXPECT_EQ(json::serialize(config.at("attributes")), R"([{"name":"cmd-resp","value":"1"}])");
  const auto& device = config.at("devices").at(0).as_object();
  EXPECT_EQ(device.at("primary"), "Power");
  EXPECT_EQ(json::serialize(device.at("params").at(2)),
            R"({"name":"Brightness","type":"esp.param.brightness","data_type":"int",)"
            R"("properties":["read","write"],"bounds":{"min":0,"max":100,"step":1},)"
            R"("ui_type":"esp.ui.slider"})");
  EXPECT_EQ(json::serialize(device.at("params").at(1)),
            R"({"name":"Power","type":"esp.param.power","data_type":"bool",)"
            R"("properties":["read","write"],"ui_type":"esp.ui.toggle"})");
  EXPECT_EQ(json::serialize(node.params()),
            R"({"Light":{"Name":"Lamp","Power":false,"Brightness":50}})");
}

TEST(NodeModel, RefusesBadDefinitionsAndChangesNothing) {
  auto node = light_node();
  EXPECT_EQ(node.add_device(light_spec(), {{"Name", "x"}, {"Power", true}, {"Brightness", 1}})
                .error()
                .code,
            errc::already_exists);
  auto spec = light_spec();
  spec.name = "Other";
  EXPECT_EQ(node.add_device(spec, {{"Name", "x"}, {"Power", true}}).error().code,
            errc::invalid_argument)
      << "a missing initial value";
  EXPECT_EQ(
      node.add_device(spec, {{"Name", "x"}, {"Power", true}, {"Brightness", 101}}).error().context,
      "Other.Brightness: initial value: 101 is above the maximum 100");
  EXPECT_FALSE(node.add_device(spec, {{"Name", "x"}, {"Power", 1}, {"Brightness", 1}, {"Hue", 3}})
                   .has_value());
  EXPECT_EQ(node.config().devices.size(), 1U);
  EXPECT_EQ(node.params().size(), 1U);
}

TEST(NodeModel, LocalUpdatesAreValidatedAndCoalesced) {
  auto node = light_node();
  EXPECT_FALSE(node.has_changes());
  EXPECT_EQ(node.update("Light", "Brightness", 70).value(), true);
  EXPECT_EQ(node.update("Light", "Brightness", 80).value(), true);
  EXPECT_EQ(node.update("Light", "Power", false).value(), false) << "same value: no change";
  EXPECT_EQ(node.update("Light", "Name", "Desk").value(), true) << "read-only is fine locally";
  EXPECT_EQ(node.update("Light", "Brightness", 300).error().context,
            "Light.Brightness: 300 is above the maximum 100");
  EXPECT_EQ(node.update("Light", "Hue", 3).error().code, errc::not_found);
  EXPECT_EQ(json::serialize(node.take_changes()), R"({"Light":{"Brightness":80,"Name":"Desk"}})");
  EXPECT_FALSE(node.has_changes());
  EXPECT_EQ(*node.value("Light", "Brightness"), 80);
}

TEST(NodeModel, RemoteSetAppliesGoodParamsAndRefusesTheRest) {
  auto node = light_node();
  const auto outcome = node.apply_set(
      json::parse(
          R"({"Light":{"Power":true,"Brightness":150,"Name":"x","Hue":4},"Fan":{"Speed":1}})")
          .as_object());
  EXPECT_EQ(json::serialize(outcome.applied), R"({"Light":{"Power":true}})");
  ASSERT_EQ(outcome.refused.size(), 4U);
  EXPECT_EQ(outcome.refused[0], "Light.Brightness: 150 is above the maximum 100");
  EXPECT_EQ(outcome.refused[1], "Light.Name: not writable");
  EXPECT_EQ(outcome.refused[2], "Light.Hue: unknown param");
  EXPECT_EQ(outcome.refused[3], "Fan: unknown device");
  EXPECT_EQ(*node.value("Light", "Power"), true);
  EXPECT_EQ(json::serialize(node.take_changes()), R"({"Light":{"Power":true}})");
}

TEST(NodeModel, WriteCallbackCanRefuseAndCanChangeOtherParams) {
  NodeModel node("node1", info("Lamp"));
  auto ok = node.add_device(light_spec(), {{"Name", "Lamp"}, {"Power", false}, {"Brightness", 0}},
                            [&node](const ParamWrite& write) -> Result<void> {
                              EXPECT_EQ(write.source, WriteSource::remote);
                              if (write.param == "Brightness" && write.value.as_int64() == 13) {
                                return fail(errc::invalid_argument, "unlucky");
                              }
                              if (write.param == "Power" && write.value.as_bool()) {
                                // Switching on from brightness 0 brings the light up to 100, as
                                // lamps do.
                                (void)node.update("Light", "Brightness", 100);
                              }
                              return {};
                            });
  ASSERT_TRUE(ok.has_value());
  auto outcome = node.apply_set(json::parse(R"({"Light":{"Brightness":13}})").as_object());
  EXPECT_TRUE(outcome.applied.empty());
  ASSERT_EQ(outcome.refused.size(), 1U);
  EXPECT_EQ(outcome.refused[0], "Light.Brightness: refused by the device: unlucky");
  EXPECT_EQ(*node.value("Light", "Brightness"), 0);

  outcome = node.apply_set(json::parse(R"({"Light":{"Power":true}})").as_object());
  EXPECT_EQ(json::serialize(node.take_changes()), R"({"Light":{"Brightness":100,"Power":true}})");
}

}  // namespace
}  // namespace stratus::agent
