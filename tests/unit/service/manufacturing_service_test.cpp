// Proves the manufacturing use cases: node ids for a batch behind a signed download,
// registration of a node_certs.csv with good and bad rows (each bad row reported, the
// good ones registered), re-registration with and without --force, manufacturing CAs,
// admin revocation and the reclaim permission claiming checks, super-admin only.
// How: real SQLite in a temp dir, real CAs and certificates through pki, the server's
// PkiCertificateInspector and FileRegistrationStore, a recording broker, a ManualClock.
#include "service/manufacturing_service.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <thread>

#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "proto/mfg_csv.hpp"
#include "proto/rest/error_codes.hpp"
#include "server/manufacturing_adapters.hpp"
#include "server/pki_certificate_issuer.hpp"
#include "service/ca_revocation_list.hpp"
#include "service/claim_service.hpp"
#include "service/revocation_list.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/manufacturing_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/crl_check.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

using namespace std::chrono_literals;
namespace code = proto::rest::mfg_error;

class RecordingTrust final : public BrokerTrust {
 public:
  Result<void> add_ca(const CaCertificateInfo& ca) override {
    cas.push_back(ca.fingerprint_hex);
    return {};
  }
  Result<void> publish_registered(const std::vector<std::string>& fingerprints) override {
    registered = fingerprints;
    return {};
  }
  std::vector<std::string> cas;
  std::vector<std::string> registered;
};

class RecordingRevocations final : public CertificateRevocations {
 public:
  Result<void> publish(const std::vector<std::string>& fingerprints) override {
    if (broken)
      return fail(errc::unavailable, "disk full");
    revoked = fingerprints;
    return {};
  }
  std::vector<std::string> revoked;
  bool broken = false;  // the broker's list cannot be written
};

std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_md5(), nullptr), 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

// The value of `name` in the query of `url`.
std::string query_of(const std::string& url, const std::string& name) {
  const auto at = url.find(name + "=");
  if (at == std::string::npos)
    return {};
  const auto start = at + name.size() + 1;
  return url.substr(start, url.find('&', start) - start);
}

class ManufacturingServiceTest : public ::testing::Test {
 protected:
  ManufacturingServiceTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        accounts_(db_),
        claims_(db_),
        nodes_(db_),
        repository_(db_),
        stratus_ca_(
            *pki::CertificateAuthority::create("Stratus CA", std::chrono::days(365), clock_)),
        factory_ca_(
            *pki::CertificateAuthority::create("Factory CA", std::chrono::days(3650), clock_)),
        other_ca_(
            *pki::CertificateAuthority::create("Unknown CA", std::chrono::days(3650), clock_)),
        inspector_(stratus_ca_.certificate()),
        files_(dir_.path() / "uploads"),
        issuer_(stratus_ca_, std::chrono::days(30), clock_) {
    EXPECT_TRUE(files_.open());
    EXPECT_TRUE(accounts_.create_user(
        storage::UserRecord{"alice", "alice@example.com", "x", true, false, "", 1, 1}));
    ManufacturingOptions options;
    options.mqtt_host = "a1b2c3-ats.iot.example.com";
    options.url_key = std::string(32, 'k');
    options.max_node_ids = 1000;
    service_ = std::make_unique<ManufacturingService>(
        repository_, inspector_, trust_, revocation_list_, files_, audit_, clock_, options);
  }

  // A node certificate for `node_id` signed by `ca`, as PEM.
  std::string cert_for(const pki::CertificateAuthority& ca, std::string_view node_id) {
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    auto csr = pki::CertificateSigningRequest::from_pem(
        *pki::CertificateSigningRequest::make_csr_pem(*key, node_id));
    auto cert = ca.issue_client_certificate(*csr, std::chrono::days(3650), clock_);
    EXPECT_TRUE(cert) << cert.error().message();
    return cert->to_pem();
  }

  // Uploads `csv` as the admin CLI does and asks for its registration, then runs the job
  // with process_for_test; returns the request id.
  std::string upload_and_register(const std::string& csv, RegistrationRequest request = {}) {
    const auto request_id = upload_and_queue(csv, std::move(request));
    service_->process_for_test(request_id);
    return request_id;
  }

