// Proves the account use cases: signup codes, login, refresh rotation (with the
// RainMaker CLI's keep-the-first-token habit), logout, password flows, deletion,
// rate limits and token checks. How: the real SQLite repository in a temp dir, a
// ManualClock for expiry, and a mailer fake that records the codes it is given.
#include "service/account_service.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "auth/password.hpp"
#include "auth/token.hpp"
#include "proto/rest/error_codes.hpp"
#include "storage/sql/account_repository.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

using namespace std::chrono_literals;
namespace code = proto::rest::account_error;

// Records every message; can be told to fail.
class RecordingMailer final : public Mailer {
 public:
  Result<void> send(const MailMessage& m) override {
    std::lock_guard lock(mutex_);
    if (fail_)
      return fail(errc::unavailable, "smtp down");
    sent_.push_back(m);
    return {};
  }
  std::string last_code() {
    std::lock_guard lock(mutex_);
    if (sent_.empty())
      return {};
    const auto& body = sent_.back().body;
    const auto at = body.find("Verification code: ");
    return at == std::string::npos ? std::string() : body.substr(at + 19, 6);
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return sent_.size();
  }
  void set_failing(bool f) { fail_ = f; }

 private:
  std::mutex mutex_;
  std::vector<MailMessage> sent_;
  bool fail_ = false;
};

class AccountServiceTest : public ::testing::Test {
 protected:
  AccountServiceTest()
      : clock_(std::chrono::system_clock::now()),
        db_(test::open_test_database(dir_, 2)),
        repository_(db_),
        signer_(*auth::TokenSigner::from_key(std::string(32, 'k'))) {
    options_.argon2_ops_limit = 1;
    options_.argon2_mem_limit_bytes = 8 * 1024;
    options_.login_failures_per_user = 3;
    options_.attempts_per_address = 8;
    accounts_ =
        std::make_unique<AccountService>(repository_, mailer_, signer_, clock_, options_, audit_);
  }

  void verified_user(const std::string& name, const std::string& password) {
    ASSERT_TRUE(accounts_->sign_up(name, password, "10.0.0.1"));
    ASSERT_TRUE(accounts_->confirm_sign_up(name, mailer_.last_code(), "10.0.0.1"));
  }

  Principal principal(const Tokens& t) { return *accounts_->authenticate(t.access_token); }

  test::TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository repository_;
  auth::TokenSigner signer_;
  RecordingMailer mailer_;
  AccountOptions options_;
  std::unique_ptr<AccountService> accounts_;
};

TEST_F(AccountServiceTest, SignUpConfirmLogInAndUserInfo) {
  ASSERT_TRUE(accounts_->sign_up(" Alice@Example.COM ", "secret123", "10.0.0.1"));
  EXPECT_EQ(mailer_.count(), 1u);
  const auto login_early = accounts_->log_in("alice@example.com", "secret123", "10.0.0.1");
  ASSERT_FALSE(login_early);
  EXPECT_EQ(login_early.error().reason, code::not_verified);

  ASSERT_TRUE(accounts_->confirm_sign_up("alice@example.com", mailer_.last_code(), "10.0.0.1"));
  auto tokens = accounts_->log_in("ALICE@example.com", "secret123", "10.0.0.1");
  ASSERT_TRUE(tokens) << tokens.error().message();
  const auto who = accounts_->authenticate(tokens->access_token);
  ASSERT_TRUE(who);
  const auto info = accounts_->get_user(*who);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->user_name, "alice@example.com");
  EXPECT_EQ(info->user_id, who->user_id);
  EXPECT_FALSE(info->super_admin);

  const auto id = signer_.verify(tokens->id_token, clock_.now());
  ASSERT_TRUE(id);
  EXPECT_EQ(id->get_string("custom:user_id"), who->user_id);
  EXPECT_EQ(id->get_string("email"), "alice@example.com");
  const auto access = signer_.verify(tokens->access_token, clock_.now());
  EXPECT_EQ(access->get_int("exp"), access->get_int("iat").value() + 3600);
}

