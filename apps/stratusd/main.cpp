// stratusd: the Stratus cloud. Parses flags, loads the configuration, runs the
// server until SIGINT/SIGTERM. Exit codes: 0 clean stop, 1 start-up failure,
// 2 configuration error.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "config/config.hpp"
#include "log/log.hpp"
#include "server/accounts.hpp"
#include "server/database_admin.hpp"
#include "server/server.hpp"

#ifdef STRATUS_JEMALLOC
/// jemalloc's options (docs/adr/0028), read at its first allocation. Thread caches hold
/// regions up to 512 KiB (the default is 32 KiB): libmosquitto `calloc`s every received
/// payload, up to 256 KiB for a partitioned batch or a relay message, and jemalloc zeroes
/// a reused large extent with `madvise(MADV_DONTNEED)`, a TLB shootdown on every core,
/// then the copy faults the pages back in; a region from the thread cache is zeroed with
/// `memset`. Measured: half the `madvise` calls and page faults, and less CPU per update
/// (bench/README.md, session 14). The `MALLOC_CONF` environment variable is applied after
/// these and may override them.
extern "C" const char* malloc_conf;
const char* malloc_conf = "tcache_max:524288";
#endif

namespace {

using stratus::config::ConfigSources;

int report_config_errors(const std::vector<stratus::config::ConfigError>& errors) {
  std::fprintf(stderr, "stratusd: invalid configuration (%zu error%s):\n", errors.size(),
               errors.size() == 1 ? "" : "s");
  for (const auto& e : errors)
    std::fprintf(stderr, "  %s: %s\n", e.where.c_str(), e.message.c_str());
  return 2;
}

int run(const stratus::config::Config& config) {
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  stratus::log::Level level = stratus::log::Level::info;
  stratus::log::parse_level(config.log.level, level);
  stratus::log::init(level, config.log.file);

  stratus::server::Server server(config);
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "stratusd: cannot start: %s\n", started.error().context.c_str());
    return 1;
  }
  const auto& rt = server.runtime();
  std::printf("stratusd ready\n  HTTP  %s\n  MQTT  %s:%u (mutual TLS)\n", rt.http_url.c_str(),
              rt.mqtt_host.c_str(), rt.mqtt_port);
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  stratus::log::info(stratus::log::Channel::main, "received {}, stopping", strsignal(signal));
  server.stop();
  stratus::log::info(stratus::log::Channel::main, "stopped");
  return 0;
}

// `stratusd user add --admin EMAIL`: the password comes from standard input
// (one line), so it never appears in the process list or shell history.
int add_admin(const stratus::config::Config& config, const std::string& email) {
  stratus::log::init(stratus::log::Level::warn);
  if (isatty(STDIN_FILENO))
    std::fprintf(stderr, "Password for %s: ", email.c_str());
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r')
    password.pop_back();
  auto user = stratus::server::add_super_admin(config, email, password);
  if (!user) {
    std::fprintf(stderr, "stratusd: cannot add the admin: %s (code %d)\n",
                 user.error().context.c_str(), user.error().reason);
    return 1;
  }
  std::printf("created super-admin %s (user_id %s)\n", user->user_name.c_str(),
              user->user_id.c_str());
  return 0;
}

// `stratusd db check|migrate|compact|copy|revoked-certificates` (docs/scale-out.md).
int db_check(const stratus::config::Config& config) {
  stratus::log::init(stratus::log::Level::warn);
  auto status = stratus::server::check_database(config);
  if (!status) {
    std::fprintf(stderr, "stratusd: database check failed: %s\n", status.error().context.c_str());
    return 1;
  }
  const int behind = status->known_version - status->schema_version;
  std::printf("%s database %s: schema version %d of %d (%s)\n", status->backend.c_str(),
              status->where.c_str(), status->schema_version, status->known_version,
              behind == 0  ? "up to date"
              : behind > 0 ? "migrations pending: run stratusd db migrate"
                           : "newer than this stratusd");
  return behind == 0 ? 0 : 1;
}

