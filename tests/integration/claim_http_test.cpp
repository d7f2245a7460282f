// Proves the claiming API over real HTTP: the RainMaker CLI's host-driven flow
// (login, claim/initiate, claim/verify with the CLI's query string) yields a
// certificate for the node id signed by the CA; self claiming is refused when
// the policy says deny; bad bodies get clear failures and store nothing; the
// certificates a re-claim revoked are in the CA's revocation list that
// GET /crl/stratus-ca.crl serves, which OpenSSL then applies (docs/adr/0037).
// How: http::Server on 127.0.0.1 port 0 with the account and claim routes,
// real SQLite in a temp dir, a real CA, the blocking test client.
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "api/account_routes.hpp"
#include "api/claim_routes.hpp"
#include "api/system_routes.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "core/metrics.hpp"
#include "http/server.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "proto/rest/error_codes.hpp"
#include "server/broker_revocations.hpp"
#include "server/pki_certificate_issuer.hpp"
#include "service/account_service.hpp"
#include "service/ca_revocation_list.hpp"
#include "service/claim_service.hpp"
#include "service/revocation_list.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/crl_check.hpp"
#include "support/http_client.hpp"
#include "support/rainmaker_reply.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
namespace code = proto::rest::claim_error;
using namespace std::chrono_literals;

constexpr std::string_view kCrlUrl = "http://stratus.test:8080/crl/stratus-ca.crl";

class ClaimHttpTest : public ::testing::Test {
 protected:
  ClaimHttpTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 3)),
        account_repository_(db_),
        claim_repository_(db_),
        node_repository_(db_),
        signer_(*auth::TokenSigner::from_key(std::string(32, 'k'))),
        ca_(*pki::CertificateAuthority::create("Claim HTTP CA", std::chrono::days(365), clock_)),
        issuer_(ca_, std::chrono::days(365), clock_, std::string(kCrlUrl)),
        revocations_(dir_.path() / "revoked-certificates"),
        pool_(2) {
    service::AccountOptions account_options;
    account_options.argon2_ops_limit = 1;
    account_options.argon2_mem_limit_bytes = 8 * 1024;
    accounts_ = std::make_unique<service::AccountService>(account_repository_, mailer_, signer_,
                                                          clock_, account_options, audit_);
    service::ClaimOptions claim_options;
    claim_options.mqtt_host = "mqtt.stratus.test";
    claims_ =
        std::make_unique<service::ClaimService>(claim_repository_, node_repository_, issuer_,
                                                revocation_list_, clock_, claim_options, audit_);
    http::Router router;
    api::add_account_routes(router, *accounts_, pool_);
    api::add_claim_routes(router, *claims_, *accounts_, pool_,
                          api::ClaimAnswerExtras{ca_.certificate().to_pem(), 18883});
    api::add_ca_revocation_list_route(router, crl_, pool_);
    http::ServerOptions options;
    options.max_body_bytes = 4 << 20;  // let a 1 MB csr reach the handler
    server_ = std::make_unique<http::Server>(options, std::move(router), metrics_);
  }

  void SetUp() override {
    ASSERT_TRUE(server_->start());
    const auto hash = auth::hash_password("secret123", auth::PasswordHashParams{1, 8 * 1024});
    ASSERT_TRUE(hash);
    ASSERT_TRUE(account_repository_.create_user(
        storage::UserRecord{"u-1", "carol@example.com", *hash, true, false, "", 1, 1}));
    auto tokens = accounts_->log_in("carol@example.com", "secret123", "127.0.0.1");
    ASSERT_TRUE(tokens) << tokens.error().message();
    token_ = tokens->access_token;
  }

  // The pool is drained before the server's io_context goes: a handler's tail on the pool
  // still holds that io_context's executor (src/server/server.cpp stops in the same order).
  void TearDown() override {
    server_->stop();
    pool_.join();
  }

  HttpReply post(std::string_view target, std::string_view body, bool with_token) {
    HeaderList h{{"Content-Type", "application/json"}};
    if (with_token)
      h.emplace_back("Authorization", token_);
    return http_request("127.0.0.1", server_->port(), "POST", target, body, h);
  }

  void expect_nothing_stored() {
    EXPECT_EQ(*claim_repository_.count_user_nodes("u-1"), 0);
    EXPECT_EQ(*claim_repository_.count_certificates(), 0);
  }

  TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository account_repository_;
  storage::sql::SqlClaimRepository claim_repository_;
  storage::sql::SqlNodeRepository node_repository_;
  auth::TokenSigner signer_;
  NoMail mailer_;
  pki::CertificateAuthority ca_;
  server::PkiCertificateIssuer issuer_;
  server::BrokerRevocations revocations_;
  service::RevocationList revocation_list_{claim_repository_, revocations_, clock_};
  service::CaRevocationList crl_{claim_repository_, issuer_, clock_};
  boost::asio::thread_pool pool_;
  MetricsRegistry metrics_;
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<service::ClaimService> claims_;
  std::unique_ptr<http::Server> server_;
  std::string token_;
};

