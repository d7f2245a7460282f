#include "server/server.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "api/account_routes.hpp"
#include "api/admin_routes.hpp"
#include "api/automation_routes.hpp"
#include "api/claim_routes.hpp"
#include "api/command_routes.hpp"
#include "api/event_routes.hpp"
#include "api/group_routes.hpp"
#include "api/manufacturing_routes.hpp"
#include "api/mapping_routes.hpp"
#include "api/node_routes.hpp"
#include "api/ota_routes.hpp"
#include "api/sharing_routes.hpp"
#include "api/system_routes.hpp"
#include "api/tsdata_routes.hpp"
#include "api/wirepas_routes.hpp"
#include "auth/secrets.hpp"
#include "auth/token.hpp"
#include "broker/embedded_broker.hpp"
#include "broker/ports.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/thread_name.hpp"
#include "http/server.hpp"
#include "http/web_files.hpp"
#include "link/cluster_relay.hpp"
#include "link/ingest_handoff.hpp"
#include "link/node_link.hpp"
#include "log/log.hpp"
#include "mail/outbox_mailer.hpp"
#include "mail/smtp_mailer.hpp"
#include "mqtt/client.hpp"
#include "pki/store.hpp"
#include "proto/topic_rules.hpp"
#include "server/accounts.hpp"
#include "server/broker_revocations.hpp"
#include "server/curl_webhook_sender.hpp"
#include "server/data_dir_lock.hpp"
#include "server/file_ota_image_store.hpp"
#include "server/manufacturing_adapters.hpp"
#include "server/pki_certificate_issuer.hpp"
#include "server/pki_signature_verifier.hpp"
#include "service/account_service.hpp"
#include "service/alert_mail.hpp"
#include "service/audit_log.hpp"
#include "service/automation_service.hpp"
#include "service/ca_revocation_list.hpp"
#include "service/challenge_mapping.hpp"
#include "service/claim_service.hpp"
#include "service/cluster.hpp"
#include "service/command_service.hpp"
#include "service/event_hub.hpp"
#include "service/expected_reports.hpp"
#include "service/fleet_service.hpp"
#include "service/manufacturing_service.hpp"
#include "service/node_ingest.hpp"
#include "service/node_service.hpp"
#include "service/ota_service.hpp"
#include "service/revocation_list.hpp"
#include "service/time_series_service.hpp"
#include "service/webhook_service.hpp"
#include "service/wirepas_access.hpp"
#include "storage/postgres/cluster_lease.hpp"
#include "storage/sql/access_repository.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/audit_repository.hpp"
#include "storage/sql/automation_repository.hpp"
#include "storage/sql/claim_repository.hpp"
#include "storage/sql/command_repository.hpp"
#include "storage/sql/manufacturing_repository.hpp"
#include "storage/sql/mapping_challenge_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "storage/sql/ota_repository.hpp"
#include "storage/sql/time_series_repository.hpp"
#include "storage/sql/webhook_repository.hpp"
#include "storage/sql/wirepas_credential_repository.hpp"
#include "storage/sqlite/connection.hpp"

namespace stratus::server {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using log::Channel;

constexpr std::string_view kBackendUsername = "stratus-backend";

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
    return "localhost";
  return buf;
}

std::string effective_user() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : std::to_string(::geteuid());
}

// What ships beside the binaries, in the build tree and installed alike: <prefix>/`relative`
// for <prefix>/bin/stratusd (the mosquitto plugin in lib/stratus/, the dashboard in
// share/stratus/web/). Just `relative` when /proc/self/exe cannot be read.
std::filesystem::path beside_binaries(const std::filesystem::path& relative) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return relative;
  return exe.parent_path().parent_path() / relative;
}

std::string url_host(const std::string& bind) {
  if (bind == "0.0.0.0" || bind.empty())
    return "127.0.0.1";
  if (bind == "::")
    return "[::1]";
  if (bind.find(':') != std::string::npos)
    return "[" + bind + "]";
  return bind;
}

Result<std::string> read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line))
    return fail(errc::invalid_argument, "cannot read " + path);
  return line;
}

}  // namespace

// A background job run every `period` on its own thread until stopped (the command
// sweep, the time-series prune). Stopping wakes it at once.
class PeriodicTask {
 public:
  ~PeriodicTask() { stop(); }
  void start(std::string_view name, std::chrono::milliseconds period, std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = false;
    }
    thread_ = std::thread([this, name, period, job = std::move(job)] {
      core::name_this_thread(name);
      std::unique_lock lock(mutex_);
      while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
        lock.unlock();
        job();
        lock.lock();
      }
    });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }
  [[nodiscard]] bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

// The leader lease as the services see it (docs/adr/0021).
class LeaseLeadership final : public service::Leadership {
 public:
  explicit LeaseLeadership(const storage::postgres::ClusterLease& lease) : lease_(lease) {}
  [[nodiscard]] bool is_leader() const override { return lease_.is_leader(); }

 private:
  const storage::postgres::ClusterLease& lease_;
};

// Rate-limit counts to the other instances (docs/adr/0021). The account service is built
// before the relay (which needs the backend client and the hub); the relay is attached
// while wiring, before any request can count.
class RelayRateShare final : public service::RateShare {
 public:
  void attach(link::ClusterRelay* relay) { relay_ = relay; }  // null: detached
  void counted(service::RateLimit limit, std::string_view key, bool reset) override {
    if (relay_ != nullptr)
      relay_->counted(limit, key, reset);
  }

 private:
  link::ClusterRelay* relay_ = nullptr;
};

namespace {

// Names the blocking pool's threads "db-pool": one task per thread, each holding its
// thread until every thread has taken one. The latch is shared with the tasks: the last
// to leave its wait may still read it after this function returned.
void name_pool_threads(asio::thread_pool& pool, std::size_t threads) {
  auto all = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(threads) + 1);
  for (std::size_t i = 0; i < threads; ++i) {
    asio::post(pool, [all] {
      core::name_this_thread("db-pool");
      all->arrive_and_wait();
    });
  }
  all->arrive_and_wait();
}

}  // namespace

struct Server::Impl {
  Impl(config::Config c, const Clock& clk)
      : config(std::move(c)), clock(clk), blocking_pool(config.database.pool_threads) {
    name_pool_threads(blocking_pool, config.database.pool_threads);
  }

  config::Config config;
  const Clock& clock;
  MetricsRegistry metrics;
  RuntimeInfo runtime;
  std::filesystem::path data_dir;
  DataDirLock data_dir_lock;  // released last, in stop()
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();

