// Proves the precedence defaults < file < environment < flags, that every error is
// reported at once with its key, and that `config print` round-trips.
// How: builds ConfigSources by hand (temp YAML files, fake environments) and loads them.
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace stratus::config {
namespace {

std::filesystem::path write(const test::TempDir& dir, const std::string& text) {
  const auto path = dir.path() / "stratus.yaml";
  std::ofstream(path) << text;
  return path;
}

std::string all_errors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors)
    out += e.where + " | " + e.message + "\n";
  return out;
}

TEST(Config, DefaultsAreTheDocumentedOnes) {
  const auto c = load({});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->server.data_dir, "./stratus-data");
  EXPECT_EQ(c->http.port, 8080);
  EXPECT_EQ(c->broker.port, 8883);
  EXPECT_EQ(c->broker.mode, BrokerMode::embedded);
  EXPECT_EQ(c->http.idle_timeout_ms, std::chrono::milliseconds(30000));
}

// Issue 13, Low 11: HTTP reachable from other machines without TLS is said loudly.
TEST(Config, InsecureHttpIsWarnedAboutUnlessLoopbackOrTls) {
  Config c = *load({});
  c.http.tls = false;
  for (const char* exposed : {"0.0.0.0", "::", "192.0.2.10"}) {
    c.http.bind_address = exposed;
    const auto w = insecure_http_warning(c);
    ASSERT_TRUE(w) << exposed;
    EXPECT_NE(w->find(exposed), std::string::npos);
    EXPECT_NE(w->find("http.tls"), std::string::npos);
  }
  for (const char* local : {"127.0.0.1", "127.0.1.1", "::1", "localhost"}) {
    c.http.bind_address = local;
    EXPECT_FALSE(insecure_http_warning(c)) << local;
  }
  c.http.bind_address = "0.0.0.0";
  c.http.tls = true;
  EXPECT_FALSE(insecure_http_warning(c));
}

TEST(Config, FileThenEnvironmentThenFlags) {
  test::TempDir dir;
  ConfigSources s;
  s.file = write(dir,
                 "http:\n  port: 9000\n  threads: 3\nbroker:\n  port: 9001\n"
                 "server:\n  data_dir: /from/file\npki:\n  server_names: [a.example, 10.0.0.1]\n");
  s.environment = {"STRATUS_HTTP_PORT=9100", "STRATUS_SERVER_DATA_DIR=/from/env", "PATH=/bin",
                   "STRATUS_PASSWORD=not-ours"};
  s.overrides = {{"server.data_dir", "/from/flag", "--data-dir"}};
  const auto c = load(s);
  ASSERT_TRUE(c.has_value()) << all_errors(c.error());
  EXPECT_EQ(c->http.port, 9100);                // env beats file
  EXPECT_EQ(c->http.threads, 3u);               // file beats default
  EXPECT_EQ(c->broker.port, 9001);              // file
  EXPECT_EQ(c->server.data_dir, "/from/flag");  // flag beats env
  EXPECT_EQ(c->pki.server_names, (std::vector<std::string>{"a.example", "10.0.0.1"}));
}

// Espressif's admin CLI refuses an mqtt_host not shaped like an AWS IoT endpoint
// (docs/adr/0014): such a name must be a valid server.mqtt_host; the manufacturing
// section has its documented defaults.
TEST(Config, AnAwsIotShapedMqttHostAndTheManufacturingSection) {
  ConfigSources s;
  s.overrides = {{"server.mqtt_host", "a1b2c3-ats.iot.example.com", "--set"},
                 {"manufacturing.max_node_ids", "100", "--set"}};
  const auto c = load(s);
  ASSERT_TRUE(c.has_value()) << all_errors(c.error());
  EXPECT_EQ(c->server.mqtt_host, "a1b2c3-ats.iot.example.com");
  EXPECT_EQ(c->manufacturing.max_node_ids, 100u);
  EXPECT_EQ(c->manufacturing.max_upload_bytes, std::size_t{64} << 20);
  EXPECT_EQ(c->manufacturing.url_lifetime_s, std::chrono::seconds(3600));
}

TEST(Config, ListFromEnvironmentIsCommaSeparated) {
  ConfigSources s;
  s.environment = {"STRATUS_PKI_SERVER_NAMES=a.example, b.example"};
  const auto c = load(s);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->pki.server_names, (std::vector<std::string>{"a.example", "b.example"}));
}

TEST(Config, EveryErrorIsReportedAtOnceWithItsKey) {
  test::TempDir dir;
  ConfigSources s;
  s.file =
      write(dir, "http:\n  port: seventy\n  bogus: 1\nnosuch:\n  x: 1\nbroker:\n  mode: cloud\n");
  s.environment = {"STRATUS_HTTP_THREADS=0", "STRATUS_HTTP_NOPE=1"};
  s.overrides = {{"broker.port", "70000", "--mqtt-port"}, {"what.ever", "1", "--set"}};
  const auto c = load(s);
  ASSERT_FALSE(c.has_value());
  const std::string text = all_errors(c.error());
  EXPECT_EQ(c.error().size(), 8u) << text;
  EXPECT_NE(text.find("stratus.yaml:2: http.port | expected an integer"), std::string::npos)
      << text;
  EXPECT_NE(text.find("http.bogus | unknown key"), std::string::npos) << text;
  EXPECT_NE(text.find("nosuch | unknown section"), std::string::npos) << text;
  EXPECT_NE(text.find("broker.mode | must be one of embedded, external"), std::string::npos)
      << text;
  EXPECT_NE(text.find("env STRATUS_HTTP_THREADS (http.threads) | must be between 1 and 64"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("env STRATUS_HTTP_NOPE | unknown key"), std::string::npos) << text;
  EXPECT_NE(text.find("--mqtt-port (broker.port) | must be between 0 and 65535"), std::string::npos)
      << text;
  EXPECT_NE(text.find("--set (what.ever) | unknown key"), std::string::npos) << text;
}

TEST(Config, MissingAndMalformedFilesAreErrors) {
  ConfigSources s;
  s.file = "/nonexistent/stratus.yaml";
  ASSERT_FALSE(load(s).has_value());
  test::TempDir dir;
  s.file = write(dir, "http: [1, 2\n");
  const auto c = load(s);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error()[0].message.find("invalid YAML"), std::string::npos);
}

