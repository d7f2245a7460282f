// Proves: PEM round trips, CA issuing, rejection of bad input, ensure_pki create/load/reissue.
// How: real OpenSSL on fresh keys (raw EVP for bad CSRs), a TempDir per test, a ManualClock.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "pki/store.hpp"
#include "support/temp_dir.hpp"

namespace stratus::pki {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::read_file;
using test::TempDir;

// ---- helpers --------------------------------------------------------------------

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ReqFree {
  void operator()(X509_REQ* r) const { X509_REQ_free(r); }
};
struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string drain(BIO* bio) {
  std::string out;
  std::array<char, 1024> buf{};
  int n = 0;
  while ((n = BIO_read(bio, buf.data(), static_cast<int>(buf.size()))) > 0) {
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  return out;
}

/// A key of a type Stratus does not accept, made directly with EVP.
PkeyPtr unsupported_key(bool rsa_1024) {
  return PkeyPtr(rsa_1024 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024})
                          : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  return drain(bio.get());
}

/// A correctly self-signed CSR for any EVP key, bypassing Stratus's checks.
std::string raw_csr_pem(EVP_PKEY* key, const std::string& cn) {
  std::unique_ptr<X509_REQ, ReqFree> req(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  EXPECT_EQ(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(cn.data()),
                                       static_cast<int>(cn.size()), -1, 0),
            1);
  EXPECT_EQ(X509_REQ_set_pubkey(req.get(), key), 1);
  EXPECT_GT(X509_REQ_sign(req.get(), key, EVP_sha256()), 0);
  BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_X509_REQ(bio.get(), req.get()), 1);
  return drain(bio.get());
}

/// Decodes the PEM, lets `mutate` change the DER bytes, re-encodes with the same label.
template <class Fn>
std::string with_der(const std::string& pem, Fn mutate) {
  BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  EXPECT_EQ(PEM_read_bio(in.get(), &name, &header, &data, &len), 1);
  std::unique_ptr<char, OpenSslFree> name_owner(name);
  std::unique_ptr<char, OpenSslFree> header_owner(header);
  std::unique_ptr<unsigned char, OpenSslFree> data_owner(data);
  std::string der(reinterpret_cast<const char*>(data), static_cast<std::size_t>(len));
  mutate(der);
  BioPtr out(BIO_new(BIO_s_mem()));
  EXPECT_GT(
      PEM_write_bio(out.get(), name, header, reinterpret_cast<const unsigned char*>(der.data()),
                    static_cast<long>(der.size())),
      0);
  return drain(out.get());
}

std::string hostname() {
  std::array<char, 256> buf{};
  EXPECT_EQ(::gethostname(buf.data(), buf.size() - 1), 0);
  return buf.data();
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777U;
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

/// Bytes of every PKI file that exists, keyed by file name.
std::vector<std::pair<std::string, std::string>> snapshot(const PkiFiles& files) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto* p : {&files.ca_cert, &files.ca_key, &files.server_cert, &files.server_key,
                        &files.backend_secret}) {
    if (fs::exists(*p))
      out.emplace_back(p->filename().string(), read_file(*p));
  }
  return out;
}

const SystemClock system_clock;

CertificateAuthority make_ca(const std::string& cn = "Test CA") {
  auto ca = CertificateAuthority::create(cn, std::chrono::days{365}, system_clock);
  EXPECT_TRUE(ca.has_value()) << (ca ? "" : ca.error().message());
  return *std::move(ca);
}

// ---- keys -----------------------------------------------------------------------

class KeyTypes : public ::testing::TestWithParam<KeyType> {};

TEST_P(KeyTypes, GenerateAndPemRoundTrip) {
  auto key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->type(), GetParam());
  const std::string pem = key->to_pem();
  EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(key->public_key_pem().find("-----BEGIN PUBLIC KEY-----"), std::string::npos);

  auto again = PrivateKey::from_pem(pem);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->type(), GetParam());
  EXPECT_EQ(again->to_pem(), pem);
  EXPECT_EQ(again->public_key_pem(), key->public_key_pem());

  PrivateKey moved = *std::move(again);
  EXPECT_EQ(moved.to_pem(), pem);
}

