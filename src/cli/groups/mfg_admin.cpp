// `stratus-admin certs devicecert register|getcertstatus`, `certs cacert register` and
// `node revoke|revoked|allow_reclaim` (issue 18; spec rainmaker.md §7; docs/adr/0014). The
// register command makes the REST calls Espressif's admin CLI makes (upload URL, raw PUT,
// POST with the MD5, status on the same path), after the same rewrite of the file (blank
// rows dropped, rows ending in CRLF, minimal quoting) and the same CN = node_id check.
#include <openssl/evp.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <memory>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "core/hex.hpp"
#include "pki/certificate.hpp"
#include "proto/mfg_csv.hpp"
#include "proto/rest/manufacturing.hpp"

namespace stratus::cli::detail {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;

// How often `register --wait` asks for the status, and for how long at most.
constexpr std::chrono::seconds kWaitInterval{2};
constexpr int kMaxWaits = 1800;  // one hour

struct MfgOptions {
  std::string input_file;
  std::string group_name, parent_group_name;
  std::string type, model, subtype, tags;
  bool force = false;
  bool update_nodes = false;
  bool skip_csv_validation = false;
  bool wait = false;
  std::string request_id;
  std::string ca_file;
  std::string node_id;
  std::string reason;
  std::int64_t start = 0;
  int num_records = 0;
};

// The found or new subcommand `name` of `parent`: other command files add their own verbs
// to the same `certs` and `node` groups.
CLI::App* subcommand(CLI::App& parent, const std::string& name, const std::string& description) {
  for (auto* sub : parent.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name)
      return sub;
  }
  auto* made = parent.add_subcommand(name, description);
  made->require_subcommand(1);
  return made;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(errc::not_found, "cannot read " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_md5(), nullptr);
  return to_hex(std::span<const std::uint8_t>(digest, len));
}

// What the admin CLI uploads: the records again, blank rows dropped, each field quoted only
// when it must be, rows ending in CRLF (Python's csv.writer), then the CN = node_id check of
// its CSV validation. Errors: invalid_argument naming the line.
Result<std::string> upload_bytes(std::string_view text, bool validate) {
  auto records = proto::parse_csv(text);
  if (!records)
    return fail(records.error());
  std::string out;
  for (const auto& record : *records) {
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      if (i > 0)
        out.push_back(',');
      out += proto::csv_field(record.fields[i]);
    }
    out += "\r\n";
  }
  auto rows = proto::parse_node_certs_csv(out);
  if (!rows)
    return fail(errc::invalid_argument,
                "not a node_certs.csv (node_id,certs[,qrcode]): " + rows.error().context);
  if (validate) {
    for (const auto& row : *rows) {
      auto cert = pki::Certificate::from_pem(row.certificate_pem);
      if (!cert) {
        return fail(errc::invalid_argument,
                    "line " + std::to_string(row.line) + ": the certificate does not parse");
      }
      if (cert->subject_cn() != row.node_id) {
        return fail(errc::invalid_argument,
                    "line " + std::to_string(row.line) + ": the certificate's CN \"" +
                        cert->subject_cn() + "\" is not the node_id \"" + row.node_id +
                        "\" (--skip_csv_validation registers it anyway; the server refuses the "
                        "row)");
      }
    }
  }
  return out;
}

void print_status(Context& ctx, const rest::RegistrationStatusAnswer& st) {
  ctx.out() << key_values({{"status", st.status},
                           {"registered",
                            std::to_string(st.registered) + " of " + std::to_string(st.total)},
                           {"failed", std::to_string(st.failed)}})
            << st.description << '\n';
}

bool finished(const std::string& status) {
  return status == "success" || status == "partial_success" || status == "failure";
}

int register_certs(Context& ctx, const MfgOptions& o) {
  auto text = read_file(o.input_file);
  if (!text)
    return ctx.report(text.error());
  auto bytes = upload_bytes(*text, !o.skip_csv_validation);
  if (!bytes)
    return ctx.report(bytes.error());
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  const auto file_name = std::filesystem::path(o.input_file).filename().string();
  auto ticket = s->certificate_upload_url(file_name);
  if (!ticket)
    return ctx.report_call(ticket.error());
  const auto md5 = md5_hex(*bytes);
  if (auto put = s->put_to_signed_url(ticket->url, std::move(*bytes)); !put)
    return ctx.report_call(put.error());
  rest::CertificateRegistration r;
  r.request_id = ticket->request_id;
  r.file_name = file_name;
  r.file_md5 = md5;
  r.group_name = o.group_name;
  r.parent_group_name = o.parent_group_name;
  r.type = o.type;
  r.model = o.model;
  r.subtype = o.subtype;
  r.tags = o.tags;
  r.force = o.force;
  r.update_nodes = o.update_nodes;
  auto id = s->register_certificates(r);
  if (!id)
    return ctx.report_call(id.error());
  if (!o.wait) {
    if (ctx.json()) {
      ctx.print_json(json::serialize(json::object{{"status", "success"}, {"request_id", *id}}));
      return 0;
    }
    ctx.out() << "registration queued, request id " << *id << "\ncheck: " << ctx.program()
              << " certs devicecert getcertstatus --requestid " << *id << '\n';
    return 0;
  }
  for (int i = 0; i < kMaxWaits; ++i) {
    auto st = s->certificate_registration_status(*id);
    if (!st)
      return ctx.report_call(st.error());
    if (finished(st->status)) {
      if (ctx.json())
        ctx.print_json(json::serialize(rest::to_json(*st)));
      else
        print_status(ctx, *st);
      return st->status == "success" ? 0 : 1;
    }
    ctx.sleep(kWaitInterval);
  }
  return ctx.report(Error{errc::timeout, "registration " + *id + " still running after an hour"});
}