  // Uploads `csv` and asks for its registration; returns the request id of the queued job.
  std::string upload_and_queue(const std::string& csv, RegistrationRequest request = {}) {
    auto ticket = service_->upload_url(admin_, "node_certs.csv", "https://cloud:8080");
    EXPECT_TRUE(ticket) << ticket.error().message();
    const auto temp = (dir_.path() / ("upload-" + ticket->request_id)).string();
    std::ofstream(temp, std::ios::binary) << csv;
    EXPECT_TRUE(service_->store_upload(query_of(ticket->url, "request_id"),
                                       query_of(ticket->url, "expires"),
                                       query_of(ticket->url, "sig"), temp));
    request.request_id = ticket->request_id;
    request.file_name = "node_certs.csv";
    request.file_md5 = md5_hex(csv);
    auto queued = service_->register_certificates(admin_, request);
    EXPECT_TRUE(queued) << queued.error().message();
    return ticket->request_id;
  }

  RegistrationStatus status(const std::string& request_id) {
    auto s = service_->registration_status(admin_, request_id);
    EXPECT_TRUE(s) << s.error().message();
    return s ? *s : RegistrationStatus{};
  }

  static void expect_error(const Error& e, errc c, int reason) {
    EXPECT_EQ(e.code, c) << e.message();
    EXPECT_EQ(e.reason, reason) << e.message();
  }

  test::TempDir dir_;
  ManualClock clock_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlClaimRepository claims_;
  storage::sql::SqlNodeRepository nodes_;
  storage::sql::SqlManufacturingRepository repository_;
  pki::CertificateAuthority stratus_ca_;
  pki::CertificateAuthority factory_ca_;
  pki::CertificateAuthority other_ca_;
  server::PkiCertificateInspector inspector_;
  server::FileRegistrationStore files_;
  server::PkiCertificateIssuer issuer_;
  RecordingTrust trust_;
  RecordingRevocations revocations_;
  RevocationList revocation_list_{claims_, revocations_, clock_};
  test::RecordingAuditLog audit_;
  std::unique_ptr<ManufacturingService> service_;
  Principal admin_{"root", "s1", true, 0};
  Principal user_{"alice", "s2", false, 0};
};

TEST_F(ManufacturingServiceTest, EveryCallRefusesAUserWhoIsNotSuperAdmin) {
  const auto refused = [](const auto& r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::forbidden);
    EXPECT_EQ(r.error().reason, proto::rest::request_error::not_authorized);
  };
  refused(service_->mqtt_host(user_));
  refused(service_->deployment_status_mail(user_));
  refused(service_->request_node_ids(user_, 3));
  refused(service_->node_ids_status(user_, "x", "https://h"));
  refused(service_->upload_url(user_, "f.csv", "https://h"));
  refused(service_->register_certificates(user_, RegistrationRequest{}));
  refused(service_->registration_status(user_, "x"));
  refused(service_->node_groups(user_, "g"));
  refused(service_->add_ca(user_, factory_ca_.certificate().to_pem()));
  refused(service_->list_cas(user_));
  refused(service_->revoke_node(user_, "n1", ""));
  refused(service_->allow_reclaim(user_, "n1"));
  refused(service_->list_revoked(user_, "", 0, 10));
  EXPECT_TRUE(repository_.list_cas()->empty()) << "nothing written";
  // Every refusal is audited, as the user's, with the RainMaker code as the outcome.
  const auto entries = audit_.entries();
  ASSERT_EQ(entries.size(), 13u);
  for (const auto& e : entries) {
    EXPECT_EQ(e.actor_kind, ActorKind::user) << e.action;
    EXPECT_EQ(e.actor_id, "alice") << e.action;
    EXPECT_EQ(e.action.rfind("admin.", 0), 0u) << e.action;
    EXPECT_EQ(e.outcome, "error:" + std::to_string(proto::rest::request_error::not_authorized))
        << e.action;
  }
  EXPECT_EQ(entries[10].action, "admin.node.revoke");
}

TEST_F(ManufacturingServiceTest, TheMqttHostHasTheShapeTheAdminCliChecks) {
  auto hosts = service_->mqtt_host(admin_);
  ASSERT_TRUE(hosts);
  EXPECT_EQ(hosts->first, "a1b2c3-ats.iot.example.com");
  EXPECT_EQ(hosts->second, hosts->first) << "mqtt_cred_host defaults to mqtt_host";
}

