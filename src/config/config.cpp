#include "config/config.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

#include "core/strings.hpp"

extern char** environ;  // POSIX

namespace stratus::config {
namespace {

using ParseError = std::optional<std::string>;  // nullopt = ok

// ---- value parsing and formatting, one overload per field type -------------

template <class Int>
ParseError parse_int(std::string_view text, Int& out, long long min, long long max) {
  long long v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return "expected an integer, got \"" + std::string(text) + "\"";
  }
  if (v < min || v > max) {
    return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
           std::to_string(v);
  }
  out = static_cast<Int>(v);
  return std::nullopt;
}

ParseError parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "yes" || text == "on" || text == "1") {
    out = true;
  } else if (text == "false" || text == "no" || text == "off" || text == "0") {
    out = false;
  } else {
    return "expected true or false, got \"" + std::string(text) + "\"";
  }
  return std::nullopt;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + '"';
}

// ---- the key table ----------------------------------------------------------

struct Key {
  std::string_view section;
  std::string_view name;
  std::string_view doc;
  std::string_view flag;  // "" when there is no dedicated flag
  bool is_list = false;
  std::function<ParseError(Config&, std::string_view)> set;
  std::function<void(Config&, const std::vector<std::string>&)> set_list;
  std::function<std::string(const Config&)> format;
};

Key string_key(std::string_view section, std::string_view name, auto ref, std::string_view doc,
               std::string_view flag = {}) {
  return Key{section,
             name,
             doc,
             flag,
             false,
             [ref](Config& c, std::string_view v) -> ParseError {
               ref(c) = std::string(v);
               return std::nullopt;
             },
             {},
             [ref](const Config& c) { return quote(ref(c)); }};
}

Key int_key(std::string_view section, std::string_view name, auto ref, long long min, long long max,
            std::string_view doc, std::string_view flag = {}) {
  return Key{section,
             name,
             doc,
             flag,
             false,
             [ref, min, max](Config& c, std::string_view v) {
               return parse_int(v, ref(c), min, max); },
             {},
             [ref](const Config& c) { return std::to_string(ref(c)); }};
}

Key duration_key(std::string_view section, std::string_view name, auto ref, long long min,
                 long long max, std::string_view doc) {
  return Key{section,
             name,
             doc,
             {},
             false,
             [ref, min, max](Config& c, std::string_view v) -> ParseError {
               long long n = 0;
               if (auto e = parse_int(v, n, min, max))
                 return e;
               ref(c) = std::remove_cvref_t<decltype(ref(c))>(n);
               return std::nullopt;
             },
             {},
             [ref](const Config& c) { return std::to_string(ref(c).count()); }};
}

Key bool_key(std::string_view section, std::string_view name, auto ref, std::string_view doc) {
  return Key{section, name,
             doc,     {},
             false,   [ref](Config& c, std::string_view v) { return parse_bool(v, ref(c)); },
             {},      [ref](const Config& c) { return ref(c) ? "true" : "false"; }};
}

Key choice_key(std::string_view section, std::string_view name, auto ref,
               std::vector<std::string_view> choices, std::string_view doc) {
  return Key{section,
             name,
             doc,
             {},
             false,
             [ref, choices](Config& c, std::string_view v) -> ParseError {
               if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
                 std::string all;
                 for (auto ch : choices)
                   all += (all.empty() ? "" : ", ") + std::string(ch);
                 return "must be one of " + all + ", got \"" + std::string(v) + "\"";
               }
               ref(c) = std::string(v);
               return std::nullopt;
             },
             {},
             [ref](const Config& c) { return quote(ref(c)); }};
}

Key list_key(std::string_view section, std::string_view name, auto ref, std::string_view doc) {
  return Key{section,
             name,
             doc,
             {},
             true,
             [ref](Config& c, std::string_view v) -> ParseError {
               ref(c) = split_list(v);
               return std::nullopt;
             },
             [ref](Config& c, const std::vector<std::string>& items) { ref(c) = items; },
             [ref](const Config& c) {
               std::string out = "[";
               for (const auto& item : ref(c)) {
                 out += (out.size() > 1 ? ", " : "") + quote(item);
               }
               return out + "]";
             }};
}

// A field accessor usable on const and non-const Config alike.
#define STRATUS_REF(sec, field) \
  [](auto& c) -> auto& {        \
    return c.sec.field;         \
  }

constexpr long long kMaxMs = 24LL * 3600 * 1000;

struct SectionDoc {
  std::string_view name;
  std::string_view doc;
};

const std::vector<SectionDoc>& sections() {
  static const std::vector<SectionDoc> s = {
      {"server", "Process-wide settings."},
      {"http", "The HTTP listener: RainMaker REST API v1, claiming, health and metrics."},
      {"broker",
       "The MQTT side. `embedded` starts Debian's mosquitto with the Stratus plugin and\n"
       "supervises it; `external` connects to an existing MQTT 5 broker and starts nothing."},
      {"database", "The state of record."},
      {"cluster",
       "Several stratusd sharing one PostgreSQL database and one MQTT broker\n"
       "(docs/scale-out.md, docs/adr/0021)."},
      {"pki", "The Stratus CA and server certificate, kept in <data_dir>/pki."},
      {"accounts", "Users, sessions and tokens: the RainMaker user API."},
      {"claiming", "How nodes get their node id and MQTT certificate (POST /claim/...)."},
      {"nodes", "Node ingest (params reports, config, alerts), user-node mapping and control."},
      {"events", "Live events: the WebSocket stream GET /v1/user/events (docs/api.md)."},
      {"webhooks", "Signed HTTP POSTs of events to URLs users register (docs/api.md)."},
      {"automations",
       "Cloud automations: params, sunrise and sunset triggers that set other nodes\n"
       "(docs/api.md, docs/adr/0012)."},
      {"ota",
       "OTA firmware updates: images, jobs and the download URLs nodes fetch images from\n"
       "(docs/api.md, docs/adr/0013)."},
      {"manufacturing",
       "Production batches: node ids, node-certificate registration and manufacturing CAs\n"
       "(the Espressif admin CLI and stratus-admin; docs/api.md, docs/adr/0014)."},
      {"timeseries",
       "The time-series store: tsdata, simple_tsdata and params marked time_series\n"
       "(GET /v1/user/nodes/tsdata, docs/adr/0011)."},
      {"mail", "How verification codes reach users: files in <data_dir>/outbox, or SMTP."},
      {"wirepas",
       "Wirepas gateways and operators (consoles) on the embedded broker: a listener with\n"
       "user name + password, credentials issued by stratus-admin wirepas (docs/wirepas.md)."},
      {"log", "Logging."},
  };
  return s;
}

