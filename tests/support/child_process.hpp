#pragma once
/// @file
/// A long-running child process for system tests (a `stratus-node run`, say): standard
/// input through a pipe, standard output and error into a file, and waits on what it
/// printed with deadlines.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace stratus::test {

/// One child. Not thread-safe; use from the test thread.
class ChildProcess {
 public:
  /// Starts `argv` (argv[0] a path) with the parent's environment plus `extra_env`
  /// ("NAME=value"); output (stdout and stderr) goes to `output_file`. `pid()` is -1 if
  /// the fork failed.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
               std::filesystem::path output_file);
  /// Kills the child (SIGKILL) if it still runs, and reaps it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Writes `line` and a newline to the child's standard input. False if the pipe is gone.
  bool write_line(const std::string& line);
  /// Closes the child's standard input (end of file).
  void close_input();
  /// Everything the child printed so far.
  [[nodiscard]] std::string output() const;
  /// Waits until the output holds `text` at least `count` times. False on timeout.
  bool wait_output(const std::string& text, std::chrono::milliseconds timeout,
                   std::size_t count = 1) const;
  /// Sends `signal` and waits for the exit; the waitpid status, or -1 on timeout.
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  std::filesystem::path output_file_;
  pid_t pid_ = -1;
  int input_fd_ = -1;
};

}  // namespace stratus::test
