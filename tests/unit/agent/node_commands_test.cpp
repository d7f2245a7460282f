// Proves the node's command-response side behaves as the firmware's cmd_resp.c: requests
// are checked (request id, role, command → status 2; unknown command → 4; role outside the
// handler's access mask → 3), handlers answer with status and data or later, command 1
// applies params and answers with them without re-reporting, and malformed TLV is dropped.
// How: TLV requests fed to a NodeSession, responses decoded from its actions.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/node_session.hpp"
#include "agent/standard.hpp"
#include "proto/cmd_resp.hpp"

namespace stratus::agent {
namespace {

namespace json = boost::json;

class NodeCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::NodeInfo info;
    info.name = "Lamp";
    model::DeviceSpec light;
    light.name = "Light";
    light.params = {standard::power_param(), standard::brightness_param()};
    ASSERT_TRUE(node.add_device(light, {{"Power", false}, {"Brightness", 10}}).has_value());
    ASSERT_TRUE(node.register_command(0x1001, primary_access | admin_access,
                                      [this](const CommandRequest& r) {
                                        last_sub_role = r.sub_role;
                                        return CommandReply::ok("echo:" + std::string(r.data));
                                      })
                    .has_value());
    ASSERT_TRUE(node.register_command(0x1002, any_user_access,
                                      [this](const CommandRequest& r) {
                                        deferred_id = std::string(r.request_id);
                                        return CommandReply::later();
                                      })
                    .has_value());
    session.on_connected(out);
    out.clear();
  }

  // Sends a request and returns the decoded responses published on from-node.
  std::vector<proto::CmdResponse> send(std::string_view id, std::uint8_t role, std::uint16_t cmd,
                                       std::string data = {}) {
    proto::CmdRequest r;
    r.request_id = id;
    r.role = role;
    r.command = cmd;
    r.timestamp = 1'700'000'000;
    r.data = std::move(data);
    session.on_message("node/N1/to-node", proto::encode_request(r), out);
    return take_responses();
  }

  std::vector<proto::CmdResponse> take_responses() {
    std::vector<proto::CmdResponse> responses;
    for (const auto& a : out) {
      if (a.kind == MqttAction::Kind::publish && a.topic == "node/N1/from-node") {
        auto decoded = proto::decode_response(a.payload);
        EXPECT_TRUE(decoded.has_value());
        responses.push_back(*decoded);
      }
    }
    return responses;
  }

  ManualClock clock{std::chrono::system_clock::time_point{}};
  NodeModel node{"N1", model::NodeInfo{}};
  NodeSession session{node, clock};
  MqttActions out;
  int last_sub_role = -1;
  std::string deferred_id;
};

TEST_F(NodeCommandsTest, ConfigAdvertisesCmdResp) {
  EXPECT_NE(node.config_json().find(R"("attributes":[{"name":"cmd-resp","value":"1"}])"),
            std::string::npos);
}

TEST_F(NodeCommandsTest, HandlerAnswersWithStatusAndData) {
  const auto r = send("req-1", proto::kRolePrimary | proto::sub_role_bits(3), 0x1001, "hi");
  ASSERT_EQ(r.size(), 1U);
  EXPECT_EQ(r[0].request_id, "req-1");
  EXPECT_EQ(r[0].status, 0);
  EXPECT_EQ(r[0].command, 0x1001);
  EXPECT_EQ(r[0].data, "echo:hi");
  EXPECT_EQ(last_sub_role, 3);
}

