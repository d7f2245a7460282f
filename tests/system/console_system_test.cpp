// `stratus-console --command … --json` against simulated gateways on a real mosquitto
// (issue 21 item 4): the non-interactive console as a CI job uses it — the gateways and
// sinks listed, a ping answered by every node, exit status 0; a command that fails makes
// the exit status 1 and says why; commands typed on standard input work the same.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "broker/ports.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "system/fluentd_listener.hpp"
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
        std::vector<std::string>{
            bin("stratus-node"), "wirepas-gateway", "--mqtt_hostname", "127.0.0.1", "--mqtt_port",
            std::to_string(port_), "--insecure", "--gateways", "2", "--nodes", "5", "--sinks", "2",
            "--gateway-prefix", "gw-", "--data_interval", "0", "--max_scratchpad_size", "512"},
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

// Every JSON object the console printed, by command.
std::vector<boost::json::object> results_of(const std::string& out) {
  std::vector<boost::json::object> results;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    boost::json::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object() && v.as_object().contains("command"))
      results.push_back(v.as_object());
  }
  return results;
}

TEST_F(ConsoleSystemTest, TheMeshCommandsRunFromTheCommandLine) {
  const auto image = dir_.path() / "image.otap";
  std::ofstream(image, std::ios::binary) << std::string(1300, '\x42');
  const auto [status, out] = console({"--json",
                                      "-c",
                                      "set_gateway gw-1",
                                      "-c",
                                      "set_sink sink0",
                                      "-c",
                                      "scratchpad_check_all timeout=1",
                                      "-c",
                                      "send_msap_cancel timeout=1",
                                      "-c",
                                      "scratchpad_update_only_nodes 4 timeout=1",
                                      "-c",
                                      "set_ndiag interval=120 timeout=1",
                                      "-c",
                                      "scratchpad_upload " + image.string() + " 5",
                                      "-c",
                                      "scratchpad_status",
                                      "-c",
                                      "scratchpad_update",
                                      "-c",
                                      "track_devices iterations=1",
                                      "-c",
                                      "toggle_byte_print",
                                      "-c",
                                      "!echo from the shell",
                                      "-c",
                                      "help"},
                                     "mesh.out");
  ASSERT_EQ(status, 0) << out;
  const auto r = results_of(out);
  ASSERT_EQ(r.size(), 13u) << out;
  for (const auto& o : r)
    EXPECT_TRUE(o.at("ok").as_bool()) << boost::json::serialize(o);
  EXPECT_EQ(r[2].at("nodes").as_array().size(), 6u) << out;  // five nodes and the sink
  EXPECT_EQ(r[3].at("acknowledged").as_array().size(), 6u);
  EXPECT_EQ(r[4].at("accepted").as_array().size(), 6u);
  // The network's sinks on both gateways carry the control: at least this gateway's six.
  EXPECT_GE(r[5].at("applied").as_array().size(), 6u);
  EXPECT_EQ(r[6].at("messages").to_number<int>(), 3);  // 1300 bytes in chunks of 512
  EXPECT_EQ(r[7].at("stored").at("seq").to_number<int>(), 5);
  EXPECT_EQ(r[7].at("stored").at("len").to_number<int>(), 1300);
  EXPECT_EQ(r[11].at("output").as_string(), "from the shell\n");
}