TEST_F(ClaimHttpTest, HostDrivenClaimAsTheCliDoesIt) {
  // claim.py: initiate with the MAC and platform "host", CSR with CN = node_id
  // (RSA-2048 in older CLIs, ECDSA P-256 in newer), verify with ?matter=False&test=True.
  auto init = post("/claim/initiate", R"({"mac_addr": "7CDFA100033B", "platform": "host"})", true);
  ASSERT_EQ(init.status, 200) << init.body;
  EXPECT_TRUE(init.header("Content-Length")) << "the firmware needs a Content-Length";
  const std::string node_id(json_object(init).at("node_id").as_string());
  ASSERT_EQ(node_id.size(), 22u);

  for (const auto type : {pki::KeyType::rsa_2048, pki::KeyType::ecdsa_p256}) {
    auto key = pki::PrivateKey::generate(type);
    ASSERT_TRUE(key);
    auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
    ASSERT_TRUE(csr);
    auto verify = post("/claim/verify?matter=False&test=True",
                       json::serialize(json::object{{"csr", *csr}}), true);
    ASSERT_EQ(verify.status, 200) << verify.body;
    EXPECT_TRUE(verify.header("Content-Length"));
    const auto body = json_object(verify);
    EXPECT_EQ(body.at("mqtt_host").as_string(), "mqtt.stratus.test");
    // Stratus extras for host tools: the CA to trust and the node MQTT port.
    EXPECT_EQ(body.at("mqtt_port").as_int64(), 18883);
    auto ca = pki::Certificate::from_pem(std::string(body.at("ca_certificate").as_string()));
    ASSERT_TRUE(ca) << verify.body;
    EXPECT_EQ(ca->sha256_fingerprint_hex(), ca_.certificate().sha256_fingerprint_hex());
    auto cert = pki::Certificate::from_pem(std::string(body.at("certificate").as_string()));
    ASSERT_TRUE(cert) << verify.body;
    EXPECT_EQ(cert->subject_cn(), node_id);
    EXPECT_TRUE(cert->issued_by(*ca));
    EXPECT_TRUE(cert->matches_key(*key));
  }
  // The same MAC again gives the same node id (the CLI may be re-run).
  auto again = post("/claim/initiate", R"({"mac_addr":"7CDFA100033B","platform":"host"})", true);
  EXPECT_EQ(json_object(again).at("node_id").as_string(), node_id);
  EXPECT_EQ(*claim_repository_.count_certificates(), 2);
}

