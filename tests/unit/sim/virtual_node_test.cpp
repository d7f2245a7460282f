// Proves that every built-in virtual device yields a node config the cloud's own parser
// accepts, with the firmware's System and Time services; that devices apply writes and
// sensors drift within their bounds; and that YAML model files build any node and refuse
// bad ones with an error naming the place; that the `ota` knobs (mode, project, chip,
// version, failures, reboot delay) reach the node, with built-in models on topics mode; and
// that the `wifi` section sets the access points provisioning simulates.
// How: build the nodes in memory and inspect them.
#include "sim/virtual_node.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "model/node_config.hpp"

namespace stratus::sim {
namespace {

namespace json = boost::json;

TEST(VirtualNode, EveryBuiltInModelIsAValidFirmwareShapedNode) {
  for (const auto name : builtin_models()) {
    auto v = make_virtual_node(name, "node-" + std::string(name), {});
    ASSERT_TRUE(v.has_value()) << name << ": " << v.error().context;
    const auto parsed = model::parse_node_config(v->model->config_json());
    ASSERT_TRUE(parsed.has_value()) << name << ": " << parsed.error().context;
    EXPECT_EQ(parsed->node_id, "node-" + std::string(name));
    EXPECT_EQ(parsed->devices.size(), 1U) << name;
    EXPECT_NE(parsed->find_device("System"), nullptr) << name;
    EXPECT_NE(parsed->find_device("Time"), nullptr) << name;
    EXPECT_FALSE(parsed->devices[0].primary.empty()) << name;
  }
}

TEST(VirtualNode, LightAppliesPowerBrightnessAndHue) {
  std::vector<std::string> applied;
  VirtualNodeOptions options;
  options.on_apply = [&](std::string_view param, std::string_view value) {
    applied.push_back(std::string(param) + "=" + std::string(value));
  };
  auto v = make_virtual_node("light", "L1", options);
  ASSERT_TRUE(v.has_value());
  const auto outcome = v->model->apply_set(
      json::parse(R"({"Light":{"Power":true,"Brightness":30,"Hue":400}})").as_object());
  EXPECT_EQ(json::serialize(outcome.applied), R"({"Light":{"Power":true,"Brightness":30}})");
  EXPECT_EQ(applied, (std::vector<std::string>{"Light.Power=true", "Light.Brightness=30"}));
  EXPECT_EQ(*v->model->value("Light", "Power"), true);
}

TEST(VirtualNode, RebootWriteCallsTheDriver) {
  int reboots = 0;
  VirtualNodeOptions options;
  options.on_reboot = [&] { ++reboots; };
  auto v = make_virtual_node("switch", "S1", options);
  ASSERT_TRUE(v.has_value());
  v->model->apply_set(json::parse(R"({"System":{"Reboot":true}})").as_object());
  EXPECT_EQ(reboots, 1);
}

TEST(VirtualNode, TemperatureSensorDriftsWithinItsBounds) {
  auto v = make_virtual_node("temperature-sensor", "T1", {});
  ASSERT_TRUE(v.has_value());
  ASSERT_EQ(v->behaviours.size(), 1U);
  int changes = 0;
  for (int i = 0; i < 500; ++i) {
    v->behaviours[0].tick(*v->model);
    const auto t = v->model->value("Temperature Sensor", "Temperature")->as_double();
    ASSERT_GE(t, 15.0);
    ASSERT_LE(t, 30.0);
    changes += v->model->take_changes().empty() ? 0 : 1;
  }
  EXPECT_GT(changes, 100) << "the reading moves";
  const auto same_seed = make_virtual_node("temperature-sensor", "T1", {});
  same_seed->behaviours[0].tick(*same_seed->model);
  auto again = make_virtual_node("temperature-sensor", "T1", {});
  again->behaviours[0].tick(*again->model);
  EXPECT_EQ(*same_seed->model->value("Temperature Sensor", "Temperature"),
            *again->model->value("Temperature Sensor", "Temperature"))
      << "a node id gives the same readings on every run";
}

// The sample commands: identify answers (at once without a driver to defer it), reboot is
// for primary users and admins and calls the driver, configure stores settings.
TEST(VirtualNode, SampleCommands) {
  int reboots = 0;
  std::vector<std::string> applied;
  VirtualNodeOptions options;
  options.on_reboot = [&] { ++reboots; };
  options.on_apply = [&](std::string_view p, std::string_view v) {
    applied.push_back(std::string(p) + "=" + std::string(v));
  };
  auto v = make_virtual_node("fan", "F1", options);
  ASSERT_TRUE(v.has_value());
  auto call = [&](std::uint16_t cmd, std::string_view data) {
    const auto* entry = v->model->find_command(cmd);
    EXPECT_NE(entry, nullptr) << cmd;
    return entry->second(agent::CommandRequest{"r1", 0x02, 0, cmd, data, 0});
  };
  auto identify = call(kIdentifyCommand, R"({"seconds":2})");
  EXPECT_EQ(identify.status, 0);
  EXPECT_EQ(identify.data, R"({"status":"success","blinked_s":2})");
  EXPECT_EQ(call(kIdentifyCommand, R"({"seconds":99})").status, 2);
  EXPECT_EQ(call(kRebootCommand, "").data, R"({"status":"success","rebooting":true})");
  EXPECT_EQ(reboots, 1);
  EXPECT_EQ(v->model->find_command(kRebootCommand)->first & agent::secondary_access, 0)
      << "secondary users may not reboot";
  EXPECT_EQ(call(kConfigureCommand, R"({"led":"dim","interval_s":30})").data,
            R"({"status":"success","applied":["led","interval_s"]})");
  EXPECT_EQ(call(kConfigureCommand, "[]").status, 2);
  EXPECT_EQ(applied, (std::vector<std::string>{"identify=blinking for 2 s", "config.led=\"dim\"",
                                               "config.interval_s=30"}));
}

constexpr std::string_view kKitchen = R"(
info: {name: Kitchen, type: Thermostat, fw_version: "2.1"}
devices:
  - name: Thermostat
    type: esp.device.thermostat
    primary: Setpoint
    params:
      - {name: Setpoint, data_type: float, properties: [read, write],
         bounds: {min: 10, max: 30, step: 0.5}, ui_type: esp.ui.slider, value: 21}
      - {name: Mode, data_type: string, properties: [read, write],
         valid_strs: [heat, cool, "off"], value: heat}
      - {name: Current, data_type: float, properties: [read, time_series], value: 20.5}
      - {name: Schedule, data_type: array, properties: [read, write], value: [{at: 7, t: 21}]}
behaviours:
  - {param: Thermostat.Current, every_s: 2, walk: {min: 15, max: 25, step: 0.2}}
)";

TEST(YamlModel, BuildsAnyNode) {
  auto v = parse_yaml_model(kKitchen, "K1", {});
  ASSERT_TRUE(v.has_value()) << v.error().context;
  const auto& config = v->model->config();
  EXPECT_EQ(config.info.name, "Kitchen");
  EXPECT_EQ(config.info.fw_version, "2.1");
  const auto* setpoint = config.find_param("Thermostat", "Setpoint");
  ASSERT_NE(setpoint, nullptr);
  EXPECT_EQ(setpoint->bounds.step, 0.5);
  EXPECT_TRUE(config.find_param("Thermostat", "Current")->time_series);
  EXPECT_EQ(json::serialize(v->model->params().at("Thermostat")),
            R"({"Setpoint":2.1E1,"Mode":"heat","Current":2.05E1,"Schedule":[{"at":7,"t":21}]})");
  EXPECT_NE(config.find_device("System"), nullptr);
  ASSERT_EQ(v->behaviours.size(), 1U);
  EXPECT_EQ(v->behaviours[0].period, std::chrono::milliseconds(2000));
}

TEST(YamlModel, RefusesBadFilesNamingThePlace) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"devices: 3", "devices: expected a list"},
      {"devices: [{name: A, params: [{name: P, data_type: bool, value: 3}]}]",
       "devices[0]: A.P: initial value: expected a boolean"},
      {"devices: [{name: A, params: [{name: P, data_type: bool}]}]",
       "devices[0].params[0].value: missing"},
      {"devices: [{name: A, params: [{name: P, data_type: colour, value: 1}]}]",
       "devices[0].params[0].data_type: unknown data type"},
      {"devices: [{name: A, params: [{name: P, data_type: bool, value: true}]}]\n"
       "behaviours: [{param: A.Q, walk: {min: 1, max: 2, step: 1}}]",
       "behaviours[0].param: no param A.Q"},
      {"info: {name: x}", "devices: a node needs at least one device"},
      {"devices: [unclosed", "YAML: "},
  };
  for (const auto& [yaml, expected] : cases) {
    auto v = parse_yaml_model(yaml, "X", {});
    ASSERT_FALSE(v.has_value()) << yaml;
    EXPECT_EQ(v.error().code, errc::invalid_argument);
    EXPECT_NE(v.error().context.find(expected), std::string::npos)
        << yaml << "\n  gave: " << v.error().context;
  }
}

