#include "service/account_service.hpp"

#include <algorithm>
#include <cctype>

#include "auth/password.hpp"
#include "auth/secrets.hpp"
#include "auth/token.hpp"
#include "auth/user_names.hpp"
#include "core/assert.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::service {
namespace {

namespace code = proto::rest::account_error;
using log::Channel;
using storage::CodePurpose;

// Repositories report a missing or duplicate user without a RainMaker code; these name it.
Result<storage::UserRecord> user_named(storage::AccountRepository& r, std::string_view name) {
  return with_reason(r.get_user_by_name(name), errc::not_found, code::user_not_found);
}

Result<storage::UserRecord> user_with_id(storage::AccountRepository& r, std::string_view id) {
  return with_reason(r.get_user(id), errc::not_found, code::user_not_found);
}

Result<void> create_user(storage::AccountRepository& r, const storage::UserRecord& user) {
  return with_reason(r.create_user(user), errc::already_exists, code::user_exists);
}

bool is_phone(std::string_view user_name) {
  return !user_name.empty() && user_name[0] == '+';
}

std::string_view purpose_text(CodePurpose p) {
  switch (p) {
    case CodePurpose::signup:
      return "confirm your Stratus account";
    case CodePurpose::reset_password:
      return "reset your Stratus password";
    case CodePurpose::delete_user:
      return "delete your Stratus account";
  }
  return "";
}

}  // namespace

AccountService::AccountService(storage::AccountRepository& repository, Mailer& mailer,
                               const auth::TokenSigner& signer, const Clock& clock,
                               AccountOptions options, AuditLog& audit)
    : repository_(repository),
      audit_(audit),
      mailer_(mailer),
      signer_(signer),
      clock_(clock),
      options_(std::move(options)),
      hashing_(std::make_unique<auth::PasswordHashParams>(
          auth::PasswordHashParams{options_.argon2_ops_limit, options_.argon2_mem_limit_bytes})),
      user_failures_(clock, options_.login_failures_per_user, options_.rate_window, 100000,
                     share(RateLimit::login_failures_per_user)),
      address_failures_(clock, options_.attempts_per_address, options_.rate_window, 100000,
                        share(RateLimit::attempts_per_address)),
      code_sends_(clock, options_.codes_per_user, options_.rate_window, 100000,
                  share(RateLimit::codes_per_user)) {
  auto dummy = auth::hash_password(random_hex(16), *hashing_);
  STRATUS_ASSERT(dummy.has_value(), "argon2id works with the configured limits");
  dummy_hash_ = std::move(*dummy);
}

AccountService::~AccountService() = default;

std::int64_t AccountService::now_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

Result<std::string> AccountService::normalize_user_name(std::string_view raw) {
  const std::string_view name = trim(raw);
  if (name.empty())
    return fail(errc::invalid_argument, code::user_name_missing, "user name is missing");
  if (is_phone(name)) {
    const auto digits = name.substr(1);
    const bool ok =
        digits.size() >= 6 && digits.size() <= 15 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) {
      return fail(errc::invalid_argument, code::phone_invalid,
                  "please provide a valid phone number (+ and 6 to 15 digits)");
    }
    return std::string(name);
  }
  // NFKC first (a full-width `＠` is an `@`), then the shape, then each part alone
  // against look-alikes (issue 13).
  auto normal = auth::nfkc_normalize(name);
  if (!normal) {
    return fail(errc::invalid_argument, code::email_invalid,
                "e-mail address is not acceptable: " + normal.error().context);
  }
  const std::string_view text = *normal;
  return normalize_email(text);
}

Result<std::string> AccountService::normalize_email(std::string_view name) {
  const auto at = name.find('@');
  const bool ok = name.size() <= 254 && at != std::string_view::npos && at > 0 &&
                  name.find('@', at + 1) == std::string_view::npos &&
                  name.find('.', at + 2) != std::string_view::npos && name.back() != '.' &&
                  std::none_of(name.begin(), name.end(), [](char c) {
                    return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '<' ||
                           c == '>' || c == ',' || c == ';' || static_cast<unsigned char>(c) < 0x20;
                  });
  if (!ok)
    return fail(errc::invalid_argument, code::email_invalid,
                "e-mail address is not in a correct format");
  const auto local = name.substr(0, at);
  const auto domain = name.substr(at + 1);
  for (const auto part : {local, domain}) {
    if (auto r = auth::check_not_spoofable(part); !r) {
      return fail(errc::invalid_argument, code::email_invalid,
                  "e-mail address is not acceptable: " + r.error().context);
    }
  }
  auto lower_domain = auth::unicode_lower(domain);
  if (!lower_domain)
    return fail(errc::invalid_argument, code::email_invalid, lower_domain.error().context);
  // The local part keeps its historical ASCII lower-casing (existing accounts match).
  std::string lower(local);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower + "@" + *lower_domain;
}

