#pragma once
/// @file
/// Storage port for the audit log (issue 18 item 6, docs/adr/0015): an append-only
/// table of who did what to which object, when, from where, with what outcome. The port
/// has no update or remove: rows are appended and read, never changed (the SQLite table
/// also refuses UPDATE and DELETE with triggers, migration 0014).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// One audit row as stored. Text columns are stored as given (the service bounds them).
struct AuditRecord {
  std::int64_t audit_id = 0;   ///< assigned by `append` (increasing, never reused); 0 on input
  std::string actor_kind;      ///< "user", "admin", "node" or "system"
  std::string actor_id;        ///< user id, node id; empty for the system
  std::string action;          ///< dotted name, e.g. "node.params.set"
  std::string object_kind;     ///< e.g. "node", "user", "ota_job"; may be empty
  std::string object_id;       ///< may be empty
  std::string remote_address;  ///< the caller's IP address; empty when there is none
  std::string outcome;         ///< "ok" or the error code (see service/audit.hpp)
  std::string detail;          ///< small JSON or text; may be empty
  std::int64_t at_ms = 0;      ///< Unix milliseconds
};

/// Which rows `AuditRepository::list` returns: all given filters must match.
struct AuditQuery {
  std::string actor_id;   ///< exact; empty = any
  std::string object_id;  ///< exact; empty = any
  /// Exact, or a dotted prefix: "ota" matches "ota" and "ota.job.create"; empty = any.
  std::string action;
  std::optional<std::int64_t> from_ms{};   ///< at_ms ≥ from_ms
  std::optional<std::int64_t> to_ms{};     ///< at_ms ≤ to_ms
  std::optional<std::int64_t> start_id{};  ///< audit_id ≤ start_id (the page starts there)
  std::size_t limit = 25;                  ///< at most this many rows
};

/// The audit log's storage. Implementations are thread-safe; every call may block.
/// Errors: errc::unavailable when the database is.
class AuditRepository {
 public:
  virtual ~AuditRepository() = default;

  /// Appends `records` in order, all in one transaction (all or none). Their
  /// `audit_id` inputs are ignored.
  virtual Result<void> append(std::span<const AuditRecord> records) = 0;
  /// Rows matching `query`, newest first (descending `audit_id`).
  virtual Result<std::vector<AuditRecord>> list(const AuditQuery& query) = 0;
};

}  // namespace stratus::storage
