// Proves `stratus-admin certs devicecert generate` end to end against a scripted server:
// --local reads GET /mqtt_host and writes a batch whose certificates chain to the CA
// given with --cacertfile/--cakeyfile and whose files parse back; --cloud takes the MQTT
// host from GET /v1/admin/mqtt_host, asks POST /v1/admin/node_ids, polls until success and
// downloads the comma-separated ids without the access token; --inputfile reads ids from
// a CSV; bad arguments fail before any request. How: cli::run_admin with string streams, a
// profile with a token that needs no refresh in a temp XDG_CONFIG_HOME, a StubHttpServer on
// loopback, a ManualClock that the injected sleep moves forward (no real waits), TZ=UTC.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "cli/admin_app.hpp"
#include "cli/app.hpp"
#include "cli/profiles.hpp"
#include "core/base64.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "proto/mfg_csv.hpp"
#include "support/stub_http_server.hpp"
#include "support/temp_dir.hpp"

namespace stratus::cli {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::StubReply;
using test::StubRequest;

std::string path_of(const std::string& target) {
  return target.substr(0, target.find('?'));
}

const std::string kToken =
    "eyJhbGciOiJIUzI1NiJ9." +
    base64_encode(R"({"exp":4102444800,"custom:user_id":"u1","email":"root@example.com"})") +
    ".c2ln";

class CertsCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }

  struct Outcome {
    int status;
    std::string out;
    std::string err;
  };

  Outcome admin(std::vector<std::string> args) {
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
      ++sleeps_;
      clock_.advance(d);
    };
    args.insert(args.begin(), "stratus-admin");
    const int status = run_admin(args, env);
    return {status, out.str(), err.str()};
  }

  void use_server(const std::string& url, bool logged_in) {
    auto store = ProfileStore::open(dir_.path() / "stratus");
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add(Profile{"stub", url, ""}));
    ASSERT_TRUE(store->switch_to("stub"));
    if (logged_in) {
      ASSERT_TRUE(store->save_tokens("stub", client::Tokens{kToken, kToken, "refresh"}));
    }
  }

  // The single batch directory under `outdir`.
  static fs::path batch_dir(const fs::path& outdir) {
    fs::path found;
    for (const auto& date : fs::directory_iterator(outdir))
      for (const auto& batch : fs::directory_iterator(date.path()))
        found = batch.path();
    return found;
  }

  test::TempDir dir_;
  ManualClock clock_{std::chrono::sys_days{std::chrono::year{2026} / 12 / 3} +
                     std::chrono::hours{9}};
  int sleeps_ = 0;
};

TEST_F(CertsCommandsTest, LocalWithGivenCa) {
  test::StubHttpServer server([](const StubRequest& r) -> StubReply {
    if (path_of(r.target) == "/mqtt_host")
      return {200, R"({"mqtt_host":"a1b2c3-ats.iot.example.com","mqtt_port":8883})"};
    return {404, R"({"status":"failure","description":"no route"})"};
  });
  use_server(server.url(), false);
  auto ca = pki::CertificateAuthority::create("Factory CA", std::chrono::days{3650}, clock_);
  ASSERT_TRUE(ca);
  const fs::path ca_crt = dir_.path() / "ca.crt";
  const fs::path ca_key = dir_.path() / "ca.key";
  std::ofstream(ca_crt) << ca->certificate().to_pem();
  std::ofstream(ca_key) << ca->key().to_pem();
  const fs::path outdir = dir_.path() / "out";

  auto r = admin({"certs", "devicecert", "generate", "--count", "5", "--local", "--outdir",
                  outdir.string(), "--cacertfile", ca_crt.string(), "--cakeyfile", ca_key.string(),
                  "--prov", "softap", "--prov_prefix", "ACME", "--threads", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(
      r.out.find("generating 5 nodes (ECDSA P-256 keys, MQTT host a1b2c3-ats.iot.example.com)"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  5/5 nodes\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("generated 5 nodes in "), std::string::npos) << r.out;
  const fs::path batch = batch_dir(outdir);
  EXPECT_EQ(batch, outdir / "2026-12-03" / "Mfg-000001");
  EXPECT_NE(r.out.find("batch: " + batch.string()), std::string::npos) << r.out;

  const auto rows = proto::parse_node_certs_csv(read_file(batch / "common" / "node_certs.csv"));
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 5U);
  for (const auto& row : *rows) {
    EXPECT_EQ(row.node_id.size(), 22U);
    auto cert = pki::Certificate::from_pem(row.certificate_pem);
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->subject_cn(), row.node_id);
    EXPECT_TRUE(cert->issued_by(ca->certificate()));
    EXPECT_TRUE(cert->has_client_auth_usage());
    EXPECT_NE(row.qrcode.find(R"("transport": "softap")"), std::string::npos);
    EXPECT_NE(row.qrcode.find(R"("name": "ACME_)"), std::string::npos);
  }
  EXPECT_EQ(read_file(batch / "common" / "ca.crt"), ca->certificate().to_pem());
  EXPECT_EQ(read_file(batch / "common" / "endpoint.txt"), "a1b2c3-ats.iot.example.com");
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].header("authorization"), "");
}

