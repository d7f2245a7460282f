#include "storage/sql/audit_repository.hpp"

#include <limits>

namespace stratus::storage::sql {
namespace {

AuditRecord read_audit(const Statement& s) {
  AuditRecord a;
  a.audit_id = s.integer(0);
  a.actor_kind = s.text(1);
  a.actor_id = s.text(2);
  a.action = s.text(3);
  a.object_kind = s.text(4);
  a.object_id = s.text(5);
  a.remote_address = s.text(6);
  a.outcome = s.text(7);
  a.detail = s.text(8);
  a.at_ms = s.integer(9);
  return a;
}

}  // namespace

Result<void> SqlAuditRepository::append(std::span<const AuditRecord> records) {
  if (records.empty())
    return {};
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      for (const auto& a : records) {
        if (auto r = c.execute(
                "INSERT INTO audit_log(actor_kind, actor_id, action, object_kind, object_id, "
                "remote_address, outcome, detail, at_ms) "
                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                a.actor_kind, a.actor_id, a.action, a.object_kind, a.object_id, a.remote_address,
                a.outcome, a.detail, a.at_ms);
            !r)
          return r;
      }
      return {};
    });
  });
}

Result<std::vector<AuditRecord>> SqlAuditRepository::list(const AuditQuery& q) {
  // Empty filters bind as '' and NULL bounds as the widest range, so one cached statement
  // serves every combination; the planner still uses the actor/object index via the OR.
  const std::int64_t start = q.start_id.value_or(std::numeric_limits<std::int64_t>::max());
  const std::int64_t from = q.from_ms.value_or(std::numeric_limits<std::int64_t>::min());
  const std::int64_t to = q.to_ms.value_or(std::numeric_limits<std::int64_t>::max());
  const auto limit = static_cast<std::int64_t>(q.limit);
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT audit_id, actor_kind, actor_id, action, object_kind, object_id, remote_address, "
        "outcome, detail, at_ms FROM audit_log "
        "WHERE audit_id <= ?1 AND at_ms >= ?2 AND at_ms <= ?3 "
        "AND (?4 = '' OR actor_id = ?4) AND (?5 = '' OR object_id = ?5) "
        "AND (?6 = '' OR action = ?6 OR substr(action, 1, length(?6) + 1) = ?6 || '.') "
        "ORDER BY audit_id DESC LIMIT ?7",
        read_audit, start, from, to, q.actor_id, q.object_id, q.action, limit);
  });
}

}  // namespace stratus::storage::sql
