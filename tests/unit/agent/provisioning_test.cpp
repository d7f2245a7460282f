// Proves the node's provisioning engine answers every protocomm endpoint as the firmware
// does (spec rainmaker-device.md §1-§4): sessions under security 0/1/2 opened by
// protocomm's client engines, a wrong PoP refused, the Wi-Fi manager's states (connecting,
// connected after the delay, auth error, AP not found, reset), the scan pages, the legacy
// mapping, challenge-response signatures that verify with the node certificate, garbage
// refused with errors, and the HTTP transport's session-cookie rule. How: the engine is
// driven in process with a manual clock, protocomm's client engines and pki's keys.
#include "agent/provisioning.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>

#include "pki/authority.hpp"
#include "pki/key.hpp"
#include "pki/signature.hpp"
#include "protocomm/capabilities.hpp"
#include "protocomm/mapping.hpp"
#include "protocomm/security0.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"

namespace stratus::agent {
namespace {

using namespace std::chrono_literals;
using protocomm::SecurityVersion;
using protocomm::Status;

constexpr std::string_view kNodeId = "7CDFA1B2C3D4";
constexpr std::string_view kPop = "abcd1234";

// A node key, its certificate, and a signer over it.
struct NodeKey {
  pki::PrivateKey key = *pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
  std::shared_ptr<pki::PrivateKey> shared;

