// Proves a running virtual node serves local control and on-network challenge-response over
// real HTTP as the firmware does (spec rainmaker-device.md §1, §5; esp-rainmaker
// esp_rmaker_local_ctrl.c, esp_rmaker_on_network_chal_resp.c), with the broker
// unreachable: the CLI's sequence (version, a sec1 or sec2 session kept by its cookie, the
// property count, `config` and `params` one index at a time, a set of `params`) reads the
// node's config with its `Local Control` service and PoP and changes a param that the node
// applies; a wrong PoP closes the connection unanswered; the generated PoP persists; the
// on-network service signs a challenge that verifies with the node certificate and stops
// 2 s after the client disables it; a request the node does not answer in time closes the
// connection. How: `sim::NodeRunner` with certificates from a test CA and MQTT pointed at a
// closed port, a blocking HTTP client on 127.0.0.1 and protocomm's client engines.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <fstream>
#include <mutex>

#include "pki/authority.hpp"
#include "pki/key.hpp"
#include "pki/signature.hpp"
#include "protocomm/capabilities.hpp"
#include "protocomm/local_ctrl.hpp"
#include "protocomm/mapping.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"
#include "sim/local_control_server.hpp"
#include "sim/node_runner.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace stratus::sim {
namespace {

using namespace std::chrono_literals;
using protocomm::SecurityVersion;
using test::HttpConnection;
namespace json = boost::json;

constexpr std::string_view kNodeId = "A1B2C3D4E5F6";

// A protocomm client over one HTTP connection, keeping the session cookie as the CLI does.
class Client {
 public:
  Client(std::uint16_t port, std::unique_ptr<protocomm::ClientSecurity> security)
      : http_(std::make_unique<HttpConnection>("127.0.0.1", port)),
        security_(std::move(security)) {}

  test::HttpReply post(std::string_view endpoint, std::string_view body) {
    test::HeaderList headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                                {"Accept", "text/plain"}};
    if (!cookie_.empty()) {
      headers.emplace_back("Cookie", cookie_);
    }
    auto reply = http_->request("POST", "/" + std::string(endpoint), body, headers);
    if (auto set = reply.header("Set-Cookie")) {
      cookie_ = *set;
    }
    return reply;
  }

  // The handshake; false when the node closed the connection (wrong PoP).
  bool handshake() {
    auto request = security_->start();
    EXPECT_TRUE(request.has_value());
    std::optional<std::string> next = *request;
    while (next) {
      test::HttpReply reply;
      try {
        reply = post(protocomm::kEndpointLocalCtrlSession, *next);
      } catch (const std::runtime_error&) {
        return false;
      }
      EXPECT_EQ(reply.status, 200);
      auto step = security_->on_response(reply.body);
      if (!step) {
        return false;
      }
      next = *step;
    }
    return true;
  }

  std::string call(std::string_view endpoint, std::string_view plain) {
    auto sealed = security_->encrypt(plain);
    EXPECT_TRUE(sealed.has_value());
    const auto reply = post(endpoint, sealed.value_or(""));
    EXPECT_EQ(reply.status, 200);
    auto opened = security_->decrypt(reply.body);
    EXPECT_TRUE(opened.has_value());
    return opened.value_or("");
  }

  protocomm::LocalCtrlResponse control(const protocomm::LocalCtrlRequest& request) {
    auto answer = protocomm::decode_local_ctrl_response(
        call(protocomm::kEndpointLocalCtrlControl, protocomm::encode_local_ctrl_request(request)));
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(protocomm::PropertyCount{});
  }

  HttpConnection& http() { return *http_; }

 private:
  std::unique_ptr<HttpConnection> http_;
  std::unique_ptr<protocomm::ClientSecurity> security_;
  std::string cookie_;
};

class LocalControlHttpTest : public ::testing::Test {
 protected:
  SystemClock clock;
  test::TempDir dir;
  std::shared_ptr<pki::PrivateKey> key =
      std::make_shared<pki::PrivateKey>(*pki::PrivateKey::generate(pki::KeyType::ecdsa_p256));
  std::optional<pki::Certificate> cert;
  std::mutex mutex;
  std::vector<std::string> lines;

