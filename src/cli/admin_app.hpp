#pragma once
/// @file
/// The `stratus-admin` command: what a super-admin does that users cannot — OTA images
/// and jobs (rainmaker-cloud.md §6.2, §6.3; the admin CLI's role, rainmaker.md §7) —
/// plus `login`, `logout` and `profile add|switch|list|show`, shared with `stratus`: the
/// same profile store (`$XDG_CONFIG_HOME/stratus/`), so a login with either binary is the
/// profile's login for both. Runs against an injectable `Environment` like `cli::run`.

#include <string>
#include <vector>

#include "cli/app.hpp"

namespace stratus::cli {

/// Runs `stratus-admin <args…>` (`args[0]` is the program name). Output contract as
/// `run`: results on `env.out`; a failure prints exactly one line
/// "error: <description> (code N)" (or "error: <cause>") to `env.err`. Returns 0 success,
/// 1 failure, 2 usage error. Global flags `--json` and `--profile NAME` as `run`.
/// `ota job show --watch` waits with `env.sleep` and reads time from `env.clock`.
/// Blocking; not reentrant with the same `env`.
int run_admin(const std::vector<std::string>& args, Environment& env);

}  // namespace stratus::cli