  ChallengeSigner signer() {
    auto k = std::make_shared<pki::PrivateKey>(std::move(key));
    shared = k;
    return [k](std::string_view challenge) { return pki::sign_message(*k, challenge); };
  }
};

class ProvisioningTest : public ::testing::Test {
 protected:
  ManualClock clock{std::chrono::system_clock::time_point(1'700'000'000s)};
  NodeKey node_key;

  std::unique_ptr<ProvisioningEngine> make(SecurityVersion sec, std::string pop = std::string(kPop),
                                           bool ch_resp = true) {
    ProvisioningOptions options;
    options.node_id = std::string(kNodeId);
    options.security = sec;
    options.pop = std::move(pop);
    options.challenge_response = ch_resp;
    options.sign = node_key.signer();
    options.connect_delay = 2s;
    auto engine = ProvisioningEngine::create(std::move(options), clock);
    EXPECT_TRUE(engine.has_value()) << engine.error().context;
    return std::move(*engine);
  }

  static std::unique_ptr<protocomm::ClientSecurity> client(SecurityVersion sec,
                                                           std::string pop = std::string(kPop)) {
    switch (sec) {
      case SecurityVersion::sec0:
        return std::make_unique<protocomm::Sec0Client>();
      case SecurityVersion::sec1:
        return std::make_unique<protocomm::Sec1Client>(std::move(pop));
      case SecurityVersion::sec2:
        return std::make_unique<protocomm::Sec2Client>(std::string(protocomm::kSec2Username),
                                                       std::move(pop));
    }
    return nullptr;
  }

  // The handshake over `prov-session`; the first error, if any.
  static Result<void> open(ProvisioningEngine& engine, protocomm::ClientSecurity& c) {
    auto request = c.start();
    if (!request) {
      return fail(request.error());
    }
    std::optional<std::string> next = *request;
    while (next) {
      auto answer = engine.handle(protocomm::kEndpointSession, *next);
      if (!answer) {
        return fail(answer.error());
      }
      auto step = c.on_response(*answer);
      if (!step) {
        return fail(step.error());
      }
      next = *step;
    }
    return {};
  }

  // One protected request/response.
  static Result<std::string> call(ProvisioningEngine& engine, protocomm::ClientSecurity& c,
                                  std::string_view endpoint, std::string_view plain) {
    auto sealed = c.encrypt(plain);
    if (!sealed) {
      return fail(sealed.error());
    }
    auto answer = engine.handle(endpoint, *sealed);
    if (!answer) {
      return fail(answer.error());
    }
    return c.decrypt(*answer);
  }

  static protocomm::WifiConfigResponse config(ProvisioningEngine& engine,
                                              protocomm::ClientSecurity& c,
                                              const protocomm::WifiConfigRequest& request) {
    auto answer =
        call(engine, c, protocomm::kEndpointConfig, protocomm::encode_wifi_config_request(request));
    EXPECT_TRUE(answer.has_value()) << answer.error().context;
    auto decoded = protocomm::decode_wifi_config_response(answer.value_or(""));
    EXPECT_TRUE(decoded.has_value());
    return decoded.value_or(protocomm::WifiConfigResponse{});
  }

  static protocomm::WifiScanResponse scan(ProvisioningEngine& engine, protocomm::ClientSecurity& c,
                                          const protocomm::WifiScanRequest& request) {
    auto answer =
        call(engine, c, protocomm::kEndpointScan, protocomm::encode_wifi_scan_request(request));
    EXPECT_TRUE(answer.has_value()) << answer.error().context;
    auto decoded = protocomm::decode_wifi_scan_response(answer.value_or(""));
    EXPECT_TRUE(decoded.has_value());
    return decoded.value_or(protocomm::WifiScanResponse{});
  }

  static protocomm::WifiStatus status(ProvisioningEngine& engine, protocomm::ClientSecurity& c) {
    return std::get<protocomm::WifiStatus>(config(engine, c, protocomm::WifiGetStatus{}));
  }

  static Status set(ProvisioningEngine& engine, protocomm::ClientSecurity& c, std::string ssid,
                    std::string passphrase) {
    protocomm::WifiSetConfig request;
    request.ssid = std::move(ssid);
    request.passphrase = std::move(passphrase);
    return std::get<protocomm::WifiSetConfigResult>(config(engine, c, request)).status;
  }

  static Status apply(ProvisioningEngine& engine, protocomm::ClientSecurity& c) {
    return std::get<protocomm::WifiApplyConfigResult>(
               config(engine, c, protocomm::WifiApplyConfig{}))
        .status;
  }
};

std::vector<ProvisioningEvent::Kind> kinds(const std::vector<ProvisioningEvent>& events) {
  std::vector<ProvisioningEvent::Kind> out;
  for (const auto& e : events) {
    out.push_back(e.kind);
  }
  return out;
}

// --- proto-ver ---------------------------------------------------------------------------

TEST_F(ProvisioningTest, ProtoVerAdvertisesSecurityScanAndChallengeResponse) {
  auto engine = make(SecurityVersion::sec2);
  const auto text = engine->handle(protocomm::kEndpointProtoVer, "---");
  ASSERT_TRUE(text.has_value());
  const auto info = protocomm::parse_proto_version(*text);
  ASSERT_TRUE(info.has_value()) << *text;
  EXPECT_EQ(info->prov_ver, "v1.1");
  EXPECT_EQ(info->sec_ver, 2);
  EXPECT_EQ(info->sec_patch_ver, 1);
  EXPECT_TRUE(info->has_prov(protocomm::kCapWifiScan));
  EXPECT_TRUE(info->app_has("rmaker_extra", protocomm::kCapChallengeResponse));

  const auto sec0 = protocomm::parse_proto_version(
      *make(SecurityVersion::sec0, "")->handle(protocomm::kEndpointProtoVer, "x"));
  EXPECT_TRUE(sec0->has_prov(protocomm::kCapNoSec));
  const auto no_pop = protocomm::parse_proto_version(
      *make(SecurityVersion::sec1, "")->handle(protocomm::kEndpointProtoVer, "x"));
  EXPECT_TRUE(no_pop->has_prov(protocomm::kCapNoPop));
}

TEST_F(ProvisioningTest, WithoutChallengeResponseItIsNeitherAdvertisedNorServed) {
  auto engine = make(SecurityVersion::sec1, std::string(kPop), false);
  const auto info =
      protocomm::parse_proto_version(*engine->handle(protocomm::kEndpointProtoVer, "x"));
  EXPECT_EQ(info->app("rmaker_extra"), nullptr);
  EXPECT_FALSE(engine->serves(protocomm::kEndpointChallengeResponse));
  EXPECT_TRUE(engine->serves(protocomm::kEndpointUserMapping));
  EXPECT_FALSE(engine->serves("nope"));
  const auto refused = engine->handle(protocomm::kEndpointChallengeResponse, "x");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::not_found);
}

TEST_F(ProvisioningTest, CreateRefusesSec2WithoutPopAndChallengeResponseWithoutSigner) {
  ProvisioningOptions options;
  options.security = SecurityVersion::sec2;
  options.sign = node_key.signer();
  EXPECT_EQ(ProvisioningEngine::create(options, clock).error().code, errc::invalid_argument);
  options.security = SecurityVersion::sec1;
  options.sign = nullptr;
  EXPECT_EQ(ProvisioningEngine::create(options, clock).error().code, errc::invalid_argument);
}

// --- a whole provisioning under each security ---------------------------------------------

class ProvisioningFlowTest : public ProvisioningTest,
                             public ::testing::WithParamInterface<SecurityVersion> {};

TEST_P(ProvisioningFlowTest, ScanSetApplyThenConnectedAfterTheDelay) {
  const auto sec = GetParam();
  auto engine = make(sec, sec == SecurityVersion::sec0 ? "" : std::string(kPop));
  auto c = client(sec, sec == SecurityVersion::sec0 ? "" : std::string(kPop));
  ASSERT_TRUE(open(*engine, *c).has_value());

  // The CLI's scan: start (blocking), status, then pages.
  EXPECT_EQ(std::get<protocomm::WifiScanStarted>(
                scan(*engine, *c, protocomm::WifiScanStart{true, false, 5, 120}))
                .status,
            Status::success);
  const auto progress =
      std::get<protocomm::WifiScanProgress>(scan(*engine, *c, protocomm::WifiScanStatus{}));
  EXPECT_TRUE(progress.finished);
  ASSERT_EQ(progress.result_count, 3U);
  const auto page =
      std::get<protocomm::WifiScanPage>(scan(*engine, *c, protocomm::WifiScanResults{0, 3}));
  EXPECT_EQ(page.status, Status::success);
  ASSERT_EQ(page.entries.size(), 3U);
  EXPECT_EQ(page.entries[0].ssid, "stratus-lab");  // strongest first
  EXPECT_EQ(page.entries[0].bssid.size(), 6U);
  EXPECT_EQ(page.entries[2].auth, protocomm::WifiAuthMode::open);

  // Before credentials the manager's station reads "connecting".
  EXPECT_EQ(status(*engine, *c).state, protocomm::WifiStationState::connecting);
  EXPECT_EQ(set(*engine, *c, "stratus-lab", "stratus-lab-pass"), Status::success);
  EXPECT_EQ(apply(*engine, *c), Status::success);
  EXPECT_EQ(engine->state(), ProvisioningState::connecting);
  EXPECT_EQ(status(*engine, *c).state, protocomm::WifiStationState::connecting);
  ASSERT_TRUE(engine->next_deadline().has_value());
  EXPECT_EQ(kinds(engine->take_events()),
            (std::vector{ProvisioningEvent::Kind::credentials_applied}));

  clock.advance(2s);
  engine->tick();
  EXPECT_EQ(engine->state(), ProvisioningState::connected);
  EXPECT_FALSE(engine->finished());
  const auto events = engine->take_events();
  ASSERT_EQ(kinds(events), (std::vector{ProvisioningEvent::Kind::wifi_connected}));
  EXPECT_EQ(events[0].ssid, "stratus-lab");

  const auto done = status(*engine, *c);
  EXPECT_EQ(done.state, protocomm::WifiStationState::connected);
  ASSERT_TRUE(done.connected.has_value());
  EXPECT_EQ(done.connected->ssid, "stratus-lab");
  EXPECT_EQ(done.connected->ip4_addr, "192.168.1.42");
  EXPECT_EQ(done.connected->channel, 6);
  EXPECT_EQ(done.connected->auth_mode, protocomm::WifiAuthMode::wpa2_psk);
  EXPECT_TRUE(engine->finished());
  EXPECT_EQ(kinds(engine->take_events()), (std::vector{ProvisioningEvent::Kind::finished}));

  // Credentials were taken: a second apply is refused, as wifi_prov_mgr_configure_sta does.
  EXPECT_EQ(set(*engine, *c, "stratus-lab", "stratus-lab-pass"), Status::success);
  EXPECT_EQ(apply(*engine, *c), Status::internal_error);
}

TEST_P(ProvisioningFlowTest, LegacyMappingAndChallengeResponse) {
  const auto sec = GetParam();
  const std::string pop = sec == SecurityVersion::sec0 ? "" : std::string(kPop);
  auto engine = make(sec, pop);
  auto c = client(sec, pop);
  ASSERT_TRUE(open(*engine, *c).has_value());

  // A request without its payload is answered InvalidParam; the session goes on.
  auto odd = call(*engine, *c, protocomm::kEndpointUserMapping,
                  protocomm::encode_user_mapping_request({{}, {}, false}));
  ASSERT_TRUE(odd.has_value()) << odd.error().context;
  EXPECT_EQ(protocomm::decode_user_mapping_response(*odd)->status,
            protocomm::UserMappingStatus::invalid_param);
  EXPECT_TRUE(engine->take_events().empty());
  auto mapped = call(*engine, *c, protocomm::kEndpointUserMapping,
                     protocomm::encode_user_mapping_request({"user-1", "secret-1"}));
  ASSERT_TRUE(mapped.has_value()) << mapped.error().context;
  const auto answer = protocomm::decode_user_mapping_response(*mapped);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, protocomm::UserMappingStatus::success);
  EXPECT_EQ(answer->node_id, kNodeId);
  const auto events = engine->take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, ProvisioningEvent::Kind::user_mapping);
  EXPECT_EQ(events[0].user_id, "user-1");
  EXPECT_EQ(events[0].secret_key, "secret-1");