TEST_F(CertsCommandsTest, CloudNodeIdFlow) {
  int status_reads = 0;
  std::string base;
  test::StubHttpServer server([&](const StubRequest& r) -> StubReply {
    const auto path = path_of(r.target);
    if (path == "/v1/admin/mqtt_host")
      return {200,
              R"({"mqtt_host":"cloud-ats.iot.example.com","mqtt_cred_host":"cred.example.com"})"};
    if (path == "/v1/admin/node_ids" && r.method == "POST")
      return {200, R"({"request_id":"req-7"})"};
    if (path == "/v1/admin/node_ids") {
      if (++status_reads < 3)
        return {200, R"({"status":"in_progress"})"};
      return {200, R"({"status":"success","url":"/downloads/node_ids-req-7"})"};
    }
    if (path == "/downloads/node_ids-req-7")
      return {200, "cloudNodeId00000000001,cloudNodeId00000000002,cloudNodeId00000000003\n"};
    return {404, R"({"status":"failure","description":"no route"})"};
  });
  use_server(server.url(), true);
  const fs::path outdir = dir_.path() / "cloud";
  auto r = admin({"certs", "devicecert", "generate", "--count", "3", "--cloud", "--outdir",
                  outdir.string(), "--key_type", "ecdsa"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("requested 3 node ids (request req-7)"), std::string::npos) << r.out;
  EXPECT_EQ(sleeps_, 2);

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 6U);
  EXPECT_EQ(requests[0].target, "/v1/admin/mqtt_host");
  EXPECT_EQ(requests[0].header("authorization"), kToken);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].body, R"({"node_count":3})");
  EXPECT_EQ(requests[2].target, "/v1/admin/node_ids?request_id=req-7");
  EXPECT_EQ(requests[5].target, "/downloads/node_ids-req-7");
  EXPECT_EQ(requests[5].header("authorization"), "") << "the download is unauthenticated";

  const fs::path batch = batch_dir(outdir);
  const auto ids = proto::parse_node_ids_csv(read_file(batch / "common" / "node_ids.csv"));
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, (std::vector<std::string>{"cloudNodeId00000000001", "cloudNodeId00000000002",
                                            "cloudNodeId00000000003"}));
  EXPECT_TRUE(fs::exists(batch / "bin" / "node-000003-cloudNodeId00000000003.bin"));
  EXPECT_EQ(read_file(batch / "common" / "mqtt_cred_host.txt"), "cred.example.com");
  const auto values = proto::parse_csv(read_file(batch / "common" / "values.csv"));
  ASSERT_TRUE(values);
  EXPECT_EQ((*values)[1].fields[3], "cred.example.com");
  // A generated CA signed them.
  auto ca = pki::Certificate::from_pem(read_file(batch / "common" / "ca.crt"));
  auto node = pki::Certificate::from_pem(
      read_file(batch / "node_details" / "node-000001-cloudNodeId00000000001" / "node.crt"));
  ASSERT_TRUE(ca && node);
  EXPECT_TRUE(node->issued_by(*ca));
  EXPECT_EQ(ca->subject_cn(), "Stratus Manufacturing CA");
}

