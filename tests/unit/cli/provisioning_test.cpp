// Proves `stratus provision`'s and local control's session driver (cli/provisioning.hpp)
// speaks protocomm as the firmware expects it (spec rainmaker-device.md §1-§5): against the
// node's own provisioning engine (agent::ProvisioningEngine) under security 0/1/2 it maps
// by challenge-response (cloud initiate → ch_resp → verify) and by the legacy secret key
// (cloud_user_assoc, PUT mapping, polling), joins Wi-Fi from --ssid or a scan, and names
// each failure: wrong PoP, a security version the device does not offer, wrong
// passphrase, unknown network, an unreachable device, a mapping never confirmed. Local
// control runs against an in-process esp_local_ctrl device built from protocomm's engines
// and codecs. How: everything in process with a manual clock; no sockets.
#include "cli/provisioning.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>

#include "agent/provisioning.hpp"
#include "client/protocomm_http.hpp"
#include "core/hex.hpp"
#include "protocomm/local_ctrl.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"

namespace stratus::cli {
namespace {

using namespace std::chrono_literals;
using protocomm::SecurityVersion;

constexpr std::string_view kNodeId = "7CDFA1B2C3D4";
constexpr std::string_view kPop = "abcd1234";

// The node's provisioning engine behind a channel, as the SoftAP server carries it: a
// handler error closes the connection without an answer and with it the session.
class EngineChannel final : public ProtocommChannel {
 public:
  explicit EngineChannel(agent::ProvisioningEngine& engine) : engine_(engine) {}
  Result<std::string> send(std::string_view endpoint, std::string_view body) override {
    ++requests[std::string(endpoint)];
    if (unreachable)
      return fail(errc::unavailable, "cannot reach the device at 127.0.0.1:1: Connection refused");
    if (!engine_.serves(endpoint))
      return fail(errc::not_found, "the device does not serve /" + std::string(endpoint));
    engine_.tick();
    auto answer = engine_.handle(endpoint, body);
    if (!answer) {
      engine_.new_session();
      return fail(errc::unavailable, "the device closed the connection without an answer");
    }
    return answer;
  }
  bool unreachable = false;
  std::map<std::string, int> requests;