  const std::string challenge = "5f1e2d3c4b5a69788796a5b4c3d2e1f0aabbccddeeff00112233445566778899";
  auto signed_reply =
      call(*engine, *c, protocomm::kEndpointChallengeResponse,
           protocomm::encode_ch_resp_request(protocomm::ChallengeRequest{challenge}));
  ASSERT_TRUE(signed_reply.has_value()) << signed_reply.error().context;
  const auto response = protocomm::decode_ch_resp_response(*signed_reply);
  ASSERT_TRUE(response.has_value());
  const auto& cr = std::get<protocomm::ChallengeResponse>(*response);
  EXPECT_EQ(cr.status, protocomm::ChRespStatus::success);
  EXPECT_EQ(cr.node_id, kNodeId);
  // The cloud's check (service/challenge_mapping → pki::verify_signature) passes with the
  // node certificate, and fails for other data.
  auto ca = pki::CertificateAuthority::create("test CA", std::chrono::days(1), clock);
  auto cert =
      ca->issue_device_certificate(*node_key.shared, kNodeId, clock.now() - 1h, clock.now() + 24h);
  ASSERT_TRUE(cert.has_value());
  EXPECT_TRUE(pki::verify_signature(*cert, challenge, cr.signature).has_value());
  EXPECT_FALSE(pki::verify_signature(*cert, challenge + "x", cr.signature).has_value());
}

INSTANTIATE_TEST_SUITE_P(Security, ProvisioningFlowTest,
                         ::testing::Values(SecurityVersion::sec0, SecurityVersion::sec1,
                                           SecurityVersion::sec2));

// --- security --------------------------------------------------------------------------------

TEST_F(ProvisioningTest, WrongPopIsRefusedAndLeavesNoSession) {
  for (const auto sec : {SecurityVersion::sec1, SecurityVersion::sec2}) {
    auto engine = make(sec);
    auto wrong = client(sec, "wrong-pop");
    const auto opened = open(*engine, *wrong);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, errc::unauthenticated);
    const auto refused = engine->handle(protocomm::kEndpointConfig, "\x52\x00");
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, errc::conflict);
    // The right PoP still works afterwards (a new handshake).
    auto right = client(sec);
    EXPECT_TRUE(open(*engine, *right).has_value());
  }
}

