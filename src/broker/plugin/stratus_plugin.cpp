// The Stratus mosquitto plugin: node identity from the client certificate,
// per-node topic ACL and presence events; Wirepas gateways and operators by password
// with their topic ACL (docs/adr/0018). See README.md beside this file.
//
// Runs inside mosquitto's single-threaded event loop: no locking needed. It is
// built without sanitizers (mosquitto is not) and links only OpenSSL; the node-id
// rule and the topic ACL come from proto/topic_rules.hpp, which is header-only, so
// the plugin and stratusd apply the same rule.

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/plugin/ingest_handoff_sender.hpp"
#include "proto/ingest_handoff.hpp"
#include "proto/topic_rules.hpp"
#include "wirepas/topic_rules.hpp"

namespace {

using stratus::proto::kPresenceTopicPrefix;
using stratus::proto::under_basic_ingest;
using stratus::proto::under_node_tree;
using stratus::proto::valid_node_id;

// How often the revoked and registered files' metadata is checked (on MOSQ_EVT_TICK).
constexpr auto kRevocationCheckPeriod = std::chrono::milliseconds(250);

struct NodeConnection {
  const mosquitto* client = nullptr;
  std::string fingerprint;  // SHA-256 of its certificate, lower-case hex
};

// A file of SHA-256 fingerprints that stratusd rewrites atomically (the revoked and the
// registered node certificates), re-read when its size, mtime or inode changes.
struct FingerprintFile {
  std::string path;  // empty: the option was not given
  const char* what = "";
  std::unordered_set<std::string> entries;
  struct stat seen_stat {};
  bool seen = false;
};

// An instance taking its share of node traffic (`cluster.node_traffic = partitioned`,
// docs/adr/0027): its backend connection subscribed to stratus-batch/<its client id>.
struct BatchConsumer {
  const mosquitto* client = nullptr;
  std::string client_id;
  std::string topic;       // stratus-batch/<client_id>
  std::uint64_t seed = 0;  // hash of the client id, for rendezvous hashing
  std::string pending;     // message frames since the last pass of the event loop
};

// A batch is published at the end of each pass of the event loop, or as soon as it
// reaches this size (bytes), so one PUBLISH stays small for the instance to take.
constexpr std::size_t kMaxBatchBytes = std::size_t{256} << 10;

// A Wirepas gateway or operator from the credentials file (docs/adr/0018).
struct WirepasIdentity {
  bool gateway = false;  // else an operator
  std::string salt;      // the HMAC key, as text
  std::string mac;       // HMAC-SHA-256(salt, password), lower-case hex
};

// Who holds a live client id: "node:<cn>", "backend", "wirepas:<name>". A login that
// would take over a session held by another identity is refused: client ids are global
// across listeners.
struct Holder {
  const mosquitto* client = nullptr;
  std::string identity;
  // The client id is this identity's own (a node's CN, a gateway's name, the backend's
  // configured id), not one it chose (a Wirepas operator's, any id): see may_hold.
  bool own = false;
};

struct PluginState {
  mosquitto_plugin_id_t* id = nullptr;
  std::string backend_username;
  std::string backend_password;
  // Current connection per node id; a disconnect from any other connection of
  // the same id is a session that was taken over and must not mark it offline.
  std::unordered_map<std::string, NodeConnection> current;
  // The node connection whose disconnect event came last, until its Last Will's ACL
  // check (which mosquitto makes next, after closing the socket: the certificate is gone
  // by then) or the next tick or login; see on_acl_check.
  const mosquitto* departing = nullptr;
  std::string departing_node;
  FingerprintFile revoked{{}, "revoked", {}, {}, false};
  // Registered manufactured certificates (docs/adr/0014): with `stratus_ca` set, a node
  // certificate that the Stratus CA did not issue is accepted only when listed here.
  FingerprintFile registered{{}, "registered", {}, {}, false};
  X509* stratus_ca = nullptr;
  std::chrono::steady_clock::time_point next_check{};
  // Wirepas credentials (optional): name → identity, re-read when the file changes.
  std::string wirepas_path;
  std::unordered_map<std::string, WirepasIdentity> wirepas;
  struct stat wirepas_stat {};
  bool wirepas_seen = false;
  std::unordered_map<std::string, Holder> holders;  // by client id
  // Several stratusd share this broker (docs/adr/0021): copy `$` node traffic to
  // stratus-mirror/…, which shared subscriptions can take.
  bool cluster_mirror = false;
  // With cluster_mirror: the instances that partition node traffic (docs/adr/0027).
  // While there is one, every node message goes to exactly one of them, in batches.
  std::vector<BatchConsumer> consumers;
  // The ingest handoff (docs/adr/0025): node messages to stratusd's Unix socket in
  // batches, instead of MQTT forwarding. Null when `ingest_socket` is not set.
  std::unique_ptr<stratus::broker::IngestHandoffSender> handoff;
};

std::string certificate_cn(const mosquitto* client) {
  auto* cert = static_cast<X509*>(mosquitto_client_certificate(client));
  if (cert == nullptr)
    return {};
  std::string cn;
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index >= 0) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len > 0)
      cn.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  X509_free(cert);
  return cn;
}