TEST_P(KeyTypes, CsrToClientCertificate) {
  const CertificateAuthority ca = make_ca();
  const CertificateAuthority other_ca = make_ca("Other CA");
  auto node_key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(node_key);

  auto csr_pem = CertificateSigningRequest::make_csr_pem(*node_key, "node-0123456789ab");
  ASSERT_TRUE(csr_pem) << csr_pem.error().message();
  auto csr = CertificateSigningRequest::from_pem(*csr_pem);
  ASSERT_TRUE(csr) << csr.error().message();
  EXPECT_EQ(csr->subject_cn(), "node-0123456789ab");
  EXPECT_EQ(csr->key_type(), GetParam());

  auto cert = ca.issue_client_certificate(*csr, std::chrono::days{365}, system_clock);
  ASSERT_TRUE(cert) << cert.error().message();
  EXPECT_EQ(cert->subject_cn(), "node-0123456789ab");
  EXPECT_FALSE(cert->is_ca());
  EXPECT_TRUE(cert->issued_by(ca.certificate()));
  EXPECT_FALSE(cert->issued_by(other_ca.certificate()));
  EXPECT_FALSE(cert->issued_by(*cert));
  EXPECT_TRUE(cert->matches_key(*node_key));
  EXPECT_FALSE(cert->matches_key(ca.key()));
  EXPECT_TRUE(cert->dns_names().empty());

  auto reparsed = Certificate::from_pem(cert->to_pem());
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(reparsed->sha256_fingerprint_hex(), cert->sha256_fingerprint_hex());
  EXPECT_EQ(reparsed->serial_hex(), cert->serial_hex());
}

TEST_P(KeyTypes, DeviceCertificateForAFactoryKey) {
  const CertificateAuthority ca = make_ca();
  auto node_key = PrivateKey::generate(GetParam());
  ASSERT_TRUE(node_key);
  // The admin CLI's validity: yesterday .. +100 years (past 2050: GeneralizedTime).
  const auto not_before = std::chrono::sys_days{std::chrono::year{2026} / 12 / 2};
  const auto not_after = std::chrono::sys_days{std::chrono::year{2126} / 12 / 2};
  auto cert =
      ca.issue_device_certificate(*node_key, "T2uNDXPMS9nj9vpKjs2QG8", not_before, not_after);
  ASSERT_TRUE(cert) << cert.error().message();
  EXPECT_EQ(cert->subject_cn(), "T2uNDXPMS9nj9vpKjs2QG8");
  EXPECT_EQ(cert->subject_text(), "CN=T2uNDXPMS9nj9vpKjs2QG8");
  EXPECT_EQ(cert->issuer_text(), ca.certificate().subject_text());
  EXPECT_FALSE(cert->is_ca());
  EXPECT_TRUE(cert->has_client_auth_usage());
  EXPECT_FALSE(ca.certificate().has_client_auth_usage());
  EXPECT_TRUE(cert->issued_by(ca.certificate()));
  EXPECT_TRUE(cert->matches_key(*node_key));
  EXPECT_EQ(cert->not_before(), not_before);
  EXPECT_EQ(cert->not_after(), not_after);

  EXPECT_FALSE(ca.issue_device_certificate(*node_key, "x", not_after, not_before));
  EXPECT_FALSE(ca.issue_device_certificate(*node_key, "", not_before, not_after));
}

INSTANTIATE_TEST_SUITE_P(Pki, KeyTypes, ::testing::Values(KeyType::ecdsa_p256, KeyType::rsa_2048),
                         [](const auto& type) { return std::string(to_string(type.param)); });