TEST_F(ManufacturingServiceTest, NodeIdsAreReservedAndDownloadedThroughASignedUrl) {
  auto id = service_->request_node_ids(admin_, 5);
  ASSERT_TRUE(id) << id.error().message();
  auto st = service_->node_ids_status(admin_, *id, "https://cloud:8080");
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->status, "success");
  EXPECT_TRUE(st->url.starts_with("https://cloud:8080/v1/mfg/node_ids?request_id=")) << st->url;
  auto line = service_->download_node_ids(query_of(st->url, "request_id"),
                                          query_of(st->url, "expires"), query_of(st->url, "sig"));
  ASSERT_TRUE(line) << line.error().message();
  EXPECT_EQ(line->find('\n'), std::string::npos) << "one line";
  std::vector<std::string> ids;
  for (std::size_t at = 0; at <= line->size();) {
    const auto comma = std::min(line->find(',', at), line->size());
    ids.push_back(line->substr(at, comma - at));
    at = comma + 1;
  }
  ASSERT_EQ(ids.size(), 5u);
  constexpr std::string_view kBase57 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  for (const auto& nid : ids) {
    EXPECT_EQ(nid.size(), 22u) << nid;
    EXPECT_EQ(nid.find_first_not_of(kBase57), std::string::npos) << nid;
  }
  // A forged or expired URL gets nothing.
  std::string sig = query_of(st->url, "sig");
  sig[0] = sig[0] == 'a' ? 'b' : 'a';
  auto forged = service_->download_node_ids(query_of(st->url, "request_id"),
                                            query_of(st->url, "expires"), sig);
  ASSERT_FALSE(forged);
  expect_error(forged.error(), errc::forbidden, code::signed_url_invalid);
  clock_.advance(2h);
  auto expired = service_->download_node_ids(
      query_of(st->url, "request_id"), query_of(st->url, "expires"), query_of(st->url, "sig"));
  ASSERT_FALSE(expired);
  expect_error(expired.error(), errc::forbidden, code::signed_url_invalid);
  for (const std::int64_t bad : {0, -1, 1001}) {
    auto r = service_->request_node_ids(admin_, bad);
    ASSERT_FALSE(r);
    expect_error(r.error(), errc::invalid_argument, code::node_count_invalid);
  }
}

TEST_F(ManufacturingServiceTest, ARegistrationReportsBadRowsAndRegistersTheGoodOnes) {
  ASSERT_TRUE(service_->add_ca(admin_, factory_ca_.certificate().to_pem()));
  EXPECT_EQ(trust_.cas.size(), 1u) << "the broker trusts the new CA at once";
  const std::vector<proto::NodeCertRow> rows = {
      {"goodfactory1", cert_for(factory_ca_, "goodfactory1"), R"({"ver":"v1"})", 0},
      {"goodstratus1", cert_for(stratus_ca_, "goodstratus1"), "", 0},
      {"cnmismatch01", cert_for(factory_ca_, "someoneelse1"), "", 0},
      {"unknownca001", cert_for(other_ca_, "unknownca001"), "", 0},
      {"badpem000001", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "",
       0},
  };
  std::string csv = proto::write_node_certs_csv(rows);
  // The admin CLI uploads the file rewritten with CRLF row endings.
  for (auto at = csv.find("\"\n"); at != std::string::npos; at = csv.find("\"\n", at + 3))
    csv.replace(at, 2, "\"\r\n");
  RegistrationRequest request;
  request.type = "esp.device.lightbulb";
  request.model = "light-v1";
  request.group_name = "batch-42";
  request.tags = "factory:pune, line:3";
  const auto rid = upload_and_register(csv, request);
  const auto st = status(rid);
  EXPECT_EQ(st.status, "partial_success") << st.description;
  EXPECT_EQ(st.total, 5);
  EXPECT_EQ(st.registered, 2);
  EXPECT_EQ(st.failed, 3);
  for (const char* expected : {"cnmismatch01", "CN \"someoneelse1\"", "unknownca001",
                               "not signed by a registered manufacturing CA", "badpem000001"}) {
    EXPECT_NE(st.description.find(expected), std::string::npos) << st.description;
  }
  EXPECT_EQ(st.description.find("goodfactory1"), std::string::npos) << st.description;
  // Registered nodes exist (they can connect and be mapped without claiming).
  auto node = nodes_.get_node("goodfactory1");
  ASSERT_TRUE(node) << node.error().message();
  EXPECT_EQ(node->info.type, "esp.device.lightbulb");
  EXPECT_EQ(node->info.model, "light-v1");
  EXPECT_NE(node->tags.find("factory:pune"), std::string::npos) << node->tags;
  EXPECT_NE(node->tags.find("line:3"), std::string::npos) << node->tags;
  EXPECT_FALSE(nodes_.get_node("unknownca001")) << "a refused row creates nothing";
  // The broker's registered list holds exactly the two good certificates.
  EXPECT_EQ(trust_.registered.size(), 2u);
  EXPECT_EQ(*repository_.registered_fingerprints(0), trust_.registered);
  // Challenge-response mapping finds the registered certificate's key.
  EXPECT_TRUE(
      claims_.latest_certificate_pem("goodfactory1", unix_ms(clock_.now()) / 1000)->has_value());
  auto groups = service_->node_groups(admin_, "batch-42");
  ASSERT_TRUE(groups);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_FALSE((*groups)[0].parent_group_id);
  EXPECT_TRUE(service_->node_groups(admin_, "no-such-group")->empty());
}