// A repeated sign-up replaces the password of an unverified account only: one that was
// confirmed between the sign-up's read and its write keeps its owner's password.
TEST_F(AccountServiceTest, ASignUpDoesNotReplaceAVerifiedUsersPassword) {
  ASSERT_TRUE(accounts_->sign_up("dora@example.com", "first-pass1", "10.0.0.20"));
  const auto unverified = repository_.get_user_by_name("dora@example.com");
  ASSERT_TRUE(unverified);
  auto replaced = repository_.update_password_hash(unverified->user_id, "x", 1);
  ASSERT_TRUE(replaced);
  EXPECT_TRUE(*replaced);
  clock_.advance(options_.code_lifetime + 1s);  // the first code expired: a sign-up replaces
  ASSERT_TRUE(accounts_->sign_up("dora@example.com", "owner-pass1", "10.0.0.20"));
  ASSERT_TRUE(accounts_->confirm_sign_up("dora@example.com", mailer_.last_code(), "10.0.0.20"));
  replaced = repository_.update_password_hash(unverified->user_id, "x", 2);
  ASSERT_TRUE(replaced);
  EXPECT_FALSE(*replaced);
  EXPECT_TRUE(accounts_->log_in("dora@example.com", "owner-pass1", "10.0.0.20"));
  EXPECT_EQ(accounts_->sign_up("dora@example.com", "other-pass1", "10.0.0.21").error().reason,
            code::user_exists);
}

// A sign-up for a name not yet verified, once its code has expired, takes it over: the
// password and code of the earlier sign-up stop working, so the mailbox's owner can take
// back a name someone else started (docs/security.md, account pre-hijacking).
TEST_F(AccountServiceTest, ASecondSignUpOfAnUnverifiedNameReplacesItsPasswordAndCode) {
  ASSERT_TRUE(accounts_->sign_up("erin@example.com", "squatter-1", "10.0.0.30"));
  const std::string first = mailer_.last_code();
  clock_.advance(options_.code_lifetime + 1s);
  ASSERT_TRUE(accounts_->sign_up("erin@example.com", "owner-pass2", "10.0.0.31"));
  const std::string second = mailer_.last_code();
  if (first != second) {  // two random six-digit codes, equal once in a million
    auto r = accounts_->confirm_sign_up("erin@example.com", first, "10.0.0.31");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, code::code_incorrect);
  }
  ASSERT_TRUE(accounts_->confirm_sign_up("erin@example.com", second, "10.0.0.31"));
  EXPECT_FALSE(accounts_->log_in("erin@example.com", "squatter-1", "10.0.0.31"));
  EXPECT_TRUE(accounts_->log_in("erin@example.com", "owner-pass2", "10.0.0.31"));
}

// The race the rule above must not open: someone signs up the owner's name again right
// after the owner did, so that the code the owner receives (and uses) confirms the
// newcomer's password. While the owner's code is pending, another password is refused
// and nothing changes; the owner's own password gets the code again.
TEST_F(AccountServiceTest, WhileASignUpCodeIsPendingAnotherPasswordCannotTakeTheName) {
  ASSERT_TRUE(accounts_->sign_up("fay@example.com", "owner-pass3", "10.0.0.40"));
  const auto mails = mailer_.count();
  auto taken = accounts_->sign_up("fay@example.com", "intruder-1", "10.0.0.41");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().reason, code::user_exists);
  EXPECT_EQ(mailer_.count(), mails) << "no code mailed for the refused sign-up";
  ASSERT_TRUE(accounts_->sign_up("fay@example.com", "owner-pass3", "10.0.0.40"));
  ASSERT_TRUE(accounts_->confirm_sign_up("fay@example.com", mailer_.last_code(), "10.0.0.40"));
  EXPECT_TRUE(accounts_->log_in("fay@example.com", "owner-pass3", "10.0.0.40"));
  EXPECT_FALSE(accounts_->log_in("fay@example.com", "intruder-1", "10.0.0.41"));
}

