// Proves the manufacturing routes over real HTTP in the shapes Espressif's admin CLI reads
// (rmaker_admin_lib/node_mfg.py, deployment.py): mqtt_host, deployment details, the node-id
// request and its unauthenticated comma-separated download, node_group as a bare array,
// and the register flow (upload URL, raw PUT answered exactly 200, POST with the file's MD5,
// status polled on the same path); every /v1/admin route refuses a user token.
// How: http::Server on 127.0.0.1 port 0 with the account and manufacturing routes, the real
// ManufacturingService (worker thread running), SQLite and pki in a temp dir.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <thread>

#include "api/account_routes.hpp"
#include "api/manufacturing_routes.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "core/metrics.hpp"
#include "http/server.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "proto/mfg_csv.hpp"
#include "server/manufacturing_adapters.hpp"
#include "service/account_service.hpp"
#include "service/manufacturing_service.hpp"
#include "service/revocation_list.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/manufacturing_repository.hpp"
#include "support/http_client.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class NullRevocations final : public service::CertificateRevocations {
 public:
  Result<void> publish(const std::vector<std::string>&) override { return {}; }
};

class NullMailer final : public service::Mailer {
 public:
  Result<void> send(const service::MailMessage&) override { return {}; }
};

std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

// "http://host:port/path?query" → "/path?query".
std::string target_of(const std::string& url) {
  const auto scheme = url.find("://");
  return scheme == std::string::npos ? url : url.substr(url.find('/', scheme + 3));
}

class ManufacturingHttpTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kMaxUpload = 64 * 1024;

  ManufacturingHttpTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 3)),
        accounts_repo_(db_),
        claims_(db_),
        repository_(db_),
        signer_(*auth::TokenSigner::from_key(std::string(32, 'k'))),
        stratus_ca_(
            *pki::CertificateAuthority::create("Stratus CA", std::chrono::days(365), clock_)),
        inspector_(stratus_ca_.certificate()),
        trust_(dir_.path() / "trust", dir_.path() / "registered"),
        files_(dir_.path() / "uploads"),
        pool_(2) {
    EXPECT_TRUE(files_.open());
    EXPECT_TRUE(trust_.reset(stratus_ca_.certificate()));
    service::AccountOptions account_options;
    account_options.argon2_ops_limit = 1;
    account_options.argon2_mem_limit_bytes = 8 * 1024;
    accounts_ = std::make_unique<service::AccountService>(accounts_repo_, mailer_, signer_, clock_,
                                                          account_options, audit_);
    service::ManufacturingOptions options;
    options.mqtt_host = "a1b2c3-ats.iot.example.com";
    options.url_key = std::string(32, 'u');
    mfg_ = std::make_unique<service::ManufacturingService>(
        repository_, inspector_, trust_, revocation_list_, files_, audit_, clock_, options);
    http::Router router;
    api::add_account_routes(router, *accounts_, pool_);
    api::add_manufacturing_routes(router, *accounts_, *mfg_, pool_, false, kMaxUpload);
    http::ServerOptions server_options;
    server_options.upload_dir = (dir_.path() / "tmp").string();
    std::filesystem::create_directories(server_options.upload_dir);
    server_ = std::make_unique<http::Server>(server_options, std::move(router), metrics_);
  }

  void SetUp() override {
    ASSERT_TRUE(mfg_->start());
    ASSERT_TRUE(server_->start());
    const auto hash = auth::hash_password("secret123", auth::PasswordHashParams{1, 8 * 1024});
    ASSERT_TRUE(hash);
    int n = 0;
    for (const auto& [user_id, name, admin, token] :
         {std::tuple{"u-alice", "alice@example.com", false, &alice_},
          std::tuple{"u-root", "root@example.com", true, &admin_}}) {
      ASSERT_TRUE(accounts_repo_.create_user(
          storage::UserRecord{user_id, name, *hash, true, admin, "", ++n, 1}));
      auto tokens = accounts_->log_in(name, "secret123", "127.0.0.1");
      ASSERT_TRUE(tokens) << tokens.error().message();
      *token = tokens->access_token;
    }
  }

  void TearDown() override {
    server_->stop();
    pool_.join();
    mfg_->stop();
  }

  // As the admin CLI calls: the raw token in Authorization, JSON content type.
  HttpReply call(std::string_view method, std::string_view target, const std::string& token,
                 std::string_view body = {}, std::string_view content_type = "application/json") {
    HeaderList h{{"Content-Type", std::string(content_type)}};
    if (!token.empty())
      h.emplace_back("Authorization", token);
    return http_request("127.0.0.1", server_->port(), method, target, body, h);
  }

  static json::value parsed(const HttpReply& r) {
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    return ec ? json::value() : v;
  }

  test::TempDir dir_;
  ManualClock clock_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_repo_;
  storage::sql::SqlClaimRepository claims_;
  storage::sql::SqlManufacturingRepository repository_;
  auth::TokenSigner signer_;
  NullMailer mailer_;
  NullRevocations revocations_;
  service::RevocationList revocation_list_{claims_, revocations_, clock_};
  pki::CertificateAuthority stratus_ca_;
  server::PkiCertificateInspector inspector_;
  server::BrokerTrustStore trust_;
  server::FileRegistrationStore files_;
  test::RecordingAuditLog audit_;
  MetricsRegistry metrics_;
  boost::asio::thread_pool pool_;
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<service::ManufacturingService> mfg_;
  std::unique_ptr<http::Server> server_;
  std::string alice_, admin_;
};

