// `stratus-console provisioning-server` against a real mosquitto with simulated joining
// nodes (issue 22; spec wirepas.md §5.3): `stratus-node wirepas-gateway --joining` runs
// four joining nodes, two secured and one unsecured listed in the configuration, one not;
// the three are provisioned and report from their new address in the network, the fourth
// is refused. The outcomes reach a fluentd (a socket in this test, read with msgpuck) and
// the --json-status file. SIGHUP reloads the list: a broken one is refused and the old one
// kept; a fixed one authorizes a node that then provisions through a second simulator.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "broker/ports.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "system/fluentd_listener.hpp"
#include "system/mosquitto_process.hpp"
#include "system/mqtt_test_client.hpp"
#include "wirepas/messages.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;

std::string factory_key_hex(int first) {
  std::string hex;
  for (int i = 0; i < 32; ++i) {
    char b[8];
    std::snprintf(b, sizeof b, "%s0x%02x", i ? " " : "", (first + i) & 0xFF);
    hex += b;
  }
  return hex;
}

const char* const kNetworkKeys =
    "  authentication_key: 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0A 0x0B 0x0C 0x0D "
    "0x0E 0x0F 0x10\n"
    "  encryption_key: 0x10 0x0F 0x0E 0x0D 0x0C 0x0B 0x0A 0x09 0x08 0x07 0x06 0x05 0x04 0x03 "
    "0x02 0x01\n";

// Gateway `index` of a simulator serves network 0x100000 + index on channel 1 + index.
std::string entry(const std::string& uid, int method, int node_id, int gateway) {
  std::string e = uid + ":\n  method: " + std::to_string(method) + "\n";
  if (method == 1)
    e += "  factory_key: " + factory_key_hex(node_id) + "\n";
  e += kNetworkKeys;
  e += "  network_address: " + std::to_string(0x100000 + gateway) + "\n";
  e += "  network_channel: " + std::to_string(1 + gateway) + "\n";
  e += "  node_id: " + std::to_string(node_id) + "\n";
  return e;
}

std::string joining(const std::string& uid, int method, int key_first) {
  std::string j = "- uid: " + uid + "\n  method: " + std::to_string(method) + "\n";
  if (method == 1)
    j += "  factory_key: \"" + factory_key_hex(key_first) + "\"\n";
  return j + "  timeout: 10\n  retries: 2\n";
}

class ProvisioningServerSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    port_ = *broker::pick_free_port("127.0.0.1");
    broker_ = std::make_unique<MosquittoProcess>(dir_.path(), port_, "allow_anonymous true\n");
    ASSERT_TRUE(broker_->start()) << broker_->log();
  }

  std::string bin(const std::string& name) const {
    return std::string(std::getenv("STRATUS_BUILD_DIR")) + "/bin/" + name;
  }

  std::unique_ptr<ChildProcess> simulator(const std::string& prefix, const std::string& file,
                                          const std::string& out) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{bin("stratus-node"), "wirepas-gateway", "--mqtt_hostname",
                                 "127.0.0.1", "--mqtt_port", std::to_string(port_), "--insecure",
                                 "--gateways", "2", "--nodes", "1", "--gateway-prefix", prefix,
                                 "--data_interval", "0", "--joining", file},
        std::vector<std::string>{}, dir_.path() / out);
  }

  // The status file's value at `path` ("outcomes.SUCCESS"), 0 when absent or unreadable.
  std::int64_t status_value(const std::string& a, const std::string& b = "") const {
    std::ifstream in(dir_.path() / "status.json");
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    if (ec || !v.is_object())
      return 0;
    const auto* x = v.as_object().if_contains(a);
    if (x != nullptr && !b.empty())
      x = x->is_object() ? x->as_object().if_contains(b) : nullptr;
    return x != nullptr && x->is_number() ? x->to_number<std::int64_t>() : 0;
  }

  bool wait_status(const std::string& a, const std::string& b, std::int64_t want,
                   std::chrono::milliseconds timeout = 30s) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (status_value(a, b) == want)
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<MosquittoProcess> broker_;
};