TEST_F(ManufacturingServiceTest, ReRegistrationIsADuplicateWithoutForceAndReplacesWithIt) {
  ASSERT_TRUE(service_->add_ca(admin_, factory_ca_.certificate().to_pem()));
  const auto first = cert_for(factory_ca_, "node000001");
  const auto csv1 =
      proto::write_node_certs_csv(std::vector<proto::NodeCertRow>{{"node000001", first, "", 0}});
  EXPECT_EQ(status(upload_and_register(csv1)).status, "success");
  // The same file again: the same certificate is registered already.
  const auto again = status(upload_and_register(csv1));
  EXPECT_EQ(again.status, "failure");
  EXPECT_NE(again.description.find("registered already"), std::string::npos) << again.description;
  RegistrationRequest update;
  update.update_nodes = true;
  update.model = "light-v2";
  EXPECT_EQ(status(upload_and_register(csv1, update)).status, "success");
  EXPECT_EQ(nodes_.get_node("node000001")->info.model, "light-v2");

  // A new certificate for the same node id: refused without force ...
  const auto second = cert_for(factory_ca_, "node000001");
  const auto csv2 =
      proto::write_node_certs_csv(std::vector<proto::NodeCertRow>{{"node000001", second, "", 0}});
  const auto dup = status(upload_and_register(csv2));
  EXPECT_EQ(dup.status, "failure");
  EXPECT_NE(dup.description.find("--force"), std::string::npos) << dup.description;
  EXPECT_TRUE(revocations_.revoked.empty());
  // ... and replaces the first one with it: the first is revoked at the broker.
  RegistrationRequest force;
  force.force = true;
  EXPECT_EQ(status(upload_and_register(csv2, force)).status, "success");
  const auto first_fp = pki::Certificate::from_pem(first)->sha256_fingerprint_hex();
  const auto second_fp = pki::Certificate::from_pem(second)->sha256_fingerprint_hex();
  EXPECT_EQ(revocations_.revoked, std::vector<std::string>{first_fp});
  EXPECT_EQ(trust_.registered, std::vector<std::string>{second_fp});
}

