#include "storage/sqlite/connection.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <unordered_map>

namespace stratus::storage::sqlite {

struct Statement::Impl {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
};

struct Connection::Impl {
  sqlite3* db = nullptr;
  // Prepared once per connection, finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<Statement::Impl>> statements;
  ~Impl() {
    for (auto& [sql, s] : statements)
      sqlite3_finalize(s->stmt);
    statements.clear();
    if (db != nullptr)
      sqlite3_close_v2(db);
  }
};

namespace {

Error to_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xFF;
  errc code = errc::internal;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
      primary == SQLITE_CANTOPEN || primary == SQLITE_FULL || primary == SQLITE_READONLY) {
    code = errc::unavailable;
  } else if (primary == SQLITE_CONSTRAINT) {
    code = errc::conflict;
  }
  std::string text = "sqlite: ";
  text += what;
  text += ": ";
  text += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{code, std::move(text)};
}

}  // namespace

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Result<Connection> Connection::open(const std::filesystem::path& path, const OpenOptions& options) {
  if (!options.read_only) {
    // The database holds password hashes and node state: owner-only, even outside the
    // 0700 data dir (issue 13). SQLite gives its -wal and -shm files the same mode.
    //
    // Never open() and close() an existing database file here: closing any descriptor of
    // a file drops every POSIX lock this process holds on it, including the SHARED lock
    // that this process's other connections keep in WAL mode (sqlite.org/howtocorrupt.html
    // §2.2). Another process (`sqlite3`, a backup, `stratusd user add`) closing its last
    // connection then believed it was alone, checkpointed and deleted the WAL, and every
    // later commit of stratusd went to the unlinked WAL: lost (issue 13, found by
    // crash_system_test). Only a file that does not exist yet is created through a
    // descriptor, and nothing can hold locks on it.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    } else if (errno != EEXIST) {
      return fail(errc::unavailable, "open " + path.string() + ": " + std::strerror(errno));
    }
    struct stat st {};
    const bool loose = ::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0;
    const bool tightened = !loose || ::chmod(path.c_str(), 0600) == 0;
    if (!tightened) {
      return fail(errc::unavailable, "chmod 0600 " + path.string() + ": " + std::strerror(errno));
    }
  }
  auto impl = std::make_unique<Impl>();
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    auto err = to_error(impl->db, rc, "open " + path.string());
    err.code = errc::unavailable;
    return fail(std::move(err));
  }
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, static_cast<int>(options.busy_timeout.count()));
  Connection conn(std::move(impl));
  if (!options.read_only) {
    // WAL: readers never block the writer; NORMAL sync is durable across a
    // process crash and loses at most the last commits on power loss.
    if (auto r = conn.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !r) {
      return fail(r.error());
    }
  }
  if (auto r = conn.exec("PRAGMA foreign_keys=ON;"); !r)
    return fail(r.error());
  return conn;
}

Result<void> Connection::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(impl_->db, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    Error err = to_error(impl_->db, rc, "exec");
    sqlite3_free(message);
    return fail(std::move(err));
  }
  return {};
}

Result<std::int64_t> Connection::query_int(std::string_view sql) {
  auto s = prepare(sql);
  if (!s)
    return fail(s.error());
  auto row = s->step();
  if (!row)
    return fail(row.error());
  if (!*row)
    return fail(errc::not_found, "sqlite: query returned no row");
  return s->integer(0);
}

Result<std::string> Connection::query_text(std::string_view sql) {
  auto s = prepare(sql);
  if (!s)
    return fail(s.error());
  auto row = s->step();
  if (!row)
    return fail(row.error());
  if (!*row)
    return fail(errc::not_found, "sqlite: query returned no row");
  return s->text(0);
}

Statement::~Statement() {
  if (impl_ != nullptr)
    sqlite3_reset(impl_->stmt);
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(impl_->stmt, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(impl_->stmt, index, static_cast<sqlite3_int64>(value));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(impl_->stmt, index, value);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length BLOB needs a non-null pointer, or SQLite stores NULL.
  static constexpr char kEmpty = 0;
  sqlite3_bind_blob(impl_->stmt, index, bytes.empty() ? &kEmpty : bytes.data(),
                    static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(impl_->stmt, index);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(impl_->stmt);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  return fail(to_error(impl_->db, rc, "step"));
}

Result<void> Statement::run() {
  while (true) {
    auto r = step();
    if (!r)
      return fail(r.error());
    if (!*r)
      return {};
  }
}

std::string Statement::text(int col) const {
  const auto* t = sqlite3_column_text(impl_->stmt, col);
  if (t == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(t),
                     static_cast<std::size_t>(sqlite3_column_bytes(impl_->stmt, col)));
}

std::int64_t Statement::integer(int col) const {
  return static_cast<std::int64_t>(sqlite3_column_int64(impl_->stmt, col));
}

double Statement::real(int col) const {
  return sqlite3_column_double(impl_->stmt, col);
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(impl_->stmt, col) == SQLITE_NULL;
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = impl_->statements.find(std::string(sql));
  if (it == impl_->statements.end()) {
    auto s = std::make_unique<Statement::Impl>();
    s->db = impl_->db;
    const int rc = sqlite3_prepare_v3(impl_->db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &s->stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s->stmt);
      return fail(to_error(impl_->db, rc, "prepare"));
    }
    it = impl_->statements.emplace(std::string(sql), std::move(s)).first;
  }
  sqlite3_reset(it->second->stmt);
  sqlite3_clear_bindings(it->second->stmt);
  return Statement(it->second.get());
}

std::int64_t Connection::changes() const {
  return static_cast<std::int64_t>(sqlite3_changes64(impl_->db));
}

Result<void> Connection::ping() {
  auto r = query_int("SELECT 1");
  if (!r)
    return fail(r.error());
  return {};
}

Result<int> Connection::schema_version() {
  if (auto r = exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL,"
                    " applied_at INTEGER NOT NULL)");
      !r) {
    return fail(r.error());
  }
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
  auto current = schema_version();
  if (!current)
    return fail(current.error());
  MigrationReport report{*current, *current, {}};
  if (*current > static_cast<int>(list.size())) {
    return fail(errc::conflict, "the database schema is version " + std::to_string(*current) +
                                    " but this stratusd knows only up to " +
                                    std::to_string(list.size()) +
                                    "; refusing to run an older binary on a newer database");
  }
  for (const auto& m : list) {
    if (m.version <= *current)
      continue;
    if (auto r = exec("BEGIN IMMEDIATE"); !r)
      return fail(r.error());
    auto applied = exec(m.sql);
    if (applied) {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      auto record =
          prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES(?,?,?)");
      if (record) {
        record->bind(1, std::int64_t{m.version})
            .bind(2, m.name)
            .bind(3, static_cast<std::int64_t>(now));
        applied = record->run();
      } else {
        applied = fail(record.error());
      }
    }
    if (!applied) {
      (void)exec("ROLLBACK");
      Error err = applied.error();
      err.context = "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                    "): " + err.context;
      return fail(std::move(err));
    }
    if (auto r = exec("COMMIT"); !r) {
      (void)exec("ROLLBACK");
      return fail(r.error());
    }
    report.applied.push_back(m.version);
    report.to_version = m.version;
  }
  return report;
}

}  // namespace stratus::storage::sqlite
