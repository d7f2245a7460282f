#pragma once
/// @file
/// Wirepas gateways and operators on the embedded broker (issue 20 item 3, docs/adr/0018;
/// `/v1/admin/wirepas/credentials`, `stratus-admin wirepas …`): super-admins issue a
/// generated password to a gateway id or an operator name, list and remove them. The
/// database is the record; the broker's credentials file follows it through the
/// `WirepasBrokerAccess` port after every change and at start.
///
/// Every call, allowed or refused, leaves an audit entry (`admin.wirepas.add|list|remove`).

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/audit.hpp"
#include "storage/wirepas_credential_repository.hpp"

namespace stratus::service {

struct Principal;

/// Port: hands the full credential list to the broker (the embedded broker's adapter
/// writes the plugin's file). Implementations are thread-safe and may block.
class WirepasBrokerAccess {
 public:
  virtual ~WirepasBrokerAccess() = default;
  /// Replaces the broker's credentials with `credentials` (by name). Errors: unavailable
  /// when they cannot be written (the previous list stays in force).
  virtual Result<void> publish(const std::vector<storage::WirepasCredential>& credentials) = 0;
};

/// Tunables (from config).
struct WirepasAccessOptions {
  /// `wirepas.enabled`: when false every call fails with 409 `158001`.
  bool enabled = false;
  /// Names that are never issued (the backend's MQTT user name).
  std::vector<std::string> reserved_names;
};

/// A credential as listed: never its password nor its hash.
struct WirepasCredentialInfo {
  std::string name;
  std::string role;  ///< "gateway" | "operator"
  std::string created_by;
  std::int64_t created_ms = 0;
};

/// What `add` returns: the only time the password is seen.
struct IssuedWirepasCredential {
  WirepasCredentialInfo credential;
  std::string password;  ///< 32 characters of base64url (24 random bytes)
};

/// Thread-safe; every call blocks (database, file I/O): call it from the blocking pool.
class WirepasAccessService {
 public:
  /// Keeps references: they must outlive it.
  WirepasAccessService(storage::WirepasCredentialRepository& repository,
                       WirepasBrokerAccess& broker, AuditLog& audit, const Clock& clock,
                       WirepasAccessOptions options);

  /// Issues a credential for gateway id or operator name `name` with `role` ("gateway" or
  /// "operator") and publishes the new list. Errors: forbidden `100004` (not a
  /// super-admin), conflict `158001` (disabled), invalid_argument `158002` (role) or
  /// `158003` (name: `wirepas::valid_broker_identity`, not reserved), conflict `158004`
  /// (name taken in either role), the repository's; unavailable when the broker's list
  /// cannot be written (the credential is then removed again and nothing was issued).
  Result<IssuedWirepasCredential> add(const Principal& who, std::string_view role,
                                      std::string_view name);

  /// Every credential, by name. Errors: forbidden, conflict `158001`, the repository's.
  Result<std::vector<WirepasCredentialInfo>> list(const Principal& who);

  /// Removes the credential `name` and publishes the list: the broker drops the holder's
  /// live session. Errors: forbidden, conflict `158001`, not_found `158005`, the
  /// repository's; unavailable when the list cannot be written (the database no longer
  /// has the name; the next publish, at the latest the next start, removes it).
  Result<void> remove(const Principal& who, std::string_view name);

  /// Publishes the database's list to the broker (at start). Returns how many there are.
  /// Errors: the repository's or the port's. Does nothing but return 0 when disabled.
  Result<std::size_t> publish();

 private:
  Result<void> require_admin(const Principal& who, std::string_view action, std::string_view name);
  Result<std::size_t> publish_locked();

  storage::WirepasCredentialRepository& repository_;
  WirepasBrokerAccess& broker_;
  AuditLog& audit_;
  const Clock& clock_;
  WirepasAccessOptions options_;
  std::mutex mutex_;  // a change and its publish are one step: lists never go back in time
};

}  // namespace stratus::service