TEST_F(ClaimHttpTest, ReclaimedCertificatesAreInTheCaRevocationList) {
  auto init = post("/claim/initiate", R"({"mac_addr": "7CDFA100033B", "platform": "host"})", true);
  ASSERT_EQ(init.status, 200) << init.body;
  const std::string node_id(json_object(init).at("node_id").as_string());
  const auto claim = [&] {
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    EXPECT_TRUE(key);
    auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
    auto verify = post("/claim/verify", json::serialize(json::object{{"csr", *csr}}), true);
    EXPECT_EQ(verify.status, 200) << verify.body;
    return std::string(json_object(verify).at("certificate").as_string());
  };
  const auto get_crl = [&] {
    // No token: a broker fetches it as anyone would.
    auto r = http_request("127.0.0.1", server_->port(), "GET", "/crl/stratus-ca.crl", "", {});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), std::optional<std::string>("application/pkix-crl"));
    EXPECT_EQ(r.header("Cache-Control"), std::optional<std::string>("max-age=5"));
    return r.body;
  };
  const auto at = [&] { return std::chrono::system_clock::to_time_t(clock_.now() + 1min); };
  const std::string ca_pem = ca_.certificate().to_pem();

  const auto first = claim();
  EXPECT_EQ(distribution_point_uris(first), std::vector<std::string>{std::string(kCrlUrl)});
  const auto empty = get_crl();
  EXPECT_EQ(verify_with_crl(ca_pem, first, empty, at()), X509_V_OK);

  clock_.advance(6s);           // past the list's reuse
  const auto second = claim();  // the re-claim revokes the first certificate
  const auto list = get_crl();
  const auto summary = read_crl(list, ca_pem);
  ASSERT_TRUE(summary);
  EXPECT_TRUE(summary->signature_valid);
  EXPECT_EQ(summary->scope_uri, std::string(kCrlUrl));
  EXPECT_EQ(summary->serials_hex,
            std::vector<std::string>{pki::Certificate::from_pem(first)->serial_hex()});
  EXPECT_EQ(verify_with_crl(ca_pem, first, list, at()), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify_with_crl(ca_pem, second, list, at()), X509_V_OK);

  // One list answers for 5 s; the next revocation is in the list signed after that.
  const auto third = claim();
  EXPECT_EQ(get_crl(), list);
  clock_.advance(6s);
  const auto later = get_crl();
  EXPECT_EQ(read_crl(later, ca_pem)->serials_hex.size(), 2u);
  EXPECT_EQ(verify_with_crl(ca_pem, second, later, at()), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify_with_crl(ca_pem, third, later, at()), X509_V_OK);
}

TEST_F(ClaimHttpTest, AssistedVerifyBodyFromTheFirmwareIsAccepted) {
  // The device hands the app {"csr":"<PEM, \n escaped, no final newline>","send_mqtt_host":true}.
  auto init = post("/claim/initiate", R"({"mac_addr":"AABBCCDDEEFF","platform":"esp32c3"})", true);
  ASSERT_EQ(init.status, 200) << init.body;
  const std::string node_id(json_object(init).at("node_id").as_string());
  auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
  std::string csr = *pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
  while (!csr.empty() && csr.back() == '\n')
    csr.pop_back();
  auto verify = post("/claim/verify",
                     json::serialize(json::object{
                         {"csr", csr}, {"send_mqtt_host", true}, {"node_policies", "videostream"}}),
                     true);
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(json_object(verify).contains("certificate"));
}

TEST_F(ClaimHttpTest, SelfClaimIsRefusedWhenThePolicyDenies) {
  auto r = post("/claim/initiate", R"({"mac_addr":"7CDFA100033B","platform":"esp32s3"})", false);
  expect_failure(r, 403, code::self_claim_disabled);
  auto v = post("/claim/verify", R"({"auth_id":"x","challenge_response":"AB","csr":"y"})", false);
  EXPECT_EQ(v.status / 100, 4) << v.body;
  expect_nothing_stored();
}

