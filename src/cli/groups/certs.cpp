// `stratus-admin certs devicecert generate`: a manufacturing batch in the layout of
// Espressif's admin CLI (spec rainmaker.md §7; src/mfg/batch.hpp): node ids generated here
// (`--local`, shortuuid-style), asked from the server (`--cloud`, POST/GET
// v1/admin/node_ids) or read from a CSV (`--inputfile`); the MQTT host from the server
// (`GET /mqtt_host` or `GET v1/admin/mqtt_host`) unless `--mqtt_host` names it.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/files.hpp"
#include "cli/detail/groups.hpp"
#include "mfg/batch.hpp"
#include "mfg/node_ids.hpp"
#include "pki/authority.hpp"
#include "proto/mfg_csv.hpp"

namespace stratus::cli::detail {
namespace {

namespace json = boost::json;

/// How often `--cloud` asks whether the node ids are ready, and for how long.
constexpr std::chrono::seconds kNodeIdsPollInterval{2};
constexpr int kNodeIdsMaxPolls = 300;  // 10 minutes
/// The subject of a CA generated for the batch, and its lifetime (100 years, like the
/// node certificates it signs).
constexpr std::string_view kDefaultCaName = "Stratus Manufacturing CA";
constexpr std::chrono::days kCaLifetime{36525};

struct GenerateOptions {
  std::size_t count = 0;
  std::string outdir = ".";
  std::string cacertfile;
  std::string cakeyfile;
  std::string ca_cn{kDefaultCaName};
  std::string key_type = "ecdsa";
  std::string prov = "ble";
  std::string prov_prefix = "PROV";
  bool local = false;
  bool cloud = false;
  std::string inputfile;
  std::string fileid = "node_id";
  std::string mqtt_host;
  std::size_t threads = 0;
};

Result<pki::CertificateAuthority> load_or_create_ca(Context& ctx, const GenerateOptions& o) {
  if (o.cacertfile.empty() != o.cakeyfile.empty())
    return fail(errc::invalid_argument, "give both --cacertfile and --cakeyfile, or neither");
  if (o.cacertfile.empty())
    return pki::CertificateAuthority::create(o.ca_cn, kCaLifetime, ctx.clock());
  auto cert = read_text_file(o.cacertfile);
  if (!cert)
    return fail(std::move(cert).error());
  auto key = read_text_file(o.cakeyfile);
  if (!key)
    return fail(std::move(key).error());
  auto ca = pki::CertificateAuthority::load(*cert, *key);
  if (!ca)
    return fail(errc::invalid_argument, o.cacertfile + ": " + ca.error().context);
  return ca;
}

// Asks the server for `count` node ids and waits until they can be downloaded.
Result<std::vector<std::string>> cloud_node_ids(Context& ctx, client::Session& s,
                                                std::size_t count) {
  auto request_id = s.request_node_ids(static_cast<std::int64_t>(count));
  if (!request_id)
    return fail(std::move(request_id).error());
  ctx.out() << "requested " << count << " node ids (request " << *request_id << ")\n";
  for (int poll = 0; poll < kNodeIdsMaxPolls; ++poll) {
    auto status = s.node_ids_status(*request_id);
    if (!status)
      return fail(std::move(status).error());
    if (status->status == "success") {
      if (status->url.empty())
        return fail(errc::internal, "node ids are ready but the server gave no url");
      auto ids = s.download_node_ids(status->url);
      if (!ids)
        return fail(std::move(ids).error());
      if (ids->size() < count)
        return fail(errc::internal, "the server gave " + std::to_string(ids->size()) +
                                        " node ids, not " + std::to_string(count));
      ids->resize(count);
      return ids;
    }
    if (status->status != "in_progress")
      return fail(errc::unavailable,
                  "node id request " + *request_id + " " +
                      (status->status.empty() ? "failed" : status->status) +
                      (status->description.empty() ? "" : ": " + status->description));
    ctx.sleep(kNodeIdsPollInterval);
  }
  return fail(errc::timeout, "node id request " + *request_id + " still in progress after " +
                                 std::to_string(kNodeIdsMaxPolls * kNodeIdsPollInterval.count()) +
                                 " s");
}

Result<std::vector<std::string>> file_node_ids(const GenerateOptions& o) {
  auto text = read_text_file(o.inputfile, proto::kMaxMfgCsvBytes);
  if (!text)
    return fail(std::move(text).error());
  auto ids = proto::parse_node_ids_csv(*text);
  if (!ids)
    return fail(errc::invalid_argument, o.inputfile + ": " + ids.error().context);
  if (o.count > 0) {
    if (ids->size() < o.count)
      return fail(errc::invalid_argument, o.inputfile + " has " + std::to_string(ids->size()) +
                                              " node ids, fewer than --count " +
                                              std::to_string(o.count));
    ids->resize(o.count);
  }
  return ids;
}

int generate(Context& ctx, const GenerateOptions& o) {
  if (o.fileid != "node_id")
    return ctx.report(Error{errc::invalid_argument,
                            "--fileid other than node_id needs the admin CLI's ADDITIONAL_VALUES "
                            "file, which stratus-admin does not support",
                            0});
  if (o.inputfile.empty() && o.count == 0)
    return ctx.report(
        Error{errc::invalid_argument, "give --count N or --inputfile node_ids.csv", 0});
  if (o.cloud && !o.inputfile.empty())
    return ctx.report(
        Error{errc::invalid_argument, "--cloud and --inputfile exclude each other", 0});

  mfg::BatchOptions batch;
  batch.outdir = o.outdir;
  batch.key_type = o.key_type == "rsa" ? pki::KeyType::rsa_2048 : pki::KeyType::ecdsa_p256;
  batch.transport = o.prov == "softap" ? mfg::ProvTransport::softap : mfg::ProvTransport::ble;
  batch.prov_prefix = o.prov_prefix;
  batch.threads = o.threads;
  batch.mqtt_host = o.mqtt_host;

  // Everything local is checked before the server is asked for anything.
  auto ca = load_or_create_ca(ctx, o);
  if (!ca)
    return ctx.report(ca.error());
  if (!o.inputfile.empty()) {
    auto ids = file_node_ids(o);
    if (!ids)
      return ctx.report(ids.error());
    batch.node_ids = std::move(*ids);
  }

  std::optional<client::Session> session;
  if (o.cloud) {
    auto s = ctx.session(true);
    if (!s)
      return ctx.report(s.error());
    session.emplace(std::move(*s));
    if (batch.mqtt_host.empty()) {
      auto host = session->admin_mqtt_host();
      if (!host)
        return ctx.report_call(host.error());
      batch.mqtt_host = host->mqtt_host;
      batch.mqtt_cred_host = host->mqtt_cred_host;
    }
    auto ids = cloud_node_ids(ctx, *session, o.count);
    if (!ids)
      return ctx.report_call(ids.error());
    batch.node_ids = std::move(*ids);
  } else {
    if (batch.mqtt_host.empty()) {
      auto s = ctx.session(false);
      if (!s)
        return ctx.report(s.error());
      auto host = s->mqtt_host();
      if (!host)
        return ctx.report(host.error());
      batch.mqtt_host = host->host;
    }
    if (batch.node_ids.empty())
      batch.node_ids = mfg::generate_node_ids(o.count);
  }

  const std::size_t total = batch.node_ids.size();
  const std::size_t step = std::max<std::size_t>(1, total / 10);
  std::size_t next_report = step;
  auto& out = ctx.out();
  if (!ctx.json()) {
    batch.on_progress = [&](std::size_t done, std::size_t all) {
      if (done >= next_report || done == all) {
        out << "  " << done << "/" << all << " nodes\n" << std::flush;
        while (next_report <= done)
          next_report += step;
      }
    };
    out << "generating " << total << " nodes ("
        << (o.key_type == "rsa" ? "RSA-2048" : "ECDSA P-256") << " keys, MQTT host "
        << batch.mqtt_host << ")\n";
  }
  auto summary = mfg::generate_batch(*ca, batch, ctx.clock());
  if (!summary)
    return ctx.report(summary.error());
  const double seconds = summary->elapsed.count();
  const double rate = seconds > 0 ? static_cast<double>(summary->nodes) / seconds : 0.0;
  if (ctx.json()) {
    json::object o2{{"directory", summary->directory.string()},
                    {"nodes", summary->nodes},
                    {"seconds", seconds},
                    {"nodes_per_second", rate}};
    ctx.print_json(json::serialize(o2));
    return 0;
  }
  char figures[96];
  std::snprintf(figures, sizeof figures, "%.2f s, %.0f nodes/s", seconds, rate);
  out << "generated " << summary->nodes << " nodes in " << figures << "\n"
      << "batch: " << summary->directory.string() << "\n"
      << "register them with: " << ctx.program() << " certs devicecert register --inputfile "
      << (summary->directory / "common" / "node_certs.csv").string() << "\n";
  return 0;
}

}  // namespace

void add_certs(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<GenerateOptions>();
  auto* certs = app.add_subcommand("certs", "Manufacturing certificates");
  certs->require_subcommand(1);
  auto* devicecert = certs->add_subcommand("devicecert", "Node (device) certificates");
  devicecert->require_subcommand(1);
  auto* gen = devicecert->add_subcommand(
      "generate", "Generate a batch: keys, certificates, QR payloads and NVS images per node");
  gen->add_option("--count", o->count, "Number of nodes (1 to 50000)")
      ->check(CLI::Range(std::size_t{1}, mfg::kMaxBatchNodes));
  gen->add_option("--outdir", o->outdir, "Base directory (default: the current one)");
  auto* cert = gen->add_option("--cacertfile", o->cacertfile, "CA certificate (PEM)");
  auto* key = gen->add_option("--cakeyfile", o->cakeyfile, "CA private key (PEM)");
  cert->needs(key);
  key->needs(cert);
  gen->add_option("--ca_cn", o->ca_cn, "Common name of a generated CA")->excludes(cert);
  gen->add_option("--key_type", o->key_type, "Node key type (default ecdsa)")
      ->check(CLI::IsMember({"ecdsa", "rsa"}));
  gen->add_option("--prov", o->prov, "Provisioning transport in the QR payload (default ble)")
      ->check(CLI::IsMember({"ble", "softap"}));
  gen->add_option("--prov_prefix", o->prov_prefix, "Provisioning name prefix (default PROV)");
  auto* local = gen->add_flag("--local", o->local, "Node ids generated here (the default)");
  auto* cloud = gen->add_flag("--cloud", o->cloud, "Node ids from the server (needs login)");
  local->excludes(cloud);
  gen->add_option("--inputfile", o->inputfile, "Node ids from a CSV with a node_id column")
      ->excludes(cloud);
  gen->add_option("--fileid", o->fileid, "File name suffix per node (only node_id)");
  gen->add_option("--mqtt_host", o->mqtt_host, "Broker host for the nodes (no server call)");
  gen->add_option("--threads", o->threads, "Worker threads (default: one per core)");
  ctx.on(*gen, [&ctx, o] { return generate(ctx, *o); });
}

}  // namespace stratus::cli::detail