TEST_F(ProvisioningServerSystemTest, JoiningNodesAreProvisionedOrRefused) {
  const auto config = dir_.path() / "config.yml";
  std::ofstream(config) << entry("meter-a", 1, 5001, 0) << entry("meter-b", 1, 5002, 1)
                        << entry("lamp-c", 0, 5003, 0);
  namespace fs = std::filesystem;
  fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
  const auto nodes = dir_.path() / "joining.yml";
  // Node k joins through gateway k % 2: a → gw-0, b → gw-1, c → gw-0, d → gw-1.
  std::ofstream(nodes) << joining("meter-a", 1, 5001) << joining("meter-b", 1, 5002)
                       << joining("lamp-c", 0, 0) << joining("stranger-d", 0, 0);
  FluentdListener fluentd;
  const auto settings = dir_.path() / "settings.yml";
  std::ofstream(settings) << "mqtt_hostname: 127.0.0.1\nmqtt_port: " << port_
                          << "\nmqtt_username: ignored\nmqtt_password: ignored\n"
                          << "mqtt_force_unsecure: True\nprovisioning_config: " << config.string()
                          << "\nfluentd_hostname: 127.0.0.1\nfluentd_port: " << fluentd.port()
                          << "\nfluentd_tag: plant\n";

  TestMqttOptions o;
  o.port = port_;
  o.client_id = "observer";
  TestMqttClient observer(o);
  ASSERT_EQ(observer.connect(), 0);
  ASSERT_EQ(observer.subscribe("gw-event/received_data/#"), 1);

  ChildProcess server({bin("stratus-console"), "provisioning-server", "--settings",
                       settings.string(), "--json-status", (dir_.path() / "status.json").string()},
                      {}, dir_.path() / "server.out");
  ASSERT_TRUE(server.wait_output("connected to 127.0.0.1", 15s)) << server.output();
  auto sim = simulator("gw-", nodes.string(), "sim.out");

  ASSERT_TRUE(wait_status("outcomes", "SUCCESS", 3)) << server.output() << sim->output();
  ASSERT_TRUE(wait_status("outcomes", "ERROR_NOT_AUTHORIZED", 1)) << server.output();
  EXPECT_EQ(status_value("nodes_configured"), 3);
  EXPECT_EQ(status_value("sessions_open"), 0);
  // The list is 0644: the server says it holds keys.
  EXPECT_NE(server.output().find("is readable by group or others (mode 0644)"), std::string::npos)
      << server.output();
  EXPECT_NE(server.output().find("uid meter-a via gw-0/sink0: SUCCESS"), std::string::npos)
      << server.output();
  EXPECT_NE(server.output().find("uid stranger-d via gw-1/sink0: ERROR_NOT_AUTHORIZED"),
            std::string::npos)
      << server.output();

  // Each provisioned node reports (its boot diagnostics) from its provisioned address, in
  // the network and through the gateway the configuration named.
  for (const auto& [gw, address] :
       {std::pair{"gw-0", 5001u}, std::pair{"gw-1", 5002u}, std::pair{"gw-0", 5003u}}) {
    const auto net = std::to_string(0x100000 + (std::string(gw) == "gw-0" ? 0 : 1));
    const auto seen = observer.wait_message(
        [&](const TestMessage& m) {
          if (!m.topic.starts_with(std::string("gw-event/received_data/") + gw + "/sink0/" + net +
                                   "/"))
            return false;
          auto d = wirepas::decode(m.payload);
          return d && d->wirepas().packet_received_event().source_address() == address;
        },
        15s);
    EXPECT_TRUE(seen) << "node " << address << " never reported through " << gw;
  }

  // fluentd got every outcome under <tag>.<record>.
  const auto until = std::chrono::steady_clock::now() + 10s;
  auto has = [&](const std::string& line) {
    for (const auto& r : fluentd.records()) {
      const auto field = [&r](const char* k) {
        const auto it = r.fields.find(k);
        return it == r.fields.end() ? std::string() : it->second;
      };
      if (r.tag + "|" + field("status") + "|" + field("uid") == line)
        return true;
    }
    return false;
  };
  while (std::chrono::steady_clock::now() < until &&
         !has("plant.log|ERROR_NOT_AUTHORIZED|stranger-d"))
    std::this_thread::sleep_for(50ms);
  for (const char* line : {"plant.log|SUCCESS|meter-a", "plant.log|SUCCESS|meter-b",
                           "plant.log|SUCCESS|lamp-c", "plant.log|ERROR_NOT_AUTHORIZED|stranger-d"})
    EXPECT_TRUE(has(line)) << line;

  // A broken list is refused on SIGHUP, with its errors, and the old one stays.
  std::ofstream(config) << "meter-a:\n  method: 7\n";
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(server.wait_output("reload refused", 10s)) << server.output();
  EXPECT_NE(server.output().find(config.string() + ":meter-a.method: 7 is not a method"),
            std::string::npos)
      << server.output();
  EXPECT_EQ(status_value("nodes_configured"), 3);

  // A fixed list authorizes the stranger, which a second simulator then provisions.
  std::ofstream(config) << entry("meter-a", 1, 5001, 0) << entry("stranger-d", 0, 5004, 0);
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_status("reloads", "", 1, 10s)) << server.output();
  EXPECT_EQ(status_value("nodes_configured"), 2);
  const auto second = dir_.path() / "second.yml";
  std::ofstream(second) << joining("stranger-d", 0, 0);
  auto sim2 = simulator("gw2-", second.string(), "sim2.out");
  ASSERT_TRUE(wait_status("outcomes", "SUCCESS", 4)) << server.output() << sim2->output();

  EXPECT_EQ(sim->stop(SIGTERM), 0) << sim->output();
  EXPECT_NE(sim->output().find("3 provisioned, 1 failed provisioning"), std::string::npos)
      << sim->output();
  EXPECT_EQ(sim2->stop(SIGTERM), 0) << sim2->output();
  EXPECT_NE(sim2->output().find("1 provisioned"), std::string::npos) << sim2->output();
  const int status = server.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.output();
}

TEST_F(ProvisioningServerSystemTest, AConfigurationWithErrorsStopsTheStartWithAllOfThem) {
  const auto config = dir_.path() / "config.yml";
  std::ofstream(config) << "a:\n  method: 1\nb:\n  method: 0\n  node_id: -1\n";
  ChildProcess server(
      {bin("stratus-console"), "provisioning-server", "--mqtt_hostname", "127.0.0.1", "--mqtt_port",
       std::to_string(port_), "--insecure", "--provisioning_config", config.string()},
      {}, dir_.path() / "server.out");
  const int status = server.stop(0, 10s);  // signal 0: only wait for it to exit
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << server.output();
  const auto out = server.output();
  for (const std::string& line : {config.string() + ":a.factory_key: missing",
                                  config.string() + ":a.authentication_key: missing",
                                  config.string() + ":b.node_id: -1 is out of range"})
    EXPECT_NE(out.find(line), std::string::npos) << line << " in\n" << out;
}

}  // namespace
}  // namespace stratus::test
