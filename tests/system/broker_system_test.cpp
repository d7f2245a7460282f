// Proves the embedded broker's security model, presence events, supervision and
// clean shutdown, against the real stratusd binary and Debian's mosquitto.
// How: stratusd in a temp dir on free loopback ports; MQTT clients with
// certificates issued from that data dir's CA (or another CA, or none).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <string>

#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;

constexpr int kNotAuthorized = 5;  // MQTT 3.1.1 CONNACK "not authorized"
constexpr int kSubackFailure = 0x80;

// Files of a node identity (key + certificate) written into a folder.
struct NodeIdentity {
  std::string cert_file;
  std::string key_file;
};

NodeIdentity issue_identity(const pki::CertificateAuthority& ca, const std::string& cn,
                            const std::filesystem::path& dir) {
  SystemClock clock;
  auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
  auto csr_pem = pki::CertificateSigningRequest::make_csr_pem(*key, cn);
  auto csr = pki::CertificateSigningRequest::from_pem(*csr_pem);
  auto cert = ca.issue_client_certificate(*csr, std::chrono::days(1), clock);
  NodeIdentity id{(dir / (cn + ".crt")).string(), (dir / (cn + ".key")).string()};
  std::ofstream(id.cert_file) << cert->to_pem();
  std::ofstream(id.key_file) << key->to_pem();
  return id;
}

pki::CertificateAuthority load_ca(const std::filesystem::path& data_dir) {
  auto ca = pki::CertificateAuthority::load(read_file(data_dir / "pki" / "ca.crt"),
                                            read_file(data_dir / "pki" / "ca.key"));
  EXPECT_TRUE(ca.has_value());
  return std::move(*ca);
}

bool json_connected(const TestMessage& m, const std::string& node, bool connected) {
  const auto v = boost::json::parse(m.payload).as_object();
  return m.topic == "$stratus/presence/" + node && v.at("node_id").as_string() == node &&
         v.at("connected").as_bool() == connected && v.at("timestamp").as_int64() > 1700000000000;
}

// One stratusd for the whole suite: starting mosquitto per test would dominate the run time.
class BrokerSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ = new StratusdProcess(dir_->path() / "data");
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    ca_ = new pki::CertificateAuthority(load_ca(stratusd_->data_dir()));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete stratusd_;
    delete dir_;
  }

  static TestMqttOptions node_options(const std::string& client_id, const NodeIdentity& id) {
    TestMqttOptions o;
    o.port = stratusd_->mqtt_port();
    o.client_id = client_id;
    o.ca_file = (stratusd_->data_dir() / "pki" / "ca.crt").string();
    o.cert_file = id.cert_file;
    o.key_file = id.key_file;
    return o;
  }

  static TestMqttOptions backend_options(const std::string& client_id) {
    TestMqttOptions o;
    o.port = stratusd_->backend_port();
    o.client_id = client_id;
    o.username = "stratus-backend";
    o.password = read_file(stratusd_->data_dir() / "pki" / "backend.secret");
    while (!o.password.empty() && o.password.back() == '\n')
      o.password.pop_back();
    o.protocol_version = 5;
    return o;
  }

  static NodeIdentity identity(const std::string& cn) {
    return issue_identity(*ca_, cn, dir_->path());
  }

  static TempDir* dir_;
  static StratusdProcess* stratusd_;
  static pki::CertificateAuthority* ca_;
};

TempDir* BrokerSystemTest::dir_ = nullptr;
StratusdProcess* BrokerSystemTest::stratusd_ = nullptr;
pki::CertificateAuthority* BrokerSystemTest::ca_ = nullptr;

