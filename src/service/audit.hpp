#pragma once
/// @file
/// The audit log's service-level port (issue 18 item 6, docs/adr/0015): who (a user, an
/// admin, a node, the system) did what to which object, when, from which address, and
/// with what outcome. Services record an entry for every state-changing use case
/// (accounts, claiming, mapping, sharing, params sets, commands, OTA, admin actions);
/// `GET /v1/admin/audit` reads them back.
///
/// Recording never fails the caller's operation: `AuditLog::record` returns nothing and
/// throws nothing; an entry that cannot be stored is logged (and counted) by the
/// implementation instead.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::service {

struct Principal;

/// Who acted.
enum class ActorKind {
  user,    ///< a logged-in user acting on its own things
  admin,   ///< a super-admin (any call made with a super-admin token)
  node,    ///< a node, over MQTT or the claiming API
  system,  ///< stratusd itself (sweeps, start-up) or the operator's `stratusd` commands
};

/// Stable lower-case name: "user", "admin", "node", "system". Thread-safe.
[[nodiscard]] std::string_view to_string(ActorKind kind) noexcept;

/// One thing that happened. Plain data.
struct AuditEntry {
  ActorKind actor_kind = ActorKind::system;
  std::string actor_id;  ///< user id or node id; empty for the system
  /// Dotted name, `<object>.<verb>` or `<object>.<part>.<verb>`: "account.login",
  /// "node.params.set", "ota.job.create", "admin.node.revoke". docs/api.md lists them.
  std::string action;
  std::string object_kind;     ///< "node", "user", "ota_image", "ota_job", …; may be empty
  std::string object_id;       ///< may be empty
  std::string remote_address;  ///< the caller's IP address as the HTTP server saw it
  std::string outcome = "ok";  ///< "ok" or `outcome_of(error)`
  std::string detail;          ///< small JSON or text (bounded to `kMaxAuditDetailBytes`)
  std::int64_t at_ms = 0;      ///< Unix ms; 0 = "now" (the log stamps it)
};

/// Longest `detail` kept; longer text is cut (at a UTF-8 boundary) and marked with "…".
inline constexpr std::size_t kMaxAuditDetailBytes = 1024;
/// Longest of any other text field kept (ids, addresses, action names).
inline constexpr std::size_t kMaxAuditFieldBytes = 256;

/// The port. Implementations are thread-safe and `record` returns quickly (it must not
/// block an HTTP or MQTT thread on database I/O for long): see `QueuedAuditLog`.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  /// Records `entry`. Never fails the caller: storage failures are logged and counted.
  virtual void record(AuditEntry entry) noexcept = 0;
  /// Waits up to `timeout` until every entry recorded before the call is stored (or
  /// failed); true when that happened. Readers of the log call it first. A log that
  /// writes synchronously has nothing to wait for.
  virtual bool flush(std::chrono::milliseconds timeout) noexcept {
    (void)timeout;
    return true;
  }
};

/// "ok" for success; for a failure, the RainMaker code when the error has one
/// (`"error:108004"`), else the errc name (`"error:not_found"`). Pure; thread-safe.
[[nodiscard]] std::string outcome_of(const Error& error);

/// `outcome_of` for any result: "ok" when it holds a value.
template <class T>
[[nodiscard]] std::string outcome_of(const Result<T>& result) {
  return result ? std::string("ok") : outcome_of(result.error());
}

/// An entry with the actor taken from `who`: `admin` for a super-admin, else `user`;
/// its user id and remote address. Pure; thread-safe.
[[nodiscard]] AuditEntry audit_entry(const Principal& who, std::string action,
                                     std::string object_kind, std::string object_id);

/// Records `audit_entry(who, …)` with `outcome_of(result)` and `detail`, and returns
/// `result` unchanged, so a use case can end with
/// `return audited(audit_, who, "ota.job.cancel", "ota_job", id, do_cancel());`.
template <class T>
Result<T> audited(AuditLog& log, const Principal& who, std::string action, std::string object_kind,
                  std::string object_id, Result<T> result, std::string detail = {}) {
  AuditEntry entry =
      audit_entry(who, std::move(action), std::move(object_kind), std::move(object_id));
  entry.outcome = outcome_of(result);
  entry.detail = std::move(detail);
  log.record(std::move(entry));
  return result;
}

}  // namespace stratus::service
