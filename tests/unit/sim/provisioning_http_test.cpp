// Proves a virtual node can be provisioned over the SoftAP HTTP transport as the RainMaker
// CLI does it (spec rainmaker-device.md §1, §3.5, §4): proto-ver, a sec1 or sec2 session
// kept by its cookie, ch_resp (the signature verifies with the node certificate),
// cloud_user_assoc, scan, set/apply config and the status until connected, after which
// the transport stops; a wrong PoP, bad bodies and unknown endpoints end as the firmware's
// do. How: a ProvisioningServer on 127.0.0.1 port 0, a blocking HTTP client, protocomm's
// client engines; waits poll with deadlines.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "pki/authority.hpp"
#include "pki/key.hpp"
#include "pki/signature.hpp"
#include "protocomm/capabilities.hpp"
#include "protocomm/mapping.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"
#include "sim/provisioning_server.hpp"
#include "support/http_client.hpp"

namespace stratus::sim {
namespace {

using namespace std::chrono_literals;
using protocomm::SecurityVersion;
using test::HttpConnection;

constexpr std::string_view kNodeId = "A1B2C3D4E5F6";
constexpr std::string_view kPop = "e5f6a7b8";

struct Events {
  std::mutex mutex;
  std::vector<agent::ProvisioningEvent> seen;
  void add(const agent::ProvisioningEvent& e) {
    std::lock_guard lock(mutex);
    seen.push_back(e);
  }
  bool has(agent::ProvisioningEvent::Kind kind) {
    std::lock_guard lock(mutex);
    return std::any_of(seen.begin(), seen.end(), [&](const auto& e) { return e.kind == kind; });
  }
};

// A protocomm client over one HTTP connection, keeping the session cookie as the CLI does.
class Client {
 public:
  Client(std::uint16_t port, std::unique_ptr<protocomm::ClientSecurity> security)
      : http_(std::make_unique<HttpConnection>("127.0.0.1", port)),
        port_(port),
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

  void handshake() {
    auto request = security_->start();
    ASSERT_TRUE(request.has_value());
    std::optional<std::string> next = *request;
    while (next) {
      const auto reply = post(protocomm::kEndpointSession, *next);
      ASSERT_EQ(reply.status, 200);
      auto step = security_->on_response(reply.body);
      ASSERT_TRUE(step.has_value()) << step.error().context;
      next = *step;
    }
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

  void reconnect() { http_ = std::make_unique<HttpConnection>("127.0.0.1", port_); }
  HttpConnection& http() { return *http_; }
  std::string& cookie() { return cookie_; }

 private:
  std::unique_ptr<HttpConnection> http_;
  std::uint16_t port_;
  std::unique_ptr<protocomm::ClientSecurity> security_;
  std::string cookie_;
};

class ProvisioningHttpTest : public ::testing::TestWithParam<SecurityVersion> {
 protected:
  SystemClock clock;
  std::shared_ptr<pki::PrivateKey> key =
      std::make_shared<pki::PrivateKey>(*pki::PrivateKey::generate(pki::KeyType::ecdsa_p256));
  Events events;
  std::unique_ptr<ProvisioningServer> server;

