#include "storage/postgres/connection.hpp"

#include <libpq-fe.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/strings.hpp"

namespace stratus::storage::postgres {
namespace {

// Type OIDs (src/include/catalog/pg_type.dat); 0 lets the server infer the type.
constexpr Oid kUnknownOid = 0;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat8Oid = 701;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

// errc by SQLSTATE class (PostgreSQL manual, appendix A): 23 integrity constraint
// violations are conflicts; 08 connection, 40 transaction rollback, 53 insufficient
// resources, 57 operator intervention (shutdown) and 55P03 lock not available mean
// "try again later"; the rest are bugs or bad SQL.
errc code_of(std::string_view state, bool connection_bad) {
  if (state.starts_with("23"))
    return errc::conflict;
  if (connection_bad || state.starts_with("08") || state.starts_with("40") ||
      state.starts_with("53") || state.starts_with("57") || state == "55P03") {
    return errc::unavailable;
  }
  return errc::internal;
}

Error to_error(PGconn* conn, const PGresult* res, std::string_view what) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const bool bad = PQstatus(conn) == CONNECTION_BAD;
  std::string text = "postgres: ";
  text += what;
  text += ": ";
  text += trimmed(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (text.ends_with(": "))
    text += trimmed(PQerrorMessage(conn));
  return Error{code_of(state != nullptr ? state : "", bad), std::move(text)};
}

bool ok(const PGresult* res) {
  const auto s = PQresultStatus(res);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

// Whether `sql` changes rows (its first keyword, or a data-modifying WITH).
bool is_write(std::string_view sql) {
  std::string upper;
  upper.reserve(sql.size());
  for (const char ch : sql)
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const auto first = upper.find_first_not_of(" \t\r\n(");
  if (first == std::string::npos)
    return false;
  const std::string_view head(upper.data() + first, upper.size() - first);
  for (const std::string_view verb : {"INSERT", "UPDATE", "DELETE"}) {
    if (head.starts_with(verb))
      return true;
  }
  if (head.starts_with("WITH")) {
    for (const std::string_view verb :
         {" INSERT ", " UPDATE ", " DELETE ", ")INSERT ", ")UPDATE ", ")DELETE "}) {
      if (head.find(verb) != std::string_view::npos)
        return true;
    }
  }
  return false;
}

// libpq quotes the URL in some of its messages: never with the password.
std::string scrub(std::string text, std::string_view url) {
  const std::string safe = redact_url(url);
  if (safe == url)
    return text;
  for (auto at = text.find(url); at != std::string::npos; at = text.find(url, at + safe.size()))
    text.replace(at, url.size(), safe);
  return text;
}

// BEGIN, the write lock and the transaction's id (PostgreSQL ≥ 13), in one round trip.
const std::string& begin_write_sql() {
  static const std::string sql = "BEGIN; SELECT pg_advisory_xact_lock(" +
                                 std::to_string(kWriteLock) + "), pg_current_xact_id()";
  return sql;
}

// How long a COMMIT whose reply was lost is asked after (`Impl::settle`).
constexpr std::chrono::seconds kSettleTimeout{10};

}  // namespace

class PgStatement;

struct Connection::Impl {
  PGconn* conn = nullptr;
  std::int64_t changes = 0;
  std::uint64_t next_name = 0;
  std::unordered_map<std::string, std::unique_ptr<PgStatement>, StringHash, std::equal_to<>>
      statements;
  // Between begin_write and COMMIT/ROLLBACK: a lost connection is not reset then, so
  // that the rest of the body fails instead of running outside its transaction.
  bool in_transaction = false;
  // The write transaction's id from `begin_write` until its COMMIT: a COMMIT whose reply
  // is lost is settled by asking the server what became of it.
  std::string xid;
  // The server process of the session that began it (libpq answers 0 once the
  // connection is lost, so it is kept here): `settle` ends that session if it still runs.
  int xid_backend = 0;
  ~Impl();

