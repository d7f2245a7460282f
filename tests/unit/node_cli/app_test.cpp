// Proves the stratus-node command's parsing and the failures that need no server: help,
// usage errors (exit 2), missing credentials for run and swarm, claim without a password.
// How: node_cli::run with string streams and an injected environment (no terminal).
#include "node_cli/app.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace stratus::node_cli {
namespace {

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome run_node_cli(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  Environment env(out, err);
  env.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  args.insert(args.begin(), "stratus-node");
  const int status = run(args, env);
  return {status, out.str(), err.str()};
}

TEST(NodeCliApp, HelpAndUsageErrors) {
  auto help = run_node_cli({"--help"});
  EXPECT_EQ(help.status, 0);
  for (const auto* command : {"claim", "run", "swarm"})
    EXPECT_NE(help.out.find(command), std::string::npos) << command;
  EXPECT_EQ(run_node_cli({}).status, 2);
  EXPECT_EQ(run_node_cli({"bogus"}).status, 2);
  EXPECT_EQ(run_node_cli({"claim"}).status, 2);  // --user_name missing
  EXPECT_EQ(run_node_cli({"swarm", "--count", "0", "--creds-dir", "x"}).status, 2);
}

TEST(NodeCliApp, FailuresPrintOneErrorLine) {
  auto run_missing = run_node_cli({"run", "--creds", "/nonexistent"});
  EXPECT_EQ(run_missing.status, 1);
  EXPECT_EQ(run_missing.err.rfind("error: missing /nonexistent/node.info", 0), 0u)
      << run_missing.err;

  auto swarm = run_node_cli({"swarm", "--creds-dir", "/nonexistent", "--count", "2"});
  EXPECT_EQ(swarm.status, 1);
  EXPECT_EQ(swarm.err,
            "error: no credentials in /nonexistent/node-00000; pass --user_name (and --server) "
            "to claim them\n");

  auto claim = run_node_cli({"claim", "--user_name", "u", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(claim.status, 1);
  EXPECT_EQ(claim.err, "error: no password: set STRATUS_PASSWORD or run on a terminal\n");
}

}  // namespace
}  // namespace stratus::node_cli
