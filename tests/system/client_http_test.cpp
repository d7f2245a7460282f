// Proves the REST client against the real stratusd: sign-up with the mailed
// code, login, token refresh (apiversions + login2, refresh token kept), node
// listing, host-driven claiming into a credentials directory (files, modes, CN,
// CA chain, node.info with the bound MQTT port), the server's error codes and
// descriptions, and the message for a server that cannot be reached.
// How: the stratusd binary on free loopback ports in a temp dir (StratusdProcess),
// codes read from its outbox, the client's clock moved forward to force a refresh.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>
#include <thread>

#include "cli/app.hpp"
#include "cli/node_credentials.hpp"
#include "cli/profiles.hpp"
#include "client/jwt.hpp"
#include "client/session.hpp"
#include "pki/certificate.hpp"
#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

class ClientHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ =
        new StratusdProcess(dir_->path() / "data", {"--set", "accounts.token_lifetime_s=60",
                                                    "--set", "accounts.argon2_ops_limit=1", "--set",
                                                    "accounts.argon2_mem_limit_kib=8"});
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
  }
  static void TearDownTestSuite() {
    delete stratusd_;
    delete dir_;
  }

  static std::string url() { return "http://127.0.0.1:" + std::to_string(stratusd_->http_port()); }

  static client::Session open(const Clock& clock = client::Session::system_clock()) {
    client::SessionOptions options;
    options.url = url();
    auto session = client::Session::open(options, clock);
    EXPECT_TRUE(session) << session.error().message();
    return std::move(*session);
  }

  // A verified account, logged in on a new session.
  static client::Session signed_up(const std::string& user,
                                   const Clock& clock = client::Session::system_clock()) {
    auto session = open(clock);
    auto requested = session.sign_up(user, "secret123");
    EXPECT_TRUE(requested) << requested.error().message();
    const auto code = outbox_code(stratusd_->data_dir(), user);
    EXPECT_EQ(code.size(), 6u);
    auto confirmed = session.confirm_sign_up(user, code);
    EXPECT_TRUE(confirmed) << confirmed.error().message();
    auto tokens = session.login(user, "secret123");
    EXPECT_TRUE(tokens) << tokens.error().message();
    return session;
  }

  static TempDir* dir_;
  static StratusdProcess* stratusd_;
};

TempDir* ClientHttpTest::dir_ = nullptr;
StratusdProcess* ClientHttpTest::stratusd_ = nullptr;

TEST_F(ClientHttpTest, UnversionedEndpoints) {
  auto session = open();
  auto versions = session.api_versions();
  ASSERT_TRUE(versions) << versions.error().message();
  EXPECT_EQ(*versions, std::vector<std::string>{"v1"});
  auto endpoint = session.mqtt_host();
  ASSERT_TRUE(endpoint) << endpoint.error().message();
  EXPECT_FALSE(endpoint->host.empty());
  EXPECT_EQ(endpoint->port, stratusd_->mqtt_port()) << "GET /mqtt_host names the bound port";
}

TEST_F(ClientHttpTest, SignUpLoginAndAnEmptyNodeList) {
  auto session = signed_up("alice@example.com");
  ASSERT_TRUE(session.logged_in());
  auto claims = client::decode_token_claims(session.tokens().id_token);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->email, "alice@example.com");
  EXPECT_FALSE(claims->user_id.empty());
  auto access = client::decode_token_claims(session.tokens().access_token);
  ASSERT_TRUE(access);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_LE(access->exp, now + 61) << "token_lifetime_s=60";

  auto info = session.user_info();
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->user_name, "alice@example.com");
  EXPECT_EQ(info->user_id, claims->user_id);

  auto page = session.list_node_ids();
  ASSERT_TRUE(page) << page.error().message();
  EXPECT_TRUE(page->node_ids.empty());
  EXPECT_TRUE(page->next_id.empty());
  EXPECT_EQ(page->total, 0);
  auto ids = session.all_node_ids();
  ASSERT_TRUE(ids);
  EXPECT_TRUE(ids->empty());
  auto details = session.node_details();
  ASSERT_TRUE(details) << details.error().message();
  EXPECT_TRUE(details->empty());
}

