// Proves the claiming use cases: node ids per (user, MAC) with a cap, CSR
// checks (CN, key types, garbage, tampering), certificates chaining to the CA
// with an audit row each, and self-claim policy, expiry and single use.
// How: real SQLite in a temp dir, a real CA through PkiCertificateIssuer, and a
// ManualClock for challenge expiry.
#include "service/claim_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "proto/rest/error_codes.hpp"
#include "server/pki_certificate_issuer.hpp"
#include "service/revocation_list.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

using namespace std::chrono_literals;
namespace code = proto::rest::claim_error;

constexpr std::string_view kMac = "7CDFA100033B";

// `text` has `size` characters, each accepted by `ok`. (std::regex trips a
// GCC 12 -Wmaybe-uninitialized false positive under -Werror.)
template <class Pred>
bool all_of_size(const std::string& text, std::size_t size, Pred ok) {
  return text.size() == size && std::all_of(text.begin(), text.end(), ok);
}
bool alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string csr_for(std::string_view cn, pki::KeyType type = pki::KeyType::ecdsa_p256) {
  auto key = pki::PrivateKey::generate(type);
  EXPECT_TRUE(key) << key.error().message();
  auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, cn);
  EXPECT_TRUE(csr) << csr.error().message();
  return *csr;
}

// The CSR with one base64 character near the end of its DER changed (inside
// the signature value): still well-formed, but the self-signature no longer
// verifies.
std::string tampered(const std::string& pem) {
  const std::string begin = "-----BEGIN CERTIFICATE REQUEST-----\n";
  const auto body_end = pem.find("-----END");
  std::string b64;
  for (const char c : pem.substr(begin.size(), body_end - begin.size())) {
    if (c != '\n' && c != '=')
      b64.push_back(c);
  }
  const std::size_t padding = (4 - b64.size() % 4) % 4;
  char& victim = b64[b64.size() - 6];
  victim = victim == 'A' ? 'B' : 'A';
  b64.append(padding, '=');
  std::string out = begin;
  for (std::size_t i = 0; i < b64.size(); i += 64)
    out += b64.substr(i, 64) + "\n";
  return out + pem.substr(body_end);
}

// Records every list the service publishes.
class RecordingRevocations final : public CertificateRevocations {
 public:
  Result<void> publish(const std::vector<std::string>& fingerprints) override {
    lists.push_back(fingerprints);
    return {};
  }
  std::vector<std::vector<std::string>> lists;
};

class ClaimServiceTest : public ::testing::Test {
 protected:
  ClaimServiceTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        accounts_(db_),
        repository_(db_),
        nodes_(db_),
        ca_(*pki::CertificateAuthority::create("Claim Test CA", std::chrono::days(365), clock_)),
        issuer_(ca_, std::chrono::days(30), clock_) {
    for (const char* user : {"alice", "bob"}) {
      EXPECT_TRUE(accounts_.create_user(storage::UserRecord{
          user, std::string(user) + "@example.com", "x", true, false, "", 1, 1}));
    }
    options_.mqtt_host = "mqtt.example.com";
  }

  ClaimService& service() {
    service_ = std::make_unique<ClaimService>(repository_, nodes_, issuer_, revocation_list_,
                                              clock_, options_, audit_);
    return *service_;
  }

  static void expect_error(const Error& e, errc c, int reason) {
    EXPECT_EQ(e.code, c) << e.message();
    EXPECT_EQ(e.reason, reason) << e.message();
    EXPECT_FALSE(e.context.empty());
  }

  std::int64_t audit_rows() { return *repository_.count_certificates(); }

  test::TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlClaimRepository repository_;
  storage::sql::SqlNodeRepository nodes_;
  RecordingRevocations revocations_;
  RevocationList revocation_list_{repository_, revocations_, clock_};
  pki::CertificateAuthority ca_;
  server::PkiCertificateIssuer issuer_;
  ClaimOptions options_;
  std::unique_ptr<ClaimService> service_;
};

TEST_F(ClaimServiceTest, SameUserAndMacGetTheSameNodeIdAgain) {
  auto& s = service();
  auto first = s.initiate("alice", kMac, "esp32s3");
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_TRUE(all_of_size(*first, 22, alnum)) << *first;
  auto again = s.initiate("alice", "7c:df:a1:00:03:3b", "ESP32S3");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(*repository_.count_user_nodes("alice"), 1);
  auto node = repository_.get_node(*first);
  ASSERT_TRUE(node);
  EXPECT_EQ(node->mac_addr, kMac);
  EXPECT_EQ(node->platform, "esp32s3");
  EXPECT_EQ(node->state, storage::ClaimState::initiated);
}