TEST_F(ManufacturingServiceTest, TheUploadIsCheckedBeforeAnythingIsQueued) {
  auto ticket = service_->upload_url(admin_, "node_certs.csv", "https://h");
  ASSERT_TRUE(ticket);
  RegistrationRequest r;
  r.request_id = ticket->request_id;
  r.file_md5 = md5_hex("x");
  auto early = service_->register_certificates(admin_, r);
  ASSERT_FALSE(early);
  expect_error(early.error(), errc::invalid_argument, code::file_missing);
  const auto temp = (dir_.path() / "up").string();
  std::ofstream(temp) << "node_id,certs\n";
  auto bad_sig = service_->store_upload(ticket->request_id, query_of(ticket->url, "expires"),
                                        std::string(64, '0'), temp);
  ASSERT_FALSE(bad_sig);
  expect_error(bad_sig.error(), errc::forbidden, code::signed_url_invalid);
  ASSERT_TRUE(service_->store_upload(ticket->request_id, query_of(ticket->url, "expires"),
                                     query_of(ticket->url, "sig"), temp));
  auto wrong = service_->register_certificates(admin_, r);
  ASSERT_FALSE(wrong);
  expect_error(wrong.error(), errc::invalid_argument, code::md5_mismatch);
  r.file_md5 = md5_hex("node_id,certs\n");
  r.tags = "k:@column";
  auto dynamic = service_->register_certificates(admin_, r);
  ASSERT_FALSE(dynamic);
  expect_error(dynamic.error(), errc::invalid_argument, code::field_invalid);
  r.tags.clear();
  ASSERT_TRUE(service_->register_certificates(admin_, r));
  auto twice = service_->register_certificates(admin_, r);
  ASSERT_FALSE(twice);
  expect_error(twice.error(), errc::conflict, code::registration_state);
  service_->process_for_test(ticket->request_id);
  const auto st = status(ticket->request_id);
  EXPECT_EQ(st.status, "failure") << "a file without rows registers nothing";
  EXPECT_NE(st.description.find("not a node_certs.csv"), std::string::npos) << st.description;
  // A job queued twice runs once: the finished one is not run again (its file is gone,
  // so a second run ended in "cannot be read"), and a stale request to queue it is
  // refused by the compare-and-set.
  service_->process_for_test(ticket->request_id);
  EXPECT_EQ(status(ticket->request_id).description, st.description);
  auto record = repository_.get_registration(ticket->request_id);
  ASSERT_TRUE(record);
  auto stale = *record;
  stale.state = storage::RegistrationState::queued;
  const auto queued = repository_.update_registration(stale, storage::RegistrationState::uploaded);
  ASSERT_FALSE(queued);
  EXPECT_EQ(queued.error().code, errc::conflict);
  EXPECT_EQ(status(ticket->request_id).status, "failure");
  for (const char* name : {"", "../etc/passwd", "a\nb"}) {
    auto bad = service_->upload_url(admin_, name, "https://h");
    ASSERT_FALSE(bad) << name;
    expect_error(bad.error(), errc::invalid_argument, code::file_name_invalid);
  }
}

// Several instances (issue 23 item 3): a job another worker holds is left to it while
// its lease lasts; once the lease ends (that instance died) any worker takes it, from the
// database, and the dead worker's late write changes nothing.
TEST_F(ManufacturingServiceTest, AJobIsLeftToItsWorkerUntilItsLeaseEndsThenTakenOver) {
  const std::vector<proto::NodeCertRow> rows = {
      {"leasednode01", cert_for(stratus_ca_, "leasednode01"), "", 0}};
  const auto rid = upload_and_queue(proto::write_node_certs_csv(rows));
  const auto now = [&] {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch())
        .count();
  };
  auto claimable = repository_.claimable_registrations(now(), 10);
  ASSERT_TRUE(claimable) << claimable.error().message();
  EXPECT_EQ(*claimable, std::vector<std::string>{rid}) << "a queued job is there to take";

  // Another instance's worker takes it for 60 s, then renews once.
  auto held = repository_.claim_registration(rid, "other-worker", now(), now() + 60);
  ASSERT_TRUE(held) << held.error().message();
  ASSERT_TRUE(held->has_value());
  EXPECT_EQ((*held)->state, storage::RegistrationState::in_progress);
  auto again = repository_.claim_registration(rid, "third-worker", now(), now() + 60);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value()) << "one worker holds a job at a time";
  EXPECT_TRUE(repository_.claimable_registrations(now(), 10)->empty());
  service_->process_for_test(rid);
  EXPECT_EQ(status(rid).status, "in_progress") << "a held job is left to its worker";
  clock_.advance(50s);
  ASSERT_TRUE(*repository_.update_claimed_registration(**held, "other-worker", now() + 60));
  clock_.advance(50s);
  service_->process_for_test(rid);
  EXPECT_EQ(status(rid).status, "in_progress") << "the renewed lease still holds";

  // The other instance dies: its lease ends, and this instance's worker, started now,
  // finds the job in the database and runs it.
  clock_.advance(11s);
  EXPECT_EQ(*repository_.claimable_registrations(now(), 10), std::vector<std::string>{rid});
  ASSERT_TRUE(service_->start());
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (status(rid).status == "in_progress" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  service_->stop();
  const auto st = status(rid);
  EXPECT_EQ(st.status, "success") << st.description;
  EXPECT_EQ(st.registered, 1);
  EXPECT_TRUE(nodes_.get_node("leasednode01"));

  // The dead worker's late result is refused and changes nothing.
  auto late = **held;
  late.state = storage::RegistrationState::failure;
  late.description = "late";
  auto refused = repository_.update_claimed_registration(late, "other-worker", 0);
  ASSERT_TRUE(refused) << refused.error().message();
  EXPECT_FALSE(*refused);
  EXPECT_EQ(status(rid).status, "success");
  EXPECT_TRUE(repository_.claimable_registrations(now(), 10)->empty());
  auto unknown = repository_.claim_registration("no-such-request", "w", now(), now() + 60);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, errc::not_found);
}