Result<void> AccountService::check_password_policy(std::string_view password) const {
  auth::PasswordPolicy policy;
  policy.max_length = options_.password_max_length;
  if (auto r = auth::check_password_policy(password, policy); !r) {
    return fail(errc::invalid_argument, code::password_policy, r.error().context);
  }
  return {};
}

RateLimiter::Observer AccountService::share(RateLimit limit) {
  if (options_.rate_share == nullptr)
    return {};
  return [share = options_.rate_share, limit](std::string_view key, bool reset) {
    share->counted(limit, key, reset);
  };
}

RateLimiter& AccountService::limiter(RateLimit limit) {
  switch (limit) {
    case RateLimit::login_failures_per_user:
      return user_failures_;
    case RateLimit::attempts_per_address:
      return address_failures_;
    case RateLimit::codes_per_user:
      break;
  }
  return code_sends_;
}

void AccountService::apply_shared_count(RateLimit limit, std::string_view key, bool reset) {
  if (reset)
    limiter(limit).reset_shared(key);
  else
    limiter(limit).record_shared(key);
}

Result<void> AccountService::rate_check(std::string_view user_key,
                                        std::string_view client_address) {
  if (!user_key.empty() && !user_failures_.allowed(user_key)) {
    return fail(errc::resource_exhausted, code::user_rate_limited,
                "too many failed attempts for this user, please try again later");
  }
  if (!address_failures_.allowed(client_address)) {
    return fail(errc::resource_exhausted, code::address_rate_limited,
                "too many failed attempts from this address, please try again later");
  }
  return {};
}

Result<void> AccountService::send_code(const storage::UserRecord& user, CodePurpose purpose,
                                       std::string_view subject) {
  const std::string key = user.user_id + "/codes";
  if (!code_sends_.allowed(key)) {
    return fail(errc::resource_exhausted, code::user_rate_limited,
                "too many verification codes requested, please try again later");
  }
  const std::string plain = auth::verification_code();
  const auto now = now_s();
  storage::CodeRecord record{
      user.user_id, purpose, auth::sha256_hex(plain), now + options_.code_lifetime.count(), 0, now};
  if (auto r = repository_.put_code(record); !r)
    return r;
  code_sends_.record(key);
  MailMessage mail{user.user_name, std::string(subject),
                   "Use this code to " + std::string(purpose_text(purpose)) +
                       ".\n\nVerification code: " + plain + "\n\nIt expires in " +
                       std::to_string(options_.code_lifetime.count() / 60) +
                       " minutes. If you did not ask for it, ignore this message.\n"};
  if (auto sent = mailer_.send(mail); !sent) {
    log::error(Channel::service, "sending a verification code failed user_id={} error={}",
               user.user_id, sent.error().message());
    (void)repository_.remove_code(user.user_id, purpose);
    const int reason = purpose == CodePurpose::delete_user
                           ? proto::rest::account_error::sending_delete_code_failed
                           : code::sending_code_failed;
    return fail(errc::unavailable, reason, "sending the verification code failed");
  }
  return {};
}

Result<void> AccountService::check_code(const storage::UserRecord& user, CodePurpose purpose,
                                        std::string_view plain, std::string_view client_address) {
  const bool deleting = purpose == CodePurpose::delete_user;
  if (auto r = rate_check({}, client_address); !r)
    return r;
  auto stored = repository_.get_code(user.user_id, purpose);
  if (!stored) {
    if (stored.error().code != errc::not_found)
      return fail(stored.error());
    return fail(
        errc::invalid_argument, deleting ? code::delete_code_not_requested : code::code_incorrect,
        deleting ? "no delete request exists for the user" : "verification code is incorrect");
  }
  if (stored->expires_at <= now_s()) {
    (void)repository_.remove_code(user.user_id, purpose);
    return fail(errc::invalid_argument, code::code_expired,
                "the verification code has expired; please request a new one");
  }
  if (!auth::constant_time_equal(stored->code_hash, auth::sha256_hex(trim(plain)))) {
    address_failures_.record(client_address);
    auto attempts = repository_.add_code_attempt(user.user_id, purpose);
    if (attempts && *attempts >= options_.code_max_attempts) {
      (void)repository_.remove_code(user.user_id, purpose);
      return fail(errc::resource_exhausted,
                  deleting ? code::delete_attempts_exceeded : code::user_rate_limited,
                  "too many wrong codes; please request a new one");
    }
    return fail(errc::invalid_argument,
                deleting ? code::delete_code_incorrect : code::code_incorrect,
                "verification code is incorrect");
  }
  return {};
}

