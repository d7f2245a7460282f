// Proves that stratus-node is a working RainMaker node against the real stratusd and
// mosquitto over mutual TLS: it claims credentials, boots, is mapped with the console's
// add-user, applies a set made through the REST API and reports it, reports local changes,
// keeps its state across a broker-side reconnect, shows offline when stopped; that a
// swarm of 200 nodes in one process connects and reports, counted by the server; and that
// `stratus otaupgrade` updates a node whose firmware takes OTA through params (the RainMaker
// CLI's flow, spec rainmaker.md §4.6) end to end.
// How: the stratusd, stratus-node binaries as child processes on free loopback ports; the
// user's side through the client library (the same calls `stratus` makes).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "client/session.hpp"
#include "proto/esp_image.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kPassword = "Passw0rd123";

class NodeAgentSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ = new StratusdProcess(
        dir_->path() / "data",
        {"--set", "accounts.argon2_mem_limit_kib=8", "--set", "accounts.argon2_ops_limit=1",
         "--set", "server.mqtt_host=127.0.0.1", "--set", "claiming.max_nodes_per_user=1000",
         // otaupgrade's image URL on this plain-HTTP server
         "--set", "ota.allow_plain_http=true"});
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    session_ = new client::Session(signed_up("alice@example.com"));
  }
  static void TearDownTestSuite() {
    delete session_;
    delete stratusd_;
    delete dir_;
  }

  static std::string url() { return "http://127.0.0.1:" + std::to_string(stratusd_->http_port()); }

  static client::Session signed_up(const std::string& user) {
    client::SessionOptions options;
    options.url = url();
    auto session = client::Session::open(options);
    EXPECT_TRUE(session.has_value());
    EXPECT_TRUE(session->sign_up(user, kPassword).has_value());
    EXPECT_TRUE(session->confirm_sign_up(user, outbox_code(stratusd_->data_dir(), user)));
    EXPECT_TRUE(session->login(user, kPassword).has_value());
    return std::move(*session);
  }

  static std::vector<std::string> node_env() {
    return {"STRATUS_PASSWORD=" + std::string(kPassword), "HOME=" + dir_->path().string()};
  }

  // `stratus-node claim` into `outdir`; returns the node id.
  static std::string claim(const std::filesystem::path& outdir) {
    const auto result =
        run_process({build_binary("stratus-node").string(), "claim", "--server", url(),
                     "--user_name", "alice@example.com", "--outdir", outdir.string()},
                    node_env(), "");
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    const auto info = json::parse(read_file(outdir / "node.info")).as_object();
    return std::string(info.at("node_id").as_string());
  }

  // `stratus <args>` (the user CLI) with its profile store in the temp dir.
  static ProcessResult stratus(std::vector<std::string> args) {
    args.insert(args.begin(), build_binary("stratus").string());
    return run_process(args, cli_env(dir_->path(), {"STRATUS_PASSWORD=" + std::string(kPassword)}),
                       "", 120s);
  }

  // Maps the running `node` to alice with the console's add-user.
  static void map_node(const std::string& node_id, ChildProcess& node, const std::string& secret) {
    auto request = session_->add_mapping(node_id, secret);
    ASSERT_TRUE(request.has_value()) << request.error().context;
    auto info = session_->user_info();
    ASSERT_TRUE(info.has_value());
    ASSERT_TRUE(node.write_line("add-user " + info->user_id + " " + secret));
    ASSERT_TRUE(wait_until(
        [&] {
          auto s = session_->mapping_status(*request);
          return s && *s == client::MappingStatus::confirmed;
        },
        20s))
        << node.output();
  }

  static json::object params(const std::string& node_id) {
    auto p = session_->node_params(node_id);
    if (!p) {
      return {};
    }
    return json::parse(*p).as_object();
  }

  static bool param_is(const std::string& node_id, std::string_view device, std::string_view param,
                       const json::value& expected) {
    const auto p = params(node_id);
    const auto* d = p.if_contains(device);
    return d != nullptr && d->is_object() && d->as_object().if_contains(param) != nullptr &&
           d->as_object().at(param) == expected;
  }

  static inline TempDir* dir_ = nullptr;
  static inline StratusdProcess* stratusd_ = nullptr;
  static inline client::Session* session_ = nullptr;
};