TEST_F(ClientHttpTest, RefreshesATokenAboutToExpireAndKeepsTheRefreshToken) {
  ManualClock clock(std::chrono::system_clock::now());
  auto session = signed_up("bob@example.com", clock);
  const auto first = session.tokens();
  int refreshes = 0;
  session.on_tokens_changed([&](const client::Tokens&) { ++refreshes; });

  ASSERT_TRUE(session.user_info());
  EXPECT_EQ(refreshes, 0) << "60 s left: no refresh yet";
  clock.advance(31s);  // now within the 30 s margin of exp
  auto info = session.user_info();
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(refreshes, 1);
  EXPECT_EQ(session.tokens().refresh_token, first.refresh_token) << "kept, as the CLI does";
  auto claims = client::decode_token_claims(session.tokens().access_token);
  ASSERT_TRUE(claims);
  EXPECT_GE(claims->exp, client::decode_token_claims(first.access_token)->exp);

  // The original refresh token keeps working (the server's tolerant rotation).
  ASSERT_TRUE(session.refresh());
  ASSERT_TRUE(session.refresh());
  EXPECT_EQ(refreshes, 3);
  EXPECT_TRUE(session.list_node_ids());

  // A refresh token the server does not know: unauthenticated with its code.
  auto tokens = session.tokens();
  tokens.refresh_token = "bogus";
  session.set_tokens(tokens);
  auto refused = session.refresh();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::unauthenticated);
  EXPECT_EQ(refused.error().reason, 101017);
}

TEST_F(ClientHttpTest, ClaimsANodeIntoACredentialsDirectory) {
  auto session = signed_up("carol@example.com");
  const auto out = dir_->path() / "creds" / "node-a";
  cli::ClaimOptions options;
  options.outdir = out;
  options.mac_addr = "7c:df:a1:00:03:3b";
  auto creds = cli::claim_node(session, options);
  ASSERT_TRUE(creds) << creds.error().message();
  EXPECT_EQ(creds->dir, out);
  EXPECT_EQ(creds->mqtt_port, stratusd_->mqtt_port());
  EXPECT_FALSE(creds->mqtt_host.empty());
  EXPECT_EQ(mode_of(out), 0700u);
  for (const auto* name : {"node.key", "node.crt", "ca.crt", "node.info"})
    EXPECT_EQ(mode_of(out / name), 0600u) << name;
  auto cert = pki::Certificate::from_pem(read_file(out / "node.crt"));
  auto ca = pki::Certificate::from_pem(read_file(out / "ca.crt"));
  auto key = pki::PrivateKey::from_pem(read_file(out / "node.key"));
  ASSERT_TRUE(cert && ca && key);
  EXPECT_EQ(cert->subject_cn(), creds->node_id);
  EXPECT_TRUE(cert->issued_by(*ca));
  EXPECT_TRUE(cert->matches_key(*key));
  EXPECT_EQ(ca->sha256_fingerprint_hex(),
            pki::Certificate::from_pem(read_file(stratusd_->data_dir() / "pki" / "ca.crt"))
                ->sha256_fingerprint_hex());

  auto loaded = cli::load_node_credentials(out);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->node_id, creds->node_id);
  EXPECT_EQ(loaded->mqtt_host, creds->mqtt_host);
  EXPECT_EQ(loaded->mqtt_port, creds->mqtt_port);

  // An existing node.key is never replaced.
  const std::string key_before = read_file(out / "node.key");
  auto again = cli::claim_node(session, options);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::already_exists);
  EXPECT_EQ(read_file(out / "node.key"), key_before);

  // Per-node directories (the CLI's default layout), RSA, random MAC.
  cli::ClaimOptions per_node;
  per_node.outdir = dir_->path() / "creds" / "by-id";
  per_node.per_node_subdir = true;
  per_node.key_type = pki::KeyType::rsa_2048;
  auto second = cli::claim_node(session, per_node);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->dir, per_node.outdir / second->node_id);
  EXPECT_NE(second->node_id, creds->node_id);
  EXPECT_TRUE(cli::load_node_credentials(second->dir));

  // Not logged in: refused before any request.
  auto anonymous = open();
  cli::ClaimOptions elsewhere;
  elsewhere.outdir = dir_->path() / "creds" / "anonymous";
  auto refused = cli::claim_node(anonymous, elsewhere);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::unauthenticated);
  EXPECT_FALSE(std::filesystem::exists(elsewhere.outdir));
}