TEST_F(ManufacturingServiceTest, CaRegistrationRefusesLeafCertificatesGarbageAndRepeats) {
  auto leaf = service_->add_ca(admin_, cert_for(factory_ca_, "leaf"));
  ASSERT_FALSE(leaf);
  expect_error(leaf.error(), errc::invalid_argument, code::ca_invalid);
  auto garbage = service_->add_ca(admin_, "hello");
  ASSERT_FALSE(garbage);
  expect_error(garbage.error(), errc::invalid_argument, code::ca_invalid);
  auto ok = service_->add_ca(admin_, factory_ca_.certificate().to_pem());
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->fingerprint_hex, factory_ca_.certificate().sha256_fingerprint_hex());
  EXPECT_NE(ok->subject.find("Factory CA"), std::string::npos) << ok->subject;
  auto again = service_->add_ca(admin_, factory_ca_.certificate().to_pem());
  ASSERT_FALSE(again);
  expect_error(again.error(), errc::conflict, code::ca_exists);
  EXPECT_EQ(service_->list_cas(admin_)->size(), 1u);
}

// One revocation list for both services: a claim re-issue (ClaimService) and an admin
// revocation (ManufacturingService) racing each read and publish the list under the same
// lock, so the broker is left with the database's list, never an older one.
TEST_F(ManufacturingServiceTest, RacingClaimAndAdminRevocationsLeaveTheBrokerWithTheDatabaseList) {
  ClaimService claims(claims_, nodes_, issuer_, revocation_list_, clock_, ClaimOptions{}, audit_);
  const auto csr = [](const std::string& node_id) {
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    return *pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
  };
  for (int round = 0; round < 8; ++round) {
    const auto reissued =
        *claims.initiate("alice", fmt::format("7CDFA10010{:02X}", round), "esp32");
    const auto revoked = *claims.initiate("alice", fmt::format("7CDFA10020{:02X}", round), "esp32");
    ASSERT_TRUE(claims.verify("alice", reissued, csr(reissued), ""));
    ASSERT_TRUE(claims.verify("alice", revoked, csr(revoked), ""));
    const auto second_csr = csr(reissued);
    std::thread claim([&] { EXPECT_TRUE(claims.verify("alice", reissued, second_csr, "")); });
    std::thread admin([&] { EXPECT_TRUE(service_->revoke_node(admin_, revoked, "lost")); });
    claim.join();
    admin.join();
    const auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    ASSERT_EQ(revocations_.revoked, *claims_.revoked_fingerprints(now_s)) << "round " << round;
    EXPECT_EQ(revocations_.revoked.size(), static_cast<std::size_t>(2 * (round + 1)));
  }
}