  // BEGIN, the write lock and the transaction's id. Does not set `in_transaction`.
  Result<void> begin_write() {
    ResultPtr res(PQexec(conn, begin_write_sql().c_str()));
    if (!ok(res.get()) || PQntuples(res.get()) != 1 || PQnfields(res.get()) != 2)
      return fail(to_error(conn, res.get(), "begin"));
    xid = PQgetvalue(res.get(), 0, 1);
    xid_backend = PQbackendPID(conn);
    return {};
  }
  // COMMIT of the transaction `begin_write` started. A commit the server refused is
  // errc::conflict. One whose reply was lost with the connection is settled (`settle`):
  // success when the server committed it, errc::unavailable when it rolled it back (a
  // retry writes it once) or when the server could not be asked (then, and only then,
  // a retry may write it twice).
  Result<void> commit();
  Result<void> settle(const std::string& id, int backend, const Error& lost);
  // Ends the transaction, if one is open on a live connection (a failed COMMIT has
  // ended it already, and a lost connection's transaction ends with its session).
  void rollback() {
    in_transaction = false;
    xid.clear();
    xid_backend = 0;
    if (PQstatus(conn) == CONNECTION_BAD || PQtransactionStatus(conn) == PQTRANS_IDLE)
      return;
    ResultPtr res(PQexec(conn, "ROLLBACK"));
  }

  // Runs `sql` (simple query protocol, several statements allowed).
  Result<void> exec(std::string_view sql, std::string_view what) {
    const std::string text(sql);
    ResultPtr res(PQexec(conn, text.c_str()));
    if (!ok(res.get()))
      return fail(to_error(conn, res.get(), what));
    return {};
  }
  // Reconnects a connection the server dropped (outside a transaction); its session
  // settings and prepared statements went with it.
  void revive();
  Result<void> configure_session() {
    // Quiet NOTICEs (CREATE … IF NOT EXISTS) and UTF-8 text, whatever the server says.
    // And the server's side of a dead peer (see kClientKeepalives): a host that loses
    // power or its network sends no FIN, and without these the server keeps its session,
    // with the advisory locks it holds (the leader lease, the write lock of a
    // transaction in flight), for the OS's two hours of TCP keepalive. Ignored over Unix
    // sockets.
    return exec(
        "SET client_min_messages = warning; SET client_encoding = 'UTF8'; "
        "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
        "SET tcp_keepalives_count = 3; SET tcp_user_timeout = 30000",
        "configure");
  }
};

class PgStatement final : public sql::StatementImpl {
 public:
  PgStatement(Connection::Impl& c, std::string_view sql)
      : c_(c), sql_(to_dollar_params(sql, params_, &used_)), write_(is_write(sql)) {
    const auto n = static_cast<std::size_t>(params_);
    used_.resize(n, false);
    values_.resize(n);
    null_.assign(n, true);
    types_.assign(n, kUnknownOid);
    formats_.assign(n, 0);
    pointers_.resize(n);
    lengths_.resize(n);
    signature_.assign(n, 't');
  }

  void bind_text(int index, std::string_view text) override {
    set(index, std::string(text), kUnknownOid, 0);
  }
  void bind_integer(int index, std::int64_t value) override {
    set(index, std::to_string(value), kInt8Oid, 0);
  }
  void bind_real(int index, double value) override {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    set(index, std::string(buf, r.ptr), kFloat8Oid, 0);
  }
  void bind_blob(int index, std::string_view bytes) override {
    set(index, std::string(bytes), kByteaOid, 1);
  }
  void bind_null(int index) override {
    if (auto i = slot(index)) {
      null_[*i] = true;
      values_[*i].clear();
      formats_[*i] = 0;
    }
  }

  Result<bool> step() override {
    if (!result_) {
      if (auto r = execute(); !r)
        return fail(r.error());
      row_ = -1;
    }
    ++row_;
    return row_ < PQntuples(result_.get());
  }