// The credentials claim_node writes are all a node needs: mutual TLS with the
// CA it got, then the mapping, params, tags and metadata calls of the client.
TEST_F(ClientHttpTest, AClaimedNodeConnectsMapsAndIsManaged) {
  auto session = signed_up("frank@example.com");
  cli::ClaimOptions options;
  options.outdir = dir_->path() / "creds" / "frank";
  auto creds = cli::claim_node(session, options);
  ASSERT_TRUE(creds) << creds.error().message();
  const std::string& node_id = creds->node_id;

  TestMqttOptions o;
  o.port = creds->mqtt_port;
  o.client_id = node_id;
  o.ca_file = creds->ca_file().string();
  o.cert_file = creds->cert_file().string();
  o.key_file = creds->key_file().string();
  TestMqttClient node(o);
  ASSERT_EQ(node.connect(), 0) << "the claimed files are enough for mutual TLS";
  std::string config = read_file(std::filesystem::path(std::getenv("STRATUS_SOURCE_DIR")) /
                                 "tests/data/node_config_light.json");
  config.replace(config.find("7CDFA1B2C3D4"), 12, node_id);
  ASSERT_TRUE(node.publish("node/" + node_id + "/config", config));

  // Legacy mapping, as `stratus test --addnode` drives it.
  auto claims = client::decode_token_claims(session.tokens().id_token);
  ASSERT_TRUE(claims);
  auto request_id = session.add_mapping(node_id, "s3cret-key");
  ASSERT_TRUE(request_id) << request_id.error().message();
  auto status = session.mapping_status(*request_id);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, client::MappingStatus::requested);
  ASSERT_TRUE(node.publish("node/" + node_id + "/user/mapping",
                           R"({"node_id":")" + node_id + R"(","user_id":")" + claims->user_id +
                               R"(","secret_key":"s3cret-key"})"));
  EXPECT_TRUE(wait_until(
      [&] {
        auto s = session.mapping_status(*request_id);
        return s && *s == client::MappingStatus::confirmed;
      },
      10s));
  ASSERT_TRUE(node.publish("node/" + node_id + "/params/local/init",
                           R"({"Light":{"Power":false,"Brightness":10}})"));
  EXPECT_TRUE(wait_until([&] { return session.node_params(node_id).has_value(); }, 10s));

  auto details = session.node_details();
  ASSERT_TRUE(details) << details.error().message();
  ASSERT_EQ(details->size(), 1u);
  const auto& d = details->front();
  EXPECT_EQ(d.id, node_id);
  EXPECT_EQ(d.name, "ESP RainMaker Device");
  EXPECT_EQ(d.type, "Lightbulb");
  EXPECT_TRUE(d.connectivity.connected);
  EXPECT_GT(d.connectivity.timestamp_ms, 0);
  EXPECT_TRUE(d.primary());
  EXPECT_NE(d.params_json.find("Brightness"), std::string::npos);
  EXPECT_EQ(*session.all_node_ids(), std::vector<std::string>{node_id});
  auto connectivity = session.node_status(node_id);
  ASSERT_TRUE(connectivity);
  EXPECT_TRUE(connectivity->connected);
  auto node_config = session.node_config(node_id);
  ASSERT_TRUE(node_config);
  EXPECT_NE(node_config->find("led_light"), std::string::npos);

  ASSERT_TRUE(node.subscribe("node/" + node_id + "/params/remote") >= 0);
  auto sets = session.set_params({{node_id, R"({"Light":{"Power":true}})"}});
  ASSERT_TRUE(sets) << sets.error().message();
  ASSERT_EQ(sets->size(), 1u);
  EXPECT_TRUE((*sets)[0].success) << (*sets)[0].description;
  EXPECT_TRUE(node.wait_message(
      [&](const TestMessage& m) { return m.topic == "node/" + node_id + "/params/remote"; }));
  auto refused = session.set_params({{node_id, R"({"Light":{"Brightness":"x"}})"}});
  ASSERT_TRUE(refused);
  EXPECT_FALSE((*refused)[0].success);
  EXPECT_EQ((*refused)[0].error_code, 108019);

  ASSERT_TRUE(session.add_tags(node_id, {"room:kitchen", "floor:1"}));
  ASSERT_TRUE(session.remove_tags(node_id, {"floor:1"}));
  ASSERT_TRUE(session.set_metadata(node_id, R"({"owner":"frank","n":1})"));
  ASSERT_TRUE(session.delete_metadata(node_id, std::string("n")));
  EXPECT_FALSE(session.set_metadata(node_id, "[1]"));
  auto tagged = session.node_details(node_id);
  ASSERT_TRUE(tagged) << tagged.error().message();
  EXPECT_EQ(tagged->front().tags, std::vector<std::string>{"room:kitchen"});
  EXPECT_EQ(tagged->front().metadata_json, R"({"owner":"frank"})");
  ASSERT_TRUE(session.delete_metadata(node_id));
  EXPECT_TRUE(session.node_details(node_id)->front().metadata_json.empty() ||
              session.node_details(node_id)->front().metadata_json == "{}");

  ASSERT_TRUE(session.remove_mapping(node_id));
  EXPECT_TRUE(session.all_node_ids()->empty());
}