TEST(PrivateKey, RejectsUnsupportedKeyTypes) {
  for (const bool rsa_1024 : {false, true}) {
    PkeyPtr key = unsupported_key(rsa_1024);
    ASSERT_NE(key, nullptr);
    auto parsed = PrivateKey::from_pem(private_key_pem(key.get()));
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, errc::invalid_argument);
    EXPECT_NE(parsed.error().context.find("unsupported"), std::string::npos)
        << parsed.error().context;
  }
}

// ---- garbage --------------------------------------------------------------------

TEST(Pki, GarbagePemIsRejectedWithoutCrashing) {
  auto key = PrivateKey::generate(KeyType::ecdsa_p256);
  ASSERT_TRUE(key);
  const std::string cert_pem = make_ca().certificate().to_pem();
  const std::vector<std::string> inputs = {
      "",
      "garbage",
      std::string("\0\x01\xff\xfe", 4),
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n",
      "-----BEGIN CERTIFICATE REQUEST-----\nMIIBIjAN\n-----END CERTIFICATE REQUEST-----\n",
      cert_pem.substr(0, cert_pem.size() / 2),
      std::string(2 * 1024 * 1024, 'A'),
  };
  for (const auto& input : inputs) {
    auto c = Certificate::from_pem(input);
    auto k = PrivateKey::from_pem(input);
    auto r = CertificateSigningRequest::from_pem(input);
    ASSERT_FALSE(c);
    ASSERT_FALSE(k);
    ASSERT_FALSE(r);
    EXPECT_EQ(c.error().code, errc::invalid_argument);
    EXPECT_EQ(k.error().code, errc::invalid_argument);
    EXPECT_EQ(r.error().code, errc::invalid_argument);
  }
  // Well-formed PEM of the wrong kind.
  EXPECT_FALSE(Certificate::from_pem(key->to_pem()));
  EXPECT_FALSE(CertificateSigningRequest::from_pem(cert_pem));
  EXPECT_FALSE(PrivateKey::from_pem(cert_pem));
  // OpenSSL's reason text reaches the context.
  auto c = Certificate::from_pem("garbage");
  EXPECT_NE(c.error().context.find("error:"), std::string::npos) << c.error().context;
}

// ---- CSRs -----------------------------------------------------------------------

TEST(Csr, TamperedSignatureOrBodyIsRejected) {
  auto key = PrivateKey::generate(KeyType::ecdsa_p256);
  ASSERT_TRUE(key);
  const std::string pem = *CertificateSigningRequest::make_csr_pem(*key, "node-aaaa");
  ASSERT_TRUE(CertificateSigningRequest::from_pem(pem));

  const std::string bad_signature = with_der(pem, [](std::string& der) { der.back() ^= 0x01; });
  const std::string bad_body = with_der(pem, [](std::string& der) {
    const auto at = der.find("node-aaaa");
    ASSERT_NE(at, std::string::npos);
    der[at + 8] = 'b';
  });
  for (const auto* tampered : {&bad_signature, &bad_body}) {
    auto csr = CertificateSigningRequest::from_pem(*tampered);
    ASSERT_FALSE(csr);
    EXPECT_EQ(csr.error().code, errc::invalid_argument);
    EXPECT_NE(csr.error().context.find("signature"), std::string::npos) << csr.error().context;
  }
}

TEST(Csr, UnsupportedKeyTypesAreRejected) {
  for (const bool rsa_1024 : {false, true}) {
    PkeyPtr key = unsupported_key(rsa_1024);
    ASSERT_NE(key, nullptr);
    auto csr = CertificateSigningRequest::from_pem(raw_csr_pem(key.get(), "node-x"));
    ASSERT_FALSE(csr);
    EXPECT_EQ(csr.error().code, errc::invalid_argument);
    EXPECT_NE(csr.error().context.find(rsa_1024 ? "1024" : "secp384r1"), std::string::npos)
        << csr.error().context;
  }
}