 private:
  agent::ProvisioningEngine& engine_;
};

// The cloud: a challenge whose signature it checks against what the node signs (the
// signer below signs "signed:<challenge>"), and a legacy mapping that confirms after
// `confirm_after` polls (never when negative).
class FakeCloud final : public MappingCloud {
 public:
  Result<client::MappingChallenge> initiate() override {
    ++initiated;
    return client::MappingChallenge{"req-1", "challenge-text"};
  }
  Result<void> verify(std::string_view request_id, std::string_view node_id,
                      std::string_view signature_hex) override {
    if (request_id != "req-1" || signature_hex != to_hex("signed:challenge-text"))
      return fail(errc::invalid_argument, "the challenge response does not verify");
    verified_node = node_id;
    return {};
  }
  Result<std::string> add_mapping(std::string_view node_id, std::string_view secret) override {
    mapped_node = node_id;
    mapped_secret = secret;
    return std::string("map-1");
  }
  Result<client::MappingStatus> mapping_status(std::string_view) override {
    ++polls;
    if (confirm_after >= 0 && polls > confirm_after)
      return client::MappingStatus::confirmed;
    return client::MappingStatus::requested;
  }
  int initiated = 0;
  int polls = 0;
  int confirm_after = 1;
  std::string verified_node;
  std::string mapped_node;
  std::string mapped_secret;
};

class ProvisionTest : public ::testing::Test {
 protected:
  ManualClock clock{std::chrono::system_clock::time_point(1'700'000'000s)};
  std::unique_ptr<agent::ProvisioningEngine> engine;
  std::unique_ptr<EngineChannel> channel;
  FakeCloud cloud;
  std::vector<std::string> lines;

  void make(SecurityVersion sec, bool ch_resp = true, std::string pop = std::string(kPop)) {
    agent::ProvisioningOptions o;
    o.node_id = std::string(kNodeId);
    o.security = sec;
    o.pop = std::move(pop);
    o.challenge_response = ch_resp;
    o.sign = [](std::string_view challenge) -> Result<std::string> {
      return "signed:" + std::string(challenge);
    };
    o.connect_delay = 2s;
    auto e = agent::ProvisioningEngine::create(std::move(o), clock);
    ASSERT_TRUE(e.has_value()) << e.error().context;
    engine = std::move(*e);
    channel = std::make_unique<EngineChannel>(*engine);
  }

  ProvisionHooks hooks() {
    ProvisionHooks h;
    h.progress = [this](std::string_view l) { lines.emplace_back(l); };
    h.sleep = [this](std::chrono::milliseconds d) {
      clock.advance(d);
      engine->tick();
    };
    return h;
  }

  ProvisionRequest request(std::string pop = std::string(kPop)) {
    ProvisionRequest r;
    r.credentials.pop = std::move(pop);
    r.ssid = "stratus-lab";
    r.passphrase = "stratus-lab-pass";
    r.user_id = "user-1";
    r.secret_key = "secret-1";
    r.timeout = 10s;
    return r;
  }
};

TEST_F(ProvisionTest, Sec1ChallengeResponseMapsThenJoinsWifi) {
  make(SecurityVersion::sec1);
  auto r = provision(*channel, cloud, request(), hooks());
  ASSERT_TRUE(r.has_value()) << r.error().context;
  EXPECT_EQ(r->node_id, kNodeId);
  EXPECT_TRUE(r->challenge_response);
  EXPECT_TRUE(r->mapping_confirmed);
  EXPECT_EQ(r->security, SecurityVersion::sec1);
  EXPECT_EQ(r->ssid, "stratus-lab");
  EXPECT_EQ(r->ip4_addr, "192.168.1.42");
  EXPECT_EQ(cloud.verified_node, kNodeId);
  EXPECT_TRUE(cloud.mapped_node.empty());                      // no legacy mapping
  EXPECT_EQ(channel->requests.count("cloud_user_assoc"), 0U);  // nor its endpoint
  EXPECT_EQ(engine->state(), agent::ProvisioningState::connected);
  EXPECT_TRUE(engine->finished());
}

TEST_F(ProvisionTest, Sec2LegacyMappingSendsTheSecretAndPollsUntilConfirmed) {
  make(SecurityVersion::sec2, /*ch_resp=*/false);
  auto r = provision(*channel, cloud, request(), hooks());
  ASSERT_TRUE(r.has_value()) << r.error().context;
  EXPECT_FALSE(r->challenge_response);
  EXPECT_TRUE(r->mapping_confirmed);
  EXPECT_EQ(r->security, SecurityVersion::sec2);
  EXPECT_EQ(cloud.initiated, 0);
  EXPECT_EQ(cloud.mapped_node, kNodeId);
  EXPECT_EQ(cloud.mapped_secret, "secret-1");
  EXPECT_EQ(cloud.polls, 2);
  bool saw_mapping = false;
  for (const auto& e : engine->take_events()) {
    if (e.kind == agent::ProvisioningEvent::Kind::user_mapping) {
      saw_mapping = true;
      EXPECT_EQ(e.user_id, "user-1");
      EXPECT_EQ(e.secret_key, "secret-1");
    }
  }
  EXPECT_TRUE(saw_mapping);
}

TEST_F(ProvisionTest, Sec0WithoutPop) {
  make(SecurityVersion::sec0, true, "");
  auto req = request("");
  req.sec_ver = 0;
  auto r = provision(*channel, cloud, req, hooks());
  ASSERT_TRUE(r.has_value()) << r.error().context;
  EXPECT_EQ(r->security, SecurityVersion::sec0);
}

TEST_F(ProvisionTest, WrongPopIsRefusedAsSuch) {
  for (auto sec : {SecurityVersion::sec1, SecurityVersion::sec2}) {
    make(sec);
    auto r = provision(*channel, cloud, request("wrong-pop"), hooks());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::unauthenticated);
    EXPECT_NE(r.error().context.find("proof of possession"), std::string::npos)
        << r.error().context;
    EXPECT_EQ(cloud.initiated, 0);
    EXPECT_EQ(engine->state(), agent::ProvisioningState::waiting);
  }
}

TEST_F(ProvisionTest, ASecurityVersionTheDeviceDoesNotOfferIsRefused) {
  make(SecurityVersion::sec1);
  auto req = request();
  req.sec_ver = 2;
  auto r = provision(*channel, cloud, req, hooks());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_EQ(r.error().context, "the device offers security 1, not 2");
  EXPECT_EQ(channel->requests.count("prov-session"), 0U);
}

TEST_F(ProvisionTest, Security1WithoutPopIsRefusedBeforeTheHandshake) {
  make(SecurityVersion::sec1);
  auto r = provision(*channel, cloud, request(""), hooks());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().context.find("needs a proof of possession"), std::string::npos);
}

TEST_F(ProvisionTest, WrongPassphraseAndUnknownNetworkAreNamed) {
  make(SecurityVersion::sec1);
  auto req = request();
  req.passphrase = "not-it";
  auto r = provision(*channel, cloud, req, hooks());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::unauthenticated);
  EXPECT_NE(r.error().context.find("wrong passphrase"), std::string::npos) << r.error().context;