std::string certificate_fingerprint(const mosquitto* client) {
  auto* cert = static_cast<X509*>(mosquitto_client_certificate(client));
  if (cert == nullptr)
    return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::string hex;
  if (X509_digest(cert, EVP_sha256(), digest, &len) == 1) {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; ++i) {
      hex.push_back(kDigits[digest[i] >> 4]);
      hex.push_back(kDigits[digest[i] & 0x0f]);
    }
  }
  X509_free(cert);
  return hex;
}

// One fingerprint per line; blank lines and '#' comments ignored. False (the old list
// kept) when an existing file cannot be read: failing open would un-revoke everything.
bool load_fingerprints(FingerprintFile& file, bool exists) {
  std::unordered_set<std::string> entries;
  if (exists) {
    std::ifstream in(file.path);
    if (!in) {
      mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: cannot read %s; keeping %zu %s entries",
                           file.path.c_str(), file.entries.size(), file.what);
      return false;
    }
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line.front() == '#')
        continue;
      entries.insert(line);
    }
  }
  file.entries = std::move(entries);
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: %zu %s node certificates", file.entries.size(),
                       file.what);
  return true;
}

// Whether the file at `path` differs (existence, size, inode, mtime) from what was seen;
// `st` and `exists` receive its current state.
bool file_changed(const std::string& path, bool seen, const struct stat& old, struct stat& st,
                  bool& exists) {
  exists = ::stat(path.c_str(), &st) == 0;
  return exists != seen || (exists && (st.st_size != old.st_size || st.st_ino != old.st_ino ||
                                       st.st_mtim.tv_sec != old.st_mtim.tv_sec ||
                                       st.st_mtim.tv_nsec != old.st_mtim.tv_nsec));
}

// Re-reads the file when it changed. True when it was re-read.
bool refresh_file(FingerprintFile& file) {
  if (file.path.empty())
    return false;
  struct stat st {};
  bool exists = false;
  if (!file_changed(file.path, file.seen, file.seen_stat, st, exists))
    return false;
  if (!load_fingerprints(file, exists))
    return false;  // retried on the next tick: the file's metadata is not recorded as seen
  file.seen = exists;
  struct stat none {};
  file.seen_stat = exists ? st : none;
  return true;
}

// Re-reads the revoked list when it changed; then drops every node session whose
// certificate is on it.
void refresh_revoked(PluginState& state) {
  if (!refresh_file(state.revoked))
    return;
  // Collected first: a kick may run on_disconnect, which edits `current`.
  std::vector<std::string> kick;
  for (const auto& [node_id, connection] : state.current) {
    if (state.revoked.entries.count(connection.fingerprint) != 0)
      kick.push_back(node_id);
  }
  for (const auto& node_id : kick) {
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: dropping %s: its certificate was revoked",
                         node_id.c_str());
    mosquitto_kick_client_by_clientid(node_id.c_str(), false);
  }
}

// Drops every live session held by `identity` (its last will is sent: a gateway whose
// credential went is offline).
void kick_identity(PluginState& state, const std::string& identity) {
  std::vector<std::string> kick;  // collected first: a kick may run on_disconnect
  for (const auto& [client_id, holder] : state.holders) {
    if (holder.identity == identity)
      kick.push_back(client_id);
  }
  for (const auto& client_id : kick)
    mosquitto_kick_client_by_clientid(client_id.c_str(), true);
}

// Parses the Wirepas credentials file (broker/wirepas_credentials.hpp): `role name salt
// mac` per line. A malformed line is skipped with a warning (stratusd never writes one).
bool load_wirepas(PluginState& state, bool exists,
                  std::unordered_map<std::string, WirepasIdentity>& out) {
  if (!exists)
    return true;
  std::ifstream in(state.wirepas_path);
  if (!in) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: cannot read %s; keeping %zu Wirepas entries",
                         state.wirepas_path.c_str(), state.wirepas.size());
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#')
      continue;
    std::string_view rest = line;
    std::string_view fields[4];
    std::size_t n = 0;
    while (n < 4 && !rest.empty()) {
      const auto space = rest.find(' ');
      fields[n++] = rest.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    const bool role_ok = fields[0] == "gateway" || fields[0] == "operator";
    if (n != 4 || !rest.empty() || !role_ok ||
        !stratus::wirepas::valid_broker_identity(fields[1]) || fields[2].empty() ||
        fields[3].size() != 64) {
      mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: skipping a malformed line of %s",
                           state.wirepas_path.c_str());
      continue;
    }
    out[std::string(fields[1])] =
        WirepasIdentity{fields[0] == "gateway", std::string(fields[2]), std::string(fields[3])};
  }
  return true;
}

