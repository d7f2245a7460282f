#pragma once
/// @file
/// The one immutable `Config` tree of stratusd. Default member initializers are
/// the documented defaults; one key table (config.cpp) drives parsing from every
/// source, validation, `stratusd config print` and docs/config.md.
///
/// Precedence: defaults < YAML file (`--config FILE`) < `STRATUS_<SECTION>_<KEY>`
/// environment < flags. Every error from every source is collected and reported
/// at once, each with where it came from and the key's name.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace stratus::config {

/// How stratusd reaches its MQTT broker.
enum class BrokerMode {
  embedded,  ///< start and supervise Debian's mosquitto with our plugin (default)
  external,  ///< connect to an existing broker; start nothing
};

/// `server:` — process-wide settings.
struct ServerSection {
  std::string data_dir = "./stratus-data";
  std::string mqtt_host;  ///< answer of GET /mqtt_host; empty = this machine's hostname
};

/// `http:` — the REST/claiming listener.
struct HttpSection {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8080;
  unsigned threads = 2;
  std::size_t max_header_bytes = 8192;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds idle_timeout_ms{30000};
  std::chrono::milliseconds request_timeout_ms{30000};
  std::chrono::milliseconds shutdown_grace_ms{5000};
  bool tls = false;
  /// The web dashboard's built files (docs/adr/0024); empty = ../share/stratus/web next to
  /// the stratusd binary; "off" = no dashboard.
  std::string web_root;
};

/// `broker:` — the MQTT side: the embedded mosquitto or an external broker, and
/// stratusd's own backend client.
struct BrokerSection {
  BrokerMode mode = BrokerMode::embedded;
  // embedded
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8883;       ///< device listener (mutual TLS)
  std::uint16_t backend_port = 0;  ///< loopback backend listener; 0 = pick a free port
  std::string mosquitto_path = "/usr/sbin/mosquitto";
  std::string plugin_path;  ///< empty = next to the stratusd binary
  std::size_t max_payload_bytes = 256 * 1024;
  std::chrono::milliseconds start_timeout_ms{10000};
  std::chrono::milliseconds restart_backoff_min_ms{200};
  std::chrono::milliseconds restart_backoff_max_ms{30000};
  /// Node messages from the plugin to stratusd over a Unix socket in batches instead of
  /// MQTT forwarding (docs/adr/0025); embedded mode only.
  bool ingest_handoff = true;
  // external
  std::string external_host;
  std::uint16_t external_port = 8883;
  bool external_tls = true;
  std::string external_ca_file;
  std::string external_cert_file;
  std::string external_key_file;
  std::string external_username;
  std::string external_password_file;
  // backend client (both modes)
  std::string client_id;  ///< empty = "stratusd-<hostname>-<pid>"
  std::chrono::seconds keepalive_s{30};
  std::chrono::milliseconds reconnect_min_ms{100};
  std::chrono::milliseconds reconnect_max_ms{10000};
};

/// `database:` — the state of record.
struct DatabaseSection {
  std::string backend = "sqlite";  ///< "sqlite" or "postgres" (a `url` implies postgres)
  std::string path;                ///< SQLite: empty = <data_dir>/stratus.db
  /// PostgreSQL (scale-out, docs/scale-out.md): `postgresql://user@host:port/db?…`,
  /// without a password; empty = SQLite.
  std::string url;
  std::string password_file;  ///< PostgreSQL: file holding the password (optional)
  std::chrono::milliseconds busy_timeout_ms{5000};
  unsigned pool_threads = 2;
};

/// `cluster:` — several stratusd on one PostgreSQL database and one MQTT broker
/// (docs/scale-out.md, docs/adr/0021-several-instances.md).
struct ClusterSection {
  bool enabled = false;  ///< requires database.url and broker.mode external
  /// The shared-subscription group (`$share/<group>/…`) every instance joins; one MQTT
  /// topic level.
  std::string share_group = "stratus";
  /// How node traffic reaches the instances (docs/adr/0027): "shared" — each instance
  /// subscribes `$share/<share_group>/…` and the broker deals messages round robin (any
  /// MQTT 5 broker; EMQX's `hash_clientid` strategy keeps a node's order); "partitioned" —
  /// the Stratus mosquitto plugin (`plugin_opt_cluster_mirror true`) sends each node's
  /// messages to one instance, in order, several per MQTT message. Every instance of a
  /// cluster must use the same value.
  std::string node_traffic = "shared";
  /// How often an instance tries to become the leader (which runs the sweeps), and how
  /// often the leader checks that it still holds the lease.
  std::chrono::milliseconds leader_check_ms{2000};
};

/// `pki:` — the CA and the server certificate in <data_dir>/pki.
struct PkiSection {
  std::vector<std::string> server_names;  ///< extra SANs (DNS names or IPs)
  std::chrono::days ca_lifetime_days{3650};
  std::chrono::days server_cert_lifetime_days{825};
};

