// `stratus-node`: the commands (claim.cpp, run_node.cpp, swarm.cpp, image.cpp, one file each),
// parsing, and running the chosen one.
#include "node_cli/app.hpp"

#include <CLI/CLI.hpp>
#include <ostream>

#include "node_cli/detail/context.hpp"

namespace stratus::node_cli {

int run(const std::vector<std::string>& args, Environment& env) {
  CLI::App app{"stratus-node: RainMaker nodes on a Linux host (claim, run, swarm, image)"};
  app.require_subcommand(1);
  detail::Context ctx(env);
  detail::add_claim(app, ctx);
  detail::add_run(app, ctx);
  detail::add_swarm(app, ctx);
  detail::add_image(app, ctx);
  detail::add_wirepas_gateway(app, ctx);

  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args)
    argv.push_back(arg.c_str());
  if (argv.empty())
    argv.push_back("stratus-node");
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e, env.out, env.err) == 0 ? 0 : 2;
  }
  return ctx.run_chosen();
}

}  // namespace stratus::node_cli
