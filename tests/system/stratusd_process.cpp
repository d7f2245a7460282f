#include "system/stratusd_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/temp_dir.hpp"

namespace stratus::test {

std::filesystem::path build_binary(const std::string& name) {
  const char* dir = std::getenv("STRATUS_BUILD_DIR");
  return std::filesystem::path(dir != nullptr ? dir : ".") / "bin" / name;
}

StratusdProcess::StratusdProcess(std::filesystem::path data_dir,
                                 std::vector<std::string> extra_args,
                                 std::vector<std::string> command_prefix)
    : data_dir_(std::move(data_dir)),
      extra_args_(std::move(extra_args)),
      command_prefix_(std::move(command_prefix)) {
  std::filesystem::create_directories(data_dir_);
}

StratusdProcess::~StratusdProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool StratusdProcess::start(std::chrono::milliseconds timeout) {
  const std::string binary = build_binary("stratusd").string();
  std::vector<std::string> args = {binary,
                                   "--data-dir",
                                   data_dir_.string(),
                                   "--http-port",
                                   "0",
                                   "--mqtt-port",
                                   "0",
                                   "--set",
                                   "http.bind_address=127.0.0.1",
                                   "--set",
                                   "broker.bind_address=127.0.0.1"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  args.insert(args.begin(), command_prefix_.begin(), command_prefix_.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = (data_dir_ / "stratusd.out").string();
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_fd);
  if (pid_ < 0)
    return false;

  return wait_until(
             [&] {
               if (::waitpid(pid_, &exit_status_, WNOHANG) == pid_) {
                 pid_ = -1;
                 return true;  // exited: stop waiting, report below
               }
               const std::string text = read_file(files_dir() / "runtime.json");
               if (text.empty())
                 return false;
               boost::system::error_code ec;
               const auto value = boost::json::parse(text, ec);
               if (ec || !value.is_object())
                 return false;
               const auto& o = value.as_object();
               if (o.at("pid").to_number<pid_t>() != pid_)
                 return false;
               http_port_ = o.at("http_port").to_number<std::uint16_t>();
               mqtt_port_ = o.at("mqtt_port").to_number<std::uint16_t>();
               backend_port_ = o.at("backend_port").to_number<std::uint16_t>();
               const auto* wirepas = o.if_contains("wirepas_port");
               wirepas_port_ = wirepas != nullptr ? wirepas->to_number<std::uint16_t>() : 0;
               return true;
             },
             timeout) &&
         pid_ > 0;
}

int StratusdProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  int status = -1;
  const bool exited =
      wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
  if (!exited)
    return -1;
  pid_ = -1;
  return status;
}

int StratusdProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, signal);
  return wait_exit(timeout);
}

std::filesystem::path StratusdProcess::files_dir() const {
  if (command_prefix_.empty() || pid_ <= 0)
    return data_dir_;
  // /proc/<pid>/root resolves paths in the process's own mount namespace.
  return std::filesystem::path("/proc") / std::to_string(pid_) / "root" / data_dir_.relative_path();
}

std::string StratusdProcess::output() const {
  return read_file(data_dir_ / "stratusd.out");
}

std::vector<pid_t> processes_mentioning(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::string cmdline = read_file(entry.path() / "cmdline");
    for (auto& c : cmdline) {
      if (c == '\0')
        c = ' ';
    }
    // A zombie has an empty cmdline: it is gone for every purpose but reaping.
    if (cmdline.find(needle) != std::string::npos)
      out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace stratus::test
