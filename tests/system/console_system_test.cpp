// `stratus-console --command … --json` against simulated gateways on a real mosquitto
// (issue 21 item 4): the non-interactive console as a CI job uses it — the gateways and
// sinks listed, a ping answered by every node, exit status 0; a command that fails makes
// the exit status 1 and says why; commands typed on standard input work the same.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "broker/ports.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "system/mosquitto_process.hpp"
#include "system/mqtt_test_client.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;

class ConsoleSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    port_ = *broker::pick_free_port("127.0.0.1");
    broker_ = std::make_unique<MosquittoProcess>(dir_.path(), port_, "allow_anonymous true\n");
    ASSERT_TRUE(broker_->start()) << broker_->log();
    gateways_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{bin("stratus-node"), "wirepas-gateway", "--mqtt_hostname",
                                 "127.0.0.1", "--mqtt_port", std::to_string(port_), "--insecure",
                                 "--gateways", "2", "--nodes", "5", "--sinks", "2",
                                 "--gateway-prefix", "gw-", "--data_interval", "0"},
        std::vector<std::string>{}, dir_.path() / "gateways.out");
    // Both gateways are up once their retained ONLINE statuses are on the broker.
    wait_status("gw-event/status/gw-0");
    wait_status("gw-event/status/gw-1");
  }

  // Waits for a retained status on `topic` (the gateway is connected).
  void wait_status(const std::string& topic) {
    TestMqttOptions o;
    o.port = port_;
    o.client_id = "watcher";
    TestMqttClient watcher(o);
    ASSERT_EQ(watcher.connect(), 0);
    ASSERT_EQ(watcher.subscribe("gw-event/status/+"), 1);
    ASSERT_TRUE(watcher.wait_message([&](const TestMessage& m) { return m.topic == topic; }, 15s))
        << topic << "\n"
        << gateways_->output();
  }

  static std::string bin(const std::string& name) {
    return std::string(std::getenv("STRATUS_BUILD_DIR")) + "/bin/" + name;
  }

  // Runs the console with `extra` arguments; returns (exit status, stdout+stderr).
  std::pair<int, std::string> console(std::vector<std::string> extra, const std::string& name) {
    std::vector<std::string> argv = {bin("stratus-console")};
    if (extra.empty() || extra[0] != "replay") {  // replay is offline: no broker
      for (const char* a : {"--mqtt_hostname", "127.0.0.1", "--mqtt_port"})
        argv.emplace_back(a);
      argv.push_back(std::to_string(port_));
      argv.push_back("--insecure");
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    ChildProcess c(argv, {}, dir_.path() / name);
    const int status = c.stop(0, 30s);  // signal 0: wait for it to finish
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, c.output()};
  }

  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<MosquittoProcess> broker_;
  std::unique_ptr<ChildProcess> gateways_;
};

TEST_F(ConsoleSystemTest, CommandsRunAgainstTheMeshAndSetTheExitStatus) {
  const auto [status, out] = console(
      {"--json", "--command", "gateways", "--command", "set_gateway gw-1", "--command",
       "set_sink sink0", "--command", "ping timeout=1", "--command", "gateway_configuration"},
      "json.out");
  ASSERT_EQ(status, 0) << out;
  std::istringstream lines(out);
  std::vector<boost::json::object> results;
  for (std::string line; std::getline(lines, line);)
    results.push_back(boost::json::parse(line).as_object());
  ASSERT_EQ(results.size(), 5u) << out;
  const auto& gws = results[0].at("gateways").as_array();
  ASSERT_EQ(gws.size(), 2u) << out;
  EXPECT_EQ(gws[1].at("gw_id").as_string(), "gw-1");
  EXPECT_EQ(gws[1].at("state").as_string(), "online");
  EXPECT_EQ(gws[1].at("sinks").as_array().size(), 2u);
  EXPECT_EQ(results[3].at("replies").as_array().size(), 6u) << out;  // 5 nodes and the sink
  const auto& sinks = results[4].at("gateways").as_array().at(0).at("sinks").as_array();
  ASSERT_EQ(sinks.size(), 2u);
  EXPECT_FALSE(sinks[1].as_object().contains("network_address"));  // shipped unconfigured

  const auto [failed, why] = console({"--command", "set_sink sink0"}, "fail.out");
  EXPECT_EQ(failed, 1) << why;
  EXPECT_NE(why.find("Command FAIL. Set gateway first."), std::string::npos) << why;

  const auto script = dir_.path() / "commands.txt";
  std::ofstream(script)
      << "# a comment\nset_gateway gw-0\nset_sink sink0\n\nsend_data 50 50 1000 cafe\n";
  const auto [ok, text] = console({"--script", script.string()}, "script.out");
  EXPECT_EQ(ok, 0) << text;
  EXPECT_NE(text.find("send_data GW_RES_OK"), std::string::npos) << text;
}

