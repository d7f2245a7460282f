#include "broker/embedded_broker.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <string>
#include <vector>

#include "broker/ports.hpp"
#include "core/thread_name.hpp"
#include "log/log.hpp"

namespace stratus::broker {
namespace {

using namespace std::chrono_literals;
using log::Channel;

std::string describe_status(int status) {
  if (WIFEXITED(status))
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "ended (status " + std::to_string(status) + ")";
}

// Where to probe a listener bound to `bind`: wildcard binds are reached on loopback.
std::string probe_host(const std::string& bind) {
  if (bind == "0.0.0.0" || bind.empty())
    return "127.0.0.1";
  if (bind == "::")
    return "::1";
  return bind;
}

}  // namespace

const char* to_string(BrokerState state) noexcept {
  switch (state) {
    case BrokerState::stopped:
      return "stopped";
    case BrokerState::starting:
      return "starting";
    case BrokerState::running:
      return "running";
    case BrokerState::restarting:
      return "restarting";
  }
  return "unknown";
}

EmbeddedBroker::EmbeddedBroker(EmbeddedBrokerOptions options, MetricsRegistry& metrics)
    : options_(std::move(options)),
      restarts_(metrics.counter("stratus_broker_restarts_total",
                                "Times the embedded mosquitto was restarted after dying.")),
      conf_path_(options_.work_dir / "mosquitto.conf"),
      openssl_conf_path_(options_.work_dir / "openssl.cnf"),
      log_path_(options_.work_dir / "mosquitto.log") {}

EmbeddedBroker::~EmbeddedBroker() {
  stop();
}

BrokerState EmbeddedBroker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::uint64_t EmbeddedBroker::restarts() const {
  return restarts_.value();
}

int EmbeddedBroker::pid() const {
  std::lock_guard lock(mutex_);
  return pid_;
}

Result<void> EmbeddedBroker::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);
  if (ec) {
    return fail(errc::unavailable,
                "cannot create " + options_.work_dir.string() + ": " + ec.message());
  }
  for (const auto& [path, text] : {std::pair{conf_path_, render_mosquitto_conf(options_.settings)},
                                   std::pair{openssl_conf_path_, render_openssl_conf()}}) {
    const auto tmp = path.string() + ".tmp";
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.close();
    if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
      return fail(errc::unavailable, "cannot write " + path.string());
    }
  }
  if (::access(options_.mosquitto_path.c_str(), X_OK) != 0) {
    return fail(errc::unavailable, "mosquitto not found at " + options_.mosquitto_path.string() +
                                       " (install it with scripts/bootstrap, or set "
                                       "broker.mosquitto_path)");
  }
  if (::access(options_.settings.plugin_path.c_str(), R_OK) != 0) {
    return fail(errc::unavailable, "the Stratus mosquitto plugin is missing at " +
                                       options_.settings.plugin_path.string() +
                                       " (set broker.plugin_path)");
  }
  std::unique_lock lock(mutex_);
  stopping_ = false;
  first_start_done_ = false;
  thread_ = std::thread([this] {
    core::name_this_thread("broker-watch");
    supervise();
  });
  cv_.wait(lock, [this] { return first_start_done_; });
  if (!first_start_result_) {
    lock.unlock();
    thread_.join();
    return first_start_result_;
  }
  return {};
}

void EmbeddedBroker::stop() {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable())
    return;
  stopping_ = true;
  if (pid_ > 0)
    ::kill(pid_, SIGTERM);
  cv_.notify_all();
  // The supervisor reaps the child; escalate if mosquitto ignores SIGTERM.
  if (!cv_.wait_for(lock, options_.stop_timeout, [this] { return pid_ <= 0; }) && pid_ > 0) {
    log::warn(Channel::broker, "mosquitto pid={} did not stop within {} ms; killing it", pid_,
              options_.stop_timeout.count());
    ::kill(pid_, SIGKILL);
  }
  lock.unlock();
  thread_.join();
}

