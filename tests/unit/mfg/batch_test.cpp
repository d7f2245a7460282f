// Proves a batch has the admin CLI's layout and content: every certificate verifies
// against the CA with CN = node id, CA:FALSE, clientAuth and a 100-year validity from
// yesterday; keys match; node_certs.csv, node_ids.csv and values.csv parse back in node
// order; each NVS image is the one built from that node's files; bad options write
// nothing. How: a small batch on several threads into a TempDir, read back with pki and
// proto; a ManualClock-like fixed clock.
#include "mfg/batch.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>

#include "mfg/node_ids.hpp"
#include "pki/certificate.hpp"
#include "proto/mfg_csv.hpp"
#include "support/temp_dir.hpp"

namespace stratus::mfg {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::TempDir;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::chrono::system_clock::time_point at) : at_(at) {}
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return at_; }
  [[nodiscard]] std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }

 private:
  std::chrono::system_clock::time_point at_;
};

const auto kNow = std::chrono::sys_days{std::chrono::year{2026} / 12 / 3} + std::chrono::hours{11};

pki::CertificateAuthority make_ca(const Clock& clock) {
  auto ca =
      pki::CertificateAuthority::create("Test Manufacturing CA", std::chrono::days{3650}, clock);
  EXPECT_TRUE(ca.has_value());
  return std::move(*ca);
}

TEST(Batch, QrPayloadIsWhatTheAdminCliPrints) {
  const std::string random(
      "0123abcd000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000a1b2c3");
  EXPECT_EQ(qr_payload(random, ProvTransport::ble, "PROV"),
            R"({"ver": "v1", "name": "PROV_a1b2c3", "pop": "0123abcd", "transport": "ble"})");
  EXPECT_EQ(qr_payload(random, ProvTransport::softap, "X"),
            R"({"ver": "v1", "name": "X_a1b2c3", "pop": "0123abcd", "transport": "softap"})");
}

void check_batch(pki::KeyType key_type, std::size_t count, std::size_t threads) {
  const TempDir dir;
  const FixedClock clock(kNow);
  const auto ca = make_ca(clock);
  BatchOptions options;
  options.outdir = dir.path() / "out";
  options.node_ids = generate_node_ids(count);
  options.key_type = key_type;
  options.transport = ProvTransport::softap;
  options.prov_prefix = "ACME";
  options.mqtt_host = "a1b2c3-ats.iot.example.com";
  options.threads = threads;
  std::mutex progress_mutex;
  std::size_t last_progress = 0;
  options.on_progress = [&](std::size_t done, std::size_t total) {
    const std::lock_guard lock(progress_mutex);
    EXPECT_GT(done, last_progress);
    EXPECT_EQ(total, count);
    last_progress = done;
  };

  auto summary = generate_batch(ca, options, clock);
  ASSERT_TRUE(summary.has_value()) << summary.error().message();
  EXPECT_EQ(summary->nodes, count);
  EXPECT_EQ(last_progress, count);
  // Local date of kNow (11:00 UTC) is 2026-12-03 in any zone within ±11 h.
  EXPECT_EQ(summary->directory, options.outdir / "2026-12-03" / "Mfg-000001");
  const fs::path common = summary->directory / "common";
  EXPECT_EQ(read_file(summary->directory / ".gitignore"), "*");
  EXPECT_EQ(read_file(common / "endpoint.txt"), options.mqtt_host);
  EXPECT_EQ(read_file(common / "ca.crt"), ca.certificate().to_pem());
  EXPECT_EQ(read_file(common / "config.csv"), proto::write_mfg_config_csv());
  struct stat key_stat {};
  ASSERT_EQ(::stat((common / "ca.key").c_str(), &key_stat), 0);
  EXPECT_EQ(key_stat.st_mode & 0777, 0600U);

  const auto ids = proto::parse_node_ids_csv(read_file(common / "node_ids.csv"));
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, options.node_ids);
  const auto rows = proto::parse_node_certs_csv(read_file(common / "node_certs.csv"));
  ASSERT_TRUE(rows.has_value()) << rows.error().message();
  ASSERT_EQ(rows->size(), count);
  const auto values = proto::parse_csv(read_file(common / "values.csv"));
  ASSERT_TRUE(values.has_value());
  ASSERT_EQ(values->size(), count + 1);

  const auto yesterday = std::chrono::floor<std::chrono::seconds>(kNow) - std::chrono::hours(24);
  const auto in_100_years =
      std::chrono::sys_days{std::chrono::year{2126} / 12 / 2} + std::chrono::hours{11};
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& id = options.node_ids[i];
    const std::string name = "node-" + std::string(6 - std::to_string(i + 1).size(), '0') +
                             std::to_string(i + 1) + "-" + id;
    const fs::path details = summary->directory / "node_details" / name;
    const std::string cert_pem = read_file(details / "node.crt");
    const std::string key_pem = read_file(details / "node.key");
    const std::string random = read_file(details / "random.txt");
    const std::string qr = read_file(details / "qrcode.txt");
    auto cert = pki::Certificate::from_pem(cert_pem);
    ASSERT_TRUE(cert.has_value()) << name;
    auto key = pki::PrivateKey::from_pem(key_pem);
    ASSERT_TRUE(key.has_value()) << name;
    EXPECT_EQ(key->type(), key_type);
    EXPECT_EQ(cert->subject_cn(), id);
    EXPECT_EQ(cert->issuer_text(), ca.certificate().subject_text());
    EXPECT_TRUE(cert->issued_by(ca.certificate()));
    EXPECT_TRUE(cert->matches_key(*key));
    EXPECT_FALSE(cert->is_ca());
    EXPECT_TRUE(cert->has_client_auth_usage());
    EXPECT_EQ(cert->not_before(), yesterday);
    EXPECT_EQ(cert->not_after(), in_100_years);
    ASSERT_EQ(random.size(), 2 * kRandomBytes);
    EXPECT_EQ(qr, qr_payload(random, ProvTransport::softap, "ACME"));
    ASSERT_EQ(::stat((details / "node.key").c_str(), &key_stat), 0);
    EXPECT_EQ(key_stat.st_mode & 0777, 0600U);

    EXPECT_EQ((*rows)[i].node_id, id);
    EXPECT_EQ((*rows)[i].certificate_pem, cert_pem);
    EXPECT_EQ((*rows)[i].qrcode, qr);
    const auto& value = (*values)[i + 1].fields;
    ASSERT_EQ(value.size(), 8U);
    EXPECT_EQ(value[0], std::to_string(i + 1));
    EXPECT_EQ(value[1], id);
    EXPECT_EQ(value[2], options.mqtt_host);
    EXPECT_EQ(value[3], "");
    EXPECT_EQ(value[4], (details / "node.crt").string());
    EXPECT_EQ(value[6], random);
    EXPECT_EQ(value[7], qr);

    const auto image = rmaker_creds_image(id, options.mqtt_host, "", cert_pem, key_pem, random,
                                          kDefaultNvsPartitionBytes);
    ASSERT_TRUE(image.has_value());
    EXPECT_EQ(read_file(summary->directory / "bin" / (name + ".bin")), *image) << name;
  }
}

