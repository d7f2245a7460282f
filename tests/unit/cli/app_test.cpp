// Proves the stratus command's parsing and the commands that need no server:
// help and usage errors (exit 2), the global flags before or after the command,
// the "not logged in" line, and the profile commands end to end on disk.
// How: cli::run with string streams and an injected environment whose
// XDG_CONFIG_HOME is a temp dir.
#include "cli/app.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "support/temp_dir.hpp"

namespace stratus::cli {
namespace {

class AppTest : public ::testing::Test {
 protected:
  struct Outcome {
    int status;
    std::string out;
    std::string err;
  };

  Outcome run_stratus(std::vector<std::string> args, const std::string& input = {}) {
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    Environment env(in, out, err);
    const std::string xdg = dir_.path().string();
    env.getenv = [xdg](const std::string& name) -> std::optional<std::string> {
      if (name == "XDG_CONFIG_HOME")
        return xdg;
      return std::nullopt;
    };
    args.insert(args.begin(), "stratus");
    const int status = run(args, env);
    return {status, out.str(), err.str()};
  }

  test::TempDir dir_;
};

TEST_F(AppTest, HelpAndUsageErrors) {
  auto help = run_stratus({"--help"});
  EXPECT_EQ(help.status, 0);
  for (const auto* command : {"signup", "login", "getnodes", "setparams", "claim", "profile"})
    EXPECT_NE(help.out.find(command), std::string::npos) << command;

  auto none = run_stratus({});
  EXPECT_EQ(none.status, 2);
  auto unknown = run_stratus({"otajob", "x"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(unknown.err, "error: unknown command \"otajob\" (see: stratus --help)\n");
  EXPECT_EQ(run_stratus({"getnodes", "--bogus"}).status, 2);
  EXPECT_EQ(run_stratus({"getnodeconfig"}).status, 2);  // node id missing
  EXPECT_EQ(run_stratus({"setparams", "n1", "--data", "{}", "--filepath", "f"}).status, 2);
  EXPECT_EQ(run_stratus({"claim", "--key_type", "dsa"}).status, 2);
  EXPECT_EQ(run_stratus({"test", "--addnode", "n1", "--timeout", "0"}).status, 2);
  EXPECT_EQ(run_stratus({"node"}).status, 2);
}

// Provisioning and local control refuse bad flags before any request, and local control
// needs no login: an unreachable node is the error, not the missing session.
TEST_F(AppTest, ProvisionAndLocalControlFlags) {
  EXPECT_EQ(run_stratus({"provision", "pop", "--transport", "ble"}).status, 2);
  EXPECT_EQ(run_stratus({"provision", "pop", "--sec_ver", "3"}).status, 2);
  auto r = run_stratus({"provision"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("proof of possession"), std::string::npos) << r.err;
  r = run_stratus({"getparams", "n1", "--local", "--device-address", "127.0.0.1:1", "--pop", "p"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot reach the device at 127.0.0.1:1"), std::string::npos) << r.err;
  r = run_stratus({"getnodeconfig", "n1", "--local", "--device-address", "nohost"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("has no port"), std::string::npos) << r.err;
  r = run_stratus(
      {"setparams", "n1", "--local", "--device-address", "127.0.0.1:1", "--data", "[1]"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("must be a JSON object"), std::string::npos) << r.err;
}

TEST_F(AppTest, NotLoggedInIsOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"getnodes"},
                                                                {"getnodes", "--json"},
                                                                {"--json", "getuserinfo"},
                                                                {"logout"},
                                                                {"getparams", "n1"},
                                                                {"claim"},
                                                                {"test", "--addnode", "n1"}}) {
    auto r = run_stratus(args);
    EXPECT_EQ(r.status, 1) << args[0];
    EXPECT_EQ(r.err, "error: not logged in; run: stratus login --user_name <email>\n") << args[0];
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(AppTest, CommandErrorsBeforeAnyRequest) {
  auto r = run_stratus({"setparams", "n1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: --data or --filepath is required\n");
  r = run_stratus({"login"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: --user_name is required\n");
  r = run_stratus({"--profile", "nope", "getnodes"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("error: unknown profile \"nope\"", 0), 0u) << r.err;
  // No password source and no terminal: a clear error, no request.
  r = run_stratus({"login", "--user_name", "a@b.c"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("STRATUS_PASSWORD"), std::string::npos) << r.err;
}

// The command-response commands check their arguments before any request.
TEST_F(AppTest, CommandRequestArguments) {
  auto r = run_stratus({"create_cmd_request", "n1", "abc", "{}"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: cmd must be a number 0..65535\n");
  r = run_stratus({"create_cmd_request", "n1", "70000", "{}"});
  EXPECT_EQ(r.status, 1);
  r = run_stratus({"create_cmd_request", ",", "1", "{}"});
  EXPECT_EQ(r.err, "error: no node id given\n");
  r = run_stratus({"create_cmd_request", "n1", "1"});
  EXPECT_EQ(r.status, 2) << "data is required";
  r = run_stratus({"get_cmd_requests"});
  EXPECT_EQ(r.status, 2) << "request_id is required";
  r = run_stratus({"create_cmd_request", "n1", "4097", R"({"seconds":2})", "--timeout", "60"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not logged in"), std::string::npos) << r.err;
}

// `tsdata` checks its arguments before any request.
TEST_F(AppTest, TsdataArguments) {
  EXPECT_EQ(run_stratus({"tsdata", "n1"}).status, 2) << "the param is required";
  auto r = run_stratus({"tsdata", "n1", "S.T", "--aggregate", "median"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: --aggregate: one of raw, latest, min, max, avg, sum, count\n");
  r = run_stratus({"tsdata", "n1", "S.T", "--interval", "fortnight", "--aggregate", "avg"});
  EXPECT_EQ(r.err, "error: --interval: one of minute, hour, day, week, month, year\n");
  r = run_stratus({"tsdata", "n1", "S.T", "--from", "yesterday", "--tz", "UTC"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--from: expected Unix seconds or an ISO 8601 time"), std::string::npos)
      << r.err;
  for (const auto* from : {"1774742400", "2026-03-29", "2026-03-29T08:30", "2026-03-29T08:30:00Z",
                           "2026-03-29T08:30:00+02:00"}) {
    r = run_stratus({"tsdata", "n1", "S.T", "--from", from, "--tz", "Europe/Berlin", "--csv"});
    EXPECT_EQ(r.status, 1) << from;
    EXPECT_NE(r.err.find("not logged in"), std::string::npos) << from << ": " << r.err;
  }
}

TEST_F(AppTest, ProfileCommands) {
  auto r = run_stratus({"profile", "show"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("local (current)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http://127.0.0.1:8080"), std::string::npos);
  EXPECT_NE(r.out.find("not logged in"), std::string::npos);

  r = run_stratus({"profile", "add", "lab", "--url", "http://10.0.0.5:8080/v1/"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "added profile lab; use it with: stratus profile switch lab\n");
  r = run_stratus({"profile", "add", "lab", "--base-url", "http://10.0.0.6:8080"});
  EXPECT_EQ(r.out, "updated profile lab; use it with: stratus profile switch lab\n");
  EXPECT_EQ(run_stratus({"profile", "add", "bad", "--url", "10.0.0.6"}).status, 1);

  r = run_stratus({"profile", "switch", "lab"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "switched to profile lab\n");
  r = run_stratus({"profile", "list"});
  EXPECT_EQ(r.out,
            "   PROFILE  URL                    USER\n"
            "*  lab      http://10.0.0.6:8080   -\n"
            "   local    http://127.0.0.1:8080  -\n");
  r = run_stratus({"profile", "show", "--profile", "local"});
  EXPECT_NE(r.out.find("profile  local\n"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "stratus" / "profiles.json"));
  EXPECT_EQ(run_stratus({"profile", "switch", "nope"}).status, 1);
}

}  // namespace
}  // namespace stratus::cli