// Order here is the order of `config print` and docs/config.md.
const std::vector<Key>& keys() {
  static const std::vector<Key> table = [] {
    std::vector<Key> t;
    t.push_back(Key{"server",
                    "data_dir",
                    "Directory for the database, PKI, broker files and runtime.json.",
                    "--data-dir",
                    false,
                    [](Config& c, std::string_view v) -> ParseError {
                      if (v.empty())
                        return "must not be empty";
                      c.server.data_dir = std::string(v);
                      return std::nullopt;
                    },
                    {},
                    [](const Config& c) { return quote(c.server.data_dir); }});
    t.push_back(string_key("server", "mqtt_host", STRATUS_REF(server, mqtt_host),
                           "Host name nodes use for MQTT (answer of GET /mqtt_host, of claiming "
                           "and of GET /v1/admin/mqtt_host). Empty: this machine's hostname. "
                           "Espressif's admin CLI refuses a name that does not match "
                           "^[A-Za-z0-9]+(-ats|.ats).iot (an AWS IoT endpoint shape): if you use "
                           "it, give the broker such a DNS name, e.g. "
                           "a1b2c3-ats.iot.example.com."));
    t.push_back(string_key("http", "bind_address", STRATUS_REF(http, bind_address),
                           "Address the HTTP listener binds to."));
    t.push_back(string_key("http", "web_root", STRATUS_REF(http, web_root),
                           "The web dashboard's built files, served at /. Empty: "
                           "../share/stratus/web next to stratusd; \"off\": none."));
    t.push_back(int_key("http", "port", STRATUS_REF(http, port), 0, 65535,
                        "HTTP port; 0 picks a free port (see runtime.json).", "--http-port"));
    t.push_back(int_key("http", "threads", STRATUS_REF(http, threads), 1, 64,
                        "Threads running the HTTP I/O context."));
    t.push_back(int_key("http", "max_header_bytes", STRATUS_REF(http, max_header_bytes), 1024,
                        1 << 20, "Largest request header block accepted (431 above)."));
    t.push_back(int_key("http", "max_body_bytes", STRATUS_REF(http, max_body_bytes), 1024,
                        64LL << 20, "Largest request body accepted (413 above)."));
    t.push_back(int_key("http", "max_connections", STRATUS_REF(http, max_connections), 1, 1000000,
                        "Open connections at most; more are answered 503."));
    t.push_back(duration_key("http", "idle_timeout_ms", STRATUS_REF(http, idle_timeout_ms), 10,
                             kMaxMs, "An idle keep-alive connection is closed after this long."));
    t.push_back(duration_key("http", "request_timeout_ms", STRATUS_REF(http, request_timeout_ms),
                             10, kMaxMs,
                             "Reading a request and answering it must finish within this."));
    t.push_back(duration_key("http", "shutdown_grace_ms", STRATUS_REF(http, shutdown_grace_ms), 0,
                             kMaxMs, "On SIGTERM, requests in flight may finish within this."));
    t.push_back(bool_key("http", "tls", STRATUS_REF(http, tls),
                         "Serve HTTPS with the Stratus server certificate (pki/server.crt)."));
    t.push_back(Key{"broker",
                    "mode",
                    "embedded or external.",
                    {},
                    false,
                    [](Config& c, std::string_view v) -> ParseError {
                      if (v == "embedded") {
                        c.broker.mode = BrokerMode::embedded;
                      } else if (v == "external") {
                        c.broker.mode = BrokerMode::external;
                      } else {
                        return "must be one of embedded, external, got \"" + std::string(v) + "\"";
                      }
                      return std::nullopt;
                    },
                    {},
                    [](const Config& c) {
                      return quote(c.broker.mode == BrokerMode::embedded ? "embedded" : "external");
                    }});
    t.push_back(string_key("broker", "bind_address", STRATUS_REF(broker, bind_address),
                           "Embedded: address of the device listener."));
    t.push_back(
        int_key("broker", "port", STRATUS_REF(broker, port), 0, 65535,
                "Embedded: device listener port (MQTT over mutual TLS); 0 picks a free port.",
                "--mqtt-port"));
    t.push_back(int_key("broker", "backend_port", STRATUS_REF(broker, backend_port), 0, 65535,
                        "Embedded: loopback listener for stratusd's backend "
                        "client; 0 picks a free port."));
    t.push_back(string_key("broker", "mosquitto_path", STRATUS_REF(broker, mosquitto_path),
                           "Embedded: the mosquitto executable."));
    t.push_back(string_key("broker", "plugin_path", STRATUS_REF(broker, plugin_path),
                           "Embedded: the Stratus mosquitto plugin. Empty: "
                           "../lib/stratus/stratus_mosquitto_plugin.so next to stratusd."));
    t.push_back(int_key("broker", "max_payload_bytes", STRATUS_REF(broker, max_payload_bytes), 1024,
                        256LL << 20, "Embedded: largest MQTT payload the broker accepts."));
    t.push_back(duration_key("broker", "start_timeout_ms", STRATUS_REF(broker, start_timeout_ms),
                             100, kMaxMs,
                             "Embedded: how long mosquitto may take to accept connections."));
    t.push_back(duration_key("broker", "restart_backoff_min_ms",
                             STRATUS_REF(broker, restart_backoff_min_ms), 1, kMaxMs,
                             "Embedded: first delay before restarting a mosquitto that died."));
    t.push_back(duration_key("broker", "restart_backoff_max_ms",
                             STRATUS_REF(broker, restart_backoff_max_ms), 1, kMaxMs,
                             "Embedded: the restart delay doubles up to this."));
    t.push_back(bool_key("broker", "ingest_handoff", STRATUS_REF(broker, ingest_handoff),
                         "Embedded: the plugin hands node messages to stratusd in batches over "
                         "<data_dir>/broker/ingest.sock instead of forwarding each over MQTT "
                         "(docs/adr/0025). Off: the backend connection subscribes to them."));
    t.push_back(string_key("broker", "external_host", STRATUS_REF(broker, external_host),
                           "External: broker host name."));
    t.push_back(int_key("broker", "external_port", STRATUS_REF(broker, external_port), 1, 65535,
                        "External: broker port."));
    t.push_back(bool_key("broker", "external_tls", STRATUS_REF(broker, external_tls),
                         "External: connect with TLS."));
    t.push_back(string_key("broker", "external_ca_file", STRATUS_REF(broker, external_ca_file),
                           "External: CA file to verify the broker (empty: system CAs)."));
    t.push_back(string_key("broker", "external_cert_file", STRATUS_REF(broker, external_cert_file),
                           "External: client certificate file, if the broker wants one."));
    t.push_back(string_key("broker", "external_key_file", STRATUS_REF(broker, external_key_file),
                           "External: client key file."));
    t.push_back(string_key("broker", "external_username", STRATUS_REF(broker, external_username),
                           "External: user name."));
    t.push_back(string_key("broker", "external_password_file",
                           STRATUS_REF(broker, external_password_file),
                           "External: file holding the password (secrets are never inline)."));
    t.push_back(string_key("broker", "client_id", STRATUS_REF(broker, client_id),
                           "Backend client id; its publishing connection adds \"-out\". Empty: "
                           "stratusd-<hostname>-<pid>."));
    t.push_back(duration_key("broker", "keepalive_s", STRATUS_REF(broker, keepalive_s), 5, 3600,
                             "Backend client MQTT keep-alive."));
    t.push_back(duration_key("broker", "reconnect_min_ms", STRATUS_REF(broker, reconnect_min_ms),
                             10, kMaxMs, "Backend client: first reconnect delay."));
    t.push_back(duration_key("broker", "reconnect_max_ms", STRATUS_REF(broker, reconnect_max_ms),
                             10, kMaxMs,
                             "Backend client: the reconnect delay doubles up to this."));
    t.push_back(choice_key("database", "backend", STRATUS_REF(database, backend),
                           {"sqlite", "postgres"},
                           "Storage backend: sqlite (embedded) or postgres (scale-out; "
                           "database.url set implies it)."));
    t.push_back(string_key("database", "path", STRATUS_REF(database, path),
                           "SQLite file. Empty: <data_dir>/stratus.db."));
    t.push_back(string_key("database", "url", STRATUS_REF(database, url),
                           "PostgreSQL: postgresql://user@host:port/dbname[?sslmode=…], "
                           "without a password. Set: PostgreSQL instead of SQLite."));
    t.push_back(string_key("database", "password_file", STRATUS_REF(database, password_file),
                           "PostgreSQL: file holding the password (secrets are never inline)."));
    t.push_back(duration_key("database", "busy_timeout_ms", STRATUS_REF(database, busy_timeout_ms),
                             0, kMaxMs, "How long a statement waits for a lock."));
    t.push_back(int_key("database", "pool_threads", STRATUS_REF(database, pool_threads), 1, 64,
                        "Threads for blocking database work."));
    t.push_back(bool_key("cluster", "enabled", STRATUS_REF(cluster, enabled),
                         "Run as one of several instances: node traffic through a shared "
                         "subscription, sweeps on the leader only, events relayed to every "
                         "instance. Needs database.url and broker.mode external."));
    t.push_back(string_key("cluster", "share_group", STRATUS_REF(cluster, share_group),
                           "Shared-subscription group of the instances ($share/<group>/...)."));
    t.push_back(choice_key("cluster", "node_traffic", STRATUS_REF(cluster, node_traffic),
                           {"shared", "partitioned"},
                           "How node traffic reaches the instances: shared (a $share "
                           "subscription, any MQTT 5 broker) or partitioned (the Stratus "
                           "mosquitto plugin sends each node's messages to one instance, in "
                           "order and batched). The same on every instance."));
    t.push_back(duration_key("cluster", "leader_check_ms", STRATUS_REF(cluster, leader_check_ms),
                             100, 5000,
                             "How often an instance tries to take the leader lease (sweeps "
                             "run on the leader), and the leader checks it still holds it. At "
                             "most 5 s: a leader cut off from PostgreSQL steps down within this "
                             "plus 20 s, before the server frees the lease (30 s, ADR 0021)."));
    t.push_back(list_key("pki", "server_names", STRATUS_REF(pki, server_names),
                         "Extra names (DNS or IP) for the server certificate, besides "
                         "localhost, 127.0.0.1, ::1 and the hostname."));
    t.push_back(duration_key("pki", "ca_lifetime_days", STRATUS_REF(pki, ca_lifetime_days), 1,
                             36500, "Lifetime of a newly created CA."));
    t.push_back(duration_key(
        "pki", "server_cert_lifetime_days", STRATUS_REF(pki, server_cert_lifetime_days), 1, 3650,
        "Lifetime of the server certificate (re-issued 30 days before expiry)."));
    t.push_back(string_key("accounts", "issuer", STRATUS_REF(accounts, issuer),
                           "JWT issuer (`iss`). Empty: \"stratus\"."));
    t.push_back(duration_key("accounts", "token_lifetime_s",
                             STRATUS_REF(accounts, token_lifetime_s), 60, 7LL * 24 * 3600,
                             "Lifetime of access and id tokens."));
    t.push_back(duration_key("accounts", "code_lifetime_s", STRATUS_REF(accounts, code_lifetime_s),
                             60, 7LL * 24 * 3600, "Lifetime of a verification code."));
    t.push_back(int_key("accounts", "code_max_attempts", STRATUS_REF(accounts, code_max_attempts),
                        1, 100, "Wrong tries before a verification code is void."));
    t.push_back(int_key("accounts", "login_failures_per_user",
                        STRATUS_REF(accounts, login_failures_per_user), 1, 1000000,
                        "Failed logins per user name per rate window."));
    t.push_back(int_key("accounts", "attempts_per_address",
                        STRATUS_REF(accounts, attempts_per_address), 1, 1000000,
                        "Failed logins and wrong codes per client address per rate window."));
    t.push_back(int_key("accounts", "codes_per_user", STRATUS_REF(accounts, codes_per_user), 1,
                        1000, "Verification codes mailed per user per rate window."));
    t.push_back(duration_key("accounts", "rate_window_s", STRATUS_REF(accounts, rate_window_s), 1,
                             7LL * 24 * 3600, "Length of a rate-limit window."));
    t.push_back(int_key("accounts", "argon2_ops_limit", STRATUS_REF(accounts, argon2_ops_limit), 1,
                        10, "argon2id passes (libsodium opslimit)."));
    t.push_back(int_key("accounts", "argon2_mem_limit_kib",
                        STRATUS_REF(accounts, argon2_mem_limit_kib), 8, 4 * 1024 * 1024,
                        "argon2id memory per hash, KiB."));
    t.push_back(int_key("accounts", "default_node_quota", STRATUS_REF(accounts, default_node_quota),
                        0, 1000000,
                        "Nodes a user may hold as primary user (claiming a new MAC, mapping) "
                        "unless an admin set the user's own quota (stratus-admin user quota); "
                        "0 = unlimited. A removed node gives its slot back."));
    t.push_back(int_key("claiming", "max_nodes_per_user", STRATUS_REF(claiming, max_nodes_per_user),
                        1, 10000000, "Node ids one user may claim."));
    t.push_back(choice_key(
        "claiming", "self_claim", STRATUS_REF(claiming, self_claim), {"deny", "allow", "allowlist"},
        "Self-claiming without a user: deny, allow, or allowlist (MACs or MAC "
        "prefixes from claiming.self_claim_allowlist_file). Stratus cannot check "
        "the firmware's eFuse HMAC."));
    t.push_back(string_key(
        "claiming", "self_claim_allowlist_file", STRATUS_REF(claiming, self_claim_allowlist_file),
        "One MAC or MAC prefix per line (hex, separators ignored, # comments)."));
    t.push_back(duration_key("claiming", "node_cert_lifetime_days",
                             STRATUS_REF(claiming, node_cert_lifetime_days), 1, 36500,
                             "Lifetime of node certificates."));
    t.push_back(duration_key("claiming", "challenge_lifetime_s",
                             STRATUS_REF(claiming, challenge_lifetime_s), 10, 86400,
                             "How long a self-claim challenge may be answered."));
    t.push_back(string_key(
        "claiming", "crl_url", STRATUS_REF(claiming, crl_url),
        "The http URL at which brokers reach this server's /crl/stratus-ca.crl (the Stratus "
        "CA's revocation list), e.g. http://stratus.example.com/crl/stratus-ca.crl. "
        "Certificates issued at claiming then name it (cRLDistributionPoints) and the list "
        "is scoped to it, which EMQX's enable_crl_check needs (docs/scale-out.md). Keep it "
        "once set: certificates that name another URL, or none (issued before it was set), "
        "fail a CRL check against the list. Empty: not named; the list is still served."));
    t.push_back(int_key("nodes", "max_payload_bytes", STRATUS_REF(nodes, max_payload_bytes), 256,
                        16 << 20, "Node messages larger than this are dropped and counted."));
    t.push_back(int_key("nodes", "ingest_queue_limit", STRATUS_REF(nodes, ingest_queue_limit), 100,
                        10000000,
                        "Reports waiting for the database writer; above, reports are "
                        "dropped and counted."));
    t.push_back(int_key("nodes", "ingest_batch_max", STRATUS_REF(nodes, ingest_batch_max), 1,
                        1000000, "Reports committed per transaction at most."));
    t.push_back(duration_key("nodes", "ingest_flush_ms", STRATUS_REF(nodes, ingest_flush_ms), 0,
                             10000,
                             "Under load, longest a report waits for its batch to fill: as long "
                             "as the last batch took to apply, at most this (an idle writer "
                             "commits at once)."));
    t.push_back(int_key("nodes", "ingest_interactive_batch_max",
                        STRATUS_REF(nodes, ingest_interactive_batch_max), 1, 1000000,
                        "While a node that was sent a set has not answered, bulk batches "
                        "commit at most this many reports, so the answer, applied ahead of "
                        "them, waits for one short batch (docs/adr/0026)."));
    t.push_back(duration_key("nodes", "ingest_interactive_window_ms",
                             STRATUS_REF(nodes, ingest_interactive_window_ms), 0, 60000,
                             "How long after a set the node's next params report is applied "
                             "ahead of the bulk queue (0: never; docs/adr/0026)."));
    t.push_back(int_key("nodes", "ingest_row_cache_nodes",
                        STRATUS_REF(nodes, ingest_row_cache_nodes), 0, 10000000,
                        "On PostgreSQL, how many nodes' params rows the ingest writer keeps "
                        "between batches instead of reading them again; a kept row is "
                        "written only if nothing changed it meanwhile (0: none; "
                        "docs/adr/0030)."));
    t.push_back(int_key("nodes", "ingest_writer_nice", STRATUS_REF(nodes, ingest_writer_nice), 0,
                        19,
                        "Added to the ingest writer thread's nice value (as nice(1), at most "
                        "19): when the CPU is short, the broker and the threads that answer "
                        "requests go first and the writer's batches grow (0: none; "
                        "docs/adr/0031)."));
    t.push_back(duration_key("nodes", "mapping_timeout_s", STRATUS_REF(nodes, mapping_timeout_s),
                             10, 86400, "A user-node mapping request expires after this."));
    t.push_back(duration_key("nodes", "command_sweep_ms", STRATUS_REF(nodes, command_sweep_ms), 10,
                             3600000,
                             "How often pending command requests past their timeout are marked "
                             "timed_out (reads mark them too)."));
    t.push_back(duration_key("nodes", "command_default_timeout_s",
                             STRATUS_REF(nodes, command_default_timeout_s), 1, 2592000,
                             "Timeout of a command request that names none (spec: 30 s)."));
    t.push_back(duration_key("nodes", "sharing_request_lifetime_s",
                             STRATUS_REF(nodes, sharing_request_lifetime_s), 60, 31536000,
                             "A pending sharing request (nodes or groups) expires after this "
                             "(the RainMaker CLI shows 7 days)."));
    t.push_back(int_key("nodes", "group_max_depth", STRATUS_REF(nodes, group_max_depth), 1, 10,
                        "Levels of node groups (a root group is level 1; RainMaker allows 3)."));
    t.push_back(int_key("events", "replay_events", STRATUS_REF(events, replay_events), 0, 10000000,
                        "Newest events kept so a reconnecting stream can resume "
                        "(last_event_id); older resume points get a resync."));
    t.push_back(int_key("events", "queue_limit", STRATUS_REF(events, queue_limit), 100, 10000000,
                        "Events waiting for the dispatcher; above, events are dropped and "
                        "counted (ingest never waits)."));
    t.push_back(int_key("events", "stream_send_queue", STRATUS_REF(events, stream_send_queue), 1,
                        1000000,
                        "Messages waiting to be sent on one stream; one more and the stream "
                        "is closed with 4008 (the client reads too slowly)."));
    t.push_back(int_key("events", "max_message_bytes", STRATUS_REF(events, max_message_bytes), 256,
                        1 << 20, "Largest message a stream client may send."));
    t.push_back(duration_key("events", "access_refresh_ms", STRATUS_REF(events, access_refresh_ms),
                             1000, kMaxMs,
                             "How often every stream re-reads which nodes its user may see, "
                             "besides at each sharing, mapping or group change."));
    t.push_back(duration_key("events", "access_retry_ms", STRATUS_REF(events, access_retry_ms), 10,
                             kMaxMs,
                             "How soon a failed re-read of a user's nodes is tried again; until "
                             "one succeeds the user's streams get no node's events, then "
                             "`resync`."));
    t.push_back(duration_key("events", "hello_timeout_ms", STRATUS_REF(events, hello_timeout_ms),
                             100, 600000,
                             "How long a stream opened without an Authorization header waits "
                             "for its first message (the token)."));
    t.push_back(duration_key("events", "session_check_ms", STRATUS_REF(events, session_check_ms),
                             100, kMaxMs,
                             "How often an open stream checks that its session is still active; "
                             "at most this long after a logout, or after its user was disabled "
                             "or deleted, it closes with 4001."));
    t.push_back(duration_key("events", "alert_mail_interval_s",
                             STRATUS_REF(events, alert_mail_interval_s), 0, 86400,
                             "Users who opted in to alert mail get at most one mail per node in "
                             "this time; alerts in between arrive as one digest at its end."));
    t.push_back(bool_key("webhooks", "allow_private_addresses",
                         STRATUS_REF(webhooks, allow_private_addresses),
                         "Allow webhook URLs that resolve to loopback, link-local or private "
                         "addresses (off: such URLs are refused, at registration and at "
                         "each delivery)."));
    t.push_back(int_key("webhooks", "max_per_user", STRATUS_REF(webhooks, max_per_user), 0, 1000,
                        "Webhooks one user may register."));
    t.push_back(int_key("webhooks", "max_failures", STRATUS_REF(webhooks, max_failures), 1, 1000000,
                        "Failed deliveries in a row after which a webhook is disabled (the "
                        "reason shows in GET /v1/user/webhooks)."));
    t.push_back(duration_key("webhooks", "retry_min_ms", STRATUS_REF(webhooks, retry_min_ms), 10,
                             kMaxMs, "Wait after a first failed delivery; doubled per failure."));
    t.push_back(duration_key("webhooks", "retry_max_ms", STRATUS_REF(webhooks, retry_max_ms), 10,
                             kMaxMs, "Longest wait between attempts."));
    t.push_back(duration_key("webhooks", "timeout_ms", STRATUS_REF(webhooks, timeout_ms), 100,
                             600000, "Time for one delivery, connection included."));
    t.push_back(int_key("automations", "max_per_user", STRATUS_REF(automations, max_per_user), 0,
                        100000, "Automations one user may have."));
    t.push_back(int_key("automations", "max_firings_per_minute",
                        STRATUS_REF(automations, max_firings_per_minute), 1, 100000,
                        "Firings of one automation within a minute; more are skipped and "
                        "counted, which ends loops of automations triggering each other."));
    t.push_back(string_key("ota", "download_base_url", STRATUS_REF(ota, download_base_url),
                           "Base URL nodes download OTA images from, e.g. https://cloud:8080. "
                           "Empty: server.mqtt_host (or the hostname) with the HTTP port and "
                           "scheme."));
    t.push_back(bool_key("ota", "allow_plain_http", STRATUS_REF(ota, allow_plain_http),
                         "Offer http:// download URLs when http.tls is off (images then travel "
                         "unencrypted; off: no OTA jobs without HTTPS)."));
    t.push_back(int_key("ota", "max_image_bytes", STRATUS_REF(ota, max_image_bytes), 4096,
                        std::int64_t{4} << 30, "Largest OTA image accepted, bytes."));
    t.push_back(duration_key("ota", "url_lifetime_s", STRATUS_REF(ota, url_lifetime_s), 60, 604800,
                             "How long a download URL sent to a node stays valid."));
    t.push_back(duration_key("ota", "node_timeout_s", STRATUS_REF(ota, node_timeout_s), 10, 2592000,
                             "A node offered an image that sends no news for this long is "
                             "marked timed_out."));
    t.push_back(duration_key("ota", "failed_grace_s", STRATUS_REF(ota, failed_grace_s), 0, 86400,
                             "A failed node may retry (firmware refetches after 5 min); a job "
                             "counts it as finished only after this long."));
    t.push_back(string_key("manufacturing", "mqtt_cred_host",
                           STRATUS_REF(manufacturing, mqtt_cred_host),
                           "mqtt_cred_host answered by GET /v1/admin/mqtt_host. Empty: "
                           "server.mqtt_host (or the hostname)."));
    t.push_back(int_key("manufacturing", "max_upload_bytes",
                        STRATUS_REF(manufacturing, max_upload_bytes), 1024, std::int64_t{1} << 30,
                        "Largest node_certs.csv upload, bytes."));
    t.push_back(duration_key("manufacturing", "url_lifetime_s",
                             STRATUS_REF(manufacturing, url_lifetime_s), 60, 604800,
                             "How long an upload URL or a node-id download URL stays valid."));
    t.push_back(int_key("manufacturing", "max_node_ids", STRATUS_REF(manufacturing, max_node_ids),
                        1, 1000000, "Node ids one POST /v1/admin/node_ids may ask for."));
    t.push_back(int_key("manufacturing", "max_queued_registrations",
                        STRATUS_REF(manufacturing, max_queued_registrations), 1, 10000,
                        "Registration jobs waiting for the worker; more are refused (156014)."));
    t.push_back(int_key("manufacturing", "max_rows", STRATUS_REF(manufacturing, max_rows), 1,
                        10000000, "Rows of one node_certs.csv; a larger file fails as a whole."));
    t.push_back(duration_key("timeseries", "retention_days",
                             STRATUS_REF(timeseries, retention_days), 1, 36500,
                             "Time-series points and their rollups older than this are pruned."));
    t.push_back(duration_key("timeseries", "prune_interval_s",
                             STRATUS_REF(timeseries, prune_interval_s), 1, 86400,
                             "How often the background prune removes expired time-series data."));
    t.push_back(int_key("timeseries", "prune_batch_rows", STRATUS_REF(timeseries, prune_batch_rows),
                        1, 10000000,
                        "Rows one prune transaction deletes at most (ingest waits for no "
                        "longer than one such transaction)."));
    t.push_back(int_key("timeseries", "max_records_per_message",
                        STRATUS_REF(timeseries, max_records_per_message), 1, 100000,
                        "A tsdata message with more records is dropped and counted."));
    t.push_back(duration_key("timeseries", "future_skew_s", STRATUS_REF(timeseries, future_skew_s),
                             0, 86400,
                             "Points stamped later than now plus this (node clock ahead) are "
                             "dropped and counted; so are points before 2001."));
    t.push_back(choice_key("mail", "mode", STRATUS_REF(mail, mode), {"outbox", "smtp"},
                           "outbox: one text file per message in <data_dir>/outbox; smtp: send."));
    t.push_back(string_key("mail", "smtp_url", STRATUS_REF(mail, smtp_url),
                           "SMTP server, smtp://host:587 (STARTTLS) or smtps://host:465."));
    t.push_back(string_key("mail", "smtp_from", STRATUS_REF(mail, smtp_from), "Sender address."));
    t.push_back(string_key("mail", "smtp_username", STRATUS_REF(mail, smtp_username),
                           "SMTP user name (empty: no authentication)."));
    t.push_back(string_key("mail", "smtp_password_file", STRATUS_REF(mail, smtp_password_file),
                           "File holding the SMTP password."));
    t.push_back(bool_key("mail", "smtp_starttls", STRATUS_REF(mail, smtp_starttls),
                         "Require STARTTLS on smtp:// URLs."));
    t.push_back(string_key("mail", "smtp_ca_file", STRATUS_REF(mail, smtp_ca_file),
                           "CA file to verify the SMTP server (empty: system CAs)."));
    t.push_back(bool_key("wirepas", "enabled", STRATUS_REF(wirepas, enabled),
                         "Open the embedded broker's Wirepas listener (docs/adr/0018)."));
    t.push_back(string_key("wirepas", "bind_address", STRATUS_REF(wirepas, bind_address),
                           "Address of the Wirepas listener."));
    t.push_back(int_key("wirepas", "port", STRATUS_REF(wirepas, port), 0, 65535,
                        "Port of the Wirepas listener; 0 picks a free one (see runtime.json)."));
    t.push_back(bool_key("wirepas", "tls", STRATUS_REF(wirepas, tls),
                         "TLS (the server certificate) on the Wirepas listener; false: plain "
                         "TCP, for a lab."));
    t.push_back(choice_key("log", "level", STRATUS_REF(log, level),
                           {"trace", "debug", "info", "warn", "error", "off"}, "Minimum level."));
    t.push_back(string_key("log", "file", STRATUS_REF(log, file),
                           "Also write the log to this file. Empty: stderr only."));
    return t;
  }();
  return table;
}