TEST_F(ManufacturingHttpTest, EveryAdminRouteRefusesAUserToken) {
  const std::vector<std::tuple<std::string, std::string, std::string>> routes = {
      {"GET", "/v1/admin/mqtt_host", ""},
      {"GET", "/v1/admin/rainmaker_deployment_details?pre_requisite=True", ""},
      {"POST", "/v1/admin/node_ids", R"({"node_count":2})"},
      {"GET", "/v1/admin/node_ids?request_id=x", ""},
      {"GET", "/v1/admin/node_certificates/register?file_name=a.csv", ""},
      {"GET", "/v1/admin/node_certificates/register?request_id=x", ""},
      {"POST", "/v1/admin/node_certificates/register", R"({"request_id":"x"})"},
      {"GET", "/v1/admin/node_group?group_name=g", ""},
      {"POST", "/v1/admin/cacert", R"({"certificate":"x"})"},
      {"GET", "/v1/admin/cacert", ""},
      {"POST", "/v1/admin/nodes/revoke", R"({"node_id":"n"})"},
      {"POST", "/v1/admin/nodes/allow_reclaim", R"({"node_id":"n"})"},
      {"GET", "/v1/admin/nodes/revoked", ""},
  };
  for (const auto& [method, target, body] : routes) {
    const auto user = call(method, target, alice_, body);
    EXPECT_EQ(user.status, 403) << method << " " << target << ": " << user.body;
    EXPECT_NE(user.body.find("100004"), std::string::npos) << target << ": " << user.body;
    const auto anonymous = call(method, target, "", body);
    EXPECT_EQ(anonymous.status, 401) << method << " " << target;
  }
  EXPECT_TRUE(repository_.list_cas()->empty());
}

TEST_F(ManufacturingHttpTest, TheAdminCliSeesTheShapesItReads) {
  const auto host = parsed(call("GET", "/v1/admin/mqtt_host", admin_));
  EXPECT_EQ(host.at("mqtt_host"), json::value("a1b2c3-ats.iot.example.com"));
  EXPECT_TRUE(host.as_object().contains("mqtt_cred_host"));

  const auto details =
      parsed(call("GET", "/v1/admin/rainmaker_deployment_details?pre_requisite=True", admin_));
  const auto& pre = details.at("pre_requisite_details").as_object();
  EXPECT_TRUE(pre.at("is_super_admin_ses_verified").is_bool());
  EXPECT_TRUE(pre.at("is_ses_in_production").is_bool());

  // Node ids: request, poll, download without credentials.
  const auto requested = parsed(call("POST", "/v1/admin/node_ids", admin_, R"({"node_count":3})"));
  const std::string request_id(requested.at("request_id").as_string());
  const auto status = parsed(call("GET", "/v1/admin/node_ids?request_id=" + request_id, admin_));
  EXPECT_EQ(status.at("status"), json::value("success"));
  const std::string url(status.at("url").as_string());
  EXPECT_TRUE(url.starts_with("http://127.0.0.1")) << url;  // the Host the caller sent
  const auto ids = call("GET", target_of(url), "");
  EXPECT_EQ(ids.status, 200) << ids.body;
  EXPECT_EQ(std::count(ids.body.begin(), ids.body.end(), ','), 2) << ids.body;
  EXPECT_EQ(ids.body.find('\n'), std::string::npos) << ids.body;

  // node_group is a bare array, empty for an unknown group.
  const auto groups = parsed(call("GET", "/v1/admin/node_group?group_name=batch1", admin_));
  ASSERT_TRUE(groups.is_array());
  EXPECT_TRUE(groups.as_array().empty());
}