  void SetUp() override {
    auto ca = pki::CertificateAuthority::create("test CA", std::chrono::days(1), clock);
    ASSERT_TRUE(ca.has_value());
    auto issued = ca->issue_device_certificate(*key, kNodeId, clock.now() - 1h, clock.now() + 24h);
    ASSERT_TRUE(issued.has_value());
    cert = *issued;
    write("ca.crt", ca->certificate().to_pem());
    write("node.crt", cert->to_pem());
    write("node.key", key->to_pem());
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir.path() / name, std::ios::binary) << text;
  }

  // A node whose broker is unreachable (nothing listens on 127.0.0.1:1).
  RunOptions options() {
    RunOptions o;
    o.node_id = std::string(kNodeId);
    o.mqtt_host = "127.0.0.1";
    o.mqtt_port = 1;
    o.ca_file = (dir.path() / "ca.crt").string();
    o.cert_file = (dir.path() / "node.crt").string();
    o.key_file = (dir.path() / "node.key").string();
    o.model = "light";
    o.sensor_period = 1h;
    return o;
  }

  std::unique_ptr<NodeRunner> start(const RunOptions& o) {
    auto runner = NodeRunner::start(o, [this](const std::string& line) {
      std::lock_guard lock(mutex);
      lines.push_back(line);
    });
    EXPECT_TRUE(runner.has_value()) << runner.error().context;
    return runner ? std::move(*runner) : nullptr;
  }

  bool printed(std::string_view text) {
    std::lock_guard lock(mutex);
    return std::any_of(lines.begin(), lines.end(),
                       [&](const auto& l) { return l.find(text) != std::string::npos; });
  }

  static std::unique_ptr<protocomm::ClientSecurity> client_security(SecurityVersion sec,
                                                                    std::string pop) {
    if (sec == SecurityVersion::sec2) {
      return std::make_unique<protocomm::Sec2Client>(std::string(protocomm::kSec2Username),
                                                     std::move(pop));
    }
    return std::make_unique<protocomm::Sec1Client>(std::move(pop));
  }
};

class LocalCtrlSecurity : public LocalControlHttpTest,
                          public ::testing::WithParamInterface<SecurityVersion> {};

TEST_P(LocalCtrlSecurity, TheCliSequenceReadsAndSetsWithTheBrokerUnreachable) {
  auto o = options();
  LocalControlRunOptions local;
  local.port = 0;
  local.security = GetParam();
  local.pop = GetParam() == SecurityVersion::sec2 ? "sec2-pop" : "";  // sec1: generated
  local.pop_file = (dir.path() / "local_ctrl_pop").string();
  o.local_control = local;
  auto runner = start(o);
  ASSERT_NE(runner, nullptr);
  const auto port = runner->local_control_port();
  ASSERT_NE(port, 0);
  const auto pop = runner->local_control_pop();
  if (GetParam() == SecurityVersion::sec1) {
    ASSERT_EQ(pop.size(), 8U);
    std::ifstream in(local.pop_file);
    std::string stored;
    std::getline(in, stored);
    EXPECT_EQ(stored, pop) << "the generated PoP is kept, as in NVS";
  }

  Client cli(port, client_security(GetParam(), pop));
  const auto version = cli.post(protocomm::kEndpointLocalCtrlVersion, "---");
  ASSERT_EQ(version.status, 200);
  auto parsed = protocomm::parse_local_ctrl_version(version.body);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->sec_ver, static_cast<int>(GetParam()));
  ASSERT_TRUE(cli.handshake());

  const auto count = std::get<protocomm::PropertyCount>(cli.control(protocomm::GetPropertyCount{}));
  EXPECT_EQ(count.count, 2U);
  const auto config =
      std::get<protocomm::PropertyValues>(cli.control(protocomm::GetPropertyValues{{0}}));
  ASSERT_EQ(config.props.size(), 1U);
  EXPECT_EQ(config.props[0].name, "config");
  EXPECT_EQ(config.props[0].flags, 1U);
  const auto node_config = json::parse(config.props[0].value);
  EXPECT_EQ(node_config.at("node_id").as_string(), kNodeId);
  bool has_service = false;
  for (const auto& service : node_config.at("services").as_array()) {
    has_service = has_service || service.at("type").as_string() == "esp.service.local_control";
  }
  EXPECT_TRUE(has_service);

  const auto set = std::get<protocomm::SetPropertyResult>(
      cli.control(protocomm::SetPropertyValues{{{1, R"({"Light":{"Power":true,"Hue":999}})"}}}));
  EXPECT_EQ(set.status, protocomm::Status::success);
  const auto params =
      std::get<protocomm::PropertyValues>(cli.control(protocomm::GetPropertyValues{{1}}));
  ASSERT_EQ(params.props.size(), 1U);
  const auto values = json::parse(params.props[0].value);
  EXPECT_EQ(values.at("Light").at("Power"), true);
  EXPECT_EQ(values.at("Light").at("Hue"), 180) << "refused as a cloud set refuses it";
  EXPECT_EQ(values.at("Local Control").at("POP"), json::value(pop));
  EXPECT_EQ(values.at("Local Control").at("Type"), static_cast<int>(GetParam()));
  EXPECT_TRUE(printed("set by user: Light.Power = true"));
  ConsoleCommand status;
  status.kind = ConsoleCommand::Kind::status;
  const auto report = runner->execute(status);
  EXPECT_NE(report.find("offline"), std::string::npos) << report;
  EXPECT_NE(report.find("local control on port " + std::to_string(port)), std::string::npos);
  EXPECT_NE(report.find("local sets 1"), std::string::npos) << report;

  // A wrong PoP: the connection closes without an answer.
  Client wrong(port, client_security(GetParam(), "wrong-pop"));
  EXPECT_FALSE(wrong.handshake());
  runner->stop();
}