/// `accounts:` — users, sessions and tokens (the RainMaker user API).
struct AccountsSection {
  std::string issuer;                           ///< JWT `iss`; empty = "stratus"
  std::chrono::seconds token_lifetime_s{3600};  ///< access and id tokens
  std::chrono::seconds code_lifetime_s{900};    ///< verification codes
  int code_max_attempts = 5;
  std::size_t login_failures_per_user = 10;
  std::size_t attempts_per_address = 50;
  std::size_t codes_per_user = 5;
  std::chrono::seconds rate_window_s{900};
  unsigned argon2_ops_limit = 2;
  std::size_t argon2_mem_limit_kib = 65536;
  /// Nodes a user may hold as primary user unless an admin set its own quota; 0 = unlimited.
  std::size_t default_node_quota = 0;
};

/// `claiming:` — how nodes get their node id and MQTT certificate (spec §6).
struct ClaimingSection {
  std::size_t max_nodes_per_user = 100;   ///< claimed node ids per user
  std::string self_claim = "deny";        ///< deny | allow | allowlist
  std::string self_claim_allowlist_file;  ///< MACs / MAC prefixes, one per line
  std::chrono::days node_cert_lifetime_days{3650};
  std::chrono::seconds challenge_lifetime_s{300};  ///< self-claim challenge validity
  /// Where brokers fetch the Stratus CA's CRL (docs/adr/0037); empty: not named.
  std::string crl_url;
};

/// `nodes:` — ingest, mapping and control.
struct NodesSection {
  std::size_t max_payload_bytes = 64 * 1024;  ///< larger node messages are dropped
  std::size_t ingest_queue_limit = 100000;    ///< reports waiting for the writer
  std::size_t ingest_batch_max = 5000;        ///< reports per transaction
  std::chrono::milliseconds ingest_flush_ms{
      5};  ///< under load, longest a report waits for its batch
  std::size_t ingest_interactive_batch_max = 200;  ///< bulk batch while a set's answer is due
  std::chrono::milliseconds ingest_interactive_window_ms{2000};  ///< how long it is due
  std::size_t ingest_row_cache_nodes = 100000;  ///< params rows kept between batches (PostgreSQL)
  int ingest_writer_nice = 10;  ///< added to the writer thread's nice value (docs/adr/0031)
  std::chrono::seconds mapping_timeout_s{300};         ///< user-node mapping requests
  std::chrono::milliseconds command_sweep_ms{1000};    ///< how often expired commands time out
  std::chrono::seconds command_default_timeout_s{30};  ///< POST user/nodes/cmd without timeout
  std::chrono::seconds sharing_request_lifetime_s{7 * 86400};  ///< pending sharing requests
  int group_max_depth = 3;  ///< levels of node groups, a root group being level 1
};

/// `events:` — live events (the WebSocket stream `GET /v1/user/events`).
struct EventsSection {
  std::size_t replay_events = 10000;      ///< newest events kept for resuming streams
  std::size_t queue_limit = 100000;       ///< events waiting for the dispatcher
  std::size_t stream_send_queue = 1024;   ///< messages waiting on one stream; above: cut off
  std::size_t max_message_bytes = 16384;  ///< largest message a client may send
  std::chrono::milliseconds access_refresh_ms{60000};  ///< streams re-read their nodes
  std::chrono::milliseconds access_retry_ms{1000};     ///< after a failed re-read
  std::chrono::milliseconds hello_timeout_ms{10000};   ///< wait for a first-message token
  std::chrono::milliseconds session_check_ms{30000};   ///< streams check their session
  std::chrono::seconds alert_mail_interval_s{300};     ///< one alert mail per user and node
};

/// `automations:` — cloud automations (docs/adr/0012).
struct AutomationsSection {
  std::size_t max_per_user = 100;           ///< automations one user may have
  std::size_t max_firings_per_minute = 10;  ///< per automation; more are skipped (loops end)
};

/// `ota:` — OTA firmware images and jobs (docs/adr/0013).
struct OtaSection {
  /// Base URL nodes download images from (`https://cloud.example:8080`); empty: derived
  /// from `server.mqtt_host` (or the hostname) and the HTTP listener's port and scheme.
  std::string download_base_url;
  bool allow_plain_http = false;  ///< offer `http://` URLs when `http.tls` is off
  std::size_t max_image_bytes = std::size_t{200} << 20;  ///< largest image accepted
  std::chrono::seconds url_lifetime_s{3600};             ///< a node's download URL
  std::chrono::seconds node_timeout_s{3600};             ///< no news from a node: timed_out
  std::chrono::seconds failed_grace_s{900};              ///< a failed node may still retry
};

/// `manufacturing:` — production batches: node ids, node-certificate registration,
/// manufacturing CAs (docs/adr/0014).
struct ManufacturingSection {
  /// `mqtt_cred_host` answered to the admin CLI; empty: `server.mqtt_host`.
  std::string mqtt_cred_host;
  std::size_t max_upload_bytes = std::size_t{64} << 20;  ///< largest node_certs.csv upload
  std::chrono::seconds url_lifetime_s{3600};             ///< upload and node-id download URLs
  std::size_t max_node_ids = 50000;                      ///< node ids per request
  std::size_t max_queued_registrations = 16;             ///< jobs waiting for the worker
  std::size_t max_rows = 100000;                         ///< rows of one registration file
};

