// Proves challenge-response mapping over real HTTP, as esp-rainmaker-cli's
// challenge_response.py drives it: claim a node (ECDSA or RSA key), initiate with
// {"timeout":360}, let the "node" sign the challenge, verify with the lowercase hex
// signature → the user is the node's primary user. Wrong signatures, another user's
// request id, reuse, expiry and malformed bodies fail with their codes and map nothing.
// How: http::Server on 127.0.0.1 port 0 with the account, claim and mapping routes,
// real SQLite in a temp dir, a real CA, a ManualClock, the blocking test client.
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "api/account_routes.hpp"
#include "api/claim_routes.hpp"
#include "api/mapping_routes.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "core/metrics.hpp"
#include "http/server.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "pki/signature.hpp"
#include "server/broker_revocations.hpp"
#include "server/pki_certificate_issuer.hpp"
#include "server/pki_signature_verifier.hpp"
#include "service/account_service.hpp"
#include "service/challenge_mapping.hpp"
#include "service/claim_service.hpp"
#include "service/revocation_list.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/mapping_challenge_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/http_client.hpp"
#include "support/rainmaker_reply.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
namespace code = proto::rest::mapping_error;
using namespace std::chrono_literals;

std::string to_hex(std::string_view bytes) {  // Python's bytes.hex(): lower case
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

struct Node {
  std::string node_id;
  pki::PrivateKey key;
};

class ChallengeMappingHttpTest : public ::testing::Test {
 protected:
  ChallengeMappingHttpTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 3)),
        account_repository_(db_),
        claim_repository_(db_),
        node_repository_(db_),
        challenge_repository_(db_),
        signer_(*auth::TokenSigner::from_key(std::string(32, 'k'))),
        ca_(*pki::CertificateAuthority::create("Mapping HTTP CA", std::chrono::days(365), clock_)),
        issuer_(ca_, std::chrono::days(365), clock_),
        revocations_(dir_.path() / "revoked-certificates"),
        claims_(claim_repository_, node_repository_, issuer_, revocation_list_, clock_, {}, audit_),
        mapping_(challenge_repository_, claim_repository_, node_repository_, verifier_, clock_, {},
                 audit_),
        pool_(2) {
    service::AccountOptions account_options;
    account_options.argon2_ops_limit = 1;
    account_options.argon2_mem_limit_bytes = 8 * 1024;
    accounts_ = std::make_unique<service::AccountService>(account_repository_, mailer_, signer_,
                                                          clock_, account_options, audit_);
    http::Router router;
    api::add_account_routes(router, *accounts_, pool_);
    api::add_claim_routes(router, claims_, *accounts_, pool_);
    api::add_mapping_challenge_routes(router, *accounts_, mapping_, pool_);
    server_ = std::make_unique<http::Server>(http::ServerOptions{}, std::move(router), metrics_);
  }

  void SetUp() override {
    ASSERT_TRUE(server_->start());
    const auto hash = auth::hash_password("secret123", auth::PasswordHashParams{1, 8 * 1024});
    ASSERT_TRUE(hash);
    int n = 0;
    for (const auto& [user_id, email, token] : {std::tuple{"u-carol", "carol@example.com", &carol_},
                                                std::tuple{"u-dave", "dave@example.com", &dave_}}) {
      ASSERT_TRUE(account_repository_.create_user(
          storage::UserRecord{user_id, email, *hash, true, false, "", ++n, 1}));
      auto tokens = accounts_->log_in(email, "secret123", "127.0.0.1");
      ASSERT_TRUE(tokens) << tokens.error().message();
      *token = tokens->access_token;
    }
  }

  // The pool is drained before the server's io_context goes: a handler's tail on the pool
  // still holds that io_context's executor (src/server/server.cpp stops in the same order).
  void TearDown() override {
    server_->stop();
    pool_.join();
  }

  HttpReply post(std::string_view target, std::string_view body, const std::string& token) {
    HeaderList h{{"Content-Type", "application/json"}};
    if (!token.empty())
      h.emplace_back("Authorization", token);
    return http_request("127.0.0.1", server_->port(), "POST", target, body, h);
  }

  // A node claimed by carol over HTTP, as `esp-rainmaker-cli claim` does it.
  Node claim_node(std::string_view mac, pki::KeyType type) {
    auto init =
        post("/claim/initiate",
             json::serialize(json::object{{"mac_addr", mac}, {"platform", "host"}}), carol_);
    EXPECT_EQ(init.status, 200) << init.body;
    std::string node_id(json_object(init).at("node_id").as_string());
    auto key = pki::PrivateKey::generate(type);
    EXPECT_TRUE(key);
    auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
    auto verify = post("/claim/verify?matter=False&test=True",
                       json::serialize(json::object{{"csr", *csr}}), carol_);
    EXPECT_EQ(verify.status, 200) << verify.body;
    return Node{std::move(node_id), std::move(*key)};
  }

  // initiate_challenge_mapping(): {"timeout":360} → (request_id, challenge).
  std::pair<std::string, std::string> initiate(const std::string& token,
                                               std::string_view body = R"({"timeout": 360})") {
    auto r = post("/v1/user/nodes/mapping/initiate", body, token);
    EXPECT_EQ(r.status, 200) << r.body;
    const auto o = json_object(r);
    if (!o.contains("request_id") || !o.contains("challenge"))
      return {};
    return {std::string(o.at("request_id").as_string()),
            std::string(o.at("challenge").as_string())};
  }

  // The device: signs challenge_str.encode('utf-8') with its MQTT key.
  static std::string node_response(const Node& node, const std::string& challenge) {
    auto signature = pki::sign_message(node.key, challenge);
    EXPECT_TRUE(signature);
    return to_hex(*signature);
  }

  // verify_challenge_response(): {"request_id","node_id","challenge_response"}.
  HttpReply verify(const std::string& token, const std::string& request_id,
                   const std::string& node_id, const std::string& response) {
    return post(
        "/v1/user/nodes/mapping/verify",
        json::serialize(json::object{
            {"request_id", request_id}, {"node_id", node_id}, {"challenge_response", response}}),
        token);
  }

  bool mapped(const std::string& user_id, const std::string& node_id) {
    auto node = node_repository_.get_user_node(user_id, node_id);
    return node && node->role == "primary";
  }

  TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository account_repository_;
  storage::sql::SqlClaimRepository claim_repository_;
  storage::sql::SqlNodeRepository node_repository_;
  storage::sql::SqlMappingChallengeRepository challenge_repository_;
  auth::TokenSigner signer_;
  NoMail mailer_;
  pki::CertificateAuthority ca_;
  server::PkiCertificateIssuer issuer_;
  server::PkiSignatureVerifier verifier_;
  server::BrokerRevocations revocations_;
  service::RevocationList revocation_list_{claim_repository_, revocations_, clock_};
  service::ClaimService claims_;
  service::ChallengeMapping mapping_;
  boost::asio::thread_pool pool_;
  MetricsRegistry metrics_;
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<http::Server> server_;
  std::string carol_, dave_;
};

