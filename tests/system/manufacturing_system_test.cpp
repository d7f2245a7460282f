// Proves manufacturing and revocation end to end against the real stratusd and its embedded
// mosquitto: a node whose certificate a manufacturing CA signed connects over mutual TLS once
// the CA and the certificate are registered, and maps to a user without claiming; another
// node id signed by the same CA but not registered is refused; a certificate of an unknown CA
// fails TLS. An admin revocation kicks a connected node within seconds and refuses it at
// connect while another node stays connected; claiming the node again needs the admin's
// allow_reclaim.
// How: one stratusd with a super-admin on free loopback ports; the CA and node certificates
// made with src/pki in the test; the register flow over REST exactly as the admin CLI does it
// (upload URL, raw PUT, POST with the MD5, status polled); nodes as TestMqttClients.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "proto/mfg_csv.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kAdmin = "root@example.com";
constexpr const char* kPassword = "rootpass1";

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

std::string target_of(const std::string& url) {
  const auto scheme = url.find("://");
  return scheme == std::string::npos ? url : url.substr(url.find('/', scheme + 3));
}

class ManufacturingSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto data = dir_->path() / "data";
    const std::vector<std::string> settings = {"--set", "accounts.argon2_ops_limit=1", "--set",
                                               "accounts.argon2_mem_limit_kib=8"};
    std::vector<std::string> add = {build_binary("stratusd").string(), "--data-dir", data.string()};
    add.insert(add.end(), settings.begin(), settings.end());
    add.insert(add.end(), {"user", "add", "--admin", kAdmin});
    const auto made = run_process(add, {"PATH=/usr/bin:/bin"}, std::string(kPassword) + "\n");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    stratusd_ = new StratusdProcess(data, settings);
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    const auto login = rest_call(
        *stratusd_, "POST", "/v1/login2", "",
        R"({"user_name":")" + std::string(kAdmin) + R"(","password":")" + kPassword + "\"}");
    ASSERT_EQ(login.status, 200) << login.body;
    admin_ = new std::string(json::parse(login.body).at("accesstoken").as_string());
    alice_ = new std::string(signed_up_token(*stratusd_, "alice@example.com"));
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete admin_;
    delete stratusd_;
    delete dir_;
  }

  static HttpReply call(std::string_view method, std::string_view target, const std::string& token,
                        std::string_view body = {}) {
    return rest_call(*stratusd_, method, target, token, body);
  }

  // A key and a certificate for `node_id` signed by `ca`, written as <name>.key/.crt;
  // returns the certificate PEM.
  static std::string issue(const pki::CertificateAuthority& ca, const std::string& node_id,
                           const std::string& name) {
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    auto csr = pki::CertificateSigningRequest::from_pem(
        *pki::CertificateSigningRequest::make_csr_pem(*key, node_id));
    const SystemClock clock;
    auto cert = ca.issue_client_certificate(*csr, std::chrono::days(3650), clock);
    EXPECT_TRUE(cert) << cert.error().message();
    std::ofstream(dir_->path() / (name + ".crt")) << cert->to_pem();
    std::ofstream(dir_->path() / (name + ".key")) << key->to_pem();
    return cert->to_pem();
  }

  static TestMqttOptions options(const std::string& node_id, const std::string& name) {
    TestMqttOptions o;
    o.port = stratusd_->mqtt_port();
    o.client_id = node_id;
    o.ca_file = (stratusd_->data_dir() / "pki/ca.crt").string();
    o.cert_file = (dir_->path() / (name + ".crt")).string();
    o.key_file = (dir_->path() / (name + ".key")).string();
    return o;
  }

  // The admin CLI's `certs devicecert register` over REST; returns the final status.
  static json::object register_csv(const std::string& csv) {
    const auto ticket =
        call("GET", "/v1/admin/node_certificates/register?file_name=nc.csv", *admin_);
    EXPECT_EQ(ticket.status, 200) << ticket.body;
    const auto t = json::parse(ticket.body).as_object();
    const std::string url(t.at("url").as_string());
    const std::string request_id(t.at("request_id").as_string());
    const auto put = http_request("127.0.0.1", stratusd_->http_port(), "PUT", target_of(url), csv,
                                  {{"Content-Type", "application/octet-stream"}});
    EXPECT_EQ(put.status, 200) << put.body;
    const auto posted = call("POST", "/v1/admin/node_certificates/register", *admin_,
                             json::serialize(json::object{{"file_name", "nc.csv"},
                                                          {"file_md5", md5_hex(csv)},
                                                          {"request_id", request_id},
                                                          {"force", false},
                                                          {"update_nodes", false}}));
    EXPECT_EQ(posted.status, 200) << posted.body;
    json::object status;
    EXPECT_TRUE(wait_until(
        [&] {
          const auto r =
              call("GET", "/v1/admin/node_certificates/register?request_id=" + request_id, *admin_);
          status = json::parse(r.body).as_object();
          const auto s = status.at("status").as_string();
          return s != "queued" && s != "in_progress";
        },
        20s));
    return status;
  }

  // The legacy mapping: the user's request and the node's user/mapping report.
  static bool map_to(TestMqttClient& node, const std::string& node_id, const std::string& token) {
    const std::string user_id = user_id_for(*stratusd_, token);
    const auto mapping =
        call("PUT", "/v1/user/nodes/mapping", token,
             R"({"node_id":")" + node_id + R"(","secret_key":"m4p","operation":"add"})");
    if (mapping.status != 200)
      return false;
    const std::string request_id(json::parse(mapping.body).at("request_id").as_string());
    if (!node.publish("$aws/rules/esp_user_node_mapping/node/" + node_id + "/user/mapping",
                      R"({"node_id":")" + node_id + R"(","user_id":")" + user_id +
                          R"(","secret_key":"m4p","reset":true})")) {
      return false;
    }
    return wait_until(
        [&] {
          const auto r = call("GET", "/v1/user/nodes/mapping?request_id=" + request_id, token);
          return r.body.find("confirmed") != std::string::npos;
        },
        10s);
  }

  static inline TempDir* dir_ = nullptr;
  static inline StratusdProcess* stratusd_ = nullptr;
  static inline std::string* admin_ = nullptr;
  static inline std::string* alice_ = nullptr;
};

