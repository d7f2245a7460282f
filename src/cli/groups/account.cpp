// The account commands: signup, login, logout, forgotpassword, getuserinfo; login and
// logout are stratus-admin's too (add_login_logout).
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "client/jwt.hpp"

namespace stratus::cli::detail {
namespace {

struct AccountOptions {
  std::string user_name;
  std::string email;
  std::string password;
  std::string code;
};

int signup(Context& ctx, const AccountOptions& o) {
  auto s = ctx.session(false);
  if (!s)
    return ctx.report(s.error());
  const std::string& user = o.user_name;
  if (o.code.empty()) {
    auto pw = ctx.password(o.password, "Password", true);
    if (!pw)
      return ctx.report(pw.error());
    if (auto r = s->sign_up(user, *pw); !r)
      return ctx.report(r.error());
    ctx.out() << "a verification code was sent to " << user << '\n';
  }
  auto code = ctx.verification_code(o.code, user);
  if (!code) {
    ctx.out() << "finish with: stratus signup " << user << " --code <code>\n";
    return 0;
  }
  if (auto r = s->confirm_sign_up(user, *code); !r)
    return ctx.report(r.error());
  ctx.out() << "signed up " << user << "; log in with: stratus login --user_name " << user << '\n';
  return 0;
}

int login(Context& ctx, const AccountOptions& o) {
  const std::string user = !o.user_name.empty() ? o.user_name : o.email;
  if (user.empty())
    return ctx.report(Error{errc::invalid_argument, "--user_name is required", 0});
  auto s = ctx.session(false);
  if (!s)
    return ctx.report(s.error());
  auto pw = ctx.password(o.password, "Password", false);
  if (!pw)
    return ctx.report(pw.error());
  auto tokens = s->login(user, *pw);
  if (!tokens)
    return ctx.report(tokens.error());
  auto claims = client::decode_token_claims(tokens->id_token);
  const std::string who = claims && !claims->account_name().empty() ? claims->account_name() : user;
  ctx.out() << "logged in as " << who << " (profile " << ctx.profile_name() << ", "
            << s->server().root << ")\n";
  return 0;
}

int logout(Context& ctx) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto r = s->logout();
  // A session the server no longer knows is logged out all the same.
  if (!r && r.error().code != errc::unauthenticated)
    return ctx.report_call(r.error());
  if (auto removed = (*ctx.store())->remove_tokens(ctx.profile_name()); !removed)
    return ctx.report(removed.error());
  ctx.out() << "logged out (profile " << ctx.profile_name() << ")\n";
  return 0;
}

int forgot_password(Context& ctx, const AccountOptions& o) {
  auto s = ctx.session(false);
  if (!s)
    return ctx.report(s.error());
  const std::string& user = o.user_name;
  if (o.code.empty()) {
    if (auto r = s->forgot_password(user); !r)
      return ctx.report(r.error());
    ctx.out() << "a verification code was sent to " << user << '\n';
  }
  auto code = ctx.verification_code(o.code, user);
  if (!code) {
    ctx.out() << "finish with: stratus forgotpassword " << user << " --code <code>\n";
    return 0;
  }
  auto pw = ctx.password(o.password, "New password", true);
  if (!pw)
    return ctx.report(pw.error());
  if (auto r = s->reset_password(user, *pw, *code); !r)
    return ctx.report(r.error());
  ctx.out() << "password changed; log in with: stratus login --user_name " << user << '\n';
  return 0;
}

int user_info(Context& ctx) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto info = s->user_info();
  if (!info)
    return ctx.report_call(info.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> rows{{"user_id", info->user_id},
                                                        {"user_name", info->user_name}};
  if (!info->email.empty())
    rows.emplace_back("email", info->email);
  if (!info->phone_number.empty())
    rows.emplace_back("phone_number", info->phone_number);
  if (!info->name.empty())
    rows.emplace_back("name", info->name);
  rows.emplace_back("super_admin", info->super_admin ? "true" : "false");
  rows.emplace_back("mfa", info->mfa ? "true" : "false");
  rows.emplace_back("alert_mail", info->alert_mail ? "on" : "off");
  ctx.out() << key_values(rows);
  return 0;
}

}  // namespace

void add_account(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<AccountOptions>();

  auto* signup_cmd =
      app.add_subcommand("signup", "Create an account (a code is mailed to confirm)");
  signup_cmd->add_option("user_name", o->user_name, "E-mail address or phone number")->required();
  signup_cmd->add_option("--password", o->password, "Password (else STRATUS_PASSWORD or a prompt)");
  signup_cmd->add_option("--code", o->code,
                         "Verification code: only confirms (else read from standard input)");
  ctx.on(*signup_cmd, [&ctx, o] { return signup(ctx, *o); });

  add_login_logout(app, ctx);

  auto* forgot = app.add_subcommand("forgotpassword", "Reset the password with a mailed code");
  forgot->add_option("user_name", o->user_name, "E-mail address or phone number")->required();
  forgot->add_option("--password", o->password, "New password (else STRATUS_PASSWORD or a prompt)");
  forgot->add_option("--code", o->code, "Verification code (else read from standard input)");
  ctx.on(*forgot, [&ctx, o] { return forgot_password(ctx, *o); });

  ctx.on(*app.add_subcommand("getuserinfo", "Show the logged-in user"),
         [&ctx] { return user_info(ctx); });
}

void add_login_logout(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<AccountOptions>();
  auto* login_cmd = app.add_subcommand("login", "Log in and store the tokens in the profile");
  login_cmd->add_option("--user_name", o->user_name, "E-mail address or phone number");
  login_cmd->add_option("--email", o->email, "E-mail address (same as --user_name)");
  login_cmd->add_option("--password", o->password, "Password (else STRATUS_PASSWORD or a prompt)");
  ctx.on(*login_cmd, [&ctx, o] { return login(ctx, *o); });

  ctx.on(*app.add_subcommand("logout", "Log out and forget the tokens"),
         [&ctx] { return logout(ctx); });
}

}  // namespace stratus::cli::detail
