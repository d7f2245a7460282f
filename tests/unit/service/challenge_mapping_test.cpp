// Proves challenge-response mapping: a node claimed here (ECDSA or RSA key) that signs
// the challenge gets its user as primary; wrong or stale keys, altered responses,
// another user's request, reuse, expiry, nodes without a certificate and malformed
// input fail with their codes and map nothing.
// How: real SQLite in a temp dir, a real CA through the claim service (so the audit
// table holds the node certificates), PkiSignatureVerifier, a ManualClock for expiry.
#include "service/challenge_mapping.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "pki/signature.hpp"
#include "server/broker_revocations.hpp"
#include "server/pki_certificate_issuer.hpp"
#include "server/pki_signature_verifier.hpp"
#include "service/claim_service.hpp"
#include "service/revocation_list.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/manufacturing_repository.hpp"
#include "storage/sql/mapping_challenge_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

using namespace std::chrono_literals;
namespace code = proto::rest::mapping_error;

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

bool lower_hex(const std::string& s, std::size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

struct ClaimedNode {
  std::string node_id;
  pki::PrivateKey key;
};

class ChallengeMappingTest : public ::testing::Test {
 protected:
  ChallengeMappingTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        accounts_(db_),
        claims_(db_),
        nodes_(db_),
        challenges_(db_),
        ca_(*pki::CertificateAuthority::create("Mapping Test CA", std::chrono::days(365), clock_)),
        issuer_(ca_, std::chrono::days(30), clock_),
        revocations_(dir_.path() / "revoked-certificates"),
        claim_service_(claims_, nodes_, issuer_, revocation_list_, clock_, {}, audit_),
        mapping_(challenges_, claims_, nodes_, verifier_, clock_, {}, audit_) {
    for (const char* user : {"alice", "bob"}) {
      EXPECT_TRUE(accounts_.create_user(storage::UserRecord{
          user, std::string(user) + "@example.com", "x", true, false, "", 1, 1}));
    }
  }

  // Claims a node for `user` with a fresh key of `type`, as the CLI does.
  ClaimedNode claim(const std::string& user, std::string_view mac,
                    pki::KeyType type = pki::KeyType::ecdsa_p256) {
    auto node_id = claim_service_.initiate(user, mac, "esp32s3");
    EXPECT_TRUE(node_id) << node_id.error().message();
    return {*node_id, certify(user, *node_id, type)};
  }

  // Issues (another) certificate for an already initiated node id; returns its key.
  pki::PrivateKey certify(const std::string& user, const std::string& node_id, pki::KeyType type) {
    auto key = pki::PrivateKey::generate(type);
    EXPECT_TRUE(key);
    auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
    EXPECT_TRUE(csr);
    auto issued = claim_service_.verify(user, node_id, *csr, "127.0.0.1");
    EXPECT_TRUE(issued) << issued.error().message();
    return std::move(*key);
  }

  // The node's answer to `challenge`, as hex.
  static std::string respond(const pki::PrivateKey& key, std::string_view challenge) {
    auto signature = pki::sign_message(key, challenge);
    EXPECT_TRUE(signature) << signature.error().message();
    return to_hex(*signature);
  }

  std::int64_t now_s() const { return unix_ms(clock_.now()) / 1000; }

  bool mapped(const std::string& user, const std::string& node_id) {
    auto node = nodes_.get_user_node(user, node_id);
    return node && node->role == "primary";
  }

  static void expect_error(const Result<void>& r, errc c, int reason) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c) << r.error().message();
    EXPECT_EQ(r.error().reason, reason) << r.error().message();
    EXPECT_FALSE(r.error().context.empty());
  }

  test::TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlClaimRepository claims_;
  storage::sql::SqlNodeRepository nodes_;
  storage::sql::SqlMappingChallengeRepository challenges_;
  pki::CertificateAuthority ca_;
  server::PkiCertificateIssuer issuer_;
  server::PkiSignatureVerifier verifier_;
  server::BrokerRevocations revocations_;
  RevocationList revocation_list_{claims_, revocations_, clock_};
  ClaimService claim_service_;
  ChallengeMapping mapping_;
  const Principal alice_{"alice", "s-a", false};
  const Principal bob_{"bob", "s-b", false};
};

