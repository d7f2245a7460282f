#pragma once
/// @file
/// A throwaway PostgreSQL server for tests (issue 23): `initdb` into a temp dir,
/// `postgres` on a free loopback port with trust authentication, stopped and
/// removed with the object. When the tests run as root (CI), the server runs as
/// the `postgres` system user that Debian's package creates: PostgreSQL refuses
/// root. The server dies with the test process (parent-death signal).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "support/temp_dir.hpp"

namespace stratus::test {

/// One server. Not thread-safe; `create_database` from one thread at a time.
class PostgresServer {
 public:
  /// Starts a server (waits until it accepts connections, at most 30 s).
  /// `durable` = false turns fsync and synchronous commit off (tests of semantics,
  /// not of crash safety). Errors: errc::not_found when no PostgreSQL server
  /// binaries are installed (/usr/lib/postgresql/<version>/bin); errc::unavailable
  /// when initdb or the server failed (the server log is in the message).
  static Result<std::unique_ptr<PostgresServer>> start(bool durable = false);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  /// `postgresql://stratus@127.0.0.1:<port>/<database>`.
  [[nodiscard]] std::string url(const std::string& database = "postgres") const;
  /// Creates a fresh, empty database and returns its URL.
  Result<std::string> create_database();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// The server's log so far.
  [[nodiscard]] std::string log() const;

 private:
  PostgresServer() = default;
  TempDir dir_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
  int databases_ = 0;
};

/// The server shared by every test of this process, started on first use; nullptr
/// with `why` set when it cannot start. Thread-safe.
PostgresServer* shared_postgres(std::string& why);

}  // namespace stratus::test

/// Skips the current test when PostgreSQL is not installed — except under CI
/// (`CI` set in the environment), where a missing server fails the test. Evaluates
/// to the shared server.
#define STRATUS_REQUIRE_POSTGRES(server)                                                       \
  std::string stratus_pg_why_;                                                                 \
  ::stratus::test::PostgresServer* server = ::stratus::test::shared_postgres(stratus_pg_why_); \
  if (server == nullptr) {                                                                     \
    if (std::getenv("CI") != nullptr)                                                          \
      FAIL() << "PostgreSQL is required under CI: " << stratus_pg_why_;                        \
    GTEST_SKIP() << "PostgreSQL tests skipped: " << stratus_pg_why_;                           \
  }