TEST_F(NodeCommandsTest, StatusCodesForBadRequests) {
  using proto::CmdStatus;
  const std::vector<std::tuple<std::string, std::uint8_t, std::uint16_t, CmdStatus>> cases = {
      {"", proto::kRolePrimary, 0x1001, CmdStatus::invalid},
      {"r", 0, 0x1001, CmdStatus::invalid},
      {"r", proto::kRolePrimary, 0, CmdStatus::invalid},
      {std::string(32, 'x'), proto::kRolePrimary, 0x1001, CmdStatus::invalid},
      {"r", proto::kRolePrimary, 0x1FFF, CmdStatus::not_found},
      {"r", proto::kRoleSecondary | proto::sub_role_bits(1), 0x1001, CmdStatus::auth_failed},
      {"r", proto::kRoleNode, proto::kCmdSetParams, CmdStatus::auth_failed},
  };
  for (const auto& [id, role, cmd, status] : cases) {
    const auto r = send(id, role, cmd);
    ASSERT_EQ(r.size(), 1U) << id << " " << int(role) << " " << cmd;
    EXPECT_EQ(r[0].status, static_cast<std::uint8_t>(status))
        << id << " " << int(role) << " " << cmd;
    out.clear();
  }
}

TEST_F(NodeCommandsTest, SetParamsCommandAppliesAndAnswersWithoutReReporting) {
  const auto r = send("p1", proto::kRoleSecondary, proto::kCmdSetParams,
                      R"({"params":{"Light":{"Power":true,"Brightness":500}}})");
  ASSERT_EQ(r.size(), 1U);
  EXPECT_EQ(r[0].status, 0);
  EXPECT_EQ(r[0].data, R"({"status":"success","params":{"Light":{"Power":true}}})");
  EXPECT_EQ(*node.value("Light", "Power"), true);
  for (const auto& a : out) {
    EXPECT_EQ(a.topic.find("params/local"), std::string::npos) << "not re-reported: " << a.topic;
  }
  out.clear();
  const auto bad = send("p2", proto::kRolePrimary, proto::kCmdSetParams, "not json");
  ASSERT_EQ(bad.size(), 1U);
  EXPECT_EQ(bad[0].status, static_cast<std::uint8_t>(proto::CmdStatus::invalid));
  out.clear();
  const auto none = send("p3", proto::kRolePrimary, proto::kCmdSetParams,
                         R"({"params":{"Light":{"Brightness":500}}})");
  EXPECT_EQ(none[0].data, R"({"status":"fail"})");
}

TEST_F(NodeCommandsTest, DeferredAnswerIsSentLater) {
  EXPECT_TRUE(send("d1", proto::kRoleSecondary, 0x1002).empty()) << "no answer yet";
  EXPECT_EQ(deferred_id, "d1");
  ASSERT_TRUE(session.respond(deferred_id, 0x1002, 0, R"({"done":true})", out));
  const auto r = take_responses();
  ASSERT_EQ(r.size(), 1U);
  EXPECT_EQ(r[0].request_id, "d1");
  EXPECT_EQ(r[0].data, R"({"done":true})");
  out.clear();
  session.on_disconnected();
  EXPECT_FALSE(session.respond("d2", 0x1002, 0, {}, out)) << "offline: the cloud re-sends";
}

TEST_F(NodeCommandsTest, MalformedTlvIsDroppedAndCounted) {
  const auto before = session.stats().rejected_messages;
  session.on_message("node/N1/to-node", std::string("\x01\x09short", 7), out);
  session.on_message("node/N1/to-node", std::string(80000, '\x06'), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(session.stats().rejected_messages, before + 2);
}

TEST_F(NodeCommandsTest, RegistrationRules) {
  EXPECT_EQ(node.register_command(0x1001, primary_access,
                                  [](const CommandRequest&) { return CommandReply::ok(); })
                .error()
                .code,
            errc::already_exists);
  EXPECT_EQ(node.register_command(0, primary_access,
                                  [](const CommandRequest&) { return CommandReply::ok(); })
                .error()
                .code,
            errc::invalid_argument);
  EXPECT_EQ(node.register_command(proto::kCmdSetParams, primary_access,
                                  [](const CommandRequest&) { return CommandReply::ok(); })
                .error()
                .code,
            errc::already_exists)
      << "command 1 is built in";
  EXPECT_EQ(
      node.register_command(0x1003, 0, [](const CommandRequest&) { return CommandReply::ok(); })
          .error()
          .code,
      errc::invalid_argument);
}

}  // namespace
}  // namespace stratus::agent
