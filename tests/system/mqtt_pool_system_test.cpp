// Proves that mqtt::ConnectionPool runs many MQTT connections (plain and mutual TLS) on one
// thread: connect, subscribe, publish/PUBACK, receive, reconnect after a broker restart, errors.
// How: a real mosquitto per test on a free loopback port with a generated config (and certs from
// src/pki); the test thread drives pool.poll() until conditions hold or a deadline passes.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "broker/ports.hpp"
#include "core/clock.hpp"
#include "mqtt/connection_pool.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "support/temp_dir.hpp"
#include "system/mosquitto_process.hpp"

namespace stratus::test {
namespace {

using namespace std::chrono_literals;
using mqtt::ConnectionId;
using mqtt::ConnectionPool;

// What the pool reported, per connection.
struct Recorder {
  std::map<ConnectionId, std::vector<bool>> transitions;  // on_connection values, in order
  std::map<ConnectionId, std::string> last_reason;
  std::map<ConnectionId, std::vector<mqtt::Message>> messages;
  std::set<std::pair<ConnectionId, int>> acked;        // (id, mid)
  std::map<ConnectionId, std::vector<int>> published;  // mids returned by publish()

  [[nodiscard]] std::size_t ups(ConnectionId id) const {
    const auto it = transitions.find(id);
    return it == transitions.end()
               ? 0
               : static_cast<std::size_t>(std::count(it->second.begin(), it->second.end(), true));
  }
  [[nodiscard]] std::size_t downs(ConnectionId id) const {
    const auto it = transitions.find(id);
    return it == transitions.end() ? 0 : it->second.size() - ups(id);
  }
  [[nodiscard]] bool all_acked(ConnectionId id) const {
    const auto it = published.find(id);
    if (it == published.end() || it->second.empty())
      return false;
    return std::all_of(it->second.begin(), it->second.end(), [&](int mid) {
      return acked.count({id, mid}) > 0;
    });
  }
};

bool poll_until(ConnectionPool& pool, const std::function<bool()>& done,
                std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end)
      return false;
    pool.poll(20ms);
  }
  return true;
}

std::string echo_topic(const std::string& client_id) {
  return "swarm/" + client_id + "/echo";
}

// On every CONNACK: subscribe to the connection's own topic, then publish to it at QoS 1
// (the broker handles the SUBSCRIBE first, so the message comes back).
mqtt::PoolHandlers echo_handlers(Recorder& rec, ConnectionPool*& pool,
                                 std::map<ConnectionId, std::string>& client_ids) {
  mqtt::PoolHandlers h;
  h.on_connection = [&](ConnectionId id, bool up, std::string_view reason) {
    rec.transitions[id].push_back(up);
    rec.last_reason[id] = std::string(reason);
    if (!up)
      return;
    const std::string topic = echo_topic(client_ids.at(id));
    EXPECT_TRUE(pool->subscribe(id, topic, 1).has_value());
    const auto mid = pool->publish(id, topic, "hello " + client_ids.at(id), 1, false);
    ASSERT_TRUE(mid.has_value()) << mid.error().message();
    rec.published[id].push_back(*mid);
  };
  h.on_message = [&](ConnectionId id, const mqtt::Message& m) { rec.messages[id].push_back(m); };
  h.on_published = [&](ConnectionId id, int mid) { rec.acked.insert({id, mid}); };
  return h;
}

class MqttPoolSystemTest : public ::testing::Test {
 protected:
  // libmosquitto writes to sockets with write(2); the apps ignore SIGPIPE as well.
  static void SetUpTestSuite() { ::signal(SIGPIPE, SIG_IGN); }

  void SetUp() override {
    auto port = broker::pick_free_port("127.0.0.1");
    ASSERT_TRUE(port.has_value()) << port.error().message();
    port_ = *port;
  }

  mqtt::ClientOptions plain(const std::string& client_id, int protocol_version = 4) const {
    mqtt::ClientOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.client_id = client_id;
    o.protocol_version = protocol_version;
    o.keepalive = 30s;
    return o;
  }

  TempDir dir_;
  std::uint16_t port_ = 0;
};