TEST_F(ConsoleSystemTest, ACaptureReplaysOfflineIntoTheSameMap) {
  const auto capture = (dir_.path() / "capture.jsonl").string();
  const auto [live_status, live] =
      console({"--json", "--capture", capture, "--command", "set_gateway gw-0", "--command",
               "set_sink sink0", "--command", "ping timeout=1", "--command", "gateways",
               "--command", "nodes"},
              "live.out");
  ASSERT_EQ(live_status, 0) << live;
  const auto [replay_status, replayed] =
      console({"replay", capture, "--json", "--command", "gateways", "--command",
               "set_gateway gw-0", "--command", "nodes"},
              "replay.out");
  ASSERT_EQ(replay_status, 0) << replayed;
  // `gateways` and `nodes` through gw-0, live and replayed, describe the same mesh.
  const auto last = [](const std::string& text, std::size_t from_end) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
      if (l.starts_with("{"))
        lines.push_back(l);
    return boost::json::parse(lines.at(lines.size() - from_end)).as_object();
  };
  const auto ids = [](const boost::json::object& o, const char* list, const char* key) {
    std::vector<std::string> out;
    for (const auto& v : o.at(list).as_array())
      out.push_back(boost::json::serialize(v.at(key)));
    return out;
  };
  EXPECT_EQ(ids(last(live, 2), "gateways", "gw_id"), ids(last(replayed, 3), "gateways", "gw_id"));
  EXPECT_EQ(ids(last(live, 1), "nodes", "address"), ids(last(replayed, 1), "nodes", "address"));
  EXPECT_EQ(last(replayed, 1).at("nodes").as_array().size(), 6u);  // 5 nodes and the sink
  EXPECT_NE(replayed.find("replayed "), std::string::npos) << replayed;
}

// Issue 20's "diag interval change visible in the uplink rate", through the console: 2 000
// nodes report diagnostics every 60 s (each at a random phase), then every 30 s once the
// app config says so (the simulator reschedules them all at once). In 4 s that is about
// 133 reports (sd 11), then about 267 (sd 15): the test asks for 50 more.
TEST_F(ConsoleSystemTest, ADiagnosticsIntervalChangeShowsInTheUplinkRate) {
  ChildProcess big({bin("stratus-node"), "wirepas-gateway", "--mqtt_hostname", "127.0.0.1",
                    "--mqtt_port", std::to_string(port_), "--insecure", "--gateways", "1",
                    "--nodes", "2000", "--gateway-prefix", "diag-", "--data_interval", "0"},
                   {}, dir_.path() / "big.out");
  wait_status("gw-event/status/diag-0");
  const std::string track =
      "track_data_packets gw_id=diag-0 destination_endpoint=255 iterations=4 update_rate=1";
  const auto [status, out] = console(
      {"--json", "--command", "set_gateway diag-0", "--command", "set_sink sink0", "--command",
       track, "--command", "set_app_config app_config_seq=2 app_config_data=00 app_config_diag=30",
       "--command", track},
      "diag.out");
  ASSERT_EQ(status, 0) << out.substr(0, 2000);
  std::vector<std::size_t> counts;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto v = boost::json::parse(line).as_object();
    if (v.at("command").as_string() == "track_data_packets")
      counts.push_back(v.at("packets").as_array().size());
  }
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_GE(counts[0], 60u);
  EXPECT_GE(counts[1], counts[0] + 50) << counts[0] << " then " << counts[1];
}

TEST_F(ConsoleSystemTest, AnUnreachableBrokerIsAClearError) {
  const auto port = *broker::pick_free_port("127.0.0.1");
  ChildProcess c(
      {bin("stratus-console"), "--mqtt_hostname", "127.0.0.1", "--mqtt_port", std::to_string(port),
       "--insecure", "--connect-timeout", "1", "--command", "gateways"},
      {}, dir_.path() / "down.out");
  const int status = c.stop(0, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << c.output();
  EXPECT_NE(c.output().find("error: cannot connect to 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << c.output();
}

}  // namespace
}  // namespace stratus::test