int db_migrate(const stratus::config::Config& config) {
  stratus::log::init(stratus::log::Level::warn);
  auto report = stratus::server::migrate_database(config);
  if (!report) {
    std::fprintf(stderr, "stratusd: migration failed: %s\n", report.error().context.c_str());
    return 1;
  }
  if (report->applied.empty())
    std::printf("schema version %d: nothing to apply\n", report->to_version);
  else
    std::printf("migrated from schema version %d to %d (%zu applied)\n", report->from_version,
                report->to_version, report->applied.size());
  return 0;
}

int db_compact(const stratus::config::Config& config) {
  stratus::log::init(stratus::log::Level::warn);
  auto report = stratus::server::compact_database(config);
  if (!report) {
    std::fprintf(stderr, "stratusd: compact failed: %s\n", report.error().context.c_str());
    return 1;
  }
  std::printf("%s: %s packed from %lld to %lld KiB\n", report->backend.c_str(),
              report->what.c_str(), static_cast<long long>(report->bytes_before / 1024),
              static_cast<long long>(report->bytes_after / 1024));
  return 0;
}

// Once, or every `every_s` seconds until stopped (a broker host's loop: docs/scale-out.md).
int db_revoked_certificates(const stratus::config::Config& config, const std::string& output,
                            unsigned every_s) {
  stratus::log::init(stratus::log::Level::warn);
  stratus::SystemClock clock;
  auto exporter = stratus::server::RevocationExport::open(config);
  if (!exporter) {
    std::fprintf(stderr, "stratusd: revocation list not written: %s\n",
                 exporter.error().context.c_str());
    return 1;
  }
  while (true) {
    auto written = exporter->write(output, clock);
    if (!written) {
      std::fprintf(stderr, "stratusd: revocation list not written: %s\n",
                   written.error().context.c_str());
      if (every_s == 0)
        return 1;
    } else if (*written) {
      std::printf("%zu revoked certificates in %s\n", **written, output.c_str());
      std::fflush(stdout);
    }
    if (every_s == 0)
      return 0;
    ::sleep(every_s);
  }
}