int cert_status(Context& ctx, const MfgOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto st = s->certificate_registration_status(o.request_id);
  if (!st)
    return ctx.report_call(st.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  print_status(ctx, *st);
  return 0;
}

int register_ca(Context& ctx, const MfgOptions& o) {
  auto pem = read_file(o.ca_file);
  if (!pem)
    return ctx.report(pem.error());
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto ca = s->register_ca_certificate(*pem);
  if (!ca)
    return ctx.report_call(ca.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "registered manufacturing CA\n"
            << key_values({{"subject", ca->subject},
                           {"fingerprint", ca->fingerprint},
                           {"not_after", format_local_time(std::chrono::system_clock::time_point(
                                                               std::chrono::seconds(ca->not_after)),
                                                           ctx.clock().now())}});
  return 0;
}

int revoke(Context& ctx, const MfgOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto count = s->revoke_node(o.node_id, o.reason);
  if (!count)
    return ctx.report_call(count.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "node " << o.node_id << " revoked (" << *count
            << " certificates); claiming it again needs: " << ctx.program()
            << " node allow_reclaim " << o.node_id << '\n';
  return 0;
}

int allow_reclaim(Context& ctx, const MfgOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto done = s->allow_node_reclaim(o.node_id); !done)
    return ctx.report_call(done.error());
  ctx.out() << "node " << o.node_id << " may be claimed again (once)\n";
  return 0;
}

int revoked(Context& ctx, const MfgOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto page = s->revoked_certificates(o.node_id, o.start, o.num_records);
  if (!page)
    return ctx.report_call(page.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  if (page->revoked.empty()) {
    ctx.out() << "no revoked certificates\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = ctx.clock().now();
  for (const auto& e : page->revoked) {
    rows.push_back(
        {e.node_id,
         format_local_time(
             std::chrono::system_clock::time_point(std::chrono::seconds(e.revoked_at)), now),
         e.method, e.serial, e.reason});
  }
  ctx.out() << render_table({"NODE ID", "REVOKED", "METHOD", "SERIAL", "REASON"}, rows);
  if (page->next_start)
    ctx.out() << "more: --start " << *page->next_start << '\n';
  return 0;
}

}  // namespace

void add_mfg_admin(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<MfgOptions>();
  auto* certs = subcommand(app, "certs", "Manufacturing: node certificates and CAs");
  auto* device = subcommand(*certs, "devicecert", "Node certificates of a production batch");

  auto* reg = device->add_subcommand(
      "register", "Register node_certs.csv: its nodes may then connect without claiming");
  reg->add_option("--inputfile", o->input_file, "node_certs.csv (node_id,certs,qrcode)")
      ->required();
  reg->add_option("--groupname", o->group_name, "Admin group the nodes join");
  reg->add_option("--parent_groupname", o->parent_group_name, "Parent of that group");
  reg->add_option("--type", o->type, "Node type");
  reg->add_option("--model", o->model, "Node model");
  reg->add_option("--subtype", o->subtype, "Node subtype");
  reg->add_option("--tags", o->tags, "Tags for every node: name:value[,name:value…]");
  reg->add_flag("--force", o->force, "Replace a node's other registered certificate");
  reg->add_flag("--update_nodes", o->update_nodes,
                "Update type/model/tags of nodes registered with the same certificate");
  reg->add_flag("--skip_csv_validation", o->skip_csv_validation,
                "Do not check locally that each certificate's CN is its node_id");
  reg->add_flag("--wait", o->wait, "Wait for the registration to finish and print its result");
  ctx.on(*reg, [&ctx, o] { return register_certs(ctx, *o); });

  auto* status = device->add_subcommand("getcertstatus", "Status of a registration request");
  status->add_option("--requestid", o->request_id, "Request id printed by register")->required();
  ctx.on(*status, [&ctx, o] { return cert_status(ctx, *o); });

  auto* ca = subcommand(*certs, "cacert", "Manufacturing CAs");
  auto* ca_reg = ca->add_subcommand(
      "register", "Register a CA: the broker accepts its certificates of registered nodes");
  ca_reg->add_option("cacertfile", o->ca_file, "The CA certificate (PEM)")->required();
  ctx.on(*ca_reg, [&ctx, o] { return register_ca(ctx, *o); });

  auto* node = subcommand(app, "node", "Administer nodes");
  auto* rev = node->add_subcommand(
      "revoke", "Revoke every certificate of a node: it is disconnected and refused");
  rev->add_option("node_id", o->node_id, "Node ID")->required();
  rev->add_option("--reason", o->reason, "Why (kept with the revocation)");
  ctx.on(*rev, [&ctx, o] { return revoke(ctx, *o); });

  auto* reclaim = node->add_subcommand(
      "allow_reclaim", "Let the next claim of a revoked node get a new certificate");
  reclaim->add_option("node_id", o->node_id, "Node ID")->required();
  ctx.on(*reclaim, [&ctx, o] { return allow_reclaim(ctx, *o); });

  auto* list = node->add_subcommand("revoked", "List revoked certificates, newest first");
  list->add_option("--node_id", o->node_id, "Only this node's");
  list->add_option("--start", o->start, "Skip this many (paging)");
  list->add_option("--num_records", o->num_records, "Page size (1–100)");
  ctx.on(*list, [&ctx, o] { return revoked(ctx, *o); });
}

}  // namespace stratus::cli::detail
