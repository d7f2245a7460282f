// `stratus-admin`: the global flags, login/logout and profiles (the same handlers as
// `stratus`), and the super-admin's command groups, in the order `--help` lists them.
#include "cli/admin_app.hpp"

#include <CLI/CLI.hpp>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"

namespace stratus::cli {

int run_admin(const std::vector<std::string>& args, Environment& env) {
  detail::GlobalOptions global;
  CLI::App app{"stratus-admin: super-admin commands of a Stratus (ESP RainMaker compatible) cloud",
               "stratus-admin"};
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", "stratus-admin 0.1.0");
  detail::add_global_flags(app, global);

  detail::Context ctx(env, global, "stratus-admin");
  detail::add_login_logout(app, ctx);
  detail::add_ota_admin(app, ctx);
  detail::add_certs(app, ctx);
  detail::add_mfg_admin(app, ctx);
  detail::add_fleet_admin(app, ctx);
  detail::add_wirepas_admin(app, ctx);
  detail::add_profiles(app, ctx);
  return detail::parse_and_run(app, ctx, args);
}

}  // namespace stratus::cli