// Re-reads the Wirepas credentials when the file changed; kicks the sessions of names
// that went or whose secret or role changed.
void refresh_wirepas(PluginState& state) {
  if (state.wirepas_path.empty())
    return;
  struct stat st {};
  bool exists = false;
  if (!file_changed(state.wirepas_path, state.wirepas_seen, state.wirepas_stat, st, exists))
    return;
  std::unordered_map<std::string, WirepasIdentity> fresh;
  if (!load_wirepas(state, exists, fresh))
    return;  // retried on the next tick
  state.wirepas_seen = exists;
  struct stat none {};
  state.wirepas_stat = exists ? st : none;
  std::vector<std::string> gone;
  for (const auto& [name, old] : state.wirepas) {
    const auto it = fresh.find(name);
    if (it == fresh.end() || it->second.mac != old.mac || it->second.gateway != old.gateway)
      gone.push_back(name);
  }
  state.wirepas = std::move(fresh);
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: %zu Wirepas gateways and operators",
                       state.wirepas.size());
  for (const auto& name : gone) {
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: dropping Wirepas %s: its credential changed",
                         name.c_str());
    kick_identity(state, "wirepas:" + name);
  }
}

// HMAC-SHA-256(salt, password) in lower-case hex equals `mac`, compared in constant time.
bool password_matches(const WirepasIdentity& identity, const char* password) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), identity.salt.data(), static_cast<int>(identity.salt.size()),
           reinterpret_cast<const unsigned char*>(password), std::strlen(password), digest,
           &len) == nullptr)
    return false;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kDigits[digest[i] >> 4]);
    hex.push_back(kDigits[digest[i] & 0x0f]);
  }
  return hex.size() == identity.mac.size() &&
         CRYPTO_memcmp(hex.data(), identity.mac.data(), hex.size()) == 0;
}

bool loopback_address(const char* address) {
  if (address == nullptr)
    return false;
  const std::string_view a = address;
  return a.starts_with("127.") || a == "::1" || a.starts_with("::ffff:127.");
}

// Refuses a login whose client id is held by a live session of another identity, unless
// the id is the login's own and the holder merely chose it: a Wirepas operator may pick
// any client id, and must not keep a node, a gateway or stratusd out by holding theirs
// (mosquitto then closes the holder's session, as for any client id taken over).
bool may_hold(PluginState& state, std::string_view client_id, const std::string& identity, bool own,
              const char* address) {
  const auto it = state.holders.find(std::string(client_id));
  if (it == state.holders.end() || it->second.identity == identity)
    return true;
  if (own && !it->second.own) {
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: %s (%s) takes its client id '%s' back from %s",
                         address != nullptr ? address : "?", identity.c_str(),
                         std::string(client_id).c_str(), it->second.identity.c_str());
    return true;
  }
  mosquitto_log_printf(
      MOSQ_LOG_NOTICE, "stratus: refused %s (%s): client id '%s' is in use by another identity",
      address != nullptr ? address : "?", identity.c_str(), std::string(client_id).c_str());
  return false;
}

// Whether the Stratus CA issued `client`'s certificate (issuer name and signature; the
// TLS handshake already checked the chain and validity).
bool issued_by_stratus_ca(const PluginState& state, const mosquitto* client) {
  auto* cert = static_cast<X509*>(mosquitto_client_certificate(client));
  if (cert == nullptr)
    return false;
  const bool issued = X509_check_issued(state.stratus_ca, cert) == X509_V_OK &&
                      X509_verify(cert, X509_get0_pubkey(state.stratus_ca)) == 1;
  X509_free(cert);
  return issued;
}

// What a node may publish to (spec rainmaker.md §1.2): its own tree, in either form. The ACL
// check and the ingest handoff apply the same rule.
bool node_may_publish(std::string_view topic, std::string_view node_id) {
  return under_node_tree(topic, node_id) || under_basic_ingest(topic, node_id);
}