TEST(Csr, BadCommonNamesAreRejected) {
  auto key = PrivateKey::generate(KeyType::ecdsa_p256);
  ASSERT_TRUE(key);
  for (const std::string& cn : {std::string(), std::string(65, 'a'), std::string("a\nb")}) {
    auto pem = CertificateSigningRequest::make_csr_pem(*key, cn);
    ASSERT_FALSE(pem);
    EXPECT_EQ(pem.error().code, errc::invalid_argument);
  }
}

// ---- the CA ---------------------------------------------------------------------

TEST(CertificateAuthority, CreateMakesASelfSignedCa) {
  const ManualClock clock(std::chrono::system_clock::now());
  auto ca = CertificateAuthority::create("Stratus CA test", std::chrono::days{3650}, clock);
  ASSERT_TRUE(ca) << ca.error().message();
  const Certificate& cert = ca->certificate();
  EXPECT_TRUE(cert.is_ca());
  EXPECT_EQ(cert.subject_cn(), "Stratus CA test");
  EXPECT_TRUE(cert.issued_by(cert));
  EXPECT_TRUE(cert.matches_key(ca->key()));
  EXPECT_EQ(ca->key().type(), KeyType::ecdsa_p256);
  EXPECT_EQ(cert.serial_hex().size(), 32U);
  EXPECT_EQ(cert.sha256_fingerprint_hex().size(), 64U);
  EXPECT_LE(std::chrono::abs(cert.not_before() - (clock.now() - 1h)), 1s);
  EXPECT_LE(std::chrono::abs(cert.not_after() - (clock.now() + std::chrono::days{3650})), 1s);

  auto other = CertificateAuthority::create("Stratus CA test", std::chrono::days{3650}, clock);
  ASSERT_TRUE(other);
  EXPECT_NE(other->certificate().serial_hex(), cert.serial_hex());

  EXPECT_FALSE(CertificateAuthority::create("", std::chrono::days{1}, clock));
  EXPECT_FALSE(CertificateAuthority::create("x", std::chrono::days{0}, clock));
}

TEST(CertificateAuthority, LoadChecksKeyAndCaFlag) {
  const CertificateAuthority ca = make_ca();
  const CertificateAuthority other = make_ca("Other CA");

  auto loaded = CertificateAuthority::load(ca.certificate().to_pem(), ca.key().to_pem());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->certificate().sha256_fingerprint_hex(),
            ca.certificate().sha256_fingerprint_hex());

  auto mismatched = CertificateAuthority::load(ca.certificate().to_pem(), other.key().to_pem());
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code, errc::invalid_argument);

  auto leaf_key = PrivateKey::generate(KeyType::ecdsa_p256);
  ASSERT_TRUE(leaf_key);
  auto leaf = ca.issue_server_certificate(*leaf_key, "server", {"localhost"}, std::chrono::days{30},
                                          system_clock);
  ASSERT_TRUE(leaf);
  auto not_ca = CertificateAuthority::load(leaf->to_pem(), leaf_key->to_pem());
  ASSERT_FALSE(not_ca);
  EXPECT_NE(not_ca.error().context.find("not a CA"), std::string::npos);

  EXPECT_FALSE(CertificateAuthority::load("garbage", ca.key().to_pem()));
  EXPECT_FALSE(CertificateAuthority::load(ca.certificate().to_pem(), "garbage"));
}

TEST(CertificateAuthority, IssuesConcurrentlyFromOneInstance) {
  const CertificateAuthority ca = make_ca();
  auto key = PrivateKey::generate(KeyType::ecdsa_p256);
  ASSERT_TRUE(key);
  const auto csr = CertificateSigningRequest::from_pem(
      *CertificateSigningRequest::make_csr_pem(*key, "node-concurrent"));
  ASSERT_TRUE(csr);
  std::vector<std::string> serials(4);
  {
    std::vector<std::jthread> threads;
    for (auto& serial : serials) {
      threads.emplace_back([&] {
        for (int i = 0; i < 10; ++i) {
          auto cert = ca.issue_client_certificate(*csr, std::chrono::days{1}, system_clock);
          if (cert && cert->issued_by(ca.certificate()))
            serial = cert->serial_hex();
        }
      });
    }
  }
  for (const auto& serial : serials)
    EXPECT_EQ(serial.size(), 32U);
}

