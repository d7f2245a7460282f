#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "support/temp_dir.hpp"

extern char** environ;

namespace stratus::test {

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env,
                           std::filesystem::path output_file)
    : output_file_(std::move(output_file)) {
  int in_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    return;
  }
  const int out_fd = ::open(output_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    env_strings.emplace_back(*e);
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_fd);
  input_fd_ = in_pipe[1];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  close_input();
}

bool ChildProcess::write_line(const std::string& line) {
  if (input_fd_ < 0) {
    return false;
  }
  const std::string data = line + "\n";
  return ::write(input_fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

void ChildProcess::close_input() {
  if (input_fd_ >= 0) {
    ::close(input_fd_);
    input_fd_ = -1;
  }
}

std::string ChildProcess::output() const {
  return read_file(output_file_);
}

bool ChildProcess::wait_output(const std::string& text, std::chrono::milliseconds timeout,
                               std::size_t count) const {
  return wait_until(
      [&] {
        const auto out = output();
        std::size_t found = 0;
        for (auto at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) {
          ++found;
        }
        return found >= count;
      },
      timeout);
}

int ChildProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, signal);
  int status = -1;
  const bool exited =
      wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
  if (!exited) {
    return -1;
  }
  pid_ = -1;
  return status;
}

}  // namespace stratus::test