TEST(VirtualNodeOta, BuiltInModelsRunVersion100OfTheirOwnProjectOverTopics) {
  for (const auto name : builtin_models()) {
    auto v = make_virtual_node(name, "N", {});
    ASSERT_TRUE(v.has_value());
    ASSERT_TRUE(v->ota.has_value()) << name;
    EXPECT_EQ(v->ota->mode, agent::OtaMode::topics);
    EXPECT_EQ(v->ota->project_name, name);
    EXPECT_EQ(v->ota->chip_id, 0x00);
    EXPECT_EQ(v->ota->fault, agent::OtaFault::none);
    EXPECT_EQ(v->model->config().info.project_name, name);
    EXPECT_EQ(v->model->config().info.fw_version, "1.0.0");
    EXPECT_EQ(v->model->config().find_device("OTA"), nullptr) << "topics mode: no OTA service";
  }
}

constexpr std::string_view kSwitchDevice =
    "devices: [{name: S, params: [{name: Power, data_type: bool, value: false}]}]\n";

TEST(VirtualNodeOta, ModelFileKnobs) {
  auto v = parse_yaml_model(std::string(kSwitchDevice) +
                                "info: {model: plug}\n"
                                "ota: {mode: params, project_name: kitchen, chip: ESP32-S3,\n"
                                "      fw_version: \"2.0.0\", secure_version: 4, fail: checksum,\n"
                                "      reboot_delay_s: 0.5}\n",
                            "K1", {});
  ASSERT_TRUE(v.has_value()) << v.error().context;
  ASSERT_TRUE(v->ota.has_value());
  EXPECT_EQ(v->ota->mode, agent::OtaMode::params);
  EXPECT_EQ(v->ota->project_name, "kitchen");
  EXPECT_EQ(v->ota->chip_id, 0x09);
  EXPECT_EQ(v->ota->secure_version, 4U);
  EXPECT_EQ(v->ota->fault, agent::OtaFault::checksum);
  EXPECT_EQ(v->ota->reboot_delay, std::chrono::milliseconds(500));
  const auto& config = v->model->config();
  EXPECT_EQ(config.info.fw_version, "2.0.0");
  EXPECT_EQ(config.info.project_name, "kitchen");
  const auto* url = config.find_param("OTA", "URL");
  ASSERT_NE(url, nullptr) << "params mode adds the OTA service";
  EXPECT_EQ(url->type, "esp.param.ota_url");
  EXPECT_EQ(config.find_device("OTA")->type, "esp.service.ota");
  EXPECT_EQ(json::serialize(v->model->params().at("OTA")), R"({"Status":"","Info":"","URL":""})");

  auto plain = parse_yaml_model(std::string(kSwitchDevice) + "info: {model: plug}\n", "K2", {});
  ASSERT_TRUE(plain.has_value());
  ASSERT_TRUE(plain->ota.has_value()) << "no ota map: topics mode, as built-in models";
  EXPECT_EQ(plain->ota->project_name, "plug");
  EXPECT_EQ(plain->model->config().info.fw_version, "1.0.0");

  auto off = parse_yaml_model(std::string(kSwitchDevice) + "ota: {mode: \"off\"}\n", "K3", {});
  ASSERT_TRUE(off.has_value());
  EXPECT_FALSE(off->ota.has_value());

  for (const auto& [fail, fault] : {std::pair{"reject", agent::OtaFault::reject},
                                    std::pair{"download", agent::OtaFault::download},
                                    std::pair{"none", agent::OtaFault::none}}) {
    auto f = parse_yaml_model(std::string(kSwitchDevice) + "ota: {fail: " + fail + "}\n", "K4", {});
    ASSERT_TRUE(f.has_value()) << fail;
    EXPECT_EQ(f->ota->fault, fault) << fail;
  }
}

