// The `profile` command: the servers to talk to (add, switch, list, show). Local only.
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"

namespace stratus::cli::detail {
namespace {

struct ProfileOptions {
  std::string name;
  std::string url;
  std::string ca;
};

int profile_add(Context& ctx, const ProfileOptions& o) {
  auto s = ctx.store();
  if (!s)
    return ctx.report(s.error());
  const bool existed = (*s)->get(o.name).has_value();
  if (auto r = (*s)->add(Profile{o.name, o.url, o.ca}); !r)
    return ctx.report(r.error());
  ctx.out() << (existed ? "updated" : "added") << " profile " << o.name
            << "; use it with: " << ctx.program() << " profile switch " << o.name << '\n';
  return 0;
}

int profile_switch(Context& ctx, const ProfileOptions& o) {
  auto s = ctx.store();
  if (!s)
    return ctx.report(s.error());
  if (auto r = (*s)->switch_to(o.name); !r)
    return ctx.report(r.error());
  ctx.out() << "switched to profile " << o.name << '\n';
  return 0;
}

int profile_list(Context& ctx) {
  auto s = ctx.store();
  if (!s)
    return ctx.report(s.error());
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : (*s)->list()) {
    const auto user = ctx.logged_in_user(p.name);
    rows.push_back(
        {p.name == (*s)->current_name() ? "*" : "", p.name, p.url, user.empty() ? "-" : user});
  }
  ctx.out() << render_table({"", "PROFILE", "URL", "USER"}, rows);
  return 0;
}

int profile_show(Context& ctx) {
  auto p = ctx.profile();
  if (!p)
    return ctx.report(p.error());
  const auto user = ctx.logged_in_user(p->name);
  const bool current = p->name == (*ctx.store())->current_name();
  ctx.out() << key_values({{"profile", p->name + (current ? " (current)" : "")},
                           {"url", p->url},
                           {"ca_file", p->ca_file.empty() ? "-" : p->ca_file},
                           {"user", user.empty() ? "not logged in" : user},
                           {"config", (*ctx.store())->dir().string()}});
  return 0;
}

}  // namespace

void add_profiles(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ProfileOptions>();

  auto* profile = app.add_subcommand("profile", "Servers to talk to");
  profile->require_subcommand(1);
  auto* add = profile->add_subcommand("add", "Add or update a profile");
  add->add_option("name", o->name, "Profile name")->required();
  add->add_option("--url,--base-url", o->url, "Server URL, e.g. https://host:8080")->required();
  add->add_option("--ca", o->ca, "PEM file of the CA to trust for https");
  ctx.on(*add, [&ctx, o] { return profile_add(ctx, *o); });
  auto* to = profile->add_subcommand("switch", "Make a profile current");
  to->add_option("name", o->name, "Profile name")->required();
  ctx.on(*to, [&ctx, o] { return profile_switch(ctx, *o); });
  ctx.on(*profile->add_subcommand("list", "List the profiles"),
         [&ctx] { return profile_list(ctx); });
  ctx.on(*profile->add_subcommand("show", "Show the current profile"),
         [&ctx] { return profile_show(ctx); });
}

}  // namespace stratus::cli::detail