TEST_F(NodeAgentSystemTest, VirtualLightIsClaimedMappedControlledAndReports) {
  const auto creds = dir_->path() / "light";
  const auto node_id = claim(creds);
  ChildProcess node(
      {build_binary("stratus-node").string(), "run", "--creds", creds.string(), "--model", "light"},
      node_env(), dir_->path() / "light.out");
  ASSERT_TRUE(node.wait_output("connected", 20s)) << node.output();

  // Mapping, as `stratus test --addnode` + the node console do it.
  map_node(node_id, node, "secret-1");

  // The node's config and init snapshot are what REST shows.
  auto config = session_->node_config(node_id);
  ASSERT_TRUE(config.has_value());
  const auto config_json = json::parse(*config).as_object();
  EXPECT_EQ(config_json.at("node_id"), node_id.c_str());
  EXPECT_EQ(config_json.at("devices").at(0).at("name"), "Light");
  ASSERT_TRUE(wait_until([&] { return param_is(node_id, "Light", "Power", false); }, 10s));

  // A set through the REST API reaches the light, which applies and re-reports it.
  auto set = session_->set_params({{node_id, R"({"Light":{"Power":true,"Brightness":20}})"}});
  ASSERT_TRUE(set.has_value()) << set.error().context;
  ASSERT_TRUE(node.wait_output("set by user: Light.Brightness = 20", 10s)) << node.output();
  EXPECT_TRUE(wait_until([&] { return param_is(node_id, "Light", "Power", true); }, 10s));
  EXPECT_TRUE(param_is(node_id, "Light", "Brightness", 20));

  // A local change from the console is reported.
  ASSERT_TRUE(node.write_line("set Light.Hue 42"));
  EXPECT_TRUE(wait_until([&] { return param_is(node_id, "Light", "Hue", 42); }, 10s))
      << node.output();
  ASSERT_TRUE(node.write_line("set Light.Hue 999"));
  ASSERT_TRUE(node.wait_output("error: Light.Hue: 999 is above the maximum 360", 10s))
      << node.output();

  // Stopped: offline, and the state stays.
  EXPECT_EQ(node.stop(SIGTERM), 0) << node.output();
  EXPECT_TRUE(wait_until(
      [&] {
        auto status = session_->node_status(node_id);
        return status && !status->connected;
      },
      10s));
  EXPECT_TRUE(param_is(node_id, "Light", "Hue", 42));
}

TEST_F(NodeAgentSystemTest, TemperatureSensorReportsReadingsAndTimeSeries) {
  const auto creds = dir_->path() / "sensor";
  const auto node_id = claim(creds);
  ChildProcess node({build_binary("stratus-node").string(), "run", "--creds", creds.string(),
                     "--model", "temperature-sensor", "--sensor-period", "0.2"},
                    node_env(), dir_->path() / "sensor.out");
  ASSERT_TRUE(node.wait_output("connected", 20s)) << node.output();
  // The server counts the time-series messages it takes (docs/adr/0011); readings go to
  // params/local as well.
  const auto tsdata_count = [&] {
    const auto metrics = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/metrics");
    const std::string key = "stratus_link_messages_total{kind=\"tsdata\"} ";
    const auto at = metrics.body.find(key);
    return at == std::string::npos ? 0L : std::stol(metrics.body.substr(at + key.size()));
  };
  EXPECT_TRUE(wait_until([&] { return tsdata_count() >= 5; }, 20s)) << node.output();
  ASSERT_TRUE(node.write_line("status"));
  EXPECT_TRUE(node.wait_output("time series ", 5s)) << node.output();
  EXPECT_EQ(node.stop(SIGTERM), 0);
}

