// Proves what is particular to the PostgreSQL driver (storage/postgres): the `?N` → `$N`
// rewrite leaves literals and comments alone, passwords never reach messages, a
// connection the server dropped is re-established at the next use, and several
// processes migrating one database at once apply each migration exactly once, and a
// COMMIT whose reply is lost is settled by asking the server, so that it is neither
// reported failed when it committed nor successful when it did not. How: pure calls,
// then a PostgreSQL server started by the test (skipped outside CI when PostgreSQL is not
// installed), reached through a TCP proxy that cuts the connection around a COMMIT.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/postgres/cluster_lease.hpp"
#include "storage/postgres/connection.hpp"
#include "support/postgres_server.hpp"

namespace stratus::storage::postgres {
namespace {

using namespace std::chrono_literals;

TEST(ToDollarParams, NumbersPlaceholdersOutsideLiteralsAndComments) {
  int n = 0;
  EXPECT_EQ(to_dollar_params("SELECT ?2, ?1, ?10", n), "SELECT $2, $1, $10");
  EXPECT_EQ(n, 10);
  EXPECT_EQ(to_dollar_params("INSERT INTO t VALUES(?,?,?)", n), "INSERT INTO t VALUES($1,$2,$3)");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(to_dollar_params("SELECT '?1', 'it''s ?', \"q?\" -- ?3\n, ?1", n),
            "SELECT '?1', 'it''s ?', \"q?\" -- ?3\n, $1");
  EXPECT_EQ(n, 1);
  std::vector<bool> used;
  EXPECT_EQ(to_dollar_params("UPDATE t SET a = ?3 WHERE id = ?1", n, &used),
            "UPDATE t SET a = $3 WHERE id = $1");
  EXPECT_EQ(used, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(to_dollar_params("SELECT 1", n), "SELECT 1");
  EXPECT_EQ(n, 0);
  // An unterminated literal is copied as it is (the server reports the error).
  EXPECT_EQ(to_dollar_params("SELECT 'open ?1", n), "SELECT 'open ?1");
  EXPECT_EQ(n, 0);
}

TEST(RedactUrl, HidesThePasswordOnly) {
  EXPECT_EQ(redact_url("postgresql://u:secret@db:5432/x"), "postgresql://u:***@db:5432/x");
  EXPECT_EQ(redact_url("postgresql://u@db/x"), "postgresql://u@db/x");
  EXPECT_EQ(redact_url("postgresql://db:5432/x"), "postgresql://db:5432/x");
  EXPECT_EQ(redact_url("host=db user=u"), "host=db user=u");
}

TEST(PostgresConnection, BadUrlsAndUnreachableServersAreClearErrors) {
  const auto bad = Connection::open("postgresql://u:pw@[::1/x", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
  EXPECT_EQ(bad.error().context.find("pw@"), std::string::npos) << bad.error().context;
  // Port 1 on loopback: nothing listens there.
  const auto down = Connection::open("postgresql://u:pw@127.0.0.1:1/x", {2, "t", ""});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, errc::unavailable);
  EXPECT_EQ(down.error().context.find(":pw@"), std::string::npos) << down.error().context;
}

TEST(PostgresConnection, ADroppedConnectionIsReestablishedAtTheNextUse) {
  STRATUS_REQUIRE_POSTGRES(server);
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  auto c = Connection::open(*url, {});
  auto admin = Connection::open(*url, {});
  ASSERT_TRUE(c && admin);
  auto& conn = **c;
  ASSERT_TRUE(conn.exec("CREATE TABLE t (x BIGINT)"));
  ASSERT_TRUE(conn.execute("INSERT INTO t VALUES(?1)", std::int64_t{1}));
  const auto pid = conn.query_int("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  ASSERT_TRUE((*admin)->query_int("SELECT CAST(pg_terminate_backend(" + std::to_string(*pid) +
                                  ") AS INTEGER)"));
  // The statement that finds the connection gone fails as unavailable; the next one
  // runs on a new session, its prepared statements prepared again.
  const auto lost = conn.query_int("SELECT COUNT(*) FROM t");
  if (!lost) {
    EXPECT_EQ(lost.error().code, errc::unavailable) << lost.error().message();
  }
  ASSERT_TRUE(conn.execute("INSERT INTO t VALUES(?1)", std::int64_t{2}));
  EXPECT_EQ(*conn.query_int("SELECT COUNT(*) FROM t"), 2);
  EXPECT_NE(*conn.query_int("SELECT pg_backend_pid()"), *pid);
}

// A slot bound NULL keeps the type it was last bound with, so a statement whose NULLs move
// from run to run (a multi-row INSERT of `db copy`) reuses its server-side statement
// rather than prepare one per pattern of NULLs, each held until the session ends.
TEST(PostgresConnection, NullsThatMoveDoNotPrepareAStatementEachTime) {
  STRATUS_REQUIRE_POSTGRES(server);
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  auto c = Connection::open(*url, {});
  ASSERT_TRUE(c);
  auto& conn = **c;
  ASSERT_TRUE(conn.exec("CREATE TABLE t (a BIGINT, b BIGINT, c DOUBLE PRECISION)"));
  const auto prepared = [&] {
    return *conn.query_int("SELECT COUNT(*) FROM pg_prepared_statements");
  };
  const auto before = prepared();
  for (int i = 0; i < 40; ++i) {
    auto s = conn.prepare("INSERT INTO t VALUES(?1, ?2, ?3), (?4, ?5, ?6)");
    ASSERT_TRUE(s);
    for (int slot = 1; slot <= 6; ++slot) {
      if ((i >> (slot - 1)) % 2 == 1)
        s->bind_null(slot);
      else if (slot % 3 == 0)
        s->bind(slot, 0.5 * i);
      else
        s->bind(slot, std::int64_t{i});
    }
    ASSERT_TRUE(s->run()) << i;
  }
  EXPECT_EQ(prepared() - before, 1) << "one statement for the INSERT";
  EXPECT_EQ(*conn.query_int("SELECT COUNT(*) FROM t"), 80);
  EXPECT_EQ(*conn.query_int("SELECT COUNT(*) FROM t WHERE b IS NULL"), 20 + 16);  // ?2, ?5
}

// A host that vanishes without a FIN (power, a partition) must not keep its sessions,
// and the advisory locks they hold (the leader lease, a transaction's write lock), for
// the OS's two hours of TCP keepalive: every session, a reconnected one too, asks the
// server to give a silent peer up within about a minute (ADR 0021).
TEST(PostgresConnection, EverySessionGivesASilentPeerUpWithinAMinute) {
  STRATUS_REQUIRE_POSTGRES(server);
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  auto c = Connection::open(*url, {});
  auto admin = Connection::open(*url, {});
  ASSERT_TRUE(c && admin);
  auto& conn = **c;
  const auto check = [&] {
    EXPECT_EQ(*conn.query_text("SHOW tcp_keepalives_idle"), "10");
    EXPECT_EQ(*conn.query_text("SHOW tcp_keepalives_interval"), "5");
    EXPECT_EQ(*conn.query_text("SHOW tcp_keepalives_count"), "3");
    EXPECT_EQ(*conn.query_text("SHOW tcp_user_timeout"), "30000");  // ms
  };
  check();
  const auto pid = conn.query_int("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  ASSERT_TRUE((*admin)->query_int("SELECT CAST(pg_terminate_backend(" + std::to_string(*pid) +
                                  ") AS INTEGER)"));
  (void)conn.query_int("SELECT 1");  // finds the session gone
  ASSERT_NE(*conn.query_int("SELECT pg_backend_pid()"), *pid);
  check();
}

// A TCP proxy on loopback in front of the server that, once armed, cuts the connection
// that sends a COMMIT (a simple-protocol Query "COMMIT"): either before the server sees
// it, or after the server answered it, dropping the answer. Connections after that pass.
class CommitCutter {
 public:
  // `before_commit_server_kept`: the server's side stays open, so its session does not
  // notice and keeps the transaction open until something ends it.
  enum class Cut { before_commit, after_reply, before_commit_server_kept };

  explicit CommitCutter(std::uint16_t server_port) : server_port_(server_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~CommitCutter() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
    for (const auto& [client, server] : pairs_) {
      ::close(client);
      ::close(server);
    }
    for (const int fd : kept_)
      ::close(fd);
    if (listener_ >= 0)
      ::close(listener_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  void arm(Cut cut) {
    std::lock_guard lock(mutex_);
    cut_ = cut;
    armed_ = true;
  }
  [[nodiscard]] int cuts() const { return cuts_; }

 private:
  void run() {
    std::vector<pollfd> fds;
    char buf[65536];
    while (!stop_) {
      fds.assign(1, pollfd{listener_, POLLIN, 0});
      for (const auto& [client, server] : pairs_) {
        fds.push_back(pollfd{client, POLLIN, 0});
        fds.push_back(pollfd{server, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0)
        continue;
      if ((fds[0].revents & POLLIN) != 0)
        accept_one();
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0)
          continue;
        const std::size_t pair = (i - 1) / 2;
        const bool from_client = (i - 1) % 2 == 0;
        const auto [client, server] = pairs_[pair];
        const int from = from_client ? client : server;
        const int to = from_client ? server : client;
        const auto n = ::read(from, buf, sizeof buf);
        const std::string_view data(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        if (n > 0 && from_client && cutting(data)) {
          if (cut_ == Cut::after_reply) {
            // Let the server commit and answer, then drop the answer with the connection.
            send_all(server, data);
            pollfd reply{server, POLLIN, 0};
            if (::poll(&reply, 1, 5000) == 1)
              (void)::read(server, buf, sizeof buf);
          }
          ++cuts_;
          if (cut_ == Cut::before_commit_server_kept) {
            kept_.push_back(server);
            pairs_[pair].second = -1;
          }
          close_pair(pair);
          break;  // fds no longer matches pairs_
        }
        if (n <= 0 || !send_all(to, data)) {
          close_pair(pair);
          break;
        }
      }
    }
  }
  bool cutting(std::string_view from_client) {
    std::lock_guard lock(mutex_);
    static constexpr char kCommitQuery[] =
        "Q\0\0\0\x0b"
        "COMMIT";  // 'Q', length 11, text, NUL
    if (!armed_ || from_client.find(std::string_view(kCommitQuery, sizeof kCommitQuery)) ==
                       std::string_view::npos) {
      return false;
    }
    armed_ = false;
    return true;
  }
  void accept_one() {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0)
      return;
    const int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(server_port_);
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(client);
      if (server >= 0)
        ::close(server);
      return;
    }
    pairs_.emplace_back(client, server);
  }
  static bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  void close_pair(std::size_t i) {
    ::close(pairs_[i].first);
    if (pairs_[i].second >= 0)
      ::close(pairs_[i].second);
    pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  std::uint16_t server_port_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::vector<std::pair<int, int>> pairs_;  // client, server; the proxy thread's only
  std::vector<int> kept_;                   // server sides left open by a cut
  std::mutex mutex_;
  Cut cut_ = Cut::after_reply;
  bool armed_ = false;
  std::atomic<int> cuts_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A COMMIT whose reply is lost with the connection: the old answer, "unavailable",
// made the ingest writer write the batch again (an alert stored twice, ADR 0035). The
// driver asks a new session what became of the transaction: committed is success
// (written once); rolled back is "unavailable" (written never), whichever way it ran.
TEST(PostgresConnection, ACommitWhoseReplyIsLostIsSettledByAskingTheServer) {
  STRATUS_REQUIRE_POSTGRES(server);
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  CommitCutter cutter(server->port());
  ASSERT_NE(cutter.port(), 0);
  const auto database = url->substr(url->rfind('/'));
  auto proxied = Connection::open(
      "postgresql://stratus@127.0.0.1:" + std::to_string(cutter.port()) + database, {});
  auto direct = Connection::open(*url, {});
  ASSERT_TRUE(proxied && direct) << (proxied ? direct.error() : proxied.error()).message();
  auto& conn = **proxied;
  ASSERT_TRUE(conn.exec("CREATE TABLE t (x BIGINT)"));
  const auto rows = [&](std::int64_t x) {
    return *(*direct)->query_int("SELECT COUNT(*) FROM t WHERE x = " + std::to_string(x));
  };

  cutter.arm(CommitCutter::Cut::after_reply);
  auto committed =
      conn.transaction([&] { return conn.execute("INSERT INTO t VALUES(?1)", std::int64_t{1}); });
  EXPECT_EQ(cutter.cuts(), 1);
  EXPECT_TRUE(committed) << committed.error().message();
  EXPECT_EQ(rows(1), 1);

  cutter.arm(CommitCutter::Cut::before_commit);
  auto rolled_back =
      conn.transaction([&] { return conn.execute("INSERT INTO t VALUES(?1)", std::int64_t{2}); });
  EXPECT_EQ(cutter.cuts(), 2);
  ASSERT_FALSE(rolled_back);
  EXPECT_EQ(rolled_back.error().code, errc::unavailable);
  EXPECT_NE(rolled_back.error().context.find("rolled the transaction back"), std::string::npos)
      << rolled_back.error().context;
  EXPECT_EQ(rows(2), 0);

  // A write outside a transaction commits in one of its own, settled the same way.
  cutter.arm(CommitCutter::Cut::after_reply);
  auto single = conn.execute("INSERT INTO t VALUES(?1)", std::int64_t{3});
  EXPECT_EQ(cutter.cuts(), 3);
  EXPECT_TRUE(single) << single.error().message();
  EXPECT_EQ(rows(3), 1);
  EXPECT_EQ(*conn.query_int("SELECT COUNT(*) FROM t"), 2) << "the session goes on";

  // Last, as a session left holding the write lock would block every later write: the
  // server's session never notices the connection go, so the transaction stays "in
  // progress": the driver ends that session (found by its process id, which it kept,
  // and its transaction id), and the transaction rolls back. (Without that it would wait
  // out its 10 s and answer that the outcome is unknown.)
  cutter.arm(CommitCutter::Cut::before_commit_server_kept);
  auto ended =
      conn.transaction([&] { return conn.execute("INSERT INTO t VALUES(?1)", std::int64_t{4}); });
  EXPECT_EQ(cutter.cuts(), 4);
  ASSERT_FALSE(ended);
  EXPECT_NE(ended.error().context.find("rolled the transaction back"), std::string::npos)
      << ended.error().context;
  EXPECT_EQ(rows(4), 0);
}

TEST(PostgresConnection, InstancesMigratingAtOnceApplyEachMigrationOnce) {
  STRATUS_REQUIRE_POSTGRES(server);
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  std::vector<std::future<Result<std::shared_ptr<sql::Database>>>> starts;
  for (int i = 0; i < 4; ++i) {
    starts.push_back(std::async(std::launch::async, [&] { return open_database(*url, {}, 1); }));
  }
  std::size_t applied = 0;
  for (auto& s : starts) {
    auto db = s.get();
    ASSERT_TRUE(db) << db.error().message();
    applied += (*db)->migration_report().applied.size();
  }
  EXPECT_EQ(applied, migrations().size());
  auto c = Connection::open(*url, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(*(*c)->query_int("SELECT COUNT(*) FROM schema_migrations"),
            static_cast<std::int64_t>(migrations().size()));
  EXPECT_EQ(*(*c)->query_int("SELECT COUNT(*) FROM instance"), 2);
}

// A fresh database on `server` with the first `applied` migrations applied and at least
// one more to come; nullptr (the failure recorded) if that cannot be made.
std::unique_ptr<Connection> migrated_through(test::PostgresServer& server, std::size_t applied) {
  if (migrations().size() <= applied) {
    ADD_FAILURE() << "only " << migrations().size() << " migrations";
    return nullptr;
  }
  auto url = server.create_database();
  if (!url) {
    ADD_FAILURE() << url.error().message();
    return nullptr;
  }
  auto c = Connection::open(*url, {});
  if (!c) {
    ADD_FAILURE() << c.error().message();
    return nullptr;
  }
  if (auto r = (*c)->migrate(migrations().first(applied)); !r) {
    ADD_FAILURE() << r.error().message();
    return nullptr;
  }
  return std::move(*c);
}

// Migration 4 moves each stored config out of the `nodes` row into `node_configs`, as
// SQLite's migration 18 does (tests/unit/storage/migration_test.cpp).
TEST(PostgresConnection, NodeConfigsMoveToTheirOwnTable) {
  STRATUS_REQUIRE_POSTGRES(server);
  const auto c = migrated_through(*server, 3);
  ASSERT_TRUE(c);
  auto& db = *c;
  ASSERT_TRUE(
      db.exec("INSERT INTO nodes(node_id, config, params, created_at) "
              "VALUES('with', '{\"node_id\":\"with\"}', '{\"L\":{\"on\":true}}', 1);"
              "INSERT INTO nodes(node_id, created_at) VALUES('without', 1);"));
  ASSERT_TRUE(db.migrate(migrations()));
  EXPECT_EQ(*db.query_text("SELECT config FROM node_configs WHERE node_id = 'with'"),
            R"({"node_id":"with"})");
  EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM node_configs"), 1);
  EXPECT_EQ(*db.query_text("SELECT params FROM nodes WHERE node_id = 'with'"),
            R"({"L":{"on":true}})");
  EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM information_schema.columns WHERE "
                          "table_name = 'nodes' AND column_name = 'config'"),
            0);
  ASSERT_TRUE(db.exec("DELETE FROM nodes WHERE node_id = 'with';"));
  EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM node_configs"), 0);
}

// Migration 5 drops the desired columns SQLite's schema brought over, as SQLite's
// migration 19 does; the node rows keep everything else.
TEST(PostgresConnection, TheUnusedDesiredColumnsAreDropped) {
  STRATUS_REQUIRE_POSTGRES(server);
  const auto c = migrated_through(*server, 4);
  ASSERT_TRUE(c);
  auto& db = *c;
  ASSERT_TRUE(db.exec(
      "INSERT INTO nodes(node_id, params, created_at) VALUES('n1', '{\"L\":{\"on\":true}}', 1);"));
  ASSERT_TRUE(db.migrate(migrations()));
  EXPECT_EQ(*db.query_int("SELECT COUNT(*) FROM information_schema.columns WHERE "
                          "table_name = 'nodes' AND column_name IN ('desired', 'desired_ms')"),
            0);
  EXPECT_EQ(*db.query_text("SELECT params FROM nodes WHERE node_id = 'n1'"),
            R"({"L":{"on":true}})");
}

// docs/adr/0021: instance slots are distinct and bounded; exactly one instance leads;
// the lease moves when its holder stops or loses its connection, and the one that lost
// its connection takes its slot again.
// A leader that cannot do a leader's work (its broker connections down) hands the lease on
// once that has lasted its grace, to an instance that can; an unfit one never takes it.
TEST(ClusterLease, AnUnfitLeaderHandsTheLeaseOn) {
  STRATUS_REQUIRE_POSTGRES(server);
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  MetricsRegistry metrics_a, metrics_b;
  auto a = ClusterLease::open(*url, {10, "lease-a", ""}, 50ms, metrics_a);
  auto b = ClusterLease::open(*url, {10, "lease-b", ""}, 50ms, metrics_b);
  ASSERT_TRUE(a && b);
  std::atomic<bool> a_fit{true}, b_fit{false};
  (*a)->set_fitness([&] { return a_fit.load(); }, 300ms);
  (*b)->set_fitness([&] { return b_fit.load(); }, 300ms);
  (*a)->start();
  (*b)->start();
  ASSERT_TRUE(test::wait_until([&] { return (*a)->is_leader(); }, 5s));
  a_fit = false;  // a blip shorter than the grace: a keeps it
  std::this_thread::sleep_for(150ms);
  a_fit = true;
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE((*a)->is_leader());
  a_fit = false;  // down for good, and b unfit too: nobody leads
  ASSERT_TRUE(test::wait_until([&] { return !(*a)->is_leader(); }, 5s));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE((*b)->is_leader()) << "an unfit instance took the lease";
  b_fit = true;
  EXPECT_TRUE(test::wait_until([&] { return (*b)->is_leader(); }, 5s));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE((*a)->is_leader());
}

TEST(ClusterLease, OneLeadsAndTheLeaseMovesWhenItsHolderGoes) {
  STRATUS_REQUIRE_POSTGRES(server);
  auto url = server->create_database();
  ASSERT_TRUE(url) << url.error().message();
  MetricsRegistry metrics_a, metrics_b, metrics_rest;
  auto a = ClusterLease::open(*url, {10, "lease-a", ""}, 50ms, metrics_a);
  auto b = ClusterLease::open(*url, {10, "lease-b", ""}, 50ms, metrics_b);
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a)->slot(), 0u);
  EXPECT_EQ((*b)->slot(), 1u);
  {
    std::vector<std::unique_ptr<ClusterLease>> rest;
    for (unsigned i = 2; i < kMaxInstances; ++i) {
      auto more = ClusterLease::open(*url, {10, "lease-more", ""}, 50ms, metrics_rest);
      ASSERT_TRUE(more) << more.error().message();
      EXPECT_EQ((*more)->slot(), i);
      rest.push_back(std::move(*more));
    }
    auto full = ClusterLease::open(*url, {10, "lease-full", ""}, 50ms, metrics_rest);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, errc::resource_exhausted);
  }  // their slots are free again

  (*a)->start();
  ASSERT_TRUE(test::wait_until([&] { return (*a)->is_leader(); }, 5s));
  (*b)->start();
  std::this_thread::sleep_for(200ms);  // b tries a few times, and fails
  EXPECT_FALSE((*b)->is_leader());
  EXPECT_NE(metrics_a.render_prometheus().find("stratus_cluster_leader 1"), std::string::npos);

  // The leader's connection dies (a failover, a network loss): b leads; a follows.
  auto admin = Connection::open(*url, {});
  ASSERT_TRUE(admin);
  ASSERT_TRUE((*admin)->exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lease-a'"));
  ASSERT_TRUE(test::wait_until([&] { return (*b)->is_leader(); }, 5s));
  EXPECT_TRUE(test::wait_until([&] { return !(*a)->is_leader(); }, 5s));
  // a is back on a new session and holds its slot again: a new instance gets slot 2.
  std::this_thread::sleep_for(300ms);
  auto c = ClusterLease::open(*url, {10, "lease-c", ""}, 50ms, metrics_rest);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->slot(), 2u);

  // A leader that stops hands the lease on at the next try.
  (*b)->stop();
  EXPECT_TRUE(test::wait_until([&] { return (*a)->is_leader(); }, 5s));
  (*a)->stop();
}

}  // namespace
}  // namespace stratus::storage::postgres