TEST_F(ClaimServiceTest, DifferentUsersOrMacsGetDifferentNodeIds) {
  auto& s = service();
  const auto a1 = *s.initiate("alice", kMac, "esp32");
  const auto a2 = *s.initiate("alice", "AABBCCDDEEFF", "esp32");
  const auto b1 = *s.initiate("bob", kMac, "esp32");
  EXPECT_NE(a1, a2);
  EXPECT_NE(a1, b1);
  EXPECT_NE(a2, b1);
}

TEST_F(ClaimServiceTest, NodeIdsPerUserAreCapped) {
  options_.max_nodes_per_user = 2;
  auto& s = service();
  ASSERT_TRUE(s.initiate("alice", "000000000001", "host"));
  ASSERT_TRUE(s.initiate("alice", "000000000002", "host"));
  auto third = s.initiate("alice", "000000000003", "host");
  ASSERT_FALSE(third);
  expect_error(third.error(), errc::resource_exhausted, code::node_limit);
  EXPECT_TRUE(s.initiate("alice", "000000000002", "host")) << "a repeat is not a new node";
  EXPECT_TRUE(s.initiate("bob", "000000000003", "host")) << "the cap is per user";
}

TEST_F(ClaimServiceTest, BadMacOrPlatformIsRefused) {
  auto& s = service();
  for (const char* mac :
       {"", "7CDFA100033", "7CDFA100033B00", "7CDFA100033G", "7C DF A1 00 03 3B"}) {
    auto r = s.initiate("alice", mac, "esp32");
    ASSERT_FALSE(r) << mac;
    expect_error(r.error(), errc::invalid_argument, code::mac_invalid);
  }
  for (const char* platform : {"", "esp 32", "esp32/../x", "0123456789012345678901234567890123"}) {
    auto r = s.initiate("alice", kMac, platform);
    ASSERT_FALSE(r) << platform;
    expect_error(r.error(), errc::invalid_argument, code::platform_invalid);
  }
  EXPECT_EQ(*repository_.count_user_nodes("alice"), 0);
}

TEST_F(ClaimServiceTest, VerifyIssuesCertificatesForEcdsaAndRsaThatChainToTheCa) {
  auto& s = service();
  const auto node_id = *s.initiate("alice", kMac, "host");
  for (const auto type : {pki::KeyType::ecdsa_p256, pki::KeyType::rsa_2048}) {
    auto issued = s.verify("alice", "", csr_for(node_id, type), "10.0.0.7");
    ASSERT_TRUE(issued) << issued.error().message();
    EXPECT_EQ(issued->node_id, node_id);
    EXPECT_EQ(issued->mqtt_host, "mqtt.example.com");
    auto cert = pki::Certificate::from_pem(issued->certificate_pem);
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->subject_cn(), node_id);
    EXPECT_TRUE(cert->issued_by(ca_.certificate()));
    EXPECT_FALSE(cert->is_ca());
  }
  auto audit = repository_.list_certificates(node_id);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  const auto& row = audit->front();
  EXPECT_EQ(row.user_id, std::optional<std::string>("alice"));
  EXPECT_EQ(row.method, storage::ClaimMethod::assisted);
  EXPECT_EQ(row.client_address, "10.0.0.7");
  EXPECT_EQ(row.fingerprint_hex.size(), 64u);
  EXPECT_FALSE(row.serial_hex.empty());
  EXPECT_NE(row.serial_hex, audit->back().serial_hex);
  EXPECT_GT(row.not_after, row.issued_at + 29 * 86400);
  EXPECT_EQ(repository_.get_node(node_id)->state, storage::ClaimState::certified);
}

TEST_F(ClaimServiceTest, TheCsrMustNameTheCallersNodeId) {
  auto& s = service();
  const auto alice_id = *s.initiate("alice", kMac, "host");
  const auto bob_id = *s.initiate("bob", kMac, "host");

  auto unknown = s.verify("alice", "", csr_for("SomeOtherNodeId"), "");
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), errc::not_found, code::claim_not_found);

  auto others = s.verify("alice", "", csr_for(bob_id), "");
  ASSERT_FALSE(others);
  expect_error(others.error(), errc::not_found, code::claim_not_found);

  auto named = s.verify("alice", alice_id, csr_for(bob_id), "");
  ASSERT_FALSE(named);
  expect_error(named.error(), errc::invalid_argument, code::cn_mismatch);

  EXPECT_TRUE(s.verify("alice", alice_id, csr_for(alice_id), ""));
  EXPECT_EQ(audit_rows(), 1);
}

