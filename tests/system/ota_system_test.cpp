// Proves OTA end to end (issue 17): one job with force_push updates three stratus-node
// virtual lights over mutual TLS (MQTT) and HTTPS (the download, on the Stratus server
// certificate the nodes trust): each is pushed an otaurl, downloads the image, checks it,
// "reboots" into it and reports success; the job finishes with three successes. A node of
// another chip (its config's info.platform) is never targeted.
// How: the stratusd and stratus-node binaries as child processes on free loopback ports;
// node credentials issued from the data dir's CA (as claiming would); the admin's side over
// HTTPS with the raw REST calls.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include "core/base64.hpp"
#include "proto/esp_image.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kAdmin = "root@example.com";
constexpr const char* kPassword = "rootpass1";

class OtaSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto data = dir_->path() / "data";
    const std::vector<std::string> settings = {"--set", "accounts.argon2_ops_limit=1",
                                               "--set", "accounts.argon2_mem_limit_kib=8",
                                               "--set", "http.tls=true",
                                               "--set", "server.mqtt_host=127.0.0.1"};
    std::vector<std::string> add = {build_binary("stratusd").string(), "--data-dir", data.string()};
    add.insert(add.end(), settings.begin(), settings.end());
    add.insert(add.end(), {"user", "add", "--admin", kAdmin});
    const auto made = run_process(add, {"PATH=/usr/bin:/bin"}, std::string(kPassword) + "\n");
    ASSERT_EQ(made.exit_code, 0) << made.err;
    stratusd_ = new StratusdProcess(data, settings);
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    const auto login =
        call("POST", "/v1/login2",
             R"({"user_name":")" + std::string(kAdmin) + R"(","password":")" + kPassword + "\"}");
    ASSERT_EQ(login.status, 200) << login.body;
    token_ = new std::string(json::parse(login.body).at("accesstoken").as_string());
  }
  static void TearDownTestSuite() {
    delete token_;
    delete stratusd_;
    delete dir_;
  }

  static HttpReply call(std::string_view method, std::string_view target,
                        std::string_view body = {}) {
    HeaderList headers = {{"Content-Type", "application/json"}};
    if (token_ != nullptr)
      headers.emplace_back("Authorization", *token_);
    return https_request("127.0.0.1", stratusd_->http_port(), stratusd_->files_dir() / "pki/ca.crt",
                         method, target, body, headers, 30s);
  }

  // A credentials dir as `stratus-node claim` leaves it: key and certificate from the CA.
  static std::filesystem::path creds_for(const std::string& node_id) {
    const auto options = node_mqtt_options(*stratusd_, dir_->path(), node_id);
    const auto creds = dir_->path() / node_id;
    std::filesystem::create_directories(creds);
    std::filesystem::copy_file(options.key_file, creds / "node.key");
    std::filesystem::copy_file(options.cert_file, creds / "node.crt");
    std::filesystem::copy_file(options.ca_file, creds / "ca.crt");
    std::filesystem::permissions(creds / "node.key", std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_write);
    std::ofstream(creds / "node.info") << json::serialize(json::object{
        {"node_id", node_id}, {"mqtt_host", "127.0.0.1"}, {"mqtt_port", stratusd_->mqtt_port()}});
    return creds;
  }

  static std::unique_ptr<ChildProcess> run_node(const std::string& node_id,
                                                const std::string& model_file = {}) {
    const auto creds = creds_for(node_id);
    std::vector<std::string> args = {build_binary("stratus-node").string(),
                                     "run",
                                     "--creds",
                                     creds.string(),
                                     "--model",
                                     model_file.empty() ? "light" : model_file,
                                     "--ota-reboot-delay",
                                     "0.2"};
    return std::make_unique<ChildProcess>(args,
                                          std::vector<std::string>{"HOME=" + dir_->path().string()},
                                          dir_->path() / (node_id + ".out"));
  }

  // Waits (90 s at most) until job `job_id` is finished, then expects `count` nodes in it, each
  // updated; `log` (the nodes' output) is shown on failure.
  static void expect_every_node_updated(const std::string& job_id, std::size_t count,
                                        const std::function<std::string()>& log) {
    ASSERT_TRUE(wait_until(
        [&] {
          const auto job = json::parse(call("GET", "/v1/admin/otajob?ota_job_id=" + job_id).body);
          return job.at("status") == "finished";
        },
        90s))
        << call("GET", "/v1/admin/otajob/status?ota_job_id=" + job_id).body << log();
    const auto statuses =
        json::parse(call("GET", "/v1/admin/otajob/status?ota_job_id=" + job_id).body);
    ASSERT_EQ(statuses.at("node_ota_status").as_array().size(), count);
    for (const auto& s : statuses.at("node_ota_status").as_array())
      EXPECT_EQ(s.at("status"), "success") << json::serialize(s);
  }

  static inline TempDir* dir_ = nullptr;
  static inline StratusdProcess* stratusd_ = nullptr;
  static inline std::string* token_ = nullptr;
};