bool has_certificate(const mosquitto* client) {
  auto* cert = static_cast<X509*>(mosquitto_client_certificate(client));
  if (cert == nullptr)
    return false;
  X509_free(cert);
  return true;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void publish_presence(std::string_view node_id, bool connected) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string topic(kPresenceTopicPrefix);
  topic += node_id;
  std::string payload = "{\"node_id\":\"";
  payload += node_id;  // valid_node_id() guarantees nothing needs escaping
  payload += "\",\"connected\":";
  payload += connected ? "true" : "false";
  payload += ",\"timestamp\":" + std::to_string(now_ms) + "}";
  // Retained: a backend that (re)subscribes — after its own restart, or after
  // reconnecting to a restarted broker — gets every node's current state at
  // once instead of missing the events sent while it was away.
  const int rc = mosquitto_broker_publish_copy(
      nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, true, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: presence publish for %s failed: %s",
                         std::string(node_id).c_str(), mosquitto_strerror(rc));
  }
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// splitmix64's finalizer: spreads the bits of the combined node and consumer hashes.
std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void flush(BatchConsumer& consumer) {
  if (consumer.pending.empty())
    return;
  // Addressed to the instance's connection alone (mosquitto queues it for that client id
  // whatever it subscribed), QoS 1 like the node traffic it carries.
  const int rc = mosquitto_broker_publish_copy(consumer.client_id.c_str(), consumer.topic.c_str(),
                                               static_cast<int>(consumer.pending.size()),
                                               consumer.pending.data(), 1, false, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: batch of %zu bytes to %s failed: %s",
                         consumer.pending.size(), consumer.client_id.c_str(),
                         mosquitto_strerror(rc));
  }
  consumer.pending.clear();
}

// Adds a node's message to the batch of the instance that owns the node: the consumer
// with the highest mix(hash(node) ^ seed) (rendezvous hashing, so an instance coming or
// going moves only the nodes it gets or had). A node's messages therefore reach one
// instance in the order the node sent them. False when no instance partitions.
bool to_consumer(PluginState& state, std::string_view node_id, std::string_view topic,
                 std::string_view payload) {
  if (state.consumers.empty())
    return false;
  const std::uint64_t node = fnv1a(node_id);
  BatchConsumer* owner = &state.consumers.front();
  std::uint64_t best = mix(node ^ owner->seed);
  for (auto& consumer : state.consumers) {
    if (const std::uint64_t score = mix(node ^ consumer.seed); score > best) {
      best = score;
      owner = &consumer;
    }
  }
  // The sequence is unused here: the instance acknowledges the PUBLISH, not frames.
  if (!stratus::proto::append_handoff_message(owner->pending, 0, topic, payload)) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: message on %.*s too large to batch",
                         static_cast<int>(topic.size()), topic.data());
    return true;
  }
  if (owner->pending.size() >= kMaxBatchBytes)
    flush(*owner);
  return true;
}

// The backend connection `client` asked for (subscribe) or gave up (unsubscribe) its
// batch topic: it starts or stops taking a share of node traffic.
void batch_subscription(PluginState& state, const mosquitto* client, std::string_view topic,
                        bool subscribe) {
  const char* id = mosquitto_client_id(client);
  if (!state.cluster_mirror || id == nullptr || topic != stratus::proto::cluster_batch_topic(id))
    return;
  auto it = std::find_if(state.consumers.begin(), state.consumers.end(),
                         [&](const BatchConsumer& c) { return c.client_id == id; });
  if (!subscribe) {
    if (it != state.consumers.end()) {
      flush(*it);
      state.consumers.erase(it);
    }
    return;
  }
  if (it != state.consumers.end()) {
    it->client = client;  // the same instance again (a resubscribe after its reconnect)
    return;
  }
  state.consumers.push_back(BatchConsumer{client, id, std::string(topic), fnv1a(id), {}});
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: %s takes a share of node traffic (%zu now)", id,
                       state.consumers.size());
}

void publish_subscribed(PluginState& state, std::string_view node_id) {
  std::string topic(stratus::proto::kSubscribedTopicPrefix);
  topic += node_id;
  static constexpr std::string_view kPayload = "params/remote";
  if (state.handoff) {
    // In line with the node's own messages, so stratusd sees them in the order they came.
    state.handoff->enqueue(topic, kPayload);
    return;
  }
  if (to_consumer(state, node_id, topic, kPayload))
    return;  // in line with the node's own messages, to the instance that owns the node
  if (state.cluster_mirror) {
    const std::string copy = stratus::proto::cluster_mirror_topic(topic);
    if (mosquitto_broker_publish_copy(nullptr, copy.c_str(), static_cast<int>(kPayload.size()),
                                      kPayload.data(), 1, false, nullptr) != MOSQ_ERR_SUCCESS) {
      mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: mirrored subscription event for %s failed",
                           std::string(node_id).c_str());
    }
  }
  const int rc =
      mosquitto_broker_publish_copy(nullptr, topic.c_str(), static_cast<int>(kPayload.size()),
                                    kPayload.data(), 1, false, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: subscription event for %s failed: %s",
                         std::string(node_id).c_str(), mosquitto_strerror(rc));
  }
}