TEST_F(ClaimServiceTest, GarbageTamperedEmptyOrHugeCsrsAreRefused) {
  auto& s = service();
  const auto node_id = *s.initiate("alice", kMac, "host");
  const std::string good = csr_for(node_id);

  auto empty = s.verify("alice", "", "  ", "");
  ASSERT_FALSE(empty);
  expect_error(empty.error(), errc::invalid_argument, code::csr_missing);

  for (const std::string& bad :
       {std::string("not a csr"),
        std::string(
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
        tampered(good), good + std::string(ClaimService::kMaxCsrBytes, '\n')}) {
    auto r = s.verify("alice", "", bad, "");
    ASSERT_FALSE(r) << bad.substr(0, 80);
    expect_error(r.error(), errc::invalid_argument, code::csr_invalid);
  }
  auto forged = s.verify("alice", "", tampered(good), "");
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().context.find("signature does not verify"), std::string::npos)
      << forged.error().context;
  EXPECT_EQ(audit_rows(), 0);
  EXPECT_EQ(repository_.get_node(node_id)->state, storage::ClaimState::initiated);
}

TEST_F(ClaimServiceTest, SelfClaimIsDeniedByDefault) {
  auto& s = service();
  auto r = s.self_initiate(kMac, "esp32s3");
  ASSERT_FALSE(r);
  expect_error(r.error(), errc::forbidden, code::self_claim_disabled);
}

TEST_F(ClaimServiceTest, SelfClaimWhenAllowedIssuesForTheMacOnce) {
  options_.self_claim = ClaimOptions::SelfClaim::allow;
  auto& s = service();
  auto challenge = s.self_initiate("7c:df:a1:00:03:3b", "esp32s3");
  ASSERT_TRUE(challenge) << challenge.error().message();
  EXPECT_TRUE(all_of_size(challenge->auth_id, 32, lower_hex));
  EXPECT_TRUE(all_of_size(challenge->challenge, 64, lower_hex));

  const std::string hmac(128, 'A');  // what the firmware sends: 128 upper-case hex chars
  auto wrong_cn = s.self_verify(challenge->auth_id, hmac, csr_for("AABBCCDDEEFF"), "");
  ASSERT_FALSE(wrong_cn);
  expect_error(wrong_cn.error(), errc::invalid_argument, code::cn_mismatch);

  auto no_response = s.self_verify(challenge->auth_id, "", csr_for(kMac), "");
  ASSERT_FALSE(no_response);
  expect_error(no_response.error(), errc::invalid_argument, code::challenge_response_missing);

  auto issued =
      s.self_verify(challenge->auth_id, hmac, csr_for(kMac, pki::KeyType::rsa_2048), "192.0.2.1");
  ASSERT_TRUE(issued) << issued.error().message();
  EXPECT_EQ(issued->node_id, kMac);
  auto cert = pki::Certificate::from_pem(issued->certificate_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->subject_cn(), kMac);
  EXPECT_TRUE(cert->issued_by(ca_.certificate()));

  auto audit = *repository_.list_certificates(kMac);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].method, storage::ClaimMethod::self);
  EXPECT_FALSE(audit[0].user_id);
  EXPECT_EQ(audit[0].client_address, "192.0.2.1");
  auto node = repository_.get_node(kMac);
  ASSERT_TRUE(node);
  EXPECT_FALSE(node->user_id);
  EXPECT_EQ(node->state, storage::ClaimState::certified);

  auto replay = s.self_verify(challenge->auth_id, hmac, csr_for(kMac), "");
  ASSERT_FALSE(replay);
  expect_error(replay.error(), errc::forbidden, code::challenge_invalid);

  // Issue 13, Medium 5: a node id that holds a valid certificate is not certified again
  // by self claiming, whoever asks (a new challenge is handed out, the verify refused).
  auto next = s.self_initiate(kMac, "esp32s3");
  ASSERT_TRUE(next);
  auto again = s.self_verify(next->auth_id, hmac, csr_for(kMac), "");
  ASSERT_FALSE(again);
  expect_error(again.error(), errc::forbidden, code::already_certified);
  EXPECT_EQ(repository_.list_certificates(kMac)->size(), 1u);
  EXPECT_TRUE(revocations_.lists.empty());
}