/// `webhooks:` — signed HTTP deliveries of events to users' URLs.
struct WebhooksSection {
  bool allow_private_addresses = false;  ///< loopback, link-local, private destinations
  std::size_t max_per_user = 10;
  std::int64_t max_failures = 10;                 ///< in a row, then the webhook is disabled
  std::chrono::milliseconds retry_min_ms{10000};  ///< first backoff, doubled per failure
  std::chrono::milliseconds retry_max_ms{3600000};
  std::chrono::milliseconds timeout_ms{10000};  ///< one delivery, connection included
};

/// `timeseries:` — the time-series store (docs/adr/0011; rainmaker-cloud.md §4).
struct TimeSeriesSection {
  std::chrono::days retention_days{30};        ///< points and rollups older are pruned
  std::chrono::seconds prune_interval_s{600};  ///< how often the prune runs
  std::size_t prune_batch_rows = 5000;         ///< rows deleted per prune transaction
  std::size_t max_records_per_message = 500;   ///< larger tsdata messages are dropped
  std::chrono::seconds future_skew_s{300};     ///< newer node timestamps are dropped
};

/// `mail:` — how verification codes reach users.
struct MailSection {
  std::string mode = "outbox";  ///< outbox (files in <data_dir>/outbox) or smtp
  std::string smtp_url;         ///< smtp://host:587 or smtps://host:465
  std::string smtp_from;
  std::string smtp_username;
  std::string smtp_password_file;
  bool smtp_starttls = true;
  std::string smtp_ca_file;
};

/// `wirepas:` — Wirepas gateways and operators on the embedded broker (docs/adr/0018).
struct WirepasSection {
  bool enabled = false;                  ///< a third broker listener, credentials by admin
  std::string bind_address = "0.0.0.0";  ///< the Wirepas listener's address
  std::uint16_t port = 0;                ///< 0 = a free port (published in runtime.json)
  bool tls = true;  ///< TLS with the server certificate; off = plain TCP (lab use)
};

/// `log:` — logging.
struct LogSection {
  std::string level = "info";
  std::string file;  ///< empty = stderr only
};

/// The whole configuration. A plain aggregate: copy it, read it, never mutate
/// it after start-up. Each module's constructor takes only its own section.
struct Config {
  ServerSection server;
  HttpSection http;
  BrokerSection broker;
  DatabaseSection database;
  ClusterSection cluster;
  PkiSection pki;
  AccountsSection accounts;
  ClaimingSection claiming;
  NodesSection nodes;
  EventsSection events;
  WebhooksSection webhooks;
  AutomationsSection automations;
  OtaSection ota;
  ManufacturingSection manufacturing;
  TimeSeriesSection timeseries;
  MailSection mail;
  WirepasSection wirepas;
  LogSection log;
};

/// One problem with the configuration: where (`app.yaml:12: http.port`,
/// `env STRATUS_HTTP_PORT`, `--http-port`) and what.
struct ConfigError {
  std::string where;
  std::string message;
};

/// Everything that feeds a Config, lowest precedence first after the defaults.
struct ConfigSources {
  std::optional<std::filesystem::path> file;  ///< YAML file, if any
  /// The process environment as "NAME=value" strings. Only names starting with
  /// `STRATUS_<SECTION>_` for a known section are read; an unknown key there is
  /// an error.
  std::vector<std::string> environment;
  /// Flag overrides: {"section.key", "value", "--flag-name"} in order.
  struct Override {
    std::string key;
    std::string value;
    std::string flag;
  };
  std::vector<Override> overrides;
};

/// True when `url` (`scheme://user:password@host/…`) carries a password in its user
/// information: refused for `database.url` and by `stratusd db copy`, since a URL shows in
/// `ps`, logs and the shell's history. Pure; thread-safe.
[[nodiscard]] bool url_holds_password(std::string_view url);

/// Builds the effective Config. Returns every error found (unknown keys, wrong
/// types, out-of-range values, unreadable file, cross-key conflicts), never just
/// the first. Thread-safe (pure apart from reading `sources.file`).
tl::expected<Config, std::vector<ConfigError>> load(const ConfigSources& sources);

/// The effective configuration as a commented YAML template that `load` accepts
/// back (`stratusd config print`).
std::string render_yaml(const Config& config);

/// Markdown reference of every key: name, env variable, flag, default, doc
/// (the body of docs/config.md).
std::string render_markdown();

/// The warning stratusd prints at start and shows in `/healthz` when HTTP accepts
/// connections from other machines without TLS (issue 13): access tokens and passwords
/// would cross the network in clear. nullopt when `http.tls` is on or `http.bind_address`
/// is a loopback address (127.0.0.0/8, ::1, localhost). Pure.
std::optional<std::string> insecure_http_warning(const Config& config);

/// "STRATUS_HTTP_PORT" for ("http", "port").
std::string env_name(std::string_view section, std::string_view key);

/// The environment of this process as "NAME=value" strings.
std::vector<std::string> process_environment();

}  // namespace stratus::config