const Key* find_key(std::string_view section, std::string_view name) {
  for (const auto& key : keys()) {
    if (key.section == section && key.name == name)
      return &key;
  }
  return nullptr;
}

bool known_section(std::string_view section) {
  return std::any_of(sections().begin(), sections().end(),
                     [&](const SectionDoc& s) { return s.name == section; });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// ---- sources ----------------------------------------------------------------

void apply_file(Config& config, const std::filesystem::path& path,
                std::vector<ConfigError>& errors) {
  const std::string file = path.string();
  YAML::Node root;
  try {
    std::ifstream in(path);
    if (!in) {
      errors.push_back({file, "cannot read the file: " + std::string(std::strerror(errno))});
      return;
    }
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    errors.push_back({file + ":" + std::to_string(e.mark.line + 1), "invalid YAML: " + e.msg});
    return;
  }
  if (root.IsNull())
    return;  // an empty file is a valid, empty config
  if (!root.IsMap()) {
    errors.push_back({file, "the top level must be a mapping of sections"});
    return;
  }
  for (const auto& sec : root) {
    const auto section = sec.first.as<std::string>();
    const std::string where_sec = file + ":" + std::to_string(sec.first.Mark().line + 1);
    if (!known_section(section)) {
      errors.push_back({where_sec + ": " + section, "unknown section"});
      continue;
    }
    if (sec.second.IsNull())
      continue;
    if (!sec.second.IsMap()) {
      errors.push_back({where_sec + ": " + section, "must be a mapping of keys"});
      continue;
    }
    for (const auto& entry : sec.second) {
      const auto name = entry.first.as<std::string>();
      const std::string where =
          file + ":" + std::to_string(entry.first.Mark().line + 1) + ": " + section + "." + name;
      const Key* key = find_key(section, name);
      if (key == nullptr) {
        errors.push_back({where, "unknown key"});
        continue;
      }
      const YAML::Node& value = entry.second;
      if (key->is_list) {
        if (value.IsSequence()) {
          std::vector<std::string> items;
          bool ok = true;
          for (const auto& item : value) {
            if (!item.IsScalar()) {
              errors.push_back({where, "list items must be strings"});
              ok = false;
              break;
            }
            items.push_back(item.Scalar());
          }
          if (ok)
            key->set_list(config, items);
        } else if (value.IsNull()) {
          key->set_list(config, {});
        } else {
          errors.push_back({where, "expected a list"});
        }
        continue;
      }
      if (!value.IsScalar() && !value.IsNull()) {
        errors.push_back({where, "expected a single value"});
        continue;
      }
      if (auto e = key->set(config, value.IsNull() ? "" : value.Scalar())) {
        errors.push_back({where, *e});
      }
    }
  }
}

void apply_environment(Config& config, const std::vector<std::string>& environment,
                       std::vector<ConfigError>& errors) {
  for (const auto& entry : environment) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos)
      continue;
    const std::string_view name(entry.data(), eq);
    const std::string_view value(entry.data() + eq + 1, entry.size() - eq - 1);
    if (!name.starts_with("STRATUS_"))
      continue;
    // Only STRATUS_<SECTION>_* belongs to stratusd's configuration; other
    // STRATUS_ variables (STRATUS_PASSWORD for the CLIs, ...) are not ours.
    const SectionDoc* section = nullptr;
    for (const auto& s : sections()) {
      const std::string prefix = "STRATUS_" + upper(s.name) + "_";
      if (name.starts_with(prefix))
        section = &s;
    }
    if (section == nullptr)
      continue;
    const Key* key = nullptr;
    for (const auto& k : keys()) {
      if (k.section == section->name && env_name(k.section, k.name) == name)
        key = &k;
    }
    if (key == nullptr) {
      errors.push_back({"env " + std::string(name), "unknown key"});
      continue;
    }
    if (auto e = key->set(config, value)) {
      errors.push_back({"env " + std::string(name) + " (" + std::string(key->section) + "." +
                            std::string(key->name) + ")",
                        *e});
    }
  }
}

