#pragma once
/// @file
/// Internal: the command groups of `stratus`, one source file each under src/cli/groups/.
/// Each `add_<group>` adds its commands (RainMaker CLI names and flags, spec rainmaker.md
/// §4.3) with their options to `app` and registers their handlers with `Context::on`;
/// the options live as long as `app`. `run` (app.cpp) calls them in this order, which is
/// the order `stratus --help` lists the commands in. Not thread-safe (one `run` at a
/// time per `app` and `ctx`). A new group is one more file and one more line here and in
/// app.cpp (or admin_app.cpp for `stratus-admin`).

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
/// tsdata <node> <Device.Param> (time series, rainmaker-cloud.md §4.1).
void add_tsdata(CLI::App& app, Context& ctx);
/// profile add|switch|list|show (local only, no server).
void add_profiles(CLI::App& app, Context& ctx);

}  // namespace stratus::cli::detail