Result<void> AccountService::sign_up_unaudited(std::string_view raw_name, std::string_view password,
                                               std::string_view client_address) {
  auto name = normalize_user_name(raw_name);
  if (!name)
    return fail(name.error());
  if (auto r = check_password_policy(password); !r)
    return r;
  if (auto r = rate_check({}, client_address); !r)
    return r;
  const auto now = now_s();
  // Looked up before the (costly) hash: a verified name costs no hashing.
  auto existing = user_named(repository_, *name);
  if (existing && existing->verified)
    return fail(errc::already_exists, code::user_exists, "user account already exists");
  if (existing) {
    // While the name's code is pending, only its own password may sign up again (to get
    // the code again): another would take the name over with the code the mailbox's
    // owner is about to use, which then confirms the newcomer's password. Once the code
    // has expired, a sign-up replaces the password (a name someone else started is
    // taken back by its mailbox's owner).
    auto pending = repository_.get_code(existing->user_id, CodePurpose::signup);
    if (!pending && pending.error().code != errc::not_found)
      return fail(pending.error());
    if (pending && pending->expires_at > now &&
        !auth::verify_password(existing->password_hash, password)) {
      return fail(errc::already_exists, code::user_exists,
                  "a sign-up of this user name waits for its verification code; confirm it, "
                  "or sign up again once the code has expired");
    }
    if (!code_sends_.allowed(existing->user_id + "/codes")) {  // before anything changes
      return fail(errc::resource_exhausted, code::user_rate_limited,
                  "too many verification codes requested, please try again later");
    }
  }
  auto hash = auth::hash_password(password, *hashing_);
  if (!hash)
    return fail(hash.error());
  storage::UserRecord user;
  if (existing) {
    auto replaced = repository_.update_password_hash(existing->user_id, *hash, now);
    if (!replaced)
      return fail(replaced.error());
    if (!*replaced)  // confirmed since it was read
      return fail(errc::already_exists, code::user_exists, "user account already exists");
    user = std::move(*existing);
  } else if (existing.error().code == errc::not_found) {
    user = storage::UserRecord{uuid_v4(), *name, *hash, false, false, "", now, now};
    if (auto r = create_user(repository_, user); !r)
      return r;
    log::info(Channel::service, "user signed up user_id={}", user.user_id);
  } else {
    return fail(existing.error());
  }
  return send_code(user, CodePurpose::signup, "Your Stratus verification code");
}

Result<void> AccountService::confirm_sign_up_unaudited(std::string_view raw_name,
                                                       std::string_view plain,
                                                       std::string_view client_address) {
  auto name = normalize_user_name(raw_name);
  if (!name)
    return fail(name.error());
  auto user = user_named(repository_, *name);
  if (!user)
    return fail(user.error());
  if (user->verified)
    return fail(errc::conflict, code::already_verified, "user name is already verified");
  if (auto r = check_code(*user, CodePurpose::signup, plain, client_address); !r)
    return r;
  if (auto r = repository_.confirm_user(user->user_id, now_s()); !r)
    return r;
  log::info(Channel::service, "user verified user_id={}", user->user_id);
  return {};
}

Result<Tokens> AccountService::issue_tokens(const storage::UserRecord& user,
                                            std::string_view session_id,
                                            std::string refresh_token) {
  const auto now = now_s();
  // What both tokens carry; the RainMaker CLI reads `exp` (access) and
  // `custom:user_id` plus `email`/`phone_number` (id), spec §4.2.
  const auto common = [&](std::string token_use) {
    auth::Claims c;
    c.set("iss", options_.issuer);
    c.set("sub", user.user_id);
    c.set("iat", now);
    c.set("exp", now + options_.token_lifetime.count());
    c.set("token_use", std::move(token_use));
    c.set("custom:user_id", user.user_id);
    return c;
  };
  auth::Claims access = common("access");
  access.set("sid", std::string(session_id));
  if (user.super_admin)
    access.set("super_admin", true);
  auth::Claims id = common("id");
  id.set(is_phone(user.user_name) ? "phone_number" : "email", user.user_name);
  if (!user.name.empty())
    id.set("name", user.name);
  return Tokens{signer_.sign(id), signer_.sign(access), std::move(refresh_token)};
}