void apply_overrides(Config& config, const std::vector<ConfigSources::Override>& overrides,
                     std::vector<ConfigError>& errors) {
  for (const auto& o : overrides) {
    const auto dot = o.key.find('.');
    const Key* key = dot == std::string::npos ? nullptr
                                              : find_key(std::string_view(o.key).substr(0, dot),
                                                         std::string_view(o.key).substr(dot + 1));
    const std::string where = o.flag.empty() ? o.key : o.flag + " (" + o.key + ")";
    if (key == nullptr) {
      errors.push_back({where, "unknown key"});
      continue;
    }
    if (auto e = key->set(config, o.value))
      errors.push_back({where, *e});
  }
}

void validate(const Config& c, std::vector<ConfigError>& errors) {
  {
    const auto& d = c.database;
    if (d.backend == "postgres" && d.url.empty())
      errors.push_back({"database.url", "required for database.backend postgres"});
    if (!d.url.empty()) {
      const std::string_view url = d.url;
      if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
        errors.push_back({"database.url", "must start with postgresql://"});
      } else if (url_holds_password(url)) {
        errors.push_back({"database.url", "holds a password: put it in database.password_file"});
      }
    }
  }
  if (const std::string_view u = c.claiming.crl_url; !u.empty()) {
    // http only: EMQX fetches only http distribution points, and RFC 5280 §4.2.1.13 advises
    // against https (a CRL fetch needing a TLS check of its own).
    constexpr std::string_view scheme = "http://";
    const auto host = u.starts_with(scheme) ? u.substr(scheme.size()) : std::string_view{};
    const bool plain = std::all_of(u.begin(), u.end(), [](char ch) {
      const auto b = static_cast<unsigned char>(ch);
      return b > 0x20 && b < 0x7f && ch != ',' && ch != '@' && ch != '?' && ch != '#';
    });
    if (host.empty() || host.front() == '/' || host.front() == ':' || u.size() > 1024 || !plain) {
      errors.push_back({"claiming.crl_url",
                        "must be an http:// URL with a host, at most 1024 printable ASCII "
                        "characters without spaces, commas, user info, query or fragment"});
    }
  }
  if (c.cluster.enabled) {
    if (c.database.url.empty())
      errors.push_back({"cluster.enabled", "needs PostgreSQL: set database.url"});
    if (c.broker.mode != BrokerMode::external)
      errors.push_back({"cluster.enabled", "needs a shared broker: set broker.mode external"});
  }
  if (const std::string_view g = c.cluster.share_group;
      g.empty() || g.find_first_of("/+#") != std::string_view::npos) {
    errors.push_back({"cluster.share_group", "must be one MQTT topic level (no /, + or #)"});
  }
  const auto& b = c.broker;
  if (b.mode == BrokerMode::embedded) {
    if (b.port != 0 && b.port == b.backend_port) {
      errors.push_back({"broker.backend_port", "must differ from broker.port"});
    }
    if (c.http.port != 0 && c.http.port == b.port) {
      errors.push_back({"http.port", "must differ from broker.port"});
    }
    const auto wp = c.wirepas.port;
    if (c.wirepas.enabled && wp != 0 &&
        (wp == b.port || wp == b.backend_port || wp == c.http.port)) {
      errors.push_back(
          {"wirepas.port", "must differ from broker.port, broker.backend_port and http.port"});
    }
    if (b.restart_backoff_min_ms > b.restart_backoff_max_ms) {
      errors.push_back(
          {"broker.restart_backoff_min_ms", "must not exceed broker.restart_backoff_max_ms"});
    }
  } else {
    if (c.wirepas.enabled) {
      errors.push_back({"wirepas.enabled",
                        "needs broker.mode embedded (with an external broker, configure its "
                        "listener and ACL there: docs/wirepas.md)"});
    }
    if (b.external_host.empty()) {
      errors.push_back({"broker.external_host", "required when broker.mode is external"});
    }
    if (b.external_cert_file.empty() != b.external_key_file.empty()) {
      errors.push_back({"broker.external_cert_file",
                        "broker.external_cert_file and broker.external_key_file go together"});
    }
  }
  if (c.claiming.self_claim == "allowlist" && c.claiming.self_claim_allowlist_file.empty()) {
    errors.push_back(
        {"claiming.self_claim_allowlist_file", "required when claiming.self_claim is allowlist"});
  }
  if (c.mail.mode == "smtp" && (c.mail.smtp_url.empty() || c.mail.smtp_from.empty())) {
    errors.push_back(
        {"mail.smtp_url", "mail.smtp_url and mail.smtp_from are required when mail.mode is smtp"});
  }
  if (b.reconnect_min_ms > b.reconnect_max_ms) {
    errors.push_back({"broker.reconnect_min_ms", "must not exceed broker.reconnect_max_ms"});
  }
}

}  // namespace

