#pragma once
/// @file
/// The `stratus-node` command: `claim` (credentials from a Stratus server, spec
/// rainmaker.md §6.3), `run` (one virtual node with a line console) and `swarm` (many
/// nodes in one process, for load). Argument parsing (CLI11) and the commands; the
/// process is wired to it by apps/stratus-node. See docs/stratus-node.md.

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/profiles.hpp"

namespace stratus::node_cli {

/// What a `stratus-node` command sees of its process.
struct Environment {
  /// The streams; everything else starts at its default.
  Environment(std::ostream& out_, std::ostream& err_) : out(out_), err(err_) {}

  std::ostream& out;  ///< results: claim's summary, the console's answers, swarm's summary
  std::ostream& err;  ///< the one `error:` line of a failure, swarm's progress, usage errors
  /// Environment variables: STRATUS_PASSWORD.
  cli::GetEnv getenv = cli::process_env;
  /// Reads a secret without echo (the password); nullopt when there is no terminal.
  /// Unset = no terminal.
  std::function<std::optional<std::string>(std::string_view prompt)> read_secret;
  /// The descriptor `run` reads console lines from (standard input).
  int console_fd = 0;
};

/// Runs `stratus-node <args…>` (`args[0]` is the program name, shown in the usage line).
/// Returns the exit status: 0 success, 1 failure (one line "error: <cause>[ (code N)]"
/// on `env.err`), 2 usage error (CLI11's message on `env.err`; `--help` on `env.out`
/// exits 0). `run` returns at `quit`, or at SIGINT/SIGTERM (also after end of input);
/// `swarm` ends after `--duration` or at SIGINT/SIGTERM, and fails when not every node
/// is connected at the end.
/// Process-wide effects, so call it from `main` only, once: `run` blocks SIGINT and
/// SIGTERM in the calling thread (threads started later inherit that) and takes them
/// from a signalfd; `swarm` installs SIGINT/SIGTERM handlers and raises RLIMIT_NOFILE
/// to the hard limit. `out` is written from the node's threads under a lock of its own,
/// so nothing else may write to it meanwhile.
int run(const std::vector<std::string>& args, Environment& env);

}  // namespace stratus::node_cli