  [[nodiscard]] std::string text(int col) const override {
    if (is_null(col))
      return {};
    const char* v = PQgetvalue(result_.get(), row_, col);
    const auto len = static_cast<std::size_t>(PQgetlength(result_.get(), row_, col));
    if (PQftype(result_.get(), col) != kByteaOid)
      return std::string(v, len);
    std::size_t size = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &size);
    if (bytes == nullptr)
      return {};
    std::string out(reinterpret_cast<const char*>(bytes), size);
    PQfreemem(bytes);
    return out;
  }
  [[nodiscard]] std::int64_t integer(int col) const override {
    if (is_null(col))
      return 0;
    const char* v = PQgetvalue(result_.get(), row_, col);
    if (v[0] == 't' && v[1] == '\0')  // a boolean expression
      return 1;
    if (v[0] == 'f' && v[1] == '\0')
      return 0;
    return std::strtoll(v, nullptr, 10);
  }
  [[nodiscard]] double real(int col) const override {
    if (is_null(col))
      return 0;
    return std::strtod(PQgetvalue(result_.get(), row_, col), nullptr);
  }
  [[nodiscard]] bool is_null(int col) const override {
    return !result_ || row_ < 0 || row_ >= PQntuples(result_.get()) || col < 0 ||
           col >= PQnfields(result_.get()) || PQgetisnull(result_.get(), row_, col) != 0;
  }
  void reset() override {
    result_.reset();
    row_ = -1;
  }
  // Unbinds every value. The types stay: a slot bound NULL keeps the type it was last
  // bound with (a NULL of any type will do), so statements that bind NULL here and a
  // number there from run to run reuse one server-side statement, not one per pattern
  // (a multi-row INSERT of `db copy`, whose NULLs move from batch to batch, would
  // otherwise prepare a new statement of thousands of parameters for most batches).
  void clear() {
    reset();
    for (std::size_t i = 0; i < values_.size(); ++i)
      bind_null(static_cast<int>(i) + 1);
  }
  void forget_prepared() { prepared_.clear(); }

 private:
  std::optional<std::size_t> slot(int index) const {
    if (index < 1 || index > params_)
      return std::nullopt;
    return static_cast<std::size_t>(index - 1);
  }
  void set(int index, std::string value, Oid type, int format) {
    if (auto i = slot(index)) {
      values_[*i] = std::move(value);
      null_[*i] = false;
      types_[*i] = type;
      formats_[*i] = format;
    }
  }

  // The server-side statement for the bound types, prepared on first use.
  Result<std::string> prepared_name() {
    for (std::size_t i = 0; i < types_.size(); ++i) {
      const Oid t = types_[i];
      signature_[i] = t == kInt8Oid ? 'i' : t == kFloat8Oid ? 'r' : t == kByteaOid ? 'b' : 't';
    }
    if (auto it = prepared_.find(signature_); it != prepared_.end())
      return it->second;
    std::string name = "stratus_" + std::to_string(++c_.next_name);
    // A number the statement skips cannot be inferred: it is text (and always NULL).
    std::vector<Oid> types = types_;
    for (std::size_t i = 0; i < types.size(); ++i) {
      if (!used_[i])
        types[i] = kTextOid;
    }
    ResultPtr res(PQprepare(c_.conn, name.c_str(), sql_.c_str(), params_, types.data()));
    if (!ok(res.get()))
      return fail(to_error(c_.conn, res.get(), "prepare"));
    prepared_.emplace(signature_, name);
    return name;
  }

  Result<void> execute() {
    // A write outside a transaction takes the write lock in a transaction of its own,
    // as an INSERT/UPDATE/DELETE does on SQLite.
    const bool wrap = write_ && !c_.in_transaction;
    if (wrap) {
      if (auto r = c_.begin_write(); !r) {
        c_.rollback();
        return r;
      }
    }
    auto ran = run_prepared();
    if (wrap) {
      if (ran) {
        ran = c_.commit();
      } else {
        c_.rollback();
      }
      if (!ran)
        result_.reset();  // rows of a transaction that did not commit
    }
    return ran;
  }

  Result<void> run_prepared() {
    auto name = prepared_name();
    if (!name)
      return fail(name.error());
    for (std::size_t i = 0; i < values_.size(); ++i) {
      pointers_[i] = null_[i] ? nullptr : values_[i].data();
      lengths_[i] = static_cast<int>(values_[i].size());
    }
    ResultPtr res(PQexecPrepared(c_.conn, name->c_str(), params_, pointers_.data(), lengths_.data(),
                                 formats_.data(), 0));
    if (!ok(res.get()))
      return fail(to_error(c_.conn, res.get(), "step"));
    const char* tuples = PQcmdTuples(res.get());
    c_.changes = tuples[0] != '\0' ? std::strtoll(tuples, nullptr, 10) : 0;
    result_ = std::move(res);
    return {};
  }

