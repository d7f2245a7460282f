// Proves the stratus binary as people and scripts use it against the real
// stratusd: sign-up in two steps, login with STRATUS_PASSWORD, getnodes, claim,
// tokens stored per profile with private modes, one "error: … (code N)" line and
// exit 1 on failures, logout.
// How: stratusd (StratusdProcess) and the stratus binary run with fork/exec, with
// HOME and XDG_CONFIG_HOME in a temp dir; codes read from stratusd's outbox.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

class StratusCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ = new StratusdProcess(
        dir_->path() / "data",
        {"--set", "accounts.argon2_ops_limit=1", "--set", "accounts.argon2_mem_limit_kib=8"});
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
  }
  static void TearDownTestSuite() {
    delete stratusd_;
    delete dir_;
  }

  // `stratus <args>` with only HOME, XDG_CONFIG_HOME, PATH and `extra_env`.
  static ProcessResult stratus(std::vector<std::string> args, const std::string& input = {},
                               const std::vector<std::string>& extra_env = {}) {
    args.insert(args.begin(), build_binary("stratus").string());
    return run_process(args, cli_env(dir_->path(), extra_env), input);
  }

  static std::string url() { return "http://127.0.0.1:" + std::to_string(stratusd_->http_port()); }

  static TempDir* dir_;
  static StratusdProcess* stratusd_;
};

TempDir* StratusCliTest::dir_ = nullptr;
StratusdProcess* StratusCliTest::stratusd_ = nullptr;

TEST_F(StratusCliTest, SignUpLogInListClaimAndLogOut) {
  const std::string user = "erin@example.com";
  const std::string password = "STRATUS_PASSWORD=secret123";

  auto r = stratus({"profile", "add", "test", "--url", url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = stratus({"profile", "switch", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Sign-up, step 1 without a code on standard input: the command says how to finish.
  r = stratus({"signup", user}, "", {password});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stratus signup " + user + " --code"), std::string::npos) << r.out;
  const auto code = outbox_code(stratusd_->data_dir(), user);
  ASSERT_EQ(code.size(), 6u);
  r = stratus({"signup", user, "--code", code});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Not logged in yet.
  r = stratus({"getnodes"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: not logged in; run: stratus login --user_name <email>\n");

  // A wrong password: one error line with the server's code.
  r = stratus({"login", "--user_name", user, "--password", "wrong-password1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("(code 101009)"), std::string::npos) << r.err;

  r = stratus({"login", "--user_name", user}, "", {password});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "logged in as " + user + " (profile test, " + url() + ")\n");
  const auto tokens = dir_->path() / "config" / "stratus" / "tokens" / "test.json";
  struct stat st {};
  ASSERT_EQ(::stat(tokens.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(tokens.parent_path().parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  r = stratus({"getnodes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no nodes\n");
  r = stratus({"getnodes", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\n  \"nodes\": [],\n  \"total\": 0\n}\n");

  r = stratus({"getuserinfo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("user_name    " + user), std::string::npos) << r.out;

  r = stratus({"getmqtthost"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mqtt_port  " + std::to_string(stratusd_->mqtt_port())), std::string::npos)
      << r.out;

  // An unknown node: exit 1 and exactly one line naming the code.
  r = stratus({"getnodeconfig", "NoSuchNode0000000000001"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("(code 108005)"), std::string::npos) << r.err;

  // The time-series command sends a query the server accepts (no 126xxx refusal) and
  // reports the unknown node the same way.
  r = stratus({"tsdata", "NoSuchNode0000000000001", "Sensor.Temperature", "--aggregate", "avg",
               "--interval", "day", "--from", "2026-03-01", "--to", "2026-03-29T00:00", "--tz",
               "Europe/Berlin", "--csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("(code 108005)"), std::string::npos) << r.err;

  // Claim into the default layout: <config>/claim_data/<user_id>/<node_id>/.
  r = stratus({"claim", "--mac", "02AABBCCDDEE"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("claimed node ", 0), 0u) << r.out;
  const auto node_id = r.out.substr(13, r.out.find('\n') - 13);
  bool found = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           dir_->path() / "config" / "stratus" / "claim_data")) {
    if (entry.path().filename() == node_id && entry.is_directory()) {
      found = true;
      for (const auto* name : {"node.key", "node.crt", "ca.crt", "node.info"})
        EXPECT_TRUE(std::filesystem::exists(entry.path() / name)) << name;
    }
  }
  EXPECT_TRUE(found) << r.out;

  r = stratus({"logout"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tokens));
  r = stratus({"getnodes"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: not logged in; run: stratus login --user_name <email>\n");
}

TEST_F(StratusCliTest, AnUnreachableServerIsNamed) {
  const auto port = std::to_string(closed_port());
  ASSERT_EQ(stratus({"profile", "add", "gone", "--url", "http://127.0.0.1:" + port}).exit_code, 0);
  auto r = stratus({"--profile", "gone", "getmqtthost"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: cannot reach http://127.0.0.1:" + port + ": Connection refused\n");
}

}  // namespace
}  // namespace stratus::test
