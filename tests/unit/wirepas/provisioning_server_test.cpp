// The provisioning server's sessions (issue 22; spec wirepas.md §5.3) with an injected
// clock: success (secured and unsecured), an unknown UID (NACK NOT_AUTHORIZED), a wrong
// method (NACK METHOD_NOT_SUPPORTED), a NACK from the node, no DATA_ACK within the timeout,
// a failed send retried once then given up, a repeated START answered with the next
// counter, packets outside a session, and replies through the latest gateway.
#include "wirepas/provisioning_server.hpp"

#include <gtest/gtest.h>

namespace stratus::wirepas::provisioning {
namespace {

using namespace std::chrono_literals;
using Clock = ProvisioningServer::Clock;
const Clock::time_point t0 = Clock::time_point{} + 1h;

std::string bytes(int first, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out.push_back(static_cast<char>(first + i));
  return out;
}

class ProvisioningServerTest : public ::testing::Test {
 protected:
  ProvisioningServerTest() {
    NodeConfig secured;
    secured.uid = "secured-1";
    secured.method = 1;
    secured.factory_key = *FactoryKey::split(bytes(0x30, 32));
    secured.content.network_address = 0x123456;
    secured.content.network_channel = 5;
    secured.content.node_address = 4242;
    NodeConfig plain = secured;
    plain.uid = "plain-1";
    plain.method = 0;
    plain.factory_key.reset();
    configs_ = {{secured.uid, secured}, {plain.uid, plain}};
  }

  ProvisioningServer server(ServerOptions options = {}) {
    return ProvisioningServer(
        [this](std::string_view uid) -> const NodeConfig* {
          const auto it = configs_.find(std::string(uid));
          return it == configs_.end() ? nullptr : &it->second;
        },
        options, 7);
  }

  static Start start_frame(const std::string& uid, std::uint8_t method, std::uint8_t session = 9) {
    Start s{{0x00ABCDEF, session}, method, {}, uid};
    for (std::size_t i = 0; i < s.iv.size(); ++i)
      s.iv[i] = static_cast<std::uint8_t>(0xC0 + i);
    return s;
  }

  static PacketOrigin origin(std::string gw = "gw-a", std::int64_t tx = 1000) {
    return PacketOrigin{std::move(gw), "sink0", 900001, tx};
  }

  static std::string frame(const Frame& f) { return encode(f); }

  std::map<std::string, NodeConfig> configs_;
};

TEST_F(ProvisioningServerTest, ASecuredNodeGetsItsSealedDataAndAcks) {
  auto s = server();
  const auto start = start_frame("secured-1", 1);
  auto a = s.on_packet(origin(), frame(Frame{start}), t0);
  ASSERT_EQ(a.sends.size(), 1u);
  EXPECT_TRUE(a.finished.empty());
  const Send& send = a.sends[0];
  EXPECT_EQ(send.gw_id, "gw-a");
  EXPECT_EQ(send.sink_id, "sink0");
  EXPECT_EQ(send.destination, 900001u);
  const auto data = std::get<Data>(*decode_frame(send.payload));
  EXPECT_EQ(data.header, start.header);
  EXPECT_EQ(data.key_index, 1);
  const auto plain = open(*configs_["secured-1"].factory_key, start.iv, data);
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_EQ(*decode_content(*plain), configs_["secured-1"].content);

  EXPECT_TRUE(s.on_send_result(send.req_id, true, t0 + 1s).sends.empty());
  EXPECT_EQ(s.next_wakeup(), t0 + 1s + 180s);
  a = s.on_packet(origin(), frame(Frame{DataAck{start.header}}), t0 + 2s);
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].status, FinalStatus::success);
  EXPECT_EQ(a.finished[0].uid, "secured-1");
  EXPECT_EQ(s.sessions(), 0u);
  EXPECT_EQ(to_string(FinalStatus::success), "SUCCESS");
}

TEST_F(ProvisioningServerTest, AnUnsecuredNodeGetsPlainCbor) {
  auto s = server();
  const auto start = start_frame("plain-1", 0);
  auto a = s.on_packet(origin(), frame(Frame{start}), t0);
  ASSERT_EQ(a.sends.size(), 1u);
  const auto data = std::get<Data>(*decode_frame(a.sends[0].payload));
  EXPECT_EQ(data.key_index, 0);
  EXPECT_EQ(*decode_content(data.body), configs_["plain-1"].content);
}

TEST_F(ProvisioningServerTest, UnknownUidsAndWrongMethodsAreRefused) {
  auto s = server();
  auto a = s.on_packet(origin(), frame(Frame{start_frame("stranger", 1)}), t0);
  ASSERT_EQ(a.sends.size(), 1u);
  auto nack = std::get<Nack>(*decode_frame(a.sends[0].payload));
  EXPECT_EQ(nack.reason, static_cast<std::uint8_t>(NackReason::not_authorized));
  a = s.on_send_result(a.sends[0].req_id, true, t0);
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].status, FinalStatus::error_not_authorized);

  a = s.on_packet(origin(), frame(Frame{start_frame("secured-1", 0, 10)}), t0);
  ASSERT_EQ(a.sends.size(), 1u);
  nack = std::get<Nack>(*decode_frame(a.sends[0].payload));
  EXPECT_EQ(nack.reason, static_cast<std::uint8_t>(NackReason::method_not_supported));
  a = s.on_send_result(a.sends[0].req_id, false, t0);  // retried once
  ASSERT_EQ(a.sends.size(), 1u);
  a = s.on_send_result(a.sends[0].req_id, false, t0);
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].status, FinalStatus::error_sending_nack);
}