int db_copy(const std::string& from, const std::string& to, const std::string& password_file) {
  stratus::log::init(stratus::log::Level::warn);
  std::string password;
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!in || !std::getline(in, password)) {
      std::fprintf(stderr, "stratusd: cannot read %s\n", password_file.c_str());
      return 1;
    }
  }
  auto report = stratus::server::copy_database(from, to, password);
  if (!report) {
    // The target's transaction rolled back, except when the connection was lost at its
    // commit and the server could not be asked how it ended (errc::unavailable).
    std::fprintf(stderr, "stratusd: copy failed, %s: %s\n",
                 report.error().code == stratus::errc::unavailable
                     ? "the target may hold the copy if its connection was lost at the commit"
                     : "nothing written",
                 report.error().context.c_str());
    return 1;
  }
  std::int64_t total = 0;
  for (const auto& [table, rows] : *report) {
    if (rows > 0)
      std::printf("  %-24s %lld\n", table.c_str(), static_cast<long long>(rows));
    total += rows;
  }
  std::printf("copied %lld rows in %zu tables\n", static_cast<long long>(total), report->size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stratusd: a self-hosted ESP RainMaker compatible IoT cloud"};
  app.require_subcommand(0, 1);

  ConfigSources sources;
  std::string config_file;
  std::vector<std::string> sets;
  std::optional<std::string> data_dir;
  std::optional<std::string> http_port;
  std::optional<std::string> mqtt_port;
  // Common options apply to every subcommand (`stratusd --data-dir D config print`).
  app.add_option("--config", config_file, "YAML configuration file")->check(CLI::ExistingFile);
  app.add_option("--data-dir", data_dir, "data directory (server.data_dir)");
  app.add_option("--http-port", http_port, "HTTP port, 0 = pick a free one (http.port)");
  app.add_option("--mqtt-port", mqtt_port,
                 "device MQTT/TLS port, 0 = pick a free one (broker.port)");
  app.add_option("--set", sets, "any key: --set section.key=value (repeatable)");
  app.fallthrough();

  auto* run_cmd = app.add_subcommand("run", "serve (the default)");
  auto* config_cmd = app.add_subcommand("config", "configuration tools");
  config_cmd->require_subcommand(1);
  auto* print_cmd =
      config_cmd->add_subcommand("print", "print the effective configuration as YAML");
  auto* docs_cmd = config_cmd->add_subcommand("docs", "print the key reference (docs/config.md)");
  (void)run_cmd;
  auto* user_cmd = app.add_subcommand("user", "user administration");
  user_cmd->require_subcommand(1);
  auto* user_add_cmd = user_cmd->add_subcommand(
      "add", "create a verified super-admin; the password is read from standard input");
  std::string admin_email;
  user_add_cmd->add_option("--admin", admin_email, "e-mail address (user name) of the super-admin")
      ->required();

  auto* db_cmd = app.add_subcommand("db", "database administration (docs/scale-out.md)");
  db_cmd->require_subcommand(1);
  auto* db_check_cmd =
      db_cmd->add_subcommand("check", "print the schema version; exit 1 unless up to date");
  auto* db_migrate_cmd = db_cmd->add_subcommand("migrate", "apply pending migrations");
  auto* db_compact_cmd =
      db_cmd->add_subcommand("compact",
                             "pack the database's pages (SQLite: VACUUM, stop stratusd first; "
                             "PostgreSQL: VACUUM FULL nodes)");
  auto* db_copy_cmd =
      db_cmd->add_subcommand("copy", "copy every row into an empty database (stop stratusd first)");
  std::string copy_from;
  std::string copy_to;
  std::string copy_password_file;
  db_copy_cmd->add_option("--from", copy_from, "sqlite:PATH or postgresql://…")->required();
  db_copy_cmd->add_option("--to", copy_to, "postgresql://… (or sqlite:PATH)")->required();
  db_copy_cmd->add_option("--to-password-file", copy_password_file,
                          "file holding the target's password");

  auto* db_revoked_cmd = db_cmd->add_subcommand(
      "revoked-certificates",
      "write the revocation list for a shared mosquitto's Stratus plugin (docs/scale-out.md)");
  std::string revoked_output;
  unsigned revoked_every_s = 0;
  db_revoked_cmd->add_option("--output", revoked_output, "the plugin's revoked-certificates file")
      ->required();
  db_revoked_cmd->add_option("--every", revoked_every_s,
                             "write it again every this many seconds until stopped (0: once)");

  CLI11_PARSE(app, argc, argv);

  if (db_copy_cmd->parsed())
    return db_copy(copy_from, copy_to, copy_password_file);

  if (docs_cmd->parsed()) {
    std::cout << stratus::config::render_markdown();
    return 0;
  }

  if (!config_file.empty())
    sources.file = config_file;
  sources.environment = stratus::config::process_environment();
  if (data_dir)
    sources.overrides.push_back({"server.data_dir", *data_dir, "--data-dir"});
  if (http_port)
    sources.overrides.push_back({"http.port", *http_port, "--http-port"});
  if (mqtt_port)
    sources.overrides.push_back({"broker.port", *mqtt_port, "--mqtt-port"});
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) {
      return report_config_errors({{"--set " + s, "expected section.key=value"}});
    }
    sources.overrides.push_back({s.substr(0, eq), s.substr(eq + 1), "--set"});
  }
  auto config = stratus::config::load(sources);
  if (!config)
    return report_config_errors(config.error());

  if (print_cmd->parsed()) {
    std::cout << stratus::config::render_yaml(*config);
    return 0;
  }
  if (user_add_cmd->parsed())
    return add_admin(*config, admin_email);
  if (db_check_cmd->parsed())
    return db_check(*config);
  if (db_migrate_cmd->parsed())
    return db_migrate(*config);
  if (db_compact_cmd->parsed())
    return db_compact(*config);
  if (db_revoked_cmd->parsed())
    return db_revoked_certificates(*config, revoked_output, revoked_every_s);
  return run(*config);
}