  asio::thread_pool blocking_pool;  // SQLite, argon2id, mail: never on I/O threads
  std::shared_ptr<storage::sql::Database> db;
  // The audit log (docs/adr/0015): every service records into it; one writer thread
  // batches the rows. Built with the database, stopped after every service.
  std::unique_ptr<storage::sql::SqlAuditRepository> audit_repository;
  std::unique_ptr<service::QueuedAuditLog> audit;
  std::unique_ptr<service::FleetService> fleet;                 // /v1/admin/ fleet routes
  std::vector<std::pair<std::string, std::string>> route_list;  // (method, path), for tests

  std::optional<auth::TokenSigner> signer;
  std::unique_ptr<service::Mailer> mailer;
  std::unique_ptr<storage::sql::SqlAccountRepository> account_repository;
  std::unique_ptr<service::AccountService> accounts;

  std::optional<broker::EmbeddedBrokerOptions> broker_plan;
  std::unique_ptr<broker::EmbeddedBroker> broker;

  // The link executor: MQTT callbacks run here, one thread, in order.
  asio::io_context link_io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> link_work;
  std::thread link_thread;
  std::unique_ptr<mqtt::Client> backend;
  std::unique_ptr<mqtt::Client> publisher;  // node-bound publishes: a connection of its own
  std::unique_ptr<link::MqttNodeMessenger> messenger;  // outbound: built before the services
  // Sets that users wait for, expedited by the ingest writer (docs/adr/0026).
  std::unique_ptr<service::ExpectedReports> expected_reports;
  std::unique_ptr<service::ExpectingMessenger> set_messenger;
  std::unique_ptr<storage::sql::SqlNodeRepository> node_repository;
  std::unique_ptr<service::EventHub> events;  // after commits: streams and webhooks
  // Several instances (cluster.enabled, docs/adr/0021): the instance slot and leader
  // lease (null: a sole instance, the leader of itself), and the relay of events and
  // change notices between the instances.
  std::unique_ptr<storage::postgres::ClusterLease> cluster_lease;
  std::unique_ptr<LeaseLeadership> leadership;
  std::unique_ptr<link::ClusterRelay> relay;
  RelayRateShare rate_share;
  std::unique_ptr<storage::sql::SqlWebhookRepository> webhook_repository;
  std::unique_ptr<CurlWebhookSender> webhook_sender;
  std::unique_ptr<service::WebhookService> webhooks;
  std::unique_ptr<service::AlertMailService> alert_mail;  // opted-in users' alerts by mail
  std::unique_ptr<storage::sql::SqlAutomationRepository> automation_repository;
  std::unique_ptr<service::AutomationService> automations;  // params/daylight → sets
  // OTA (docs/adr/0013): images on disk, jobs in the database, offers over MQTT.
  std::unique_ptr<storage::sql::SqlOtaRepository> ota_repository;
  std::unique_ptr<FileOtaImageStore> ota_store;
  std::unique_ptr<service::OtaService> ota;
  std::string ota_key;    // signs download URLs; derived from the token key
  std::string relay_key;  // seals the cluster relay's messages; derived from the token key
  std::unique_ptr<link::NodeLink> node_link;  // inbound: built last, from the ingest
  // Embedded broker with broker.ingest_handoff: node messages over this socket from the
  // plugin, in batches (docs/adr/0025); empty path = over the backend MQTT connection.
  std::filesystem::path handoff_socket;
  std::unique_ptr<link::IngestHandoffReceiver> handoff;
  std::unique_ptr<service::NodeIngest> ingest;
  std::unique_ptr<service::NodeService> nodes;
  std::unique_ptr<storage::sql::SqlCommandRepository> command_repository;
  std::unique_ptr<service::CommandService> commands;
  std::unique_ptr<storage::sql::SqlAccessRepository> access_repository;
  std::unique_ptr<service::SharingService> sharing;
  std::unique_ptr<service::GroupService> groups;

  // Time series (docs/adr/0011): read by REST, written by the ingest, pruned below.
  std::unique_ptr<storage::sql::SqlTimeSeriesRepository> time_series_repository;
  std::unique_ptr<service::TimeSeriesService> time_series;

  // The command sweep: pending commands past their timeout become timed_out.
  PeriodicTask command_sweep;
  // The retention prune: time-series data older than timeseries.retention_days goes.
  PeriodicTask time_series_prune;
  // The broker's revocation list, written again after a failed write (every instance:
  // each writes its own broker's file).
  PeriodicTask revocation_retry;

  std::optional<pki::PkiMaterial> pki_material;  // the CA signs node certificates
  std::unique_ptr<storage::sql::SqlClaimRepository> claim_repository;
  std::unique_ptr<PkiCertificateIssuer> certificate_issuer;
  // The Stratus CA's CRL at GET /crl/stratus-ca.crl, for EMQX (docs/adr/0037).
  std::unique_ptr<service::CaRevocationList> ca_revocation_list;
  std::unique_ptr<BrokerRevocations> revocations;
  std::unique_ptr<service::RevocationList>
      revocation_list;  // ClaimService's and ManufacturingService's
  std::unique_ptr<service::ClaimService> claims;
  // Manufacturing (docs/adr/0014): node ids, registration, CAs, admin revocation.
  std::unique_ptr<storage::sql::SqlManufacturingRepository> mfg_repository;
  std::unique_ptr<PkiCertificateInspector> certificate_inspector;
  std::unique_ptr<BrokerTrustStore> trust_store;
  std::unique_ptr<FileRegistrationStore> registration_files;
  std::unique_ptr<service::ManufacturingService> manufacturing;
  std::string mfg_key;  // signs upload and node-id download URLs; derived from the token key
  std::unique_ptr<storage::sql::SqlMappingChallengeRepository> mapping_challenges;
  std::unique_ptr<PkiSignatureVerifier> signature_verifier;
  std::unique_ptr<service::ChallengeMapping> challenge_mapping;
  // Wirepas gateways and operators on the embedded broker (docs/adr/0018).
  std::unique_ptr<storage::sql::SqlWirepasCredentialRepository> wirepas_repository;
  std::unique_ptr<BrokerWirepasAccess> wirepas_broker;
  std::unique_ptr<service::WirepasAccessService> wirepas_access;

  std::unique_ptr<http::Server> http;
  bool runtime_written = false;

