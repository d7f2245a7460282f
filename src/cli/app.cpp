// `stratus`: the global flags, the command groups (src/cli/groups/, one file each) in
// the order `stratus --help` lists them, parsing, and running the chosen command.
#include "cli/app.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"

namespace stratus::cli {

std::optional<std::string> read_secret_from_terminal(std::string_view prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return std::nullopt;
  termios old{};
  if (::tcgetattr(fd, &old) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ICANON;
  (void)::write(fd, prompt.data(), prompt.size());
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string line;
  char c = 0;
  bool got = false;
  while (::read(fd, &c, 1) == 1) {
    got = true;
    if (c == '\n' || c == '\r')
      break;
    line.push_back(c);
  }
  ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)::write(fd, "\n", 1);
  ::close(fd);
  if (!got)
    return std::nullopt;
  return line;
}

int run(const std::vector<std::string>& args, Environment& env) {
  detail::GlobalOptions global;
  CLI::App app{"stratus: the command-line client of a Stratus (ESP RainMaker compatible) cloud",
               "stratus"};
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", "stratus 0.1.0");
  app.add_flag("--json", global.json,
               "Print the server's JSON answers (indented) instead of tables");
  app.add_option("--profile", global.profile, "Use this profile instead of the current one");

  detail::Context ctx(env, global);
  detail::add_account(app, ctx);
  detail::add_nodes(app, ctx);
  detail::add_params(app, ctx);
  detail::add_cmd_requests(app, ctx);
  detail::add_tsdata(app, ctx);
  detail::add_mapping(app, ctx);
  detail::add_claiming(app, ctx);
  detail::add_tags_metadata(app, ctx);
  detail::add_sharing(app, ctx);
  detail::add_node_groups(app, ctx);
  detail::add_automations(app, ctx);
  detail::add_events(app, ctx);
  detail::add_profiles(app, ctx);

  // CLI11 reports an unknown command as "a subcommand is required"; say it plainly.
  if (args.size() > 1 && !args[1].empty() && args[1].front() != '-') {
    bool known = false;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      known = known || sub->get_name() == args[1];
    if (!known) {
      env.err << "error: unknown command \"" << args[1] << "\" (see: stratus --help)\n";
      return 2;
    }
  }
  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args)
    argv.push_back(arg.c_str());
  if (argv.empty())
    argv.push_back("stratus");
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, env.out, env.err);
  } catch (const CLI::ParseError& e) {
    env.err << "error: " << e.what() << " (see: stratus --help)\n";
    return 2;
  }
  if (!ctx.has_chosen()) {
    env.err << "error: a command is required (see: stratus --help)\n";
    return 2;
  }
  return ctx.run_chosen();
}

}  // namespace stratus::cli