// Issue 13, High 2: the claiming user cannot get a certificate for a node that belongs
// to another user now; its primary user can, and each new certificate revokes the
// earlier ones (one valid certificate per node id), which reaches the broker.
TEST_F(ClaimServiceTest, OnlyTheCurrentPrimaryUserMayReissueAndReissueRevokes) {
  auto& s = service();
  const auto node_id = *s.initiate("alice", kMac, "host");
  auto first = s.verify("alice", "", csr_for(node_id), "");
  ASSERT_TRUE(first) << first.error().message();
  auto retried = s.verify("alice", "", csr_for(node_id), "");  // a retried CLI run: allowed
  ASSERT_TRUE(retried);
  ASSERT_EQ(revocations_.lists.size(), 1u);
  const auto first_fp =
      pki::Certificate::from_pem(first->certificate_pem)->sha256_fingerprint_hex();
  EXPECT_EQ(revocations_.lists.back(), std::vector<std::string>{first_fp});

  // bob maps the node (after a reset): alice is not its user any more.
  ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node(node_id, 1); !r)
      return r;
    auto removed = w.remove_all_users(node_id, "reset", 1);
    if (!removed)
      return fail(removed.error());
    return w.add_user("bob", node_id, "primary", 1);
  }));
  const auto rows = audit_rows();
  auto stolen = s.verify("alice", node_id, csr_for(node_id), "203.0.113.9");
  ASSERT_FALSE(stolen);
  expect_error(stolen.error(), errc::forbidden, code::reissue_forbidden);
  EXPECT_EQ(audit_rows(), rows) << "nothing issued";

  auto by_owner = s.verify("bob", "", csr_for(node_id), "");
  ASSERT_TRUE(by_owner) << by_owner.error().message();
  const auto audit = *repository_.list_certificates(node_id);
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_TRUE(audit[0].revoked_at);
  EXPECT_TRUE(audit[1].revoked_at);
  EXPECT_FALSE(audit[2].revoked_at);
  EXPECT_EQ(audit[2].user_id, std::optional<std::string>("bob"));
  ASSERT_EQ(revocations_.lists.size(), 2u);
  EXPECT_EQ(revocations_.lists.back().size(), 2u);
  EXPECT_EQ(*repository_.revoked_fingerprints(0), revocations_.lists.back());
  // The Stratus CA's revocation list (docs/adr/0037) names the same two, by serial.
  std::vector<std::pair<std::string, std::int64_t>> expected{
      {audit[0].serial_hex, *audit[0].revoked_at}, {audit[1].serial_hex, *audit[1].revoked_at}};
  std::sort(expected.begin(), expected.end());
  const auto crl_rows = repository_.revoked_serials(0);
  ASSERT_TRUE(crl_rows) << crl_rows.error().message();
  std::vector<std::pair<std::string, std::int64_t>> listed;
  for (const auto& r : *crl_rows)
    listed.emplace_back(r.serial_hex, r.revoked_at);
  for (const auto& r : *crl_rows)
    EXPECT_TRUE(r.manufactured_pem.empty()) << "claimed, not manufactured";
  EXPECT_EQ(listed, expected);
  // Those that expired before `since` leave it; notAfter itself is still in.
  EXPECT_EQ(repository_.revoked_serials(audit[0].not_after)->size(), 2u);
  EXPECT_TRUE(repository_.revoked_serials(audit[0].not_after + 1)->empty());

  // carol, a stranger, gets what an unknown node gets.
  auto stranger = s.verify("carol", "", csr_for(node_id), "");
  ASSERT_FALSE(stranger);
  expect_error(stranger.error(), errc::not_found, code::claim_not_found);
}