  Result<void> lock_data_dir();
  Result<pki::PkiMaterial> prepare_pki();
  // Start-up, in order (Server::start): every object is built with what it needs, so
  // nothing is attached afterwards; processes and threads start once all is wired.
  Result<void> open_database();  // and every repository
  Result<void> wire_accounts();
  Result<void> wire_claiming();
  Result<void> plan_broker(const pki::PkiMaterial& material);  // embedded: ports, settings
  Result<void> wire_nodes(const pki::PkiMaterial& material);   // backend client → link
  Result<void> start_broker();
  Result<void> start_node_traffic();  // ingest writer, command sweep, backend client
  Result<void> start_http();
  std::filesystem::path revocations_file() const {
    return data_dir / "broker" / "revoked-certificates";
  }
  std::filesystem::path registered_file() const {
    return data_dir / "broker" / "registered-certificates";
  }
  std::filesystem::path trust_dir() const { return data_dir / "broker" / "trust"; }
  std::filesystem::path wirepas_credentials_file() const {
    return data_dir / "broker" / "wirepas_credentials";
  }
  Result<void> wire_manufacturing();
  Result<void> wire_wirepas();  // before the broker starts: its credentials file
  void mark_nodes_disconnected(std::string_view why);
  void start_background_jobs();  // the command sweep and the time-series prune
  void stop_background_jobs();
  http::Router make_router();
  void add_web_dashboard(http::Router& router);
  bool database_healthy();
  void stop();
};

Result<void> Server::Impl::lock_data_dir() {
  auto lock = DataDirLock::acquire(data_dir, DataDirLock::Mode::create);
  if (!lock)
    return fail(lock.error());
  data_dir_lock = std::move(*lock);
  return {};
}

Result<pki::PkiMaterial> Server::Impl::prepare_pki() {
  pki::PkiOptions options;
  options.server_names = config.pki.server_names;
  if (!config.server.mqtt_host.empty())
    options.server_names.push_back(config.server.mqtt_host);
  options.ca_lifetime = config.pki.ca_lifetime_days;
  options.server_cert_lifetime = config.pki.server_cert_lifetime_days;
  auto material = pki::ensure_pki(data_dir / "pki", options, clock);
  if (!material)
    return fail(material.error());
  if (material->created) {
    log::info(Channel::pki, "created CA and server certificate in {} (CA fingerprint sha256={})",
              material->files.dir.string(), material->ca.certificate().sha256_fingerprint_hex());
  } else if (material->server_certificate_reissued) {
    log::info(Channel::pki, "re-issued the server certificate (expiry or names changed)");
  }
  return material;
}

Result<void> Server::Impl::open_database() {
  auto opened = open_database_pool(config, data_dir);
  if (!opened)
    return fail(opened.error());
  db = std::move(*opened);
  account_repository = std::make_unique<storage::sql::SqlAccountRepository>(db);
  node_repository = std::make_unique<storage::sql::SqlNodeRepository>(db);
  access_repository = std::make_unique<storage::sql::SqlAccessRepository>(db);
  claim_repository = std::make_unique<storage::sql::SqlClaimRepository>(db);
  mfg_repository = std::make_unique<storage::sql::SqlManufacturingRepository>(db);
  command_repository = std::make_unique<storage::sql::SqlCommandRepository>(db);
  mapping_challenges = std::make_unique<storage::sql::SqlMappingChallengeRepository>(db);
  webhook_repository = std::make_unique<storage::sql::SqlWebhookRepository>(db);
  automation_repository = std::make_unique<storage::sql::SqlAutomationRepository>(db);
  ota_repository = std::make_unique<storage::sql::SqlOtaRepository>(db);
  time_series_repository = std::make_unique<storage::sql::SqlTimeSeriesRepository>(db);
  audit_repository = std::make_unique<storage::sql::SqlAuditRepository>(db);
  wirepas_repository = std::make_unique<storage::sql::SqlWirepasCredentialRepository>(db);
  audit = std::make_unique<service::QueuedAuditLog>(*audit_repository, clock);
  audit->start();
  if (config.cluster.enabled) {
    auto password = database_password(config);
    if (!password)
      return fail(password.error());
    auto lease = storage::postgres::ClusterLease::open(
        config.database.url, {10, "stratusd-lease", *password}, config.cluster.leader_check_ms,
        metrics, [](bool leader, const std::string& why) {
          if (leader)
            log::info(Channel::storage, "cluster: this instance leads ({})", why);
          else
            log::warn(Channel::storage, "cluster: this instance does not lead ({})", why);
        });
    if (!lease)
      return fail(lease.error());
    cluster_lease = std::move(*lease);
    leadership = std::make_unique<LeaseLeadership>(*cluster_lease);
    log::info(Channel::storage, "cluster: instance slot {} of {}", cluster_lease->slot(),
              storage::postgres::kMaxInstances);
  }
  return {};
}

Result<void> Server::Impl::wire_accounts() {
  auto key = load_or_create_token_key(data_dir);
  if (!key)
    return fail(key.error());
  auto made = auth::TokenSigner::from_key(*key);
  ota_key = auth::hmac_sha256_hex(*key, "stratus-ota-download-urls");
  mfg_key = auth::hmac_sha256_hex(*key, "stratus-manufacturing-urls");
  relay_key = auth::hmac_sha256_hex(*key, "stratus-cluster-relay");
  if (!made)
    return fail(made.error());
  signer.emplace(std::move(*made));
  if (config.mail.mode == "smtp") {
    mail::SmtpOptions smtp;
    smtp.url = config.mail.smtp_url;
    smtp.from = config.mail.smtp_from;
    smtp.username = config.mail.smtp_username;
    if (!config.mail.smtp_password_file.empty()) {
      auto password = read_first_line(config.mail.smtp_password_file);
      if (!password)
        return fail(password.error());
      smtp.password = *password;
    }
    smtp.starttls = config.mail.smtp_starttls;
    smtp.ca_file = config.mail.smtp_ca_file;
    mailer = std::make_unique<mail::SmtpMailer>(std::move(smtp), clock);
  } else {
    mailer = std::make_unique<mail::OutboxMailer>(data_dir / "outbox", clock);
  }
  auto options = account_options(config);
  if (config.cluster.enabled)
    options.rate_share = &rate_share;
  accounts = std::make_unique<service::AccountService>(*account_repository, *mailer, *signer, clock,
                                                       std::move(options), *audit);
  return {};
}