Result<Tokens> AccountService::log_in_unaudited(std::string_view raw_name,
                                                std::string_view password,
                                                std::string_view client_address) {
  auto name = normalize_user_name(raw_name);
  if (!name)
    return fail(name.error());
  if (auto r = rate_check(*name, client_address); !r)
    return fail(r.error());
  auto user = user_named(repository_, *name);
  if (!user && user.error().code != errc::not_found)
    return fail(user.error());
  // Unknown users cost one argon2id verification too, so timing tells nothing.
  const bool match = auth::verify_password(user ? user->password_hash : dummy_hash_, password);
  if (!user || !match) {
    user_failures_.record(*name);
    address_failures_.record(client_address);
    return fail(errc::unauthenticated, code::wrong_credentials, "incorrect user name or password");
  }
  if (!user->verified) {
    return fail(errc::forbidden, code::not_verified, "account is not verified");
  }
  if (user->disabled) {
    return fail(errc::forbidden, proto::rest::admin_error::user_disabled,
                "this account is disabled; ask an administrator");
  }
  user_failures_.reset(*name);
  const std::string session_id = uuid_v4();
  std::string refresh = auth::random_token(32);
  if (auto r =
          repository_.create_session(session_id, user->user_id, auth::sha256_hex(refresh), now_s());
      !r) {
    return fail(r.error());
  }
  log::info(Channel::service, "login user_id={} session_id={}", user->user_id, session_id);
  return issue_tokens(*user, session_id, std::move(refresh));
}

Result<Tokens> AccountService::refresh(std::string_view refresh_token,
                                       std::string_view client_address) {
  if (auto r = rate_check({}, client_address); !r)
    return fail(r.error());
  const auto denied = [&] {
    address_failures_.record(client_address);
    return fail(errc::unauthenticated, code::refresh_failed,
                "refresh token is invalid or expired; please log in again");
  };
  if (refresh_token.empty() || refresh_token.size() > 256)
    return denied();
  const std::string old_hash = auth::sha256_hex(refresh_token);
  auto record = repository_.get_refresh_token(old_hash);
  if (!record)
    return record.error().code == errc::not_found ? denied() : fail(record.error());
  if (record->session_revoked_at)
    return denied();
  const auto now = now_s();
  std::string fresh = auth::random_token(32);
  auto rotated = repository_.rotate_refresh_token(old_hash, auth::sha256_hex(fresh), now);
  if (!rotated) {
    if (rotated.error().code != errc::conflict)
      return fail(rotated.error());
    // A rotated token came back after its successor was used: one of the two
    // holders is not the owner. End the whole family.
    (void)repository_.revoke_session(record->session_id, now);
    log::warn(Channel::service, "refresh token reuse; session revoked user_id={} session_id={}",
              record->user_id, record->session_id);
    return denied();
  }
  auto user = user_with_id(repository_, record->user_id);
  if (!user)
    return denied();
  if (user->disabled) {
    return fail(errc::forbidden, proto::rest::admin_error::user_disabled,
                "this account is disabled; ask an administrator");
  }
  return issue_tokens(*user, record->session_id, std::move(fresh));
}

Result<void> AccountService::log_out(const Principal& who, bool all_sessions) {
  const auto now = now_s();
  return all_sessions ? repository_.revoke_all_sessions(who.user_id, now)
                      : repository_.revoke_session(who.session_id, now);
}

Result<void> AccountService::request_password_reset_unaudited(std::string_view raw_name,
                                                              std::string_view client_address) {
  auto name = normalize_user_name(raw_name);
  if (!name)
    return fail(name.error());
  if (auto r = rate_check({}, client_address); !r)
    return r;
  auto user = user_named(repository_, *name);
  if (!user) {
    // The same answer for an unknown user: the reset flow does not tell who has an
    // account (issue 13). Sign-up still says a name is taken.
    if (user.error().code == errc::not_found) {
      log::info(log::Channel::service, "password reset requested for an unknown user");
      return {};
    }
    return fail(user.error());
  }
  return send_code(*user, CodePurpose::reset_password, "Reset your Stratus password");
}