// A capture replayed with its timing gives the same `track_data_packets` records as the
// live console printed: every packet tracked live is tracked again, field for field
// (apart from the local receive time and the delay computed from it).
TEST_F(ConsoleSystemTest, AReplayedCaptureTracksTheSamePackets) {
  ChildProcess traffic({bin("stratus-node"), "wirepas-gateway", "--mqtt_hostname", "127.0.0.1",
                        "--mqtt_port", std::to_string(port_), "--insecure", "--gateways", "1",
                        "--nodes", "5", "--gateway-prefix", "data-", "--data_interval", "1"},
                       {}, dir_.path() / "traffic.out");
  wait_status("gw-event/status/data-0");
  const auto capture = (dir_.path() / "traffic.jsonl").string();
  const std::string track =
      "track_data_packets gw_id=data-0 source_endpoint=1 update_rate=1 format=json iterations=";
  const auto [live_status, live] =
      console({"--json", "--capture", capture, "-c", track + "3"}, "track-live.out");
  ASSERT_EQ(live_status, 0) << live;
  const auto [replay_status, replayed] =
      console({"replay", capture, "--speed", "1", "--json", "-c", track + "5"}, "track-replay.out");
  ASSERT_EQ(replay_status, 0) << replayed;
  const auto packets = [](const std::string& out) {
    std::map<std::string, std::string> by_event;  // event id → the record without local times
    for (auto& r : results_of(out)) {
      for (auto& p : r.at("packets").as_array()) {
        auto o = p.as_object();
        o.erase("received_at");
        o.erase("transport_delay");
        by_event[boost::json::serialize(o.at("event_id"))] = boost::json::serialize(o);
      }
    }
    return by_event;
  };
  const auto seen_live = packets(live);
  const auto seen_again = packets(replayed);
  ASSERT_GE(seen_live.size(), 10u) << live;  // five nodes a second for three seconds
  for (const auto& [event, record] : seen_live) {
    ASSERT_TRUE(seen_again.contains(event)) << event << " not tracked in the replay";
    EXPECT_EQ(seen_again.at(event), record);
  }
}

// A capture published again keeps its spacing: four messages 0.4, 0.5 and 0.6 s apart
// arrive at a subscriber with the same gaps (within 0.15 s), and at once when asked.
TEST_F(ConsoleSystemTest, ACaptureRepublishedToABrokerKeepsItsTiming) {
  const auto capture = dir_.path() / "timed.jsonl";
  {
    std::ofstream f(capture);
    const std::int64_t t0 = 1'700'000'000'000'000;
    const std::int64_t offsets[] = {0, 400'000, 900'000, 1'500'000};
    for (int i = 0; i < 4; ++i)
      f << R"({"t_us":)" << t0 + offsets[i] << R"(,"topic":"replay/)" << i
        << R"(","qos":1,"retain":false,"payload":"aGVsbG8="})"
        << "\n";
  }
  TestMqttOptions o;
  o.port = port_;
  o.client_id = "timing-watcher";
  TestMqttClient watcher(o);
  ASSERT_EQ(watcher.connect(), 0);
  ASSERT_EQ(watcher.subscribe("replay/#"), 1);
  const auto url = "mqtt://127.0.0.1:" + std::to_string(port_);
  const auto arrivals = [&](std::vector<std::string> extra, const char* name) {
    std::vector<std::string> argv = {bin("stratus-console"), "replay", capture.string(),
                                     "--to-broker", url};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ChildProcess replay(argv, {}, dir_.path() / name);
    std::vector<std::chrono::steady_clock::time_point> at;
    for (int i = 0; i < 4; ++i) {
      const auto topic = "replay/" + std::to_string(i);
      auto m = watcher.wait_message([&](const TestMessage& t) { return t.topic == topic; }, 20s);
      EXPECT_TRUE(m && m->payload == "hello") << topic << "\n" << replay.output();
      at.push_back(std::chrono::steady_clock::now());
    }
    const int status = replay.stop(0, 20s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << replay.output();
    std::vector<std::int64_t> gaps;
    for (std::size_t i = 1; i < at.size(); ++i)
      gaps.push_back(
          std::chrono::duration_cast<std::chrono::milliseconds>(at[i] - at[i - 1]).count());
    return gaps;
  };
  const auto timed = arrivals({}, "timed.out");
  const std::int64_t expected[] = {400, 500, 600};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_GE(timed.at(i), expected[i] - 150) << "gap " << i;
    EXPECT_LE(timed.at(i), expected[i] + 150) << "gap " << i;
  }
  const auto fast = arrivals({"--as-fast-as-possible"}, "fast.out");
  EXPECT_LT(fast.at(0) + fast.at(1) + fast.at(2), 300);
  EXPECT_EQ(console({"replay", capture.string(), "--to-broker", "http://x"}, "bad.out").first, 1);
}