Result<void> Server::Impl::plan_broker(const pki::PkiMaterial& material) {
  const auto& b = config.broker;
  broker::EmbeddedBrokerOptions options;
  options.mosquitto_path = b.mosquitto_path;
  options.work_dir = data_dir / "broker";
  options.start_timeout = b.start_timeout_ms;
  options.restart_backoff_min = b.restart_backoff_min_ms;
  options.restart_backoff_max = b.restart_backoff_max_ms;
  auto& s = options.settings;
  s.run_as_user = effective_user();
  s.plugin_path = b.plugin_path.empty() ? beside_binaries("lib/stratus/stratus_mosquitto_plugin.so")
                                        : std::filesystem::path(b.plugin_path);
  s.backend_username = std::string(kBackendUsername);
  s.backend_password_file = std::filesystem::absolute(material.files.backend_secret);
  s.revoked_certificates_file = std::filesystem::absolute(revocations_file());
  s.registered_certificates_file = std::filesystem::absolute(registered_file());
  s.ca_path = std::filesystem::absolute(trust_dir());
  s.device_bind_address = b.bind_address;
  s.ca_file = std::filesystem::absolute(material.files.ca_cert);
  s.server_cert_file = std::filesystem::absolute(material.files.server_cert);
  s.server_key_file = std::filesystem::absolute(material.files.server_key);
  s.max_payload_bytes = b.max_payload_bytes;
  s.device_port = b.port;
  s.backend_port = b.backend_port;
  if (s.device_port == 0) {
    auto port = broker::pick_free_port(b.bind_address);
    if (!port)
      return fail(port.error());
    s.device_port = *port;
  }
  if (s.backend_port == 0) {
    auto port = broker::pick_free_port("127.0.0.1");
    if (!port)
      return fail(port.error());
    s.backend_port = *port;
  }
  if (const auto& w = config.wirepas; w.enabled) {
    s.wirepas_bind_address = w.bind_address;
    s.wirepas_tls = w.tls;
    s.wirepas_credentials_file = std::filesystem::absolute(wirepas_credentials_file());
    s.wirepas_port = w.port;
    if (s.wirepas_port == 0) {
      auto port = broker::pick_free_port(w.bind_address);
      if (!port)
        return fail(port.error());
      s.wirepas_port = *port;
    }
  }
  if (b.ingest_handoff && !config.cluster.enabled) {
    // sun_path holds 107 bytes; a data dir too deep for it keeps MQTT forwarding.
    auto socket = std::filesystem::absolute(options.work_dir / "ingest.sock");
    if (socket.string().size() < 108) {
      s.ingest_socket = socket;
      handoff_socket = std::move(socket);
    } else {
      log::warn(Channel::broker,
                "ingest handoff off: socket path {} is longer than 107 bytes; node messages go "
                "over MQTT",
                socket.string());
    }
  }
  runtime.mqtt_port = s.device_port;
  runtime.backend_port = s.backend_port;
  runtime.wirepas_port = s.wirepas_port;
  // A new mosquitto has no sessions: nodes recorded as connected are not. The
  // guard on newer timestamps keeps reconnects that race this update.
  options.on_sessions_lost = [this] { mark_nodes_disconnected("broker restarted"); };
  broker_plan.emplace(std::move(options));
  return {};
}

Result<void> Server::Impl::start_broker() {
  mark_nodes_disconnected("broker starting");
  broker = std::make_unique<broker::EmbeddedBroker>(std::move(*broker_plan), metrics);
  broker_plan.reset();
  return broker->start();
}

