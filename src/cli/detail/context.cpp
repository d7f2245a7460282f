#include "cli/detail/context.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <thread>

#include "cli/format.hpp"
#include "client/jwt.hpp"
#include "core/assert.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::cli::detail {

std::string key_values(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t width = 0;
  for (const auto& [k, v] : rows)
    width = std::max(width, k.size());
  std::string out;
  for (const auto& [k, v] : rows) {
    out += k;
    out.append(width - k.size() + 2, ' ');
    out += v;
    out += '\n';
  }
  return out;
}

Context::Context(Environment& env, const GlobalOptions& global, std::string program)
    : env_(env), global_(global), program_(std::move(program)) {
  static const SystemClock system;
  clock_ = env.clock != nullptr ? env.clock : &system;
}

std::string Context::login_hint() const {
  return "run: " + program_ + " login --user_name <email>";
}

void Context::on(CLI::App& command, std::function<int()> handler) {
  command.callback([this, h = std::move(handler)] { chosen_ = h; });
}

int Context::run_chosen() {
  STRATUS_ASSERT(chosen_, "run_chosen without a parsed command");
  return chosen_();
}

int Context::report(const Error& e) {
  env_.err << error_line(e) << '\n';
  return 1;
}

int Context::report_call(const Error& e) {
  namespace code = proto::rest::account_error;
  if (e.code == errc::unauthenticated && e.reason != 0 && e.reason != code::wrong_credentials &&
      e.reason != code::wrong_old_password) {
    Error hinted = e;
    const auto user = logged_in_user(profile_name_);
    hinted.context +=
        "; run: " + program_ + " login --user_name " + (user.empty() ? "<email>" : user);
    return report(hinted);
  }
  return report(e);
}

void Context::print_json(std::string_view text) {
  env_.out << pretty_json(text);
}

Result<ProfileStore*> Context::store() {
  if (store_)
    return &*store_;
  auto dir = config_dir(env_.getenv);
  if (!dir)
    return fail(dir.error());
  auto opened = ProfileStore::open(*dir);
  if (!opened)
    return fail(opened.error());
  store_.emplace(std::move(*opened));
  return &*store_;
}

Result<Profile> Context::profile() {
  auto s = store();
  if (!s)
    return fail(s.error());
  return (*s)->get(global_.profile.empty() ? (*s)->current_name() : global_.profile);
}

std::string Context::logged_in_user(const std::string& name) {
  auto s = store();
  if (!s)
    return {};
  auto tokens = (*s)->load_tokens(name);
  if (!tokens || !*tokens)
    return {};
  auto claims = client::decode_token_claims((*tokens)->id_token);
  return claims ? claims->account_name() : std::string();
}

Result<client::Session> Context::session(bool need_login) {
  auto p = profile();
  if (!p)
    return fail(p.error());
  client::SessionOptions options;
  options.url = p->url;
  options.ca_file = p->ca_file;
  auto s = client::Session::open(std::move(options), *clock_);
  if (!s)
    return fail(s.error());
  profile_name_ = p->name;
  if (need_login) {
    auto tokens = (*store())->load_tokens(p->name);
    if (!tokens)
      return fail(tokens.error());
    if (!*tokens)
      return fail(errc::unauthenticated, "not logged in; " + login_hint());
    s->set_tokens(std::move(**tokens));
  }
  ProfileStore* st = *store();
  std::string name = p->name;
  s->on_tokens_changed([st, name](const client::Tokens& t) { (void)st->save_tokens(name, t); });
  return s;
}

Result<std::string> Context::password(const std::string& given, std::string_view what,
                                      bool confirm) {
  if (!given.empty())
    return given;
  if (auto env = env_.getenv("STRATUS_PASSWORD"); env && !env->empty())
    return *env;
  const auto prompt = [this](const std::string& text) -> std::optional<std::string> {
    if (!env_.read_secret)
      return std::nullopt;
    return env_.read_secret(text);
  };
  auto first = prompt(std::string(what) + ": ");
  if (!first) {
    return fail(errc::invalid_argument,
                "no password: pass --password, set STRATUS_PASSWORD or run in a terminal");
  }
  if (confirm) {
    auto second = prompt("Confirm " + std::string(what) + ": ");
    if (!second || *second != *first)
      return fail(errc::invalid_argument, "the passwords do not match");
  }
  return *first;
}

std::optional<std::string> Context::verification_code(const std::string& given,
                                                      const std::string& user) {
  if (!given.empty())
    return given;
  if (env_.interactive)
    env_.err << "Verification code sent to " << user << ": " << std::flush;
  std::string line;
  if (!std::getline(env_.in, line))
    return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  while (!line.empty() && line.front() == ' ')
    line.erase(line.begin());
  if (line.empty())
    return std::nullopt;
  return line;
}

void Context::sleep(std::chrono::milliseconds d) {
  if (env_.sleep) {
    env_.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

}  // namespace stratus::cli::detail

namespace stratus::cli::detail {

void add_global_flags(CLI::App& app, GlobalOptions& global) {
  app.add_flag("--json", global.json,
               "Print the server's JSON answers (indented) instead of tables");
  app.add_option("--profile", global.profile, "Use this profile instead of the current one");
}

int parse_and_run(CLI::App& app, Context& ctx, const std::vector<std::string>& args) {
  auto& env = ctx.env();
  const std::string& program = ctx.program();
  // CLI11 reports an unknown command as "a subcommand is required"; say it plainly.
  if (args.size() > 1 && !args[1].empty() && args[1].front() != '-') {
    bool known = false;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      known = known || sub->get_name() == args[1];
    if (!known) {
      env.err << "error: unknown command \"" << args[1] << "\" (see: " << program << " --help)\n";
      return 2;
    }
  }
  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args)
    argv.push_back(arg.c_str());
  if (argv.empty())
    argv.push_back(program.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::ParseError& e) {
    env.err << "error: " << e.what() << " (see: " << program << " --help)\n";
    return 2;
  }
  if (!ctx.has_chosen()) {
    env.err << "error: a command is required (see: " << program << " --help)\n";
    return 2;
  }
  return ctx.run_chosen();
}

}  // namespace stratus::cli::detail