TEST_F(NodeAgentSystemTest, SwarmOf200NodesConnectsAndReports) {
  const auto metrics_params = [&] {
    const auto metrics = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/metrics");
    const std::string key = "stratus_link_messages_total{kind=\"params\"} ";
    const auto at = metrics.body.find(key);
    return at == std::string::npos ? 0L : std::stol(metrics.body.substr(at + key.size()));
  };
  const auto before = metrics_params();
  // 8 s: 200 TLS handshakes under ASan on a busy 2-core machine took more than 4 s.
  const auto result =
      run_process({build_binary("stratus-node").string(), "swarm", "--count", "200", "--rate",
                   "400", "--duration", "8", "--creds-dir", (dir_->path() / "swarm").string(),
                   "--server", url(), "--user_name", "alice@example.com", "--json"},
                  node_env(), "", 180s);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto report = json::parse(result.out).as_object();
  EXPECT_EQ(report.at("nodes"), 200);
  EXPECT_EQ(report.at("connected_at_end"), 200);
  EXPECT_EQ(report.at("errors"), 0);
  const auto reports = report.at("reports").as_int64();
  EXPECT_GT(reports, 200) << "the rate-driven reports ran";
  // Every node's init plus every rate-driven report reached the server.
  EXPECT_TRUE(wait_until([&] { return metrics_params() - before >= 200 + reports; }, 20s))
      << "server counted " << metrics_params() - before << " params messages";
  EXPECT_TRUE(std::filesystem::exists(dir_->path() / "swarm" / "node-00199" / "node.crt"));
}

TEST_F(NodeAgentSystemTest, OtaUpgradeUpdatesAParamsModeNodeThroughTheCli) {
  const auto creds = dir_->path() / "lamp";
  const auto node_id = claim(creds);
  const auto model = dir_->path() / "lamp.yaml";
  std::ofstream(model) << "info: {name: Lamp, type: Lightbulb, model: lamp}\n"
                          "devices:\n"
                          "  - name: Light\n"
                          "    type: esp.device.lightbulb\n"
                          "    params:\n"
                          "      - {name: Power, type: esp.param.power, data_type: bool, "
                          "properties: [read, write], value: false}\n"
                          "ota: {mode: params}\n";
  ChildProcess node({build_binary("stratus-node").string(), "run", "--creds", creds.string(),
                     "--model", model.string(), "--ota-reboot-delay", "0.2"},
                    node_env(), dir_->path() / "lamp.out");
  ASSERT_TRUE(node.wait_output("connected", 20s)) << node.output();
  map_node(node_id, node, "secret-lamp");

  // The image: the node's project ("lamp", its model), a new version.
  const auto image = proto::make_esp_image(
      {.chip_id = 0x00, .version = "2.1.0", .project_name = "lamp", .payload_bytes = 120000});
  ASSERT_TRUE(image);
  const auto file = dir_->path() / "lamp-2.1.0.bin";
  std::ofstream(file, std::ios::binary) << *image;

  ASSERT_EQ(stratus({"profile", "add", "local", "--url", url()}).exit_code, 0);
  ASSERT_EQ(stratus({"profile", "switch", "local"}).exit_code, 0);
  auto r = stratus({"login", "--user_name", "alice@example.com"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = stratus({"otaupgrade", node_id, file.string(), "--timeout", "90"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << node.output();
  EXPECT_NE(r.out.find("uploaded lamp-2.1.0 (" + std::to_string(image->size()) + " bytes)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("OTA update of " + node_id + " succeeded"), std::string::npos) << r.out;
  // The node rebooted into the new firmware and says so in its config.
  EXPECT_TRUE(wait_until(
      [&] {
        auto config = session_->node_config(node_id);
        return config && json::parse(*config).at("info").at("fw_version") == "2.1.0";
      },
      20s))
      << node.output();
  EXPECT_EQ(node.stop(SIGTERM), 0) << node.output();
}

}  // namespace
}  // namespace stratus::test