TEST_F(BrokerSystemTest, HttpEndpointsAnswer) {
  const auto health = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  const auto h = boost::json::parse(health.body).as_object();
  EXPECT_EQ(h.at("status").as_string(), "ok");
  EXPECT_EQ(h.at("broker").at("state").as_string(), "running");
  EXPECT_EQ(h.at("database").at("state").as_string(), "up");

  const auto versions = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/apiversions");
  EXPECT_EQ(versions.status, 200);
  EXPECT_EQ(boost::json::parse(versions.body),
            boost::json::parse(R"({"supported_versions":["v1"],"current_version":"v1"})"));
  const auto host = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/mqtt_host");
  EXPECT_EQ(host.status, 200);
  EXPECT_FALSE(boost::json::parse(host.body).at("mqtt_host").as_string().empty());

  const auto metrics = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  for (const char* series :
       {"stratus_uptime_seconds", "stratus_http_requests_total{route=\"/healthz\",status=\"200\"}",
        "stratus_mqtt_messages_received_total", "stratus_broker_restarts_total"}) {
    EXPECT_NE(metrics.body.find(series), std::string::npos) << series << "\n" << metrics.body;
  }
  const auto missing = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/v1/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(boost::json::parse(missing.body).at("status").as_string(), "failure");

  // Outside /v1/, the web dashboard of this build (docs/adr/0024): its page for a client
  // route, its hashed bundle, and the API's 404 for a file it does not have.
  const auto page = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/nodes/any");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(page.header("Cache-Control").value_or(""), "no-cache");
  EXPECT_NE(page.body.find("<div id=\"app\">"), std::string::npos) << page.body;
  const auto script = page.body.find("/assets/");
  ASSERT_NE(script, std::string::npos) << page.body;
  const auto asset = page.body.substr(script, page.body.find('"', script) - script);
  const auto bundle = http_request("127.0.0.1", stratusd_->http_port(), "GET", asset);
  EXPECT_EQ(bundle.status, 200) << asset;
  EXPECT_EQ(bundle.header("Cache-Control").value_or(""), "public, max-age=31536000, immutable");
  const auto gone = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/assets/old.js");
  EXPECT_EQ(gone.status, 404);
}

TEST_F(BrokerSystemTest, NodeUsesItsOwnTreeAndBothTopicForms) {
  TestMqttClient backend(backend_options("backend-own-tree"));
  ASSERT_EQ(backend.connect(), 0);
  ASSERT_EQ(backend.subscribe("node/#"), 1);
  ASSERT_EQ(backend.subscribe("$aws/rules/+/node/+/#"), 1);

  TestMqttClient node(node_options("A", identity("A")));
  ASSERT_EQ(node.connect(), 0);
  EXPECT_EQ(node.subscribe("node/A/#"), 1);
  EXPECT_EQ(node.subscribe("node/A/params/remote"), 1);

  ASSERT_TRUE(node.publish("node/A/params/local", R"({"Light":{"Power":true}})"));
  EXPECT_TRUE(
      backend.wait_message([](const TestMessage& m) { return m.topic == "node/A/params/local"; }));
  EXPECT_TRUE(
      node.wait_message([](const TestMessage& m) { return m.topic == "node/A/params/local"; }));

  ASSERT_TRUE(node.publish("$aws/rules/esp_set_params/node/A/params/local",
                           R"({"Light":{"Power":false}})"));
  const auto ingest = backend.wait_message([](const TestMessage& m) {
    return m.topic == "$aws/rules/esp_set_params/node/A/params/local";
  });
  ASSERT_TRUE(ingest.has_value());
  EXPECT_EQ(ingest->payload, R"({"Light":{"Power":false}})");

  // The backend may publish to the node (params/remote).
  ASSERT_TRUE(backend.publish("node/A/params/remote", R"({"Light":{"Power":true}})"));
  EXPECT_TRUE(
      node.wait_message([](const TestMessage& m) { return m.topic == "node/A/params/remote"; }));
}

