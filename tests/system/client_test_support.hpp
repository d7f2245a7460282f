#pragma once
/// @file
/// Helpers of the client and `stratus` binary tests: verification codes from a
/// stratusd outbox, a free-then-closed loopback port, the environment of a CLI child, and
/// running a binary with its own environment and captured output.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace stratus::test {

/// The environment of a CLI child (`stratus`, `stratus-admin`, `stratus-node`) in a test:
/// HOME=<dir>/home, XDG_CONFIG_HOME=<dir>/config (its profiles stay in the temp dir),
/// PATH=/usr/bin:/bin, TZ=UTC, the sanitizer settings of the test run, then `extra`
/// ("NAME=value" each, e.g. STRATUS_PASSWORD).
inline std::vector<std::string> cli_env(const std::filesystem::path& dir,
                                        std::vector<std::string> extra = {}) {
  std::vector<std::string> env = {"HOME=" + (dir / "home").string(),
                                  "XDG_CONFIG_HOME=" + (dir / "config").string(),
                                  "PATH=/usr/bin:/bin", "TZ=UTC"};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name))
      env.push_back(std::string(name) + "=" + value);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

/// The newest verification code mailed to `user` in `<data_dir>/outbox`, or "".
inline std::string outbox_code(const std::filesystem::path& data_dir, const std::string& user) {
  std::filesystem::file_time_type newest{};
  std::string code;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(data_dir / "outbox", ec)) {
    const std::string text = read_file(f.path());
    if (text.find("To: " + user + "\n") == std::string::npos)
      continue;
    const auto at = text.find("Verification code: ");
    if (at != std::string::npos && (code.empty() || f.last_write_time() >= newest)) {
      newest = f.last_write_time();
      code = text.substr(at + 19, 6);
    }
  }
  return code;
}

/// A loopback TCP port nothing listens on (bound, then closed).
inline std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// What a finished process left.
struct ProcessResult {
  int exit_code = -1;  ///< -1 when killed or timed out
  std::string out;
  std::string err;
};

/// Runs `argv` with exactly `env` ("NAME=value") and `input` on standard input;
/// kills it after `timeout`.
inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env, const std::string& input,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  int in_pipe[2];
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return {};
  }
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::signal(SIGPIPE, SIG_IGN);
  if (!input.empty())
    (void)::write(in_pipe[1], input.data(), input.size());
  ::close(in_pipe[1]);
  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (::poll(fds, 2, 100) <= 0)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char buf[4096];
      const auto n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0)
      ::close(f.fd);
  }
  int status = 0;
  if (open_fds > 0)
    ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace stratus::test