TEST_F(CertsCommandsTest, CloudFailureIsOneErrorLine) {
  test::StubHttpServer server([&](const StubRequest& r) -> StubReply {
    const auto path = path_of(r.target);
    if (path == "/v1/admin/mqtt_host")
      return {200, R"({"mqtt_host":"h.example.com"})"};
    if (path == "/v1/admin/node_ids" && r.method == "POST")
      return {200, R"({"request_id":"req-8"})"};
    return {200, R"({"status":"failure","description":"quota exceeded"})"};
  });
  use_server(server.url(), true);
  auto r = admin({"certs", "devicecert", "generate", "--count", "2", "--cloud", "--outdir",
                  (dir_.path() / "x").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: node id request req-8 failure: quota exceeded\n");
  EXPECT_FALSE(fs::exists(dir_.path() / "x"));
}

TEST_F(CertsCommandsTest, InputFileAndOfflineHost) {
  const fs::path input = dir_.path() / "node_ids.csv";
  std::ofstream(input) << "node_id\r\nfileNode1\r\nfileNode2\r\nfileNode3\r\n";
  const fs::path outdir = dir_.path() / "file";
  auto r = admin({"certs", "devicecert", "generate", "--inputfile", input.string(), "--count", "2",
                  "--mqtt_host", "broker.example.com", "--outdir", outdir.string(), "--key_type",
                  "rsa"});
  ASSERT_EQ(r.status, 0) << r.err;
  const fs::path batch = batch_dir(outdir);
  EXPECT_TRUE(fs::exists(batch / "node_details" / "node-000002-fileNode2" / "node.key"));
  EXPECT_FALSE(fs::exists(batch / "node_details" / "node-000003-fileNode3"));
  EXPECT_NE(
      read_file(batch / "node_details" / "node-000001-fileNode1" / "node.key").find("PRIVATE KEY"),
      std::string::npos);
}

TEST_F(CertsCommandsTest, BadArgumentsFailBeforeAnyRequest) {
  test::StubHttpServer server([](const StubRequest&) -> StubReply { return {500, "{}"}; });
  use_server(server.url(), true);
  const std::string out = (dir_.path() / "none").string();
  EXPECT_EQ(admin({"certs", "devicecert", "generate", "--count", "0"}).status, 2);
  EXPECT_EQ(admin({"certs", "devicecert", "generate", "--count", "50001"}).status, 2);
  EXPECT_EQ(admin({"certs", "devicecert", "generate", "--count", "1", "--key_type", "dsa"}).status,
            2);
  EXPECT_EQ(admin({"certs", "devicecert", "generate", "--count", "1", "--local", "--cloud"}).status,
            2);
  EXPECT_EQ(admin({"certs", "devicecert", "generate", "--count", "1", "--cacertfile", "a"}).status,
            2);
  auto r = admin({"certs", "devicecert", "generate", "--outdir", out});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "error: give --count N or --inputfile node_ids.csv\n");
  r = admin(
      {"certs", "devicecert", "generate", "--count", "1", "--fileid", "mac", "--outdir", out});
  EXPECT_EQ(r.status, 1);
  r = admin({"certs", "devicecert", "generate", "--count", "1", "--cacertfile",
             (dir_.path() / "missing.crt").string(), "--cakeyfile", "k", "--outdir", out});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing.crt"), std::string::npos) << r.err;
  const fs::path bad = dir_.path() / "bad.csv";
  std::ofstream(bad) << "node_id\nok\nnot ok\n";
  r = admin({"certs", "devicecert", "generate", "--inputfile", bad.string(), "--mqtt_host", "h",
             "--outdir", out});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("#2 'not ok'"), std::string::npos) << r.err;
  EXPECT_TRUE(server.requests().empty());
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace stratus::cli