TEST_F(ProvisioningTest, EndpointsNeedTheSessionAndANewSessionForgetsIt) {
  auto engine = make(SecurityVersion::sec1);
  EXPECT_EQ(engine->handle(protocomm::kEndpointScan, "anything").error().code, errc::conflict);
  auto c = client(SecurityVersion::sec1);
  ASSERT_TRUE(open(*engine, *c).has_value());
  EXPECT_EQ(status(*engine, *c).status, Status::success);
  engine->new_session();
  EXPECT_EQ(engine->handle(protocomm::kEndpointConfig, "\x52\x00").error().code, errc::conflict);
}

TEST_F(ProvisioningTest, TamperedSec2MessageIsRefused) {
  auto engine = make(SecurityVersion::sec2);
  auto c = client(SecurityVersion::sec2);
  ASSERT_TRUE(open(*engine, *c).has_value());
  auto sealed = c->encrypt(protocomm::encode_wifi_config_request(protocomm::WifiGetStatus{}));
  ASSERT_TRUE(sealed.has_value());
  (*sealed)[0] = static_cast<char>((*sealed)[0] ^ 1);
  const auto refused = engine->handle(protocomm::kEndpointConfig, *sealed);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::unauthenticated);
}

// --- the Wi-Fi manager ------------------------------------------------------------------------

