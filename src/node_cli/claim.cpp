// `stratus-node claim`: logs in and claims one node into a credentials directory
// (node.key, node.crt, ca.crt, node.info), as `esp-rainmaker-cli claim` does (spec §6.3).
#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

#include "cli/node_credentials.hpp"
#include "client/session.hpp"
#include "node_cli/detail/context.hpp"

namespace stratus::node_cli::detail {
namespace {

struct ClaimArgs {
  std::string server = "http://127.0.0.1:8080";
  std::string ca_file;
  std::string user_name;
  std::string outdir;
  std::string key_type = "ecdsa";
  std::string mac;
};

int claim(Context& ctx, const ClaimArgs& args) {
  auto session = client::Session::open({.url = args.server, .ca_file = args.ca_file});
  if (!session) {
    return ctx.error(session.error());
  }
  const auto pw = ctx.password();
  if (!pw) {
    return ctx.error("no password: set STRATUS_PASSWORD or run on a terminal");
  }
  if (auto ok = session->login(args.user_name, *pw); !ok) {
    return ctx.error(ok.error());
  }
  cli::ClaimOptions options;
  options.key_type = args.key_type == "rsa" ? pki::KeyType::rsa_2048 : pki::KeyType::ecdsa_p256;
  options.mac_addr = args.mac;
  options.per_node_subdir = args.outdir.empty();
  options.outdir =
      args.outdir.empty() ? std::filesystem::path(".") : std::filesystem::path(args.outdir);
  auto creds = cli::claim_node(*session, options);
  if (!creds) {
    return ctx.error(creds.error());
  }
  ctx.env().out << "claimed node " << creds->node_id << "\n"
                << "credentials in " << creds->dir.string() << " (mqtt " << creds->mqtt_host << ":"
                << creds->mqtt_port << ")\n"
                << "run it: stratus-node run --creds " << creds->dir.string() << " --model light\n";
  return 0;
}

}  // namespace

void add_claim(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ClaimArgs>();
  auto* cmd = app.add_subcommand("claim", "Claim a node: key, CSR and certificate from the server");
  cmd->add_option("--server", args->server, "Server URL")->capture_default_str();
  cmd->add_option("--ca", args->ca_file, "CA file to trust for an https server");
  cmd->add_option("--user_name", args->user_name,
                  "Account (password: STRATUS_PASSWORD or a prompt)")
      ->required();
  cmd->add_option("--outdir", args->outdir,
                  "Directory for node.key, node.crt, ca.crt, node.info (default ./<node_id>)");
  cmd->add_option("--key-type,--key_type", args->key_type, "ecdsa or rsa")
      ->check(CLI::IsMember({"ecdsa", "rsa"}))
      ->capture_default_str();
  cmd->add_option("--mac", args->mac, "MAC address sent to claim/initiate (default random)");
  ctx.on(*cmd, [&ctx, args] { return claim(ctx, *args); });
}

}  // namespace stratus::node_cli::detail