int on_basic_auth(int, void* event_data, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  auto* ev = static_cast<mosquitto_evt_basic_auth*>(event_data);
  state.departing = nullptr;  // a new connection may sit where the departed one was
  const char* address = mosquitto_client_address(ev->client);
  const char* client_id = mosquitto_client_id(ev->client);
  const std::string_view id = client_id != nullptr ? client_id : "";

  if (!has_certificate(ev->client)) {
    // No certificate: the backend (from loopback only), or a Wirepas gateway or operator.
    if (ev->username == nullptr || ev->password == nullptr) {
      mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: refused %s: no user name or password",
                           address != nullptr ? address : "?");
      return MOSQ_ERR_AUTH;
    }
    if (!state.backend_username.empty() &&
        constant_time_equal(ev->username, state.backend_username)) {
      if (!loopback_address(address) ||
          !constant_time_equal(ev->password, state.backend_password)) {
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: refused backend login from %s",
                             address != nullptr ? address : "?");
        return MOSQ_ERR_AUTH;
      }
      if (!may_hold(state, id, "backend", true, address))
        return MOSQ_ERR_AUTH;
      state.holders[std::string(id)] = Holder{ev->client, "backend", true};
      return MOSQ_ERR_SUCCESS;
    }
    refresh_wirepas(state);  // a credential issued a moment ago already counts
    const auto it = state.wirepas.find(ev->username);
    if (it == state.wirepas.end() || !password_matches(it->second, ev->password)) {
      mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: refused %s: unknown user or wrong password",
                           address != nullptr ? address : "?");
      return MOSQ_ERR_AUTH;
    }
    if (it->second.gateway && id != it->first) {
      mosquitto_log_printf(MOSQ_LOG_NOTICE,
                           "stratus: refused Wirepas gateway %s: client id '%s' must be the "
                           "gateway id",
                           it->first.c_str(), std::string(id).c_str());
      return MOSQ_ERR_AUTH;
    }
    std::string identity = "wirepas:" + it->first;
    const bool own = it->second.gateway;  // a gateway's client id is its name (above)
    if (!may_hold(state, id, identity, own, address))
      return MOSQ_ERR_AUTH;
    state.holders[std::string(id)] = Holder{ev->client, std::move(identity), own};
    return MOSQ_ERR_SUCCESS;
  }

  const std::string cn = certificate_cn(ev->client);
  if (!valid_node_id(cn) || cn == state.backend_username) {
    mosquitto_log_printf(MOSQ_LOG_NOTICE,
                         "stratus: refused %s: certificate CN is not a valid node id",
                         address != nullptr ? address : "?");
    return MOSQ_ERR_AUTH;
  }
  if (id != cn) {
    mosquitto_log_printf(MOSQ_LOG_NOTICE,
                         "stratus: refused %s: client id '%s' differs from certificate CN '%s'",
                         address != nullptr ? address : "?", std::string(id).c_str(), cn.c_str());
    return MOSQ_ERR_AUTH;
  }
  refresh_revoked(state);  // a list written a moment ago already counts
  std::string fingerprint = certificate_fingerprint(ev->client);
  if (fingerprint.empty() || state.revoked.entries.count(fingerprint) != 0) {
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: refused %s (%s): certificate revoked",
                         address != nullptr ? address : "?", cn.c_str());
    return MOSQ_ERR_AUTH;
  }
  // A manufacturing CA vouches only for the certificates registered with stratusd: the
  // same CA's certificate for another node id is refused (docs/adr/0014).
  if (state.stratus_ca != nullptr && !issued_by_stratus_ca(state, ev->client)) {
    refresh_file(state.registered);
    if (state.registered.entries.count(fingerprint) == 0) {
      mosquitto_log_printf(MOSQ_LOG_NOTICE,
                           "stratus: refused %s (%s): certificate not issued by the Stratus CA "
                           "and not registered",
                           address != nullptr ? address : "?", cn.c_str());
      return MOSQ_ERR_AUTH;
    }
  }
  std::string identity = "node:" + cn;
  if (!may_hold(state, id, identity, true, address))
    return MOSQ_ERR_AUTH;
  // The firmware sends an AWS tracking string as user name; identity is the CN.
  if (mosquitto_set_username(ev->client, cn.c_str()) != MOSQ_ERR_SUCCESS)
    return MOSQ_ERR_AUTH;
  state.holders[cn] = Holder{ev->client, std::move(identity), true};
  state.current[cn] = NodeConnection{ev->client, std::move(fingerprint)};
  publish_presence(cn, true);
  return MOSQ_ERR_SUCCESS;
}

