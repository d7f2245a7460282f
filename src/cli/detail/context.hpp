#pragma once
/// @file
/// Internal: what the command groups of `stratus` share (src/cli/groups/*.cpp) — the
/// streams, the global flags, the profile store and the session factory, the error
/// reporting and the way a command's handler is chosen during parsing. Nobody outside
/// src/cli includes this. CLI11 stays out of it (`CLI::App` is only declared).

#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/app.hpp"
#include "cli/profiles.hpp"
#include "client/session.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace stratus::cli::detail {

/// The hint after "not logged in" and similar failures of `stratus` commands
/// (`Context::login_hint` for commands both binaries share).
inline constexpr std::string_view kLoginHint = "run: stratus login --user_name <email>";

/// The flags every command takes, before or after its name. Filled by parsing, so
/// read them only inside a handler.
struct GlobalOptions {
  bool json = false;    ///< `--json`: print the server's JSON (indented) instead of tables
  std::string profile;  ///< `--profile NAME`; empty = the current profile
};

/// Key/value lines with the keys padded to one width plus two spaces, each ending in
/// '\n'; empty for no rows.
[[nodiscard]] std::string key_values(const std::vector<std::pair<std::string, std::string>>& rows);

/// What every command handler shares during one `run`: the `Environment`, the global
/// flags, the profile store (opened on first use) and sessions made from the chosen
/// profile. Each group's `add_<group>` registers its commands with `on`; after parsing,
/// `run` calls `run_chosen` once. Not thread-safe; lives for one `run`.
class Context {
 public:
  /// `env` and `global` must outlive the context; `global` may still be empty here.
  /// `program` ("stratus", "stratus-admin") names the binary in hints and messages.
  Context(Environment& env, const GlobalOptions& global, std::string program = "stratus");

  /// The binary's name: "stratus" or "stratus-admin".
  [[nodiscard]] const std::string& program() const { return program_; }
  /// "run: <program> login --user_name <email>".
  [[nodiscard]] std::string login_hint() const;

  /// The environment (streams, getenv, secrets, sleep).
  [[nodiscard]] Environment& env() { return env_; }
  /// Results go here.
  [[nodiscard]] std::ostream& out() { return env_.out; }
  /// Whether `--json` was given.
  [[nodiscard]] bool json() const { return global_.json; }
  /// `Environment::clock`, or the system clock when that is null.
  [[nodiscard]] const Clock& clock() const { return *clock_; }

  /// Makes `handler` the command to run when `command` is the one parsed. `handler`
  /// returns the exit status (0 success, 1 failure) and runs after parsing, so it sees
  /// every option of the command and the global flags.
  void on(CLI::App& command, std::function<int()> handler);
  /// Whether parsing chose a command.
  [[nodiscard]] bool has_chosen() const { return static_cast<bool>(chosen_); }
  /// Runs the chosen command and returns its exit status. Asserts `has_chosen()`.
  int run_chosen();

  /// Prints `error_line(e)` to `env.err`; returns 1, the failure exit status.
  int report(const Error& e);
  /// As `report`, for the failure of an authenticated call: when the server says the
  /// session is gone, adds "; run: <program> login --user_name <user of the profile>".
  int report_call(const Error& e);
  /// Prints JSON text indented (`pretty_json`) to `out()`.
  void print_json(std::string_view text);

  /// The profile store in the config directory (`config_dir(env.getenv)`), opened on
  /// the first call. Errors: those of `config_dir` and `ProfileStore::open`.
  Result<ProfileStore*> store();
  /// The `--profile` profile, else the current one. Errors: the store's, not_found.
  Result<Profile> profile();
  /// The e-mail (or phone number) of the id token stored for profile `name`; empty when
  /// there is none.
  [[nodiscard]] std::string logged_in_user(const std::string& name);
  /// A session with the chosen profile's server; with `need_login`, with its stored
  /// tokens (unauthenticated "not logged in; run: …" when there are none). Refreshed
  /// tokens are saved back to the profile. Sets `profile_name()`.
  Result<client::Session> session(bool need_login);
  /// The profile of the last `session`; empty before.
  [[nodiscard]] const std::string& profile_name() const { return profile_name_; }

  /// A password: `given` (the `--password` flag) when not empty, else STRATUS_PASSWORD,
  /// else a prompt "<what>: " through `env.read_secret` (twice when `confirm`).
  /// Errors: invalid_argument when there is no terminal or the two differ.
  Result<std::string> password(const std::string& given, std::string_view what, bool confirm);
  /// A verification code: `given` (the `--code` flag) when not empty, else a line of
  /// `env.in` without surrounding blanks (prompted on `env.err` when interactive);
  /// nullopt at end of input or for an empty line.
  std::optional<std::string> verification_code(const std::string& given, const std::string& user);
  /// Waits `d` with `env.sleep`, else std::this_thread::sleep_for.
  void sleep(std::chrono::milliseconds d);

 private:
  Environment& env_;
  const GlobalOptions& global_;
  std::string program_;
  const Clock* clock_ = nullptr;
  std::optional<ProfileStore> store_;
  std::string profile_name_;
  std::function<int()> chosen_;
};

/// Adds the global flags (`--json`, `--profile NAME`) to `app`, filling `global`.
void add_global_flags(CLI::App& app, GlobalOptions& global);

/// Parses `args` (`args[0]` is the program name) with `app`, whose commands registered
/// their handlers with `ctx`, and runs the chosen one. Returns the exit status: the
/// handler's (0, 1), 0 for `--help`/`--version`, 2 for usage errors (an unknown command
/// is named: "error: unknown command "x" (see: <program> --help)").
int parse_and_run(CLI::App& app, Context& ctx, const std::vector<std::string>& args);

}  // namespace stratus::cli::detail
