// Fuzz target `local_ctrl`: the node's local-control and on-network challenge-response
// endpoints (agent::LocalControlEngine, agent::OnNetworkChallengeEngine; spec
// rainmaker-device.md §4.2, §5) under security 0, where outside bytes reach the control
// dispatch and a set document reaches NodeSession::apply_user_set unencrypted.
// Input: one selector byte (endpoint: 0 esp_local_ctrl/version, 1 esp_local_ctrl/session,
// 2 esp_local_ctrl/control, 3 ch_resp of the on-network engine, else an unknown name),
// then the request body.
// Invariants: no crash; an unknown endpoint is not_found; a control answer decodes as a
// LocalCtrlMessage response; the params stay valid JSON of the same devices; a refused
// request changes no param; nothing is published (the session is offline).
#include "protocomm/local_ctrl.hpp"

#include <boost/json/serialize.hpp>
#include <string>

#include "agent/local_control.hpp"
#include "agent/on_network.hpp"
#include "agent/standard.hpp"
#include "core/clock.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace stratus;

std::unique_ptr<agent::NodeModel> light() {
  model::NodeInfo info;
  info.name = "Lamp";
  info.fw_version = "1.0";
  info.type = "Lightbulb";
  auto node = std::make_unique<agent::NodeModel>("7CDFA1B2C3D4", info);
  model::DeviceSpec d;
  d.name = "Light";
  d.type = "esp.device.lightbulb";
  d.params = {agent::standard::name_param(), agent::standard::power_param(),
              agent::standard::brightness_param()};
  (void)node->add_device(d, {{"Name", "Lamp"}, {"Power", false}, {"Brightness", 50}});
  (void)node->add_service(agent::standard::local_control_service(), {{"POP", ""}, {"Type", 0}});
  return node;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const auto body = fuzz::as_text(data + 1, size - 1);
  ManualClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000))};
  auto node = light();
  agent::NodeSession session(*node, clock);
  agent::MqttActions out;
  agent::LocalControlOptions options;
  options.security = protocomm::SecurityVersion::sec0;
  auto engine = agent::LocalControlEngine::create(options);
  FUZZ_CHECK(engine.has_value());
  const auto before = boost::json::serialize(node->params());

  switch (data[0]) {
    case 0:
    case 1:
      (void)(*engine)->handle(data[0] == 0 ? "esp_local_ctrl/version" : "esp_local_ctrl/session",
                              body, session, out);
      break;
    case 2: {
      auto answer = (*engine)->handle("esp_local_ctrl/control", body, session, out);
      if (answer) {
        FUZZ_CHECK(protocomm::decode_local_ctrl_response(*answer).has_value());
      } else {
        FUZZ_CHECK(boost::json::serialize(node->params()) == before);
      }
      break;
    }
    case 3: {
      agent::OnNetworkOptions on_network;
      on_network.node_id = "7CDFA1B2C3D4";
      on_network.security = protocomm::SecurityVersion::sec0;
      on_network.sign = [](std::string_view) -> Result<std::string> {
        return std::string("signature");
      };
      auto responder = agent::OnNetworkChallengeEngine::create(std::move(on_network));
      FUZZ_CHECK(responder.has_value());
      (void)(*responder)->handle("ch_resp", body);
      break;
    }
    default:
      FUZZ_CHECK((*engine)->handle("prov-config", body, session, out).error().code ==
                 errc::not_found);
      break;
  }
  FUZZ_CHECK(node->params().size() == 2U);
  FUZZ_CHECK(out.empty());
  return 0;
}
