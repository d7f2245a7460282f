#pragma once
/// @file
/// The `stratus` command: argument parsing (CLI11) and the commands, with the
/// RainMaker CLI's command names and flags (spec rainmaker.md §4.3). Runs
/// against an injectable `Environment`, so tests drive it without a process.

#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/profiles.hpp"
#include "core/clock.hpp"

namespace stratus::cli {

/// What a command sees of its process.
struct Environment {
  /// The streams; everything else starts at its default.
  Environment(std::istream& in_, std::ostream& out_, std::ostream& err_)
      : in(in_), out(out_), err(err_) {}

  std::istream& in;   ///< verification codes (a line each)
  std::ostream& out;  ///< results
  std::ostream& err;  ///< prompts and the one `error:` line of a failure
  /// Environment variables: HOME, XDG_CONFIG_HOME, STRATUS_PASSWORD.
  GetEnv getenv = process_env;
  /// Reads a secret without echo (a password); nullopt when there is no
  /// terminal. Unset = no terminal.
  std::function<std::optional<std::string>(std::string_view prompt)> read_secret;
  /// Whether `in` is a terminal (then prompts are written to `err`).
  bool interactive = false;
  /// Time for token expiry, "offline for …" and polling; null = the system clock.
  const Clock* clock = nullptr;
  /// Waits between polls (`test --addnode`); unset = std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// Reads a line from the controlling terminal (/dev/tty) with echo off, after
/// writing `prompt` there; nullopt when there is no terminal. For
/// `Environment::read_secret` in the real binary.
[[nodiscard]] std::optional<std::string> read_secret_from_terminal(std::string_view prompt);

/// Runs `stratus <args…>` (`args[0]` is the program name). Output goes to
/// `env.out`; a failure prints exactly one line "error: <description> (code N)"
/// (or "error: <cause>") to `env.err`. Returns the exit status: 0 success,
/// 1 failure, 2 usage error (unknown command or flag; CLI11's message).
/// Global flags (before or after the command): `--json` prints the server's
/// JSON (indented) instead of tables, `--profile NAME` uses that profile instead
/// of the current one. Blocking; not reentrant with the same `env`.
int run(const std::vector<std::string>& args, Environment& env);

}  // namespace stratus::cli