Result<void> AccountService::reset_password_unaudited(std::string_view raw_name,
                                                      std::string_view plain,
                                                      std::string_view new_password,
                                                      std::string_view client_address) {
  auto name = normalize_user_name(raw_name);
  if (!name)
    return fail(name.error());
  if (auto r = check_password_policy(new_password); !r)
    return r;
  auto user = user_named(repository_, *name);
  if (!user) {
    if (user.error().code != errc::not_found)
      return fail(user.error());
    // What a wrong code gets, counted like one: no account enumeration (issue 13).
    if (auto r = rate_check({}, client_address); !r)
      return r;
    address_failures_.record(client_address);
    return fail(errc::invalid_argument, code::code_incorrect, "verification code is incorrect");
  }
  if (auto r = check_code(*user, CodePurpose::reset_password, plain, client_address); !r)
    return r;
  auto hash = auth::hash_password(new_password, *hashing_);
  if (!hash)
    return fail(hash.error());
  // Owning the mailbox proves the account: a reset also verifies it.
  if (!user->verified)
    (void)repository_.confirm_user(user->user_id, now_s());
  return repository_.set_password(user->user_id, *hash, CodePurpose::reset_password, "", now_s());
}

Result<void> AccountService::change_password_unaudited(const Principal& who,
                                                       std::string_view old_password,
                                                       std::string_view new_password,
                                                       std::string_view client_address) {
  if (auto r = rate_check(who.user_id, client_address); !r)
    return r;
  auto user = user_with_id(repository_, who.user_id);
  if (!user)
    return fail(user.error());
  if (!auth::verify_password(user->password_hash, old_password)) {
    user_failures_.record(who.user_id);
    address_failures_.record(client_address);
    return fail(errc::unauthenticated, code::wrong_old_password,
                "the password you entered is incorrect");
  }
  if (auto r = check_password_policy(new_password); !r)
    return r;
  auto hash = auth::hash_password(new_password, *hashing_);
  if (!hash)
    return fail(hash.error());
  return repository_.set_password(user->user_id, *hash, std::nullopt, who.session_id, now_s());
}

Result<UserInfo> AccountService::get_user(const Principal& who) {
  auto user = user_with_id(repository_, who.user_id);
  if (!user)
    return fail(user.error());
  return UserInfo{user->user_id,     user->user_name,           user->name,
                  user->super_admin, is_phone(user->user_name), user->alert_mail};
}

Result<UserInfo> AccountService::update_user(const Principal& who,
                                             const storage::ProfileUpdate& update) {
  auto user = with_reason(repository_.update_profile(who.user_id, update, now_s()), errc::not_found,
                          code::user_not_found);
  if (!user)
    return fail(user.error());
  return UserInfo{user->user_id,     user->user_name,           user->name,
                  user->super_admin, is_phone(user->user_name), user->alert_mail};
}

Result<void> AccountService::request_deletion(const Principal& who) {
  auto user = user_with_id(repository_, who.user_id);
  if (!user)
    return fail(user.error());
  if (user->super_admin) {
    return fail(errc::forbidden, code::super_admin_deletion,
                "super-admin user deletion is restricted");
  }
  return send_code(*user, CodePurpose::delete_user, "Confirm deleting your Stratus account");
}

Result<void> AccountService::delete_user_unaudited(const Principal& who, std::string_view plain,
                                                   std::string_view client_address) {
  auto user = user_with_id(repository_, who.user_id);
  if (!user)
    return fail(user.error());
  if (user->super_admin) {
    return fail(errc::forbidden, code::super_admin_deletion,
                "super-admin user deletion is restricted");
  }
  if (auto r = check_code(*user, CodePurpose::delete_user, plain, client_address); !r)
    return r;
  if (auto r = with_reason(repository_.remove_user(user->user_id), errc::not_found,
                           code::user_not_found);
      !r)
    return r;
  log::info(Channel::service, "user deleted user_id={}", user->user_id);
  return {};
}

Result<UserInfo> AccountService::create_super_admin(std::string_view raw_name,
                                                    std::string_view password) {
  auto name = normalize_user_name(raw_name);
  if (!name)
    return fail(name.error());
  if (auto r = check_password_policy(password); !r)
    return fail(r.error());
  auto hash = auth::hash_password(password, *hashing_);
  if (!hash)
    return fail(hash.error());
  const auto now = now_s();
  storage::UserRecord user{uuid_v4(), *name, *hash, true, true, "", now, now};
  auto created = create_user(repository_, user);
  AuditEntry e;  // the operator's `stratusd user add --admin`: the system acts
  e.action = "account.create_super_admin";
  e.object_kind = "user";
  e.object_id = user.user_id;
  e.outcome = outcome_of(created);
  e.detail = "user_name=" + user.user_name;
  audit_.record(std::move(e));
  if (!created)
    return fail(created.error());
  return UserInfo{user.user_id, user.user_name, "", true, is_phone(user.user_name)};
}