TEST_F(ManufacturingServiceTest, RevocationBlocksReclaimingUntilAnAdminAllowsItOnce) {
  ClaimService claims(claims_, nodes_, issuer_, revocation_list_, clock_, ClaimOptions{}, audit_);
  const auto node_id = *claims.initiate("alice", "7CDFA100033B", "esp32");
  const auto csr = [&] {
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    return *pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
  };
  auto issued = claims.verify("alice", node_id, csr(), "10.0.0.1");
  ASSERT_TRUE(issued) << issued.error().message();
  const auto fingerprint =
      pki::Certificate::from_pem(issued->certificate_pem)->sha256_fingerprint_hex();

  auto revoked = service_->revoke_node(admin_, node_id, "stolen from the warehouse");
  ASSERT_TRUE(revoked) << revoked.error().message();
  EXPECT_EQ(revoked->certificates, 1);
  EXPECT_EQ(revocations_.revoked, std::vector<std::string>{fingerprint});
  auto listed = service_->list_revoked(admin_, node_id, 0, 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].reason, "stolen from the warehouse");
  EXPECT_EQ((*listed)[0].fingerprint_hex, fingerprint);
  EXPECT_EQ((*listed)[0].method, "assisted");
  EXPECT_GT((*listed)[0].revoked_at, 0);

  // Claiming the same node id again: no certificate until an admin allows it.
  auto refused = claims.verify("alice", node_id, csr(), "10.0.0.1");
  ASSERT_FALSE(refused);
  expect_error(refused.error(), errc::forbidden, code::reclaim_forbidden);
  EXPECT_EQ(claims_.list_certificates(node_id)->size(), 1u) << "nothing issued";
  ASSERT_TRUE(service_->allow_reclaim(admin_, node_id));
  ASSERT_TRUE(claims.verify("alice", node_id, csr(), "10.0.0.1"));
  // The permission was used up; a later revocation blocks again.
  auto not_revoked = service_->allow_reclaim(admin_, node_id);
  ASSERT_FALSE(not_revoked);
  expect_error(not_revoked.error(), errc::not_found, code::not_revoked);
  ASSERT_TRUE(service_->revoke_node(admin_, node_id, ""));
  auto blocked = claims.verify("alice", node_id, csr(), "10.0.0.1");
  ASSERT_FALSE(blocked);
  expect_error(blocked.error(), errc::forbidden, code::reclaim_forbidden);

  // The broker's list cannot be written: the admin hears it, and the retry writes it.
  ASSERT_TRUE(service_->allow_reclaim(admin_, node_id));
  const auto reissued = claims.verify("alice", node_id, csr(), "10.0.0.1");
  ASSERT_TRUE(reissued) << reissued.error().message();
  const auto reissued_fp =
      pki::Certificate::from_pem(reissued->certificate_pem)->sha256_fingerprint_hex();
  revocations_.broken = true;
  auto unwritten = service_->revoke_node(admin_, node_id, "");
  ASSERT_FALSE(unwritten);
  EXPECT_EQ(unwritten.error().code, errc::unavailable) << unwritten.error().message();
  EXPECT_EQ(std::count(revocations_.revoked.begin(), revocations_.revoked.end(), reissued_fp), 0);
  EXPECT_FALSE(revocation_list_.retry()) << "still broken";
  revocations_.broken = false;
  ASSERT_TRUE(revocation_list_.retry());
  EXPECT_FALSE(*revocation_list_.retry()) << "nothing due any more";
  EXPECT_EQ(std::count(revocations_.revoked.begin(), revocations_.revoked.end(), reissued_fp), 1);

  auto unknown = service_->revoke_node(admin_, "nosuchnode", "");
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), errc::not_found, code::node_not_found);
  auto bad = service_->revoke_node(admin_, "bad/id", "");
  ASSERT_FALSE(bad);
  expect_error(bad.error(), errc::invalid_argument, code::field_invalid);

  // Each admin action left a row: the object, the outcome, the reason given.
  const auto revokes = audit_.with_action("admin.node.revoke");
  ASSERT_EQ(revokes.size(), 5u);
  EXPECT_EQ(revokes[0].actor_kind, ActorKind::admin);
  EXPECT_EQ(revokes[0].actor_id, "root");
  EXPECT_EQ(revokes[0].object_kind, "node");
  EXPECT_EQ(revokes[0].object_id, node_id);
  EXPECT_EQ(revokes[0].outcome, "ok");
  EXPECT_EQ(revokes[0].detail, "stolen from the warehouse");
  EXPECT_EQ(revokes[3].outcome, "error:" + std::to_string(code::node_not_found));
  const auto reclaims = audit_.with_action("admin.node.allow_reclaim");
  ASSERT_EQ(reclaims.size(), 3u);
  EXPECT_EQ(reclaims[0].outcome, "ok");
  EXPECT_EQ(reclaims[1].outcome, "error:" + std::to_string(code::not_revoked));
  EXPECT_EQ(reclaims[2].outcome, "ok");
}