TEST_F(OtaSystemTest, AForcePushJobUpdatesThreeVirtualNodesOverTlsAndHttps) {
  std::vector<std::unique_ptr<ChildProcess>> nodes;
  const std::vector<std::string> ids = {"otalight1", "otalight2", "otalight3"};
  for (const auto& id : ids) {
    nodes.push_back(run_node(id));
    ASSERT_TRUE(nodes.back()->wait_output("connected", 20s)) << nodes.back()->output();
  }
  // A node of another chip: the job must leave it out.
  const auto s3_model = dir_->path() / "s3.yaml";
  std::ofstream(s3_model) << "info: {name: S3, type: Lightbulb, model: light}\n"
                             "devices:\n"
                             "  - name: Light\n"
                             "    type: esp.device.lightbulb\n"
                             "    params:\n"
                             "      - {name: Power, type: esp.param.power, data_type: bool, "
                             "properties: [read, write], value: false}\n"
                             "ota: {chip: esp32s3}\n";
  nodes.push_back(run_node("otalights3", s3_model.string()));
  ASSERT_TRUE(nodes.back()->wait_output("connected", 20s)) << nodes.back()->output();

  // The image: project "light" (the built-in model's), chip esp32, a new version.
  const auto image = proto::make_esp_image(
      {.chip_id = 0x00, .version = "2.0.0", .project_name = "light", .payload_bytes = 300000});
  ASSERT_TRUE(image);
  const auto upload = call("POST", "/v1/admin/otaimage",
                           R"({"image_name":"light-2.0.0","base64_fwimage":")" +
                               base64_encode(*image) + R"(","model":"light"})");
  ASSERT_EQ(upload.status, 200) << upload.body;
  const std::string image_id(json::parse(upload.body).at("ota_image_id").as_string());

  // The nodes' configs (model light, platform) are in once the job finds all of them.
  std::string job_id;
  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = call("POST", "/v1/admin/otajob?force_push=true",
                            R"({"ota_job_name":"e2e-)" + std::to_string(job_id.size()) +
                                R"(","ota_image_id":")" + image_id +
                                R"(","nodes":["otalight1","otalight2","otalight3","otalights3"]})");
        if (r.status != 200)
          return false;
        job_id = std::string(json::parse(r.body).at("ota_job_id").as_string());
        const auto job = json::parse(call("GET", "/v1/admin/otajob?ota_job_id=" + job_id).body);
        if (job.at("total_count").as_int64() == 3)
          return true;
        (void)call("PUT", "/v1/admin/otajob", R"({"ota_job_id":")" + job_id + "\"}");
        job_id += "x";  // a new name for the next try
        return false;
      },
      20s));

  expect_every_node_updated(job_id, 3, [&] { return nodes[0]->output(); });
  if (HasFatalFailure())
    return;
  // Each node downloaded the image over HTTPS with its signed URL.
  const auto metrics = call("GET", "/metrics").body;
  const std::string granted = "stratus_ota_downloads_total{outcome=\"granted\"} ";
  const auto at = metrics.find(granted);
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_GE(std::stol(metrics.substr(at + granted.size())), 3L);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(nodes[i]->stop(SIGTERM), 0) << nodes[i]->output();
  }
  // The other chip's node was never offered anything.
  EXPECT_EQ(nodes[3]->output().find("otaurl"), std::string::npos) << nodes[3]->output();
  EXPECT_EQ(nodes[3]->stop(SIGTERM), 0);
}

