// The commands that get a node onto the cloud: getmqtthost, claim (host-driven
// claiming, spec §6.3, through node_credentials.hpp).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/files.hpp"
#include "cli/detail/groups.hpp"
#include "cli/node_credentials.hpp"
#include "client/jwt.hpp"

namespace stratus::cli::detail {
namespace {

namespace json = boost::json;

struct ClaimingOptions {
  std::string outdir;
  std::string key_type = "ecdsa";
  std::string mac;
  std::string platform = "host";
};

int mqtt_host(Context& ctx) {
  auto s = ctx.session(false);
  if (!s)
    return ctx.report(s.error());
  auto endpoint = s->mqtt_host();
  if (!endpoint)
    return ctx.report(endpoint.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> rows{{"mqtt_host", endpoint->host}};
  if (endpoint->port != 0)
    rows.emplace_back("mqtt_port", std::to_string(endpoint->port));
  ctx.out() << key_values(rows);
  return 0;
}

int claim(Context& ctx, const ClaimingOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  ClaimOptions options;
  options.key_type = o.key_type == "rsa" ? pki::KeyType::rsa_2048 : pki::KeyType::ecdsa_p256;
  options.mac_addr = o.mac;
  options.platform = o.platform;
  if (!o.outdir.empty()) {
    options.outdir = o.outdir;
  } else {
    auto claims = client::decode_token_claims(s->tokens().id_token);
    if (!claims || claims->user_id.empty()) {
      return ctx.report(
          Error{errc::unauthenticated,
                "the stored id token has no custom:user_id; " + std::string(kLoginHint), 0});
    }
    options.outdir = (*ctx.store())->dir() / "claim_data" / claims->user_id;
    options.per_node_subdir = true;
    if (auto r = ensure_private_dir((*ctx.store())->dir()); !r)
      return ctx.report(r.error());
  }
  auto creds = claim_node(*s, options);
  if (!creds)
    return ctx.report_call(creds.error());
  if (ctx.json()) {
    ctx.print_json(json::serialize(json::object{{"node_id", creds->node_id},
                                                {"mqtt_host", creds->mqtt_host},
                                                {"mqtt_port", creds->mqtt_port},
                                                {"dir", creds->dir.string()}}));
    return 0;
  }
  ctx.out() << "claimed node " << creds->node_id << '\n'
            << key_values({{"credentials", creds->dir.string()},
                           {"mqtt", creds->mqtt_host + ":" + std::to_string(creds->mqtt_port)}});
  return 0;
}

}  // namespace

void add_claiming(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ClaimingOptions>();

  ctx.on(*app.add_subcommand("getmqtthost", "Show the MQTT host (and port) nodes connect to"),
         [&ctx] { return mqtt_host(ctx); });

  auto* claim_cmd = app.add_subcommand("claim", "Claim a new node: key, certificate and node.info");
  claim_cmd->add_option("--outdir", o->outdir,
                        "Directory for the files, used as is (default "
                        "~/.config/stratus/claim_data/<user_id>/<node_id>/)");
  claim_cmd->add_option("--key_type", o->key_type, "Key type")
      ->check(CLI::IsMember({"ecdsa", "rsa"}));
  claim_cmd->add_option("--mac", o->mac, "Node MAC, 12 hex digits (random when left out)");
  claim_cmd->add_option("--platform", o->platform, "Platform reported to the server");
  ctx.on(*claim_cmd, [&ctx, o] { return claim(ctx, *o); });
}

}  // namespace stratus::cli::detail