TEST_F(ManufacturingSystemTest, ARegisteredManufacturedNodeConnectsAndMapsOthersOfTheCaAreRefused) {
  const SystemClock clock;
  auto factory =
      pki::CertificateAuthority::create("Acme Factory CA", std::chrono::days(3650), clock);
  auto stranger = pki::CertificateAuthority::create("Stranger CA", std::chrono::days(3650), clock);
  ASSERT_TRUE(factory && stranger);
  const auto registered_pem = issue(*factory, "acmenode0001", "registered");
  issue(*factory, "acmenode0002", "unregistered");
  issue(*stranger, "acmenode0003", "stranger");

  // A node of the Stratus CA, connected before the trust store changes: it stays connected.
  TestMqttClient bystander(node_mqtt_options(*stratusd_, dir_->path(), "stratusnode01"));
  ASSERT_EQ(bystander.connect(), 0);
  // Before the CA is registered, the factory's certificate does not pass TLS.
  TestMqttClient early(options("acmenode0001", "registered"));
  EXPECT_NE(early.connect(), 0);

  const auto ca =
      call("POST", "/v1/admin/cacert", *admin_,
           json::serialize(json::object{{"certificate", factory->certificate().to_pem()}}));
  ASSERT_EQ(ca.status, 200) << ca.body;
  std::string csv = proto::write_node_certs_csv(
      std::vector<proto::NodeCertRow>{{"acmenode0001", registered_pem, "", 0}});
  const auto status = register_csv(csv);
  ASSERT_EQ(status.at("status"), json::value("success")) << json::serialize(status);

  TestMqttClient node(options("acmenode0001", "registered"));
  ASSERT_EQ(node.connect(), 0) << "registered: accepted without claiming";
  ASSERT_TRUE(map_to(node, "acmenode0001", *alice_));
  const auto listed = call("GET", "/v1/user/nodes", *alice_);
  EXPECT_NE(listed.body.find("acmenode0001"), std::string::npos) << listed.body;

  TestMqttClient unregistered(options("acmenode0002", "unregistered"));
  EXPECT_NE(unregistered.connect(), 0) << "same CA, not registered: refused";
  TestMqttClient foreign(options("acmenode0003", "stranger"));
  EXPECT_NE(foreign.connect(), 0) << "unknown CA: refused";
  EXPECT_TRUE(node.connected()) << "the registered node kept its session throughout";
  EXPECT_TRUE(bystander.connected()) << "adding a CA drops no connected node";
}

TEST_F(ManufacturingSystemTest, RevocationKicksTheNodeAndRefusesItOthersStayConnected) {
  // Two claimed nodes of alice.
  const auto claim = [&](const std::string& mac, const std::string& name) -> std::string {
    const auto init = call("POST", "/claim/initiate", *alice_,
                           R"({"mac_addr":")" + mac + R"(","platform":"esp32"})");
    EXPECT_EQ(init.status, 200) << init.body;
    const std::string node_id(json::parse(init.body).at("node_id").as_string());
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    const auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
    const auto verify =
        call("POST", "/claim/verify", *alice_, json::serialize(json::object{{"csr", *csr}}));
    if (verify.status == 200) {
      std::ofstream(dir_->path() / (name + ".crt"))
          << std::string(json::parse(verify.body).at("certificate").as_string());
      std::ofstream(dir_->path() / (name + ".key")) << key->to_pem();
      return node_id;
    }
    return "refused:" + verify.body;
  };
  const auto victim = claim("7CDFA1000001", "victim");
  const auto bystander = claim("7CDFA1000002", "bystander");
  TestMqttClient a(options(victim, "victim"));
  TestMqttClient b(options(bystander, "bystander"));
  ASSERT_EQ(a.connect(), 0);
  ASSERT_EQ(b.connect(), 0);

  const auto revoked = call("POST", "/v1/admin/nodes/revoke", *admin_,
                            R"({"node_id":")" + victim + R"(","reason":"reported stolen"})");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_TRUE(wait_until([&] { return !a.connected(); }, 10s)) << "kicked within seconds";
  TestMqttClient again(options(victim, "victim"));
  EXPECT_NE(again.connect(), 0) << "and refused at connect";
  EXPECT_TRUE(b.connected()) << "the other node is unaffected";

  const auto list = call("GET", "/v1/admin/nodes/revoked?node_id=" + victim, *admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  const auto entries = json::parse(list.body).at("revoked").as_array();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].at("reason"), json::value("reported stolen"));
  EXPECT_GT(entries[0].at("revoked_at").as_int64(), 0);

  // Claiming it again issues nothing until the admin allows it, once.
  const auto refused = claim("7CDFA1000001", "victim2");
  EXPECT_NE(refused.find("156001"), std::string::npos) << refused;
  ASSERT_EQ(
      call("POST", "/v1/admin/nodes/allow_reclaim", *admin_, R"({"node_id":")" + victim + "\"}")
          .status,
      200);
  ASSERT_EQ(claim("7CDFA1000001", "victim3"), victim);
  TestMqttClient reclaimed(options(victim, "victim3"));
  EXPECT_EQ(reclaimed.connect(), 0) << "the new certificate works";
  EXPECT_TRUE(b.connected());
}

}  // namespace
}  // namespace stratus::test