TEST(CertificateAuthority, ServerCertificateCarriesDnsAndIpNames) {
  const CertificateAuthority ca = make_ca();
  auto key = PrivateKey::generate(KeyType::rsa_2048);
  ASSERT_TRUE(key);
  auto cert =
      ca.issue_server_certificate(*key, "broker",
                                  {"localhost", "127.0.0.1", "::1", "Stratus.Example.com",
                                   "stratus.example.com", "10.1.2.3", "fd00::5", "0:0:0:0:0:0:0:1"},
                                  std::chrono::days{825}, system_clock);
  ASSERT_TRUE(cert) << cert.error().message();
  EXPECT_EQ(cert->dns_names(), (std::vector<std::string>{"localhost", "Stratus.Example.com"}));
  EXPECT_EQ(cert->ip_addresses(),
            (std::vector<std::string>{"127.0.0.1", "::1", "10.1.2.3", "fd00::5"}));
  EXPECT_EQ(cert->subject_cn(), "broker");
  EXPECT_FALSE(cert->is_ca());
  EXPECT_TRUE(cert->issued_by(ca.certificate()));
  EXPECT_TRUE(cert->matches_key(*key));

  auto bad = ca.issue_server_certificate(*key, "broker", {"not a name"}, std::chrono::days{1},
                                         system_clock);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
}

// ---- ensure_pki -----------------------------------------------------------------

const std::vector<std::string> extra_names = {"stratus.example.com", "192.0.2.10", "2001:db8::7"};

PkiOptions options_with_extras() {
  PkiOptions options;
  options.server_names = extra_names;
  return options;
}

TEST(EnsurePki, CreatesEverythingWithTightModes) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "data" / "pki";
  auto pki = ensure_pki(dir, options_with_extras(), system_clock);
  ASSERT_TRUE(pki) << pki.error().message();
  EXPECT_TRUE(pki->created);
  EXPECT_FALSE(pki->server_certificate_reissued);
  EXPECT_EQ(pki->files.dir, dir);

  EXPECT_EQ(mode_of(dir), 0700U);
  EXPECT_EQ(mode_of(pki->files.ca_key), 0600U);
  EXPECT_EQ(mode_of(pki->files.server_key), 0600U);
  EXPECT_EQ(mode_of(pki->files.backend_secret), 0600U);
  EXPECT_EQ(mode_of(pki->files.ca_cert), 0644U);
  EXPECT_EQ(mode_of(pki->files.server_cert), 0644U);

  EXPECT_EQ(pki->backend_secret.size(), 64U);
  EXPECT_EQ(read_file(pki->files.backend_secret), pki->backend_secret + "\n");
  EXPECT_EQ(read_file(pki->files.ca_cert), pki->ca.certificate().to_pem());
  EXPECT_EQ(read_file(pki->files.server_cert), pki->server_certificate.to_pem());

  const std::string host = hostname();
  EXPECT_EQ(pki->ca.certificate().subject_cn(), ("Stratus CA " + host).substr(0, 64));
  EXPECT_EQ(pki->server_certificate.subject_cn(), host);
  const auto dns = pki->server_certificate.dns_names();
  const auto ips = pki->server_certificate.ip_addresses();
  EXPECT_TRUE(contains(dns, "localhost"));
  EXPECT_TRUE(contains(dns, host));
  EXPECT_TRUE(contains(dns, "stratus.example.com"));
  EXPECT_TRUE(contains(ips, "127.0.0.1"));
  EXPECT_TRUE(contains(ips, "::1"));
  EXPECT_TRUE(contains(ips, "192.0.2.10"));
  EXPECT_TRUE(contains(ips, "2001:db8::7"));
  EXPECT_TRUE(pki->server_certificate.issued_by(pki->ca.certificate()));

  // Only the PKI directory is left next to it: the staging directory was renamed.
  std::vector<std::string> siblings;
  for (const auto& entry : fs::directory_iterator(dir.parent_path())) {
    siblings.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(siblings, std::vector<std::string>{"pki"});
}