  Connection::Impl& c_;
  int params_ = 0;
  std::vector<bool> used_;
  std::string sql_;
  bool write_;
  std::vector<std::string> values_;
  std::vector<char> null_;
  std::vector<Oid> types_;
  std::vector<int> formats_;
  // Reused by every execution, so that running a statement allocates nothing here.
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::string signature_;  // one letter per parameter's bound type: the prepared_ key
  std::unordered_map<std::string, std::string> prepared_;
  ResultPtr result_;
  int row_ = -1;
};

Connection::Impl::~Impl() {
  statements.clear();
  if (conn != nullptr)
    PQfinish(conn);
}

void Connection::Impl::revive() {
  if (in_transaction || PQstatus(conn) != CONNECTION_BAD)
    return;
  PQreset(conn);
  for (auto& [sql, s] : statements)
    s->forget_prepared();
  if (PQstatus(conn) == CONNECTION_OK)
    (void)configure_session();
}

Result<void> Connection::Impl::commit() {
  in_transaction = false;
  const std::string id = std::exchange(xid, {});
  const int backend = std::exchange(xid_backend, 0);
  ResultPtr res(PQexec(conn, "COMMIT"));
  if (ok(res.get())) {
    // COMMIT of a transaction in which a statement failed rolls back and says so in its
    // tag: a failure, not a success (SQLite would have kept the other statements).
    if (std::strcmp(PQcmdStatus(res.get()), "ROLLBACK") == 0) {
      return fail(errc::conflict,
                  "postgres: commit: the transaction was rolled back "
                  "because one of its statements failed");
    }
    return {};
  }
  auto error = to_error(conn, res.get(), "commit");
  if (PQstatus(conn) != CONNECTION_BAD || id.empty()) {
    rollback();  // should the COMMIT not have reached the server (libpq out of memory)
    return fail(std::move(error));
  }
  return settle(id, backend, error);
}

Result<void> Connection::Impl::settle(const std::string& id, int backend, const Error& lost) {
  // The server may have committed before the connection broke (the reply is what was
  // lost), or not. A new session asks; the id is digits from the server itself.
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    return fail(lost);
  const std::string query = "SELECT pg_xact_status(CAST('" + id + "' AS xid8))";
  // The old session, should the server still run it with this transaction: ending it
  // settles the transaction (`backend_xid` is the 32-bit xid, the low half of the id).
  const std::string end_old =
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = " +
      std::to_string(backend) + " AND backend_xid = CAST('" +
      std::to_string(std::strtoull(id.c_str(), nullptr, 10) & 0xffffffffULL) + "' AS xid)";
  bool ended_old = backend == 0;  // not known: nothing to end
  const auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return fail(errc::unavailable, lost.context +
                                           "; whether it committed is unknown (the server did "
                                           "not answer in time)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    PQreset(conn);
    for (auto& [sql, s] : statements)
      s->forget_prepared();
    if (PQstatus(conn) != CONNECTION_OK || !configure_session())
      continue;
    ResultPtr res(PQexec(conn, query.c_str()));
    if (!ok(res.get()) || PQntuples(res.get()) != 1)
      continue;
    const std::string_view status =
        PQgetisnull(res.get(), 0, 0) != 0 ? "" : PQgetvalue(res.get(), 0, 0);
    if (status == "committed")
      return {};
    if (status == "aborted")
      return fail(errc::unavailable, lost.context + "; the server rolled the transaction back");
    if (status.empty()) {
      return fail(errc::unavailable,
                  lost.context + "; whether it committed is unknown (its id is too old)");
    }
    // "in progress": the old session is still running (it has not yet seen the
    // connection go, or its commit waits for a standby). Ended, it commits or rolls back.
    if (!ended_old) {
      ResultPtr ended(PQexec(conn, end_old.c_str()));
      ended_old = ok(ended.get());
    }
  }
}

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::open(std::string_view url,
                                                     const OpenOptions& options) {
  // The URL is parsed by libpq; the options are added as keywords so that a URL
  // cannot be broken by appending to it.
  // The keepalives come first, so that the URL may set its own (later keywords win).
  // They bound how long a connection to a server that vanished without a FIN (a
  // partition, a host lost) blocks before it fails: the leader lease's check fails
  // within ~20 s and the instance steps down (docs/adr/0021), before the server ends the
  // session and frees the lease for another (its side, configure_session: ~30 s after
  // the last packet; `cluster.leader_check_ms` is at most 5 s for that reason).
  const std::string dsn(url);
  const std::string timeout = std::to_string(options.connect_timeout_s);
  const char* keys[] = {"keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "tcp_user_timeout",
                        "dbname",
                        "connect_timeout",
                        "application_name",
                        options.password.empty() ? nullptr : "password",
                        nullptr};
  const char* values[] = {"1",
                          "10",
                          "5",
                          "2",
                          "20000",
                          dsn.c_str(),
                          timeout.c_str(),
                          options.application_name.c_str(),
                          options.password.c_str(),
                          nullptr};
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(dsn.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string text = "postgres: invalid database URL " + redact_url(url) + ": " +
                       scrub(trimmed(parse_error != nullptr ? parse_error : "out of memory"), url);
    PQfreemem(parse_error);
    return fail(errc::invalid_argument, std::move(text));
  }
  PQconninfoFree(parsed);
  auto impl = std::make_unique<Impl>();
  impl->conn = PQconnectdbParams(keys, values, 1);
  if (impl->conn == nullptr)
    return fail(errc::unavailable, "postgres: out of memory");
  if (PQstatus(impl->conn) != CONNECTION_OK) {
    return fail(errc::unavailable, "postgres: connect to " + redact_url(url) + ": " +
                                       scrub(trimmed(PQerrorMessage(impl->conn)), url));
  }
  if (auto r = impl->configure_session(); !r)
    return fail(r.error());
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Result<void> Connection::exec(std::string_view sql) {
  if (sql == "COMMIT")
    return impl_->commit();
  if (sql == "ROLLBACK") {
    // Nothing to roll back after a failed COMMIT (it ended the transaction, or settling
    // it started a new session) or on a lost connection: sent anyway, the server would
    // warn, and a lost connection would be reset first just for that.
    impl_->rollback();
    return {};
  }
  impl_->revive();
  const std::string text(sql);
  ResultPtr res(PQexec(impl_->conn, text.c_str()));
  if (!ok(res.get()))
    return fail(to_error(impl_->conn, res.get(), "exec"));
  return {};
}

Result<sql::Statement> Connection::prepare(std::string_view sql) {
  impl_->revive();
  auto it = impl_->statements.find(sql);
  if (it == impl_->statements.end()) {
    it = impl_->statements.emplace(std::string(sql), std::make_unique<PgStatement>(*impl_, sql))
             .first;
  }
  it->second->clear();
  return sql::Statement(it->second.get());
}

std::int64_t Connection::changes() const {
  return impl_->changes;
}

Result<void> Connection::begin_write() {
  impl_->revive();
  auto r = impl_->begin_write();
  if (r)
    impl_->in_transaction = true;
  else
    (void)exec("ROLLBACK");
  return r;
}

Result<std::shared_ptr<sql::Database>> open_database(std::string_view url,
                                                     const OpenOptions& options, std::size_t size) {
  return sql::Database::open(
      size,
      [&]() -> Result<std::unique_ptr<sql::Connection>> {
        auto c = Connection::open(url, options);
        if (!c)
          return fail(c.error());
        return std::unique_ptr<sql::Connection>(std::move(*c));
      },
      migrations(), true);
}

std::string to_dollar_params(std::string_view sql, int& params, std::vector<bool>* used) {
  std::string out;
  out.reserve(sql.size() + 8);
  params = 0;
  int next_bare = 0;
  std::size_t i = 0;
  const auto copy_until = [&](char close) {
    out += sql[i++];
    while (i < sql.size()) {
      const char ch = sql[i++];
      out += ch;
      if (ch == close) {
        if (i < sql.size() && sql[i] == close) {  // doubled quote: still inside
          out += sql[i++];
          continue;
        }
        return;
      }
    }
  };
  while (i < sql.size()) {
    const char ch = sql[i];
    if (ch == '\'' || ch == '"') {
      copy_until(ch);
    } else if (ch == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto end = sql.find('\n', i);
      const auto stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (ch == '?') {
      ++i;
      int n = 0;
      bool digits = false;
      while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i])) != 0 &&
             n < 100000) {
        n = n * 10 + (sql[i++] - '0');
        digits = true;
      }
      if (!digits)
        n = ++next_bare;
      params = std::max(params, n);
      if (used != nullptr) {
        if (used->size() < static_cast<std::size_t>(n))
          used->resize(static_cast<std::size_t>(n), false);
        (*used)[static_cast<std::size_t>(n - 1)] = true;
      }
      out += '$';
      out += std::to_string(n);
    } else {
      out += ch;
      ++i;
    }
  }
  return out;
}

std::string redact_url(std::string_view url) {
  // postgresql://user:password@host/… → postgresql://user:***@host/…
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos)
    return std::string(url);
  const auto at = url.find('@', scheme + 3);
  const auto colon = url.find(':', scheme + 3);
  if (at == std::string_view::npos || colon == std::string_view::npos || colon > at)
    return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

}  // namespace stratus::storage::postgres