TEST(Config, CrossKeyChecks) {
  ConfigSources s;
  s.overrides = {{"broker.mode", "external", "--set"}};
  const auto c = load(s);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error()[0].where, "broker.external_host");
  s.overrides = {{"http.port", "8883", "--http-port"}};
  EXPECT_FALSE(load(s).has_value());
  s.overrides = {{"http.port", "0", "--http-port"}, {"broker.port", "0", "--mqtt-port"}};
  EXPECT_TRUE(load(s).has_value()) << "two zero ports both mean 'pick one'";
}

// docs/adr/0021: several instances need a shared database and a shared broker, and the
// share group is one topic level.
TEST(Config, ClusterNeedsPostgresAnExternalBrokerAndAPlainShareGroup) {
  ConfigSources s;
  s.overrides = {{"cluster.enabled", "true", "--set"}};
  auto c = load(s);
  ASSERT_FALSE(c.has_value());
  const std::string text = all_errors(c.error());
  EXPECT_NE(text.find("needs PostgreSQL"), std::string::npos) << text;
  EXPECT_NE(text.find("needs a shared broker"), std::string::npos) << text;
  s.overrides = {{"cluster.enabled", "true", ""},
                 {"database.url", "postgresql://stratus@db/stratus", ""},
                 {"broker.mode", "external", ""},
                 {"broker.external_host", "mqtt.example", ""}};
  c = load(s);
  ASSERT_TRUE(c.has_value()) << all_errors(c.error());
  EXPECT_TRUE(c->cluster.enabled);
  EXPECT_EQ(c->cluster.share_group, "stratus");
  for (const char* bad : {"", "a/b", "a+", "#"}) {
    s.overrides.push_back({"cluster.share_group", bad, ""});
    EXPECT_FALSE(load(s).has_value()) << "share group '" << bad << "'";
    s.overrides.pop_back();
  }
}

// docs/adr/0037: the URL goes into every node certificate's cRLDistributionPoints,
// written there as one OpenSSL value (no commas) and fetched by a broker over HTTP.
TEST(Config, TheCrlUrlIsAnHttpUrlWithAHost) {
  ConfigSources s;
  for (const char* good :
       {"http://stratus.example/crl/stratus-ca.crl", "http://10.0.0.5:8080/crl/stratus-ca.crl"}) {
    s.overrides = {{"claiming.crl_url", good, ""}};
    const auto c = load(s);
    ASSERT_TRUE(c.has_value()) << good << ": " << all_errors(c.error());
    EXPECT_EQ(c->claiming.crl_url, good);
  }
  for (const std::string& bad : std::vector<std::string>{
           "ftp://x/crl", "https://x/crl", "http://", "http:///crl", "http://:80/crl",
           "http://u@x/crl", "http://x/crl?a=1", "http://x/crl#f", "stratus.example/crl",
           "http://a b/crl", "http://a/crl,b", "http://a/\x01",
           "http://" + std::string(1020, 'a')}) {
    s.overrides = {{"claiming.crl_url", bad, ""}};
    const auto c = load(s);
    ASSERT_FALSE(c.has_value()) << bad;
    EXPECT_EQ(c.error()[0].where, "claiming.crl_url") << bad;
  }
}

TEST(Config, PrintedTemplateLoadsBackToTheSameConfig) {
  ConfigSources s;
  s.overrides = {{"http.port", "1234", ""},
                 {"pki.server_names", "x.example,1.2.3.4", ""},
                 {"server.mqtt_host", "mqtt \"quoted\"", ""}};
  const auto first = load(s);
  ASSERT_TRUE(first.has_value());
  const std::string yaml = render_yaml(*first);
  EXPECT_NE(yaml.find("# env: STRATUS_HTTP_PORT, flag: --http-port\n  port: 1234\n"),
            std::string::npos)
      << yaml;
  test::TempDir dir;
  ConfigSources back;
  back.file = write(dir, yaml);
  const auto second = load(back);
  ASSERT_TRUE(second.has_value()) << all_errors(second.error());
  EXPECT_EQ(render_yaml(*second), yaml);
}

TEST(Config, DocsReferenceIsCurrent) {
  // docs/config.md embeds the generated key reference; regenerate with
  // `stratusd config docs` when keys change.
  const char* src = std::getenv("STRATUS_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  const std::string doc = test::read_file(std::filesystem::path(src) / "docs" / "config.md");
  EXPECT_NE(doc.find(render_markdown()), std::string::npos)
      << "docs/config.md is out of date: run `stratusd config docs`";
}

}  // namespace
}  // namespace stratus::config
