#include "service/wirepas_access.hpp"

#include <algorithm>
#include <chrono>

#include "auth/secrets.hpp"
#include "core/random.hpp"
#include "proto/rest/error_codes.hpp"
#include "service/account_service.hpp"
#include "wirepas/topic_rules.hpp"

namespace stratus::service {
namespace {

namespace code = proto::rest::wirepas_error;

constexpr std::size_t kPasswordBytes = 24;  // 192 bits: docs/adr/0018
constexpr std::size_t kSaltBytes = 16;

WirepasCredentialInfo info_of(const storage::WirepasCredential& c) {
  return WirepasCredentialInfo{c.name, c.role, c.created_by, c.created_ms};
}

}  // namespace

WirepasAccessService::WirepasAccessService(storage::WirepasCredentialRepository& repository,
                                           WirepasBrokerAccess& broker, AuditLog& audit,
                                           const Clock& clock, WirepasAccessOptions options)
    : repository_(repository),
      broker_(broker),
      audit_(audit),
      clock_(clock),
      options_(std::move(options)) {}

Result<void> WirepasAccessService::require_admin(const Principal& who, std::string_view action,
                                                 std::string_view name) {
  Result<void> allowed;
  if (!who.super_admin) {
    allowed = fail(errc::forbidden, proto::rest::request_error::not_authorized,
                   "you are not authorized to perform this operation");
  } else if (!options_.enabled) {
    allowed = fail(errc::conflict, code::disabled,
                   "Wirepas gateways are not enabled on this server (set wirepas.enabled)");
  }
  if (allowed)
    return allowed;
  return audited(audit_, who, std::string(action), "wirepas_credential", std::string(name),
                 std::move(allowed));
}

Result<IssuedWirepasCredential> WirepasAccessService::add(const Principal& who,
                                                          std::string_view role,
                                                          std::string_view name) {
  constexpr std::string_view kAction = "admin.wirepas.add";
  if (auto ok = require_admin(who, kAction, name); !ok)
    return fail(ok.error());
  const auto issue = [&]() -> Result<IssuedWirepasCredential> {
    if (role != "gateway" && role != "operator")
      return fail(errc::invalid_argument, code::role_invalid,
                  "role must be \"gateway\" or \"operator\"");
    const bool reserved = std::find(options_.reserved_names.begin(), options_.reserved_names.end(),
                                    name) != options_.reserved_names.end();
    if (!wirepas::valid_broker_identity(name) || reserved)
      return fail(errc::invalid_argument, code::name_invalid,
                  reserved ? "name \"" + std::string(name) + "\" is reserved"
                           : "name must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    storage::WirepasCredential record;
    record.name = std::string(name);
    record.role = std::string(role);
    record.salt = random_hex(kSaltBytes);
    std::string password = auth::random_token(kPasswordBytes);
    record.mac = auth::hmac_sha256_hex(record.salt, password);
    record.created_by = who.user_id;
    record.created_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
            .count();
    const std::lock_guard lock(mutex_);
    if (auto inserted = repository_.insert(record); !inserted) {
      if (inserted.error().code == errc::conflict)
        return fail(errc::conflict, code::name_exists,
                    "a Wirepas gateway or operator is already called \"" + record.name + "\"");
      return fail(inserted.error());
    }
    if (auto published = publish_locked(); !published) {
      // Not issued: a password the broker does not know would only confuse.
      (void)repository_.remove(record.name);
      return fail(published.error());
    }
    return IssuedWirepasCredential{info_of(record), std::move(password)};
  };
  return audited(audit_, who, std::string(kAction), "wirepas_credential", std::string(name),
                 issue(), std::string(role));
}

Result<std::vector<WirepasCredentialInfo>> WirepasAccessService::list(const Principal& who) {
  constexpr std::string_view kAction = "admin.wirepas.list";
  if (auto ok = require_admin(who, kAction, ""); !ok)
    return fail(ok.error());
  auto rows = repository_.list();
  Result<std::vector<WirepasCredentialInfo>> out =
      [&]() -> Result<std::vector<WirepasCredentialInfo>> {
    if (!rows)
      return fail(rows.error());
    std::vector<WirepasCredentialInfo> infos;
    infos.reserve(rows->size());
    for (const auto& r : *rows)
      infos.push_back(info_of(r));
    return infos;
  }();
  return audited(audit_, who, std::string(kAction), "wirepas_credential", "", std::move(out));
}

Result<void> WirepasAccessService::remove(const Principal& who, std::string_view name) {
  constexpr std::string_view kAction = "admin.wirepas.remove";
  if (auto ok = require_admin(who, kAction, name); !ok)
    return ok;
  const auto drop = [&]() -> Result<void> {
    if (name.empty())
      return fail(errc::invalid_argument, code::name_invalid, "name is missing");
    const std::lock_guard lock(mutex_);
    auto removed = repository_.remove(name);
    if (!removed)
      return fail(removed.error());
    if (!*removed)
      return fail(errc::not_found, code::credential_not_found,
                  "no Wirepas gateway or operator called \"" + std::string(name) + "\"");
    auto published = publish_locked();
    if (!published)
      return fail(published.error());
    return {};
  };
  return audited(audit_, who, std::string(kAction), "wirepas_credential", std::string(name),
                 drop());
}

Result<std::size_t> WirepasAccessService::publish() {
  if (!options_.enabled)
    return std::size_t{0};
  const std::lock_guard lock(mutex_);
  return publish_locked();
}

Result<std::size_t> WirepasAccessService::publish_locked() {
  auto rows = repository_.list();
  if (!rows)
    return fail(rows.error());
  if (auto written = broker_.publish(*rows); !written)
    return fail(written.error());
  return rows->size();
}

}  // namespace stratus::service
