// Proves the reuse rules of the Stratus CA's revocation list (docs/adr/0037), whose route
// is unauthenticated: one build per reuse period however many calls; callers do not wait
// for a build in progress; a failed build is not retried within the period, and a
// failure leaves the last list in use until its nextUpdate.
// How: a real SQLite claim repository, a port that signs through the real CA and can be
// made to fail or to block, a ManualClock.
#include "service/ca_revocation_list.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <string>

#include "pki/authority.hpp"
#include "server/pki_certificate_issuer.hpp"
#include "storage/sql/claim_repository.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

using namespace std::chrono_literals;

// The real issuer's list, counted; `failing` makes it fail, `hold_next` makes the next call wait.
class CountingCa final : public NodeCertificateIssuer {
 public:
  explicit CountingCa(NodeCertificateIssuer& real) : real_(real) {}
  Result<std::string> subject_cn(std::string_view csr_pem) override {
    return real_.subject_cn(csr_pem);
  }
  Result<IssuedCertificate> issue(std::string_view csr_pem, std::string_view cn) override {
    return real_.issue(csr_pem, cn);
  }
  Result<std::string> sign_revocation_list(std::span<const storage::RevokedSerialRecord> revoked,
                                           std::int64_t this_update, std::int64_t next_update,
                                           std::uint64_t number) override {
    ++calls;
    {
      std::unique_lock lock(mutex_);
      entered_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return !hold_; });
    }
    if (failing)
      return fail(errc::internal, "signing failed (test)");
    return real_.sign_revocation_list(revoked, this_update, next_update, number);
  }
  // The next call blocks in the port until `release`.
  void hold_next() {
    std::lock_guard lock(mutex_);
    hold_ = true;
    entered_ = false;
  }
  void wait_entered() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    changed_.notify_all();
  }

  std::atomic<int> calls{0};
  std::atomic<bool> failing{false};

 private:
  NodeCertificateIssuer& real_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool hold_ = false;
  bool entered_ = false;
};

class CaRevocationListTest : public ::testing::Test {
 protected:
  CaRevocationListTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        claims_(db_),
        ca_(*pki::CertificateAuthority::create("CRL Test CA", std::chrono::days(365), clock_)),
        issuer_(ca_, std::chrono::days(30), clock_, "http://stratus.test/crl/stratus-ca.crl"),
        counting_(issuer_),
        crl_(claims_, counting_, clock_, 5s, std::chrono::days(7)) {}

  test::TempDir dir_;
  ManualClock clock_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlClaimRepository claims_;
  pki::CertificateAuthority ca_;
  server::PkiCertificateIssuer issuer_;
  CountingCa counting_;
  CaRevocationList crl_;
};

TEST_F(CaRevocationListTest, OneListAnswersForTheReusePeriodThenANewOneIsSigned) {
  const auto first = crl_.current();
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_FALSE((*first)->der.empty());
  EXPECT_EQ((*first)->next_update - (*first)->this_update, 7 * 24 * 3600);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(*crl_.current(), *first);
  EXPECT_EQ(counting_.calls, 1);
  clock_.advance(5s);
  const auto second = crl_.current();
  ASSERT_TRUE(second);
  EXPECT_NE(*second, *first);
  EXPECT_EQ(counting_.calls, 2);
  EXPECT_GT((*second)->number, (*first)->number);
}

TEST_F(CaRevocationListTest, AFailedBuildKeepsTheLastListUntilItsNextUpdate) {
  const auto good = crl_.current();
  ASSERT_TRUE(good);
  counting_.failing = true;
  clock_.advance(6s);
  EXPECT_EQ(*crl_.current(), *good) << "a valid list is still the answer";
  EXPECT_EQ(counting_.calls, 2);
  EXPECT_EQ(*crl_.current(), *good);
  EXPECT_EQ(counting_.calls, 2) << "not retried within the reuse period";
  clock_.advance(std::chrono::days(7));  // past the kept list's nextUpdate
  const auto expired = crl_.current();
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, errc::internal);
  EXPECT_EQ(counting_.calls, 3);
  counting_.failing = false;
  EXPECT_FALSE(crl_.current()) << "the failure answers for the reuse period";
  clock_.advance(5s);
  EXPECT_TRUE(crl_.current());
  EXPECT_EQ(counting_.calls, 4);
}

TEST_F(CaRevocationListTest, CallersDoNotWaitForABuildInProgress) {
  const auto good = crl_.current();
  ASSERT_TRUE(good);
  clock_.advance(6s);
  counting_.hold_next();
  auto builder = std::async(std::launch::async, [&] { return crl_.current(); });
  counting_.wait_entered();
  EXPECT_EQ(*crl_.current(), *good) << "the last list, at once";
  counting_.release();
  const auto built = builder.get();
  ASSERT_TRUE(built);
  EXPECT_NE(*built, *good);
  EXPECT_EQ(counting_.calls, 2);
}

}  // namespace
}  // namespace stratus::service
