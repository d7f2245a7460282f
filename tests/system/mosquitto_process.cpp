#include "system/mosquitto_process.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "broker/ports.hpp"
#include "support/temp_dir.hpp"

namespace stratus::test {

using namespace std::chrono_literals;

MosquittoProcess::MosquittoProcess(std::filesystem::path dir, std::uint16_t port,
                                   std::string listener_extra)
    : dir_(std::move(dir)), port_(port) {
  const passwd* pw = ::getpwuid(::geteuid());
  // mosquitto would drop root to the `mosquitto` user and lose access to the key files.
  std::ofstream(dir_ / "mosquitto.conf")
      << "user " << (pw != nullptr ? pw->pw_name : "root") << "\n"
      << "persistence false\n"
      << "log_dest stderr\n"
      << "log_type error\nlog_type warning\nlog_type notice\n"
      << "listener " << port_ << " 127.0.0.1\n"
      << listener_extra;
}

MosquittoProcess::MosquittoProcess(std::filesystem::path dir, std::uint16_t port,
                                   WholeConfig config)
    : dir_(std::move(dir)), port_(port) {
  std::ofstream(dir_ / "mosquitto.conf") << config.text;
}

MosquittoProcess::~MosquittoProcess() {
  kill();
}

bool MosquittoProcess::start() {
  const std::string conf = (dir_ / "mosquitto.conf").string();
  const std::string out = (dir_ / "mosquitto.log").string();
  pid_ = ::fork();
  if (pid_ == 0) {
    std::FILE* f = std::freopen(out.c_str(), "a", stderr);
    (void)f;
    ::execl(STRATUS_MOSQUITTO_EXECUTABLE, STRATUS_MOSQUITTO_EXECUTABLE, "-c", conf.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (pid_ < 0)
    return false;
  return wait_until(
             [&] {
               if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                 pid_ = -1;
                 return true;  // exited: stop waiting
               }
               return broker::tcp_accepts("127.0.0.1", port_, 200ms);
             },
             10s) &&
         pid_ > 0;
}

void MosquittoProcess::kill() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string MosquittoProcess::log() const {
  return read_file(dir_ / "mosquitto.log");
}

}  // namespace stratus::test
