#include "storage/sql/connection.hpp"

#include <chrono>

#include "core/strings.hpp"

namespace stratus::storage::sql {

Result<std::int64_t> Connection::query_int(std::string_view sql) {
  return query_one(sql, {"sql: query returned no row"},
                   [](const Statement& s) { return s.integer(0); });
}

Result<std::string> Connection::query_text(std::string_view sql) {
  return query_one(sql, {"sql: query returned no row"},
                   [](const Statement& s) { return s.text(0); });
}

Result<void> Connection::ping() {
  auto r = query_int("SELECT 1");
  if (!r)
    return fail(r.error());
  return {};
}

// Reads only, so `stratusd db check` and `db copy` change nothing: a database without
// the version table is at version 0 (`migrate` creates the table inside its first
// transaction, under the write lock).
Result<int> Connection::schema_version() {
  auto exists = query_int(dialect() == Dialect::postgres
                              ? "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = "
                                "current_schema() AND tablename = 'schema_migrations'"
                              : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'schema_migrations'");
  if (!exists)
    return fail(exists.error());
  if (*exists == 0)
    return 0;
  auto v = query_int("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!v)
    return fail(v.error());
  return static_cast<int>(*v);
}

Result<MigrationReport> Connection::migrate(std::span<const Migration> list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].version != static_cast<int>(i) + 1) {
      return fail(errc::invalid_argument,
                  "migrations must be numbered 1..N without gaps; "
                  "found version " +
                      std::to_string(list[i].version) + " at position " + std::to_string(i + 1));
    }
  }
  MigrationReport report;
  bool first = true;
  // One write transaction per migration; the version is read inside it, so another
  // process migrating the same database at once (a second stratusd on PostgreSQL)
  // waits for the lock and then sees the migration applied.
  while (true) {
    std::optional<Migration> next;
    auto step = transaction([&]() -> Result<void> {
      if (auto r = exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version INTEGER PRIMARY KEY,"
                        " name TEXT NOT NULL,"
                        " applied_at BIGINT NOT NULL)");
          !r) {
        return fail(r.error());
      }
      auto current = schema_version();
      if (!current)
        return fail(current.error());
      if (first) {
        report.from_version = report.to_version = *current;
        first = false;
      }
      if (*current > static_cast<int>(list.size())) {
        return fail(errc::conflict, "the database schema is version " + std::to_string(*current) +
                                        " but this stratusd knows only up to " +
                                        std::to_string(list.size()) +
                                        "; refusing to run an older binary on a newer database");
      }
      if (*current == static_cast<int>(list.size()))
        return {};
      next = list[static_cast<std::size_t>(*current)];
      auto applied = exec(next->sql);
      if (applied) {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        applied = execute(
            "INSERT INTO schema_migrations(version, name, applied_at) "
            "VALUES(?1, ?2, ?3)",
            std::int64_t{next->version}, next->name, static_cast<std::int64_t>(now));
      }
      if (!applied) {
        Error err = applied.error();
        err.context = "migration " + std::to_string(next->version) + " (" +
                      std::string(next->name) + "): " + err.context;
        return fail(std::move(err));
      }
      return {};
    });
    if (!step)
      return fail(step.error());
    if (!next)
      return report;
    report.applied.push_back(next->version);
    report.to_version = next->version;
  }
}

std::string json_array(std::span<const std::string> values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0)
      out += ',';
    append_json_string(out, values[i]);
  }
  return out + "]";
}

void append_pg_array_element(std::string& out, std::string_view text) {
  out += '"';
  for (const char ch : text) {
    if (ch == '"' || ch == '\\')
      out += '\\';
    out += ch;
  }
  out += '"';
}

std::string pg_text_array(std::span<const std::string> values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0)
      out += ',';
    append_pg_array_element(out, values[i]);
  }
  return out + "}";
}

std::string Connection::in_string_list(std::string_view column,
                                       std::string_view placeholder) const {
  if (dialect() == Dialect::postgres)
    return std::string(column) + " = ANY(CAST(" + std::string(placeholder) + " AS text[]))";
  return std::string(column) + " IN (SELECT value FROM " + json_strings(placeholder) + ")";
}

std::string Connection::string_list(std::span<const std::string> values) const {
  return dialect() == Dialect::postgres ? pg_text_array(values) : json_array(values);
}

std::string Connection::json_strings(std::string_view placeholder) const {
  if (dialect() == Dialect::postgres) {
    return "jsonb_array_elements_text(CAST(" + std::string(placeholder) + " AS jsonb)) AS j(value)";
  }
  return "json_each(" + std::string(placeholder) + ")";
}

}  // namespace stratus::storage::sql