// The console's log: JSON lines on stderr at the level asked for, and the same records at
// fluentd under <tag>.<record> with the original's fields.
TEST_F(ConsoleSystemTest, TheLogGoesToStderrAndToFluentd) {
  FluentdListener fluentd;
  const auto [status, out] =
      console({"--debug_level", "info", "--log-format", "json", "--fluentd_hostname", "127.0.0.1",
               "--fluentd_port", std::to_string(fluentd.port()), "--fluentd_tag", "console", "-c",
               "gateways", "-c", "frobnicate"},
              "log.out");
  EXPECT_EQ(status, 1) << out;  // frobnicate failed
  bool connected = false;
  bool failed = false;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("{"))
      continue;
    const auto v = boost::json::parse(line).as_object();
    if (v.at("message").as_string().starts_with("connected to 127.0.0.1:"))
      connected = v.at("level").as_string() == "INFO";
    if (v.at("message").as_string().starts_with("command failed: frobnicate"))
      failed = v.at("ok").as_string() == "false" && v.contains("error");
  }
  EXPECT_TRUE(connected) << out;
  EXPECT_TRUE(failed) << out;
  const auto has = [&](const std::string& message) {
    return fluentd.wait_for(
        [&](const FluentdRecord& r) {
          const auto m = r.fields.find("message");
          return r.tag == "console.log" && m != r.fields.end() && m->second.starts_with(message) &&
                 r.fields.contains("host") && r.fields.at("type") == "INFO" &&
                 r.fields.at("where") == "stratus-console";
        },
        10s);
  };
  EXPECT_TRUE(has("connected to 127.0.0.1:"));
  EXPECT_TRUE(has("command ok: gateways"));
  EXPECT_TRUE(has("command failed: frobnicate"));
}

// The interactive line on a terminal: TAB completes a command, the line runs, the history
// file keeps it, Ctrl-D (end of input) leaves at once.
TEST_F(ConsoleSystemTest, TheTerminalLineCompletesAndKeepsHistory) {
  const auto capture = dir_.path() / "empty.jsonl";
  std::ofstream(capture) << "";
  const auto home = dir_.path() / "home";
  std::filesystem::create_directories(home);
  // The child's environment and argv, made before the fork (only exec runs after it).
  std::vector<std::string> env_text = {"HOME=" + home.string(), "TERM=vt100"};
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("HOME=") && !std::string_view(*e).starts_with("TERM="))
      env_text.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_text)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string console_bin = bin("stratus-console");
  std::string replay = "replay";
  std::string capture_path = capture.string();
  char* argv[] = {console_bin.data(), replay.data(), capture_path.data(), nullptr};
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  std::string screen;
  const auto read_until = [&](const std::string& text, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (screen.find(text) == std::string::npos && std::chrono::steady_clock::now() < until) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char buffer[4096];
        const auto n = ::read(master, buffer, sizeof buffer);
        if (n <= 0)
          break;
        screen.append(buffer, static_cast<std::size_t>(n));
      }
    }
    return screen.find(text) != std::string::npos;
  };
  const auto type = [&](const std::string& keys) {
    ASSERT_EQ(::write(master, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  };
  ASSERT_TRUE(read_until("stratus-console > ", 10s)) << screen;
  type("selecti\t");  // completes to "selection " (the terminal may move the cursor)
  ASSERT_TRUE(read_until("on ", 5s)) << screen;
  type("\r");
  ASSERT_TRUE(read_until("gateway : None", 5s)) << screen;
  // The next prompt, so libedit reads the terminal again (a Ctrl-D typed between two reads
  // is the cooked terminal's end of file, gone before libedit sees it).
  const auto after = screen.find("gateway : None");
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (screen.find("stratus-console > ", after) == std::string::npos &&
         std::chrono::steady_clock::now() < until)
    read_until("\x01never\x01", 100ms);
  ASSERT_NE(screen.find("stratus-console > ", after), std::string::npos) << screen;
  type("\x04");  // Ctrl-D at an empty line
  ASSERT_TRUE(read_until("Thank you for using stratus-console", 5s)) << screen;
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::close(master);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << screen;
  std::ifstream history(home / ".stratus-console-history");
  std::stringstream text;
  text << history.rdbuf();
  EXPECT_NE(text.str().find("selection"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace stratus::test
