// Proves: the Stratus CA's certificate revocation list is one that OpenSSL accepts and
// applies: signed by the CA, v2, its entries the revoked serials, its scope
// (issuingDistributionPoint) the URI that client certificates name in their
// cRLDistributionPoints; a revoked certificate then fails verification and the others
// pass; bad input is refused.
// How: real OpenSSL on fresh keys; the list read back and a chain verified with
// X509_V_FLAG_CRL_CHECK by tests/support/crl_check.
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "support/crl_check.hpp"

namespace stratus::pki {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

constexpr std::string_view kCrlUrl = "http://stratus.example:8080/crl/stratus-ca.crl";
constexpr std::uint64_t kNumber = 1796000000123;  // Unix ms, as stratusd numbers them

class CrlTest : public ::testing::Test {
 protected:
  CrlTest() {
    auto ca = CertificateAuthority::create("Stratus CA", std::chrono::days{3650}, clock_);
    EXPECT_TRUE(ca) << ca.error().message();
    ca_.emplace(*std::move(ca));
  }

  Certificate client(std::string_view node_id, std::string_view crl_url) {
    auto key = PrivateKey::generate(KeyType::ecdsa_p256);
    EXPECT_TRUE(key);
    auto pem = CertificateSigningRequest::make_csr_pem(*key, node_id);
    EXPECT_TRUE(pem);
    auto csr = CertificateSigningRequest::from_pem(*pem);
    EXPECT_TRUE(csr);
    auto cert = ca_->issue_client_certificate(*csr, std::chrono::days{365}, clock_, crl_url);
    EXPECT_TRUE(cert) << cert.error().message();
    return *std::move(cert);
  }

  std::string crl(const std::vector<RevokedSerial>& revoked, std::string_view scope) {
    auto der = ca_->issue_crl(revoked, scope, now_, now_ + std::chrono::days{7}, kNumber);
    EXPECT_TRUE(der) << der.error().message();
    return der ? *der : std::string();
  }

  int verify(const Certificate& cert, const std::string& list) {
    return test::verify_with_crl(ca_->certificate().to_pem(), cert.to_pem(), list,
                                 system_clock::to_time_t(now_ + 1min));
  }

  SystemClock clock_;
  const system_clock::time_point now_ =
      std::chrono::floor<std::chrono::seconds>(system_clock::now());
  std::optional<CertificateAuthority> ca_;
};

TEST_F(CrlTest, ClientCertificatesNameTheDistributionPointOnlyWhenOneIsGiven) {
  EXPECT_EQ(test::distribution_point_uris(client("node-a", kCrlUrl).to_pem()),
            std::vector<std::string>{std::string(kCrlUrl)});
  EXPECT_TRUE(test::distribution_point_uris(client("node-b", "").to_pem()).empty());
}

TEST_F(CrlTest, TheListIsSignedScopedAndNumberedByItsTime) {
  const auto revoked = client("node-a", kCrlUrl);
  const auto list = crl({{revoked.serial_hex(), now_ - 1h}}, kCrlUrl);
  const auto summary = test::read_crl(list, ca_->certificate().to_pem());
  ASSERT_TRUE(summary);
  EXPECT_TRUE(summary->signature_valid);
  EXPECT_EQ(summary->version, 1);  // v2
  EXPECT_EQ(summary->issuer, "CN=Stratus CA");
  EXPECT_EQ(summary->serials_hex, std::vector<std::string>{revoked.serial_hex()});
  EXPECT_EQ(summary->scope_uri, std::string(kCrlUrl));
  EXPECT_TRUE(summary->scope_critical);
  EXPECT_TRUE(summary->has_authority_key_id);
  EXPECT_EQ(summary->number, static_cast<std::int64_t>(kNumber));
  EXPECT_EQ(summary->this_update, system_clock::to_time_t(now_));
  EXPECT_EQ(summary->next_update, system_clock::to_time_t(now_ + std::chrono::days{7}));

  // Signed by this CA only.
  auto other = CertificateAuthority::create("Other CA", std::chrono::days{10}, clock_);
  ASSERT_TRUE(other);
  EXPECT_FALSE(test::read_crl(list, other->certificate().to_pem())->signature_valid);
}

TEST_F(CrlTest, OpenSslRefusesTheRevokedCertificateAndAcceptsTheOthers) {
  const auto revoked = client("node-a", kCrlUrl);
  const auto valid = client("node-b", kCrlUrl);
  const auto list = crl({{revoked.serial_hex(), now_ - 1h}}, kCrlUrl);
  EXPECT_EQ(verify(revoked, list), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify(valid, list), X509_V_OK);

  // An empty list revokes nothing.
  EXPECT_EQ(verify(revoked, crl({}, kCrlUrl)), X509_V_OK);

  // A certificate issued before a distribution point was configured names none: a scoped
  // list is not its scope, and verification fails ("different CRL scope"); an unscoped
  // list applies to it.
  const auto old = client("node-c", "");
  EXPECT_EQ(verify(old, crl({{old.serial_hex(), now_ - 1h}}, kCrlUrl)),
            X509_V_ERR_DIFFERENT_CRL_SCOPE);
  EXPECT_EQ(verify(old, crl({{old.serial_hex(), now_ - 1h}}, "")), X509_V_ERR_CERT_REVOKED);
}

TEST_F(CrlTest, EntriesAreSortedBySerialWhateverTheirOrderOrCase) {
  const auto a = client("node-a", kCrlUrl);
  const auto b = client("node-b", kCrlUrl);
  std::string upper = b.serial_hex();
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto list = crl({{upper, now_}, {a.serial_hex(), now_}}, "");
  const auto summary = test::read_crl(list, ca_->certificate().to_pem());
  ASSERT_TRUE(summary);
  auto expected = std::vector<std::string>{a.serial_hex(), b.serial_hex()};
  // X509_CRL_sort orders by the DER of the serial: equal lengths, so as the hex.
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(summary->serials_hex, expected);
  EXPECT_EQ(verify(b, list), X509_V_ERR_CERT_REVOKED);
}

TEST_F(CrlTest, BadInputIsRefused) {
  for (const std::string& bad :
       std::vector<std::string>{"", "xyz", "12 34", std::string(41, 'a'), "-1"}) {
    auto der = ca_->issue_crl(std::vector<RevokedSerial>{{bad, now_}}, kCrlUrl, now_, now_ + 1h, 1);
    ASSERT_FALSE(der) << bad;
    EXPECT_EQ(der.error().code, errc::invalid_argument) << bad;
  }
  auto backwards = ca_->issue_crl({}, kCrlUrl, now_, now_, 1);
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().code, errc::invalid_argument);
}

}  // namespace
}  // namespace stratus::pki
