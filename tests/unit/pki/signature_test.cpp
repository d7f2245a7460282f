// Proves: node-style signatures (SHA-256; ECDSA P-256 DER, RSA-PSS/MGF1-SHA256/salt 32)
// made by sign_message or independently over a precomputed hash as the firmware does
// verify against the node certificate, and wrong keys, altered data, other paddings
// and garbage do not.
// How: real OpenSSL; certificates issued by a fresh CA; raw EVP for the independent signer.
#include "pki/signature.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace stratus::pki {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

constexpr std::string_view kChallenge =
    "3f0c9a5e7b1d24c68e0f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d";

class SignatureTest : public ::testing::Test {
 protected:
  SignatureTest()
      : clock_(std::chrono::system_clock::now()),
        ca_(*CertificateAuthority::create("Signature Test CA", std::chrono::days(30), clock_)) {}

  // A node certificate (CN=node-1) for `key`, as claiming issues it.
  Certificate certificate_for(const PrivateKey& key) {
    auto csr_pem = CertificateSigningRequest::make_csr_pem(key, "node-1");
    EXPECT_TRUE(csr_pem) << csr_pem.error().message();
    auto csr = CertificateSigningRequest::from_pem(*csr_pem);
    EXPECT_TRUE(csr) << csr.error().message();
    auto cert = ca_.issue_client_certificate(*csr, std::chrono::days(30), clock_);
    EXPECT_TRUE(cert) << cert.error().message();
    return *cert;
  }

  ManualClock clock_;
  CertificateAuthority ca_;
};

// The raw EVP key behind a PEM (for signing independently of pki::sign_message).
PkeyPtr raw_key(const PrivateKey& key) {
  const std::string pem = key.to_pem();
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// What esp_rmaker_node_auth.c does: SHA-256 the message, then sign the hash
// (ECDSA → DER; RSA → PSS with MGF1-SHA256 and salt `salt_len`, or PKCS#1 v1.5
// when `pss` is false).
std::string firmware_style_sign(const PrivateKey& key, std::string_view data, bool pss = true,
                                int salt_len = 32) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> hash{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), hash.data());
  PkeyPtr pkey = raw_key(key);
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr));
  EXPECT_EQ(EVP_PKEY_sign_init(ctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()), 1);
  if (key.type() == KeyType::rsa_2048) {
    EXPECT_EQ(
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING),
        1);
    if (pss) {
      EXPECT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()), 1);
      EXPECT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), salt_len), 1);
    }
  }
  std::size_t size = 0;
  EXPECT_EQ(EVP_PKEY_sign(ctx.get(), nullptr, &size, hash.data(), hash.size()), 1);
  std::string signature(size, '\0');
  EXPECT_EQ(EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                          hash.data(), hash.size()),
            1);
  signature.resize(size);
  return signature;
}

class SignatureByKeyType : public SignatureTest, public ::testing::WithParamInterface<KeyType> {};

TEST_P(SignatureByKeyType, SignedMessageVerifiesWithTheNodeCertificate) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key);
  const Certificate cert = certificate_for(*key);
  auto signature = sign_message(*key, kChallenge);
  ASSERT_TRUE(signature) << signature.error().message();
  if (GetParam() == KeyType::rsa_2048) {
    EXPECT_EQ(signature->size(), 256u);
  } else {
    EXPECT_EQ(static_cast<unsigned char>(signature->front()), 0x30u) << "DER SEQUENCE";
    EXPECT_LE(signature->size(), 72u);
  }
  EXPECT_TRUE(verify_signature(cert, kChallenge, *signature));
}

TEST_P(SignatureByKeyType, FirmwareStyleSignatureOverTheHashVerifies) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key);
  const Certificate cert = certificate_for(*key);
  const std::string signature = firmware_style_sign(*key, kChallenge);
  auto verified = verify_signature(cert, kChallenge, signature);
  EXPECT_TRUE(verified) << verified.error().message();
}

TEST_P(SignatureByKeyType, WrongKeyIsRejected) {
  auto key = PrivateKey::generate(GetParam());
  auto other = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key && other);
  const Certificate cert = certificate_for(*key);
  auto signature = sign_message(*other, kChallenge);
  ASSERT_TRUE(signature);
  auto verified = verify_signature(cert, kChallenge, *signature);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, errc::invalid_argument);
}

TEST_P(SignatureByKeyType, TamperedDataOrSignatureIsRejected) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key);
  const Certificate cert = certificate_for(*key);
  auto signature = sign_message(*key, kChallenge);
  ASSERT_TRUE(signature);

  std::string data(kChallenge);
  data[10] = data[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(verify_signature(cert, data, *signature).error().code, errc::invalid_argument);
  EXPECT_FALSE(verify_signature(cert, std::string(kChallenge) + "\n", *signature));
  EXPECT_FALSE(verify_signature(cert, "", *signature));

  std::string flipped = *signature;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
  EXPECT_EQ(verify_signature(cert, kChallenge, flipped).error().code, errc::invalid_argument);
  EXPECT_FALSE(verify_signature(cert, kChallenge, signature->substr(0, signature->size() - 1)));
  EXPECT_FALSE(verify_signature(cert, kChallenge, *signature + '\0'));
}

TEST_P(SignatureByKeyType, GarbageSignaturesAreRejectedNotCrashed) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key);
  const Certificate cert = certificate_for(*key);
  for (const std::string& garbage :
       {std::string(), std::string(1, '\0'), std::string(64, '\0'), std::string(256, '\xff'),
        std::string("\x30\x06\x02\x01\x01\x02\x01\x01", 8), std::string(4096, 'A'),
        std::string("deadbeef")}) {
    auto verified = verify_signature(cert, kChallenge, garbage);
    ASSERT_FALSE(verified) << garbage.size();
    EXPECT_EQ(verified.error().code, errc::invalid_argument);
    EXPECT_FALSE(verified.error().context.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, SignatureByKeyType,
                         ::testing::Values(KeyType::ecdsa_p256, KeyType::rsa_2048),
                         [](const auto& p) { return std::string(to_string(p.param)); });

TEST_F(SignatureTest, RsaSignaturesWithOtherPaddingsAreRejected) {
  auto key = PrivateKey::generate(KeyType::rsa_2048);
  ASSERT_TRUE(key);
  const Certificate cert = certificate_for(*key);
  // PKCS#1 v1.5 and PSS with a salt other than the hash length are not what
  // the firmware sends.
  EXPECT_FALSE(verify_signature(cert, kChallenge, firmware_style_sign(*key, kChallenge, false)));
  EXPECT_FALSE(verify_signature(cert, kChallenge,
                                firmware_style_sign(*key, kChallenge, true, RSA_PSS_SALTLEN_MAX)));
  EXPECT_FALSE(verify_signature(cert, kChallenge, firmware_style_sign(*key, kChallenge, true, 20)));
}

TEST_F(SignatureTest, SignatureOfAnotherKeyTypeIsRejected) {
  auto ec = PrivateKey::generate(KeyType::ecdsa_p256);
  auto rsa = PrivateKey::generate(KeyType::rsa_2048);
  ASSERT_TRUE(ec && rsa);
  auto ec_signature = sign_message(*ec, kChallenge);
  auto rsa_signature = sign_message(*rsa, kChallenge);
  ASSERT_TRUE(ec_signature && rsa_signature);
  EXPECT_FALSE(verify_signature(certificate_for(*rsa), kChallenge, *ec_signature));
  EXPECT_FALSE(verify_signature(certificate_for(*ec), kChallenge, *rsa_signature));
}

}  // namespace
}  // namespace stratus::pki