TEST_F(ChallengeMappingHttpTest, TheCliFlowMapsTheNodeForEcdsaAndRsaKeys) {
  int n = 0;
  for (const auto type : {pki::KeyType::ecdsa_p256, pki::KeyType::rsa_2048}) {
    const Node node = claim_node(n++ == 0 ? "7CDFA100033B" : "7CDFA1000344", type);
    auto init = post("/v1/user/nodes/mapping/initiate", R"({"timeout": 360})", carol_);
    ASSERT_EQ(init.status, 200) << init.body;
    EXPECT_TRUE(init.header("Content-Length"));
    const auto o = json_object(init);
    ASSERT_TRUE(o.contains("request_id") && o.at("request_id").is_string()) << init.body;
    ASSERT_TRUE(o.contains("challenge") && o.at("challenge").is_string()) << init.body;
    const std::string request_id(o.at("request_id").as_string());
    const std::string challenge(o.at("challenge").as_string());
    EXPECT_FALSE(request_id.empty());
    EXPECT_FALSE(challenge.empty());
    EXPECT_FALSE(mapped("u-carol", node.node_id));

    auto r = verify(carol_, request_id, node.node_id, node_response(node, challenge));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = json_object(r);
    EXPECT_EQ(body.at("status").as_string(), "success");
    EXPECT_FALSE(body.at("description").as_string().empty());
    EXPECT_TRUE(mapped("u-carol", node.node_id)) << pki::to_string(type);
  }
}

TEST_F(ChallengeMappingHttpTest, TagsMetadataAndAnEmptyInitiateBodyAreAccepted) {
  const Node node = claim_node("7CDFA100033B", pki::KeyType::ecdsa_p256);
  const auto [request_id, challenge] = initiate(carol_, "");
  ASSERT_FALSE(request_id.empty());
  auto r = post("/v1/user/nodes/mapping/verify",
                json::serialize(json::object{{"request_id", request_id},
                                             {"node_id", node.node_id},
                                             {"challenge_response", node_response(node, challenge)},
                                             {"tags", json::array{"room:kitchen"}},
                                             {"metadata", json::object{{"k", 1}}}}),
                carol_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(mapped("u-carol", node.node_id));
}

TEST_F(ChallengeMappingHttpTest, AWrongSignatureIsRefusedAndMapsNothing) {
  const Node node = claim_node("7CDFA100033B", pki::KeyType::rsa_2048);
  const Node other = claim_node("7CDFA1000344", pki::KeyType::ecdsa_p256);
  const auto [request_id, challenge] = initiate(carol_);
  expect_failure(verify(carol_, request_id, node.node_id, node_response(other, challenge)), 400,
                 code::invalid_response);
  EXPECT_FALSE(mapped("u-carol", node.node_id));
  // The request allowed one attempt.
  expect_failure(verify(carol_, request_id, node.node_id, node_response(node, challenge)), 409,
                 code::request_used);
  EXPECT_FALSE(mapped("u-carol", node.node_id));
}

TEST_F(ChallengeMappingHttpTest, AnotherUsersRequestIdIsNotFound) {
  const Node node = claim_node("7CDFA100033B", pki::KeyType::ecdsa_p256);
  const auto [request_id, challenge] = initiate(carol_);
  const std::string response = node_response(node, challenge);
  expect_failure(verify(dave_, request_id, node.node_id, response), 404, code::request_not_found);
  EXPECT_FALSE(mapped("u-dave", node.node_id));
  EXPECT_FALSE(mapped("u-carol", node.node_id));
  EXPECT_EQ(verify(carol_, request_id, node.node_id, response).status, 200);
}

TEST_F(ChallengeMappingHttpTest, AReusedRequestIsRefused) {
  const Node node = claim_node("7CDFA100033B", pki::KeyType::ecdsa_p256);
  const auto [request_id, challenge] = initiate(carol_);
  const std::string response = node_response(node, challenge);
  ASSERT_EQ(verify(carol_, request_id, node.node_id, response).status, 200);
  ASSERT_TRUE(node_repository_.write([&](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.remove_user("u-carol", node.node_id, "test", 0); !r)
      return fail(r.error());
    return {};
  }));
  expect_failure(verify(carol_, request_id, node.node_id, response), 409, code::request_used);
  EXPECT_FALSE(mapped("u-carol", node.node_id));
}

