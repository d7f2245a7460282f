// Proves the node's local-control and on-network challenge-response engines answer as the
// firmware does (spec rainmaker-device.md §4.2, §5; esp-rainmaker esp_rmaker_local_ctrl.c,
// esp_rmaker_on_network_chal_resp.c; ESP-IDF esp_local_ctrl_handler.c): the version JSON,
// sessions under security 1 and 2 opened by protocomm's client engines, a wrong PoP and
// tampered ciphertext refused, the two properties (`config` read-only, `params`) with the
// firmware's types and flags, a set validated, applied and reported exactly like a
// `params/remote` set (and kept for the next connection when offline), the read-only and
// out-of-range statuses, the `Local Control` service, and the on-network `ch_resp` whose
// signature verifies with the node certificate until a client disables it. How: engines
// driven in process with a NodeModel/NodeSession, a manual clock and pki's keys.
#include "agent/local_control.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>

#include "agent/on_network.hpp"
#include "agent/standard.hpp"
#include "pki/authority.hpp"
#include "pki/key.hpp"
#include "pki/signature.hpp"
#include "protocomm/capabilities.hpp"
#include "protocomm/local_ctrl.hpp"
#include "protocomm/mapping.hpp"
#include "protocomm/security0.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"

namespace stratus::agent {
namespace {

using namespace std::chrono_literals;
using protocomm::SecurityVersion;
using protocomm::Status;
namespace json = boost::json;

constexpr std::string_view kNodeId = "7CDFA1B2C3D4";
constexpr std::string_view kPop = "1a2b3c4d";

std::unique_ptr<NodeModel> light_node() {
  model::NodeInfo info;
  info.name = "Lamp";
  info.fw_version = "1.0";
  info.type = "Lightbulb";
  auto node = std::make_unique<NodeModel>(std::string(kNodeId), info);
  model::DeviceSpec light;
  light.name = "Light";
  light.type = "esp.device.lightbulb";
  light.params = {standard::name_param(), standard::power_param(), standard::brightness_param()};
  EXPECT_TRUE(node->add_device(light, {{"Name", "Lamp"}, {"Power", false}, {"Brightness", 50}})
                  .has_value());
  EXPECT_TRUE(node->add_service(standard::local_control_service(),
                                {{"POP", std::string(kPop)}, {"Type", 1}})
                  .has_value());
  return node;
}

std::unique_ptr<protocomm::ClientSecurity> client(SecurityVersion sec,
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

// Runs the handshake of `client` against `handle(session endpoint, body)`.
template <class Handle>
Result<void> open(Handle handle, protocomm::ClientSecurity& c) {
  auto request = c.start();
  if (!request) {
    return fail(request.error());
  }
  std::optional<std::string> next = *request;
  while (next) {
    auto answer = handle(*next);
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

class LocalControlTest : public ::testing::Test {
 protected:
  ManualClock clock{std::chrono::system_clock::time_point(1'700'000'000s)};
  std::unique_ptr<NodeModel> node = light_node();
  NodeSession session{*node, clock};
  MqttActions out;

  std::unique_ptr<LocalControlEngine> make(SecurityVersion sec,
                                           std::string pop = std::string(kPop)) {
    LocalControlOptions options;
    options.security = sec;
    options.pop = std::move(pop);
    auto engine = LocalControlEngine::create(std::move(options));
    EXPECT_TRUE(engine.has_value()) << engine.error().context;
    return std::move(*engine);
  }

  Result<void> open_session(LocalControlEngine& engine, protocomm::ClientSecurity& c) {
    return open(
        [&](std::string_view body) {
          return engine.handle(protocomm::kEndpointLocalCtrlSession, body, session, out);
        },
        c);
  }

  // One control request/response through the session.
  Result<protocomm::LocalCtrlResponse> control(LocalControlEngine& engine,
                                               protocomm::ClientSecurity& c,
                                               const protocomm::LocalCtrlRequest& request) {
    auto sealed = c.encrypt(protocomm::encode_local_ctrl_request(request));
    if (!sealed) {
      return fail(sealed.error());
    }
    auto answer = engine.handle(protocomm::kEndpointLocalCtrlControl, *sealed, session, out);
    if (!answer) {
      return fail(answer.error());
    }
    auto plain = c.decrypt(*answer);
    if (!plain) {
      return fail(plain.error());
    }
    return protocomm::decode_local_ctrl_response(*plain);
  }

  Status set(LocalControlEngine& engine, protocomm::ClientSecurity& c,
             std::vector<protocomm::PropertyValue> props) {
    auto answer = control(engine, c, protocomm::SetPropertyValues{std::move(props)});
    EXPECT_TRUE(answer.has_value()) << answer.error().context;
    return std::get<protocomm::SetPropertyResult>(*answer).status;
  }
};

TEST_F(LocalControlTest, VersionJsonNamesTheSecurityAsEspLocalCtrlDoes) {
  auto sec1 = make(SecurityVersion::sec1);
  EXPECT_EQ(*sec1->handle(protocomm::kEndpointLocalCtrlVersion, "---", session, out),
            R"({"local_ctrl":{"ver":"v1.0","sec_ver":1,"sec_patch_ver":0}})");
  auto sec2 = make(SecurityVersion::sec2);
  auto version = protocomm::parse_local_ctrl_version(
      *sec2->handle(protocomm::kEndpointLocalCtrlVersion, "", session, out));
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(version->sec_ver, 2);
  EXPECT_EQ(version->sec_patch_ver, 1);
  EXPECT_TRUE(sec1->serves("esp_local_ctrl/control"));
  EXPECT_FALSE(sec1->serves("prov-config"));
  EXPECT_EQ(sec1->handle("prov-config", "x", session, out).error().code, errc::not_found);
}

TEST_F(LocalControlTest, PropertiesAreConfigReadOnlyAndParamsUnderSecurity1And2) {
  for (const auto sec : {SecurityVersion::sec1, SecurityVersion::sec2}) {
    SCOPED_TRACE(static_cast<int>(sec));
    auto engine = make(sec);
    auto c = client(sec);
    ASSERT_TRUE(open_session(*engine, *c).has_value());

    auto count = control(*engine, *c, protocomm::GetPropertyCount{});
    ASSERT_TRUE(count.has_value()) << count.error().context;
    EXPECT_EQ(std::get<protocomm::PropertyCount>(*count),
              (protocomm::PropertyCount{Status::success, 2}));

    // The CLI reads one index at a time; both at once work too.
    auto values = control(*engine, *c, protocomm::GetPropertyValues{{0, 1}});
    ASSERT_TRUE(values.has_value());
    const auto& props = std::get<protocomm::PropertyValues>(*values);
    EXPECT_EQ(props.status, Status::success);
    ASSERT_EQ(props.props.size(), 2U);
    EXPECT_EQ(props.props[0].name, "config");
    EXPECT_EQ(props.props[0].type, 1U);
    EXPECT_EQ(props.props[0].flags, protocomm::kLocalCtrlFlagReadOnly);
    EXPECT_EQ(props.props[0].value, node->config_json());
    EXPECT_NE(props.props[0].value.find("esp.service.local_control"), std::string::npos);
    EXPECT_EQ(props.props[1].name, "params");
    EXPECT_EQ(props.props[1].type, 2U);
    EXPECT_EQ(props.props[1].flags, 0U);
    const auto params = json::parse(props.props[1].value);
    EXPECT_EQ(params.at("Light").at("Power"), false);
    EXPECT_EQ(params.at("Local Control").at("POP"), json::value(std::string(kPop)));
    EXPECT_EQ(params.at("Local Control").at("Type"), 1);
  }
}

TEST_F(LocalControlTest, SetIsValidatedAppliedAndReportedExactlyLikeACloudSet) {
  session.on_connected(out);
  out.clear();
  auto engine = make(SecurityVersion::sec1);
  auto c = client(SecurityVersion::sec1);
  ASSERT_TRUE(open_session(*engine, *c).has_value());

  // Brightness 150 is out of range and POP is read-only: refused param by param, as a
  // params/remote set refuses them; the status is still success (the firmware's).
  EXPECT_EQ(set(*engine, *c,
                {{1, R"({"Light":{"Power":true,"Brightness":150},"Local Control":{"POP":"x"}})"}}),
            Status::success);
  EXPECT_EQ(*node->value("Light", "Power"), true);
  EXPECT_EQ(*node->value("Light", "Brightness"), 50);
  EXPECT_EQ(*node->value("Local Control", "POP"), json::value(std::string(kPop)));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].topic, "node/" + std::string(kNodeId) + "/params/local");
  EXPECT_EQ(out[0].payload, R"({"Light":{"Power":true}})");
  EXPECT_EQ(session.stats().local_sets, 1U);
  EXPECT_EQ(session.stats().remote_sets, 0U);
  EXPECT_EQ(session.stats().refused_params, 2U);

  // The same document as a cloud set does the same.
  out.clear();
  session.on_message("node/" + std::string(kNodeId) + "/params/remote",
                     R"({"Light":{"Power":false,"Brightness":150}})", out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].payload, R"({"Light":{"Power":false}})");
}

TEST_F(LocalControlTest, SetWhileOfflineIsAppliedAndReportedOnTheNextConnection) {
  session.on_connected(out);
  session.on_disconnected();
  out.clear();
  auto engine = make(SecurityVersion::sec1);
  auto c = client(SecurityVersion::sec1);
  ASSERT_TRUE(open_session(*engine, *c).has_value());
  EXPECT_EQ(set(*engine, *c, {{1, R"({"Light":{"Brightness":80}})"}}), Status::success);
  EXPECT_EQ(*node->value("Light", "Brightness"), 80);
  EXPECT_TRUE(out.empty()) << "nothing is sent while the broker is unreachable";
  session.on_connected(out);
  bool reported = false;
  for (const auto& a : out) {
    reported = reported || (a.topic.ends_with("/params/local") &&
                            a.payload == R"({"Light":{"Brightness":80}})");
  }
  EXPECT_TRUE(reported);
}

TEST_F(LocalControlTest, ReadOnlyOutOfRangeAndNonJsonSetsAreRefusedWithTheFirmwareStatus) {
  auto engine = make(SecurityVersion::sec1);
  auto c = client(SecurityVersion::sec1);
  ASSERT_TRUE(open_session(*engine, *c).has_value());
  const auto before = json::serialize(node->params());

  // `config` is read-only: the whole set is refused, params included.
  EXPECT_EQ(set(*engine, *c, {{1, R"({"Light":{"Power":true}})"}, {0, "{}"}}),
            Status::invalid_argument);
  EXPECT_EQ(set(*engine, *c, {{2, "{}"}}), Status::invalid_argument);
  EXPECT_EQ(set(*engine, *c, {{1, "not json"}}), Status::internal_error);
  EXPECT_EQ(set(*engine, *c, {{1, "[1]"}}), Status::internal_error);
  EXPECT_EQ(json::serialize(node->params()), before);

  auto values = control(*engine, *c, protocomm::GetPropertyValues{{1, 7}});
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(std::get<protocomm::PropertyValues>(*values),
            (protocomm::PropertyValues{Status::invalid_argument, {}}));
  // More indices than `max_properties` (10): refused, not the config eleven times over.
  auto many = control(*engine, *c, protocomm::GetPropertyValues{std::vector<std::uint32_t>(11, 0)});
  ASSERT_TRUE(many.has_value());
  EXPECT_EQ(std::get<protocomm::PropertyValues>(*many),
            (protocomm::PropertyValues{Status::invalid_argument, {}}));
  auto ten = control(*engine, *c, protocomm::GetPropertyValues{std::vector<std::uint32_t>(10, 1)});
  ASSERT_TRUE(ten.has_value());
  EXPECT_EQ(std::get<protocomm::PropertyValues>(*ten).props.size(), 10u);
  EXPECT_EQ(set(*engine, *c, std::vector<protocomm::PropertyValue>(11, {1, "{}"})),
            Status::invalid_argument);
  // The session survives refused requests.
  EXPECT_TRUE(control(*engine, *c, protocomm::GetPropertyCount{}).has_value());
}

TEST_F(LocalControlTest, WrongPopIsRefusedAndNothingIsServedWithoutASession) {
  for (const auto sec : {SecurityVersion::sec1, SecurityVersion::sec2}) {
    SCOPED_TRACE(static_cast<int>(sec));
    auto engine = make(sec);
    auto wrong = client(sec, "00000000");
    EXPECT_FALSE(open_session(*engine, *wrong).has_value());
    auto plain = protocomm::encode_local_ctrl_request(protocomm::GetPropertyCount{});
    EXPECT_FALSE(engine->handle(protocomm::kEndpointLocalCtrlControl, plain, session, out));
    // After a failure the right PoP opens a new session.
    engine->new_session();
    auto right = client(sec);
    EXPECT_TRUE(open_session(*engine, *right).has_value());
  }
}

TEST_F(LocalControlTest, TamperedCiphertextIsRefusedAndChangesNothing) {
  for (const auto sec : {SecurityVersion::sec1, SecurityVersion::sec2}) {
    SCOPED_TRACE(static_cast<int>(sec));
    auto engine = make(sec);
    auto c = client(sec);
    ASSERT_TRUE(open_session(*engine, *c).has_value());
    auto sealed = c->encrypt(protocomm::encode_local_ctrl_request(
        protocomm::SetPropertyValues{{{1, R"({"Light":{"Power":true}})"}}}));
    ASSERT_TRUE(sealed.has_value());
    sealed->back() = static_cast<char>(sealed->back() ^ 0x01);
    auto answer = engine->handle(protocomm::kEndpointLocalCtrlControl, *sealed, session, out);
    if (sec == SecurityVersion::sec2) {
      EXPECT_FALSE(answer.has_value()) << "AES-GCM tag";
    }
    // Sec1 (AES-CTR) has no tag, as protocomm's: the flipped bit breaks the JSON document,
    // which is then refused. Either way nothing is applied.
    EXPECT_EQ(*node->value("Light", "Power"), false);
  }
}

TEST_F(LocalControlTest, Security0AndPopGeneration) {
  auto engine = make(SecurityVersion::sec0, "");
  auto c = client(SecurityVersion::sec0);
  ASSERT_TRUE(open_session(*engine, *c).has_value());
  auto count = control(*engine, *c, protocomm::GetPropertyCount{});
  ASSERT_TRUE(count.has_value());
  EXPECT_EQ(std::get<protocomm::PropertyCount>(*count).count, 2U);

  LocalControlOptions sec2;
  sec2.security = SecurityVersion::sec2;
  EXPECT_EQ(LocalControlEngine::create(sec2).error().code, errc::invalid_argument);

  auto fixed = [](std::span<std::uint8_t> bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<std::uint8_t>(0xA0 + i);
    }
  };
  EXPECT_EQ(make_local_control_pop(fixed), "a0a1a2a3");
  EXPECT_EQ(make_local_control_pop(protocomm::system_random()).size(), 8U);

  const auto service = standard::local_control_service();
  EXPECT_EQ(service.name, "Local Control");
  EXPECT_EQ(service.type, "esp.service.local_control");
  ASSERT_EQ(service.params.size(), 2U);
  EXPECT_EQ(service.params[0].type, "esp.param.local_control_pop");
  EXPECT_EQ(service.params[1].type, "esp.param.local_control_type");
}

// --- on-network challenge-response -----------------------------------------------------

class OnNetworkTest : public ::testing::Test {
 protected:
  ManualClock clock{std::chrono::system_clock::time_point(1'700'000'000s)};
  std::shared_ptr<pki::PrivateKey> key =
      std::make_shared<pki::PrivateKey>(*pki::PrivateKey::generate(pki::KeyType::ecdsa_p256));

  std::unique_ptr<OnNetworkChallengeEngine> make(SecurityVersion sec, std::string pop) {
    OnNetworkOptions options;
    options.node_id = std::string(kNodeId);
    options.security = sec;
    options.pop = std::move(pop);
    options.sign = [k = key](std::string_view challenge) {
      return pki::sign_message(*k, challenge);
    };
    auto engine = OnNetworkChallengeEngine::create(std::move(options));
    EXPECT_TRUE(engine.has_value()) << engine.error().context;
    return std::move(*engine);
  }

  static Result<protocomm::ChRespResponse> call(OnNetworkChallengeEngine& engine,
                                                protocomm::ClientSecurity& c,
                                                const protocomm::ChRespRequest& request) {
    auto sealed = c.encrypt(protocomm::encode_ch_resp_request(request));
    if (!sealed) {
      return fail(sealed.error());
    }
    auto answer = engine.handle(protocomm::kEndpointChallengeResponse, *sealed);
    if (!answer) {
      return fail(answer.error());
    }
    auto plain = c.decrypt(*answer);
    if (!plain) {
      return fail(plain.error());
    }
    return protocomm::decode_ch_resp_response(*plain);
  }
};

TEST_F(OnNetworkTest, SignsChallengesUnderEachSecurityUntilDisabled) {
  for (const auto& [sec, pop] :
       std::vector<std::pair<SecurityVersion, std::string>>{{SecurityVersion::sec1, ""},
                                                            {SecurityVersion::sec1, "p0p"},
                                                            {SecurityVersion::sec2, "p0p"}}) {
    SCOPED_TRACE(static_cast<int>(sec));
    auto engine = make(sec, pop);
    EXPECT_EQ(*engine->handle("esp_local_ctrl/version", "---"),
              R"({"on_network":{"ver":"v1.0","cap":["ch_resp"]}})");
    EXPECT_TRUE(engine->serves("ch_resp"));
    EXPECT_FALSE(engine->serves("esp_local_ctrl/control"));
    auto c = client(sec, pop);
    ASSERT_TRUE(
        open([&](std::string_view b) { return engine->handle("esp_local_ctrl/session", b); }, *c)
            .has_value());

    auto answer = call(*engine, *c, protocomm::ChallengeRequest{"challenge-from-cloud"});
    ASSERT_TRUE(answer.has_value()) << answer.error().context;
    const auto& signed_answer = std::get<protocomm::ChallengeResponse>(*answer);
    EXPECT_EQ(signed_answer.status, protocomm::ChRespStatus::success);
    EXPECT_EQ(signed_answer.node_id, kNodeId);
    // The cloud's check (pki::verify_signature with the node certificate) passes.
    auto ca = pki::CertificateAuthority::create("test CA", std::chrono::days(1), clock);
    auto cert = ca->issue_device_certificate(*key, kNodeId, clock.now() - 1h, clock.now() + 24h);
    ASSERT_TRUE(cert.has_value());
    EXPECT_TRUE(
        pki::verify_signature(*cert, "challenge-from-cloud", signed_answer.signature).has_value());
    EXPECT_EQ(engine->challenges_signed(), 1U);
    EXPECT_FALSE(engine->finished());

    ASSERT_TRUE(call(*engine, *c, protocomm::DisableChallengeResponseRequest{}).has_value());
    EXPECT_TRUE(engine->finished());
    auto after = call(*engine, *c, protocomm::ChallengeRequest{"again"});
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(std::get<protocomm::ChallengeResponse>(*after).status,
              protocomm::ChRespStatus::disabled);
    EXPECT_EQ(engine->challenges_signed(), 1U);
  }
}

TEST_F(OnNetworkTest, WrongPopTamperingAndMissingSignerAreRefused) {
  auto engine = make(SecurityVersion::sec2, "p0p");
  auto wrong = client(SecurityVersion::sec2, "nope");
  EXPECT_FALSE(
      open([&](std::string_view b) { return engine->handle("esp_local_ctrl/session", b); }, *wrong)
          .has_value());
  EXPECT_EQ(engine->handle("ch_resp", "\x08\x00").error().code, errc::conflict);
  engine->new_session();
  auto c = client(SecurityVersion::sec2, "p0p");
  ASSERT_TRUE(
      open([&](std::string_view b) { return engine->handle("esp_local_ctrl/session", b); }, *c)
          .has_value());
  auto sealed = c->encrypt(protocomm::encode_ch_resp_request(protocomm::ChallengeRequest{"c"}));
  ASSERT_TRUE(sealed.has_value());
  (*sealed)[0] = static_cast<char>((*sealed)[0] ^ 0x80);
  EXPECT_FALSE(engine->handle("ch_resp", *sealed).has_value());
  EXPECT_EQ(engine->challenges_signed(), 0U);

  OnNetworkOptions no_signer;
  no_signer.node_id = "N";
  EXPECT_EQ(OnNetworkChallengeEngine::create(no_signer).error().code, errc::invalid_argument);
}

}  // namespace
}  // namespace stratus::agent
