// Proves stratus-admin against the real stratusd: a super-admin (made with `stratusd user
// add --admin`) logs in, uploads an ESP image built by proto::make_esp_image (streamed, the
// server checks its header), lists it, creates a job for a node that reported its config,
// the node gets the `otaurl` offer, `ota job show` lists the node in the job, and after the
// node reports success `ota job show --watch` ends with the job finished; failures are one
// `error: … (code N)` line.
// How: stratusd (StratusdProcess, plain-HTTP downloads allowed) on loopback ports in a temp
// dir; the stratus-admin binary run with fork/exec and XDG_CONFIG_HOME in the temp dir; the
// node is a TestMqttClient with a certificate from the server's CA; every wait is bounded.
#include <gtest/gtest.h>

#include <fstream>

#include "proto/esp_image.hpp"
#include "proto/ota.hpp"
#include "proto/payloads.hpp"
#include "proto/topics.hpp"
#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kSettings = {"--set", "accounts.argon2_ops_limit=1", "--set",
                                            "accounts.argon2_mem_limit_kib=8"};
constexpr const char* kAdmin = "root@example.com";
constexpr const char* kPassword = "rootpass1";

class OtaCliSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto data = dir_->path() / "data";
    std::vector<std::string> add = {build_binary("stratusd").string(), "--data-dir", data.string()};
    add.insert(add.end(), kSettings.begin(), kSettings.end());
    add.insert(add.end(), {"user", "add", "--admin", kAdmin});
    const auto made = run_process(add, env(), std::string(kPassword) + "\n");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto args = kSettings;
    args.insert(args.end(), {"--set", "ota.allow_plain_http=true"});
    stratusd_ = new StratusdProcess(data, args);
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
  }
  static void TearDownTestSuite() {
    delete stratusd_;
    delete dir_;
  }

  static std::vector<std::string> env() {
    return cli_env(dir_->path(), {std::string("STRATUS_PASSWORD=") + kPassword});
  }

  static ProcessResult admin(std::vector<std::string> args,
                             std::chrono::milliseconds timeout = 60s) {
    args.insert(args.begin(), build_binary("stratus-admin").string());
    return run_process(args, env(), "", timeout);
  }

  static std::string url() { return "http://127.0.0.1:" + std::to_string(stratusd_->http_port()); }

  static TempDir* dir_;
  static StratusdProcess* stratusd_;
};

TempDir* OtaCliSystemTest::dir_ = nullptr;
StratusdProcess* OtaCliSystemTest::stratusd_ = nullptr;

// The text after `prefix` up to the end of its line, or "".
std::string value_after(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos)
    return {};
  const auto start = at + prefix.size();
  return text.substr(start, text.find_first_of(" \n", start) - start);
}

TEST_F(OtaCliSystemTest, UploadCreateAJobAndFollowIt) {
  ASSERT_EQ(admin({"profile", "add", "test", "--url", url()}).exit_code, 0);
  ASSERT_EQ(admin({"profile", "switch", "test"}).exit_code, 0);
  auto r = admin({"ota", "images"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: not logged in; run: stratus-admin login --user_name <email>\n");
  r = admin({"login", "--user_name", kAdmin});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // A node that reported its config (model led_light, type Lightbulb, chip esp32c3).
  const std::string node_id = "otanode01";
  TestMqttClient node(node_mqtt_options(*stratusd_, dir_->path(), node_id));
  ASSERT_EQ(node.connect(), 0);
  ASSERT_EQ(node.subscribe("node/" + node_id + "/otaurl"), 1);
  std::string config = read_file(std::filesystem::path(std::getenv("STRATUS_SOURCE_DIR")) /
                                 "tests/data/node_config_light.json");
  config.replace(config.find("7CDFA1B2C3D4"), 12, node_id);
  ASSERT_TRUE(node.publish("$aws/rules/esp_node_config/node/" + node_id + "/config", config));

  // An image for it, uploaded as it is.
  proto::EspImageSpec spec;
  spec.chip_id = 0x05;  // esp32c3, the node's platform
  spec.version = "2.0.0";
  spec.project_name = "led_light";
  spec.payload_bytes = 70000;
  auto image = proto::make_esp_image(spec);
  ASSERT_TRUE(image);
  const auto file = dir_->path() / "led_light-2.0.0.bin";
  std::ofstream(file, std::ios::binary) << *image;
  r = admin({"ota", "upload", file.string(), "--model", "led_light", "--type", "Lightbulb",
             "--version", "2.0.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto image_id = value_after(r.out, "uploaded OTA image ");
  ASSERT_FALSE(image_id.empty()) << r.out;
  EXPECT_NE(r.out.find("chip          esp32c3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("size          " + std::to_string(image->size()) + " bytes\n"),
            std::string::npos)
      << r.out;

  // A declared version that is not the header's: one error line with the server's code.
  r = admin({"ota", "upload", file.string(), "--model", "led_light", "--type", "Lightbulb",
             "--version", "9.9.9"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("(code 104100)"), std::string::npos) << r.err;

  r = admin({"ota", "images"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(image_id), std::string::npos) << r.out;

  // The job (the node's config may still be on its way in: retried for a while).
  std::string job_id;
  EXPECT_TRUE(wait_until(
      [&] {
        r = admin({"ota", "job", "create", "--image", image_id, "--nodes", node_id, "--name",
                   "system-job"});
        job_id = value_after(r.out, "OTA job created: ");
        return r.exit_code == 0;
      },
      15s))
      << r.err;
  ASSERT_FALSE(job_id.empty()) << r.out;
  // Without force_push the node gets the offer when it asks (otafetch, as on boot).
  ASSERT_TRUE(node.publish(proto::node_publish_topic(node_id, proto::Suffix::otafetch, true),
                           proto::encode_ota_fetch(node_id, "1.0")));
  const auto offer = node.wait_message(
      [&](const TestMessage& m) { return m.topic == "node/" + node_id + "/otaurl"; }, 15s);
  ASSERT_TRUE(offer) << "the node is offered the image";
  EXPECT_NE(offer->payload.find(job_id), std::string::npos) << offer->payload;

  r = admin({"ota", "job", "show", job_id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("name            system-job\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nodes by state  total 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n" + node_id + "  "), std::string::npos) << r.out;
  r = admin({"ota", "job", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(job_id), std::string::npos) << r.out;

  // The node updates; --watch ends when the job is finished.
  const auto topic = proto::node_publish_topic(node_id, proto::Suffix::otastatus, true);
  ASSERT_TRUE(node.publish(
      topic, proto::encode_ota_status(job_id, proto::OtaState::in_progress, "Downloading", {})));
  ASSERT_TRUE(node.publish(
      topic, proto::encode_ota_status(job_id, proto::OtaState::success, "Rebooted", {})));
  r = admin({"ota", "job", "show", job_id, "--watch"}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("job " + job_id + " finished\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(node_id + "  success"), std::string::npos) << r.out;

  r = admin({"ota", "delete", image_id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = admin({"ota", "image", image_id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("(code 104015)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace stratus::test
