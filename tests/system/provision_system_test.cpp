// Proves `stratus provision` provisions a fresh virtual node end to end against the real
// stratusd, mosquitto and `stratus-node run --provisioning` (spec rainmaker-device.md
// §1-§4, rainmaker.md §4.3, §8): over the SoftAP HTTP transport it maps the node by
// challenge-response (security 1) and by the legacy secret key (`--no-ch-resp`, security
// 2), hands it Wi-Fi credentials, and the node then connects, reports, and is controlled
// through the cloud (`stratus setparams` reaches it); a wrong PoP and a wrong passphrase
// fail with one clear error line.
// How: stratusd, stratus-node and stratus as child processes on free loopback ports,
// the CLI's profile store in a temp dir; the node's SoftAP port read from its output.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>

#include "broker/ports.hpp"
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
constexpr std::string_view kUser = "prov@example.com";

class ProvisionSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ = new StratusdProcess(
        dir_->path() / "data",
        {"--set", "accounts.argon2_mem_limit_kib=8", "--set", "accounts.argon2_ops_limit=1",
         "--set", "server.mqtt_host=127.0.0.1", "--set", "claiming.max_nodes_per_user=1000"});
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    client::SessionOptions options;
    options.url = url();
    auto session = client::Session::open(options);
    ASSERT_TRUE(session.has_value());
    ASSERT_TRUE(session->sign_up(std::string(kUser), std::string(kPassword)).has_value());
    ASSERT_TRUE(session->confirm_sign_up(std::string(kUser),
                                         outbox_code(stratusd_->data_dir(), std::string(kUser))));
    ASSERT_TRUE(session->login(std::string(kUser), std::string(kPassword)).has_value());
    session_ = new client::Session(std::move(*session));
    auto r = stratus({"profile", "add", "test", "--url", url()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = stratus({"profile", "switch", "test"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = stratus({"login", "--user_name", std::string(kUser)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete session_;
    delete stratusd_;
    delete dir_;
  }

  static std::string url() { return "http://127.0.0.1:" + std::to_string(stratusd_->http_port()); }

  static std::vector<std::string> env() {
    return cli_env(dir_->path(), {"STRATUS_PASSWORD=" + std::string(kPassword)});
  }

  static ProcessResult stratus(std::vector<std::string> args) {
    args.insert(args.begin(), build_binary("stratus").string());
    return run_process(args, env(), "", 120s);
  }

  // `stratus-node claim` into `outdir`; returns the node id.
  static std::string claim(const std::filesystem::path& outdir) {
    const auto result =
        run_process({build_binary("stratus-node").string(), "claim", "--server", url(),
                     "--user_name", std::string(kUser), "--outdir", outdir.string()},
                    env(), "", 120s);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    const auto info = json::parse(read_file(outdir / "node.info")).as_object();
    return std::string(info.at("node_id").as_string());
  }

  // A claimed node waiting for provisioning; its SoftAP address in `address`.
  static std::unique_ptr<ChildProcess> unprovisioned(const std::string& name,
                                                     std::vector<std::string> flags,
                                                     std::string& node_id, std::string& address) {
    const auto creds = dir_->path() / name;
    node_id = claim(creds);
    std::vector<std::string> argv = {build_binary("stratus-node").string(),
                                     "run",
                                     "--creds",
                                     creds.string(),
                                     "--model",
                                     "light",
                                     "--provisioning",
                                     "--prov-bind",
                                     "127.0.0.1:0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto node = std::make_unique<ChildProcess>(argv, env(), dir_->path() / (name + ".out"));
    EXPECT_TRUE(node->wait_output("protocomm SoftAP transport on http://", 20s)) << node->output();
    const std::string out = node->output();
    constexpr std::string_view kMark = "transport on http://";
    if (const auto at = out.find(kMark); at != std::string::npos) {
      const auto start = at + kMark.size();
      address = out.substr(start, out.find(' ', start) - start);
    }
    EXPECT_FALSE(address.empty()) << out;
    return node;
  }

  // The node is the user's, online, and a set through the cloud reaches it.
  static void controllable(const std::string& node_id, ChildProcess& node) {
    ASSERT_TRUE(node.wait_output("connected", 30s)) << node.output();
    auto r = stratus({"getnodes"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(node_id), std::string::npos) << r.out;
    ASSERT_TRUE(wait_until(
        [&] {
          auto p = session_->node_params(node_id);
          return p && p->find("\"Light\"") != std::string::npos;
        },
        20s));
    r = stratus({"setparams", node_id, "--data", R"({"Light":{"Brightness":33}})"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(node.wait_output("set by user: Light.Brightness = 33", 20s)) << node.output();
  }

  static inline TempDir* dir_ = nullptr;
  static inline StratusdProcess* stratusd_ = nullptr;
  static inline client::Session* session_ = nullptr;
};

TEST_F(ProvisionSystemTest, ChallengeResponseOverSecurity1) {
  std::string node_id;
  std::string address;
  auto node = unprovisioned("cr", {"--sec", "1", "--pop", "abcd1234"}, node_id, address);
  ASSERT_FALSE(address.empty());

  // A wrong PoP: refused by the handshake, nothing mapped, the node keeps waiting.
  auto r = stratus({"provision", "wrong-pop", "--transport", "softap", "--device-address", address,
                    "--ssid", "stratus-lab", "--passphrase", "stratus-lab-pass"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrong proof of possession"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;

  // A security version the node does not offer.
  r = stratus({"provision", "abcd1234", "--device-address", address, "--sec_ver", "2", "--ssid",
               "stratus-lab", "--passphrase", "stratus-lab-pass"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the device offers security 1, not 2"), std::string::npos) << r.err;

  r = stratus({"provision", "abcd1234", "--transport", "softap", "--device-address", address,
               "--ssid", "stratus-lab", "--passphrase", "stratus-lab-pass"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out << node->output();
  EXPECT_NE(r.out.find("Device supports challenge-response"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Node " + node_id + " provisioned successfully"), std::string::npos)
      << r.out;
  controllable(node_id, *node);
}

TEST_F(ProvisionSystemTest, LegacyMappingOverSecurity2) {
  std::string node_id;
  std::string address;
  auto node = unprovisioned("legacy", {"--sec", "2", "--pop", "s3cret-pop", "--no-ch-resp"},
                            node_id, address);
  ASSERT_FALSE(address.empty());

  // A wrong passphrase: the node reports an auth error, the CLI names it.
  auto r = stratus({"provision", "s3cret-pop", "--device-address", address, "--ssid", "stratus-lab",
                    "--passphrase", "not-the-passphrase", "--timeout", "20"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrong passphrase"), std::string::npos) << r.err << r.out;
  node->stop(SIGKILL);

  // A fresh node (the failed one would need a reset) provisions with the secret key.
  node = unprovisioned("legacy2", {"--sec", "2", "--pop", "s3cret-pop", "--no-ch-resp"}, node_id,
                       address);
  r = stratus({"provision", "s3cret-pop", "--device-address", address, "--ssid", "stratus-lab",
               "--passphrase", "stratus-lab-pass", "--timeout", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out << node->output();
  EXPECT_NE(r.out.find("Device does not support challenge-response"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Node " + node_id + " provisioned successfully"), std::string::npos)
      << r.out;
  controllable(node_id, *node);
}

TEST_F(ProvisionSystemTest, AnUnreachableDeviceIsNamed) {
  auto r = stratus({"provision", "abcd1234", "--device-address", "127.0.0.1:1", "--ssid", "x",
                    "--passphrase", "y"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot reach the device at 127.0.0.1:1"), std::string::npos) << r.err;
}

// On-network challenge-response (the real CLI's `provision --transport on-network`): a node
// that is already on the network and connected, but mapped to nobody, proves it holds its
// node key and becomes the user's; the cloud then controls it.
TEST_F(ProvisionSystemTest, OnNetworkChallengeResponseTakesOwnershipOfAConnectedNode) {
  const auto creds = dir_->path() / "on-network";
  const auto node_id = claim(creds);
  const auto port = broker::pick_free_port("127.0.0.1");
  ASSERT_TRUE(port.has_value());
  ChildProcess node({build_binary("stratus-node").string(), "run", "--creds", creds.string(),
                     "--model", "light", "--chal-resp-bind", "127.0.0.1:" + std::to_string(*port)},
                    env(), dir_->path() / "on-network.out");
  ASSERT_TRUE(node.wait_output("connected", 30s)) << node.output();
  auto r = stratus({"getnodes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(node_id), std::string::npos) << "not mapped yet: " << r.out;

  r = stratus({"provision", "--transport", "on-network", "--device-ip", "127.0.0.1",
               "--device-port", std::to_string(*port), "--sec_ver", "1"});  // no PoP
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out << node.output();
  EXPECT_NE(r.out.find("Node " + node_id + " added to your account successfully"),
            std::string::npos)
      << r.out;
  controllable(node_id, node);
}

// Local control (esp_local_ctrl, security 1 with the node's PoP) reads and sets params
// with the cloud stopped, as a user whose internet link dropped needs (esp-rainmaker
// #276). Last in this suite: it stops the shared stratusd.
TEST_F(ProvisionSystemTest, LocalControlWorksWithTheCloudStopped) {
  const auto creds = dir_->path() / "local";
  const auto node_id = claim(creds);
  const auto port = broker::pick_free_port("127.0.0.1");
  ASSERT_TRUE(port.has_value());
  const std::string address = "127.0.0.1:" + std::to_string(*port);
  ChildProcess node(
      {build_binary("stratus-node").string(), "run", "--creds", creds.string(), "--model", "light",
       "--local-ctrl-bind", address, "--local-ctrl-pop", "local-pop-1"},
      env(), dir_->path() / "local.out");
  ASSERT_TRUE(node.wait_output("connected", 30s)) << node.output();

  ASSERT_EQ(stratusd_->stop(SIGTERM), 0) << stratusd_->output();
  const std::vector<std::string> local = {"--local", "--device-address", address, "--pop",
                                          "local-pop-1"};
  auto with_local = [&](std::vector<std::string> args) {
    args.insert(args.end(), local.begin(), local.end());
    return stratus(args);
  };
  auto r = with_local({"getnodeconfig", node_id});
  ASSERT_EQ(r.exit_code, 0) << r.err << node.output();
  EXPECT_NE(r.out.find("esp.service.local_control"), std::string::npos) << r.out;
  r = with_local({"setparams", node_id, "--data", R"({"Light":{"Brightness":77}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out << node.output();
  r = with_local({"getparams", node_id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"Brightness\": 77"), std::string::npos) << r.out;

  // A wrong PoP is refused with one clear line, and nothing is read.
  r = stratus({"getparams", node_id, "--local", "--device-address", address, "--pop", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("proof of possession"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace stratus::test
