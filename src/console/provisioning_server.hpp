#pragma once
/// @file
/// `stratus-console provisioning-server`: the Wirepas provisioning server as a long-running
/// service (issue 22; spec wirepas.md §5.3). Connects with the console's MQTT settings,
/// subscribes `ProvisioningBackend::filters`, runs the sessions on one thread (the caller's),
/// logs every outcome (and sends it to fluentd when configured), keeps `--json-status`
/// current, and reloads `provisioning_config` when asked (SIGHUP in the app) without
/// dropping sessions: a configuration with errors is refused with every error logged and
/// the previous one kept.
///
/// Threads: the MQTT client's network thread hands messages to the caller's thread through
/// a queue; everything else runs on the caller's thread.

#include <atomic>
#include <functional>
#include <string>

#include "console/provisioning_backend.hpp"
#include "console/settings.hpp"

namespace stratus::console {

/// What `run_provisioning_server` needs.
struct ProvisioningServerOptions {
  MqttSettings mqtt;
  FluentdSettings fluentd;  ///< used when `fluentd.hostname` is set
  std::string config_path;  ///< `provisioning_config`
  std::string json_status;  ///< `--json-status` file; empty: none
  wirepas::provisioning::ServerOptions server;
  std::string client_id;  ///< MQTT client id; empty: derived from host name and pid
};

/// One log line: level name as the original prints it ("DEBUG", "INFO", "WARNING",
/// "ERROR") and the message.
using ProvisioningLog = std::function<void(std::string_view level, const std::string& message)>;

/// Runs until `*stop` becomes true, then disconnects and writes the status file a last
/// time. `*reload` (may be null) is read and cleared: when it was set the configuration
/// is read again. Errors: invalid_argument for unusable settings or a configuration
/// with errors at start (every error, one per line); not_found for an unreadable
/// configuration. A broker that is down is not an error: the client keeps retrying.
Result<ProvisioningCounters> run_provisioning_server(const ProvisioningServerOptions& options,
                                                     const ProvisioningLog& log,
                                                     const std::atomic<bool>* stop,
                                                     std::atomic<bool>* reload);

}  // namespace stratus::console