  make(SecurityVersion::sec1);
  req = request();
  req.ssid = "no-such-net";
  r = provision(*channel, cloud, req, hooks());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::not_found);
  EXPECT_NE(r.error().context.find("not found"), std::string::npos) << r.error().context;
}

TEST_F(ProvisionTest, WithoutSsidTheScanListIsOffered) {
  make(SecurityVersion::sec1);
  auto req = request();
  req.ssid.reset();
  req.passphrase.clear();
  auto h = hooks();
  std::size_t offered = 0;
  h.choose_network = [&](const std::vector<protocomm::WifiScanEntry>& list)
      -> Result<std::pair<std::string, std::string>> {
    offered = list.size();
    for (const auto& e : list) {
      if (e.ssid == "stratus-lab")
        return std::pair<std::string, std::string>{e.ssid, "stratus-lab-pass"};
    }
    return fail(errc::not_found, "no stratus-lab");
  };
  auto r = provision(*channel, cloud, req, h);
  ASSERT_TRUE(r.has_value()) << r.error().context;
  EXPECT_EQ(offered, agent::default_wifi_networks().size());
  EXPECT_EQ(r->ssid, "stratus-lab");

  // Without a way to choose, the flow stops and says what to give.
  make(SecurityVersion::sec1);
  h.choose_network = nullptr;
  r = provision(*channel, cloud, req, h);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().context.find("--ssid"), std::string::npos);
}

TEST_F(ProvisionTest, NoWifiMapsOnlyAndALegacyMappingNeverConfirmedTimesOut) {
  make(SecurityVersion::sec1);
  auto req = request();
  req.no_wifi = true;
  auto r = provision(*channel, cloud, req, hooks());
  ASSERT_TRUE(r.has_value()) << r.error().context;
  EXPECT_TRUE(r->ssid.empty());
  EXPECT_EQ(channel->requests.count("prov-config"), 0U);
  EXPECT_EQ(engine->state(), agent::ProvisioningState::waiting);

  make(SecurityVersion::sec1, /*ch_resp=*/false);
  cloud.confirm_after = -1;
  r = provision(*channel, cloud, req, hooks());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::timeout);
  EXPECT_EQ(cloud.polls, 10);  // 10 s in 1 s steps
}

TEST_F(ProvisionTest, AnUnreachableDeviceIsNamed) {
  make(SecurityVersion::sec1);
  channel->unreachable = true;
  auto r = provision(*channel, cloud, request(), hooks());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::unavailable);
  EXPECT_EQ(r.error().context,
            "reading the device's capabilities: cannot reach the device at 127.0.0.1:1: "
            "Connection refused");
}

TEST(ChooseSecurity, FollowsTheDeviceAndTheCliRules) {
  protocomm::ProtoVersion info;
  info.sec_ver = 2;
  EXPECT_EQ(*choose_security(info, std::nullopt), SecurityVersion::sec2);
  EXPECT_EQ(*choose_security(info, 2), SecurityVersion::sec2);
  EXPECT_FALSE(choose_security(info, 1).has_value());
  EXPECT_FALSE(choose_security(info, 7).has_value());
  protocomm::ProtoVersion old;  // no sec_ver: no_sec → 0, else 1
  EXPECT_EQ(*choose_security(old, std::nullopt), SecurityVersion::sec1);
  old.prov_cap = {"no_sec"};
  EXPECT_EQ(*choose_security(old, std::nullopt), SecurityVersion::sec0);
  EXPECT_FALSE(choose_security(old, 1).has_value());
}

TEST(DeviceAddress, ParsesHostPortAndIpv6) {
  EXPECT_EQ(*client::parse_device_address("127.0.0.1:8080"),
            (std::pair<std::string, int>{"127.0.0.1", 8080}));
  EXPECT_EQ(*client::parse_device_address("[::1]:80"), (std::pair<std::string, int>{"::1", 80}));
  EXPECT_EQ(*client::parse_device_address("node.local:8080"),
            (std::pair<std::string, int>{"node.local", 8080}));
  for (const char* bad : {"127.0.0.1", ":80", "host:0", "host:65536", "host:8x", "[::1:80", ""})
    EXPECT_FALSE(client::parse_device_address(bad).has_value()) << bad;
}