TEST_F(ChallengeMappingHttpTest, AnExpiredRequestTimesOut) {
  const Node node = claim_node("7CDFA100033B", pki::KeyType::ecdsa_p256);
  const auto [request_id, challenge] = initiate(carol_, R"({"timeout": 30})");
  clock_.advance(30s);  // the access token lives an hour; the request 30 s
  expect_failure(verify(carol_, request_id, node.node_id, node_response(node, challenge)), 409,
                 code::timed_out);
  EXPECT_FALSE(mapped("u-carol", node.node_id));
}

TEST_F(ChallengeMappingHttpTest, MalformedRequestsGetClearFailuresAndMapNothing) {
  const Node node = claim_node("7CDFA100033B", pki::KeyType::ecdsa_p256);
  const std::string init = "/v1/user/nodes/mapping/initiate";
  const std::string ver = "/v1/user/nodes/mapping/verify";
  EXPECT_EQ(post(init, R"({"timeout":360})", "").status, 401);
  EXPECT_EQ(post(ver, "{}", "not-a-jwt").status, 401);
  expect_failure(post(init, "{not json", carol_), 400, 100006);
  expect_failure(post(init, "[360]", carol_), 400, 100006);
  for (const char* bad :
       {R"({"timeout":"360"})", R"({"timeout":0})", R"({"timeout":-5})", R"({"timeout":3601})",
        R"({"timeout":1.5})", R"({"timeout":true})", R"({"timeout":18446744073709551615})"}) {
    expect_failure(post(init, bad, carol_), 400, code::timeout_invalid);
  }

  const auto [request_id, challenge] = initiate(carol_);
  const std::string response = node_response(node, challenge);
  const auto body = [&](json::object o) { return json::serialize(o); };
  expect_failure(post(ver, "", carol_), 400, 100006);
  expect_failure(post(ver, "{\"request_id\":", carol_), 400, 100006);
  expect_failure(
      post(ver,
           body({{"request_id", 42}, {"node_id", node.node_id}, {"challenge_response", response}}),
           carol_),
      400, 100006);
  expect_failure(post(ver,
                      body({{"request_id", request_id},
                            {"node_id", node.node_id},
                            {"challenge_response", response},
                            {"tags", "room:kitchen"}}),
                      carol_),
                 400, 100006);
  expect_failure(post(ver,
                      body({{"request_id", request_id},
                            {"node_id", node.node_id},
                            {"challenge_response", response},
                            {"tags", json::array{1}}}),
                      carol_),
                 400, 100006);
  expect_failure(post(ver,
                      body({{"request_id", request_id},
                            {"node_id", node.node_id},
                            {"challenge_response", response},
                            {"metadata", "x"}}),
                      carol_),
                 400, 100006);
  expect_failure(
      post(ver, body({{"node_id", node.node_id}, {"challenge_response", response}}), carol_), 400,
      code::request_id_missing);
  expect_failure(
      post(ver, body({{"request_id", request_id}, {"challenge_response", response}}), carol_), 400,
      code::node_id_invalid);
  expect_failure(post(ver, body({{"request_id", request_id}, {"node_id", node.node_id}}), carol_),
                 400, code::response_missing);
  expect_failure(verify(carol_, request_id, node.node_id, "not hex"), 400, code::invalid_response);
  expect_failure(verify(carol_, "no-such-request", node.node_id, response), 404,
                 code::request_not_found);
  expect_failure(verify(carol_, request_id, "NeverClaimed", response), 404, code::no_certificate);
  EXPECT_FALSE(mapped("u-carol", node.node_id));

  // None of the refusals above used the request up.
  EXPECT_EQ(verify(carol_, request_id, node.node_id, response).status, 200);
  EXPECT_TRUE(mapped("u-carol", node.node_id));
}

}  // namespace
}  // namespace stratus::test
