#pragma once
/// @file
/// The composition root of stratusd: builds every module from `Config`, owns
/// the executors, and starts and stops them in order.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace stratus::server {

/// What a running stratusd tells the outside world in <data_dir>/runtime.json.
struct RuntimeInfo {
  std::uint16_t http_port = 0;
  std::uint16_t mqtt_port = 0;     ///< device listener (0 in external broker mode)
  std::uint16_t backend_port = 0;  ///< embedded broker's loopback listener
  std::uint16_t wirepas_port = 0;  ///< embedded broker's Wirepas listener (0: disabled)
  std::string mqtt_host;
  std::string http_url;
  int pid = 0;
};

/// stratusd. Start-up order: data dir → PKI → database (migrations) → broker
/// (embedded: mosquitto started and ready) → backend MQTT client → HTTP →
/// runtime.json. Stop is the reverse: HTTP drains, the backend client leaves,
/// mosquitto stops, the database closes, runtime.json is removed.
///
/// Thread-safety: `start`, `stop` and `runtime` from one controlling thread.
class Server {
 public:
  /// Builds nothing yet; keeps `config`. Uses the system clock.
  explicit Server(config::Config config);
  /// Same with an injected clock (tests drive code and token expiry with a
  /// ManualClock); `clock` must outlive the server.
  Server(config::Config config, const Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Starts everything, or returns the first error with everything already
  /// started stopped again. Errors name the failing step and its cause (a
  /// damaged PKI directory, a port in use, mosquitto failing, ...).
  Result<void> start();

  /// Graceful stop (bounded by http.shutdown_grace_ms and the broker's stop
  /// timeout). Idempotent.
  void stop();

  /// Every HTTP route as (method, path pattern), valid after a successful `start` (tests
  /// check rules over all of them, e.g. that every `/v1/admin/` route refuses users).
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> routes() const;

  /// Ports and URLs, valid after a successful `start`.
  [[nodiscard]] const RuntimeInfo& runtime() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Writes `info` as JSON to `path` atomically (temp file + rename).
Result<void> write_runtime_file(const std::filesystem::path& path, const RuntimeInfo& info);

}  // namespace stratus::server
