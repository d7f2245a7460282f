// Issue 13, Medium 4: every client built on mqtt::Client reconnects after any loss. A
// node's client (mutual TLS, as stratus-node's agent uses it) and a stratusd in
// external-broker mode (its backend client) both come back after each of three kill -9s
// of the broker. Before the fix libmosquitto's loop thread gave up after the TLS error
// a killed broker leaves, and the node stayed offline.
// How: one stratusd with its embedded mosquitto (restarted by its supervisor on the same
// ports), a second stratusd using that mosquitto as its external broker, and an
// in-process mqtt::Client with a node certificate from the first one's CA.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <boost/json.hpp>

#include "mqtt/client.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;

TEST(Reconnect, NodeAndExternalBackendComeBackAfterEachBrokerKill) {
  TempDir dir;
  StratusdProcess embedded(dir.path() / "embedded",
                           {"--set", "broker.restart_backoff_min_ms=100", "--set",
                            "broker.restart_backoff_max_ms=500"});
  ASSERT_TRUE(embedded.start()) << embedded.output();
  const auto secret = (embedded.data_dir() / "pki" / "backend.secret").string();
  StratusdProcess external(
      dir.path() / "external",
      {"--set", "broker.mode=external", "--set", "broker.external_host=127.0.0.1", "--set",
       "broker.external_port=" + std::to_string(embedded.backend_port()), "--set",
       "broker.external_tls=false", "--set", "broker.external_username=stratus-backend", "--set",
       "broker.external_password_file=" + secret, "--set", "broker.reconnect_min_ms=100", "--set",
       "broker.reconnect_max_ms=1000"});
  ASSERT_TRUE(external.start()) << external.output();
  const auto healthy = [&] {
    return http_request("127.0.0.1", external.http_port(), "GET", "/healthz").status == 200;
  };
  ASSERT_TRUE(wait_until(healthy, 20s));

  const auto files = node_mqtt_options(embedded, dir.path(), "reconnecting-node");
  mqtt::ClientOptions o;
  o.host = "127.0.0.1";
  o.port = embedded.mqtt_port();
  o.client_id = "reconnecting-node";
  o.protocol_version = 4;  // what RainMaker firmware and stratus-node speak
  o.tls = mqtt::TlsOptions{files.ca_file, files.cert_file, files.key_file};
  o.reconnect_min = 100ms;
  o.reconnect_max = 1000ms;
  std::atomic<int> ups{0};
  auto node = mqtt::make_mosquitto_client(o, [](std::function<void()> f) { f(); });
  node->on_connection([&](bool up, const std::string&) {
    if (up)
      ++ups;
  });
  node->subscribe("node/reconnecting-node/params/remote", 1);
  ASSERT_TRUE(node->start());
  ASSERT_TRUE(wait_until([&] { return ups.load() == 1; }, 20s));

  const auto conf = (embedded.data_dir() / "broker" / "mosquitto.conf").string();
  for (int kill = 1; kill <= 3; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill));
    const auto before = processes_mentioning(conf);
    ASSERT_EQ(before.size(), 1u);
    ASSERT_EQ(::kill(before[0], SIGKILL), 0);
    ASSERT_TRUE(wait_until(
        [&] {
          const auto now = processes_mentioning(conf);
          return now.size() == 1 && now[0] != before[0];
        },
        30s))
        << "the supervisor restarts mosquitto";
    // Generous: once in a loaded CI run (ASan, other tests' processes) the first reconnect
    // took more than 30 s although every later one took under a second; the cause is not
    // known yet (issue notes, 2026-12-03), so this bounds the wait, not the speed.
    EXPECT_TRUE(wait_until([&] { return ups.load() == kill + 1; }, 90s))
        << "the node's client reconnected (" << ups.load() << " connects)";
    EXPECT_TRUE(wait_until([&] { return node->connected(); }, 10s));
    EXPECT_TRUE(wait_until(healthy, 30s)) << "the external-mode backend reconnected";
  }
  node->stop();
  EXPECT_FALSE(node->connected());
  EXPECT_TRUE(WIFEXITED(external.stop(SIGTERM)));
  EXPECT_TRUE(WIFEXITED(embedded.stop(SIGTERM)));
}

}  // namespace
}  // namespace stratus::test