TEST_F(BrokerSystemTest, NodeIsConfinedToItsTree) {
  TestMqttClient backend(backend_options("backend-confined"));
  ASSERT_EQ(backend.connect(), 0);
  ASSERT_EQ(backend.subscribe("node/#"), 1);
  ASSERT_EQ(backend.subscribe("$aws/rules/+/node/+/#"), 1);
  TestMqttClient victim(node_options("B", identity("B")));
  ASSERT_EQ(victim.connect(), 0);
  ASSERT_EQ(victim.subscribe("node/B/#"), 1);

  TestMqttClient node(node_options("A", identity("A")));
  ASSERT_EQ(node.connect(), 0);
  EXPECT_EQ(node.subscribe("node/B/#"), kSubackFailure);
  EXPECT_EQ(node.subscribe("#"), kSubackFailure);
  EXPECT_EQ(node.subscribe("node/+/params/remote"), kSubackFailure);
  EXPECT_EQ(node.subscribe("$stratus/presence/+"), kSubackFailure);
  EXPECT_EQ(node.subscribe("node/AB/#"), kSubackFailure) << "prefix of another id";

  // MQTT 3.1.1 acknowledges a refused publish anyway; it must reach nobody.
  ASSERT_TRUE(node.publish("node/B/params/remote", R"({"Lock":{"Open":true}})"));
  ASSERT_TRUE(node.publish("$aws/rules/esp_set_params/node/B/params/local", "{}"));
  ASSERT_TRUE(node.publish("$stratus/presence/B", R"({"node_id":"B","connected":false})"));
  // Messages from one publisher arrive in order: once the marker is seen,
  // anything refused before it would have been seen too.
  ASSERT_TRUE(node.publish("node/A/marker", "m"));
  ASSERT_TRUE(
      backend.wait_message([](const TestMessage& m) { return m.topic == "node/A/marker"; }));
  for (const auto& m : backend.received()) {
    EXPECT_EQ(m.topic.find("/B/"), std::string::npos) << m.topic;
  }
  ASSERT_TRUE(victim.publish("node/B/marker", "m"));
  ASSERT_TRUE(victim.wait_message([](const TestMessage& m) { return m.topic == "node/B/marker"; }));
  for (const auto& m : victim.received())
    EXPECT_NE(m.topic, "node/B/params/remote");
}

// A node may not leave retained messages: one would outlive its certificate and be
// replayed to whoever holds the node next (a retained set or OTA URL), and unbounded
// retained topics would grow the broker's memory.
TEST_F(BrokerSystemTest, NodesMayNotPublishRetainedMessages) {
  TestMqttClient node(node_options("A", identity("A")));
  ASSERT_EQ(node.connect(), 0);
  ASSERT_TRUE(node.publish("node/A/params/remote", R"({"Lock":{"Open":true}})",
                           std::chrono::seconds(5), /*retain=*/true));
  ASSERT_TRUE(node.publish("node/A/params/local", R"({"Lock":{"Open":false}})",
                           std::chrono::seconds(5), /*retain=*/true));
  node.disconnect();
  // A later subscriber to the node's tree (the node itself, reconnecting) gets none.
  TestMqttClient again(node_options("A", identity("A")));
  ASSERT_EQ(again.connect(), 0);
  ASSERT_EQ(again.subscribe("node/A/#"), 1);
  ASSERT_TRUE(again.publish("node/A/marker", "m"));
  ASSERT_TRUE(again.wait_message([](const TestMessage& m) { return m.topic == "node/A/marker"; }));
  for (const auto& m : again.received())
    EXPECT_TRUE(m.topic == "node/A/marker") << "retained " << m.topic << " replayed";
}

TEST_F(BrokerSystemTest, ClientIdMustEqualCertificateCn) {
  const auto a = identity("A");
  TestMqttClient impostor(node_options("B", a));
  EXPECT_EQ(impostor.connect(), kNotAuthorized);
}

TEST_F(BrokerSystemTest, CertificateFromAnotherCaOrNoneIsRefused) {
  SystemClock clock;
  auto other_ca = pki::CertificateAuthority::create("Other CA", std::chrono::days(1), clock);
  ASSERT_TRUE(other_ca.has_value());
  TempDir other_dir;
  const auto forged = issue_identity(*other_ca, "A", other_dir.path());
  TestMqttClient forged_client(node_options("A", forged));
  EXPECT_EQ(forged_client.connect(), -1) << "TLS handshake must fail";

  TestMqttOptions no_cert = node_options("A", {});
  no_cert.cert_file.clear();
  no_cert.key_file.clear();
  TestMqttClient anonymous(no_cert);
  EXPECT_EQ(anonymous.connect(), -1);

  // Backend credentials are not accepted without the right password.
  auto wrong = backend_options("backend-wrong");
  wrong.password = "guess";
  TestMqttClient guesser(wrong);
  EXPECT_NE(guesser.connect(), 0);
}

