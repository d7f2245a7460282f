// A RainMaker light on a Linux host with the Stratus agent SDK: the smallest complete node.
// It publishes its config, boots like firmware, applies what users set (printing it) and
// reports a local change every 10 seconds.
//
//   stratus-node claim --user_name you@example.com --outdir creds
//   ./agent_light_example <node_id from creds/node.info> <mqtt_host> <mqtt_port> creds
//
// Build: part of the Stratus build (target agent_light_example).
#include <chrono>
#include <iostream>
#include <thread>

#include "agent/node_agent.hpp"
#include "agent/node_model.hpp"
#include "agent/standard.hpp"

using namespace stratus;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: " << argv[0] << " <node_id> <mqtt_host> <mqtt_port> <creds_dir>\n";
    return 2;
  }
  const std::string node_id = argv[1];
  const std::string dir = argv[4];

  // 1. The data model: what the node is, its devices and params, initial values.
  model::NodeInfo info;
  info.name = "Desk lamp";
  info.fw_version = "1.0";
  info.type = "Lightbulb";
  agent::NodeModel node(node_id, info);

  model::DeviceSpec light;
  light.name = "Light";
  light.type = "esp.device.lightbulb";
  light.primary = "Power";
  light.params = {agent::standard::name_param(), agent::standard::power_param(),
                  agent::standard::brightness_param()};
  auto added =
      node.add_device(light, {{"Name", "Desk lamp"}, {"Power", false}, {"Brightness", 60}},
                      // 2. What happens when a user sets a param: drive the hardware, or refuse.
                      [](const agent::ParamWrite& write) -> Result<void> {
                        std::cout << "user set " << write.device << "." << write.param << "\n";
                        return {};
                      });
  if (!added) {
    std::cerr << added.error().context << "\n";
    return 1;
  }

  // 3. The driver: mutual TLS to the broker, the firmware's boot order, reconnects.
  const auto port = static_cast<std::uint16_t>(std::stoi(argv[3]));
  agent::AgentOptions options;
  options.mqtt = agent::firmware_mqtt_options(
      argv[2], port, {dir + "/ca.crt", dir + "/node.crt", dir + "/node.key"});
  SystemClock clock;
  agent::NodeAgent agent(node, clock, options);
  agent.on_connection([](bool connected, const std::string& reason) {
    std::cout << (connected ? "connected" : "disconnected: " + reason) << "\n";
  });
  if (auto ok = agent.start(); !ok) {
    std::cerr << ok.error().context << "\n";
    return 1;
  }

  // 4. Local changes (a button press, say) go through the agent's thread and are reported.
  agent.every(std::chrono::seconds(10), [](agent::NodeSession& session, agent::MqttActions& out) {
    const auto* power = session.model().value("Light", "Power");
    (void)session.model().update("Light", "Power", !(power != nullptr && power->as_bool()));
    session.report(out);
  });
  std::this_thread::sleep_for(std::chrono::minutes(10));
  agent.stop();
  return 0;
}