class ChallengeMappingByKey : public ChallengeMappingTest,
                              public ::testing::WithParamInterface<pki::KeyType> {};

TEST_P(ChallengeMappingByKey, SignedChallengeMapsTheNodeToTheUserAsPrimary) {
  const auto node = claim("alice", "7CDFA100033B", GetParam());
  auto challenge = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(challenge) << challenge.error().message();
  EXPECT_TRUE(lower_hex(challenge->request_id, 32)) << challenge->request_id;
  EXPECT_TRUE(lower_hex(challenge->challenge, 64)) << challenge->challenge;
  EXPECT_FALSE(mapped("alice", node.node_id));

  auto r = mapping_.verify(alice_, challenge->request_id, node.node_id,
                           respond(node.key, challenge->challenge));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(mapped("alice", node.node_id));
  auto stored = challenges_.get(challenge->request_id);
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->used_at.has_value());
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, ChallengeMappingByKey,
                         ::testing::Values(pki::KeyType::ecdsa_p256, pki::KeyType::rsa_2048),
                         [](const auto& p) { return std::string(pki::to_string(p.param)); });

TEST_F(ChallengeMappingTest, ANodeClaimedByAnotherUserCanBeMappedByWhoeverHoldsIt) {
  // Claiming and mapping are separate: the CLI user who flashed the node may
  // hand it to someone else, who proves possession through the node.
  const auto node = claim("bob", "7CDFA100033B");
  // Bob's legacy mapping report, left waiting by the node, is gone once Alice maps it.
  ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) {
    return w.put_node_mapping_report(node.node_id, "bob", "bobs-secret", now_s());
  }));
  auto challenge = mapping_.initiate(alice_, 60s);
  ASSERT_TRUE(challenge);
  ASSERT_TRUE(mapping_.verify(alice_, challenge->request_id, node.node_id,
                              respond(node.key, challenge->challenge)));
  EXPECT_TRUE(mapped("alice", node.node_id));
  EXPECT_FALSE(mapped("bob", node.node_id));
  std::optional<std::pair<std::string, std::string>> report;
  ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    auto r = w.node_mapping_report(node.node_id, 0);
    if (!r)
      return fail(r.error());
    report = *r;
    return {};
  }));
  EXPECT_FALSE(report) << "no report left to map Bob later";
}

TEST_F(ChallengeMappingTest, OnlyTheLatestCertificateOfTheNodeCounts) {
  auto first = claim("alice", "7CDFA100033B");
  const auto pem_before = claims_.latest_certificate_pem(first.node_id, now_s());
  ASSERT_TRUE(pem_before && *pem_before);
  auto second_key = certify("alice", first.node_id, pki::KeyType::rsa_2048);
  const auto pem_after = claims_.latest_certificate_pem(first.node_id, now_s());
  ASSERT_TRUE(pem_after && *pem_after);
  EXPECT_NE(**pem_before, **pem_after);
  auto cert = pki::Certificate::from_pem(**pem_after);
  ASSERT_TRUE(cert);
  EXPECT_TRUE(cert->matches_key(second_key));
  const auto audit = claims_.list_certificates(first.node_id);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ(audit->back().certificate_pem, **pem_after);

  auto stale = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(stale);
  expect_error(mapping_.verify(alice_, stale->request_id, first.node_id,
                               respond(first.key, stale->challenge)),
               errc::invalid_argument, code::invalid_response);
  auto fresh = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(mapping_.verify(alice_, fresh->request_id, first.node_id,
                              respond(second_key, fresh->challenge)));
}