// The Wirepas topic ACL (docs/adr/0018, wirepas/topic_rules.hpp) for a client that logged
// in without a certificate and is not the backend.
int wirepas_acl(const PluginState& state, std::string_view name, std::string_view topic,
                int access) {
  const auto it = state.wirepas.find(std::string(name));
  if (it == state.wirepas.end())
    return MOSQ_ERR_ACL_DENIED;  // removed since it logged in: about to be kicked
  if (access == MOSQ_ACL_UNSUBSCRIBE)
    return MOSQ_ERR_SUCCESS;
  bool allowed = false;
  if (!it->second.gateway) {
    allowed = access == MOSQ_ACL_SUBSCRIBE || access == MOSQ_ACL_READ || access == MOSQ_ACL_WRITE
                  ? stratus::wirepas::operator_may_use(topic)
                  : false;
  } else if (access == MOSQ_ACL_WRITE) {
    allowed = stratus::wirepas::gateway_may_publish(topic, name);
  } else if (access == MOSQ_ACL_SUBSCRIBE || access == MOSQ_ACL_READ) {
    allowed = stratus::wirepas::gateway_may_subscribe(topic, name);
  }
  return allowed ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
}

// A node's message, after its ACL check allowed it (a publish, or its Last Will). With the
// ingest handoff, every node message goes to stratusd through it (the broker still routes
// it, to no subscriber: stratusd does not subscribe to node traffic then). With
// `cluster_mirror` and instances that partition node traffic, every node message goes
// into the batch of the instance that owns the node (docs/adr/0027); without them,
// basic-ingest traffic (`$aws/rules/<rule>/node/<id>/…`) is copied to
// stratus-mirror/aws/rules/…, where the stratusd instances take it through one shared
// subscription (docs/adr/0021). The node's own rule is checked again here: a copy must
// never be wider than the ACL.
void take_node_message(PluginState& state, const char* node_id, const char* topic,
                       std::string_view payload, int qos) {
  if (state.handoff) {
    if (node_may_publish(topic, node_id))
      state.handoff->enqueue(topic, payload);
    return;
  }
  if (!state.consumers.empty()) {
    if (node_may_publish(topic, node_id))
      to_consumer(state, node_id, topic, payload);
    return;
  }
  if (!state.cluster_mirror || topic[0] != '$' || !under_basic_ingest(topic, node_id))
    return;
  const std::string copy = stratus::proto::cluster_mirror_topic(topic);
  const int rc = mosquitto_broker_publish_copy(
      nullptr, copy.c_str(), static_cast<int>(payload.size()), payload.data(), qos, false, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "stratus: mirror of %s failed: %s", topic,
                         mosquitto_strerror(rc));
  }
}

int on_acl_check(int, void* event_data, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  const auto* ev = static_cast<mosquitto_evt_acl_check*>(event_data);
  if (ev->client == state.departing && ev->client != nullptr) {
    // A node that went without DISCONNECT: mosquitto checks its Last Will right after the
    // disconnect event, with the socket (and so the certificate) already gone, and hands
    // the will to no plugin's message event. The firmware's Connectivity service leaves
    // `{"Connectivity":{"Connected":false}}` on its params/local (spec rainmaker.md §1.1).
    const std::string node_id = std::move(state.departing_node);
    state.departing = nullptr;
    if (ev->access != MOSQ_ACL_WRITE || ev->topic == nullptr || ev->retain ||
        !node_may_publish(ev->topic, node_id))
      return MOSQ_ERR_ACL_DENIED;
    take_node_message(state, node_id.c_str(), ev->topic,
                      std::string_view(static_cast<const char*>(ev->payload), ev->payloadlen),
                      ev->qos);
    return MOSQ_ERR_SUCCESS;
  }
  const char* username = mosquitto_client_username(ev->client);
  if (username == nullptr || ev->topic == nullptr)
    return MOSQ_ERR_ACL_DENIED;
  const std::string_view id = username;
  const std::string_view topic = ev->topic;
  if (!has_certificate(ev->client)) {
    // Logged in by password: the backend may do anything, the rest are Wirepas clients.
    if (!state.backend_username.empty() && id == state.backend_username) {
      if (ev->access == MOSQ_ACL_SUBSCRIBE || ev->access == MOSQ_ACL_UNSUBSCRIBE)
        batch_subscription(state, ev->client, topic, ev->access == MOSQ_ACL_SUBSCRIBE);
      return MOSQ_ERR_SUCCESS;
    }
    return wirepas_acl(state, id, topic, ev->access);
  }
  switch (ev->access) {
    case MOSQ_ACL_SUBSCRIBE:
      if (!under_node_tree(topic, id))
        return MOSQ_ERR_ACL_DENIED;
      // stratusd delivers desired state kept while the node was offline once it can
      // receive it (issue 13): the subscription is in place before stratusd hears this.
      if (stratus::proto::is_params_remote(topic, id))
        publish_subscribed(state, id);
      return MOSQ_ERR_SUCCESS;
    case MOSQ_ACL_READ:
      return under_node_tree(topic, id) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
    case MOSQ_ACL_WRITE:
      // RainMaker firmware never sets retain (its will neither; docs/spec rainmaker.md
      // §1.1). A retained message would outlive the node's certificate and its owner
      // (a retained `params/remote` or `otaurl` replayed to whoever holds the node next),
      // and unbounded retained topics would grow the broker's memory without limit.
      if (ev->retain)
        return MOSQ_ERR_ACL_DENIED;
      return node_may_publish(topic, id) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
    case MOSQ_ACL_UNSUBSCRIBE:
      return MOSQ_ERR_SUCCESS;
    default:
      return MOSQ_ERR_ACL_DENIED;
  }
}

