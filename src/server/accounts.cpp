#include "server/accounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "auth/token.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "log/log.hpp"
#include "service/audit_log.hpp"
#include "service/mailer.hpp"
#include "storage/postgres/connection.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/audit_repository.hpp"
#include "storage/sqlite/connection.hpp"

namespace stratus::server {
namespace {

std::filesystem::path database_path(const config::Config& config,
                                    const std::filesystem::path& data_dir) {
  return config.database.path.empty() ? data_dir / "stratus.db"
                                      : std::filesystem::path(config.database.path);
}

// Admin creation sends no mail; a mailer that refuses makes that explicit.
class NoMail final : public service::Mailer {
 public:
  Result<void> send(const service::MailMessage&) override {
    return fail(errc::unavailable, "no mail is sent by this command");
  }
};

}  // namespace

Result<std::string> database_password(const config::Config& config) {
  std::string password;
  const auto& file = config.database.password_file;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in || !std::getline(in, password))
      return fail(errc::invalid_argument, "database.password_file " + file + " cannot be read");
  }
  return password;
}

Result<std::shared_ptr<storage::sql::Database>> open_database_pool(
    const config::Config& config, const std::filesystem::path& data_dir) {
  const auto& d = config.database;
  const std::size_t size = d.pool_threads + 1;
  Result<std::shared_ptr<storage::sql::Database>> db;
  std::string where;
  if (!d.url.empty()) {
    auto password = database_password(config);
    if (!password)
      return fail(password.error());
    storage::postgres::OpenOptions options;
    options.password = *password;
    db = storage::postgres::open_database(d.url, options, size);
    where = storage::postgres::redact_url(d.url);
  } else {
    const auto path = database_path(config, data_dir);
    db = storage::sqlite::open_database(path, {d.busy_timeout_ms, false}, size);
    where = path.string();
  }
  if (!db)
    return fail(db.error());
  const auto& report = (*db)->migration_report();
  if (!report.applied.empty()) {
    log::info(log::Channel::storage, "database {} migrated from version {} to {}", where,
              report.from_version, report.to_version);
  }
  return db;
}

Result<std::string> load_or_create_token_key(const std::filesystem::path& data_dir) {
  const auto dir = data_dir / "auth";
  const auto path = dir / "token.key";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path);
    std::string key;
    std::getline(in, key);
    if (key.size() != 64 || key.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return fail(errc::invalid_argument,
                  path.string() +
                      " is damaged (expected 64 hex characters); refusing to start: a "
                      "new key would log every user out. Restore it from a backup, or "
                      "delete it to start afresh.");
    }
    return key;
  }
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return fail(errc::unavailable, "cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  const std::string key = random_hex(32);
  const auto tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(errc::unavailable, "cannot create " + tmp + ": " + std::strerror(errno));
  const std::string line = key + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(errc::unavailable, "cannot write " + path.string());
  }
  log::info(log::Channel::service, "created the token signing key {}", path.string());
  return key;
}

service::AccountOptions account_options(const config::Config& config) {
  const auto& a = config.accounts;
  service::AccountOptions o;
  o.issuer = a.issuer.empty() ? "stratus" : a.issuer;
  o.token_lifetime = a.token_lifetime_s;
  o.code_lifetime = a.code_lifetime_s;
  o.code_max_attempts = a.code_max_attempts;
  o.login_failures_per_user = a.login_failures_per_user;
  o.attempts_per_address = a.attempts_per_address;
  o.codes_per_user = a.codes_per_user;
  o.rate_window = a.rate_window_s;
  o.argon2_ops_limit = a.argon2_ops_limit;
  o.argon2_mem_limit_bytes = a.argon2_mem_limit_kib * 1024;
  return o;
}

Result<service::UserInfo> add_super_admin(const config::Config& config, std::string_view user_name,
                                          std::string_view password) {
  const auto data_dir = std::filesystem::absolute(config.server.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  auto db = open_database_pool(config, data_dir);
  if (!db)
    return fail(db.error());
  auto key = load_or_create_token_key(data_dir);
  if (!key)
    return fail(key.error());
  auto signer = auth::TokenSigner::from_key(*key);
  if (!signer)
    return fail(signer.error());
  SystemClock clock;
  NoMail no_mail;
  storage::sql::SqlAccountRepository repository(*db);
  storage::sql::SqlAuditRepository audit_repository(*db);
  service::QueuedAuditLog audit(audit_repository, clock);  // not started: written at stop
  service::AccountService accounts(repository, no_mail, *signer, clock, account_options(config),
                                   audit);
  auto made = accounts.create_super_admin(user_name, password);
  audit.stop();
  return made;
}

}  // namespace stratus::server