TEST_F(ProvisioningTest, WrongPassphraseFailsWithAuthErrorAndResetRearms) {
  auto engine = make(SecurityVersion::sec0, "");
  auto c = client(SecurityVersion::sec0);
  ASSERT_TRUE(open(*engine, *c).has_value());
  // prov-ctrl reset is refused unless provisioning failed.
  auto ctrl = [&](protocomm::WifiCtrlCommand command) {
    auto answer =
        call(*engine, *c, protocomm::kEndpointCtrl, protocomm::encode_wifi_ctrl_request({command}));
    EXPECT_TRUE(answer.has_value());
    return protocomm::decode_wifi_ctrl_response(answer.value_or(""))->status;
  };
  EXPECT_EQ(ctrl(protocomm::WifiCtrlCommand::reset), Status::internal_error);

  EXPECT_EQ(set(*engine, *c, "stratus-lab", "guess"), Status::success);
  EXPECT_EQ(apply(*engine, *c), Status::success);
  EXPECT_EQ(engine->state(), ProvisioningState::failed);
  auto failed = status(*engine, *c);
  EXPECT_EQ(failed.state, protocomm::WifiStationState::connection_failed);
  EXPECT_EQ(failed.fail_reason, protocomm::WifiFailReason::auth_error);
  const auto events = engine->take_events();
  ASSERT_EQ(kinds(events), (std::vector{ProvisioningEvent::Kind::credentials_applied,
                                        ProvisioningEvent::Kind::wifi_failed}));
  EXPECT_EQ(events[1].fail_reason, protocomm::WifiFailReason::auth_error);

  // Failed credentials stay until reset; then new ones are taken.
  EXPECT_EQ(set(*engine, *c, "stratus-lab", "stratus-lab-pass"), Status::success);
  EXPECT_EQ(apply(*engine, *c), Status::internal_error);
  EXPECT_EQ(ctrl(protocomm::WifiCtrlCommand::reset), Status::success);
  EXPECT_EQ(engine->state(), ProvisioningState::waiting);
  EXPECT_EQ(set(*engine, *c, "nowhere", "x"), Status::success);
  EXPECT_EQ(apply(*engine, *c), Status::success);
  EXPECT_EQ(status(*engine, *c).fail_reason, protocomm::WifiFailReason::network_not_found);
  EXPECT_EQ(ctrl(protocomm::WifiCtrlCommand::reset), Status::success);
  EXPECT_EQ(set(*engine, *c, "cafe-guest", ""), Status::success);
  EXPECT_EQ(apply(*engine, *c), Status::success);
  clock.advance(5s);
  EXPECT_EQ(status(*engine, *c).state, protocomm::WifiStationState::connected);
  EXPECT_EQ(ctrl(protocomm::WifiCtrlCommand::reprov), Status::success);
}