TEST_F(MqttPoolSystemTest, TwoHundredPlainConnectionsRoundTrip) {
  MosquittoProcess broker(dir_.path(), port_, "allow_anonymous true\n");
  ASSERT_TRUE(broker.start()) << broker.log();

  Recorder rec;
  ConnectionPool* pool_ptr = nullptr;
  std::map<ConnectionId, std::string> client_ids;
  mqtt::PoolOptions options;
  options.max_connects_in_flight = 16;  // 200 nodes go through the queue
  auto pool = ConnectionPool::create(options, echo_handlers(rec, pool_ptr, client_ids));
  ASSERT_TRUE(pool.has_value()) << pool.error().message();
  pool_ptr = pool->get();

  constexpr int kCount = 200;
  std::vector<ConnectionId> ids;
  for (int i = 0; i < kCount; ++i) {
    const std::string client_id = "plain-" + std::to_string(i);
    auto id = (*pool)->add(plain(client_id, i % 2 == 0 ? 4 : 5));  // both protocol versions
    ASSERT_TRUE(id.has_value()) << id.error().message();
    client_ids[*id] = client_id;
    ids.push_back(*id);
  }
  EXPECT_EQ((*pool)->size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(std::set<ConnectionId>(ids.begin(), ids.end()).size(), ids.size());

  const bool done = poll_until(
      **pool,
      [&] {
        return std::all_of(ids.begin(), ids.end(), [&](ConnectionId id) {
          return rec.messages[id].size() == 1 && rec.all_acked(id);
        });
      },
      60s);
  ASSERT_TRUE(done) << "connected " << (*pool)->connected_count() << "/" << kCount << "\n"
                    << broker.log();

  EXPECT_EQ((*pool)->connected_count(), static_cast<std::size_t>(kCount));
  for (const ConnectionId id : ids) {
    EXPECT_TRUE((*pool)->connected(id));
    EXPECT_EQ(rec.transitions[id], std::vector<bool>{true}) << client_ids[id];
    const auto& m = rec.messages[id].front();
    EXPECT_EQ(m.topic, echo_topic(client_ids[id]));
    EXPECT_EQ(m.payload, "hello " + client_ids[id]);
    EXPECT_EQ(m.qos, 1);
  }
  const auto stats = (*pool)->stats();
  EXPECT_EQ(stats.connects, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(stats.connect_attempts, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(stats.publishes, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(stats.messages_received, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(stats.errors, 0U);
}

// A CA, a broker certificate for `server_names` and client identities, as files in `dir`.
struct TlsWorld {
  TlsWorld(const std::filesystem::path& dir, const std::vector<std::string>& server_names)
      : dir_(dir) {
    auto made = pki::CertificateAuthority::create("Pool Test CA", std::chrono::days(1), clock_);
    EXPECT_TRUE(made.has_value());
    ca.emplace(std::move(*made));
    auto other = pki::CertificateAuthority::create("Other CA", std::chrono::days(1), clock_);
    EXPECT_TRUE(other.has_value());
    other_ca.emplace(std::move(*other));
    auto server_key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    EXPECT_TRUE(server_key.has_value());
    auto server_cert = ca->issue_server_certificate(*server_key, server_names.front(), server_names,
                                                    std::chrono::days(1), clock_);
    EXPECT_TRUE(server_cert.has_value()) << server_cert.error().message();
    ca_file = dir / "ca.crt";
    std::ofstream(ca_file) << ca->certificate().to_pem();
    std::ofstream(dir / "server.crt") << server_cert->to_pem();
    std::ofstream(dir / "server.key") << server_key->to_pem();
  }

  // The broker's listener lines: no anonymous access; a client gets in only with its
  // certificate's CN as user name.
  [[nodiscard]] std::string listener() const {
    return "allow_anonymous false\ncafile " + ca_file.string() + "\ncertfile " +
           (dir_ / "server.crt").string() + "\nkeyfile " + (dir_ / "server.key").string() +
           "\nrequire_certificate true\nuse_identity_as_username true\n";
  }

  // Client identity: key + certificate issued by `authority` with CN = `cn`.
  mqtt::TlsOptions identity(const pki::CertificateAuthority& authority, const std::string& cn) {
    auto key = pki::PrivateKey::generate(pki::KeyType::ecdsa_p256);
    auto csr = pki::CertificateSigningRequest::from_pem(
        *pki::CertificateSigningRequest::make_csr_pem(*key, cn));
    auto cert = authority.issue_client_certificate(*csr, std::chrono::days(1), clock_);
    mqtt::TlsOptions tls;
    tls.ca_file = ca_file.string();
    tls.cert_file = (dir_ / (cn + ".crt")).string();
    tls.key_file = (dir_ / (cn + ".key")).string();
    std::ofstream(tls.cert_file) << cert->to_pem();
    std::ofstream(tls.key_file) << key->to_pem();
    return tls;
  }

  SystemClock clock_;
  std::filesystem::path dir_;
  std::optional<pki::CertificateAuthority> ca;
  std::optional<pki::CertificateAuthority> other_ca;
  std::filesystem::path ca_file;
};

TEST_F(MqttPoolSystemTest, MutualTlsConnectionsRoundTripAndForeignCertificatesAreRefused) {
  TlsWorld world(dir_.path(), {"localhost", "127.0.0.1"});
  MosquittoProcess broker(dir_.path(), port_, world.listener());
  ASSERT_TRUE(broker.start()) << broker.log();

  Recorder rec;
  ConnectionPool* pool_ptr = nullptr;
  std::map<ConnectionId, std::string> client_ids;
  mqtt::PoolOptions options;
  options.max_connects_in_flight = 4;  // handshakes queue up
  options.reconnect_min = 100ms;
  options.reconnect_max = 200ms;
  auto pool = ConnectionPool::create(options, echo_handlers(rec, pool_ptr, client_ids));
  ASSERT_TRUE(pool.has_value());
  pool_ptr = pool->get();

  constexpr int kCount = 20;
  std::vector<ConnectionId> ids;
  for (int i = 0; i < kCount; ++i) {
    const std::string cn = "node-" + std::to_string(i);
    auto o = plain(cn, 4);  // RainMaker firmware speaks MQTT 3.1.1
    o.tls = world.identity(*world.ca, cn);
    auto id = (*pool)->add(o);
    ASSERT_TRUE(id.has_value()) << id.error().message();
    client_ids[*id] = cn;
    ids.push_back(*id);
  }
  auto rogue_options = plain("rogue", 4);
  rogue_options.tls = world.identity(*world.other_ca, "rogue");
  auto rogue = (*pool)->add(rogue_options);
  ASSERT_TRUE(rogue.has_value());
  client_ids[*rogue] = "rogue";

  const bool done = poll_until(
      **pool,
      [&] {
        return rec.downs(*rogue) >= 2 && std::all_of(ids.begin(), ids.end(), [&](ConnectionId id) {
                 return rec.messages[id].size() == 1 && rec.all_acked(id);
               });
      },
      60s);
  ASSERT_TRUE(done) << "connected " << (*pool)->connected_count() << "/" << kCount
                    << ", rogue downs " << rec.downs(*rogue) << "\n"
                    << broker.log();
  for (const ConnectionId id : ids) {
    EXPECT_EQ(rec.transitions[id], std::vector<bool>{true}) << client_ids[id];
    EXPECT_EQ(rec.messages[id].front().payload, "hello " + client_ids[id]);
  }
  EXPECT_EQ(rec.ups(*rogue), 0U) << "a certificate from another CA must not get in";
  EXPECT_FALSE((*pool)->connected(*rogue));
  EXPECT_FALSE(rec.last_reason[*rogue].empty());
  EXPECT_EQ((*pool)->connected_count(), static_cast<std::size_t>(kCount));
  EXPECT_GE((*pool)->stats().failed_attempts, 2U);

  // The broker saw each node under its certificate's CN (connection_messages).
  const std::string log = broker.log();
  for (const ConnectionId id : ids)
    EXPECT_NE(log.find("u'" + client_ids[id] + "'"), std::string::npos) << client_ids[id] << log;
  (*pool)->remove(*rogue);
  EXPECT_EQ((*pool)->size(), static_cast<std::size_t>(kCount));
}

// The pool builds a connection's TLS context once, at add() (detail/tls_contexts.hpp):
// the broker's name is still checked, the files are not read again on a reconnect, and
// bad files are refused at add() with the file named.
TEST_F(MqttPoolSystemTest, TlsContextsAreBuiltOnceAndStillCheckTheBrokersName) {
  TlsWorld world(dir_.path(), {"broker.example"});  // no iPAddress entry for 127.0.0.1
  auto broker = std::make_unique<MosquittoProcess>(dir_.path(), port_, world.listener());
  ASSERT_TRUE(broker->start()) << broker->log();

  Recorder rec;
  ConnectionPool* pool_ptr = nullptr;
  std::map<ConnectionId, std::string> client_ids;
  mqtt::PoolOptions options;
  options.reconnect_min = 100ms;
  options.reconnect_max = 200ms;
  auto pool = ConnectionPool::create(options, echo_handlers(rec, pool_ptr, client_ids));
  ASSERT_TRUE(pool.has_value());
  pool_ptr = pool->get();

  auto strict = plain("strict", 4);
  strict.tls = world.identity(*world.ca, "strict");
  auto lenient = plain("lenient", 4);
  lenient.tls = world.identity(*world.ca, "lenient");
  lenient.tls->skip_hostname_check = true;
  const auto strict_id = (*pool)->add(strict);
  const auto lenient_id = (*pool)->add(lenient);
  ASSERT_TRUE(strict_id.has_value()) << strict_id.error().message();
  ASSERT_TRUE(lenient_id.has_value()) << lenient_id.error().message();
  client_ids[*strict_id] = "strict";
  client_ids[*lenient_id] = "lenient";

  // Read once: the files may go away after add().
  for (const std::string* file : {&lenient.tls->cert_file, &lenient.tls->key_file})
    std::filesystem::remove(*file);

  ASSERT_TRUE(poll_until(
      **pool, [&] { return rec.all_acked(*lenient_id) && rec.downs(*strict_id) >= 2; }, 30s))
      << broker->log();
  EXPECT_EQ(rec.ups(*strict_id), 0U) << "127.0.0.1 is not a name in the broker's certificate";

  broker->kill();
  ASSERT_TRUE(poll_until(
      **pool, [&] { return rec.downs(*lenient_id) >= 1; }, 30s));
  ASSERT_TRUE(broker->start()) << broker->log();
  ASSERT_TRUE(poll_until(
      **pool, [&] { return rec.ups(*lenient_id) == 2 && rec.messages[*lenient_id].size() == 2; },
      30s))
      << broker->log();
  EXPECT_EQ(rec.ups(*strict_id), 0U);

  // Bad files: refused at add(), naming the file; nothing is added.
  const std::size_t size = (*pool)->size();
  auto garbage_key = plain("garbage", 4);
  garbage_key.tls = world.identity(*world.ca, "garbage");
  std::ofstream(garbage_key.tls->key_file) << "-----BEGIN PRIVATE KEY-----\nAAAA\n";
  auto r = (*pool)->add(garbage_key);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_NE(r.error().context.find(garbage_key.tls->key_file), std::string::npos)
      << r.error().context;

  auto other_key = plain("mismatch", 4);
  other_key.tls = world.identity(*world.ca, "mismatch");
  other_key.tls->key_file = world.identity(*world.ca, "someone-else").key_file;
  r = (*pool)->add(other_key);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_NE(r.error().context.find("does not match"), std::string::npos) << r.error().context;

  auto no_ca = plain("no-ca", 4);
  no_ca.tls = world.identity(*world.ca, "no-ca");
  std::ofstream(dir_.path() / "empty-ca.crt") << "not a certificate\n";
  no_ca.tls->ca_file = (dir_.path() / "empty-ca.crt").string();
  r = (*pool)->add(no_ca);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_NE(r.error().context.find("no PEM certificate"), std::string::npos) << r.error().context;
  EXPECT_EQ((*pool)->size(), size);

  // The lenient connection is unaffected by the refused ones.
  EXPECT_TRUE((*pool)->connected(*lenient_id));
}

TEST_F(MqttPoolSystemTest, ConnectionsComeBackAfterTheBrokerRestarts) {
  auto broker = std::make_unique<MosquittoProcess>(dir_.path(), port_, "allow_anonymous true\n");
  ASSERT_TRUE(broker->start()) << broker->log();

  Recorder rec;
  ConnectionPool* pool_ptr = nullptr;
  std::map<ConnectionId, std::string> client_ids;
  mqtt::PoolOptions options;
  options.reconnect_min = 100ms;
  options.reconnect_max = 400ms;
  options.random_seed = 42;
  auto pool = ConnectionPool::create(options, echo_handlers(rec, pool_ptr, client_ids));
  ASSERT_TRUE(pool.has_value());
  pool_ptr = pool->get();

  constexpr int kCount = 20;
  std::vector<ConnectionId> ids;
  for (int i = 0; i < kCount; ++i) {
    const std::string client_id = "restart-" + std::to_string(i);
    auto id = (*pool)->add(plain(client_id, i % 2 == 0 ? 4 : 5));
    ASSERT_TRUE(id.has_value());
    client_ids[*id] = client_id;
    ids.push_back(*id);
  }
  ASSERT_TRUE(poll_until(
      **pool,
      [&] {
        return std::all_of(ids.begin(), ids.end(),
                           [&](ConnectionId id) { return rec.messages[id].size() == 1; });
      },
      30s));

  broker->kill();
  ASSERT_TRUE(poll_until(
      **pool,
      [&] {
        return (*pool)->connected_count() == 0 &&
               std::all_of(ids.begin(), ids.end(),
                           [&](ConnectionId id) { return rec.downs(id) >= 2; });
      },
      30s))
      << "connected " << (*pool)->connected_count();
  for (const ConnectionId id : ids) {
    EXPECT_FALSE((*pool)->connected(id));
    // Sending while the broker is down is refused, not queued.
    const auto r = (*pool)->publish(id, echo_topic(client_ids[id]), "lost", 1, false);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::unavailable);
  }

  // Same port: the nodes find the broker again, and resubscribe in their handler.
  ASSERT_TRUE(broker->start()) << broker->log();
  ASSERT_TRUE(poll_until(
      **pool,
      [&] {
        return std::all_of(ids.begin(), ids.end(), [&](ConnectionId id) {
          return rec.messages[id].size() == 2 && rec.all_acked(id);
        });
      },
      30s))
      << "connected " << (*pool)->connected_count() << "\n"
      << broker->log();

  EXPECT_EQ((*pool)->connected_count(), static_cast<std::size_t>(kCount));
  for (const ConnectionId id : ids) {
    const auto& t = rec.transitions[id];
    ASSERT_GE(t.size(), 3U);
    EXPECT_TRUE(t.front()) << client_ids[id];
    EXPECT_FALSE(t[1]) << client_ids[id];
    EXPECT_TRUE(t.back()) << client_ids[id];
    EXPECT_EQ(rec.ups(id), 2U) << client_ids[id];
    EXPECT_EQ(rec.messages[id].back().payload, "hello " + client_ids[id]);
  }
  const auto stats = (*pool)->stats();
  EXPECT_EQ(stats.connects, 2U * kCount);
  EXPECT_GE(stats.disconnects, static_cast<std::uint64_t>(kCount));
}

TEST_F(MqttPoolSystemTest, PublishWithoutConnectionIsUnavailable) {
  // Nothing listens on port_: attempts fail and are retried.
  std::vector<std::pair<ConnectionId, bool>> events;
  mqtt::PoolHandlers handlers;
  handlers.on_connection = [&](ConnectionId id, bool up, std::string_view) {
    events.emplace_back(id, up);
  };
  mqtt::PoolOptions options;
  options.reconnect_min = 20ms;
  options.reconnect_max = 40ms;
  auto pool = ConnectionPool::create(options, handlers);
  ASSERT_TRUE(pool.has_value());

  auto id = (*pool)->add(plain("lonely"));
  ASSERT_TRUE(id.has_value());
  const auto queued = (*pool)->publish(*id, "swarm/lonely/echo", "x", 1, false);
  ASSERT_FALSE(queued.has_value());
  EXPECT_EQ(queued.error().code, errc::unavailable);

  ASSERT_TRUE(poll_until(
      **pool, [&] { return events.size() >= 3; }, 10s));
  for (const auto& [event_id, up] : events) {
    EXPECT_EQ(event_id, *id);
    EXPECT_FALSE(up);
  }
  EXPECT_FALSE((*pool)->connected(*id));
  const auto r = (*pool)->publish(*id, "swarm/lonely/echo", "x", 1, false);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::unavailable);
  const auto s = (*pool)->subscribe(*id, "swarm/lonely/#", 1);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, errc::unavailable);

  const auto unknown = (*pool)->publish(*id + 1, "t", "x", 0, false);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, errc::not_found);

  EXPECT_EQ((*pool)->add(plain("v3", 3)).error().code, errc::invalid_argument);
  auto missing_cert = plain("tls");
  missing_cert.tls = mqtt::TlsOptions{"/nonexistent/ca.crt", "", ""};
  EXPECT_EQ((*pool)->add(missing_cert).error().code, errc::invalid_argument);
}

TEST_F(MqttPoolSystemTest, DisconnectStaysDownAndRemoveWorksInsideHandlers) {
  MosquittoProcess broker(dir_.path(), port_, "allow_anonymous true\n");
  ASSERT_TRUE(broker.start()) << broker.log();

  ConnectionPool* pool_ptr = nullptr;
  std::vector<std::tuple<ConnectionId, bool, std::string>> events;
  std::set<ConnectionId> remove_on_up;
  mqtt::PoolHandlers handlers;
  handlers.on_connection = [&](ConnectionId id, bool up, std::string_view reason) {
    events.emplace_back(id, up, std::string(reason));
    if (up && remove_on_up.count(id) > 0)
      pool_ptr->remove(id);  // the connection being reported: freed after the handler
  };
  mqtt::PoolOptions options;
  options.reconnect_min = 20ms;
  options.reconnect_max = 40ms;
  auto pool = ConnectionPool::create(options, handlers);
  ASSERT_TRUE(pool.has_value());
  pool_ptr = pool->get();

  auto keep = (*pool)->add(plain("keep"));
  auto leave = (*pool)->add(plain("leave", 5));
  auto vanish = (*pool)->add(plain("vanish"));
  ASSERT_TRUE(keep && leave && vanish);
  remove_on_up.insert(*vanish);
  ASSERT_TRUE(poll_until(
      **pool,
      [&] {
        return (*pool)->connected(*keep) && (*pool)->connected(*leave) && (*pool)->size() == 2;
      },
      10s));

  (*pool)->disconnect(*leave);
  EXPECT_FALSE((*pool)->connected(*leave));
  const auto r = (*pool)->publish(*leave, "t", "x", 0, false);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::unavailable);
  ASSERT_TRUE(poll_until(
      **pool,
      [&] {
        return std::any_of(events.begin(), events.end(), [&](const auto& e) {
          return std::get<0>(e) == *leave && !std::get<1>(e);
        });
      },
      10s));
  const auto attempts = (*pool)->stats().connect_attempts;
  // Several backoff periods pass without a new attempt: a disconnected node stays down.
  const auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until)
    (*pool)->poll(20ms);
  EXPECT_EQ((*pool)->stats().connect_attempts, attempts);
  EXPECT_FALSE((*pool)->connected(*leave));
  EXPECT_TRUE((*pool)->connected(*keep));
  EXPECT_EQ((*pool)->connected_count(), 1U);
  // The handler that removed `vanish` was its last event.
  EXPECT_EQ(std::count_if(events.begin(), events.end(),
                          [&](const auto& e) { return std::get<0>(e) == *vanish; }),
            1);
  EXPECT_FALSE((*pool)->connected(*vanish));
}

}  // namespace
}  // namespace stratus::test
