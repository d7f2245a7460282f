// stratus-node: the node side of RainMaker on a Linux host. `claim` gets credentials from a
// Stratus server, `run` runs one virtual node with a line console, `swarm` runs many for
// load. Everything lives in src/node_cli (and src/agent, src/sim, src/cli); this only
// wires the process to it. Exit codes: 0 success, 1 failure, 2 usage error.
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "log/log.hpp"
#include "node_cli/app.hpp"

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  stratus::log::init(stratus::log::Level::warn);
  std::vector<std::string> args(argv, argv + argc);
  stratus::node_cli::Environment env{std::cout, std::cerr};
  env.read_secret = stratus::cli::read_secret_from_terminal;
  env.console_fd = STDIN_FILENO;
  const int status = stratus::node_cli::run(args, env);
  std::cout.flush();
  return status;
}