TEST_F(ChallengeMappingTest, WrongSignatureIsRejectedAndUsesUpTheRequest) {
  const auto node = claim("alice", "7CDFA100033B");
  const auto other = claim("alice", "7CDFA1000344");
  auto challenge = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(challenge);
  // Signed by another node's key; then the right key over other text.
  expect_error(mapping_.verify(alice_, challenge->request_id, node.node_id,
                               respond(other.key, challenge->challenge)),
               errc::invalid_argument, code::invalid_response);
  expect_error(mapping_.verify(alice_, challenge->request_id, node.node_id,
                               respond(node.key, challenge->challenge)),
               errc::conflict, code::request_used);
  auto again = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(again);
  expect_error(mapping_.verify(alice_, again->request_id, node.node_id,
                               respond(node.key, challenge->challenge)),
               errc::invalid_argument, code::invalid_response);
  EXPECT_FALSE(mapped("alice", node.node_id));
}

TEST_F(ChallengeMappingTest, AnotherUsersRequestIsNotFoundAndStaysUsable) {
  const auto node = claim("bob", "7CDFA100033B");
  auto challenge = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(challenge);
  const std::string response = respond(node.key, challenge->challenge);
  expect_error(mapping_.verify(bob_, challenge->request_id, node.node_id, response),
               errc::not_found, code::request_not_found);
  EXPECT_FALSE(mapped("bob", node.node_id));
  EXPECT_TRUE(mapping_.verify(alice_, challenge->request_id, node.node_id, response));
}

TEST_F(ChallengeMappingTest, ARequestIsSingleUse) {
  const auto node = claim("alice", "7CDFA100033B");
  auto challenge = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(challenge);
  const std::string response = respond(node.key, challenge->challenge);
  ASSERT_TRUE(mapping_.verify(alice_, challenge->request_id, node.node_id, response));
  expect_error(mapping_.verify(alice_, challenge->request_id, node.node_id, response),
               errc::conflict, code::request_used);
}

TEST_F(ChallengeMappingTest, ExpiredRequestTimesOut) {
  const auto node = claim("alice", "7CDFA100033B");
  auto late = mapping_.initiate(alice_, 60s);
  auto in_time = mapping_.initiate(alice_, 60s);
  ASSERT_TRUE(late && in_time);
  EXPECT_NE(late->request_id, in_time->request_id);
  EXPECT_NE(late->challenge, in_time->challenge);
  clock_.advance(59s);
  ASSERT_TRUE(mapping_.verify(alice_, in_time->request_id, node.node_id,
                              respond(node.key, in_time->challenge)));
  ASSERT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.remove_user("alice", node.node_id, "test", 0); !r)
      return fail(r.error());
    return {};
  }));
  clock_.advance(1s);
  expect_error(
      mapping_.verify(alice_, late->request_id, node.node_id, respond(node.key, late->challenge)),
      errc::conflict, code::timed_out);
  EXPECT_FALSE(mapped("alice", node.node_id));
}

TEST_F(ChallengeMappingTest, TimeoutIsBoundedAndDefaults) {
  const auto start =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto by_default = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(by_default);
  EXPECT_EQ(by_default->expires_at, start + 360);
  auto longest = mapping_.initiate(alice_, 3600s);
  ASSERT_TRUE(longest);
  EXPECT_EQ(longest->expires_at, start + 3600);
  for (const auto bad : {0s, -1s, 3601s, std::chrono::seconds(1LL << 40)}) {
    auto r = mapping_.initiate(alice_, bad);
    ASSERT_FALSE(r) << bad.count();
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_EQ(r.error().reason, code::timeout_invalid);
  }
}

TEST_F(ChallengeMappingTest, NodeWithoutCertificateFailsWithoutUsingTheRequest) {
  auto challenge = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(challenge);
  // Initiated but never certified, and never claimed at all.
  auto initiated_only = claim_service_.initiate("alice", "7CDFA1000355", "esp32");
  ASSERT_TRUE(initiated_only);
  for (const std::string& node_id : {*initiated_only, std::string("unknown-node-1")}) {
    expect_error(mapping_.verify(alice_, challenge->request_id, node_id, "3045"), errc::not_found,
                 code::no_certificate);
    EXPECT_FALSE(mapped("alice", node_id));
  }
  const auto node = claim("alice", "7CDFA100033B");
  EXPECT_TRUE(mapping_.verify(alice_, challenge->request_id, node.node_id,
                              respond(node.key, challenge->challenge)));
}