TEST(VirtualNodeOta, BadKnobsAreRefusedNamingTheKey) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"ota: 3", "ota: expected a map"},
      {"ota: {mode: mqtt}", "ota.mode: expected topics, params or off"},
      {"ota: {chip: esp99}", "ota.chip: unknown chip \"esp99\""},
      {"ota: {fail: sometimes}", "ota.fail: expected none, checksum, reject or download"},
      {"ota: {secure_version: -1}", "ota.secure_version: expected an integer"},
      {"ota: {reboot_delay_s: -2}", "ota.reboot_delay_s: expected seconds 0..3600"},
      {"ota: {colour: red}", "ota.colour: unknown key"},
      {"ota: {fw_version: 0123456789012345678901234567890123}", "ota.fw_version: at most 31"},
  };
  for (const auto& [yaml, expected] : cases) {
    auto v = parse_yaml_model(std::string(kSwitchDevice) + std::string(yaml) + "\n", "X", {});
    ASSERT_FALSE(v.has_value()) << yaml;
    EXPECT_NE(v.error().context.find(expected), std::string::npos)
        << yaml << "\n  gave: " << v.error().context;
  }
}

TEST(YamlModel, UnknownModelNameSaysWhatExists) {
  auto v = make_virtual_node("toaster", "X", {});
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, errc::not_found);
  EXPECT_NE(v.error().context.find("light, switch, fan"), std::string::npos);
}

