#include "storage/sql/automation_repository.hpp"

#include "storage/sql/unchanged_row.hpp"

namespace stratus::storage::sql {
namespace {

constexpr std::string_view kColumns =
    "SELECT automation_id, user_id, name, event_type, node_id, latitude, longitude, events, "
    "event_operator, actions, retrigger, enabled, metadata, created_ms, updated_ms, "
    "last_fired_ms, last_cause, last_results FROM automations ";

AutomationRecord read_automation(const Statement& s) {
  AutomationRecord a;
  a.automation_id = s.text(0);
  a.user_id = s.text(1);
  a.name = s.text(2);
  a.event_type = s.text(3);
  a.node_id = s.text(4);
  a.latitude = s.text(5);
  a.longitude = s.text(6);
  a.events_json = s.text(7);
  a.event_operator = s.text(8);
  a.actions_json = s.text(9);
  a.retrigger = s.integer(10) != 0;
  a.enabled = s.integer(11) != 0;
  a.metadata_json = s.text(12);
  a.created_ms = s.integer(13);
  a.updated_ms = s.integer(14);
  if (!s.is_null(15))
    a.last_fired_ms = s.integer(15);
  a.last_cause = s.text(16);
  a.last_results_json = s.text(17);
  return a;
}

Result<void> name_taken(Result<void> r) {
  if (!r && r.error().code == errc::conflict)
    return fail(errc::already_exists, "an automation of that name exists for that node");
  return r;
}

// How long a claimed edge is kept: far longer than two instances can both believe they
// lead (a lease) or a new leader fires an edge judged before it led (15 s).
constexpr std::int64_t kEdgeClaimsKeptMs = 3'600'000;

}  // namespace

Result<void> SqlAutomationRepository::create(const AutomationRecord& a) {
  return db_->with([&](Connection& c) {
    return name_taken(c.execute(
        "INSERT INTO automations(automation_id, user_id, name, event_type, node_id, latitude, "
        "longitude, events, event_operator, actions, retrigger, enabled, metadata, created_ms, "
        "updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        a.automation_id, a.user_id, a.name, a.event_type, a.node_id, a.latitude, a.longitude,
        a.events_json, a.event_operator, a.actions_json, std::int64_t{a.retrigger},
        std::int64_t{a.enabled}, a.metadata_json, a.created_ms, a.updated_ms));
  });
}

Result<void> SqlAutomationRepository::update(const AutomationRecord& a,
                                             std::int64_t read_updated_ms) {
  return db_->with([&](Connection& c) -> Result<void> {
    auto r = name_taken(
        c.execute("UPDATE automations SET name = ?2, node_id = ?3, latitude = ?4, longitude = ?5, "
                  "events = ?6, event_operator = ?7, actions = ?8, retrigger = ?9, enabled = ?10, "
                  "metadata = ?11, updated_ms = ?12 WHERE automation_id = ?1 AND updated_ms = ?13",
                  a.automation_id, a.name, a.node_id, a.latitude, a.longitude, a.events_json,
                  a.event_operator, a.actions_json, std::int64_t{a.retrigger},
                  std::int64_t{a.enabled}, a.metadata_json, a.updated_ms, read_updated_ms));
    if (!r)
      return r;
    if (c.changes() != 0)
      return {};
    return why_unchanged(
        c, "SELECT CAST(updated_ms AS TEXT) FROM automations WHERE automation_id = ?1",
        "automation does not exist",
        [](const std::string&) { return std::string("automation changed since it was read"); },
        a.automation_id);
  });
}

Result<bool> SqlAutomationRepository::remove(std::string_view user_id,
                                             std::string_view automation_id) {
  return db_->with([&](Connection& c) -> Result<bool> {
    auto r = c.execute("DELETE FROM automations WHERE automation_id = ?1 AND user_id = ?2",
                       automation_id, user_id);
    if (!r)
      return fail(r.error());
    return c.changes() > 0;
  });
}

Result<std::optional<AutomationRecord>> SqlAutomationRepository::get(
    std::string_view automation_id) {
  return db_->with([&](Connection& c) -> Result<std::optional<AutomationRecord>> {
    auto rows = c.query_all(std::string(kColumns) + "WHERE automation_id = ?1", read_automation,
                            automation_id);
    if (!rows)
      return fail(rows.error());
    if (rows->empty())
      return std::optional<AutomationRecord>{};
    return std::optional<AutomationRecord>(std::move(rows->front()));
  });
}

Result<std::vector<AutomationRecord>> SqlAutomationRepository::list(std::string_view user_id,
                                                                    std::string_view node_id,
                                                                    std::string_view start_id,
                                                                    std::size_t limit) {
  return db_->with([&](Connection& c) {
    return c.query_all(std::string(kColumns) +
                           "WHERE user_id = ?1 AND (?2 = '' OR node_id = ?2) AND automation_id >= "
                           "?3 ORDER BY automation_id LIMIT ?4",
                       read_automation, user_id, node_id, start_id,
                       static_cast<std::int64_t>(limit));
  });
}

Result<std::int64_t> SqlAutomationRepository::count(std::string_view user_id,
                                                    std::string_view node_id) {
  return db_->with([&](Connection& c) {
    return c.query_one(
        "SELECT COUNT(*) FROM automations WHERE user_id = ?1 AND (?2 = '' OR node_id = ?2)",
        {"no count"}, [](const Statement& s) { return s.integer(0); }, user_id, node_id);
  });
}

Result<std::vector<AutomationRecord>> SqlAutomationRepository::all() {
  return db_->with([&](Connection& c) {
    return c.query_all(std::string(kColumns) + "ORDER BY created_ms, automation_id",
                       read_automation);
  });
}

Result<bool> SqlAutomationRepository::claim_firing(std::string_view automation_id,
                                                   std::int64_t scheduled_ms, std::int64_t at_ms) {
  return db_->with([&](Connection& c) -> Result<bool> {
    // One statement, so of two instances the second sees the first's firing: the row is
    // locked by the first UPDATE until it commits (PostgreSQL), or the writes are serial
    // (SQLite).
    auto r = c.execute(
        "UPDATE automations SET last_fired_ms = ?3 WHERE automation_id = ?1 AND "
        "COALESCE(last_fired_ms, 0) < ?2",
        automation_id, scheduled_ms, at_ms);
    if (!r)
      return fail(r.error());
    return c.changes() > 0;
  });
}

Result<bool> SqlAutomationRepository::claim_edge(std::string_view automation_id,
                                                 std::int64_t report_ms, std::int64_t ordinal,
                                                 std::int64_t at_ms) {
  return db_->with([&](Connection& c) -> Result<bool> {
    if (auto r =
            c.execute("DELETE FROM automation_edges WHERE automation_id = ?1 AND claimed_ms < ?2",
                      automation_id, at_ms - kEdgeClaimsKeptMs);
        !r) {
      return fail(r.error());
    }
    // The key decides between two instances: the second INSERT waits for the first's row
    // (PostgreSQL) or comes after it (SQLite's one writer), and then inserts nothing.
    auto r = c.execute(
        "INSERT INTO automation_edges(automation_id, report_ms, ordinal, claimed_ms) "
        "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM automations WHERE automation_id = ?1) "
        "ON CONFLICT (automation_id, report_ms, ordinal) DO NOTHING",
        automation_id, report_ms, ordinal, at_ms);
    if (!r)
      return fail(r.error());
    return c.changes() > 0;
  });
}

Result<void> SqlAutomationRepository::record_firing(std::string_view automation_id,
                                                    std::int64_t at_ms, std::string_view cause,
                                                    std::string_view results_json) {
  return db_->with([&](Connection& c) {
    return c.execute(
        "UPDATE automations SET last_fired_ms = ?2, last_cause = ?3, last_results = ?4 WHERE "
        "automation_id = ?1",
        automation_id, at_ms, cause, results_json);
  });
}

}  // namespace stratus::storage::sql