Result<void> Server::Impl::wire_nodes(const pki::PkiMaterial& material) {
  const auto& b = config.broker;
  mqtt::ClientOptions options;
  options.client_id = b.client_id.empty()
                          ? "stratusd-" + hostname() + "-" + std::to_string(::getpid())
                          : b.client_id;
  options.keepalive = b.keepalive_s;
  options.reconnect_min = b.reconnect_min_ms;
  options.reconnect_max = b.reconnect_max_ms;
  options.messages_received = &metrics.counter("stratus_mqtt_messages_received_total",
                                               "MQTT messages received by the backend client.");
  options.messages_sent = &metrics.counter("stratus_mqtt_messages_sent_total",
                                           "MQTT messages published by the backend client.");
  if (b.mode == config::BrokerMode::embedded) {
    options.host = "127.0.0.1";
    options.port = runtime.backend_port;
    options.username = std::string(kBackendUsername);
    options.password = material.backend_secret;
  } else {
    options.host = b.external_host;
    options.port = b.external_port;
    options.username = b.external_username;
    if (!b.external_password_file.empty()) {
      auto password = read_first_line(b.external_password_file);
      if (!password)
        return fail(password.error());
      options.password = *password;
    }
    if (b.external_tls) {
      options.tls = mqtt::TlsOptions{b.external_ca_file, b.external_cert_file, b.external_key_file};
    }
  }
  link_work.emplace(link_io.get_executor());
  link_thread = std::thread([this] {
    core::name_this_thread("link");
    link_io.run();
  });
  // Both backend connections hand their callbacks to the link executor and log their state.
  const auto connect = [this](const mqtt::ClientOptions& o, std::string_view name) {
    auto client = mqtt::make_mosquitto_client(
        o, [this](std::function<void()> f) { asio::post(link_io, std::move(f)); });
    client->on_connection([name](bool up, const std::string& reason) {
      if (up) {
        log::info(Channel::mqtt, "backend {} connected", name);
      } else {
        log::warn(Channel::mqtt, "backend {} not connected: {}", name, reason);
      }
    });
    return client;
  };
  backend = connect(options, "client");
  // Node-bound publishes (sets, command requests, OTA URLs) take a connection of their
  // own. On the subscribing connection they queued behind its PUBACKs, of which mosquitto
  // reads one packet per pass of its loop: under heavy ingest a set waited seconds
  // (issue 24, bench/README.md "control under ingest").
  mqtt::ClientOptions out_options = options;
  out_options.client_id += "-out";
  out_options.messages_received = nullptr;
  publisher = connect(out_options, "publisher");
  // Outbound first: the services send through it.
  messenger = std::make_unique<link::MqttNodeMessenger>(*publisher);
  // Live events (docs/adr/0010): every service publishes what it committed to the hub,
  // which asks the access repository which nodes a stream's user may see.
  service::EventHubOptions event_options;
  event_options.replay_events = config.events.replay_events;
  event_options.queue_limit = config.events.queue_limit;
  event_options.access_refresh = config.events.access_refresh_ms;
  event_options.access_retry = config.events.access_retry_ms;
  if (cluster_lease) {
    event_options.id_stride = storage::postgres::kMaxInstances;
    event_options.id_slot = cluster_lease->slot();
    event_options.relay = [this](const std::vector<service::EventDraft>& drafts) {
      relay->forward(drafts);  // built below, before anything publishes
    };
  }
  events = std::make_unique<service::EventHub>(service::node_access_lookup(*access_repository),
                                               clock, metrics, event_options);
  // A set's answer is applied ahead of bulk reports (docs/adr/0026); built before the
  // relay, which marks the nodes other instances sent sets to.
  const auto& n = config.nodes;
  if (n.ingest_interactive_window_ms.count() > 0) {
    expected_reports = std::make_unique<service::ExpectedReports>(
        clock, service::ExpectedReportsOptions{n.ingest_interactive_window_ms});
  }
  if (cluster_lease) {
    // Another instance changed a webhook or an automation: reload it here. On the link
    // executor; the webhook's read goes to the blocking pool.
    link::ClusterRelay::Handlers handlers;
    handlers.changed = [this](service::Cached what, std::string id) {
      if (what == service::Cached::automation) {
        automations->reload(id);
        return;
      }
      asio::post(blocking_pool, [this, id = std::move(id)] {
        if (auto r = webhooks->reload(id); !r)
          log::warn(Channel::service, "webhook_id={} not reloaded: {}", id, r.error().message());
      });
    };
    handlers.counted = [this](service::RateLimit limit, std::string key, bool reset) {
      accounts->apply_shared_count(limit, key, reset);
    };
    if (expected_reports) {
      handlers.expected = [this](std::string node_id) { expected_reports->expect(node_id); };
    }
    // The relay subscribes on the publishing connection, which carries no node traffic:
    // on the subscribing one the node link dropped relay messages over
    // nodes.max_payload_bytes (64 KiB), and senders build them up to 240 KiB.
    relay = std::make_unique<link::ClusterRelay>(*publisher, *events, cluster_lease->slot(),
                                                 relay_key, metrics, std::move(handlers));
    rate_share.attach(relay.get());
  }
  // Nodes: REST → node service → messenger; commands (docs/adr/0006): REST → command
  // service → messenger, answers and polls back through the ingest writer.
  const auto node_quota = static_cast<std::int64_t>(config.accounts.default_node_quota);
  // The node service marks the nodes it sends sets to, here and, in a cluster, on the
  // other instances (the answer may arrive at any of them); the ingest's own deliveries
  // of queued sets are not marked.
  service::NodeMessenger* node_set_messenger = messenger.get();
  if (expected_reports) {
    std::function<void(std::string_view)> share;
    if (relay)
      share = [this](std::string_view node_id) { relay->expected(node_id); };
    set_messenger = std::make_unique<service::ExpectingMessenger>(*messenger, *expected_reports,
                                                                  std::move(share));
    node_set_messenger = set_messenger.get();
  }
  nodes = std::make_unique<service::NodeService>(*node_repository, *node_set_messenger, *events,
                                                 clock, n.mapping_timeout_s, *audit, node_quota);
  // Fleet administration (issue 18): admins' view of every node and user.
  fleet = std::make_unique<service::FleetService>(
      *account_repository, *node_repository, *audit_repository, *audit, *events, clock,
      service::FleetOptions{.default_node_quota = node_quota});
  // Sharing and groups (docs/adr/0009): who may use what, read by every node route.
  service::SharingOptions sharing_options;
  sharing_options.request_lifetime = n.sharing_request_lifetime_s;
  sharing = std::make_unique<service::SharingService>(
      *access_repository, *account_repository, *mailer, *events, clock, *audit, sharing_options);
  service::GroupOptions group_options;
  group_options.max_depth = n.group_max_depth;
  groups = std::make_unique<service::GroupService>(*access_repository, *node_repository, *events,
                                                   clock, group_options);
  service::CommandOptions command_options;
  command_options.default_timeout = n.command_default_timeout_s;
  commands = std::make_unique<service::CommandService>(*command_repository, *node_repository,
                                                       *account_repository, *messenger, *events,
                                                       clock, metrics, command_options, *audit);
  const auto& ts = config.timeseries;
  time_series = std::make_unique<service::TimeSeriesService>(
      *time_series_repository, *node_repository, clock,
      service::TimeSeriesOptions{ts.retention_days, ts.prune_batch_rows});
  ingest = std::make_unique<service::NodeIngest>(
      *node_repository, *messenger, *commands, *events, clock, metrics,
      service::IngestOptions{.queue_limit = n.ingest_queue_limit,
                             .batch_max = n.ingest_batch_max,
                             .flush_delay = n.ingest_flush_ms,
                             .ts_future_skew = ts.future_skew_s,
                             .default_node_quota = node_quota,
                             .interactive_batch_max = n.ingest_interactive_batch_max,
                             .row_cache_max = n.ingest_row_cache_nodes,
                             .writer_nice = n.ingest_writer_nice},
      expected_reports.get());
  // Webhooks: the hub's events to users' URLs, through a durable outbox.
  const auto& wh = config.webhooks;
  webhook_sender = std::make_unique<CurlWebhookSender>(
      CurlWebhookOptions{wh.allow_private_addresses, wh.timeout_ms, {}});
  webhooks = std::make_unique<service::WebhookService>(
      *webhook_repository, *node_repository, *events, *webhook_sender, clock, metrics,
      service::WebhookOptions{.max_per_user = wh.max_per_user,
                              .max_failures = wh.max_failures,
                              .retry_min = wh.retry_min_ms,
                              .retry_max = wh.retry_max_ms,
                              .leadership = leadership.get(),
                              .notices = relay.get()});
  alert_mail = std::make_unique<service::AlertMailService>(
      *events, *access_repository, *mailer, clock, metrics,
      service::AlertMailOptions{config.events.alert_mail_interval_s});
  service::AutomationOptions automation_options;
  automation_options.max_per_user = config.automations.max_per_user;
  automation_options.max_firings_per_minute = config.automations.max_firings_per_minute;
  automation_options.leadership = leadership.get();
  automation_options.notices = relay.get();
  automations = std::make_unique<service::AutomationService>(
      *automation_repository, *node_repository, *access_repository, *nodes, *events, clock, metrics,
      automation_options);
  // OTA: the download signer is set once HTTP listens (start_http), its address known.
  ota_store = std::make_unique<FileOtaImageStore>((data_dir / "ota").string());
  if (auto r = ota_store->open(); !r)
    return r;
  service::OtaOptions ota_options;
  ota_options.max_image_bytes = config.ota.max_image_bytes;
  ota_options.url_lifetime = config.ota.url_lifetime_s;
  ota_options.node_timeout = config.ota.node_timeout_s;
  ota_options.failed_grace = config.ota.failed_grace_s;
  ota_options.leadership = leadership.get();
  ota = std::make_unique<service::OtaService>(*ota_repository, *access_repository, *ota_store,
                                              *messenger, *events, nullptr, clock, metrics,
                                              ota_options, *audit);
  // Inbound last: MQTT → link → ingest queue → one writer; OTA messages → the OTA runner.
  link::NodeLinkCluster link_cluster;
  if (relay) {
    link_cluster.share_group = config.cluster.share_group;
    if (config.cluster.node_traffic == "partitioned")
      link_cluster.batch_topic = proto::cluster_batch_topic(options.client_id);
  }
  node_link = std::make_unique<link::NodeLink>(
      *backend, *ingest, clock, metrics, n.max_payload_bytes, ts.max_records_per_message, ota.get(),
      std::move(link_cluster), !handoff_socket.empty());
  if (!handoff_socket.empty()) {
    // Listening before the broker starts, so the plugin's first attempt connects.
    handoff = std::make_unique<link::IngestHandoffReceiver>(
        link::IngestHandoffReceiverOptions{.socket_path = handoff_socket,
                                           .secret = material.backend_secret},
        *node_link, *ingest, metrics);
    if (auto r = handoff->start(); !r)
      return r;
  }
  // Challenge-response mapping checks the node's signature with the key of the
  // certificate claiming issued to it.
  signature_verifier = std::make_unique<PkiSignatureVerifier>();
  service::ChallengeMappingOptions mapping_options;
  mapping_options.default_node_quota = node_quota;
  challenge_mapping = std::make_unique<service::ChallengeMapping>(
      *mapping_challenges, *claim_repository, *node_repository, *signature_verifier, clock,
      mapping_options, *audit);
  return {};
}

