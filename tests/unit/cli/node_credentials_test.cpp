// Proves the reading side of node credentials and the MAC helpers: a directory
// written as claim_node writes it loads; a missing file, a wrong CN, a foreign
// key or a bad node.info is refused naming the file.
// How: a CA, key and certificate made with pki in a temp dir.
#include "cli/node_credentials.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/clock.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "support/temp_dir.hpp"

namespace stratus::cli {
namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::trunc) << text;
}

class NodeCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = pki::CertificateAuthority::create("Test CA", std::chrono::days(10), clock_);
    ASSERT_TRUE(ca);
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    ASSERT_TRUE(key);
    auto csr_pem = pki::CertificateSigningRequest::make_csr_pem(*key, "node-1");
    auto csr = pki::CertificateSigningRequest::from_pem(*csr_pem);
    auto cert = ca->issue_client_certificate(*csr, std::chrono::days(10), clock_);
    ASSERT_TRUE(cert);
    write(dir_.path() / "node.key", key->to_pem());
    write(dir_.path() / "node.crt", cert->to_pem());
    write(dir_.path() / "ca.crt", ca->certificate().to_pem());
    write(dir_.path() / "node.info",
          R"({"node_id":"node-1","mqtt_host":"127.0.0.1","mqtt_port":18883})");
  }

  SystemClock clock_;
  test::TempDir dir_;
};

TEST_F(NodeCredentialsTest, LoadsWhatClaimWrites) {
  auto creds = load_node_credentials(dir_.path());
  ASSERT_TRUE(creds) << creds.error().message();
  EXPECT_EQ(creds->node_id, "node-1");
  EXPECT_EQ(creds->mqtt_host, "127.0.0.1");
  EXPECT_EQ(creds->mqtt_port, 18883);
  EXPECT_EQ(creds->dir, dir_.path());
  EXPECT_EQ(creds->cert_file(), dir_.path() / "node.crt");
}

TEST_F(NodeCredentialsTest, NamesTheMissingFile) {
  for (const auto* name : {"node.info", "node.key", "node.crt", "ca.crt"}) {
    test::TempDir copy;
    for (const auto* other : {"node.info", "node.key", "node.crt", "ca.crt"}) {
      if (std::string(other) != name)
        std::filesystem::copy_file(dir_.path() / other, copy.path() / other);
    }
    auto creds = load_node_credentials(copy.path());
    ASSERT_FALSE(creds) << name;
    EXPECT_EQ(creds.error().code, errc::not_found);
    EXPECT_NE(creds.error().context.find((copy.path() / name).string()), std::string::npos)
        << creds.error().context;
  }
}

TEST_F(NodeCredentialsTest, RefusesInconsistentFiles) {
  write(dir_.path() / "node.info", R"({"node_id":"node-2","mqtt_host":"h","mqtt_port":1})");
  auto wrong_cn = load_node_credentials(dir_.path());
  ASSERT_FALSE(wrong_cn);
  EXPECT_NE(wrong_cn.error().context.find("node.crt"), std::string::npos);

  write(dir_.path() / "node.info", R"({"node_id":"node-1","mqtt_host":"h","mqtt_port":0})");
  auto bad_port = load_node_credentials(dir_.path());
  ASSERT_FALSE(bad_port);
  EXPECT_NE(bad_port.error().context.find("mqtt_port"), std::string::npos);

  write(dir_.path() / "node.info", "[]");
  EXPECT_FALSE(load_node_credentials(dir_.path()));

  write(dir_.path() / "node.info", R"({"node_id":"node-1","mqtt_host":"h","mqtt_port":8883})");
  write(dir_.path() / "node.key", (*pki::PrivateKey::generate(pki::KeyType::ecdsa_p256)).to_pem());
  auto other_key = load_node_credentials(dir_.path());
  ASSERT_FALSE(other_key);
  EXPECT_NE(other_key.error().context.find("does not match"), std::string::npos);
}

TEST(Mac, NormalizeAndRandom) {
  EXPECT_EQ(*normalize_mac("7c:df:a1:00:03:3b"), "7CDFA100033B");
  EXPECT_EQ(*normalize_mac("7C-DF-A1-00-03-3B"), "7CDFA100033B");
  EXPECT_FALSE(normalize_mac("7CDFA100033"));
  EXPECT_FALSE(normalize_mac("7CDFA100033BB"));
  EXPECT_FALSE(normalize_mac("7CDFA100033G"));
  for (int i = 0; i < 50; ++i) {
    const auto mac = random_mac();
    ASSERT_TRUE(normalize_mac(mac)) << mac;
    EXPECT_EQ(*normalize_mac(mac), mac);
    const int first = std::stoi(mac.substr(0, 2), nullptr, 16);
    EXPECT_EQ(first & 0x03, 0x02) << mac;  // locally administered, unicast
  }
}

}  // namespace
}  // namespace stratus::cli