std::string env_name(std::string_view section, std::string_view key) {
  return "STRATUS_" + upper(section) + "_" + upper(key);
}

std::vector<std::string> process_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    out.emplace_back(*e);
  return out;
}

bool url_holds_password(std::string_view url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  return scheme != std::string_view::npos && at != std::string_view::npos && at > scheme &&
         url.substr(scheme + 3, at - scheme - 3).find(':') != std::string_view::npos;
}

tl::expected<Config, std::vector<ConfigError>> load(const ConfigSources& sources) {
  Config config;
  std::vector<ConfigError> errors;
  if (sources.file)
    apply_file(config, *sources.file, errors);
  apply_environment(config, sources.environment, errors);
  apply_overrides(config, sources.overrides, errors);
  if (errors.empty())
    validate(config, errors);
  if (!errors.empty())
    return tl::unexpected(std::move(errors));
  return config;
}

std::string render_yaml(const Config& config) {
  std::ostringstream out;
  out << "# Stratus configuration (stratusd --config FILE).\n"
         "# Precedence: defaults < this file < STRATUS_<SECTION>_<KEY> environment < flags.\n";
  for (const auto& section : sections()) {
    out << "\n";
    std::istringstream doc{std::string(section.doc)};
    for (std::string line; std::getline(doc, line);)
      out << "# " << line << "\n";
    out << section.name << ":\n";
    for (const auto& key : keys()) {
      if (key.section != section.name)
        continue;
      out << "  # " << key.doc << "\n";
      out << "  # env: " << env_name(key.section, key.name);
      if (!key.flag.empty())
        out << ", flag: " << key.flag;
      out << "\n";
      out << "  " << key.name << ": " << key.format(config) << "\n";
    }
  }
  return out.str();
}

