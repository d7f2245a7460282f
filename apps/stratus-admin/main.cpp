// stratus-admin: the super-admin's command-line client of a Stratus cloud (OTA images
// and jobs). Everything lives in src/cli; this only wires the process to it.
// Exit codes: 0 success, 1 failure, 2 usage error.
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/admin_app.hpp"

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv, argv + argc);
  stratus::cli::Environment env{std::cin, std::cout, std::cerr};
  env.read_secret = stratus::cli::read_secret_from_terminal;
  env.interactive = ::isatty(STDIN_FILENO) != 0;
  const int status = stratus::cli::run_admin(args, env);
  std::cout.flush();
  return status;
}
