// Settings as the Wirepas backend client takes them (spec wirepas.md §4): the command line
// wins over the settings file, the file over the WM_* environment, that over the default;
// errors name where a bad value came from; `describe` masks the password. And the fluentd
// record's MessagePack bytes, read back with msgpuck.
#include "console/settings.hpp"

#include <gtest/gtest.h>
#include <msgpuck.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <map>

#include "console/fluentd.hpp"
#include "support/temp_dir.hpp"

namespace stratus::console {
namespace {

struct Parsed {
  MqttSettings mqtt;
  std::unique_ptr<SettingsParser> parser;
  Result<void> result;
};

std::unique_ptr<Parsed> parse(std::vector<std::string> argv,
                              std::map<std::string, std::string> env = {}) {
  auto p = std::make_unique<Parsed>();
  p->parser = std::make_unique<SettingsParser>(mqtt_keys(p->mqtt));
  CLI::App app;
  p->parser->add_flags(app);
  argv.insert(argv.begin(), "test");
  std::vector<const char*> args;
  for (const auto& a : argv)
    args.push_back(a.c_str());
  app.parse(static_cast<int>(args.size()), args.data());
  p->result = p->parser->resolve([&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional(it->second);
  });
  return p;
}

TEST(ConsoleSettingsTest, CommandLineThenFileThenEnvironmentThenDefault) {
  stratus::test::TempDir dir;
  const auto file = (dir.path() / "settings.yml").string();
  std::ofstream(file)
      << "mqtt_hostname: broker.example\nmqtt_port: 1883\nmqtt_username: file-user\n"
         "mqtt_force_unsecure: True\nunrelated_key: ignored\n";
  auto p = parse({"--settings", file, "--mqtt_port", "8884"},
                 {{"WM_SERVICES_MQTT_USERNAME", "env-user"},
                  {"WM_SERVICES_MQTT_PASSWORD", "env-secret"},
                  {"WM_SERVICES_MQTT_PORT", "1"}});
  ASSERT_TRUE(p->result) << p->result.error().context;
  EXPECT_EQ(p->mqtt.hostname, "broker.example");  // file
  EXPECT_EQ(p->mqtt.port, 8884);                  // flag over file and environment
  EXPECT_EQ(p->mqtt.username, "file-user");       // file over environment
  EXPECT_EQ(p->mqtt.password, "env-secret");      // environment
  EXPECT_TRUE(p->mqtt.force_unsecure);
  EXPECT_FALSE(p->mqtt.persist_session);  // default
  EXPECT_EQ(p->mqtt.subscribe_sink_id, "+");
  const auto lines = p->parser->describe();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "mqtt_password: ********"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "mqtt_port: 8884"), lines.end());
  EXPECT_TRUE(validate(p->mqtt));
  const auto o = client_options(p->mqtt, "id-1", std::chrono::seconds(20));
  EXPECT_FALSE(o.tls);  // force_unsecure
  EXPECT_EQ(o.protocol_version, 4);
  EXPECT_TRUE(o.clean_start);
}

TEST(ConsoleSettingsTest, BadValuesNameTheirSource) {
  auto flag = parse({"--mqtt_port", "99999", "--mqtt_hostname", "h"});
  ASSERT_FALSE(flag->result);
  EXPECT_EQ(flag->result.error().context, "--mqtt_port: \"99999\" is not a valid value");
  auto env = parse({"--mqtt_hostname", "h"}, {{"WM_SERVICES_MQTT_PERSIST_SESSION", "maybe"}});
  ASSERT_FALSE(env->result);
  EXPECT_EQ(env->result.error().context,
            "WM_SERVICES_MQTT_PERSIST_SESSION: \"maybe\" is not a valid value");
  stratus::test::TempDir dir;
  const auto file = (dir.path() / "s.yml").string();
  std::ofstream(file) << "mqtt_subscribe_gateway_id: gw/1\n";
  auto in_file = parse({"--settings", file});
  ASSERT_FALSE(in_file->result);
  EXPECT_EQ(in_file->result.error().context,
            file + ":mqtt_subscribe_gateway_id: \"gw/1\" is not a valid value");
  auto none = parse({});
  ASSERT_TRUE(none->result);
  EXPECT_FALSE(validate(none->mqtt));  // no host name
  auto half = parse({"--mqtt_hostname", "h", "--mqtt_certfile", "/etc/hostname"});
  EXPECT_EQ(validate(half->mqtt).error().context, "mqtt_certfile and mqtt_keyfile go together");
}

TEST(ConsoleSettingsTest, TlsUnlessUnsecureWithClientCertificateAndHostCheck) {
  auto p = parse({"--mqtt_hostname", "h", "--mqtt_ca_certs", "ca.pem", "--mqtt_certfile", "c.pem",
                  "--mqtt_keyfile", "k.pem", "--mqtt_allow_untrusted", "--mqtt_persist_session"});
  ASSERT_TRUE(p->result);
  const auto o = client_options(p->mqtt, "id-1", std::chrono::seconds(60));
  ASSERT_TRUE(o.tls);
  EXPECT_EQ(o.tls->ca_file, "ca.pem");
  EXPECT_EQ(o.tls->cert_file, "c.pem");
  EXPECT_EQ(o.tls->key_file, "k.pem");
  EXPECT_TRUE(o.tls->skip_hostname_check);
  EXPECT_FALSE(o.clean_start);
  EXPECT_EQ(o.port, 8883);
}

TEST(FluentdTest, RecordIsTheForwardProtocolsMessageMode) {
  const auto bytes =
      FluentdSender::encode("python.log", 1700000000, {{"type", "INFO"}, {"message", "SUCCESS"}});
  const char* p = bytes.data();
  const char* end = bytes.data() + bytes.size();
  const char* check = p;
  ASSERT_EQ(mp_check(&check, end), 0);
  EXPECT_EQ(check, end);
  ASSERT_EQ(mp_typeof(*p), MP_ARRAY);
  EXPECT_EQ(mp_decode_array(&p), 3u);
  std::uint32_t len = 0;
  const char* s = mp_decode_str(&p, &len);
  EXPECT_EQ(std::string(s, len), "python.log");
  EXPECT_EQ(mp_decode_uint(&p), 1700000000u);
  EXPECT_EQ(mp_decode_map(&p), 2u);
  s = mp_decode_str(&p, &len);
  EXPECT_EQ(std::string(s, len), "type");
  s = mp_decode_str(&p, &len);
  EXPECT_EQ(std::string(s, len), "INFO");
  s = mp_decode_str(&p, &len);
  EXPECT_EQ(std::string(s, len), "message");
  s = mp_decode_str(&p, &len);
  EXPECT_EQ(std::string(s, len), "SUCCESS");
  EXPECT_EQ(p, end);
}

TEST(FluentdTest, AnUnreachableFluentdDropsRecordsWithoutWaiting) {
  FluentdSettings s;
  s.hostname = "127.0.0.1";
  s.port = 1;  // nothing listens on port 1 of loopback
  FluentdSender sender(s, std::chrono::milliseconds(200), std::chrono::seconds(60));
  EXPECT_FALSE(sender.post("INFO", "one"));
  EXPECT_FALSE(sender.post("INFO", "two"));  // no new attempt before retry_after
  EXPECT_EQ(sender.dropped(), 2u);
}

}  // namespace
}  // namespace stratus::console