TEST_F(ClaimHttpTest, SelfClaimAsTheFirmwareDoesItWhenAllowed) {
  // A second server whose policy allows self claiming (same database and CA).
  service::ClaimOptions options;
  options.self_claim = service::ClaimOptions::SelfClaim::allow;
  service::ClaimService claims(claim_repository_, node_repository_, issuer_, revocation_list_,
                               clock_, options, audit_);
  http::Router router;
  api::add_claim_routes(router, claims, *accounts_, pool_);
  http::Server server({}, std::move(router), metrics_);
  ASSERT_TRUE(server.start());
  const auto call = [&](std::string_view target, std::string_view body) {
    return http_request("127.0.0.1", server.port(), "POST", target, body, {});
  };

  // esp_rmaker_claim.c: {"mac_addr":"%02X…","platform":"<IDF target>"} →
  // {"auth_id","challenge"}; then {"auth_id","challenge_response":<128 hex>,"csr"}
  // with CN = the MAC and the PEM's newlines escaped.
  auto init = call("/claim/initiate", R"({"mac_addr":"7CDFA100033B","platform":"esp32s3"})");
  ASSERT_EQ(init.status, 200) << init.body;
  const auto challenge = json_object(init);
  const std::string auth_id(challenge.at("auth_id").as_string());
  EXPECT_LE(auth_id.size(), 63u);
  EXPECT_LE(challenge.at("challenge").as_string().size(), 128u);

  auto key = pki::PrivateKey::generate(pki::KeyType::rsa_2048);
  const std::string csr = *pki::CertificateSigningRequest::make_csr_pem(*key, "7CDFA100033B");
  const std::string body = json::serialize(json::object{
      {"auth_id", auth_id}, {"challenge_response", std::string(128, 'F')}, {"csr", csr}});
  auto verify = call("/claim/verify", body);
  ASSERT_EQ(verify.status, 200) << verify.body;
  auto cert =
      pki::Certificate::from_pem(std::string(json_object(verify).at("certificate").as_string()));
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->subject_cn(), "7CDFA100033B");
  EXPECT_TRUE(cert->issued_by(ca_.certificate()));

  expect_failure(call("/claim/verify", body), 403, code::challenge_invalid);
  server.stop();
}

TEST_F(ClaimHttpTest, ABadTokenIsNotSelfClaiming) {
  HeaderList h{{"Authorization", "not-a-jwt"}};
  auto r = http_request("127.0.0.1", server_->port(), "POST", "/claim/initiate",
                        R"({"mac_addr":"7CDFA100033B","platform":"host"})", h);
  EXPECT_EQ(r.status, 401) << r.body;
  expect_nothing_stored();
}

TEST_F(ClaimHttpTest, BadInputGetsClearFailuresAndStoresNothing) {
  expect_failure(post("/claim/initiate", "{not json", true), 400, 100006);
  expect_failure(post("/claim/initiate", "[1,2]", true), 400, 100006);
  expect_failure(post("/claim/initiate", R"({"mac_addr":5,"platform":"host"})", true), 400, 100006);
  expect_failure(post("/claim/initiate", R"({"mac_addr":"7CDFA100033B","platform":true})", true),
                 400, 100006);
  expect_failure(post("/claim/initiate", R"({"platform":"host"})", true), 400, code::mac_invalid);
  expect_failure(post("/claim/initiate", R"({"mac_addr":"7CDFA100033B"})", true), 400,
                 code::platform_invalid);
  expect_failure(post("/claim/initiate", R"({"mac_addr":"nope","platform":"host"})", true), 400,
                 code::mac_invalid);

  expect_failure(post("/claim/verify", "", true), 400, 100006);
  expect_failure(post("/claim/verify", R"({"csr":42})", true), 400, 100006);
  expect_failure(post("/claim/verify", R"({"csr":"x","send_mqtt_host":"yes"})", true), 400, 100006);
  expect_failure(post("/claim/verify", "{}", true), 400, code::csr_missing);
  expect_failure(post("/claim/verify", R"({"csr":"garbage"})", true), 400, code::csr_invalid);
  expect_failure(post("/claim/verify?matter=true", R"({"csr":"x"})", true), 400,
                 code::matter_unsupported);
  const std::string huge(1 << 20, 'A');
  expect_failure(post("/claim/verify", json::serialize(json::object{{"csr", huge}}), true), 400,
                 code::csr_invalid);
  // A valid CSR for a node id nobody initiated.
  auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
  auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, "NeverInitiated");
  expect_failure(post("/claim/verify", json::serialize(json::object{{"csr", *csr}}), true), 404,
                 code::claim_not_found);
  expect_nothing_stored();
}

}  // namespace
}  // namespace stratus::test