// The way out the refusal above names: the primary user of a self-claimed node may
// re-claim it, which revokes the self-claimed certificate.
TEST_F(ClaimServiceTest, ThePrimaryUserOfASelfClaimedNodeMayReissue) {
  options_.self_claim = ClaimOptions::SelfClaim::allow;
  auto& s = service();
  const std::string hmac(128, 'A');
  auto challenge = s.self_initiate(kMac, "esp32s3");
  ASSERT_TRUE(challenge);
  ASSERT_TRUE(s.self_verify(challenge->auth_id, hmac, csr_for(kMac), ""));
  ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node(kMac, 1); !r)
      return r;
    return w.add_user("bob", kMac, "primary", 1);
  }));
  auto stranger = s.verify("alice", "", csr_for(kMac), "");
  ASSERT_FALSE(stranger);
  expect_error(stranger.error(), errc::not_found, code::claim_not_found);  // as if unknown
  auto by_owner = s.verify("bob", "", csr_for(kMac), "");
  ASSERT_TRUE(by_owner) << by_owner.error().message();
  const auto audit = *repository_.list_certificates(std::string(kMac));
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_TRUE(audit[0].revoked_at);
  EXPECT_EQ(audit[1].user_id, std::optional<std::string>("bob"));
  ASSERT_EQ(revocations_.lists.size(), 1u);
}

TEST_F(ClaimServiceTest, SelfClaimAllowListMatchesMacsAndPrefixes) {
  options_.self_claim = ClaimOptions::SelfClaim::allowlist;
  options_.allowlist = *parse_mac_allowlist("7C:DF:A1*  # our ESP32-S3 batch\nAABBCCDDEEFF\n");
  auto& s = service();
  EXPECT_TRUE(s.self_initiate(kMac, "esp32s3"));
  EXPECT_TRUE(s.self_initiate("7CDFA1FFFFFF", "esp32s3"));
  EXPECT_TRUE(s.self_initiate("AABBCCDDEEFF", "esp32s3"));
  auto other = s.self_initiate("7CDFA2000000", "esp32s3");
  ASSERT_FALSE(other);
  expect_error(other.error(), errc::forbidden, code::mac_not_allowed);
}

TEST_F(ClaimServiceTest, ChallengesExpireAndANewOneReplacesTheOld) {
  options_.self_claim = ClaimOptions::SelfClaim::allow;
  options_.challenge_lifetime = 60s;
  auto& s = service();
  const std::string hmac(128, '0');

  auto old_one = *s.self_initiate(kMac, "esp32c3");
  auto new_one = *s.self_initiate(kMac, "esp32c3");
  auto replaced = s.self_verify(old_one.auth_id, hmac, csr_for(kMac), "");
  ASSERT_FALSE(replaced);
  expect_error(replaced.error(), errc::forbidden, code::challenge_invalid);

  clock_.advance(61s);
  auto expired = s.self_verify(new_one.auth_id, hmac, csr_for(kMac), "");
  ASSERT_FALSE(expired);
  expect_error(expired.error(), errc::forbidden, code::challenge_invalid);

  auto unknown = s.self_verify("nope", hmac, csr_for(kMac), "");
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), errc::forbidden, code::challenge_invalid);
  EXPECT_EQ(audit_rows(), 0);
}

TEST(ClaimParsing, AllowListFileText) {
  auto ok = parse_mac_allowlist(
      "# factory allow-list\n\n7c:df:a1:00:03:3b\n  AA-BB-CC*  # vendor prefix\n7CDFA100033B\n");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*ok, (std::vector<std::string>{"7CDFA100033B", "AABBCC"}));

  auto bad = parse_mac_allowlist("AABBCC\nxyz\n7CDFA100033B00\n*\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
  EXPECT_NE(bad.error().context.find("line 2"), std::string::npos) << bad.error().context;
  EXPECT_NE(bad.error().context.find("line 3"), std::string::npos);
  EXPECT_NE(bad.error().context.find("line 4"), std::string::npos);
  EXPECT_TRUE(parse_mac_allowlist("")->empty());
}

TEST(ClaimParsing, PolicyNamesAndMacs) {
  EXPECT_EQ(*parse_self_claim_policy("deny"), ClaimOptions::SelfClaim::deny);
  EXPECT_EQ(*parse_self_claim_policy("allow"), ClaimOptions::SelfClaim::allow);
  EXPECT_EQ(*parse_self_claim_policy("allowlist"), ClaimOptions::SelfClaim::allowlist);
  EXPECT_FALSE(parse_self_claim_policy("Allow"));
  EXPECT_EQ(*normalize_mac("7c-df-a1-00-03-3b"), "7CDFA100033B");
  EXPECT_EQ(normalize_mac("7CDFA1").error().reason, code::mac_invalid);
}

}  // namespace
}  // namespace stratus::service