TEST_F(ManufacturingServiceTest, ARevokedManufacturedNodeLeavesTheRegisteredList) {
  ASSERT_TRUE(service_->add_ca(admin_, factory_ca_.certificate().to_pem()));
  const auto csv = proto::write_node_certs_csv(
      std::vector<proto::NodeCertRow>{{"mfgnode1", cert_for(factory_ca_, "mfgnode1"), "", 0},
                                      {"mfgnode2", cert_for(factory_ca_, "mfgnode2"), "", 0}});
  EXPECT_EQ(status(upload_and_register(csv)).status, "success");
  ASSERT_EQ(trust_.registered.size(), 2u);
  ASSERT_TRUE(service_->revoke_node(admin_, "mfgnode1", "returned"));
  EXPECT_EQ(trust_.registered.size(), 1u);
  EXPECT_EQ(revocations_.revoked.size(), 1u);
  // A revoked certificate cannot be registered again, even with force.
  RegistrationRequest force;
  force.force = true;
  const auto st = status(upload_and_register(csv, force));
  EXPECT_EQ(st.registered, 1) << st.description;
  EXPECT_NE(st.description.find("was revoked"), std::string::npos) << st.description;
}

// docs/adr/0037: a CRL names its issuer's certificates only. A manufactured certificate
// may be signed by the Stratus CA (then its revocation is in the Stratus CA's list) or by
// a factory CA (then it is that CA's to list).
TEST_F(ManufacturingServiceTest, TheStratusCaListsTheRevokedManufacturedCertificatesItSigned) {
  ASSERT_TRUE(service_->add_ca(admin_, factory_ca_.certificate().to_pem()));
  const auto by_factory = cert_for(factory_ca_, "mfgnode1");
  const auto by_stratus = cert_for(stratus_ca_, "mfgnode2");
  const auto csv = proto::write_node_certs_csv(std::vector<proto::NodeCertRow>{
      {"mfgnode1", by_factory, "", 0}, {"mfgnode2", by_stratus, "", 0}});
  EXPECT_EQ(status(upload_and_register(csv)).status, "success");
  ASSERT_TRUE(service_->revoke_node(admin_, "mfgnode1", "returned"));
  ASSERT_TRUE(service_->revoke_node(admin_, "mfgnode2", "returned"));
  const auto revoked = claims_.revoked_serials(0);
  ASSERT_TRUE(revoked);
  ASSERT_EQ(revoked->size(), 2u);
  for (const auto& r : *revoked)
    EXPECT_FALSE(r.manufactured_pem.empty()) << "the store keeps what decides the issuer";

  CaRevocationList crl(claims_, issuer_, clock_);
  const auto list = crl.current();
  ASSERT_TRUE(list) << list.error().message();
  const auto summary = test::read_crl((*list)->der, stratus_ca_.certificate().to_pem());
  ASSERT_TRUE(summary);
  EXPECT_TRUE(summary->signature_valid);
  EXPECT_EQ(summary->serials_hex,
            std::vector<std::string>{pki::Certificate::from_pem(by_stratus)->serial_hex()});
}

TEST(AdminTags, ParsesTheAdminCliForm) {
  auto tags = parse_admin_tags(" location:Pune , office : espressif,,location:Pune");
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (std::vector<std::string>{"location:Pune", "office:espressif"}));
  EXPECT_TRUE(parse_admin_tags("")->empty());
  for (const char* bad : {"novalue", ":v", "k:", "k:@col", "k:\x01"}) {
    auto r = parse_admin_tags(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().reason, code::field_invalid);
  }
}

}  // namespace
}  // namespace stratus::service
