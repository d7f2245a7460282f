// Proves that stratusd keeps every write it acknowledged across a kill -9 (REST writes and
// MQTT ingest), that a killed embedded mosquitto is restarted under load without losing
// stored state, and that a full disk gives clean 503s, no damage, and recovers.
// How: the real stratusd binary and its mosquitto on free loopback ports; a writer thread
// records which writes were answered 2xx while the test SIGKILLs at a seeded random moment,
// then restarts on the same data dir and checks each acknowledged write; the full disk is a
// small tmpfs in a private mount namespace (`unshare`), filled through /proc/<pid>/root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "proto/cmd_resp.hpp"
#include "storage/sqlite/connection.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kFastArgon = {"--set", "accounts.argon2_mem_limit_kib=8", "--set",
                                             "accounts.argon2_ops_limit=1"};

// The kill moments come from this seed: STRATUS_CRASH_SEED replays a run.
std::uint32_t crash_seed() {
  const char* text = std::getenv("STRATUS_CRASH_SEED");
  return text != nullptr ? static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10)) : 13u;
}

json::value parse_or_null(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

// A RainMaker failure body: {"status":"failure","error_code":<number>,"description":"…"}.
bool is_failure_body(const std::string& body) {
  const auto v = parse_or_null(body);
  if (!v.is_object())
    return false;
  const auto& o = v.as_object();
  return o.contains("status") && o.at("status") == json::value("failure") &&
         o.contains("error_code") && o.at("error_code").is_int64() && o.contains("description") &&
         o.at("description").is_string() && !o.at("description").as_string().empty();
}

// Joins a test's worker thread on every way out of the test (a failed ASSERT returns early),
// after raising its stop flag; the workers' loops are bounded anyway.
class JoinOnExit {
 public:
  JoinOnExit(std::thread& thread, std::atomic<bool>& stop) : thread_(thread), stop_(stop) {}
  ~JoinOnExit() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  JoinOnExit(const JoinOnExit&) = delete;
  JoinOnExit& operator=(const JoinOnExit&) = delete;

 private:
  std::thread& thread_;
  std::atomic<bool>& stop_;
};

std::string mosquitto_conf(const StratusdProcess& s) {
  return (s.data_dir() / "broker" / "mosquitto.conf").string();
}

// One user and the nodes of one test, against one StratusdProcess.
class Harness {
 public:
  Harness(StratusdProcess& server, std::filesystem::path dir)
      : server_(server), dir_(std::move(dir)) {}

  void sign_up(const std::string& user) {
    token_ = signed_up_token(server_, user);
    user_id_ = user_id_for(server_, token_);
  }

  HttpReply call(std::string_view method, std::string_view target,
                 std::string_view body = {}) const {
    return rest_call(server_, method, target, token_, body);
  }

  TestMqttOptions node_options(const std::string& node_id) const {
    return node_mqtt_options(server_, dir_, node_id);
  }

  // As the firmware boots (spec §1.4): config (with cmd-resp), mapping, init params,
  // subscribe params/remote and to-node, poll. Returns the connected node.
  std::unique_ptr<TestMqttClient> boot_and_map(const std::string& node_id) const {
    auto node = std::make_unique<TestMqttClient>(node_options(node_id));
    EXPECT_EQ(node->connect(), 0);
    EXPECT_TRUE(node->publish("$aws/rules/esp_node_config/node/" + node_id + "/config",
                              source_file("tests/data/node_config_light.json")));
    const auto mapping =
        call("PUT", "/v1/user/nodes/mapping",
             R"({"node_id":")" + node_id + R"(","secret_key":"s3cr3t","operation":"add"})");
    EXPECT_EQ(mapping.status, 200) << mapping.body;
    const std::string request_id(json::parse(mapping.body).at("request_id").as_string());
    EXPECT_TRUE(node->publish("$aws/rules/esp_user_node_mapping/node/" + node_id + "/user/mapping",
                              R"({"node_id":")" + node_id + R"(","user_id":")" + user_id_ +
                                  R"(","secret_key":"s3cr3t"})"));
    EXPECT_TRUE(wait_until(
        [&] {
          return call("GET", "/v1/user/nodes/mapping?request_id=" + request_id)
                     .body.find("confirmed") != std::string::npos;
        },
        10s));
    EXPECT_TRUE(node->publish("$aws/rules/esp_init_params/node/" + node_id + "/params/local/init",
                              R"({"Light":{"Name":"init","Power":false,"Brightness":50}})"));
    subscribe_and_poll(*node, node_id);
    EXPECT_TRUE(wait_until([&] { return connected(node_id); }, 10s));
    EXPECT_TRUE(wait_until([&] { return param(node_id, "Name") == json::value("init"); }, 10s));
    return node;
  }

  static void subscribe_and_poll(TestMqttClient& node, const std::string& node_id) {
    EXPECT_EQ(node.subscribe("node/" + node_id + "/params/remote"), 1);
    EXPECT_EQ(node.subscribe("node/" + node_id + "/to-node"), 1);
    EXPECT_TRUE(node.publish("$aws/rules/esp_cmd_resp/node/" + node_id + "/from-node",
                             proto::encode_poll()));
  }

  bool connected(const std::string& node_id) const {
    const auto r = call("GET", "/v1/user/nodes/status?node_id=" + node_id);
    return r.status == 200 && json::parse(r.body).at("connectivity").at("connected").as_bool();
  }

  // Power loss (no DISCONNECT), then wait until stratusd shows the node offline.
  void go_offline(std::unique_ptr<TestMqttClient>& node, const std::string& node_id) const {
    node->drop();
    node.reset();
    ASSERT_TRUE(wait_until([&] { return !connected(node_id); }, 10s));
  }

  // Light.<name> in the stored params, or null.
  json::value param(const std::string& node_id, const char* name) const {
    const auto r = call("GET", "/v1/user/nodes/params?node_id=" + node_id);
    if (r.status != 200)
      return nullptr;
    const auto v = parse_or_null(r.body);
    if (!v.is_object() || !v.as_object().contains("Light"))
      return nullptr;
    const auto* p = v.at("Light").as_object().if_contains(name);
    return p != nullptr ? *p : json::value(nullptr);
  }

  json::object details(const std::string& node_id) const {
    const auto r = call("GET", "/v1/user/nodes?node_details=true&node_id=" + node_id);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("node_details").as_array().at(0).as_object();
  }

  // The status of command request `request_id` for `node_id`, "" when absent.
  std::string command_status(const std::string& request_id, const std::string& node_id) const {
    const auto r =
        call("GET", "/v1/user/nodes/cmd?request_id=" + request_id + "&node_id=" + node_id);
    if (r.status != 200)
      return "";
    const auto body = json::parse(r.body);
    const auto& requests = body.at("requests").as_array();
    return requests.size() == 1 ? std::string(requests[0].at("status").as_string()) : "";
  }

  const std::string& token() const { return token_; }

 private:
  StratusdProcess& server_;
  std::filesystem::path dir_;
  std::string token_;
  std::string user_id_;
};