// An esp_local_ctrl device from protocomm's engines and codecs: `config` (read-only) and
// `params`, as esp_rmaker_local_ctrl.c registers them.
class LocalCtrlDevice final : public ProtocommChannel {
 public:
  LocalCtrlDevice(std::unique_ptr<protocomm::DeviceSecurity> security, int sec, int patch)
      : security_(std::move(security)), sec_(sec), patch_(patch) {}
  Result<std::string> send(std::string_view endpoint, std::string_view body) override {
    using namespace protocomm;
    if (endpoint == kEndpointLocalCtrlVersion)
      return to_json(LocalCtrlVersion{"v1.0", sec_, patch_});
    if (endpoint == kEndpointLocalCtrlSession) {
      auto a = security_->handle(body);
      if (!a)
        return fail(errc::unavailable, "the device closed the connection without an answer");
      return a;
    }
    if (endpoint != kEndpointLocalCtrlControl)
      return fail(errc::not_found, "not served");
    auto plain = security_->decrypt(body);
    if (!plain)
      return fail(errc::unavailable, "the device closed the connection without an answer");
    auto req = decode_local_ctrl_request(*plain);
    if (!req)
      return fail(errc::unavailable, "the device closed the connection without an answer");
    LocalCtrlResponse resp;
    if (std::holds_alternative<GetPropertyCount>(*req)) {
      resp = PropertyCount{Status::success, 2};
    } else if (const auto* g = std::get_if<GetPropertyValues>(&*req)) {
      PropertyValues v;
      for (auto i : g->indices) {
        if (i == kLocalCtrlPropConfig)
          v.props.push_back({Status::success, "config", 1, kLocalCtrlFlagReadOnly, config});
        else if (i == kLocalCtrlPropParams)
          v.props.push_back({Status::success, "params", 2, 0, params});
        else
          v = PropertyValues{Status::invalid_argument, {}};
      }
      resp = v;
    } else {
      const auto& s = std::get<SetPropertyValues>(*req);
      Status st = Status::success;
      for (const auto& p : s.props) {
        if (p.index == kLocalCtrlPropParams && p.value.starts_with("{"))
          params = p.value;
        else
          st = Status::invalid_argument;
      }
      resp = SetPropertyResult{st};
    }
    return security_->encrypt(encode_local_ctrl_response(resp));
  }
  std::string config = R"({"node_id":"7CDFA1B2C3D4","devices":[]})";
  std::string params = R"({"Light":{"Power":false}})";

 private:
  std::unique_ptr<protocomm::DeviceSecurity> security_;
  int sec_;
  int patch_;
};

TEST(LocalControlClient, ReadsAndSetsParamsUnderSec1AndSec2) {
  {
    LocalCtrlDevice device(std::make_unique<protocomm::Sec1Device>(std::string(kPop)), 1, 0);
    auto lc =
        LocalControl::connect(device, std::nullopt, SessionCredentials{std::string(kPop), {}, {}});
    ASSERT_TRUE(lc.has_value()) << lc.error().context;
    EXPECT_EQ(*lc->get("config"), device.config);
    EXPECT_EQ(*lc->get("params"), device.params);
    ASSERT_TRUE(lc->set("params", R"({"Light":{"Power":true}})").has_value());
    EXPECT_EQ(device.params, R"({"Light":{"Power":true}})");
    EXPECT_EQ(lc->set("config", "{}").error().code, errc::forbidden);
    EXPECT_EQ(lc->get("nope").error().code, errc::not_found);
    EXPECT_EQ(lc->set("params", "not json").error().code, errc::invalid_argument);
  }
  {
    auto verifier =
        protocomm::make_sec2_verifier(protocomm::kSec2Username, kPop, protocomm::system_random());
    ASSERT_TRUE(verifier.has_value());
    LocalCtrlDevice device(std::make_unique<protocomm::Sec2Device>(*verifier), 2, 1);
    auto lc = LocalControl::connect(device, 2, SessionCredentials{std::string(kPop), {}, {}});
    ASSERT_TRUE(lc.has_value()) << lc.error().context;
    EXPECT_EQ(*lc->get("params"), device.params);
  }
}

TEST(LocalControlClient, WrongPopAndWrongSecurityAreRefused) {
  LocalCtrlDevice device(std::make_unique<protocomm::Sec1Device>(std::string(kPop)), 1, 0);
  auto lc = LocalControl::connect(device, std::nullopt, SessionCredentials{"wrong", {}, {}});
  ASSERT_FALSE(lc.has_value());
  EXPECT_EQ(lc.error().code, errc::unauthenticated);
  auto other = LocalControl::connect(device, 2, SessionCredentials{std::string(kPop), {}, {}});
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().context, "the device offers security 1, not 2");
}

}  // namespace
}  // namespace stratus::cli