// A node's publish, after its ACL check allowed it: take_node_message.
int on_message(int, void* event_data, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  const auto* ev = static_cast<mosquitto_evt_message*>(event_data);
  const char* username = mosquitto_client_username(ev->client);
  if (ev->topic == nullptr || username == nullptr || !has_certificate(ev->client))
    return MOSQ_ERR_SUCCESS;  // not a node's publish
  take_node_message(state, username, ev->topic,
                    std::string_view(static_cast<const char*>(ev->payload), ev->payloadlen),
                    ev->qos);
  return MOSQ_ERR_SUCCESS;
}

int on_disconnect(int, void* event_data, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  const auto* ev = static_cast<mosquitto_evt_disconnect*>(event_data);
  const char* client_id = mosquitto_client_id(ev->client);
  if (client_id == nullptr)
    return MOSQ_ERR_SUCCESS;
  if (const auto h = state.holders.find(client_id);
      h != state.holders.end() && h->second.client == ev->client)
    state.holders.erase(h);
  if (const auto c = std::find_if(state.consumers.begin(), state.consumers.end(),
                                  [&](const BatchConsumer& b) { return b.client == ev->client; });
      c != state.consumers.end()) {
    // What this pass gathered for it is lost with it, as messages in flight to a shared
    // subscriber are (docs/adr/0027); its nodes go to the others from now on.
    if (!c->pending.empty()) {
      mosquitto_log_printf(MOSQ_LOG_WARNING,
                           "stratus: %zu bytes of node messages lost with instance %s",
                           c->pending.size(), client_id);
    }
    state.consumers.erase(c);
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: %s left (%zu instances take node traffic)",
                         client_id, state.consumers.size());
  }
  const auto it = state.current.find(client_id);
  if (it == state.current.end() || it->second.client != ev->client) {
    return MOSQ_ERR_SUCCESS;  // not a node, or a session another connection took over
  }
  state.current.erase(it);
  state.departing = ev->client;  // its will, if it left one, is checked next
  state.departing_node = client_id;
  publish_presence(client_id, false);
  return MOSQ_ERR_SUCCESS;
}

int on_tick(int, void*, void* userdata) {
  auto& state = *static_cast<PluginState*>(userdata);
  state.departing = nullptr;  // no will came: the connection's memory may be reused
  const auto now = std::chrono::steady_clock::now();
  if (state.handoff)
    state.handoff->pump(now);  // once per pass of the event loop: one write for the pass
  for (auto& consumer : state.consumers)
    flush(consumer);  // likewise: one PUBLISH per instance and pass
  if (now < state.next_check)
    return MOSQ_ERR_SUCCESS;
  state.next_check = now + kRevocationCheckPeriod;
  refresh_revoked(state);
  refresh_file(state.registered);
  refresh_wirepas(state);
  return MOSQ_ERR_SUCCESS;
}

bool read_first_line(const char* path, std::string& out) {
  std::ifstream in(path);
  return in && std::getline(in, out) && !out.empty();
}

}  // namespace

// Everything else in this .so is hidden; the three entry points are exported.
#define STRATUS_PLUGIN_API __attribute__((visibility("default")))

extern "C" {

STRATUS_PLUGIN_API int mosquitto_plugin_version(int supported_version_count,
                                                const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5)
      return 5;
  }
  return -1;
}

