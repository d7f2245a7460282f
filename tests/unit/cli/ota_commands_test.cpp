// Proves the OTA commands end to end against a scripted server: `stratus-admin` (help,
// usage errors, the not-logged-in line naming stratus-admin, profiles shared with
// `stratus`, ota upload / job create / job show --watch with its progress lines) and
// `stratus otaupgrade` (size and file checks before any request, a node without the OTA
// service, the params flow to success, a failed update and a timeout, each one error line).
// How: cli::run_admin / cli::run with string streams, XDG_CONFIG_HOME in a temp dir holding
// a profile and a token that needs no refresh, a StubHttpServer on loopback answering the
// REST contract, a ManualClock that the injected sleep moves forward (no real waits), TZ=UTC.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "cli/admin_app.hpp"
#include "cli/app.hpp"
#include "cli/profiles.hpp"
#include "core/base64.hpp"
#include "support/stub_http_server.hpp"
#include "support/temp_dir.hpp"

namespace stratus::cli {
namespace {

using test::StubReply;
using test::StubRequest;

std::string path_of(const std::string& target) {
  return target.substr(0, target.find('?'));
}

class OtaCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);  // the watch lines print local times
    ::tzset();
  }

  struct Outcome {
    int status;
    std::string out;
    std::string err;
  };

  Outcome run_binary(bool admin, std::vector<std::string> args) {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    Environment env(in, out, err);
    const std::string xdg = dir_.path().string();
    env.getenv = [xdg](const std::string& name) -> std::optional<std::string> {
      if (name == "XDG_CONFIG_HOME")
        return xdg;
      return std::nullopt;
    };
    env.clock = &clock_;
    env.sleep = [this](std::chrono::milliseconds d) {
      sleeps_.push_back(d);
      clock_.advance(d);
    };
    args.insert(args.begin(), admin ? "stratus-admin" : "stratus");
    const int status = admin ? run_admin(args, env) : run(args, env);
    return {status, out.str(), err.str()};
  }
  Outcome admin(std::vector<std::string> args) { return run_binary(true, std::move(args)); }
  Outcome stratus(std::vector<std::string> args) { return run_binary(false, std::move(args)); }

  // Makes `url` the current profile, logged in with a token valid until 2100.
  void log_in_at(const std::string& url) {
    auto store = ProfileStore::open(dir_.path() / "stratus");
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add(Profile{"stub", url, ""}));
    ASSERT_TRUE(store->switch_to("stub"));
    const std::string token =
        "eyJhbGciOiJIUzI1NiJ9." +
        base64_encode(R"({"exp":4102444800,"custom:user_id":"u1","email":"root@example.com"})") +
        ".c2ln";
    ASSERT_TRUE(store->save_tokens("stub", client::Tokens{token, token, "refresh"}));
  }

  std::filesystem::path write_file(const std::string& name, std::size_t size) {
    const auto path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << std::string(size, 'x');
    return path;
  }

  test::TempDir dir_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1796292900))};
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(OtaCommandsTest, AdminHelpUsageAndLogin) {
  auto help = admin({"--help"});
  EXPECT_EQ(help.status, 0);
  for (const auto* command : {"login", "logout", "ota", "profile"})
    EXPECT_NE(help.out.find(command), std::string::npos) << command;
  EXPECT_EQ(help.out.find("signup"), std::string::npos) << "user commands stay in stratus";

  auto unknown = admin({"getnodes"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(unknown.err, "error: unknown command \"getnodes\" (see: stratus-admin --help)\n");
  EXPECT_EQ(admin({"ota"}).status, 2);
  EXPECT_EQ(admin({"ota", "upload", "f.bin"}).status, 2) << "--model, --type, --version required";
  EXPECT_EQ(admin({"ota", "job", "create", "--image", "i", "--nodes", "a", "--groups", "g"}).status,
            2);
  EXPECT_EQ(
      admin({"ota", "job", "create", "--image", "i", "--nodes", "a", "--priority", "11"}).status,
      2);
  EXPECT_EQ(admin({"ota", "job", "create", "--image", "i", "--nodes", "a", "--force-push",
                   "--user-approval"})
                .status,
            2);

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"ota", "images"}, {"ota", "job", "list"}, {"--json", "ota", "job", "show", "j1"}}) {
    auto r = admin(args);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "error: not logged in; run: stratus-admin login --user_name <email>\n");
  }
  // Checked before any request.
  auto r = admin({"ota", "job", "create", "--image", "i"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: name the targets: --nodes a,b, --groups g or --model M\n");
  r = admin({"ota", "upload", (dir_.path() / "none.bin").string(), "--model", "m", "--type", "t",
             "--version", "1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("none.bin is not a readable file"), std::string::npos) << r.err;
}

TEST_F(OtaCommandsTest, ProfilesAreSharedWithStratus) {
  auto r = admin({"profile", "add", "lab", "--url", "http://10.0.0.5:8080"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "added profile lab; use it with: stratus-admin profile switch lab\n");
  r = stratus({"profile", "switch", "lab"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = admin({"profile", "show"});
  EXPECT_NE(r.out.find("profile  lab (current)"), std::string::npos) << r.out;
}

TEST_F(OtaCommandsTest, UploadCreateAndWatchAJob) {
  std::atomic<int> job_reads{0};
  test::StubHttpServer server([&](const StubRequest& r) -> StubReply {
    const auto path = path_of(r.target);
    if (path == "/v1/admin/otaimage/upload") {
      return {200, R"({"ota_image_id":"img1","image_name":"light.bin","fw_version":"1.2.0",
        "model":"m1","type":"esp.device.lightbulb","project_name":"light","chip":"esp32s3",
        "file_size":4096,"file_md5":"md5","file_sha256":"sha","upload_timestamp":0,
        "archived":false})"};
    }
    if (path == "/v1/admin/otajob" && r.method == "POST")
      return {200, R"({"status":"success","ota_job_id":"job1"})"};
    if (path == "/v1/admin/otajob") {
      const int n = ++job_reads;
      const char* state = n < 3 ? "active" : "finished";
      const std::string counts = n == 1 ? R"("total_count":2,"pending_count":2)"
                                 : n == 2
                                     ? R"("total_count":2,"in_progress_count":1,"success_count":1)"
                                     : R"("total_count":2,"success_count":2)";
      return {200, std::string(R"({"ota_job_id":"job1","ota_job_name":"spring",)") +
                       R"("ota_image_id":"img1","fw_version":"1.2.0","status":")" + state +
                       R"(","nodes":["n1","n2"],)" + counts + "}"};
    }
    if (path == "/v1/admin/otajob/status") {
      return {200, R"({"node_ota_status":[{"node_id":"n1","status":"success","timestamp":0},
        {"node_id":"n2","status":"success","timestamp":0,"additional_info":"Rebooted"}]})"};
    }
    return {404, R"({"status":"failure","error_code":1,"description":"unexpected"})"};
  });
  log_in_at(server.url());

  const auto image = write_file("light.bin", 4096);
  auto r = admin({"ota", "upload", image.string(), "--model", "m1", "--type",
                  "esp.device.lightbulb", "--version", "1.2.0"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("uploaded OTA image img1\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("chip          esp32s3\n"), std::string::npos) << r.out;
  const auto upload = server.requests().back();
  EXPECT_EQ(upload.target,
            "/v1/admin/otaimage/upload?image_name=light.bin&fw_version=1.2.0&model=m1&type=esp."
            "device.lightbulb");
  EXPECT_EQ(upload.body.size(), 4096u);

  r = admin({"ota", "job", "create", "--image", "img1", "--nodes", "n1,n2", "--batch-size", "1",
             "--interval", "60", "--name", "spring"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "OTA job created: job1 (spring)\n"
            "follow it with: stratus-admin ota job show job1 --watch\n");
  EXPECT_NE(server.requests().back().body.find(R"("rollout":{"batch_size":1,"interval_s":60)"),
            std::string::npos)
      << server.requests().back().body;

  r = admin({"ota", "job", "show", "job1", "--watch"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("nodes by state  total 2: pending 2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("10:15:02  active total 2: in-progress 1, success 1\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("10:15:04  finished total 2: success 2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\njob job1 finished\nNODE ID  STATUS   BATCH  UPDATED  INFO\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("n2       success  -      -        Rebooted\n"), std::string::npos) << r.out;
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{std::chrono::seconds(2),
                                                             std::chrono::seconds(2)}));

  // --watch on a job that has already finished ends the same way, without waiting.
  r = admin({"ota", "job", "show", "job1", "--watch"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("nodes by state  total 2: success 2\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.size() - r.out.rfind("\njob job1 finished\n"),
            std::string("\njob job1 finished\n").size())
      << r.out;
  EXPECT_EQ(sleeps_.size(), 2u) << "no further sleep";

  r = admin({"--json", "ota", "job", "show", "job1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{\n  \"ota_job\": {", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\"node_ota_status\": ["), std::string::npos) << r.out;
}

TEST_F(OtaCommandsTest, OtaUpgradeChecksTheFileFirst) {
  auto r = stratus({"otaupgrade", "n1", (dir_.path() / "none.bin").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("none.bin is not a readable file"), std::string::npos) << r.err;
  const auto big = write_file("big.bin", 5 * 1024 * 1024 + 1);
  r = stratus({"otaupgrade", "n1", big.string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("big.bin is 5242881 bytes; otaupgrade sends at most 5 MB (5242880 bytes)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line";
  EXPECT_EQ(stratus({"otaupgrade", "n1"}).status, 2);
  EXPECT_EQ(stratus({"otaupgrade", "n1", big.string(), "--timeout", "0"}).status, 2);
}

// A node whose params go through the given statuses, one per read after the first.
class OtaParamsNode {
 public:
  OtaParamsNode(bool has_service, std::vector<std::string> statuses)
      : has_service_(has_service), statuses_(std::move(statuses)) {}

  StubReply answer(const StubRequest& r) {
    const auto path = path_of(r.target);
    if (path == "/v1/user/nodes/config") {
      if (!has_service_)
        return {200, R"({"node_id":"n1","services":[{"name":"Time","type":"esp.service.time"}]})"};
      return {200, R"({"node_id":"n1","services":[{"name":"OTA","type":"esp.service.ota",
        "params":[{"name":"URL","type":"esp.param.ota_url"},
                  {"name":"Status","type":"esp.param.ota_status"},
                  {"name":"Info","type":"esp.param.ota_info"}]}]})"};
    }
    if (path == "/v1/user/nodes/params" && r.method == "GET") {
      const std::size_t i = std::min(reads_++, statuses_.size() - 1);
      const auto& s = statuses_[i];
      return {200, s.empty() ? R"({"OTA":{}})"
                             : R"({"OTA":{"Status":")" + s + R"(","Info":")" + s + R"( info"}})"};
    }
    if (path == "/v1/user/otaimage")
      return {200, R"({"status":"success","ota_image_id":"u1","image_url":"http://dl/fw?sig=1"})"};
    if (path == "/v1/user/nodes/params")
      return {200, R"({"status":"success","description":"Successfully set params"})"};
    return {404, R"({"status":"failure","error_code":1,"description":"unexpected"})"};
  }

 private:
  bool has_service_;
  std::vector<std::string> statuses_;
  std::size_t reads_ = 0;
};

TEST_F(OtaCommandsTest, OtaUpgradeFollowsTheParamsToSuccess) {
  OtaParamsNode node(true, {"success", "success", "in-progress", "in-progress", "success"});
  test::StubHttpServer server([&](const StubRequest& r) { return node.answer(r); });
  log_in_at(server.url());
  const auto image = write_file("light.bin", 1000);
  auto r = stratus({"otaupgrade", "n1", image.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "uploaded light (1000 bytes)\n"
            "sent the image URL to n1; waiting up to 300 s for its OTA status\n"
            "in-progress: in-progress info\n"
            "success: success info\n"
            "OTA update of n1 succeeded\n")
      << "the success left from an earlier update is not taken for this one's";
  bool sent_image = false;
  bool set_url = false;
  for (const auto& req : server.requests()) {
    if (path_of(req.target) == "/v1/user/otaimage") {
      sent_image = true;
      EXPECT_NE(req.body.find(R"("image_name":"light")"), std::string::npos);
      EXPECT_NE(req.body.find(base64_encode(std::string(1000, 'x'))), std::string::npos);
    }
    if (req.method == "PUT") {
      set_url = true;
      EXPECT_EQ(req.body, R"([{"node_id":"n1","payload":{"OTA":{"URL":"http://dl/fw?sig=1"}}}])");
    }
  }
  EXPECT_TRUE(sent_image);
  EXPECT_TRUE(set_url);
  EXPECT_EQ(sleeps_.size(), 4u);
}

TEST_F(OtaCommandsTest, OtaUpgradeFailuresAreOneLine) {
  const auto image = write_file("light.bin", 10);
  {
    OtaParamsNode node(false, {""});
    test::StubHttpServer server([&](const StubRequest& r) { return node.answer(r); });
    log_in_at(server.url());
    auto r = stratus({"otaupgrade", "n1", image.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err,
              "error: the node has no OTA service (esp.service.ota); it updates through OTA jobs "
              "(topics) instead\n");
    EXPECT_EQ(server.requests().size(), 1u) << "nothing uploaded";
  }
  {
    OtaParamsNode node(true, {"", "in-progress", "failed"});
    test::StubHttpServer server([&](const StubRequest& r) { return node.answer(r); });
    log_in_at(server.url());
    auto r = stratus({"otaupgrade", "n1", image.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("failed: failed info\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "error: the OTA update of n1 ended failed: failed info\n");
  }
  {
    sleeps_.clear();
    OtaParamsNode node(true, {"", "in-progress"});
    test::StubHttpServer server([&](const StubRequest& r) { return node.answer(r); });
    log_in_at(server.url());
    auto r = stratus({"otaupgrade", "n1", image.string(), "--timeout", "20"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err,
              "error: no final OTA status from n1 within 20 s (last: in-progress: in-progress "
              "info)\n");
    EXPECT_EQ(sleeps_.size(), 4u) << "5 s polls up to the 20 s deadline";
  }
}

}  // namespace
}  // namespace stratus::cli