TEST_F(BrokerSystemTest, PresenceIsRetainedForBackendsThatSubscribeLater) {
  TestMqttClient node(node_options("R1", identity("R1")));
  ASSERT_EQ(node.connect(), 0);
  TestMqttClient late(backend_options("backend-late"));
  ASSERT_EQ(late.connect(), 0);
  ASSERT_EQ(late.subscribe("$stratus/presence/+"), 1);
  EXPECT_TRUE(
      late.wait_message([](const TestMessage& m) { return json_connected(m, "R1", true); }));
}

TEST_F(BrokerSystemTest, PresenceEventsForConnectAndDisconnect) {
  TestMqttClient backend(backend_options("backend-presence"));
  ASSERT_EQ(backend.connect(), 0);
  ASSERT_EQ(backend.subscribe("$stratus/presence/+"), 1);

  const auto id = identity("P1");
  {
    TestMqttClient node(node_options("P1", id));
    ASSERT_EQ(node.connect(), 0);
    EXPECT_TRUE(
        backend.wait_message([](const TestMessage& m) { return json_connected(m, "P1", true); }));
    node.drop();  // no DISCONNECT, no Last Will: like unmodified firmware losing power
  }
  EXPECT_TRUE(
      backend.wait_message([](const TestMessage& m) { return json_connected(m, "P1", false); }));
}

TEST_F(BrokerSystemTest, NodeThatReconnectsBeforeItsOldSessionDropsEndsOnline) {
  TestMqttClient backend(backend_options("backend-takeover"));
  ASSERT_EQ(backend.connect(), 0);
  ASSERT_EQ(backend.subscribe("$stratus/presence/+"), 1);
  const auto id = identity("T1");
  TestMqttClient first(node_options("T1", id));
  ASSERT_EQ(first.connect(), 0);
  ASSERT_TRUE(
      backend.wait_message([](const TestMessage& m) { return json_connected(m, "T1", true); }));

  TestMqttClient second(node_options("T1", id));  // the old session is still open
  ASSERT_EQ(second.connect(), 0);
  ASSERT_TRUE(
      backend.wait_message([](const TestMessage& m) { return json_connected(m, "T1", true); }));
  EXPECT_TRUE(wait_until([&] { return !first.connected(); }, 5s))
      << "the broker closes the taken-over session";

  // Presence events are published in order; a later node's disconnect is the marker.
  {
    TestMqttClient marker(node_options("T2", identity("T2")));
    ASSERT_EQ(marker.connect(), 0);
  }
  ASSERT_TRUE(
      backend.wait_message([](const TestMessage& m) { return json_connected(m, "T2", false); }));
  for (const auto& m : backend.received()) {
    EXPECT_FALSE(json_connected(m, "T1", false)) << "stale disconnect of the taken-over session";
  }
  EXPECT_TRUE(second.connected());
}

// docs/adr/0025: with the embedded broker, node messages reach stratusd through the
// plugin's handoff socket, in both topic forms, and the broker still routes them to MQTT
// subscribers (NodeUsesItsOwnTreeAndBothTopicForms).
TEST_F(BrokerSystemTest, NodeMessagesReachStratusdThroughTheIngestHandoff) {
  const auto port = stratusd_->http_port();
  const auto health = boost::json::parse(http_request("127.0.0.1", port, "GET", "/healthz").body);
  EXPECT_EQ(health.at("broker").at("ingest_handoff_connected").as_bool(), true);
  const std::string conf = read_file(stratusd_->data_dir() / "broker" / "mosquitto.conf");
  EXPECT_NE(conf.find("\nplugin_opt_ingest_socket " +
                      (stratusd_->data_dir() / "broker" / "ingest.sock").string() + "\n"),
            std::string::npos)
      << conf;
  const double before = metric_sample(*stratusd_, "stratus_handoff_messages_total");
  const double params_before =
      metric_sample(*stratusd_, "stratus_link_messages_total{kind=\"params\"}");
  ASSERT_GE(before, 0);

  TestMqttClient node(node_options("H1", identity("H1")));
  ASSERT_EQ(node.connect(), 0);
  ASSERT_TRUE(node.publish("node/H1/params/local", R"({"Light":{"Power":true}})"));
  ASSERT_TRUE(node.publish("$aws/rules/esp_set_params/node/H1/params/local",
                           R"({"Light":{"Power":false}})"));
  EXPECT_TRUE(wait_until(
      [&] { return metric_sample(*stratusd_, "stratus_handoff_messages_total") >= before + 2; },
      10s));
  EXPECT_EQ(metric_sample(*stratusd_, "stratus_link_messages_total{kind=\"params\"}"),
            params_before + 2);
}

