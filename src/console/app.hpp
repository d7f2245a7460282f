#pragma once
/// @file
/// The `stratus-console` command (issues 21, 22): the backend console for Wirepas gateways.
/// Without a subcommand it connects with the backend client's settings and runs gateway
/// commands (console/commands.hpp) from `--command`, `--script` or standard input;
/// `provisioning-server` is the Wirepas provisioning server (spec wirepas.md §5.3).
/// Argument parsing (CLI11) and the modes; apps/stratus-console wires the process to it.
/// See docs/stratus-console.md and docs/wirepas.md.

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace stratus::console {

/// What a `stratus-console` command sees of its process.
struct Environment {
  Environment(std::ostream& out_, std::ostream& err_) : out(out_), err(err_) {}

  std::ostream& out;  ///< log lines and results
  std::ostream& err;  ///< the one `error:` line of a failure, usage errors
  /// Environment variables (the `WM_*` defaults); tests pass their own.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

/// Runs `stratus-console <args…>` (`args[0]` is the program name). Returns the exit status:
/// 0 success, 1 failure ("error: <cause>" on `env.err`, a configuration's every error on
/// its own line; in the console, a command that failed or timed out), 2 usage error. The
/// console reads standard input on a thread of its own when no command is given.
/// `provisioning-server` runs until SIGINT or SIGTERM and reloads its configuration on SIGHUP: it
/// installs handlers for the three, so call this from `main` only, once.
int run(const std::vector<std::string>& args, Environment& env);

}  // namespace stratus::console
