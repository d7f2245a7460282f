#include "support/postgres_server.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/ports.hpp"
#include "storage/postgres/connection.hpp"

namespace stratus::test {
namespace {

// The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres.
std::filesystem::path server_bin_dir() {
  std::filesystem::path best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto bin = e.path() / "bin";
    const int version = std::atoi(e.path().filename().c_str());
    if (version > best_version && std::filesystem::exists(bin / "initdb") &&
        std::filesystem::exists(bin / "postgres")) {
      best = bin;
      best_version = version;
    }
  }
  return best;
}

// The user the server runs as: the `postgres` system user when we are root.
struct RunAs {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<RunAs> run_as() {
  if (::geteuid() != 0)
    return RunAs{};
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr)
    return fail(errc::not_found, "running as root and there is no 'postgres' user to run as");
  return RunAs{true, pw->pw_uid, pw->pw_gid};
}

// fork + exec `argv` as `who`, output appended to `log`; returns the pid.
pid_t spawn(const std::vector<std::string>& argv, const RunAs& who,
            const std::filesystem::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0)
    return pid;
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  if (who.change && (::setgid(who.gid) != 0 || ::setuid(who.uid) != 0))
    ::_exit(126);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // after setuid, which clears it
  ::execv(args[0], args.data());
  ::_exit(127);
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::start(bool durable) {
  const auto bin = server_bin_dir();
  if (bin.empty())
    return fail(errc::not_found,
                "no PostgreSQL server in /usr/lib/postgresql/*/bin "
                "(scripts/bootstrap installs the postgresql package)");
  auto who = run_as();
  if (!who)
    return fail(who.error());
  std::unique_ptr<PostgresServer> s(new PostgresServer());
  const auto data = s->dir_.path() / "data";
  const auto log = s->dir_.path() / "server.log";
  std::filesystem::create_directories(data);
  // The server user must reach its data dir and write its log.
  std::filesystem::permissions(s->dir_.path(), std::filesystem::perms::owner_all |
                                                   std::filesystem::perms::group_exec |
                                                   std::filesystem::perms::others_exec);
  if (who->change) {
    if (::chown(data.c_str(), who->uid, who->gid) != 0 ||
        ::chown(s->dir_.path().c_str(), who->uid, who->gid) != 0) {
      return fail(errc::unavailable, "chown of the PostgreSQL test dir failed");
    }
  }
  const pid_t init = spawn({(bin / "initdb").string(), "-D", data.string(), "-U", "stratus", "-A",
                            "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                           *who, log);
  int status = 0;
  if (init < 0 || ::waitpid(init, &status, 0) != init || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return fail(errc::unavailable, "initdb failed: " + read_file(log));
  }
  auto port = broker::pick_free_port("127.0.0.1");
  if (!port)
    return fail(port.error());
  s->port_ = *port;
  std::vector<std::string> argv{(bin / "postgres").string(),
                                "-D",
                                data.string(),
                                "-p",
                                std::to_string(s->port_),
                                "-c",
                                "listen_addresses=127.0.0.1",
                                "-c",
                                "unix_socket_directories=",
                                "-c",
                                "max_connections=200"};
  if (!durable) {
    for (const char* o : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      argv.emplace_back("-c");
      argv.emplace_back(o);
    }
  }
  s->pid_ = spawn(argv, *who, log);
  if (s->pid_ < 0)
    return fail(errc::unavailable, "fork failed");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    if (storage::postgres::Connection::open(s->url(), {2, "stratus-test", ""}))
      return s;
    if (::waitpid(s->pid_, &status, WNOHANG) == s->pid_) {
      s->pid_ = -1;
      return fail(errc::unavailable, "the PostgreSQL server exited: " + s->log());
    }
    if (std::chrono::steady_clock::now() > deadline)
      return fail(errc::unavailable, "the PostgreSQL server did not start: " + s->log());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

PostgresServer::~PostgresServer() {
  if (pid_ <= 0)
    return;
  // SIGQUIT: immediate shutdown (no checkpoint; the data dir goes away anyway).
  ::kill(pid_, SIGQUIT);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://stratus@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Result<std::string> PostgresServer::create_database() {
  auto admin = storage::postgres::Connection::open(url(), {5, "stratus-test", ""});
  if (!admin)
    return fail(admin.error());
  const std::string name = "test_" + std::to_string(++databases_);
  if (auto r = (*admin)->exec("CREATE DATABASE " + name); !r)
    return fail(r.error());
  return url(name);
}

std::string PostgresServer::log() const {
  return read_file(dir_.path() / "server.log");
}

PostgresServer* shared_postgres(std::string& why) {
  static std::mutex mutex;
  static std::unique_ptr<PostgresServer> server;
  static std::string error;
  static bool tried = false;
  std::lock_guard lock(mutex);
  if (!tried) {
    tried = true;
    auto started = PostgresServer::start();
    if (started)
      server = std::move(*started);
    else
      error = started.error().message();
  }
  why = error;
  return server.get();
}

}  // namespace stratus::test