// Kept last in this file: it restarts the shared broker.
TEST_F(BrokerSystemTest, KilledMosquittoIsRestartedAndHealthRecovers) {
  const auto before =
      processes_mentioning((stratusd_->data_dir() / "broker" / "mosquitto.conf").string());
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(::kill(before[0], SIGKILL), 0);
  EXPECT_TRUE(wait_until(
      [&] {
        const auto now =
            processes_mentioning((stratusd_->data_dir() / "broker" / "mosquitto.conf").string());
        return now.size() == 1 && now[0] != before[0];
      },
      20s));
  EXPECT_TRUE(wait_until(
      [&] {
        return http_request("127.0.0.1", stratusd_->http_port(), "GET", "/healthz").status == 200;
      },
      20s));
  const auto metrics = http_request("127.0.0.1", stratusd_->http_port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("stratus_broker_restarts_total 1\n"), std::string::npos)
      << metrics.body;
  TestMqttClient node(node_options("A", identity("A")));
  EXPECT_EQ(node.connect(), 0) << "nodes can connect to the restarted broker";
  // Health waited for the new mosquitto's plugin (a new handoff session) to connect too.
  const double handed = metric_sample(*stratusd_, "stratus_handoff_messages_total");
  ASSERT_TRUE(node.publish("node/A/params/local", R"({"Light":{"Power":true}})"));
  EXPECT_TRUE(wait_until(
      [&] { return metric_sample(*stratusd_, "stratus_handoff_messages_total") >= handed + 1; },
      10s));
}