TEST(Batch, EcdsaBatchOnThreeThreads) {
  check_batch(pki::KeyType::ecdsa_p256, 40, 3);
}
TEST(Batch, RsaBatchOnOneThread) {
  check_batch(pki::KeyType::rsa_2048, 3, 1);
}

TEST(Batch, SecondBatchOfTheDayGetsTheNextNumber) {
  const TempDir dir;
  const FixedClock clock(kNow);
  const auto ca = make_ca(clock);
  BatchOptions options;
  options.outdir = dir.path();
  options.node_ids = {"n1"};
  options.mqtt_host = "broker.example.com";
  auto first = generate_batch(ca, options, clock);
  auto second = generate_batch(ca, options, clock);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->directory.filename(), "Mfg-000001");
  EXPECT_EQ(second->directory.filename(), "Mfg-000002");
}

TEST(Batch, BadOptionsWriteNothing) {
  const TempDir dir;
  const FixedClock clock(kNow);
  const auto ca = make_ca(clock);
  BatchOptions good;
  good.outdir = dir.path() / "out";
  good.node_ids = {"n1", "n2"};
  good.mqtt_host = "broker.example.com";
  const auto refused = [&](BatchOptions options) {
    const auto result = generate_batch(ca, options, clock);
    return !result && result.error().code == errc::invalid_argument;
  };
  BatchOptions o = good;
  o.node_ids = {};
  EXPECT_TRUE(refused(o));
  o = good;
  o.node_ids = {"n1", "n1"};
  EXPECT_TRUE(refused(o));
  o = good;
  o.node_ids = {"../escape"};
  EXPECT_TRUE(refused(o));
  o = good;
  o.mqtt_host = "";
  EXPECT_TRUE(refused(o));
  o = good;
  o.mqtt_host = "a,b";
  EXPECT_TRUE(refused(o));
  o = good;
  o.prov_prefix = "x\"y";
  EXPECT_TRUE(refused(o));
  o = good;
  o.nvs_partition_bytes = 0x2000;
  EXPECT_TRUE(refused(o));
  EXPECT_FALSE(fs::exists(good.outdir));
}

TEST(Batch, CredentialsTooLargeForThePartitionAreRefused) {
  const std::string big(9000, 'x');
  const auto image = rmaker_creds_image("n", "h", "", big, "k", std::string(128, '0'), 0x3000);
  ASSERT_FALSE(image.has_value());
  EXPECT_EQ(image.error().code, errc::resource_exhausted);
}

}  // namespace
}  // namespace stratus::mfg