// `stratus test --addnode`: exactly one add-user line for the node console, then
// polling until the node confirms. The node answers from the command's sleep hook,
// as soon as the line is out.
TEST_F(ClientHttpTest, TestAddNodePrintsTheConsoleLineAndWaitsForTheNode) {
  auto session = signed_up("grace@example.com");
  cli::ClaimOptions options;
  options.outdir = dir_->path() / "creds" / "grace";
  auto creds = cli::claim_node(session, options);
  ASSERT_TRUE(creds) << creds.error().message();
  TestMqttOptions o;
  o.port = creds->mqtt_port;
  o.client_id = creds->node_id;
  o.ca_file = creds->ca_file().string();
  o.cert_file = creds->cert_file().string();
  o.key_file = creds->key_file().string();
  TestMqttClient node(o);
  ASSERT_EQ(node.connect(), 0);

  const auto config_home = dir_->path() / "grace-config";
  auto store = cli::ProfileStore::open(config_home / "stratus");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add(cli::Profile{"it", url(), ""}));
  ASSERT_TRUE(store->save_tokens("it", session.tokens()));

  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  cli::Environment env(in, out, err);
  env.getenv = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "XDG_CONFIG_HOME")
      return config_home.string();
    return std::nullopt;
  };
  bool answered = false;
  env.sleep = [&](std::chrono::milliseconds) {
    std::this_thread::sleep_for(50ms);
    if (answered)
      return;
    std::istringstream lines(out.str());
    std::string word, user_id, secret;
    lines >> word >> user_id >> secret;
    ASSERT_EQ(word, "add-user");
    answered = node.publish("node/" + creds->node_id + "/user/mapping",
                            R"({"node_id":")" + creds->node_id + R"(","user_id":")" + user_id +
                                R"(","secret_key":")" + secret + R"("})");
  };
  const int status = cli::run(
      {"stratus", "--profile", "it", "test", "--addnode", creds->node_id, "--timeout", "20"}, env);
  EXPECT_EQ(status, 0) << err.str();
  EXPECT_TRUE(answered);
  const auto text = out.str();
  const auto claims = client::decode_token_claims(session.tokens().id_token);
  EXPECT_EQ(text.rfind("add-user " + claims->user_id + " ", 0), 0u) << text;
  EXPECT_NE(text.find("node " + creds->node_id + " is now mapped to grace@example.com\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(*session.all_node_ids(), std::vector<std::string>{creds->node_id});

  // getnodes shows it online, as a table.
  std::ostringstream table;
  cli::Environment env2(in, table, err);
  env2.getenv = env.getenv;
  ASSERT_EQ(cli::run({"stratus", "--profile", "it", "getnodes"}, env2), 0) << err.str();
  EXPECT_NE(table.str().find(creds->node_id), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("online since"), std::string::npos) << table.str();

  std::ostringstream shown;
  cli::Environment env3(in, shown, err);
  env3.getenv = env.getenv;
  ASSERT_EQ(cli::run({"stratus", "--profile", "it", "getnodedetails", creds->node_id}, env3), 0)
      << err.str();
  EXPECT_NE(shown.str().find("node      " + creds->node_id + "\n"), std::string::npos)
      << shown.str();
  EXPECT_NE(shown.str().find("params    (not reported yet)\n"), std::string::npos) << shown.str();
}

TEST_F(ClientHttpTest, ServerErrorsKeepTheirCodeAndDescription) {
  auto session = signed_up("dave@example.com");
  auto anonymous = open();
  auto wrong = anonymous.login("dave@example.com", "wrong-password1");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, errc::unauthenticated);
  EXPECT_EQ(wrong.error().reason, 101009);
  EXPECT_FALSE(wrong.error().context.empty());
  EXPECT_FALSE(anonymous.logged_in());

  auto config = session.node_config("NoSuchNode0000000000001");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, errc::not_found);
  EXPECT_EQ(config.error().reason, 108005);
  auto details = session.node_details(std::string("NoSuchNode0000000000001"));
  ASSERT_FALSE(details);
  EXPECT_EQ(details.error().reason, 108005);

  auto sets = session.set_params({{"NoSuchNode0000000000001", R"({"Light":{"Power":true}})"}});
  ASSERT_TRUE(sets) << sets.error().message();
  ASSERT_EQ(sets->size(), 1u);
  EXPECT_FALSE((*sets)[0].success);
  EXPECT_EQ((*sets)[0].error_code, 108005);
  EXPECT_FALSE(session.set_params({{"n", "[1]"}}));  // refused before sending

  auto status = session.mapping_status("no-such-request");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().reason, 103018);

  // After logout the old access token is refused at once.
  const auto tokens = session.tokens();
  ASSERT_TRUE(session.logout());
  EXPECT_FALSE(session.logged_in());
  session.set_tokens(tokens);
  auto gone = session.user_info();
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, errc::unauthenticated);
}

TEST_F(ClientHttpTest, AnUnreachableServerIsNamedWithTheCause) {
  const auto port = closed_port();
  client::SessionOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/";
  auto session = client::Session::open(options);
  ASSERT_TRUE(session);
  auto host = session->mqtt_host();
  ASSERT_FALSE(host);
  EXPECT_EQ(host.error().code, errc::unavailable);
  EXPECT_EQ(host.error().context,
            "cannot reach http://127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

}  // namespace
}  // namespace stratus::test