TEST_F(ChallengeMappingTest, ARevokedOrExpiredNodesKeyProvesNothing) {
  // A stolen device: its owner has the admin revoke it. Whoever holds its key cannot map
  // it to themselves, now or after the admin allows reclaiming it (until it is claimed
  // again with a new key).
  const auto stolen = claim("bob", "7CDFA100033B");
  storage::sql::SqlManufacturingRepository mfg(db_);
  ASSERT_TRUE(mfg.revoke_node(stolen.node_id, "stolen", "admin", now_s()));
  auto challenge = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(challenge);
  expect_error(mapping_.verify(alice_, challenge->request_id, stolen.node_id,
                               respond(stolen.key, challenge->challenge)),
               errc::not_found, code::no_certificate);
  ASSERT_TRUE(mfg.allow_reclaim(stolen.node_id));
  expect_error(mapping_.verify(alice_, challenge->request_id, stolen.node_id,
                               respond(stolen.key, challenge->challenge)),
               errc::not_found, code::no_certificate);
  EXPECT_FALSE(mapped("alice", stolen.node_id));

  // A certificate past its notAfter (30 days here) proves nothing either.
  const auto old = claim("bob", "7CDFA100034C");
  clock_.advance(std::chrono::days(31));
  auto late = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(late);
  expect_error(
      mapping_.verify(alice_, late->request_id, old.node_id, respond(old.key, late->challenge)),
      errc::not_found, code::no_certificate);
  EXPECT_FALSE(mapped("alice", old.node_id));
}

TEST_F(ChallengeMappingTest, MalformedInputsAreRejectedBeforeTheRequestIsUsed) {
  const auto node = claim("alice", "7CDFA100033B");
  auto challenge = mapping_.initiate(alice_, std::nullopt);
  ASSERT_TRUE(challenge);
  const std::string id = challenge->request_id;
  const std::string response = respond(node.key, challenge->challenge);

  expect_error(mapping_.verify(alice_, "", node.node_id, response), errc::invalid_argument,
               code::request_id_missing);
  for (const std::string& bad_node : {std::string(), std::string(65, 'n'), std::string("a\nb")}) {
    expect_error(mapping_.verify(alice_, id, bad_node, response), errc::invalid_argument,
                 code::node_id_invalid);
  }
  expect_error(mapping_.verify(alice_, id, node.node_id, ""), errc::invalid_argument,
               code::response_missing);
  for (const std::string& bad_hex :
       {response.substr(1), "zz" + response.substr(2), "0x" + response, response + " ",
        std::string(2 * ChallengeMapping::kMaxSignatureBytes + 2, 'a')}) {
    expect_error(mapping_.verify(alice_, id, node.node_id, bad_hex), errc::invalid_argument,
                 code::invalid_response);
  }
  expect_error(mapping_.verify(alice_, "0123456789abcdef0123456789abcdef", node.node_id, response),
               errc::not_found, code::request_not_found);
  EXPECT_FALSE(mapped("alice", node.node_id));

  // None of that used the request; upper-case hex is accepted too.
  std::string upper = response;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 32) : c; });
  ASSERT_TRUE(mapping_.verify(alice_, id, node.node_id, upper));
  EXPECT_TRUE(mapped("alice", node.node_id));
}

TEST_F(ChallengeMappingTest, OldChallengesArePurgedAfterADay) {
  auto old = mapping_.initiate(alice_, 60s);
  ASSERT_TRUE(old);
  clock_.advance(60s +
                 std::chrono::seconds(storage::MappingChallengeRepository::kRetentionSeconds));
  ASSERT_TRUE(mapping_.initiate(alice_, 60s));
  EXPECT_TRUE(challenges_.get(old->request_id));  // expired exactly a day ago: kept
  clock_.advance(1s);
  ASSERT_TRUE(mapping_.initiate(alice_, 60s));
  auto gone = challenges_.get(old->request_id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, errc::not_found);
}

}  // namespace
}  // namespace stratus::service
