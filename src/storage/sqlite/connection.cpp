#include "storage/sqlite/connection.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/strings.hpp"
#include "core/thread_name.hpp"

namespace stratus::storage::sqlite {

namespace {

class SqliteStatement final : public sql::StatementImpl {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind_text(int index, std::string_view text) override {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind_integer(int index, std::int64_t value) override {
    sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
  }
  void bind_real(int index, double value) override { sqlite3_bind_double(stmt_, index, value); }
  void bind_blob(int index, std::string_view bytes) override {
    // A zero-length BLOB needs a non-null pointer, or SQLite stores NULL.
    static constexpr char kEmpty = 0;
    sqlite3_bind_blob(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(),
                      static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int index) override { sqlite3_bind_null(stmt_, index); }
  Result<bool> step() override;
  [[nodiscard]] std::string text(int col) const override {
    const auto* t = sqlite3_column_text(stmt_, col);
    if (t == nullptr)
      return {};
    return std::string(reinterpret_cast<const char*>(t),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  [[nodiscard]] std::int64_t integer(int col) const override {
    return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, col));
  }
  [[nodiscard]] double real(int col) const override { return sqlite3_column_double(stmt_, col); }
  [[nodiscard]] bool is_null(int col) const override {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
  }
  void reset() override { sqlite3_reset(stmt_); }
  void clear() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace

// The WAL's checkpoints on a thread of their own (docs/adr/0032). A checkpoint copies the
// WAL's pages back into the database file and syncs the WAL and the file: tens of
// milliseconds on a busy disk. SQLite's automatic checkpoint runs it inside the commit that
// passed 1 000 pages, on the committing thread, so every few hundred milliseconds under
// ingest the writer stood still for it (bench/README.md, session 21). Here the
// connections' WAL hook only wakes this thread, which checkpoints (PASSIVE: it never
// blocks a reader or the writer) through a connection of its own.
class Checkpointer {
 public:
  // Opens the checkpointer's connection to `path` (as the pool's, `Connection::open`, whose
  // WAL pragma is the first read through it: until a connection has read, it does not know
  // the file is in WAL mode, and a checkpoint through it does nothing and says SQLITE_OK)
  // and starts its thread. Errors: the open's.
  static Result<std::shared_ptr<Checkpointer>> start(const std::filesystem::path& path,
                                                     const OpenOptions& options) {
    auto conn = Connection::open(path, options);
    if (!conn)
      return fail(conn.error());
    // It never writes, so its automatic checkpoint never fires; off all the same, so that
    // closing it is the only other checkpoint it makes.
    if (auto r = (*conn)->exec("PRAGMA wal_autocheckpoint=0"); !r)
      return fail(r.error());
    std::shared_ptr<Checkpointer> c(
        new Checkpointer(options.background_checkpoint_pages, std::move(*conn)));
    c->thread_ = std::thread([raw = c.get()] { raw->run(); });
    return c;
  }

  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable())
      thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // The WAL hook of every connection of the pool: runs on the committing thread after each
  // commit, with the WAL's size in pages. Wakes the thread past the threshold; past four
  // times it, checkpoints here (the thread has not caught up between the commits). Always
  // SQLITE_OK, as SQLite's own hook: the commit has happened, and an error returned here
  // would make the COMMIT report one (SQLITE_BUSY only means the thread is checkpointing
  // at this moment), and the caller would take a committed batch for a failed one.
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages) {
    auto& c = *static_cast<Checkpointer*>(self);
    if (pages >= c.pages_ * 4) {
      (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return SQLITE_OK;
    }
    if (pages >= c.pages_) {
      {
        std::lock_guard lock(c.mutex_);
        c.due_ = true;
      }
      c.wake_.notify_one();
    }
    return SQLITE_OK;
  }

 private:
  Checkpointer(int pages, std::unique_ptr<Connection> conn)
      : pages_(pages), conn_(std::move(conn)) {}

  void run() {
    core::name_this_thread("db-checkpoint");
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return due_ || stop_; });
      if (stop_)
        return;
      due_ = false;
      lock.unlock();
      // An error (I/O) leaves the pages in the WAL: the next commit asks again, and the
      // committing connections' own checkpoint at four times the threshold bounds it.
      const auto done = conn_->exec("PRAGMA wal_checkpoint(PASSIVE)");
      lock.lock();
      if (!done)
        wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; });
    }
  }

  const int pages_;
  std::unique_ptr<Connection> conn_;  // used by the thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stop_ = false;
  std::thread thread_;
};

struct Connection::Impl {
  // Released after the connection closed (the hook points at it).
  std::shared_ptr<Checkpointer> checkpointer;
  sqlite3* db = nullptr;
  // Prepared once per connection, finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>, StringHash, std::equal_to<>>
      statements;
  ~Impl() {
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
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& path,
                                                     const OpenOptions& options) {
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
  std::unique_ptr<Connection> conn(new Connection(std::move(impl)));
  if (!options.read_only) {
    // WAL: readers never block the writer; NORMAL sync is durable across a
    // process crash and loses at most the last commits on power loss.
    if (auto r = conn->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !r) {
      return fail(r.error());
    }
  }
  if (auto r = conn->exec("PRAGMA foreign_keys=ON;"); !r)
    return fail(r.error());
  // Reads through a memory map of the file (the OS page cache, shared by every
  // connection) instead of a read() and a copy per page missed in the 2 MiB page cache
  // (issue 24 profile: the ingest writer's top kernel entries were page-cache copies).
  if (auto r = conn->exec("PRAGMA mmap_size=268435456;"); !r)
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

Result<bool> SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  return fail(to_error(db_, rc, "step"));
}

Result<sql::Statement> Connection::prepare(std::string_view sql) {
  auto it = impl_->statements.find(sql);
  if (it == impl_->statements.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(impl_->db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return fail(to_error(impl_->db, rc, "prepare"));
    }
    it = impl_->statements
             .emplace(std::string(sql), std::make_unique<SqliteStatement>(impl_->db, stmt))
             .first;
  }
  it->second->clear();
  return sql::Statement(it->second.get());
}

void Connection::attach(std::shared_ptr<Checkpointer> checkpointer) {
  sqlite3_wal_hook(impl_->db, &Checkpointer::on_commit, checkpointer.get());
  impl_->checkpointer = std::move(checkpointer);
}

std::int64_t Connection::changes() const {
  return static_cast<std::int64_t>(sqlite3_changes64(impl_->db));
}

Result<void> Connection::begin_write() {
  return exec("BEGIN IMMEDIATE");
}

Result<std::shared_ptr<sql::Database>> open_database(const std::filesystem::path& path,
                                                     const OpenOptions& options, std::size_t size) {
  std::shared_ptr<Checkpointer> checkpointer;
  return sql::Database::open(
      size,
      [&]() -> Result<std::unique_ptr<sql::Connection>> {
        auto c = Connection::open(path, options);
        if (!c)
          return fail(c.error());
        if (!options.read_only && options.background_checkpoint_pages > 0) {
          // Started with the first connection, which creates the file and switches it to
          // WAL.
          if (!checkpointer) {
            auto started = Checkpointer::start(path, options);
            if (!started)
              return fail(started.error());
            checkpointer = std::move(*started);
          }
          (*c)->attach(checkpointer);
        }
        return std::unique_ptr<sql::Connection>(std::move(*c));
      },
      migrations(), !options.read_only);
}

}  // namespace stratus::storage::sqlite
