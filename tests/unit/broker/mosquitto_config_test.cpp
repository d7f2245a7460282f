// Proves the generated mosquitto.conf carries the security settings the plugin
// relies on. How: renders a config from fixed settings and checks its lines.
#include "broker/mosquitto_config.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <fstream>
#include <memory>

#include "support/temp_dir.hpp"

namespace stratus::broker {
namespace {

MosquittoSettings settings() {
  MosquittoSettings s;
  s.run_as_user = "stratus";
  s.plugin_path = "/opt/stratus/lib/stratus/stratus_mosquitto_plugin.so";
  s.backend_username = "stratus-backend";
  s.backend_password_file = "/data/pki/backend.secret";
  s.backend_port = 41000;
  s.device_bind_address = "0.0.0.0";
  s.device_port = 8883;
  s.ca_file = "/data/pki/ca.crt";
  s.server_cert_file = "/data/pki/server.crt";
  s.server_key_file = "/data/pki/server.key";
  s.max_payload_bytes = 4096;
  return s;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(MosquittoConfig, DeviceListenerRequiresClientCertificates) {
  const std::string conf = render_mosquitto_conf(settings());
  EXPECT_TRUE(has_line(conf, "listener 8883 0.0.0.0"));
  EXPECT_TRUE(has_line(conf, "require_certificate true"));
  EXPECT_TRUE(has_line(conf, "tls_version tlsv1.2"));
  EXPECT_TRUE(has_line(conf, "cafile /data/pki/ca.crt"));
  // use_identity_as_username would suppress the plugin's BASIC_AUTH event in 2.0.11.
  EXPECT_EQ(conf.find("use_identity_as_username"), std::string::npos);
  // The TLS options follow the device listener, so they belong to it alone.
  EXPECT_LT(conf.find("listener 41000 127.0.0.1"), conf.find("listener 8883"));
  EXPECT_LT(conf.find("listener 8883"), conf.find("cafile"));
}

TEST(MosquittoConfig, PluginAndAnonymousAccess) {
  const std::string conf = render_mosquitto_conf(settings());
  EXPECT_TRUE(has_line(conf, "allow_anonymous false"));
  EXPECT_TRUE(has_line(conf, "per_listener_settings false"));
  EXPECT_TRUE(has_line(conf, "plugin /opt/stratus/lib/stratus/stratus_mosquitto_plugin.so"));
  EXPECT_TRUE(has_line(conf, "plugin_opt_backend_username stratus-backend"));
  EXPECT_TRUE(has_line(conf, "plugin_opt_backend_password_file /data/pki/backend.secret"));
  EXPECT_TRUE(has_line(conf, "user stratus"));
  EXPECT_TRUE(has_line(conf, "persistence false"));
  EXPECT_TRUE(has_line(conf, "max_packet_size 5120"));
  // Measured in bench/: Nagle delayed control round trips by ~40 ms, and the default
  // queue limits dropped messages to the backend under load.
  EXPECT_TRUE(has_line(conf, "set_tcp_nodelay true"));
  EXPECT_TRUE(has_line(conf, "max_queued_messages 1000000"));
  EXPECT_TRUE(has_line(conf, "max_inflight_messages 65535"));
  // A batch of a partitioned cluster counts once in the message limits: bytes bound it.
  EXPECT_TRUE(has_line(conf, "max_inflight_bytes 67108864"));
  EXPECT_TRUE(has_line(conf, "max_queued_bytes 268435456"));
  EXPECT_EQ(conf.find("cluster_mirror"), std::string::npos) << "off unless asked for";
}

// docs/adr/0021: a broker shared by several stratusd copies `$` node traffic for them.
TEST(MosquittoConfig, ClusterMirrorOnlyWhenAskedFor) {
  auto s = settings();
  s.cluster_mirror = true;
  EXPECT_TRUE(has_line(render_mosquitto_conf(s), "plugin_opt_cluster_mirror true"));
}

// docs/adr/0025: the plugin hands node messages to stratusd only when given the socket.
TEST(MosquittoConfig, IngestHandoffSocketOnlyWhenGiven) {
  auto s = settings();
  EXPECT_EQ(render_mosquitto_conf(s).find("ingest_socket"), std::string::npos);
  s.ingest_socket = "/data/broker/ingest.sock";
  EXPECT_TRUE(
      has_line(render_mosquitto_conf(s), "plugin_opt_ingest_socket /data/broker/ingest.sock"));
}

// docs/adr/0014: with a trust directory the device listener uses capath (read at
// handshake time), and the plugin learns which certificates are registered and which CA
// is Stratus's own.
TEST(MosquittoConfig, ManufacturingTrustUsesCapathAndTheRegisteredList) {
  auto s = settings();
  s.ca_path = "/data/broker/trust";
  s.registered_certificates_file = "/data/broker/registered-certificates";
  const std::string conf = render_mosquitto_conf(s);
  EXPECT_TRUE(has_line(conf, "capath /data/broker/trust"));
  EXPECT_EQ(conf.find("cafile"), std::string::npos);
  EXPECT_LT(conf.find("listener 8883"), conf.find("capath"));
  EXPECT_TRUE(has_line(
      conf, "plugin_opt_registered_certificates_file /data/broker/registered-certificates"));
  EXPECT_TRUE(has_line(conf, "plugin_opt_stratus_ca_file /data/pki/ca.crt"));
  EXPECT_EQ(render_mosquitto_conf(settings()).find("registered_certificates"), std::string::npos);
}

// docs/adr/0018: the Wirepas listener comes last (its TLS lines are its own), asks no
// client certificate, and the plugin learns where the credentials are.
TEST(MosquittoConfig, WirepasListenerOnlyWhenEnabled) {
  EXPECT_EQ(render_mosquitto_conf(settings()).find("wirepas"), std::string::npos);
  auto s = settings();
  s.wirepas_port = 8884;
  s.wirepas_bind_address = "127.0.0.1";
  s.wirepas_credentials_file = "/data/broker/wirepas_credentials";
  const std::string conf = render_mosquitto_conf(s);
  EXPECT_TRUE(
      has_line(conf, "plugin_opt_wirepas_credentials_file /data/broker/wirepas_credentials"));
  const auto listener = conf.find("\nlistener 8884 127.0.0.1\n");
  ASSERT_NE(listener, std::string::npos);
  EXPECT_LT(conf.find("require_certificate true"), listener);
  const std::string own = conf.substr(listener);
  EXPECT_TRUE(has_line(own, "certfile /data/pki/server.crt"));
  EXPECT_TRUE(has_line(own, "keyfile /data/pki/server.key"));
  EXPECT_TRUE(has_line(own, "require_certificate false"));
  EXPECT_TRUE(has_line(own, "tls_version tlsv1.2"));
  EXPECT_EQ(own.find("\nlistener", 1), std::string::npos);

  s.wirepas_tls = false;
  const std::string plain = render_mosquitto_conf(s);
  EXPECT_EQ(plain.substr(plain.find("listener 8884")).find("certfile"), std::string::npos);
}

// OpenSSL itself reads the generated openssl.cnf: a server context made under it issues no
// session tickets (TLS 1.2: SSL_OP_NO_TICKET; TLS 1.3: zero tickets) and keeps Debian's
// security level 2. OpenSSL keeps `ssl_conf` sections process-wide, so the library's
// defaults (tickets on: the test can fail) are checked first, and no later test in this
// binary makes a TLS context.
TEST(MosquittoConfig, OpensslConfTurnsSessionTicketsOffForEveryServerContext) {
  using LibCtx = std::unique_ptr<OSSL_LIB_CTX, decltype(&OSSL_LIB_CTX_free)>;
  using Ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
  const LibCtx plain(OSSL_LIB_CTX_new(), &OSSL_LIB_CTX_free);
  const Ctx defaults(SSL_CTX_new_ex(plain.get(), nullptr, TLS_server_method()), &SSL_CTX_free);
  ASSERT_NE(defaults, nullptr);
  EXPECT_EQ(SSL_CTX_get_options(defaults.get()) & SSL_OP_NO_TICKET, 0U);
  EXPECT_GT(SSL_CTX_get_num_tickets(defaults.get()), 0U);

  test::TempDir dir;
  const auto path = dir.path() / "openssl.cnf";
  std::ofstream(path) << render_openssl_conf();
  const LibCtx lib(OSSL_LIB_CTX_new(), &OSSL_LIB_CTX_free);
  ASSERT_NE(lib, nullptr);
  ASSERT_EQ(OSSL_LIB_CTX_load_config(lib.get(), path.c_str()), 1);
  const Ctx ctx(SSL_CTX_new_ex(lib.get(), nullptr, TLS_server_method()), &SSL_CTX_free);
  ASSERT_NE(ctx, nullptr);
  EXPECT_NE(SSL_CTX_get_options(ctx.get()) & SSL_OP_NO_TICKET, 0U);
  EXPECT_EQ(SSL_CTX_get_num_tickets(ctx.get()), 0U);
  EXPECT_EQ(SSL_CTX_get_security_level(ctx.get()), 2);
}

}  // namespace
}  // namespace stratus::broker
