#pragma once
/// @file
/// Internal: the command groups of `stratus`, one source file each under src/cli/groups/.
/// Each `add_<group>` adds its commands (RainMaker CLI names and flags, spec rainmaker.md
/// §4.3) with their options to `app` and registers their handlers with `Context::on`;
/// the options live as long as `app`. `run` (app.cpp) calls them in this order, which is
/// the order `stratus --help` lists the commands in. Not thread-safe (one `run` at a
/// time per `app` and `ctx`). A new group is one more file and one more line here and in
/// app.cpp (or admin_app.cpp for `stratus-admin`).

#include <string>
#include <string_view>

#include "client/types.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace stratus::cli::detail {

class Context;

/// signup, login, logout, forgotpassword, getuserinfo.
void add_account(CLI::App& app, Context& ctx);
/// login, logout: the part of `add_account` that `stratus-admin` shares (account.cpp).
void add_login_logout(CLI::App& app, Context& ctx);
/// getnodes, getnodedetails, getnodeconfig, getnodestatus.
void add_nodes(CLI::App& app, Context& ctx);
/// getparams, setparams.
void add_params(CLI::App& app, Context& ctx);
/// create_cmd_request, get_cmd_requests (command-response, spec §3.5).
void add_cmd_requests(CLI::App& app, Context& ctx);
/// removenode, test --addnode (user-node mapping).
void add_mapping(CLI::App& app, Context& ctx);
/// getmqtthost, claim (host-driven claiming, spec §6.3).
void add_claiming(CLI::App& app, Context& ctx);
/// node add-tags|remove-tags|set-metadata|delete-metadata.
void add_tags_metadata(CLI::App& app, Context& ctx);
/// watch (the live event stream), alerts (a node's stored alerts), webhook add|list|remove.
void add_events(CLI::App& app, Context& ctx);
/// sharing add_user|remove_user|accept|decline|cancel|list_nodes|list_requests.
void add_sharing(CLI::App& app, Context& ctx);
/// group add|remove|edit|list|show|add-nodes|remove-nodes|list-nodes|sharing ….
void add_node_groups(CLI::App& app, Context& ctx);
/// The sharing verbs under `parent`: node sharing (`sharing …`, the RainMaker CLI's
/// names) or group sharing (`group sharing add|remove|accept|decline|cancel|list|
/// list-requests`). Implemented in sharing.cpp.
void add_sharing_commands(CLI::App& parent, Context& ctx, client::SharingKind kind);
/// automations add|get|edit|remove (cloud automations, rainmaker-cloud.md §3).
void add_automations(CLI::App& app, Context& ctx);
/// otaupgrade <node> <file> (OTA using params, rainmaker.md §4.6; otaupgrade.cpp).
void add_otaupgrade(CLI::App& app, Context& ctx);
/// `stratus-admin ota …`: images (upload, images, image, archive, delete) and jobs (job
/// create|list|show|cancel|resume) (rainmaker-cloud.md §6.2, §6.3; ota_admin.cpp).
void add_ota_admin(CLI::App& app, Context& ctx);
/// `stratus-admin certs devicecert generate` (manufacturing batches, rainmaker.md §7;
/// certs.cpp).
void add_certs(CLI::App& app, Context& ctx);
/// `stratus-admin certs devicecert register|getcertstatus`, `certs cacert register`, `node
/// revoke|allow_reclaim|revoked` (docs/adr/0014; mfg_admin.cpp). Adds to existing `certs` and
/// `node` groups when another file made them.
void add_mfg_admin(CLI::App& app, Context& ctx);
/// stratus-admin node list|show|unmap|set-primary, user list|disable|enable|quota, audit
/// (fleet_admin.cpp). Finds or creates the `node` and `user` groups, so other admin
/// commands (e.g. `node revoke`) may add to them before or after.
void add_fleet_admin(CLI::App& app, Context& ctx);
/// stratus-admin wirepas gateway add|operator add|list|remove (wirepas_admin.cpp;
/// docs/adr/0018).
void add_wirepas_admin(CLI::App& app, Context& ctx);
/// tsdata <node> <Device.Param> (time series, rainmaker-cloud.md §4.1).
void add_tsdata(CLI::App& app, Context& ctx);
/// provision <pop> --transport softap|on-network … (protocomm provisioning and user-node
/// mapping, rainmaker-device.md §1-§4; provision.cpp).
void add_provision(CLI::App& app, Context& ctx);

/// The local-control flags of getparams, setparams and getnodeconfig (the RainMaker CLI's
/// `--local --pop --transport --port --sec_ver`, plus `--device-address`).
struct LocalFlags {
  bool local = false;              ///< `--local`: talk to the node, not the cloud
  std::string device_address;      ///< `--device-address HOST:PORT`; empty = `<node>.local:<port>`
  int port = 8080;                 ///< `--port` (the CLI's default)
  std::string pop;                 ///< `--pop`
  int sec_ver = -1;                ///< `--sec_ver`; -1 = from `esp_local_ctrl/version`
  std::string transport = "http";  ///< `--transport` (only http)
};
/// Adds the local-control flags to `command` (local_ctrl.cpp).
void add_local_flags(CLI::App& command, LocalFlags& flags);
/// `getparams|getnodeconfig <node> --local`: prints local-control property `property`
/// ("params", "config") as JSON. Returns the exit status.
int local_get(Context& ctx, const std::string& node_id, const LocalFlags& flags,
              std::string_view property);
/// `setparams <node> --local`: writes `payload` (a JSON object) to property `params`.
int local_set_params(Context& ctx, const std::string& node_ids, const LocalFlags& flags,
                     const std::string& payload);

/// profile add|switch|list|show (local only, no server).
void add_profiles(CLI::App& app, Context& ctx);

}  // namespace stratus::cli::detail