TEST_F(ProvisioningServerTest, ANackOrSilenceEndsTheSession) {
  auto s = server();
  const auto start = start_frame("secured-1", 1);
  auto a = s.on_packet(origin(), frame(Frame{start}), t0);
  s.on_send_result(a.sends[0].req_id, true, t0);
  a = s.on_packet(origin(), frame(Frame{Nack{start.header, 2}}), t0 + 1s);
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].status, FinalStatus::error_nack_received);

  a = s.on_packet(origin(), frame(Frame{start}), t0 + 2s);
  s.on_send_result(a.sends[0].req_id, true, t0 + 2s);
  EXPECT_TRUE(s.tick(t0 + 2s + 179s).finished.empty());
  a = s.tick(t0 + 2s + 180s);
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].status, FinalStatus::error_no_response);
  EXPECT_FALSE(s.next_wakeup());
}

TEST_F(ProvisioningServerTest, AFailedSendIsRetriedOnceThenGivenUp) {
  auto s = server();
  auto a = s.on_packet(origin(), frame(Frame{start_frame("secured-1", 1)}), t0);
  const std::string first = a.sends[0].payload;
  a = s.on_send_result(a.sends[0].req_id, false, t0);
  ASSERT_EQ(a.sends.size(), 1u);
  EXPECT_EQ(a.sends[0].payload, first) << "the same DATA again";
  EXPECT_TRUE(s.on_send_result(a.sends[0].req_id, true, t0).finished.empty()) << "then waits";

  a = s.on_packet(origin(), frame(Frame{start_frame("plain-1", 0, 11)}), t0);
  a = s.on_send_result(a.sends[0].req_id, false, t0);
  a = s.on_send_result(a.sends[0].req_id, false, t0);
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].status, FinalStatus::error_sending_data);
  // A gateway that never answers counts as a failed send at the deadline.
  a = s.on_packet(origin(), frame(Frame{start_frame("plain-1", 0, 12)}), t0);
  a = s.tick(t0 + 180s);
  EXPECT_EQ(a.sends.size(), 1u) << "the retry";
  EXPECT_TRUE(s.on_send_result(12345, true, t0).sends.empty()) << "unknown req_id";
}

TEST_F(ProvisioningServerTest, ARepeatedStartGetsTheNextCounterThroughTheLatestGateway) {
  auto s = server();
  const auto start = start_frame("secured-1", 1);
  auto a = s.on_packet(origin("gw-a", 1000), frame(Frame{start}), t0);
  const auto d1 = std::get<Data>(*decode_frame(a.sends[0].payload));
  s.on_send_result(a.sends[0].req_id, true, t0);
  a = s.on_packet(origin("gw-b", 2000), frame(Frame{start}), t0 + 10s);
  ASSERT_EQ(a.sends.size(), 1u);
  EXPECT_EQ(a.sends[0].gw_id, "gw-b");
  const auto d2 = std::get<Data>(*decode_frame(a.sends[0].payload));
  EXPECT_EQ(d2.counter, static_cast<std::uint16_t>(d1.counter + 1));
  EXPECT_NE(d2.body, d1.body);
  EXPECT_TRUE(open(*configs_["secured-1"].factory_key, start.iv, d2));
  // An older packet (by transmission time) does not move the route back.
  s.on_send_result(a.sends[0].req_id, true, t0 + 10s);
  a = s.on_packet(origin("gw-a", 1500), frame(Frame{start}), t0 + 11s);
  EXPECT_EQ(a.sends[0].gw_id, "gw-b");
}

TEST_F(ProvisioningServerTest, PacketsOutsideASessionAndGarbage) {
  auto s = server();
  auto a = s.on_packet(origin(), frame(Frame{DataAck{{1, 1}}}), t0);
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].status, FinalStatus::error_not_start);
  EXPECT_TRUE(s.on_packet(origin(), "\x01\x02", t0).finished.empty());
  EXPECT_TRUE(s.on_packet(origin(), "", t0).sends.empty());
  const auto start = start_frame("secured-1", 1);
  a = s.on_packet(origin(), frame(Frame{start}), t0);
  a = s.on_packet(origin(), frame(Frame{Data{start.header, 0, 1, "x"}}), t0);
  ASSERT_EQ(a.finished.size(), 1u);
  EXPECT_EQ(a.finished[0].status, FinalStatus::error_invalid_state);
  EXPECT_EQ(s.sessions(), 0u);
}

}  // namespace
}  // namespace stratus::wirepas::provisioning