Result<Principal> AccountService::authenticate(std::string_view access_token) {
  if (access_token.empty()) {
    return fail(errc::unauthenticated, code::access_token_missing, "access token is missing");
  }
  auto claims = signer_.verify(access_token, clock_.now(), std::chrono::seconds(0));
  const auto invalid = [] {
    return fail(errc::unauthenticated, code::access_token_invalid,
                "access token is invalid or expired");
  };
  if (!claims)
    return invalid();
  const auto use = claims->get_string("token_use");
  const auto user_id = claims->get_string("custom:user_id");
  const auto session_id = claims->get_string("sid");
  if (!use || *use != "access" || !user_id || !session_id || !claims->get_int("exp")) {
    return invalid();
  }
  auto active = repository_.session_active(*session_id);
  if (!active)
    return fail(active.error());
  if (!*active)
    return fail(errc::unauthenticated, code::logged_out,
                "you were logged out, please log in again");
  const auto* admin = claims->find("super_admin");
  const bool super_admin =
      admin != nullptr && std::holds_alternative<bool>(*admin) && std::get<bool>(*admin);
  return Principal{*user_id, *session_id, super_admin, *claims->get_int("exp")};
}

Result<bool> AccountService::session_active(const Principal& who) {
  return repository_.session_active(who.session_id);
}

// --- audited entry points (docs/adr/0015) ----------------------------------------------

void AccountService::audit_anonymous(std::string action, std::string_view user_name,
                                     std::string_view client_address, const std::string& outcome,
                                     std::string_view user_id) {
  AuditEntry e;
  e.actor_kind = ActorKind::user;
  e.action = std::move(action);
  e.object_kind = "user";
  e.remote_address = std::string(client_address);
  e.outcome = outcome;
  std::string id(user_id);
  if (id.empty()) {
    // Who it was, when the name is a known user; an unknown name is kept as detail only.
    if (auto name = normalize_user_name(user_name)) {
      if (auto user = repository_.get_user_by_name(*name))
        id = user->user_id;
      else
        e.detail = "user_name=" + *name;
    }
  }
  e.actor_id = id;
  e.object_id = id;
  audit_.record(std::move(e));
}

Result<void> AccountService::sign_up(std::string_view user_name, std::string_view password,
                                     std::string_view client_address) {
  auto r = sign_up_unaudited(user_name, password, client_address);
  audit_anonymous("account.signup", user_name, client_address, outcome_of(r));
  return r;
}

Result<void> AccountService::confirm_sign_up(std::string_view user_name, std::string_view code,
                                             std::string_view client_address) {
  auto r = confirm_sign_up_unaudited(user_name, code, client_address);
  audit_anonymous("account.verify", user_name, client_address, outcome_of(r));
  return r;
}

Result<Tokens> AccountService::log_in(std::string_view user_name, std::string_view password,
                                      std::string_view client_address) {
  auto r = log_in_unaudited(user_name, password, client_address);
  audit_anonymous("account.login", user_name, client_address, outcome_of(r));
  return r;
}

Result<void> AccountService::request_password_reset(std::string_view user_name,
                                                    std::string_view client_address) {
  auto r = request_password_reset_unaudited(user_name, client_address);
  audit_anonymous("account.password.reset_request", user_name, client_address, outcome_of(r));
  return r;
}

Result<void> AccountService::reset_password(std::string_view user_name, std::string_view code,
                                            std::string_view new_password,
                                            std::string_view client_address) {
  auto r = reset_password_unaudited(user_name, code, new_password, client_address);
  audit_anonymous("account.password.reset", user_name, client_address, outcome_of(r));
  return r;
}

Result<void> AccountService::change_password(const Principal& who, std::string_view old_password,
                                             std::string_view new_password,
                                             std::string_view client_address) {
  return audited(audit_, who, "account.password.change", "user", who.user_id,
                 change_password_unaudited(who, old_password, new_password, client_address));
}

Result<void> AccountService::delete_user(const Principal& who, std::string_view code,
                                         std::string_view client_address) {
  return audited(audit_, who, "account.delete", "user", who.user_id,
                 delete_user_unaudited(who, code, client_address));
}

}  // namespace stratus::service