TEST(StratusdLifecycle, SigtermStopsEverythingAndRestartReusesThePki) {
  TempDir dir;
  const auto data = dir.path() / "data";
  std::string ca_before;
  {
    StratusdProcess stratusd(data);
    ASSERT_TRUE(stratusd.start()) << stratusd.output();
    ca_before = read_file(data / "pki" / "ca.crt");
    // Its threads carry their names (docs/architecture.md), every pool thread too. Each
    // names itself when it first runs, which on a loaded machine may come just after
    // start-up has finished: read until the pool threads show (bounded), then check.
    std::multiset<std::string> threads;
    const auto read_threads = [&] {
      threads.clear();
      for (const auto& task : std::filesystem::directory_iterator(
               "/proc/" + std::to_string(stratusd.pid()) + "/task")) {
        std::string name = read_file(task.path() / "comm");
        if (!name.empty() && name.back() == '\n')
          name.pop_back();
        threads.insert(name);
      }
      return threads.count("db-pool") == 2 && threads.count("http") == 2;
    };
    (void)wait_until(read_threads, 5s);
    for (const char* name : {"ingest-writer", "handoff", "link", "event-hub", "audit",
                             "broker-watch", "command-sweep"})
      EXPECT_EQ(threads.count(name), 1u) << name;
    EXPECT_EQ(threads.count("db-pool"), 2u);  // database.pool_threads
    EXPECT_EQ(threads.count("http"), 2u);     // http.threads
    const int status = stratusd.stop(SIGTERM);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << stratusd.output();
    EXPECT_TRUE(processes_mentioning(data.string()).empty()) << "a child survived stratusd";
    EXPECT_FALSE(std::filesystem::exists(data / "runtime.json"));
  }
  StratusdProcess again(data);
  ASSERT_TRUE(again.start()) << again.output();
  EXPECT_EQ(read_file(data / "pki" / "ca.crt"), ca_before);
  EXPECT_EQ(http_request("127.0.0.1", again.http_port(), "GET", "/healthz").status, 200);
  const int status = again.stop(SIGINT);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(StratusdLifecycle, DamagedPkiStopsStartupAndIsNotRegenerated) {
  TempDir dir;
  const auto data = dir.path() / "data";
  {
    StratusdProcess stratusd(data);
    ASSERT_TRUE(stratusd.start()) << stratusd.output();
    ASSERT_TRUE(WIFEXITED(stratusd.stop(SIGTERM)));
  }
  std::filesystem::remove(data / "pki" / "server.key");
  const std::string ca = read_file(data / "pki" / "ca.crt");
  StratusdProcess broken(data);
  EXPECT_FALSE(broken.start());
  EXPECT_TRUE(WIFEXITED(broken.exit_status()) && WEXITSTATUS(broken.exit_status()) == 1);
  EXPECT_NE(broken.output().find("server.key"), std::string::npos) << broken.output();
  EXPECT_EQ(read_file(data / "pki" / "ca.crt"), ca);
  EXPECT_FALSE(std::filesystem::exists(data / "pki" / "server.key"));
  EXPECT_TRUE(processes_mentioning(data.string()).empty());
}

TEST(StratusdModes, ExternalBrokerModeStartsNoBrokerAndReportsBrokerHealth) {
  // The "external" broker is another stratusd's mosquitto, reached through its
  // backend listener with the backend credentials.
  TempDir dir;
  StratusdProcess embedded(dir.path() / "embedded");
  ASSERT_TRUE(embedded.start()) << embedded.output();
  const auto secret = (embedded.data_dir() / "pki" / "backend.secret").string();
  const std::vector<std::string> external_args = {
      "--set", "broker.mode=external",
      "--set", "broker.external_host=127.0.0.1",
      "--set", "broker.external_port=" + std::to_string(embedded.backend_port()),
      "--set", "broker.external_tls=false",
      "--set", "broker.external_username=stratus-backend",
      "--set", "broker.external_password_file=" + secret};
  StratusdProcess external(dir.path() / "external", external_args);
  ASSERT_TRUE(external.start()) << external.output();
  EXPECT_TRUE(processes_mentioning((external.data_dir() / "broker").string()).empty());
  EXPECT_TRUE(wait_until(
      [&] {
        return http_request("127.0.0.1", external.http_port(), "GET", "/healthz").status == 200;
      },
      10s));
  const auto health = http_request("127.0.0.1", external.http_port(), "GET", "/healthz");
  EXPECT_EQ(boost::json::parse(health.body).at("broker").at("mode").as_string(), "external");

  // When the broker goes away, health says so (503) instead of pretending.
  ASSERT_TRUE(WIFEXITED(embedded.stop(SIGTERM)));
  EXPECT_TRUE(wait_until(
      [&] {
        return http_request("127.0.0.1", external.http_port(), "GET", "/healthz").status == 503;
      },
      10s));
  const auto down = http_request("127.0.0.1", external.http_port(), "GET", "/healthz");
  EXPECT_EQ(boost::json::parse(down.body).at("broker").at("backend_connected").as_bool(), false);
  const int status = external.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// `broker.ingest_handoff: false`: the backend connection subscribes to node traffic and
// gets it by MQTT forwarding, as with an external broker (docs/adr/0025).
TEST(StratusdModes, WithoutTheHandoffNodeMessagesComeOverMqtt) {
  TempDir dir;
  StratusdProcess stratusd(dir.path() / "data", {"--set", "broker.ingest_handoff=false"});
  ASSERT_TRUE(stratusd.start()) << stratusd.output();
  const auto port = stratusd.http_port();
  const auto health = boost::json::parse(http_request("127.0.0.1", port, "GET", "/healthz").body);
  EXPECT_FALSE(health.at("broker").as_object().contains("ingest_handoff_connected"));
  const std::string conf = read_file(stratusd.data_dir() / "broker" / "mosquitto.conf");
  EXPECT_EQ(conf.find("plugin_opt_ingest_socket"), std::string::npos) << conf;

  const auto ca = load_ca(stratusd.data_dir());
  const auto id = issue_identity(ca, "M1", dir.path());
  TestMqttOptions o;
  o.port = stratusd.mqtt_port();
  o.client_id = "M1";
  o.ca_file = (stratusd.data_dir() / "pki" / "ca.crt").string();
  o.cert_file = id.cert_file;
  o.key_file = id.key_file;
  TestMqttClient node(o);
  ASSERT_EQ(node.connect(), 0);
  ASSERT_TRUE(node.publish("node/M1/params/local", R"({"Light":{"Power":true}})"));
  ASSERT_TRUE(node.publish("$aws/rules/esp_set_params/node/M1/params/local", R"({"Light":{}})"));
  EXPECT_TRUE(wait_until(
      [&] { return metric_sample(stratusd, "stratus_link_messages_total{kind=\"params\"}") == 2; },
      10s));
  EXPECT_EQ(metric_sample(stratusd, "stratus_handoff_messages_total"), -1);  // no receiver at all

  // A Last Will comes the same way: the plugin admits it at mosquitto's will check, after
  // the socket closed (NodesSystemTest.ANodesLastWillIsTakenAsItsReport, in handoff mode).
  node.disconnect();
  TestMqttOptions with_will = o;
  with_will.will_topic = "node/M1/params/local";
  with_will.will_payload = R"({"Light":{"Power":false}})";
  TestMqttClient dying(with_will);
  ASSERT_EQ(dying.connect(), 0);
  dying.drop();  // no DISCONNECT: the broker publishes the will
  EXPECT_TRUE(wait_until(
      [&] { return metric_sample(stratusd, "stratus_link_messages_total{kind=\"params\"}") == 3; },
      10s));
}

TEST(StratusdModes, HttpsWithTheStratusServerCertificate) {
  TempDir dir;
  StratusdProcess stratusd(dir.path() / "data", {"--set", "http.tls=true"});
  ASSERT_TRUE(stratusd.start()) << stratusd.output();
  const auto reply = https_request("127.0.0.1", stratusd.http_port(),
                                   stratusd.data_dir() / "pki" / "ca.crt", "GET", "/apiversions");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(boost::json::parse(reply.body).at("current_version").as_string(), "v1");
  EXPECT_THROW(http_request("127.0.0.1", stratusd.http_port(), "GET", "/apiversions", {}, {}, 2s),
               std::runtime_error)
      << "plain HTTP on the TLS port gets no answer";
}

TEST(StratusdLifecycle, UserAddReadsThePasswordFromStdinAndCreatesASuperAdmin) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const std::string base = build_binary("stratusd").string() + " --data-dir " + data.string() +
                           " --set accounts.argon2_mem_limit_kib=8 user add --admin ";
  EXPECT_EQ(std::system(("echo rootpass1 | " + base + "Root@Example.com > /dev/null").c_str()), 0);
  EXPECT_NE(std::system(("echo rootpass1 | " + base + "root@example.com 2> /dev/null").c_str()), 0)
      << "the same admin twice";
  EXPECT_NE(std::system(("echo short | " + base + "other@example.com 2> /dev/null").c_str()), 0)
      << "password policy";

  StratusdProcess stratusd(data);
  ASSERT_TRUE(stratusd.start()) << stratusd.output();
  const auto login = http_request("127.0.0.1", stratusd.http_port(), "POST", "/v1/login2",
                                  R"({"user_name":"root@example.com","password":"rootpass1"})");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string token(boost::json::parse(login.body).at("accesstoken").as_string());
  const auto users = http_request("127.0.0.1", stratusd.http_port(), "GET", "/v1/admin/users", {},
                                  {{"Authorization", token}});
  EXPECT_EQ(users.status, 200) << users.body;
}

TEST(StratusdLifecycle, ConfigErrorsExitWithCodeTwoAndNameEveryKey) {
  TempDir dir;
  StratusdProcess stratusd(dir.path() / "data",
                           {"--set", "http.threads=0", "--set", "log.level=loud"});
  EXPECT_FALSE(stratusd.start(10s));
  EXPECT_TRUE(WIFEXITED(stratusd.exit_status()) && WEXITSTATUS(stratusd.exit_status()) == 2);
  const std::string out = stratusd.output();
  EXPECT_NE(out.find("http.threads"), std::string::npos) << out;
  EXPECT_NE(out.find("log.level"), std::string::npos) << out;
}

}  // namespace
}  // namespace stratus::test