TEST(EnsurePki, FillsAnExistingEmptyDirectory) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  fs::create_directory(dir);
  auto pki = ensure_pki(dir, {}, system_clock);
  ASSERT_TRUE(pki) << pki.error().message();
  EXPECT_TRUE(pki->created);
  EXPECT_TRUE(fs::exists(pki->files.server_key));
}

TEST(EnsurePki, SecondCallReusesTheSameBytes) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  auto first = ensure_pki(dir, options_with_extras(), system_clock);
  ASSERT_TRUE(first) << first.error().message();
  const auto before = snapshot(first->files);

  auto second = ensure_pki(dir, options_with_extras(), system_clock);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_FALSE(second->created);
  EXPECT_FALSE(second->server_certificate_reissued);
  EXPECT_EQ(snapshot(second->files), before);
  EXPECT_EQ(second->backend_secret, first->backend_secret);
  EXPECT_EQ(second->ca.certificate().sha256_fingerprint_hex(),
            first->ca.certificate().sha256_fingerprint_hex());
  EXPECT_EQ(second->ca.key().to_pem(), first->ca.key().to_pem());
}

TEST(EnsurePki, MissingFileIsAnErrorAndNothingChanges) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  auto first = ensure_pki(dir, {}, system_clock);
  ASSERT_TRUE(first);
  fs::remove(first->files.server_key);
  const auto before = snapshot(first->files);

  auto again = ensure_pki(dir, {}, system_clock);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::invalid_argument);
  const std::string& message = again.error().context;
  EXPECT_NE(message.find("missing server.key"), std::string::npos) << message;
  EXPECT_EQ(message.find("missing ca"), std::string::npos) << message;
  EXPECT_EQ(snapshot(first->files), before);
  EXPECT_FALSE(fs::exists(first->files.server_key));
}

TEST(EnsurePki, GarbageCaCertificateIsAnErrorNotARegeneration) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  auto first = ensure_pki(dir, {}, system_clock);
  ASSERT_TRUE(first);
  write_text(first->files.ca_cert, "garbage\n");
  const auto before = snapshot(first->files);

  auto again = ensure_pki(dir, {}, system_clock);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::invalid_argument);
  EXPECT_NE(again.error().context.find("ca.crt"), std::string::npos) << again.error().context;
  EXPECT_NE(again.error().context.find("orphan"), std::string::npos) << again.error().context;
  EXPECT_EQ(snapshot(first->files), before);
}

TEST(EnsurePki, ForeignServerKeyIsAnError) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  auto first = ensure_pki(dir, {}, system_clock);
  ASSERT_TRUE(first);
  auto other = PrivateKey::generate(KeyType::ecdsa_p256);
  ASSERT_TRUE(other);
  fs::remove(first->files.server_key);
  write_text(first->files.server_key, other->to_pem());
  fs::permissions(first->files.server_key, fs::perms::owner_read | fs::perms::owner_write);

  auto again = ensure_pki(dir, {}, system_clock);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().context.find("server.key"), std::string::npos) << again.error().context;
  EXPECT_NE(again.error().context.find("does not belong"), std::string::npos)
      << again.error().context;
}

TEST(EnsurePki, GroupReadableKeyIsAnError) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  auto first = ensure_pki(dir, {}, system_clock);
  ASSERT_TRUE(first);
  fs::permissions(first->files.ca_key, fs::perms::group_read, fs::perm_options::add);

  auto again = ensure_pki(dir, {}, system_clock);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().context.find("chmod 600"), std::string::npos) << again.error().context;
  EXPECT_NE(again.error().context.find("ca.key"), std::string::npos) << again.error().context;
}

