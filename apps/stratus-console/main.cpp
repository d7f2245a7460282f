// stratus-console: the backend console for Wirepas gateways (src/console); this only wires
// the process to it. Exit codes: 0 success, 1 failure, 2 usage error.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "console/app.hpp"

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv, argv + argc);
  stratus::console::Environment env{std::cout, std::cerr};
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  const int status = stratus::console::run(args, env);
  std::cout.flush();
  return status;
}
