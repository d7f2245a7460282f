#pragma once
/// @file
/// A real mosquitto for system tests: a child process with a generated configuration on a
/// loopback port (shared by the MQTT pool and Wirepas simulator tests).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace stratus::test {

/// One mosquitto child process. Not thread-safe; use from the test thread.
class MosquittoProcess {
 public:
  /// Writes `<dir>/mosquitto.conf`: the current user, no persistence, a listener on
  /// 127.0.0.1:`port`, then `listener_extra` (more lines for that listener).
  MosquittoProcess(std::filesystem::path dir, std::uint16_t port, std::string listener_extra);
  /// A whole configuration, written as given to `<dir>/mosquitto.conf` (e.g. one from
  /// `broker::render_mosquitto_conf`); `start` waits for `port`.
  struct WholeConfig {
    std::string text;
  };
  MosquittoProcess(std::filesystem::path dir, std::uint16_t port, WholeConfig config);
  /// Kills the broker.
  ~MosquittoProcess();
  MosquittoProcess(const MosquittoProcess&) = delete;
  MosquittoProcess& operator=(const MosquittoProcess&) = delete;

  /// Spawns mosquitto and waits (at most 10 s) until its port accepts TCP connections.
  bool start();
  /// SIGKILL, like a crash: connections see a reset or EOF, no DISCONNECT.
  void kill();
  /// What the broker logged.
  [[nodiscard]] std::string log() const;

 private:
  std::filesystem::path dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace stratus::test
