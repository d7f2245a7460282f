#pragma once
/// @file
/// The embedded broker: Debian's mosquitto as a supervised child process of
/// stratusd, configured with the Stratus plugin (see plugin/README.md).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "broker/mosquitto_config.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"

namespace stratus::broker {

/// How to run and supervise mosquitto.
struct EmbeddedBrokerOptions {
  std::filesystem::path mosquitto_path = "/usr/sbin/mosquitto";
  std::filesystem::path
      work_dir;  ///< <data_dir>/broker: mosquitto.conf, openssl.cnf, mosquitto.log
  MosquittoSettings settings;
  std::chrono::milliseconds start_timeout{10000};
  std::chrono::milliseconds restart_backoff_min{200};
  std::chrono::milliseconds restart_backoff_max{30000};
  std::chrono::milliseconds stop_timeout{5000};  ///< SIGTERM, then SIGKILL after this
  /// Called on the supervisor thread each time mosquitto has died, before it
  /// is restarted: every client session is gone at that moment.
  std::function<void()> on_sessions_lost;
};

/// Supervisor state, as reported by /healthz.
enum class BrokerState { stopped, starting, running, restarting };

/// "stopped" | "starting" | "running" | "restarting".
const char* to_string(BrokerState state) noexcept;

/// Starts mosquitto, waits until both listeners accept connections, restarts it
/// with exponential backoff (min → max, reset after 30 s of uptime) whenever it
/// dies, and stops it (SIGTERM, then SIGKILL) on `stop()`.
///
/// The child runs in its own process group (a terminal's Ctrl-C reaches only
/// stratusd, which then stops it) with PR_SET_PDEATHSIG, so it does not outlive
/// stratusd even when stratusd is killed with SIGKILL. It gets stratusd's environment with
/// `OPENSSL_CONF` set to the generated openssl.cnf (`render_openssl_conf`: no session
/// tickets) and its soft `RLIMIT_NOFILE` raised to the hard limit: one descriptor per node.
///
/// Thread-safety: `start`/`stop` from one controlling thread; the accessors from
/// any thread. Metrics: counter `stratus_broker_restarts_total`.
class EmbeddedBroker {
 public:
  EmbeddedBroker(EmbeddedBrokerOptions options, MetricsRegistry& metrics);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  /// Writes <work_dir>/mosquitto.conf, starts mosquitto and waits until it
  /// accepts connections on both listeners. Errors: errc::unavailable with the
  /// tail of mosquitto.log when it exits or does not become ready within
  /// `start_timeout` (nothing keeps running then).
  Result<void> start();

  /// Stops supervising and terminates mosquitto. Idempotent; returns when the
  /// child has been reaped.
  void stop();

  /// Current state.
  [[nodiscard]] BrokerState state() const;
  /// How many times mosquitto was restarted after dying.
  [[nodiscard]] std::uint64_t restarts() const;
  /// Process id of the running mosquitto, or -1.
  [[nodiscard]] int pid() const;

 private:
  enum class Wait { ready, exited, timed_out, stopping };

  void supervise();
  Result<int> spawn();
  Wait wait_ready(int pid, int& status);
  std::string log_tail() const;

  EmbeddedBrokerOptions options_;
  Counter& restarts_;
  std::filesystem::path conf_path_;
  std::filesystem::path openssl_conf_path_;  // OPENSSL_CONF of the child (render_openssl_conf)
  std::filesystem::path log_path_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool first_start_done_ = false;
  Result<void> first_start_result_;
  BrokerState state_ = BrokerState::stopped;
  int pid_ = -1;
  std::thread thread_;
};

}  // namespace stratus::broker