TEST_F(AccountServiceTest, WrongReusedAndExpiredCodes) {
  ASSERT_TRUE(accounts_->sign_up("bob@example.com", "secret123", "10.0.0.2"));
  const std::string good = mailer_.last_code();
  const std::string wrong = good == "000000" ? "000001" : "000000";
  auto r = accounts_->confirm_sign_up("bob@example.com", wrong, "10.0.0.2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, code::code_incorrect);
  ASSERT_TRUE(accounts_->confirm_sign_up("bob@example.com", good, "10.0.0.2"));
  r = accounts_->confirm_sign_up("bob@example.com", good, "10.0.0.2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, code::already_verified);

  // Expiry, on a password reset code.
  ASSERT_TRUE(accounts_->request_password_reset("bob@example.com", "10.0.0.2"));
  const std::string reset = mailer_.last_code();
  clock_.advance(options_.code_lifetime + 1s);
  r = accounts_->reset_password("bob@example.com", reset, "newsecret9", "10.0.0.2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, code::code_expired);
  EXPECT_TRUE(accounts_->log_in("bob@example.com", "secret123", "10.0.0.2")) << "nothing changed";
  // The expired code is gone: even the right digits fail now.
  r = accounts_->reset_password("bob@example.com", reset, "newsecret9", "10.0.0.2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, code::code_incorrect);
}

TEST_F(AccountServiceTest, ACodeDiesAfterTooManyWrongTries) {
  ASSERT_TRUE(accounts_->sign_up("carol@example.com", "secret123", "10.0.0.3"));
  const std::string good = mailer_.last_code();
  const std::string wrong = good == "111111" ? "222222" : "111111";
  for (int i = 0; i < options_.code_max_attempts - 1; ++i) {
    EXPECT_EQ(accounts_->confirm_sign_up("carol@example.com", wrong, "10.0.0.3").error().reason,
              code::code_incorrect);
  }
  EXPECT_EQ(accounts_->confirm_sign_up("carol@example.com", wrong, "10.0.0.3").error().reason,
            code::user_rate_limited);
  EXPECT_FALSE(accounts_->confirm_sign_up("carol@example.com", good, "10.0.0.3"));
}

TEST_F(AccountServiceTest, WrongPasswordAndRateLimitsPerUserAndPerAddress) {
  verified_user("dave@example.com", "secret123");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(accounts_->log_in("dave@example.com", "nope12345", "10.1.0." + std::to_string(i))
                  .error()
                  .reason,
              code::wrong_credentials);
  }
  // The user is now limited from any address, even with the right password.
  EXPECT_EQ(accounts_->log_in("dave@example.com", "secret123", "10.9.9.9").error().reason,
            code::user_rate_limited);
  clock_.advance(options_.rate_window);
  EXPECT_TRUE(accounts_->log_in("dave@example.com", "secret123", "10.9.9.9"));

  // One address guessing many users hits the address limit.
  for (int i = 0; i < 8; ++i) {
    (void)accounts_->log_in("user" + std::to_string(i) + "@example.com", "secret123", "10.6.6.6");
  }
  EXPECT_EQ(accounts_->log_in("dave@example.com", "secret123", "10.6.6.6").error().reason,
            code::address_rate_limited);
  EXPECT_TRUE(accounts_->log_in("dave@example.com", "secret123", "10.7.7.7"));
}

TEST_F(AccountServiceTest, RefreshRotatesAndAReplayedTokenRevokesTheFamily) {
  verified_user("erin@example.com", "secret123");
  const auto first = *accounts_->log_in("erin@example.com", "secret123", "10.0.0.4");
  const auto second = accounts_->refresh(first.refresh_token, "10.0.0.4");
  ASSERT_TRUE(second);
  EXPECT_NE(second->refresh_token, first.refresh_token);
  const auto third = accounts_->refresh(second->refresh_token, "10.0.0.4");  // a rotating client
  ASSERT_TRUE(third);
  // The first token comes back after its successor was used: a replay.
  const auto replay = accounts_->refresh(first.refresh_token, "10.0.0.4");
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().reason, code::refresh_failed);
  EXPECT_FALSE(accounts_->refresh(third->refresh_token, "10.0.0.4"))
      << "the whole family is revoked";
  EXPECT_EQ(accounts_->authenticate(third->access_token).error().reason, code::logged_out);
}

// The old token presented by someone else after the owner received its successor but
// before the owner used it: the successor the owner then presents is superseded, which
// is a replay of the family, so the session (the intruder's tokens too) ends.
TEST_F(AccountServiceTest, ASupersededRefreshTokenPresentedLaterRevokesTheFamily) {
  verified_user("hana@example.com", "secret123");
  const auto login = *accounts_->log_in("hana@example.com", "secret123", "10.0.0.7");
  const auto owners = accounts_->refresh(login.refresh_token, "10.0.0.7");
  ASSERT_TRUE(owners);
  const auto intruders = accounts_->refresh(login.refresh_token, "10.0.0.66");
  ASSERT_TRUE(intruders) << "the tolerant rotation still answers the old token";
  const auto owner_next = accounts_->refresh(owners->refresh_token, "10.0.0.7");
  ASSERT_FALSE(owner_next);
  EXPECT_EQ(owner_next.error().reason, code::refresh_failed);
  EXPECT_FALSE(accounts_->refresh(intruders->refresh_token, "10.0.0.66"))
      << "the whole family is revoked";
  EXPECT_EQ(accounts_->authenticate(intruders->access_token).error().reason, code::logged_out);
}

TEST_F(AccountServiceTest, AClientThatKeepsItsFirstRefreshTokenKeepsWorking) {
  // The RainMaker CLI stores only the new access and id tokens after a refresh.
  verified_user("frank@example.com", "secret123");
  const auto login = *accounts_->log_in("frank@example.com", "secret123", "10.0.0.5");
  for (int i = 0; i < 5; ++i) {
    const auto refreshed = accounts_->refresh(login.refresh_token, "10.0.0.5");
    ASSERT_TRUE(refreshed) << "refresh " << i << ": " << refreshed.error().message();
    EXPECT_TRUE(accounts_->authenticate(refreshed->access_token));
  }
  // Its superseded successors do not pile up: the first token, the newest successor and
  // the one it superseded.
  std::int64_t rows = 0;
  ASSERT_TRUE(db_->with([&](storage::sql::Connection& c) -> Result<void> {
    auto n = c.query_int("SELECT COUNT(*) FROM refresh_tokens");
    if (!n)
      return fail(n.error());
    rows = *n;
    return {};
  }));
  EXPECT_LE(rows, 3);
}

TEST_F(AccountServiceTest, LogoutThisSessionOrAll) {
  verified_user("gina@example.com", "secret123");
  const auto a = *accounts_->log_in("gina@example.com", "secret123", "10.0.0.6");
  const auto b = *accounts_->log_in("gina@example.com", "secret123", "10.0.0.6");
  ASSERT_TRUE(accounts_->log_out(principal(a), false));
  EXPECT_FALSE(accounts_->authenticate(a.access_token));
  EXPECT_FALSE(accounts_->refresh(a.refresh_token, "10.0.0.6"));
  EXPECT_TRUE(accounts_->authenticate(b.access_token));
  const auto c = *accounts_->log_in("gina@example.com", "secret123", "10.0.0.6");
  ASSERT_TRUE(accounts_->log_out(principal(c), true));
  EXPECT_FALSE(accounts_->authenticate(b.access_token));
  EXPECT_FALSE(accounts_->authenticate(c.access_token));
}

TEST_F(AccountServiceTest, ChangePasswordRevokesOtherSessions) {
  verified_user("hank@example.com", "secret123");
  const auto mine = *accounts_->log_in("hank@example.com", "secret123", "10.0.0.7");
  const auto other = *accounts_->log_in("hank@example.com", "secret123", "10.0.0.7");
  EXPECT_EQ(accounts_->change_password(principal(mine), "wrong1234", "newsecret9", "10.0.0.7")
                .error()
                .reason,
            code::wrong_old_password);
  EXPECT_EQ(
      accounts_->change_password(principal(mine), "secret123", "short", "10.0.0.7").error().reason,
      code::password_policy);
  ASSERT_TRUE(accounts_->change_password(principal(mine), "secret123", "newsecret9", "10.0.0.7"));
  EXPECT_TRUE(accounts_->authenticate(mine.access_token));
  EXPECT_FALSE(accounts_->authenticate(other.access_token));
  EXPECT_FALSE(accounts_->log_in("hank@example.com", "secret123", "10.0.0.7"));
  EXPECT_TRUE(accounts_->log_in("hank@example.com", "newsecret9", "10.0.0.7"));
}

TEST_F(AccountServiceTest, ForgotPasswordResetsAndEndsEverySession) {
  verified_user("ivy@example.com", "secret123");
  const auto s = *accounts_->log_in("ivy@example.com", "secret123", "10.0.0.8");
  ASSERT_TRUE(accounts_->request_password_reset("ivy@example.com", "10.0.0.8"));
  ASSERT_TRUE(
      accounts_->reset_password("ivy@example.com", mailer_.last_code(), "brandnew7", "10.0.0.8"));
  EXPECT_FALSE(accounts_->authenticate(s.access_token));
  EXPECT_TRUE(accounts_->log_in("ivy@example.com", "brandnew7", "10.0.0.8"));
  // Issue 13, Low 9: an unknown user is answered as a known one (nothing is mailed) and
  // a reset attempt for one fails like a wrong code: no account enumeration.
  const auto code_before = mailer_.last_code();
  EXPECT_TRUE(accounts_->request_password_reset("nobody@example.com", "10.0.0.8"));
  EXPECT_EQ(mailer_.last_code(), code_before) << "nothing mailed";
  EXPECT_EQ(accounts_->reset_password("nobody@example.com", "123456", "brandnew8", "10.0.0.8")
                .error()
                .reason,
            code::code_incorrect);
}

TEST_F(AccountServiceTest, DeleteUserTakesTwoStepsAndRemovesEverything) {
  verified_user("jack@example.com", "secret123");
  const auto s = *accounts_->log_in("jack@example.com", "secret123", "10.0.0.9");
  const auto who = principal(s);
  EXPECT_EQ(accounts_->delete_user(who, "123456", "10.0.0.9").error().reason,
            code::delete_code_not_requested);
  ASSERT_TRUE(accounts_->request_deletion(who));
  ASSERT_TRUE(accounts_->delete_user(who, mailer_.last_code(), "10.0.0.9"));
  EXPECT_FALSE(accounts_->authenticate(s.access_token));
  EXPECT_EQ(accounts_->log_in("jack@example.com", "secret123", "10.0.0.9").error().reason,
            code::wrong_credentials);
  ASSERT_TRUE(accounts_->sign_up("jack@example.com", "secret123", "10.0.0.9"))
      << "the name is free again";
}

TEST_F(AccountServiceTest, SuperAdminsAreCreatedVerifiedAndCannotSelfDelete) {
  const auto admin = accounts_->create_super_admin("Root@Example.com", "rootpass1");
  ASSERT_TRUE(admin);
  EXPECT_TRUE(admin->super_admin);
  const auto s = *accounts_->log_in("root@example.com", "rootpass1", "10.0.0.10");
  const auto who = principal(s);
  EXPECT_TRUE(who.super_admin);
  EXPECT_EQ(accounts_->request_deletion(who).error().reason, code::super_admin_deletion);
  EXPECT_EQ(accounts_->create_super_admin("root@example.com", "rootpass1").error().reason,
            code::user_exists);
}

TEST_F(AccountServiceTest, BadTokensAreRefused) {
  verified_user("kim@example.com", "secret123");
  const auto t = *accounts_->log_in("kim@example.com", "secret123", "10.0.0.11");
  EXPECT_EQ(accounts_->authenticate("").error().reason, code::access_token_missing);
  EXPECT_EQ(accounts_->authenticate("not.a.token").error().reason, code::access_token_invalid);
  EXPECT_EQ(accounts_->authenticate(t.id_token).error().reason, code::access_token_invalid)
      << "an id token is not an access token";

  std::string tampered = t.access_token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(accounts_->authenticate(tampered).error().reason, code::access_token_invalid);

  // alg:none with the same payload and no signature.
  const auto dot = t.access_token.find('.');
  const auto dot2 = t.access_token.find('.', dot + 1);
  const std::string none =
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" + t.access_token.substr(dot, dot2 - dot) + ".";
  EXPECT_EQ(accounts_->authenticate(none).error().reason, code::access_token_invalid);

  // A token signed with another key.
  const auto other = *auth::TokenSigner::from_key(std::string(32, 'x'));
  auth::Claims claims = *signer_.verify(t.access_token, clock_.now());
  EXPECT_EQ(accounts_->authenticate(other.sign(claims)).error().reason, code::access_token_invalid);

  clock_.advance(options_.token_lifetime);
  EXPECT_EQ(accounts_->authenticate(t.access_token).error().reason, code::access_token_invalid)
      << "expired";
}

// Issue 13, Low 10: look-alike and direction-changing user names are refused; the same
// characters spelled differently are one account.
TEST(UserNameNormalisation, LookAlikesAreRefusedAndSpellingsFold) {
  EXPECT_EQ(*AccountService::normalize_user_name(" Alice@Example.COM "), "alice@example.com");
  EXPECT_EQ(*AccountService::normalize_user_name("\xEF\xBD\x81lice\xEF\xBC\xA0"
                                                 "example.com"),
            "alice@example.com");  // full-width a and @
  EXPECT_EQ(*AccountService::normalize_user_name("\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD@M\xC3\x9C"
                                                 "NCHEN.de"),
            "\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD@m\xC3\xBC"
            "nchen.de");                               // иван@münchen.de
  for (const char* bad : {"\xD0\xB0lice@example.com",  // Cyrillic а
                          "alice@ex\xD0\xB0mple.com",  // in the domain
                          "ali\xE2\x80\xAE"
                          "ecil@example.com",                  // U+202E
                          "al\xE2\x80\x8Bice@example.com"}) {  // U+200B
    const auto r = AccountService::normalize_user_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().reason, code::email_invalid);
  }
  EXPECT_EQ(*AccountService::normalize_user_name("+491701234567"), "+491701234567");
}

TEST_F(AccountServiceTest, BadInputChangesNothing) {
  EXPECT_EQ(accounts_->sign_up("", "secret123", "10.0.0.12").error().reason,
            code::user_name_missing);
  EXPECT_EQ(accounts_->sign_up("not-an-email", "secret123", "10.0.0.12").error().reason,
            code::email_invalid);
  EXPECT_EQ(accounts_->sign_up("+12ab", "secret123", "10.0.0.12").error().reason,
            code::phone_invalid);
  EXPECT_EQ(accounts_->sign_up("leo@example.com", "short", "10.0.0.12").error().reason,
            code::password_policy);
  EXPECT_EQ(*repository_.count_users(), 0);
  EXPECT_EQ(mailer_.count(), 0u);
  ASSERT_TRUE(accounts_->sign_up("+4915112345678", "secret123", "10.0.0.12")) << "phone user names";
}

TEST_F(AccountServiceTest, AMailFailureIsReportedAndTheCodeIsNotLeftBehind) {
  mailer_.set_failing(true);
  const auto r = accounts_->sign_up("mia@example.com", "secret123", "10.0.0.13");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, code::sending_code_failed);
  mailer_.set_failing(false);
  ASSERT_TRUE(accounts_->sign_up("mia@example.com", "secret123", "10.0.0.13")) << "retry resends";
  EXPECT_TRUE(accounts_->confirm_sign_up("mia@example.com", mailer_.last_code(), "10.0.0.13"));
}

}  // namespace
}  // namespace stratus::service
