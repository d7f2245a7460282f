// `stratus-console --stratus-data DIR` against a real stratusd and a virtual node (issue 21
// item 6): the console connects with stratusd's backend identity, read from the data dir,
// to the embedded mosquitto, and decodes the node's RainMaker traffic as it boots — its
// presence, node config and initial params — and lists it with `rm_nodes` (model, firmware,
// online, last params time). A data dir where stratusd does not run is a clear error.
// How: stratusd and stratus-node as child processes on free loopback ports; the node is
// claimed by a user signed up through the client library, as in node_agent_system_test.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "client/session.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kPassword = "Passw0rd123";

TEST(ConsoleRainMakerSystemTest, TheConsoleDecodesANodeThroughStratusdsBackendIdentity) {
  TempDir dir;
  const auto data = dir.path() / "data";
  StratusdProcess stratusd(
      data, {"--set", "accounts.argon2_mem_limit_kib=8", "--set", "accounts.argon2_ops_limit=1",
             "--set", "server.mqtt_host=127.0.0.1"});
  ASSERT_TRUE(stratusd.start()) << stratusd.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(stratusd.http_port());
  const std::string user = "carol@example.com";
  {
    client::SessionOptions options;
    options.url = url;
    auto session = client::Session::open(options);
    ASSERT_TRUE(session.has_value());
    ASSERT_TRUE(session->sign_up(user, kPassword).has_value());
    ASSERT_TRUE(session->confirm_sign_up(user, outbox_code(data, user)));
  }
  const std::vector<std::string> env = {"STRATUS_PASSWORD=" + std::string(kPassword),
                                        "HOME=" + dir.path().string()};
  const auto creds = dir.path() / "lamp";
  const auto claimed = run_process({build_binary("stratus-node").string(), "claim", "--server", url,
                                    "--user_name", user, "--outdir", creds.string()},
                                   env, "");
  ASSERT_EQ(claimed.exit_code, 0) << claimed.out << claimed.err;
  const auto node_id = std::string(
      json::parse(read_file(creds / "node.info")).as_object().at("node_id").as_string());

  // The console first (a node sends its config once per boot), then the node.
  ChildProcess console({build_binary("stratus-console").string(), "--stratus-data",
                        stratusd.files_dir().string(), "--debug_level", "info", "--json",
                        "--settle", "0", "-c",
                        "rm_track iterations=20 update_rate=1", "-c", "rm_nodes"},
                       {}, dir.path() / "console.out");
  ASSERT_TRUE(console.wait_output("connected to 127.0.0.1:", 20s)) << console.output();
  ChildProcess node(
      {build_binary("stratus-node").string(), "run", "--creds", creds.string(), "--model", "light"},
      env, dir.path() / "node.out");
  ASSERT_TRUE(node.wait_output("connected", 20s)) << node.output();
  const int status = console.stop(0, 60s);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << console.output();

  std::vector<json::object> results;
  std::istringstream lines(console.output());
  for (std::string line; std::getline(lines, line);) {
    json::error_code ec;
    auto v = json::parse(line, ec);
    if (!ec && v.is_object() && v.as_object().contains("command"))
      results.push_back(v.as_object());
  }
  ASSERT_EQ(results.size(), 2u) << console.output();
  std::set<std::string> kinds;
  for (const auto& m : results[0].at("messages").as_array()) {
    const auto& o = m.as_object();
    EXPECT_TRUE(o.at("decoded").as_bool()) << json::serialize(o);
    if (o.at("node_id").as_string() == node_id)
      kinds.insert(std::string(o.at("kind").as_string()));
  }
  for (const char* kind : {"presence", "config", "params/local/init"})
    EXPECT_TRUE(kinds.contains(kind)) << kind << "\n" << console.output();
  const auto& nodes = results[1].at("nodes").as_array();
  const auto it = std::find_if(nodes.begin(), nodes.end(), [&](const json::value& n) {
    return n.at("node_id").as_string() == node_id;
  });
  ASSERT_NE(it, nodes.end()) << console.output();
  EXPECT_EQ(it->at("online"), json::value(true));
  EXPECT_FALSE(it->at("fw_version").as_string().empty());
  EXPECT_GT(it->at("last_params_ms").to_number<std::int64_t>(), 0);

  // A data dir without a running stratusd says so.
  const auto down = run_process({build_binary("stratus-console").string(), "--stratus-data",
                                 dir.path().string(), "-c", "rm_nodes"},
                                {}, "");
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("stratusd does not run on"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace stratus::test