// Kills stratusd with SIGKILL and waits until its mosquitto died with it (PR_SET_PDEATHSIG).
void kill_stratusd(StratusdProcess& s) {
  const std::string conf = mosquitto_conf(s);
  const int status = s.stop(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  ASSERT_TRUE(wait_until([&] { return processes_mentioning(conf).empty(); }, 10s))
      << "mosquitto outlived the killed stratusd";
}

// ---------------------------------------------------------------------------------------
// 1. kill -9 of stratusd during a burst of REST writes.

// What the writer thread got answered 2xx (the only writes asserted on after the restart).
struct AckedWrites {
  std::vector<std::string> set_names;  // Light.Name of queued sets, in order
  std::string in_flight_set;           // a set sent without an answer (may or may not be kept)
  std::vector<std::string> command_ids;
  std::vector<int> metadata_seqs;      // metadata key "k<seq>" = seq and tag "seq:<seq>"
  std::vector<std::string> initiated;  // node ids from claim/initiate
  std::vector<std::pair<std::string, std::string>> certified;  // node id, certificate PEM
  std::vector<std::string> unexpected;  // non-2xx answers: none may happen before the kill
  int answered = 0;
};

TEST(CrashSystemTest, AcknowledgedRestWritesSurviveKill9) {
  const auto seed = crash_seed();
  SCOPED_TRACE("STRATUS_CRASH_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  TempDir dir;
  StratusdProcess s(dir.path() / "data", kFastArgon);
  ASSERT_TRUE(s.start()) << s.output();
  Harness h(s, dir.path());
  h.sign_up("alice@example.com");
  {
    auto node = h.boot_and_map("crashA");
    h.go_offline(node, "crashA");
  }

  constexpr int kMaxWrites = 240;  // bounded: at most 60 of each kind
  std::atomic<int> acked{0};
  std::atomic<bool> done{false};
  AckedWrites w;
  std::thread writer([&] {
    const auto deadline = Clock::now() + 30s;
    for (int i = 0; i < kMaxWrites && Clock::now() < deadline; ++i) {
      try {
        switch (i % 4) {
          case 0: {  // a set for the offline node: queued
            const std::string name = "set-" + std::to_string(i);
            w.in_flight_set = name;
            const auto r =
                h.call("PUT", "/v1/user/nodes/params",
                       R"([{"node_id":"crashA","payload":{"Light":{"Name":")" + name + R"("}}}])");
            w.in_flight_set.clear();
            const auto v = parse_or_null(r.body);
            if (r.status != 200 || !v.is_array() ||
                !v.as_array().at(0).as_object().contains("queued")) {
              w.unexpected.push_back(std::to_string(r.status) + " " + r.body);
              continue;
            }
            w.set_names.push_back(name);
            break;
          }
          case 1: {  // a command request for the offline node: stored, 207 131112
            const auto r =
                h.call("POST", "/v1/user/nodes/cmd",
                       R"({"node_ids":["crashA"],"cmd":4097,"timeout":3600,"data":{"seq":)" +
                           std::to_string(i) + "}}");
            const auto v = parse_or_null(r.body);
            if (r.status != 207 || !v.is_object() ||
                v.at("responses").at(0).at("response").at("error_code") != json::value(131112)) {
              w.unexpected.push_back(std::to_string(r.status) + " " + r.body);
              continue;
            }
            w.command_ids.emplace_back(v.at("request_id").as_string());
            break;
          }
          case 2: {  // tags and metadata
            const std::string seq = std::to_string(i);
            const auto r = h.call(
                "PUT", "/v1/user/nodes?node_id=crashA",
                R"({"tags":["seq:)" + seq + R"("],"metadata":{"k)" + seq + "\":" + seq + "}}");
            if (r.status != 200) {
              w.unexpected.push_back(std::to_string(r.status) + " " + r.body);
              continue;
            }
            w.metadata_seqs.push_back(i);
            break;
          }
          case 3: {  // a claim: initiate, then verify with a CSR for the node id
            char mac[13];
            std::snprintf(mac, sizeof mac, "C0FFEE%06X", static_cast<unsigned>(i));
            const auto init =
                h.call("POST", "/claim/initiate",
                       R"({"mac_addr":")" + std::string(mac) + R"(","platform":"esp32"})");
            if (init.status != 200) {
              w.unexpected.push_back(std::to_string(init.status) + " " + init.body);
              continue;
            }
            const std::string node_id(json::parse(init.body).at("node_id").as_string());
            w.initiated.push_back(node_id);
            ++w.answered;
            acked.store(w.answered);
            auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
            const auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
            const auto verify =
                h.call("POST", "/claim/verify", json::serialize(json::object{{"csr", *csr}}));
            if (verify.status != 200) {
              w.unexpected.push_back(std::to_string(verify.status) + " " + verify.body);
              continue;
            }
            w.certified.emplace_back(
                node_id, std::string(json::parse(verify.body).at("certificate").as_string()));
            break;
          }
        }
        ++w.answered;
        acked.store(w.answered);
      } catch (const std::exception&) {
        break;  // the connection died with stratusd: this write's answer never arrived
      }
    }
    done = true;
  });

  // The moment: after a seeded number of answered writes, plus a seeded offset of up to
  // 20 ms so that the kill lands anywhere inside a request (fault timing, not a wait).
  const int after = std::uniform_int_distribution<int>(8, 60)(rng);
  const auto offset = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20'000)(rng));
  SCOPED_TRACE("kill after " + std::to_string(after) + " answers + " +
               std::to_string(offset.count()) + " us");
  const bool reached = wait_until([&] { return acked.load() >= after || done.load(); }, 30s);
  std::this_thread::sleep_for(offset);
  kill_stratusd(s);
  writer.join();
  ASSERT_TRUE(reached);
  ASSERT_TRUE(w.unexpected.empty()) << w.unexpected.front();
  ASSERT_GE(w.answered, after) << "the burst ended before the kill";
  std::cout << "[ info ] answered before the kill: " << w.set_names.size() << " sets, "
            << w.command_ids.size() << " commands, " << w.metadata_seqs.size() << " metadata, "
            << w.initiated.size() << " initiates, " << w.certified.size() << " verifies"
            << (w.in_flight_set.empty() ? "" : "; a set was in flight") << "\n";
  ASSERT_FALSE(w.set_names.empty());

  ASSERT_TRUE(s.start()) << s.output();

  // Metadata and tags.
  const auto node = h.details("crashA");
  const auto& metadata = node.at("metadata").as_object();
  const auto& tags = node.at("tags").as_array();
  for (const int seq : w.metadata_seqs) {
    const std::string key = "k" + std::to_string(seq);
    EXPECT_TRUE(metadata.contains(key) && metadata.at(key) == json::value(seq)) << key;
    EXPECT_NE(std::find(tags.begin(), tags.end(), json::value("seq:" + std::to_string(seq))),
              tags.end())
        << seq;
  }
  // Command requests: readable and still pending (the node has not polled yet).
  for (const auto& id : w.command_ids)
    EXPECT_EQ(h.command_status(id, "crashA"), "requested") << id;
  // Claims: every issued certificate is in the audit; the claim itself survived, so the
  // same user may verify again, which revokes the earlier certificate.
  {
    auto opened = storage::sqlite::Connection::open(s.data_dir() / "stratus.db", {});
    ASSERT_TRUE(opened);
    auto* db = opened->get();
    const auto integrity = db->query_text("PRAGMA integrity_check");
    ASSERT_TRUE(integrity);
    EXPECT_EQ(*integrity, "ok");
    for (const auto& [node_id, pem] : w.certified) {
      const auto rows = db->query_one(
          "SELECT count(*) FROM claim_certificates WHERE node_id = ?1 AND certificate_pem = ?2",
          {"none"}, [](const storage::sql::Statement& st) { return st.integer(0); }, node_id, pem);
      ASSERT_TRUE(rows);
      EXPECT_EQ(*rows, 1) << node_id;
    }
  }
  for (const auto& node_id : w.initiated) {
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    const auto csr = pki::CertificateSigningRequest::make_csr_pem(*key, node_id);
    const auto again =
        h.call("POST", "/claim/verify", json::serialize(json::object{{"csr", *csr}}));
    EXPECT_EQ(again.status, 200) << node_id << " " << again.body;
  }
  {
    auto opened = storage::sqlite::Connection::open(s.data_dir() / "stratus.db", {});
    ASSERT_TRUE(opened);
    auto* db = opened->get();
    for (const auto& [node_id, pem] : w.certified) {
      const auto revoked = db->query_one(
          "SELECT revoked_at IS NOT NULL FROM claim_certificates WHERE certificate_pem = ?1",
          {"none"}, [](const storage::sql::Statement& st) { return st.integer(0); }, pem);
      ASSERT_TRUE(revoked);
      EXPECT_EQ(*revoked, 1) << "re-verify revoked the acknowledged certificate of " << node_id;
    }
  }

  // The node comes back: the queued sets arrive (merged: the last answered one, or the
  // one in flight at the kill if it was committed), and so does every command request.
  TestMqttClient back(h.node_options("crashA"));
  ASSERT_EQ(back.connect(), 0);
  Harness::subscribe_and_poll(back, "crashA");
  const auto set = back.wait_message(
      [](const TestMessage& m) { return m.topic == "node/crashA/params/remote"; });
  ASSERT_TRUE(set.has_value()) << "queued sets delivered after the restart";
  const auto name = parse_or_null(set->payload).at("Light").at("Name");
  EXPECT_TRUE(name == json::value(w.set_names.back()) ||
              (!w.in_flight_set.empty() && name == json::value(w.in_flight_set)))
      << set->payload << " last answered " << w.set_names.back();
  std::set<std::string> missing(w.command_ids.begin(), w.command_ids.end());
  const auto deadline = Clock::now() + 15s;
  while (!missing.empty() && Clock::now() < deadline) {
    const auto m = back.wait_message(
        [](const TestMessage& msg) { return msg.topic == "node/crashA/to-node"; }, 5s);
    if (!m)
      break;
    if (auto decoded = proto::decode_request(m->payload))
      missing.erase(decoded->request_id);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged commands never reached the node";
}

// kill -9 while a node publishes params reports: the stored params stay a valid JSON
// document and ingest resumes after the restart.
TEST(CrashSystemTest, KilledDuringMqttIngestParamsStayValidAndIngestResumes) {
  const auto seed = crash_seed();
  SCOPED_TRACE("STRATUS_CRASH_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed + 1);
  TempDir dir;
  StratusdProcess s(dir.path() / "data", kFastArgon);
  ASSERT_TRUE(s.start()) << s.output();
  Harness h(s, dir.path());
  h.sign_up("alice@example.com");
  h.boot_and_map("crashB").reset();

  constexpr int kMaxReports = 3000;
  std::atomic<int> published{0};
  std::atomic<bool> done{false};
  const auto options = h.node_options("crashB");
  std::thread reporter([&] {
    TestMqttClient node(options);  // used by this thread only
    if (node.connect() == 0) {
      const auto deadline = Clock::now() + 30s;
      for (int i = 0; i < kMaxReports && Clock::now() < deadline; ++i) {
        const std::string report = R"({"Light":{"Brightness":)" + std::to_string(i % 101) +
                                   R"(,"Name":"report-)" + std::to_string(i) + R"("}})";
        if (!node.publish("$aws/rules/esp_set_params/node/crashB/params/local", report, 2s))
          break;  // the broker died with stratusd
        published.store(i + 1);
      }
    }
    done = true;
  });
  const int after = std::uniform_int_distribution<int>(20, 300)(rng);
  const auto offset = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 5'000)(rng));
  SCOPED_TRACE("kill after " + std::to_string(after) + " reports + " +
               std::to_string(offset.count()) + " us");
  const bool reached = wait_until([&] { return published.load() >= after || done.load(); }, 30s);
  std::this_thread::sleep_for(offset);
  kill_stratusd(s);
  reporter.join();
  ASSERT_TRUE(reached);
  ASSERT_GE(published.load(), after) << "the reporter stopped before the kill";

  ASSERT_TRUE(s.start()) << s.output();
  const auto r = h.call("GET", "/v1/user/nodes/params?node_id=crashB");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto params = parse_or_null(r.body);
  ASSERT_TRUE(params.is_object()) << r.body;
  const auto& name = params.at("Light").at("Name");
  ASSERT_TRUE(name.is_string()) << r.body;
  EXPECT_TRUE(name.as_string() == "init" || name.as_string().starts_with("report-")) << r.body;
  {
    auto opened = storage::sqlite::Connection::open(s.data_dir() / "stratus.db", {});
    ASSERT_TRUE(opened);
    auto* db = opened->get();
    EXPECT_EQ(db->query_text("PRAGMA integrity_check").value_or(""), "ok");
    const auto docs = db->query_all("SELECT params FROM nodes WHERE params IS NOT NULL",
                                    [](const storage::sql::Statement& st) { return st.text(0); });
    ASSERT_TRUE(docs);
    ASSERT_FALSE(docs->empty());
    for (const auto& doc : *docs)
      EXPECT_TRUE(parse_or_null(doc).is_object()) << doc;
  }

  // Ingest resumes: a new report (to the new broker port) is applied.
  TestMqttClient node(h.node_options("crashB"));
  ASSERT_EQ(node.connect(), 0);
  ASSERT_TRUE(node.publish("$aws/rules/esp_set_params/node/crashB/params/local",
                           R"({"Light":{"Name":"after-restart"}})"));
  EXPECT_TRUE(
      wait_until([&] { return h.param("crashB", "Name") == json::value("after-restart"); }, 10s));
}

// ---------------------------------------------------------------------------------------
// 2. kill -9 of the embedded mosquitto under load.

TEST(CrashSystemTest, KilledMosquittoIsRestartedUnderLoadAndNothingIsLost) {
  TempDir dir;
  StratusdProcess s(dir.path() / "data", kFastArgon);
  ASSERT_TRUE(s.start()) << s.output();
  Harness h(s, dir.path());
  h.sign_up("alice@example.com");
  h.boot_and_map("crashC").reset();
  // Stored before the kill: a report, metadata, a command request.
  ASSERT_EQ(h.call("PUT", "/v1/user/nodes?node_id=crashC", R"({"metadata":{"before":1}})").status,
            200);
  const auto cmd = h.call("POST", "/v1/user/nodes/cmd",
                          R"({"node_ids":["crashC"],"cmd":4097,"timeout":3600,"data":{}})");
  ASSERT_TRUE(cmd.status == 200 || cmd.status == 207) << cmd.body;
  const std::string command_id(json::parse(cmd.body).at("request_id").as_string());

  const auto options = h.node_options("crashC");
  std::atomic<int> published{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> rest_stop{false};
  std::thread reporter([&] {
    TestMqttClient node(options);  // used by this thread only
    if (node.connect() != 0)
      return;
    const auto deadline = Clock::now() + 30s;
    for (int i = 0; i < 20'000 && !stop.load() && Clock::now() < deadline; ++i) {
      if (!node.publish("$aws/rules/esp_set_params/node/crashC/params/local",
                        R"({"Light":{"Name":"load-)" + std::to_string(i) + R"("}})", 2s))
        return;  // the broker died
      published.store(i + 1);
    }
  });
  JoinOnExit join_reporter(reporter, stop);
  ASSERT_TRUE(wait_until([&] { return published.load() >= 10; }, 10s));
  ASSERT_TRUE(wait_until(
      [&] {
        const auto name = h.param("crashC", "Name");
        return name.is_string() && name.as_string().starts_with("load-");
      },
      10s))
      << "reports under load are stored";

  // REST writes in flight across the kill: sets and metadata, every answer recorded.
  struct RestResult {
    int status;
    std::string body;
    std::string name;  // the set's Light.Name, or the metadata key
    bool metadata;
  };
  std::vector<RestResult> answers;            // read once `rest` is joined
  std::vector<std::string> transport_errors;  // idem
  std::atomic<int> calls{0};
  std::thread rest([&] {
    const auto deadline = Clock::now() + 30s;
    for (int i = 0; i < 400 && !rest_stop.load() && Clock::now() < deadline; ++i) {
      try {
        const std::string tag = "rest-" + std::to_string(i);
        if (i % 2 == 0) {
          auto r =
              h.call("PUT", "/v1/user/nodes/params",
                     R"([{"node_id":"crashC","payload":{"Light":{"Name":")" + tag + R"("}}}])");
          answers.push_back({r.status, std::move(r.body), tag, false});
        } else {
          auto r = h.call("PUT", "/v1/user/nodes?node_id=crashC",
                          R"({"metadata":{")" + tag + R"(":true}})");
          answers.push_back({r.status, std::move(r.body), tag, true});
        }
      } catch (const std::exception& e) {
        transport_errors.emplace_back(e.what());
      }
      calls.store(i + 1);
    }
  });
  JoinOnExit join_rest(rest, rest_stop);

  const auto before = processes_mentioning(mosquitto_conf(s));
  ASSERT_EQ(before.size(), 1u);
  ASSERT_TRUE(wait_until([&] { return calls.load() >= 10; }, 10s));
  ASSERT_EQ(::kill(before[0], SIGKILL), 0);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto now = processes_mentioning(mosquitto_conf(s));
        return now.size() == 1 && now[0] != before[0];
      },
      20s))
      << "stratusd restarts mosquitto";
  EXPECT_TRUE(wait_until([&] { return h.call("GET", "/healthz").status == 200; }, 20s));
  reporter.join();  // it stopped when the broker died
  rest_stop = true;
  rest.join();

  // Every REST answer was a clean one: success, or a RainMaker failure; none was lost.
  EXPECT_TRUE(transport_errors.empty()) << transport_errors.front();
  const auto count_if = [&](auto pred) {
    return std::count_if(answers.begin(), answers.end(), pred);
  };
  std::cout << "[ info ] " << published.load() << " reports before the kill; REST answers: "
            << count_if([](const RestResult& a) { return a.status == 200; }) << " 200, "
            << count_if([](const RestResult& a) { return a.status == 207; }) << " 207, "
            << count_if([](const RestResult& a) { return a.status >= 500; }) << " 5xx, "
            << count_if([](const RestResult& a) {
                 return a.status == 200 && a.body.find("queued") != std::string::npos;
               })
            << " queued\n";
  std::string last_queued;
  for (const auto& a : answers) {
    if (a.metadata) {
      EXPECT_TRUE(a.status == 200 || (a.status >= 500 && is_failure_body(a.body)))
          << a.status << " " << a.body;
      continue;
    }
    const auto v = parse_or_null(a.body);
    ASSERT_TRUE(v.is_array()) << a.status << " " << a.body;
    const auto& entry = v.as_array().at(0).as_object();
    EXPECT_TRUE((a.status == 200 && entry.at("status") == json::value("success")) ||
                (a.status == 207 && entry.at("status") == json::value("failure") &&
                 entry.at("error_code").is_int64()))
        << a.status << " " << a.body;
    if (a.status == 200 && entry.contains("queued"))
      last_queued = a.name;
  }

  // The node reconnects to the restarted broker; its later reports are stored, and sets
  // queued while it was away arrive.
  TestMqttClient node(options);
  ASSERT_TRUE(wait_until([&] { return node.connect() == 0; }, 20s));
  Harness::subscribe_and_poll(node, "crashC");
  if (!last_queued.empty()) {
    const auto got = node.wait_message([&](const TestMessage& m) {
      return m.topic == "node/crashC/params/remote" &&
             parse_or_null(m.payload).at("Light").at("Name") == json::value(last_queued);
    });
    EXPECT_TRUE(got.has_value()) << "the last queued set " << last_queued << " arrives";
  }
  ASSERT_TRUE(node.publish("$aws/rules/esp_set_params/node/crashC/params/local",
                           R"({"Light":{"Name":"after-broker-restart"}})"));
  EXPECT_TRUE(wait_until(
      [&] { return h.param("crashC", "Name") == json::value("after-broker-restart"); }, 10s));
  EXPECT_TRUE(wait_until([&] { return h.connected("crashC"); }, 10s));

  // Nothing stored before is lost; metadata answered 200 during the outage is there too.
  const auto details = h.details("crashC");
  const auto& metadata = details.at("metadata").as_object();
  EXPECT_TRUE(metadata.contains("before"));
  for (const auto& a : answers) {
    if (a.metadata && a.status == 200) {
      EXPECT_TRUE(metadata.contains(a.name)) << a.name;
    }
  }
  EXPECT_FALSE(h.command_status(command_id, "crashC").empty()) << "the command request survived";
  const auto metrics = h.call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("stratus_broker_restarts_total 1\n"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// 3. A full disk.

// True when this sandbox lets us give a process a private mount namespace with a tmpfs
// (tried on `dir`, which nothing else sees mounted).
bool mount_namespaces_work(const std::filesystem::path& dir, std::string& why) {
  if (::access("/usr/bin/unshare", X_OK) != 0) {
    why = "util-linux unshare is not installed";
    return false;
  }
  const int rc = std::system(
      ("unshare --mount --propagation private sh -c 'mount -t tmpfs -o size=1m tmpfs \"$1\"' "
       "sh '" +
       dir.string() + "' >/dev/null 2>&1")
          .c_str());
  if (rc != 0) {
    why = "mount namespaces or tmpfs mounts are not permitted here (unshare exit " +
          std::to_string(rc) + ")";
    return false;
  }
  return true;
}

// Writes 64 KiB blocks into `path` until the file system is full; returns the errno that
// stopped it (ENOSPC when full), 0 if the bound was reached first.
int fill(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return errno;
  const std::string block(64 * 1024, 'x');
  int error = 0;
  for (int i = 0; i < 4096 && error == 0; ++i) {  // at most 256 MiB
    const auto n = ::write(fd, block.data(), block.size());
    if (n < 0)
      error = errno;
    else if (static_cast<std::size_t>(n) < block.size())
      continue;  // a short write: the next one reports the error
  }
  ::close(fd);
  return error;
}

// The first text value of each of `queries` on the database `db`, opened in the mount
// namespace of process `pid` ("error: …" for a failed query, nothing at all if the child
// failed). A forked child joins the namespace (setns) and opens the file there: opening
// /proc/<pid>/root/… from here would not do, since SQLite resolves that link to "/" and
// would open (and create) the file of this namespace instead.
std::vector<std::string> query_in_namespace_of(pid_t pid, const std::filesystem::path& db,
                                               const std::vector<std::string>& queries) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return {};
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(out[0]);
    const int ns = ::open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY);
    if (ns < 0 || ::setns(ns, CLONE_NEWNS) != 0)
      ::_exit(2);
    std::string answer;
    auto c = storage::sqlite::Connection::open(db, {});
    for (const auto& q : queries) {
      auto v = c ? (*c)->query_text(q) : Result<std::string>(fail(c.error()));
      answer += (v ? *v : "error: " + v.error().context) + "\n";
    }
    const auto written = ::write(out[1], answer.data(), answer.size());
    ::_exit(written == static_cast<ssize_t>(answer.size()) ? 0 : 3);
  }
  ::close(out[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::vector<std::string> lines;
  std::size_t at = 0;
  for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(text.substr(at, nl - at));
  return lines;
}

TEST(CrashSystemTest, AFullDiskFailsWritesCleanlyAndRecovers) {
  TempDir dir;
  std::string why;
  if (!mount_namespaces_work(dir.path(), why))
    GTEST_SKIP() << why;
  const auto data = dir.path() / "data";
  // stratusd in its own mount namespace with the data dir on an 8 MiB tmpfs.
  StratusdProcess s(data, kFastArgon,
                    {"unshare", "--mount", "--propagation", "private", "sh", "-c",
                     "mount -t tmpfs -o size=8m,mode=0700 tmpfs \"$1\" && shift && exec \"$@\"",
                     "sh", data.string()});
  ASSERT_TRUE(s.start()) << s.output();
  ASSERT_FALSE(std::filesystem::exists(data / "stratus.db")) << "the database is on the tmpfs";
  Harness h(s, dir.path());
  h.sign_up("alice@example.com");
  {
    auto node = h.boot_and_map("crashE");
    h.go_offline(node, "crashE");
  }
  ASSERT_EQ(h.call("PUT", "/v1/user/nodes?node_id=crashE",
                   R"({"tags":["keep:me"],"metadata":{"keep":"me"}})")
                .status,
            200);
  const std::string big(48 * 1024, 'd');
  const auto command = [&](int i) {
    return h.call("POST", "/v1/user/nodes/cmd",
                  R"({"node_ids":["crashE"],"cmd":)" + std::to_string(4096 + i) +
                      R"(,"timeout":3600,"data":")" + big + "\"}");
  };
  std::vector<std::string> stored;  // command requests acknowledged (207, kept)
  const auto r0 = command(0);
  ASSERT_EQ(r0.status, 207) << r0.body;
  stored.emplace_back(json::parse(r0.body).at("request_id").as_string());

  // Fill the file system from outside, through stratusd's own view of it.
  const auto filler = s.files_dir() / "filler";
  ASSERT_EQ(fill(filler), ENOSPC);

  // Writes that need space now fail cleanly. SQLite may first reuse free space in its
  // files, so keep writing (bounded) until the first failure.
  HttpReply failed;
  for (int i = 1; i <= 200; ++i) {
    auto r = command(i);
    if (r.status == 207) {
      stored.emplace_back(json::parse(r.body).at("request_id").as_string());
      continue;
    }
    failed = std::move(r);
    break;
  }
  ASSERT_NE(failed.status, 0) << "200 large writes all fit on a full disk";
  std::cout << "[ info ] " << stored.size() - 1 << " writes fit after the fill; then "
            << failed.status << " " << failed.body << "\n";
  EXPECT_EQ(failed.status, 503) << failed.body;
  EXPECT_TRUE(is_failure_body(failed.body)) << failed.body;
  // A metadata write fails the same way, and changes nothing.
  const auto meta = h.call("PUT", "/v1/user/nodes?node_id=crashE",
                           R"({"metadata":{"big":")" + std::string(12 * 1024, 'm') + "\"}}");
  EXPECT_EQ(meta.status, 503) << meta.body;
  EXPECT_TRUE(is_failure_body(meta.body)) << meta.body;

  // stratusd is up and reads work; what was stored before is intact.
  EXPECT_EQ(h.call("GET", "/apiversions").status, 200);
  auto node = h.details("crashE");
  EXPECT_EQ(node.at("metadata"), json::parse(R"({"keep":"me"})"));
  EXPECT_EQ(node.at("tags"), json::parse(R"(["keep:me"])"));
  EXPECT_EQ(h.param("crashE", "Name"), json::value("init"));
  for (const auto& id : stored)
    EXPECT_EQ(h.command_status(id, "crashE"), "requested") << id;
  const auto checked =
      query_in_namespace_of(s.pid(), data / "stratus.db",
                            {"PRAGMA integrity_check", "SELECT count(*) FROM command_requests"});
  ASSERT_EQ(checked.size(), 2u);
  EXPECT_EQ(checked[0], "ok");
  EXPECT_EQ(checked[1], std::to_string(stored.size())) << "the failed writes left nothing behind";

  // Space again: writes succeed.
  ASSERT_TRUE(std::filesystem::remove(filler));
  const auto again = command(1000);
  EXPECT_EQ(again.status, 207) << again.body;
  EXPECT_EQ(
      h.call("PUT", "/v1/user/nodes?node_id=crashE", R"({"metadata":{"after":"space"}})").status,
      200);
  EXPECT_EQ(h.details("crashE").at("metadata"), json::parse(R"({"keep":"me","after":"space"})"));
  EXPECT_EQ(h.call("GET", "/healthz").status, 200);
  const int status = s.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << s.output();
}

}  // namespace
}  // namespace stratus::test
