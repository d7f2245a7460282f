#pragma once
/// @file
/// Runs the real stratusd binary as a child process on free loopback ports in a
/// temp data dir, for system tests.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace stratus::test {

/// Path of a binary of this build tree (bin/<name>), from STRATUS_BUILD_DIR.
std::filesystem::path build_binary(const std::string& name);

/// One stratusd. Started with `--data-dir <dir> --http-port 0 --mqtt-port 0` and
/// both listeners bound to 127.0.0.1; output goes to <dir>/stratusd.out.
class StratusdProcess {
 public:
  /// `data_dir` is created if needed; `extra_args` are appended.
  ///
  /// `command_prefix`, when non-empty, is executed (searched in PATH) instead of stratusd,
  /// with stratusd's whole argv appended, e.g. `unshare --mount sh -c '<mount …> && exec
  /// "$@"' sh` to give stratusd a private mount namespace. It must end by exec'ing that argv
  /// in the same process (no fork), so that `pid()` is stratusd's. While it runs, the data
  /// dir is read through `files_dir()`, since the prefix may have mounted over it.
  explicit StratusdProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args = {},
                           std::vector<std::string> command_prefix = {});
  /// Kills the process (SIGKILL) if still running.
  ~StratusdProcess();
  StratusdProcess(const StratusdProcess&) = delete;
  StratusdProcess& operator=(const StratusdProcess&) = delete;

  /// Spawns stratusd and waits until runtime.json names this pid (ready to
  /// serve). False if it exited or did not get ready within `timeout`. May be called
  /// again once the process has exited or was stopped (even by SIGKILL): a restart on
  /// the same data dir, with new ports.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Sends `signal` and waits for the exit; returns the exit status as
  /// waitpid reports it, or -1 on timeout.
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Waits for an exit that happens by itself (e.g. a start-up failure).
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::filesystem::path& data_dir() const { return data_dir_; }
  /// The data dir as this test process can read it: `/proc/<pid>/root/<data_dir>` while
  /// a stratusd started with a command prefix runs (its mounts may be private to it),
  /// else `data_dir()`. Use it for files stratusd writes (pki, outbox, runtime.json). Not
  /// for SQLite: it resolves `/proc/<pid>/root` to "/" and would open this namespace's file.
  [[nodiscard]] std::filesystem::path files_dir() const;
  [[nodiscard]] std::uint16_t http_port() const { return http_port_; }
  [[nodiscard]] std::uint16_t mqtt_port() const { return mqtt_port_; }
  [[nodiscard]] std::uint16_t backend_port() const { return backend_port_; }
  /// The Wirepas listener's port (0 unless `wirepas.enabled`).
  [[nodiscard]] std::uint16_t wirepas_port() const { return wirepas_port_; }
  /// The waitpid status when the process exited during `start`, else -1.
  [[nodiscard]] int exit_status() const { return exit_status_; }
  /// Everything stratusd printed so far.
  [[nodiscard]] std::string output() const;

 private:
  std::filesystem::path data_dir_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> command_prefix_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::uint16_t http_port_ = 0;
  std::uint16_t mqtt_port_ = 0;
  std::uint16_t backend_port_ = 0;
  std::uint16_t wirepas_port_ = 0;
};

/// Pids of live processes whose command line mentions `needle` (e.g. a data dir).
std::vector<pid_t> processes_mentioning(const std::string& needle);

}  // namespace stratus::test