  void start(SecurityVersion sec) {
    agent::ProvisioningOptions options;
    options.node_id = std::string(kNodeId);
    options.security = sec;
    options.pop = std::string(kPop);
    options.sign = [k = key](std::string_view challenge) {
      return pki::sign_message(*k, challenge);
    };
    options.connect_delay = 100ms;
    auto engine = agent::ProvisioningEngine::create(std::move(options), clock);
    ASSERT_TRUE(engine.has_value());
    ProvisioningServerOptions server_options;
    server_options.finish_delay = 200ms;
    server_options.idle_timeout = 5s;
    auto started = ProvisioningServer::start(std::move(*engine), server_options,
                                             [this](const auto& e) { events.add(e); });
    ASSERT_TRUE(started.has_value()) << started.error().context;
    server = std::move(*started);
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

template <class F>
bool eventually(F condition, std::chrono::milliseconds limit = 5s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

TEST_P(ProvisioningHttpTest, TheCliSequenceProvisionsTheNode) {
  start(GetParam());
  Client cli(server->port(), client_security(GetParam(), std::string(kPop)));

  // proto-ver: plaintext JSON, any non-empty body (the CLI sends "---").
  const auto version = cli.post(protocomm::kEndpointProtoVer, "---");
  ASSERT_EQ(version.status, 200);
  EXPECT_EQ(version.header("Content-Type"), "text/html");
  const auto info = protocomm::parse_proto_version(version.body);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->sec_ver, static_cast<int>(GetParam()));
  EXPECT_TRUE(info->app_has("rmaker_extra", protocomm::kCapChallengeResponse));
  ASSERT_FALSE(cli.cookie().empty());
  EXPECT_EQ(cli.cookie().rfind("session=", 0), 0U);

  cli.handshake();

  // Challenge-response: the node signs the cloud's challenge with its key.
  const std::string challenge = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const auto signed_reply = protocomm::decode_ch_resp_response(
      cli.call(protocomm::kEndpointChallengeResponse,
               protocomm::encode_ch_resp_request(protocomm::ChallengeRequest{challenge})));
  ASSERT_TRUE(signed_reply.has_value());
  const auto& cr = std::get<protocomm::ChallengeResponse>(*signed_reply);
  EXPECT_EQ(cr.node_id, kNodeId);
  auto ca = pki::CertificateAuthority::create("test CA", std::chrono::days(1), clock);
  auto cert = ca->issue_device_certificate(*key, kNodeId, clock.now() - 1h, clock.now() + 24h);
  ASSERT_TRUE(cert.has_value());
  EXPECT_TRUE(pki::verify_signature(*cert, challenge, cr.signature).has_value());

  // Legacy mapping.
  const auto mapped = protocomm::decode_user_mapping_response(
      cli.call(protocomm::kEndpointUserMapping,
               protocomm::encode_user_mapping_request({"user-9", "secret-9"})));
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->node_id, kNodeId);

  // Scan, credentials, status.
  cli.call(protocomm::kEndpointScan,
           protocomm::encode_wifi_scan_request(protocomm::WifiScanStart{true, false, 5, 120}));
  const auto progress = std::get<protocomm::WifiScanProgress>(*protocomm::decode_wifi_scan_response(
      cli.call(protocomm::kEndpointScan,
               protocomm::encode_wifi_scan_request(protocomm::WifiScanStatus{}))));
  ASSERT_EQ(progress.result_count, 3U);
  const auto page = std::get<protocomm::WifiScanPage>(*protocomm::decode_wifi_scan_response(
      cli.call(protocomm::kEndpointScan,
               protocomm::encode_wifi_scan_request(protocomm::WifiScanResults{0, 3}))));
  ASSERT_EQ(page.entries.size(), 3U);
  EXPECT_EQ(page.entries[0].ssid, "stratus-lab");

  protocomm::WifiSetConfig credentials;
  credentials.ssid = "stratus-lab";
  credentials.passphrase = "stratus-lab-pass";
  EXPECT_EQ(
      std::get<protocomm::WifiSetConfigResult>(
          *protocomm::decode_wifi_config_response(cli.call(
              protocomm::kEndpointConfig, protocomm::encode_wifi_config_request(credentials))))
          .status,
      protocomm::Status::success);
  EXPECT_EQ(std::get<protocomm::WifiApplyConfigResult>(
                *protocomm::decode_wifi_config_response(
                    cli.call(protocomm::kEndpointConfig,
                             protocomm::encode_wifi_config_request(protocomm::WifiApplyConfig{}))))
                .status,
            protocomm::Status::success);
  // The node comes online on its own (the driver's cue), before anyone asks.
  EXPECT_TRUE(
      eventually([&] { return events.has(agent::ProvisioningEvent::Kind::wifi_connected); }));
  const auto status = std::get<protocomm::WifiStatus>(*protocomm::decode_wifi_config_response(
      cli.call(protocomm::kEndpointConfig,
               protocomm::encode_wifi_config_request(protocomm::WifiGetStatus{}))));
  EXPECT_EQ(status.state, protocomm::WifiStationState::connected);
  ASSERT_TRUE(status.connected.has_value());
  EXPECT_EQ(status.connected->ssid, "stratus-lab");

  EXPECT_TRUE(events.has(agent::ProvisioningEvent::Kind::user_mapping));
  EXPECT_TRUE(events.has(agent::ProvisioningEvent::Kind::finished));
  // The manager stops the service shortly after reporting success.
  EXPECT_TRUE(eventually([&] { return !server->running(); }));
  EXPECT_TRUE(cli.http().closed_by_peer_within(2s));
}

TEST_P(ProvisioningHttpTest, AWrongPopClosesTheConnectionWithoutAnswer) {
  start(GetParam());
  auto security = client_security(GetParam(), "wrong");
  HttpConnection http("127.0.0.1", server->port());
  auto first = security->start();
  const auto reply0 = http.request("POST", "/prov-session", *first);
  ASSERT_EQ(reply0.status, 200);
  auto second = security->on_response(reply0.body);
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(second->has_value());
  http.send_raw("POST /prov-session HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                std::to_string((*second)->size()) + "\r\n\r\n" + **second);
  EXPECT_TRUE(http.closed_by_peer_within(2s));
}

INSTANTIATE_TEST_SUITE_P(Security, ProvisioningHttpTest,
                         ::testing::Values(SecurityVersion::sec1, SecurityVersion::sec2));

class ProvisioningTransportTest : public ProvisioningHttpTest {};

TEST_F(ProvisioningTransportTest, TheCookieKeepsTheSessionAcrossConnections) {
  start(SecurityVersion::sec1);
  Client cli(server->port(), client_security(SecurityVersion::sec1, std::string(kPop)));
  cli.handshake();
  const auto cookie = cli.cookie();
  cli.reconnect();  // a new TCP connection, the same cookie: the same session
  const auto status = protocomm::decode_wifi_config_response(
      cli.call(protocomm::kEndpointConfig,
               protocomm::encode_wifi_config_request(protocomm::WifiGetStatus{})));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(cli.cookie(), cookie);  // no new Set-Cookie

  // Without the cookie on a new connection the session is a new one: the encrypted
  // request no longer decrypts to anything, and the connection is closed.
  HttpConnection other("127.0.0.1", server->port());
  other.send_raw("POST /prov-config HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_TRUE(other.closed_by_peer_within(2s));
}

TEST_F(ProvisioningTransportTest, RoutesLimitsAndOneConnectionAtATime) {
  start(SecurityVersion::sec1);
  {
    HttpConnection http("127.0.0.1", server->port());
    const auto missing = http.request("POST", "/nope", "x");
    EXPECT_EQ(missing.status, 404);
  }
  {
    HttpConnection http("127.0.0.1", server->port());
    EXPECT_EQ(http.request("GET", "/proto-ver").status, 405);
  }
  {
    HttpConnection http("127.0.0.1", server->port());
    http.send_raw("POST /proto-ver HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_TRUE(http.closed_by_peer_within(2s));  // an empty body fails the handler
  }
  {
    HttpConnection http("127.0.0.1", server->port());
    http.send_raw("POST /proto-ver HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n" +
                  std::string(4097, 'x'));
    EXPECT_TRUE(http.closed_by_peer_within(2s));  // over 4096 bytes
  }
  {
    HttpConnection http("127.0.0.1", server->port());
    EXPECT_EQ(http.request("POST", "/proto-ver", std::string(4096, 'x')).status, 200);
    // A second connection purges the first (max_open_sockets 1, LRU).
    HttpConnection newer("127.0.0.1", server->port());
    EXPECT_EQ(newer.request("POST", "/proto-ver", "---").status, 200);
    EXPECT_TRUE(http.closed_by_peer_within(2s));
  }
  EXPECT_TRUE(server->running());
  server->stop();
  EXPECT_FALSE(server->running());
}

}  // namespace
}  // namespace stratus::sim
