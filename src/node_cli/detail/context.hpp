#pragma once
/// @file
/// Internal: what the commands of `stratus-node` share (claim.cpp, run_node.cpp,
/// swarm.cpp): the environment, the `error:` line, the password, and the way the parsed
/// command's handler is chosen. Nobody outside src/node_cli includes this.

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "node_cli/app.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace stratus::node_cli::detail {

/// The shared state of one `run`: the environment and the chosen command. Not
/// thread-safe; lives for one `run`.
class Context {
 public:
  /// `env` must outlive the context.
  explicit Context(Environment& env) : env_(env) {}

  /// The environment (streams, getenv, password prompt, console descriptor).
  [[nodiscard]] Environment& env() { return env_; }

  /// Makes `handler` the command to run when `command` is the one parsed; it returns
  /// the exit status and runs after parsing, so it sees every option of the command.
  void on(CLI::App& command, std::function<int()> handler);
  /// Whether parsing chose a command.
  [[nodiscard]] bool has_chosen() const { return static_cast<bool>(chosen_); }
  /// Runs the chosen command; returns its exit status. Asserts `has_chosen()`.
  int run_chosen();

  /// Prints "error: <message>" to `env.err`; returns 1, the failure exit status.
  int error(const std::string& message);
  /// As above with "<context>[ (code <reason>)]".
  int error(const Error& e);
  /// The password: STRATUS_PASSWORD when set and not empty, else `env.read_secret`
  /// with the prompt "Password: "; nullopt when neither gives one.
  std::optional<std::string> password();

 private:
  Environment& env_;
  std::function<int()> chosen_;
};

/// While alive, SIGINT and SIGTERM set a flag instead of ending the process (the long
/// runs, `swarm` and `wirepas-gateway`, stop cleanly on it); the default actions come
/// back on destruction. One at a time per process (the flag is process-wide: a signal
/// handler can reach nothing else). Not thread-safe to construct; `flag()` is read from any
/// thread.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  /// True once SIGINT or SIGTERM arrived since construction.
  [[nodiscard]] const std::atomic<bool>* flag() const noexcept;
};

/// `claim`: host-driven claiming into a credentials directory.
void add_claim(CLI::App& app, Context& ctx);
/// `run`: one virtual node with a line console on `env.console_fd`.
void add_run(CLI::App& app, Context& ctx);
/// `swarm`: many nodes in one process, claimed on demand, with a summary.
void add_swarm(CLI::App& app, Context& ctx);
/// `image build`: an ESP application image for OTA tests.
void add_image(CLI::App& app, Context& ctx);
/// `wirepas-gateway`: simulated Wirepas gateways against a broker.
void add_wirepas_gateway(CLI::App& app, Context& ctx);

}  // namespace stratus::node_cli::detail
