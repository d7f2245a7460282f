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
  detail::add_global_flags(app, global);

  detail::Context ctx(env, global, "stratus");
  detail::add_account(app, ctx);
  detail::add_nodes(app, ctx);
  detail::add_params(app, ctx);
  detail::add_cmd_requests(app, ctx);
  detail::add_tsdata(app, ctx);
  detail::add_mapping(app, ctx);
  detail::add_provision(app, ctx);
  detail::add_claiming(app, ctx);
  detail::add_tags_metadata(app, ctx);
  detail::add_sharing(app, ctx);
  detail::add_node_groups(app, ctx);
  detail::add_automations(app, ctx);
  detail::add_otaupgrade(app, ctx);
  detail::add_events(app, ctx);
  detail::add_profiles(app, ctx);
  return detail::parse_and_run(app, ctx, args);
}

}  // namespace stratus::cli
