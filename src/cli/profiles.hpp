#pragma once
/// @file
/// Profiles of the `stratus` command: which server to talk to, and the tokens of
/// the user logged in there. Stored in `$XDG_CONFIG_HOME/stratus/` (or
/// `~/.config/stratus/`): `profiles.json` and `tokens/<profile>.json`; the
/// directories are 0700, the files 0600 and written atomically.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/types.hpp"
#include "core/error.hpp"

namespace stratus::cli {

/// One server.
struct Profile {
  std::string name;
  std::string url;      ///< e.g. "http://127.0.0.1:8080"
  std::string ca_file;  ///< absolute path of a PEM CA file for https; empty = system CAs
};

/// The built-in profile: the local stratusd.
inline constexpr std::string_view kLocalProfile = "local";
/// The URL of the built-in profile.
inline constexpr std::string_view kLocalUrl = "http://127.0.0.1:8080";

/// Looks up an environment variable (injectable for tests).
using GetEnv = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment, for `GetEnv`.
[[nodiscard]] std::optional<std::string> process_env(const std::string& name);

/// The configuration directory: `$XDG_CONFIG_HOME/stratus` when that is an
/// absolute path, else `$HOME/.config/stratus`. Errors: unavailable when neither
/// variable is usable.
[[nodiscard]] Result<std::filesystem::path> config_dir(const GetEnv& env);

/// Whether `name` is a valid profile name: 1..64 of [A-Za-z0-9_.-], not starting
/// with '.'. Pure.
[[nodiscard]] bool valid_profile_name(std::string_view name);

/// The profile file and token files of one configuration directory. Reads on
/// `open`, writes through at once. Not thread-safe; two processes changing
/// profiles at once may lose one change (each write is atomic, never torn).
class ProfileStore {
 public:
  /// Reads `<dir>/profiles.json` if present (a missing file means: only the
  /// built-in `local` profile, current). Nothing is created until a change.
  /// Errors: invalid_argument naming the file when it is not valid.
  [[nodiscard]] static Result<ProfileStore> open(std::filesystem::path dir);

  /// The directory.
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  /// The current profile's name.
  [[nodiscard]] const std::string& current_name() const { return current_; }
  /// All profiles, sorted by name (always including `local`).
  [[nodiscard]] std::vector<Profile> list() const;
  /// The profile `name`. Errors: not_found "unknown profile <name>" (with a hint).
  [[nodiscard]] Result<Profile> get(std::string_view name) const;

  /// Adds or replaces a profile (the URL must parse and is stored as its root, see
  /// client::parse_server_url;
  /// a CA file must exist and is stored as an absolute path). Errors:
  /// invalid_argument for a bad name, URL or CA file; unavailable for I/O.
  Result<void> add(Profile profile);
  /// Makes `name` current. Errors: not_found for an unknown profile; I/O errors.
  Result<void> switch_to(std::string_view name);

  /// The stored tokens of a profile, or nullopt when not logged in there.
  /// Errors: invalid_argument for a damaged token file (naming it).
  [[nodiscard]] Result<std::optional<client::Tokens>> load_tokens(std::string_view profile) const;
  /// Stores the tokens of a profile (0600, atomic).
  Result<void> save_tokens(std::string_view profile, const client::Tokens& tokens);
  /// Forgets the tokens of a profile (no error when there were none).
  Result<void> remove_tokens(std::string_view profile);
  /// Path of a profile's token file.
  [[nodiscard]] std::filesystem::path tokens_path(std::string_view profile) const;

 private:
  explicit ProfileStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<void> save() const;

  std::filesystem::path dir_;
  std::string current_{kLocalProfile};
  std::vector<Profile> profiles_;  // without `local` unless it was overridden
};

}  // namespace stratus::cli