TEST_F(ProvisioningTest, SetConfigChecksLengthsAndApplyNeedsCredentials) {
  auto engine = make(SecurityVersion::sec0, "");
  // Security 0 protects nothing: the device answers without a handshake, as protocomm does.
  const auto plain =
      engine->handle(protocomm::kEndpointConfig,
                     protocomm::encode_wifi_config_request(protocomm::WifiApplyConfig{}));
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(
      std::get<protocomm::WifiApplyConfigResult>(*protocomm::decode_wifi_config_response(*plain))
          .status,
      Status::internal_error);  // nothing set yet
  auto c = client(SecurityVersion::sec0);
  ASSERT_TRUE(open(*engine, *c).has_value());
  EXPECT_EQ(set(*engine, *c, std::string(33, 's'), "p"), Status::invalid_argument);
  EXPECT_EQ(set(*engine, *c, "s", std::string(65, 'p')), Status::invalid_argument);
  protocomm::WifiSetConfig bad_bssid;
  bad_bssid.ssid = "stratus-lab";
  bad_bssid.bssid = "12345";
  EXPECT_EQ(std::get<protocomm::WifiSetConfigResult>(config(*engine, *c, bad_bssid)).status,
            Status::invalid_argument);
  EXPECT_EQ(engine->state(), ProvisioningState::waiting);
}

TEST_F(ProvisioningTest, ScanPagesPastTheEndReportAnError) {
  auto engine = make(SecurityVersion::sec0, "");
  auto c = client(SecurityVersion::sec0);
  ASSERT_TRUE(open(*engine, *c).has_value());
  // Before a scan there are no results.
  EXPECT_EQ(std::get<protocomm::WifiScanProgress>(scan(*engine, *c, protocomm::WifiScanStatus{}))
                .result_count,
            0U);
  scan(*engine, *c, protocomm::WifiScanStart{});
  const auto page =
      std::get<protocomm::WifiScanPage>(scan(*engine, *c, protocomm::WifiScanResults{2, 4}));
  EXPECT_EQ(page.status, Status::internal_error);
  ASSERT_EQ(page.entries.size(), 1U);
  EXPECT_EQ(page.entries[0].ssid, "cafe-guest");
}

// --- ch_resp ----------------------------------------------------------------------------------

TEST_F(ProvisioningTest, ChallengeResponseDisableAndUnservedRequests) {
  auto engine = make(SecurityVersion::sec0, "");
  auto c = client(SecurityVersion::sec0);
  ASSERT_TRUE(open(*engine, *c).has_value());
  auto send = [&](const protocomm::ChRespRequest& request) {
    return call(*engine, *c, protocomm::kEndpointChallengeResponse,
                protocomm::encode_ch_resp_request(request));
  };
  EXPECT_FALSE(send(protocomm::GetNodeIdRequest{}).has_value());
  EXPECT_FALSE(send(protocomm::ChallengeRequest{""}).has_value());
  auto disabled = send(protocomm::DisableChallengeResponseRequest{});
  ASSERT_TRUE(disabled.has_value());
  EXPECT_EQ(std::get<protocomm::DisableChallengeResponseResult>(
                *protocomm::decode_ch_resp_response(*disabled))
                .status,
            protocomm::ChRespStatus::success);
  EXPECT_TRUE(engine->challenge_response_disabled());
  auto after = send(protocomm::ChallengeRequest{"abc"});
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(
      std::get<protocomm::ChallengeResponse>(*protocomm::decode_ch_resp_response(*after)).status,
      protocomm::ChRespStatus::disabled);
  // Another disable is a request like any other now: {msg 1, status 3} (spec §4.2).
  auto again = send(protocomm::DisableChallengeResponseRequest{});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(
      std::get<protocomm::ChallengeResponse>(*protocomm::decode_ch_resp_response(*again)).status,
      protocomm::ChRespStatus::disabled);
}