STRATUS_PLUGIN_API int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                             struct mosquitto_opt* options, int option_count) {
  auto* state = new PluginState();
  state->id = identifier;
  std::string password_file;
  std::string ca_file;
  std::string ingest_socket;
  for (int i = 0; i < option_count; ++i) {
    const std::string_view key = options[i].key;
    if (key == "backend_username")
      state->backend_username = options[i].value;
    if (key == "backend_password_file")
      password_file = options[i].value;
    if (key == "revoked_certificates_file")
      state->revoked.path = options[i].value;
    if (key == "registered_certificates_file")
      state->registered.path = options[i].value;
    if (key == "stratus_ca_file")
      ca_file = options[i].value;
    if (key == "wirepas_credentials_file")
      state->wirepas_path = options[i].value;
    if (key == "cluster_mirror")
      state->cluster_mirror = std::string_view(options[i].value) == "true";
    if (key == "ingest_socket")
      ingest_socket = options[i].value;
  }
  if (!ca_file.empty()) {
    FILE* f = std::fopen(ca_file.c_str(), "r");
    if (f != nullptr) {
      state->stratus_ca = PEM_read_X509(f, nullptr, nullptr, nullptr);
      std::fclose(f);
    }
    if (state->stratus_ca == nullptr) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "stratus: cannot read plugin_opt_stratus_ca_file %s",
                           ca_file.c_str());
      delete state;
      return MOSQ_ERR_INVAL;
    }
  }
  if (state->backend_username.empty() || password_file.empty() ||
      !read_first_line(password_file.c_str(), state->backend_password)) {
    mosquitto_log_printf(MOSQ_LOG_ERR,
                         "stratus: plugin_opt_backend_username and a readable "
                         "plugin_opt_backend_password_file are required");
    X509_free(state->stratus_ca);
    delete state;
    return MOSQ_ERR_INVAL;
  }
  if (!ingest_socket.empty() && state->cluster_mirror) {
    // The handoff serves one stratusd; with both, node traffic would bypass the cluster.
    mosquitto_log_printf(MOSQ_LOG_ERR,
                         "stratus: plugin_opt_ingest_socket (one stratusd) and "
                         "plugin_opt_cluster_mirror (several) exclude each other");
    X509_free(state->stratus_ca);
    delete state;
    return MOSQ_ERR_INVAL;
  }
  if (!ingest_socket.empty()) {
    stratus::broker::IngestHandoffOptions handoff;
    handoff.socket_path = ingest_socket;
    handoff.secret = state->backend_password;
    std::random_device entropy;
    while (handoff.session == 0)
      handoff.session = (std::uint64_t{entropy()} << 32) | entropy();
    handoff.log = [](bool warning, const std::string& text) {
      mosquitto_log_printf(warning ? MOSQ_LOG_WARNING : MOSQ_LOG_NOTICE, "stratus: %s",
                           text.c_str());
    };
    state->handoff = std::make_unique<stratus::broker::IngestHandoffSender>(std::move(handoff));
  }
  *userdata = state;
  int rc =
      mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr, state);
  if (rc == MOSQ_ERR_SUCCESS) {
    rc = mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr, state);
  }
  if (rc == MOSQ_ERR_SUCCESS) {
    rc =
        mosquitto_callback_register(identifier, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr, state);
  }
  if (rc == MOSQ_ERR_SUCCESS) {
    rc = mosquitto_callback_register(identifier, MOSQ_EVT_TICK, on_tick, nullptr, state);
  }
  if (rc == MOSQ_ERR_SUCCESS && (state->cluster_mirror || state->handoff)) {
    rc = mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, on_message, nullptr, state);
  }
  if (rc == MOSQ_ERR_SUCCESS) {
    refresh_revoked(*state);
    refresh_file(state->registered);
    refresh_wirepas(*state);
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "stratus: plugin ready (backend user %s%s%s)",
                         state->backend_username.c_str(),
                         state->handoff ? ", ingest handoff to " : "", ingest_socket.c_str());
  }
  return rc;
}

STRATUS_PLUGIN_API int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  auto* state = static_cast<PluginState*>(userdata);
  if (state != nullptr) {
    mosquitto_callback_unregister(state->id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr);
    mosquitto_callback_unregister(state->id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
    mosquitto_callback_unregister(state->id, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr);
    mosquitto_callback_unregister(state->id, MOSQ_EVT_TICK, on_tick, nullptr);
    if (state->cluster_mirror || state->handoff)
      mosquitto_callback_unregister(state->id, MOSQ_EVT_MESSAGE, on_message, nullptr);
    X509_free(state->stratus_ca);
    delete state;
  }
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