Result<void> Server::Impl::start_node_traffic() {
  events->start();
  if (auto r = webhooks->start(); !r)
    return r;
  alert_mail->start();
  if (auto r = automations->start(); !r)
    return r;
  ota->start();
  ingest->start();
  start_background_jobs();
  if (auto r = publisher->start(); !r)
    return r;
  return backend->start();
}

void Server::Impl::start_background_jobs() {
  if (cluster_lease) {
    // A leader must hear node reports (params automations act on the leader alone) and
    // reach nodes and the other instances (OTA pushes, the relay): one whose broker
    // connections stay down for 10 s hands the lease to one whose are up (ADR 0021).
    cluster_lease->set_fitness(
        [this] { return backend && backend->connected() && publisher && publisher->connected(); },
        std::chrono::seconds(10));
    cluster_lease->start();
  }
  // With several instances, the sweeps run on the leader (docs/adr/0021).
  command_sweep.start("command-sweep", config.nodes.command_sweep_ms, [this] {
    if (leadership && !leadership->is_leader())
      return;
    if (auto r = commands->expire_due(); !r) {
      log::warn(Channel::service, "command sweep failed: {}", r.error().message());
    }
  });
  // Bounded passes (timeseries.prune_batch_rows each), so the ingest writer never waits
  // for more than one; a stop ends the loop between passes.
  time_series_prune.start("ts-prune", config.timeseries.prune_interval_s, [this] {
    if (leadership && !leadership->is_leader())
      return;
    std::int64_t total = 0;
    while (!time_series_prune.stopping()) {
      auto deleted = time_series->prune_once();
      if (!deleted) {
        log::warn(Channel::service, "time-series prune failed: {}", deleted.error().message());
        return;
      }
      if (*deleted == 0)
        break;
      total += *deleted;
    }
    if (total > 0)
      log::info(Channel::service, "time-series prune removed {} rows", total);
  });
  revocation_retry.start("revocation-retry", std::chrono::seconds(5), [this] {
    (void)revocation_list->retry();  // a failure is logged and stays due
  });
}

void Server::Impl::stop_background_jobs() {
  command_sweep.stop();
  time_series_prune.stop();
  revocation_retry.stop();
}

void Server::Impl::mark_nodes_disconnected(std::string_view why) {
  if (!nodes)
    return;
  auto count = nodes->mark_all_disconnected();
  if (!count) {
    log::error(Channel::service, "cannot mark nodes disconnected ({}): {}", why,
               count.error().message());
  } else if (*count > 0) {
    log::info(Channel::service, "{}: marked {} nodes disconnected", why, *count);
  }
}