TEST_F(ProvisioningTest, SignerFailureIsAnError) {
  ProvisioningOptions options;
  options.node_id = std::string(kNodeId);
  options.security = SecurityVersion::sec0;
  options.sign = [](std::string_view) -> Result<std::string> {
    return fail(errc::internal, "no key");
  };
  auto engine = ProvisioningEngine::create(options, clock);
  ASSERT_TRUE(engine.has_value());
  const auto refused =
      (*engine)->handle(protocomm::kEndpointChallengeResponse,
                        protocomm::encode_ch_resp_request(protocomm::ChallengeRequest{"abc"}));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::internal);
}

// --- garbage -----------------------------------------------------------------------------------

TEST_F(ProvisioningTest, GarbageBodiesGiveErrorsNotCrashes) {
  std::mt19937 rng(7);
  for (const auto sec : {SecurityVersion::sec0, SecurityVersion::sec1, SecurityVersion::sec2}) {
    auto engine = make(sec, sec == SecurityVersion::sec0 ? "" : std::string(kPop));
    for (const auto endpoint :
         {protocomm::kEndpointSession, protocomm::kEndpointConfig, protocomm::kEndpointScan,
          protocomm::kEndpointCtrl, protocomm::kEndpointUserMapping,
          protocomm::kEndpointChallengeResponse}) {
      for (int round = 0; round < 200; ++round) {
        std::string body(rng() % 64, '\0');
        for (auto& ch : body) {
          ch = static_cast<char>(rng());
        }
        (void)engine->handle(endpoint, body);  // any answer or error, never a crash
      }
    }
    // And the engine still provisions afterwards.
    auto c = client(sec, sec == SecurityVersion::sec0 ? "" : std::string(kPop));
    engine->new_session();
    ASSERT_TRUE(open(*engine, *c).has_value());
    EXPECT_EQ(status(*engine, *c).status, Status::success);
  }
}

// --- the HTTP transport's session rule ------------------------------------------------------

TEST(SessionCookies, FollowsProtocommHttpd) {
  std::uint8_t next = 1;
  SessionCookies cookies([&next](std::span<std::uint8_t> out) {
    for (auto& b : out) {
      b = 0;
    }
    out[3] = next++;
  });
  // First request: a new session with a cookie.
  auto first = cookies.on_request(1, std::nullopt);
  EXPECT_TRUE(first.new_session);
  EXPECT_EQ(first.set_cookie, "session=1");
  // Same connection, no cookie: continues.
  EXPECT_FALSE(cookies.on_request(1, std::nullopt).new_session);
  // The cookie continues it on another connection.
  EXPECT_FALSE(cookies.on_request(2, std::string_view("session=1")).new_session);
  // From then on the connection alone does not.
  EXPECT_TRUE(cookies.on_request(1, std::nullopt).new_session);  // session=2 on conn 1
  // A wrong cookie starts another one.
  auto other = cookies.on_request(1, std::string_view("session=99"));
  EXPECT_TRUE(other.new_session);
  EXPECT_EQ(other.set_cookie, "session=3");
  // A closed connection no longer continues a cookie-less session.
  cookies.on_closed(1);
  EXPECT_TRUE(cookies.on_request(1, std::nullopt).new_session);
  // A cookie too long for the firmware's buffer reads as none.
  EXPECT_FALSE(cookies.on_request(1, std::string_view("session=4; extra=abcdef")).new_session);
}

}  // namespace
}  // namespace stratus::agent