Result<int> EmbeddedBroker::spawn() {
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    return fail(errc::unavailable,
                "cannot open " + log_path_.string() + ": " + std::strerror(errno));
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls are allowed in a multi-threaded parent.
  const std::string path = options_.mosquitto_path.string();
  const std::string conf = conf_path_.string();
  std::vector<char*> argv = {const_cast<char*>(path.c_str()), const_cast<char*>("-c"),
                             const_cast<char*>(conf.c_str()), nullptr};
  // stratusd's environment, with OPENSSL_CONF pointing at the generated openssl.cnf.
  const std::string openssl_conf = "OPENSSL_CONF=" + openssl_conf_path_.string();
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "OPENSSL_CONF=", 13) != 0)
      envp.push_back(*e);
  }
  envp.push_back(const_cast<char*>(openssl_conf.c_str()));
  envp.push_back(nullptr);
  // One descriptor per node: the broker may use every descriptor the hard limit allows
  // (the soft limit is often 1024). stratusd's own limit is left alone.
  rlimit files{};
  const bool raise_files =
      ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max;
  files.rlim_cur = files.rlim_max;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // stratusd blocks SIGTERM/SIGINT in its threads
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent)
      ::_exit(127);  // parent already gone
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);
    if (raise_files)
      ::setrlimit(RLIMIT_NOFILE, &files);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  if (null_fd >= 0)
    ::close(null_fd);
  if (pid < 0)
    return fail(errc::unavailable, std::string("fork: ") + std::strerror(fork_errno));
  return static_cast<int>(pid);
}

EmbeddedBroker::Wait EmbeddedBroker::wait_ready(int pid, int& status) {
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  const auto& s = options_.settings;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return Wait::exited;
    if (tcp_accepts("127.0.0.1", s.backend_port, 200ms) &&
        tcp_accepts(probe_host(s.device_bind_address), s.device_port, 200ms)) {
      return Wait::ready;
    }
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, 20ms, [this] { return stopping_; }))
      return Wait::stopping;
  }
  return Wait::timed_out;
}

std::string EmbeddedBroker::log_tail() const {
  std::ifstream in(log_path_);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > 6)
      lines.pop_front();
  }
  std::string out;
  for (const auto& line : lines)
    out += "\n  " + line;
  return out;
}

void EmbeddedBroker::supervise() {
  auto backoff = options_.restart_backoff_min;
  bool first = true;
  auto report_first = [this, &first](Result<void> result) {
    std::lock_guard lock(mutex_);
    first_start_result_ = std::move(result);
    first_start_done_ = true;
    first = false;
    cv_.notify_all();
  };

  while (true) {
    Result<int> spawned = fail(errc::unavailable, "not started");
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        break;
      spawned = spawn();
      if (spawned) {
        pid_ = *spawned;
        state_ = first ? BrokerState::starting : BrokerState::restarting;
      }
    }
    if (!spawned) {
      if (first) {
        report_first(fail(spawned.error()));
        break;
      }
      log::error(Channel::broker, "cannot start mosquitto: {}", spawned.error().message());
    } else {
      const int pid = *spawned;
      int status = 0;
      const Wait ready = wait_ready(pid, status);
      bool reaped = ready == Wait::exited;
      if (ready == Wait::ready) {
        {
          std::lock_guard lock(mutex_);
          state_ = BrokerState::running;
        }
        log::info(Channel::broker, "mosquitto running pid={} device_port={} backend_port={}", pid,
                  options_.settings.device_port, options_.settings.backend_port);
        if (first)
          report_first({});
      } else if (ready == Wait::timed_out || first) {
        ::kill(pid, SIGKILL);
      }
      if (first && ready != Wait::ready) {
        if (!reaped)
          ::waitpid(pid, &status, 0);
        const std::string why = ready == Wait::exited
                                    ? "mosquitto " + describe_status(status)
                                    : "mosquitto did not accept connections within " +
                                          std::to_string(options_.start_timeout.count()) + " ms";
        {
          std::lock_guard lock(mutex_);
          pid_ = -1;
          state_ = BrokerState::stopped;
        }
        report_first(
            fail(errc::unavailable, why + "; " + log_path_.string() + " ends with:" + log_tail()));
        return;
      }
      const auto started = std::chrono::steady_clock::now();
      while (!reaped) {
        if (::waitpid(pid, &status, 0) == pid) {
          reaped = true;
        } else if (errno != EINTR) {
          break;
        }
      }
      std::unique_lock lock(mutex_);
      pid_ = -1;
      cv_.notify_all();
      if (stopping_)
        break;
      if (std::chrono::steady_clock::now() - started > 30s)
        backoff = options_.restart_backoff_min;
      state_ = BrokerState::restarting;
      restarts_.inc();
      lock.unlock();
      if (options_.on_sessions_lost)
        options_.on_sessions_lost();
      log::warn(Channel::broker, "mosquitto pid={} {}; restarting in {} ms", pid,
                describe_status(status), backoff.count());
    }
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, backoff, [this] { return stopping_; }))
      break;
    backoff = std::min(backoff * 2, options_.restart_backoff_max);
  }
  std::lock_guard lock(mutex_);
  state_ = BrokerState::stopped;
  pid_ = -1;
  cv_.notify_all();
}

}  // namespace stratus::broker