Result<void> Server::Impl::wire_claiming() {
  const auto& c = config.claiming;
  service::ClaimOptions options;
  options.max_nodes_per_user = c.max_nodes_per_user;
  auto policy = service::parse_self_claim_policy(c.self_claim);
  if (!policy)
    return fail(policy.error());
  options.self_claim = *policy;
  if (options.self_claim == service::ClaimOptions::SelfClaim::allowlist) {
    std::ifstream in(c.self_claim_allowlist_file);
    if (!in) {
      return fail(errc::invalid_argument, c.self_claim_allowlist_file +
                                              ": cannot read (claiming.self_claim_allowlist_file)");
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto list = service::parse_mac_allowlist(text);
    if (!list) {
      return fail(errc::invalid_argument,
                  c.self_claim_allowlist_file + ": " + list.error().context);
    }
    options.allowlist = std::move(*list);
  }
  options.challenge_lifetime = c.challenge_lifetime_s;
  options.mqtt_host = runtime.mqtt_host;
  options.default_node_quota = static_cast<std::int64_t>(config.accounts.default_node_quota);
  certificate_issuer = std::make_unique<PkiCertificateIssuer>(
      pki_material->ca, c.node_cert_lifetime_days, clock, c.crl_url);
  ca_revocation_list =
      std::make_unique<service::CaRevocationList>(*claim_repository, *certificate_issuer, clock);
  // The broker starts with the revocation list the database holds (issue 13).
  std::error_code ec;
  std::filesystem::create_directories(revocations_file().parent_path(), ec);
  revocations = std::make_unique<BrokerRevocations>(revocations_file());
  revocation_list =
      std::make_unique<service::RevocationList>(*claim_repository, *revocations, clock);
  auto revoked = revocation_list->publish();
  if (!revoked)
    return fail(revoked.error());
  if (config.broker.mode == config::BrokerMode::external && *revoked > 0) {
    log::warn(Channel::pki,
              "{} node certificates are revoked; an external broker does not read {}: make it "
              "refuse them (docs/security.md)",
              *revoked, revocations_file().string());
  }
  claims = std::make_unique<service::ClaimService>(*claim_repository, *node_repository,
                                                   *certificate_issuer, *revocation_list, clock,
                                                   std::move(options), *audit);
  return wire_manufacturing();
}

// Before the broker starts: its trust directory and registered list are written here.
Result<void> Server::Impl::wire_manufacturing() {
  const auto& m = config.manufacturing;
  trust_store = std::make_unique<BrokerTrustStore>(trust_dir(), registered_file());
  if (auto r = trust_store->reset(pki_material->ca.certificate()); !r)
    return r;
  certificate_inspector = std::make_unique<PkiCertificateInspector>(pki_material->ca.certificate());
  registration_files = std::make_unique<FileRegistrationStore>(data_dir / "mfg" / "uploads");
  if (auto r = registration_files->open(); !r)
    return r;
  service::ManufacturingOptions options;
  options.mqtt_host = runtime.mqtt_host;
  options.mqtt_cred_host = m.mqtt_cred_host;
  options.url_key = mfg_key;
  options.url_lifetime = m.url_lifetime_s;
  options.max_node_ids = m.max_node_ids;
  options.max_queued_registrations = m.max_queued_registrations;
  options.max_rows = m.max_rows;
  manufacturing = std::make_unique<service::ManufacturingService>(
      *mfg_repository, *certificate_inspector, *trust_store, *revocation_list, *registration_files,
      *audit, clock, std::move(options));
  if (auto r = manufacturing->start(); !r)
    return r;
  return wire_wirepas();
}

Result<void> Server::Impl::wire_wirepas() {
  service::WirepasAccessOptions options;
  options.enabled = config.wirepas.enabled;
  options.reserved_names = {std::string(kBackendUsername)};
  wirepas_broker = std::make_unique<BrokerWirepasAccess>(wirepas_credentials_file());
  wirepas_access = std::make_unique<service::WirepasAccessService>(
      *wirepas_repository, *wirepas_broker, *audit, clock, std::move(options));
  auto published = wirepas_access->publish();
  if (!published)
    return fail(published.error());
  if (config.wirepas.enabled)
    log::info(Channel::main, "{} Wirepas gateways and operators may use the broker", *published);
  return {};
}

bool Server::Impl::database_healthy() {
  return db && db->with([](storage::sql::Connection& c) { return c.ping().has_value(); });
}

http::Router Server::Impl::make_router() {
  http::Router router;
  router.add("GET", "/healthz", [this](http::Request&) -> asio::awaitable<http::Response> {
    const bool db_ok = co_await asio::co_spawn(
        blocking_pool, [this]() -> asio::awaitable<bool> { co_return database_healthy(); },
        asio::use_awaitable);
    const bool backend_ok = backend && backend->connected() && publisher && publisher->connected();
    json::object broker_state{
        {"mode", config.broker.mode == config::BrokerMode::embedded ? "embedded" : "external"},
        {"backend_connected", backend_ok}};
    bool broker_ok = backend_ok;
    if (handoff) {
      broker_state["ingest_handoff_connected"] = handoff->connected();
      broker_ok = broker_ok && handoff->connected();
    }
    if (broker) {
      broker_state["state"] = broker::to_string(broker->state());
      broker_state["restarts"] = broker->restarts();
      broker_ok = broker_ok && broker->state() == broker::BrokerState::running;
    }
    const bool ok = broker_ok && db_ok;
    json::object body{{"status", ok ? "ok" : "unavailable"},
                      {"broker", std::move(broker_state)},
                      {"database", json::object{{"state", db_ok ? "up" : "down"}}}};
    if (auto warning = config::insecure_http_warning(config))
      body["warnings"] = json::array{json::string(*warning)};
    co_return http::json_response(ok ? 200 : 503, json::serialize(body));
  });
  router.add("GET", "/metrics", [this](http::Request&) -> asio::awaitable<http::Response> {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.render_prometheus();
    co_return r;
  });
  api::add_system_routes(router, runtime.mqtt_host, runtime.mqtt_port);
  api::add_ca_revocation_list_route(router, *ca_revocation_list, blocking_pool);
  api::add_account_routes(router, *accounts, blocking_pool);
  api::add_node_routes(router, *accounts, *nodes, blocking_pool);
  api::add_command_routes(router, *accounts, *commands, blocking_pool);
  api::add_sharing_routes(router, *accounts, *sharing, blocking_pool);
  api::add_group_routes(router, *accounts, *groups, *sharing, blocking_pool);
  api::add_event_routes(
      router, *accounts, *nodes, *events, blocking_pool, clock,
      api::EventStreamOptions{config.events.hello_timeout_ms, config.events.stream_send_queue,
                              config.events.session_check_ms});
  api::add_webhook_routes(router, *accounts, *webhooks, blocking_pool);
  api::add_automation_routes(router, *accounts, *automations, blocking_pool);
  api::add_tsdata_routes(router, *accounts, *time_series, blocking_pool);
  api::add_ota_routes(router, *accounts, *ota, blocking_pool, clock, config.ota.max_image_bytes);
  api::add_admin_routes(router, *accounts, *fleet, blocking_pool);
  api::add_wirepas_routes(router, *accounts, *wirepas_access, blocking_pool);
  api::add_claim_routes(
      router, *claims, *accounts, blocking_pool,
      api::ClaimAnswerExtras{pki_material->ca.certificate().to_pem(), runtime.mqtt_port});
  api::add_mapping_challenge_routes(router, *accounts, *challenge_mapping, blocking_pool);
  api::add_manufacturing_routes(router, *accounts, *manufacturing, blocking_pool, config.http.tls,
                                config.manufacturing.max_upload_bytes);
  add_web_dashboard(router);
  return router;
}

// The dashboard at / (docs/adr/0024): the router's fallback for GET and HEAD. A missing
// bundle is not an error (a server built without Node.js still serves the API).
void Server::Impl::add_web_dashboard(http::Router& router) {
  const std::string& configured = config.http.web_root;
  if (configured == "off") {
    log::info(Channel::main, "web dashboard: off (http.web_root)");
    return;
  }
  const auto root =
      configured.empty() ? beside_binaries("share/stratus/web") : std::filesystem::path(configured);
  auto site = http::WebFiles::open(root);
  if (!site) {
    log::warn(Channel::main, "web dashboard not served: {}", site.error().message());
    return;
  }
  log::info(Channel::main, "web dashboard at /: {}", site->root().string());
  router.set_fallback(
      "web", [site = std::move(*site)](http::Request& request) -> asio::awaitable<http::Response> {
        co_return site.reply(request.path, request.header("Range"));
      });
}

Result<void> Server::Impl::start_http() {
  const auto& h = config.http;
  http::ServerOptions options;
  options.bind_address = h.bind_address;
  options.port = h.port;
  options.threads = h.threads;
  options.max_header_bytes = h.max_header_bytes;
  options.max_body_bytes = h.max_body_bytes;
  options.max_connections = h.max_connections;
  options.idle_timeout = h.idle_timeout_ms;
  options.request_timeout = h.request_timeout_ms;
  options.shutdown_grace = h.shutdown_grace_ms;
  options.websocket_send_queue = config.events.stream_send_queue;
  options.websocket_max_message_bytes = config.events.max_message_bytes;
  options.upload_dir = ota_store->upload_dir();  // same file system: uploads are renamed in
  if (h.tls) {
    options.tls = http::TlsFiles{data_dir / "pki" / "server.crt", data_dir / "pki" / "server.key"};
  }
  if (auto warning = config::insecure_http_warning(config))
    log::warn(Channel::main, "SECURITY: {}", *warning);
  http::Router router = make_router();
  route_list = router.routes();
  http = std::make_unique<http::Server>(std::move(options), std::move(router), metrics);
  if (auto r = http->start(); !r)
    return r;
  runtime.http_port = http->port();
  runtime.http_url = std::string(h.tls ? "https://" : "http://") + url_host(h.bind_address) + ":" +
                     std::to_string(runtime.http_port);
  // Nodes download OTA images from here: HTTPS on the Stratus server certificate (which
  // they trust for MQTT already), plain HTTP only when the operator allows it.
  std::string base = config.ota.download_base_url;
  if (base.empty() && (h.tls || config.ota.allow_plain_http)) {
    base = std::string(h.tls ? "https://" : "http://") + url_host(runtime.mqtt_host) + ":" +
           std::to_string(runtime.http_port);
  }
  if (!base.empty() && (base.starts_with("https://") || config.ota.allow_plain_http)) {
    ota->set_signer(std::make_shared<service::OtaDownloadSigner>(ota_key, base));
    log::info(Channel::main, "OTA downloads at {}", base);
  } else {
    log::warn(Channel::main,
              "OTA jobs are off: no HTTPS (http.tls) and plain HTTP downloads not allowed "
              "(ota.allow_plain_http)");
  }
  return {};
}

void Server::Impl::stop() {
  if (http) {
    http->stop();
    // A handler that ran on the pool finishes by handing its result back to the HTTP
    // io_context; that tail still holds the io_context's executor. Drain the pool before
    // the io_context goes (ASan found the use-after-free under load).
    blocking_pool.join();
    http.reset();
  }
  stop_background_jobs();
  if (handoff)
    handoff->stop();  // what it did not acknowledge the plugin keeps for the next stratusd
  if (backend) {
    backend->stop();
  }
  if (publisher) {
    publisher->stop();
  }
  if (ingest) {
    ingest->stop();  // applies what is queued
  }
  if (events)
    events->stop();  // after the ingest: its last batch is still announced
  if (webhooks)
    webhooks->stop();  // writes what the hub handed over to the outbox
  if (alert_mail)
    alert_mail->stop();
  if (automations)
    automations->stop();
  if (ota)
    ota->stop();
  if (cluster_lease)
    cluster_lease->stop();  // the lease goes to another instance at its next try
  if (link_work) {
    link_work.reset();
    link_io.stop();
  }
  if (link_thread.joinable())
    link_thread.join();
  // The supervisor's on_sessions_lost uses the node service: the broker goes first.
  if (broker) {
    broker->stop();
    broker.reset();
  }
  challenge_mapping.reset();
  signature_verifier.reset();
  handoff.reset();
  node_link.reset();
  ota.reset();  // it holds the messenger, the hub and the store
  ota_store.reset();
  ingest.reset();
  automations.reset();  // it holds the node service
  nodes.reset();
  time_series.reset();
  commands.reset();
  groups.reset();
  sharing.reset();
  alert_mail.reset();
  webhooks.reset();
  webhook_sender.reset();
  events.reset();  // after every publisher and every stream (http is gone)
  rate_share.attach(nullptr);
  relay.reset();  // the hub handed it events until now
  leadership.reset();
  cluster_lease.reset();
  messenger.reset();
  publisher.reset();
  backend.reset();
  blocking_pool.join();
  if (manufacturing)
    manufacturing->stop();
  manufacturing.reset();
  registration_files.reset();
  trust_store.reset();
  certificate_inspector.reset();
  claims.reset();
  revocation_list.reset();
  revocations.reset();
  certificate_issuer.reset();
  accounts.reset();
  fleet.reset();
  if (audit)
    audit->stop();  // after every service that records: writes what is queued
  audit.reset();
  audit_repository.reset();
  mapping_challenges.reset();
  webhook_repository.reset();
  automation_repository.reset();
  ota_repository.reset();
  access_repository.reset();
  command_repository.reset();
  node_repository.reset();
  time_series_repository.reset();
  claim_repository.reset();
  mfg_repository.reset();
  account_repository.reset();
  mailer.reset();
  db.reset();
  if (runtime_written) {
    std::error_code ec;
    std::filesystem::remove(data_dir / "runtime.json", ec);
    runtime_written = false;
  }
  data_dir_lock.release();
}

namespace {
const SystemClock system_clock;
}  // namespace

Server::Server(config::Config config) : Server(std::move(config), system_clock) {}

Server::Server(config::Config config, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(config), clock)) {}