// The swarm's OTA (`stratus-node swarm --ota`, what `bench/run ota` drives at scale): four
// nodes in one process share two download workers, and a job released in batches of two
// updates all of them.
TEST_F(OtaSystemTest, BASwarmTakesAJobInBatchesWithSharedDownloads) {
  const auto swarm_dir = dir_->path() / "swarm";
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back("otaswarm" + std::to_string(i));
    const auto made = creds_for(ids.back());
    const auto slot = swarm_dir / ("node-0000" + std::to_string(i));
    std::filesystem::create_directories(swarm_dir);
    std::filesystem::rename(made, slot);
  }
  ChildProcess swarm({build_binary("stratus-node").string(), "swarm", "--count", "4", "--creds-dir",
                      swarm_dir.string(), "--rate", "0", "--duration", "120", "--ota",
                      "--ota-workers", "2", "--ota-reboot-delay", "0.2", "--json"},
                     {"HOME=" + dir_->path().string()}, dir_->path() / "swarm.out");
  ASSERT_TRUE(swarm.wait_output("connected=4/4", 30s)) << swarm.output();

  const auto image = proto::make_esp_image(
      {.chip_id = 0x00, .version = "3.0.0", .project_name = "switch", .payload_bytes = 200000});
  ASSERT_TRUE(image);
  const auto upload =
      call("POST", "/v1/admin/otaimage",
           R"({"image_name":"switch-3.0.0","base64_fwimage":")" + base64_encode(*image) + R"("})");
  ASSERT_EQ(upload.status, 200) << upload.body;
  const std::string image_id(json::parse(upload.body).at("ota_image_id").as_string());
  std::string job_id;
  int attempt = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = call(
            "POST", "/v1/admin/otajob",
            R"({"ota_job_name":"swarm-)" + std::to_string(++attempt) + R"(","ota_image_id":")" +
                image_id + R"(","force_push":true,"rollout":{"batch_size":2},"nodes":[")" + ids[0] +
                R"(",")" + ids[1] + R"(",")" + ids[2] + R"(",")" + ids[3] + R"("]})");
        if (r.status != 200)
          return false;
        job_id = std::string(json::parse(r.body).at("ota_job_id").as_string());
        const auto job = json::parse(call("GET", "/v1/admin/otajob?ota_job_id=" + job_id).body);
        if (job.at("total_count").as_int64() == 4)
          return true;
        (void)call("PUT", "/v1/admin/otajob", R"({"ota_job_id":")" + job_id + "\"}");
        return false;
      },
      20s));
  expect_every_node_updated(job_id, 4, [&] { return swarm.output(); });
  if (HasFatalFailure())
    return;

  EXPECT_EQ(swarm.stop(SIGINT), 0) << swarm.output();
  const auto out = swarm.output();
  const auto open = out.rfind("{\"nodes\"");
  ASSERT_NE(open, std::string::npos) << out;
  const auto summary = json::parse(out.substr(open, out.find('\n', open) - open)).as_object();
  EXPECT_EQ(summary.at("ota_updated").as_int64(), 4) << out;
  // No `ota_failed` check: a job the loop above cancelled (not every config was in yet) may
  // have pushed offers whose downloads then fail, which the nodes report as failed attempts.
  EXPECT_EQ(summary.at("reboots").as_int64(), 4) << out;
  EXPECT_GE(summary.at("ota_downloads").as_int64(), 4) << out;
  // The downloaded images were removed once flashed.
  EXPECT_TRUE(std::filesystem::is_empty(swarm_dir / "ota")) << out;
}

}  // namespace
}  // namespace stratus::test