TEST(YamlModel, WifiNetworksForProvisioning) {
  auto builtin = make_virtual_node("light", "W0", {});
  ASSERT_TRUE(builtin.has_value());
  EXPECT_EQ(builtin->wifi_networks, agent::default_wifi_networks());

  auto v =
      parse_yaml_model(std::string(kSwitchDevice) +
                           "wifi:\n  networks:\n"
                           "    - {ssid: home, passphrase: secret-pass, rssi: -40, channel: 11,"
                           " auth: wpa3_psk}\n"
                           "    - {ssid: guest}\n",
                       "W1", {});
  ASSERT_TRUE(v.has_value()) << v.error().context;
  ASSERT_EQ(v->wifi_networks.size(), 2U);
  EXPECT_EQ(v->wifi_networks[0].ssid, "home");
  EXPECT_EQ(v->wifi_networks[0].passphrase, "secret-pass");
  EXPECT_EQ(v->wifi_networks[0].rssi, -40);
  EXPECT_EQ(v->wifi_networks[0].channel, 11U);
  EXPECT_EQ(v->wifi_networks[0].auth, protocomm::WifiAuthMode::wpa3_psk);
  EXPECT_EQ(v->wifi_networks[1].auth, protocomm::WifiAuthMode::open);

  for (const auto& [yaml, place] : std::vector<std::pair<std::string, std::string>>{
           {"wifi: {networks: [{passphrase: x}]}\n", "wifi.networks[0].ssid"},
           {"wifi: {networks: [{ssid: a, auth: wpa9}]}\n", "wifi.networks[0].auth"},
           {"wifi: {networks: [{ssid: a, rssi: 5}]}\n", "wifi.networks[0].rssi"},
           {"wifi: {networks: [{ssid: a, colour: red}]}\n", "wifi.networks[0].colour"},
           {"wifi: {networks: []}\n", "wifi.networks"},
           {"wifi: [a]\n", "wifi"}}) {
    auto bad = parse_yaml_model(std::string(kSwitchDevice) + yaml, "W2", {});
    ASSERT_FALSE(bad.has_value()) << yaml;
    EXPECT_EQ(bad.error().context.rfind(place, 0), 0U) << bad.error().context;
  }
}

}  // namespace
}  // namespace stratus::sim