Server::~Server() {
  stop();
}

std::vector<std::pair<std::string, std::string>> Server::routes() const {
  return impl_->route_list;
}

const RuntimeInfo& Server::runtime() const {
  return impl_->runtime;
}

void Server::stop() {
  impl_->stop();
}

Result<void> Server::start() {
  auto& m = *impl_;
  m.data_dir = std::filesystem::absolute(m.config.server.data_dir).lexically_normal();
  m.runtime.pid = static_cast<int>(::getpid());
  m.runtime.mqtt_host = m.config.server.mqtt_host.empty() ? hostname() : m.config.server.mqtt_host;
  register_process_metrics(m.metrics);
  m.metrics.callback_gauge("stratus_uptime_seconds", "Seconds since stratusd started.", [&m] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m.started_at).count();
  });

  auto step = [this](std::string_view what, Result<void> r) -> Result<void> {
    if (!r) {
      impl_->stop();
      return fail(r.error().code, std::string(what) + ": " + r.error().context);
    }
    return {};
  };
  if (auto r = step("data directory", m.lock_data_dir()); !r)
    return r;
  auto material = m.prepare_pki();
  if (!material)
    return step("PKI", fail(material.error()));
  m.pki_material.emplace(std::move(*material));
  const auto& pki = *m.pki_material;
  if (auto r = step("database", m.open_database()); !r)
    return r;
  if (auto r = step("accounts", m.wire_accounts()); !r)
    return r;
  if (auto r = step("claiming", m.wire_claiming()); !r)
    return r;
  const bool embedded = m.config.broker.mode == config::BrokerMode::embedded;
  if (embedded) {
    if (auto r = step("embedded broker", m.plan_broker(pki)); !r)
      return r;
  }
  if (auto r = step("nodes", m.wire_nodes(pki)); !r)
    return r;
  if (embedded) {
    if (auto r = step("embedded broker", m.start_broker()); !r)
      return r;
  }
  if (auto r = step("backend MQTT client", m.start_node_traffic()); !r)
    return r;
  if (auto r = step("HTTP", m.start_http()); !r)
    return r;
  if (auto r = step("runtime.json", write_runtime_file(m.data_dir / "runtime.json", m.runtime));
      !r) {
    return r;
  }
  m.runtime_written = true;
  log::info(Channel::main, "stratusd ready http={} mqtt={}:{} data_dir={}", m.runtime.http_url,
            m.runtime.mqtt_host, m.runtime.mqtt_port, m.data_dir.string());
  return {};
}

Result<void> write_runtime_file(const std::filesystem::path& path, const RuntimeInfo& info) {
  const json::object body{{"http_port", info.http_port},
                          {"mqtt_port", info.mqtt_port},
                          {"backend_port", info.backend_port},
                          {"mqtt_host", info.mqtt_host},
                          {"wirepas_port", info.wirepas_port},
                          {"http_url", info.http_url},
                          {"pid", info.pid}};
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json::serialize(body) << "\n";
    if (!out)
      return fail(errc::unavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(errc::unavailable, "cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace stratus::server