TEST_F(ManufacturingHttpTest, TheRegisterFlowOfTheAdminCli) {
  auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
  auto csr = pki::CertificateSigningRequest::from_pem(
      *pki::CertificateSigningRequest::make_csr_pem(*key, "httpnode01"));
  auto cert = stratus_ca_.issue_client_certificate(*csr, std::chrono::days(3650), clock_);
  ASSERT_TRUE(cert);
  std::string csv = proto::write_node_certs_csv(std::vector<proto::NodeCertRow>{
      {"httpnode01", cert->to_pem(), R"({"ver":"v1","name":"PROV_1"})", 0}});
  for (auto at = csv.find("\"\n"); at != std::string::npos; at = csv.find("\"\n", at + 3))
    csv.replace(at, 2, "\"\r\n");  // the CLI's rewrite: CRLF row endings

  const auto ticket =
      parsed(call("GET", "/v1/admin/node_certificates/register?file_name=node_certs.csv", admin_));
  const std::string url(ticket.at("url").as_string());
  const std::string request_id(ticket.at("request_id").as_string());
  // requests.put(url, data=file, headers={'Content-type': 'application/octet-stream'})
  const auto put = call("PUT", target_of(url), "", csv, "application/octet-stream");
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(call("PUT", target_of(url), "", csv, "application/octet-stream").status, 409)
      << "one upload per URL";
  const auto forged = call("PUT",
                           "/v1/mfg/upload?request_id=" + request_id +
                               "&expires=99999999999&sig=" + std::string(64, '0'),
                           "", csv, "application/octet-stream");
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(
      call("PUT", target_of(url), "", std::string(kMaxUpload + 1, 'x'), "application/octet-stream")
          .status,
      413);

  json::object body{{"file_name", "node_certs.csv"},
                    {"file_md5", md5_hex(csv)},
                    {"refresh_token", "r"},
                    {"group_name", "batch1"},
                    {"type", nullptr},
                    {"model", "light-v1"},
                    {"parent_group_id", ""},
                    {"parent_group_name", nullptr},
                    {"subtype", nullptr},
                    {"tags", "factory:pune"},
                    {"force", false},
                    {"update_nodes", false},
                    {"request_id", request_id},
                    {"node_policies", nullptr}};
  const auto registered =
      parsed(call("POST", "/v1/admin/node_certificates/register", admin_, json::serialize(body)));
  EXPECT_EQ(registered.at("status"), json::value("success"));
  EXPECT_EQ(registered.at("request_id"), json::value(request_id));

  std::string state;
  for (int i = 0; i < 200 && state != "success"; ++i) {
    const auto st = parsed(
        call("GET", "/v1/admin/node_certificates/register?request_id=" + request_id, admin_));
    state = std::string(st.at("status").as_string());
    EXPECT_TRUE(st.as_object().contains("description"));
    if (state != "success")
      std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(state, "success");
  const auto groups = parsed(call("GET", "/v1/admin/node_group?group_name=batch1", admin_));
  ASSERT_EQ(groups.as_array().size(), 1u);
  EXPECT_TRUE(groups.as_array()[0].as_object().contains("group_id"));
  EXPECT_FALSE(groups.as_array()[0].as_object().contains("parent_group_id"))
      << "a top-level group, as the CLI's validate_groupnames expects";

  const auto missing =
      call("GET", "/v1/admin/node_certificates/register?request_id=nosuchrequest", admin_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(parsed(missing).at("status"), json::value("failure"));
}

}  // namespace
}  // namespace stratus::test