INSTANTIATE_TEST_SUITE_P(Security, LocalCtrlSecurity,
                         ::testing::Values(SecurityVersion::sec1, SecurityVersion::sec2));

TEST_F(LocalControlHttpTest, OnNetworkChallengeResponseSignsThenStopsWhenDisabled) {
  auto o = options();
  OnNetworkRunOptions on_network;
  on_network.port = 0;  // security 1 without PoP: the firmware's default config
  o.on_network = on_network;
  auto runner = start(o);
  ASSERT_NE(runner, nullptr);
  const auto port = runner->on_network_port();
  ASSERT_NE(port, 0);

  Client cli(port, std::make_unique<protocomm::Sec1Client>(""));
  const auto version = cli.post(protocomm::kEndpointLocalCtrlVersion, "---");
  ASSERT_EQ(version.status, 200);
  EXPECT_EQ(version.body, R"({"on_network":{"ver":"v1.0","cap":["ch_resp"]}})");
  ASSERT_TRUE(cli.handshake());
  const std::string challenge = "0123456789abcdef0123456789abcdef";
  auto answer = protocomm::decode_ch_resp_response(
      cli.call(protocomm::kEndpointChallengeResponse,
               protocomm::encode_ch_resp_request(protocomm::ChallengeRequest{challenge})));
  ASSERT_TRUE(answer.has_value());
  const auto& signed_answer = std::get<protocomm::ChallengeResponse>(*answer);
  EXPECT_EQ(signed_answer.node_id, kNodeId);
  EXPECT_TRUE(pki::verify_signature(*cert, challenge, signed_answer.signature).has_value());
  EXPECT_TRUE(printed("on-network: challenge signed"));

  auto disabled = protocomm::decode_ch_resp_response(
      cli.call(protocomm::kEndpointChallengeResponse,
               protocomm::encode_ch_resp_request(protocomm::DisableChallengeResponseRequest{})));
  ASSERT_TRUE(disabled.has_value());
  EXPECT_TRUE(test::wait_until([&] { return runner->on_network_port() == 0; }, 4s));
  runner->stop();
}

TEST_F(LocalControlHttpTest, ANodeThatDoesNotAnswerInTimeClosesTheConnection) {
  agent::LocalControlOptions lc;
  lc.security = SecurityVersion::sec0;
  auto engine = agent::LocalControlEngine::create(lc);
  ASSERT_TRUE(engine.has_value());
  // A session thread that holds the task and never runs it: the request fails unanswered
  // after the answer timeout.
  auto held = std::make_shared<
      std::vector<std::function<void(agent::NodeSession&, agent::MqttActions&)>>>();
  auto server = start_local_control_server(
      std::move(*engine), [held](auto task) { held->push_back(std::move(task)); },
      ProtocommServerOptions{}, 200ms);
  ASSERT_TRUE(server.has_value()) << server.error().context;
  HttpConnection http("127.0.0.1", (*server)->port());
  using namespace std::string_literals;
  http.send_raw(
      "POST /esp_local_ctrl/control HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
      "\x08\x00"s);
  EXPECT_TRUE(http.closed_by_peer_within(2s));
  EXPECT_FALSE(held->empty());
  // A port in use is an error.
  ProtocommServerOptions taken;
  taken.port = (*server)->port();
  auto again = agent::LocalControlEngine::create(lc);
  EXPECT_EQ(start_local_control_server(
                std::move(*again), [](auto) {}, taken)
                .error()
                .code,
            errc::unavailable);
}

TEST_F(LocalControlHttpTest, AGivenPopIsPublishedAndStopEndsTheService) {
  auto o = options();
  o.model = "light";
  LocalControlRunOptions local;
  local.port = 0;
  local.pop = "abc";
  o.local_control = local;
  auto runner = start(o);
  ASSERT_NE(runner, nullptr);
  EXPECT_EQ(runner->local_control_pop(), "abc");
  runner->stop();
  EXPECT_EQ(runner->local_control_port(), 0);
}

}  // namespace
}  // namespace stratus::sim