TEST(EnsurePki, NonEmptyDirectoryWithoutPkiFilesIsLeftAlone) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  fs::create_directory(dir);
  write_text(dir / "notes.txt", "mine");

  auto pki = ensure_pki(dir, {}, system_clock);
  ASSERT_FALSE(pki);
  EXPECT_EQ(pki.error().code, errc::invalid_argument);
  EXPECT_EQ(read_file(dir / "notes.txt"), "mine");
  EXPECT_FALSE(fs::exists(dir / "ca.crt"));
}

TEST(EnsurePki, ExpiringServerCertificateIsReissuedButNotTheCa) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  ManualClock clock(std::chrono::system_clock::now());
  auto first = ensure_pki(dir, {}, clock);
  ASSERT_TRUE(first);
  const auto before = snapshot(first->files);

  clock.advance(std::chrono::days{820});  // 5 days before the 825-day server cert expires
  auto later = ensure_pki(dir, {}, clock);
  ASSERT_TRUE(later) << later.error().message();
  EXPECT_FALSE(later->created);
  EXPECT_TRUE(later->server_certificate_reissued);
  EXPECT_GT(later->server_certificate.not_after(), clock.now() + std::chrono::days{800});
  EXPECT_TRUE(later->server_certificate.issued_by(first->ca.certificate()));
  EXPECT_EQ(read_file(later->files.server_cert), later->server_certificate.to_pem());
  EXPECT_EQ(mode_of(later->files.server_cert), 0644U);

  const auto after = snapshot(later->files);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    if (after[i].first == "server.crt") {
      EXPECT_NE(after[i].second, before[i].second);
    } else {
      EXPECT_EQ(after[i], before[i]);  // CA, keys and secret untouched
    }
  }

  // Once renewed, it stays put.
  auto again = ensure_pki(dir, {}, clock);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->server_certificate_reissued);
}

TEST(EnsurePki, NewServerNameTriggersReissue) {
  const TempDir tmp;
  const fs::path dir = tmp.path() / "pki";
  auto first = ensure_pki(dir, {}, system_clock);
  ASSERT_TRUE(first);
  EXPECT_FALSE(contains(first->server_certificate.dns_names(), "mqtt.example.org"));

  PkiOptions options;
  options.server_names = {"mqtt.example.org", "198.51.100.4"};
  auto later = ensure_pki(dir, options, system_clock);
  ASSERT_TRUE(later) << later.error().message();
  EXPECT_TRUE(later->server_certificate_reissued);
  EXPECT_TRUE(contains(later->server_certificate.dns_names(), "mqtt.example.org"));
  EXPECT_TRUE(contains(later->server_certificate.ip_addresses(), "198.51.100.4"));
  EXPECT_TRUE(contains(later->server_certificate.dns_names(), "localhost"));
  EXPECT_EQ(later->ca.certificate().to_pem(), first->ca.certificate().to_pem());
  EXPECT_TRUE(later->server_certificate.matches_key(
      *PrivateKey::from_pem(read_file(later->files.server_key))));

  auto reread = Certificate::from_pem(read_file(later->files.server_cert));
  ASSERT_TRUE(reread);
  EXPECT_TRUE(contains(reread->dns_names(), "mqtt.example.org"));
}

TEST(EnsurePki, BadServerNameIsRejectedUpFront) {
  const TempDir tmp;
  PkiOptions options;
  options.server_names = {"bad name"};
  auto pki = ensure_pki(tmp.path() / "pki", options, system_clock);
  ASSERT_FALSE(pki);
  EXPECT_EQ(pki.error().code, errc::invalid_argument);
  EXPECT_FALSE(fs::exists(tmp.path() / "pki"));
}

}  // namespace
}  // namespace stratus::pki