std::string render_markdown() {
  const Config defaults;
  std::ostringstream out;
  for (const auto& section : sections()) {
    out << "\n## `" << section.name << "`\n\n";
    std::string doc(section.doc);
    std::replace(doc.begin(), doc.end(), '\n', ' ');
    out << doc << "\n\n";
    out << "| key | default | environment | flag | meaning |\n|---|---|---|---|---|\n";
    for (const auto& key : keys()) {
      if (key.section != section.name)
        continue;
      out << "| `" << key.section << "." << key.name << "` | `" << key.format(defaults) << "` | `"
          << env_name(key.section, key.name) << "` | ";
      if (!key.flag.empty())
        out << '`' << key.flag << '`';
      out << " | " << key.doc << " |\n";
    }
  }
  return out.str();
}

std::optional<std::string> insecure_http_warning(const Config& config) {
  const auto& h = config.http;
  const std::string_view bind = h.bind_address;
  const bool loopback =
      bind.starts_with("127.") || bind == "::1" || bind == "[::1]" || bind == "localhost";
  if (h.tls || loopback)
    return std::nullopt;
  return "HTTP listens on " + h.bind_address +
         " without TLS: passwords and access tokens cross the network in clear. In "
         "production set http.tls=true, or bind http.bind_address to 127.0.0.1 behind a "
         "TLS-terminating proxy (docs/security.md)";
}

}  // namespace stratus::config
