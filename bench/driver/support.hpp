#pragma once
/// @file
/// What every `stratus-bench` scenario needs: latency statistics (stats.hpp), Prometheus scraping,
/// the bench user's session, credentials directories, process figures from /proc.
/// Blocking helpers for a measuring tool; nothing here is on a hot path.

#include <sys/types.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/node_credentials.hpp"
#include "client/session.hpp"
#include "core/error.hpp"
#include "proc_stat.hpp"
#include "sim/swarm.hpp"
#include "stats.hpp"

namespace stratus::bench {

/// Where the server is and who the bench user is.
struct Target {
  std::string server;    ///< http://127.0.0.1:<port>
  std::string data_dir;  ///< the server's data dir (verification codes come from its outbox)
  std::string user;      ///< bench account
  std::string password;  ///< its password
  std::string mqtt_host = "127.0.0.1";
  std::uint16_t mqtt_port = 0;  ///< device listener; 0 = the port in each node.info
  std::string ca_file;          ///< CA to trust when `server` is https (pki/ca.crt)
};

/// A session on `target.server` (not logged in). Errors: those of `client::Session::open`.
Result<client::Session> open_session(const Target& target);

/// A session logged in as the bench user, signing the user up first when the server does
/// not know it (the verification code is read from `<data_dir>/outbox`). Errors: the
/// session's, or not_found when no code was mailed.
Result<client::Session> bench_session(const Target& target);

/// The value of one Prometheus series, e.g. `stratus_ingest_events_total` or
/// `stratus_link_messages_total{kind="params"}`, from a `/metrics` page; nullopt if absent.
std::optional<double> metric_value(std::string_view page, std::string_view series);

/// The buckets of the Prometheus histogram `name` (a series without labels of its own, e.g.
/// `stratus_ingest_interactive_wait_seconds`) on a `/metrics` page: (upper bound `le`,
/// cumulative count) in the page's order, `+Inf` as infinity; empty if absent.
std::vector<std::pair<double, double>> metric_histogram(std::string_view page,
                                                        std::string_view name);

/// What the histogram `name` counted between two `/metrics` pages of one process: `count`,
/// `mean_ms`, the bucket bounds under which half and 99 % of the observations fell
/// (`p50_le_ms`, `p99_le_ms`; "+Inf" above every bound) and the shares over 5, 10 and 25 ms
/// (`over_5ms`, …; −1 where no bucket ends there). `{"count": 0}` when nothing was counted
/// or either page lacks it.
boost::json::object histogram_window(std::string_view before, std::string_view after,
                                     std::string_view name);

/// `GET /metrics` over `session` (unauthenticated). Errors: the session's.
Result<std::string> scrape_metrics(client::Session& session);

/// The credentials directory of node `i` in a swarm layout: `<dir>/node-<i, 5 digits>`,
/// as `stratus-node swarm --creds-dir` uses it.
std::filesystem::path node_dir(const std::filesystem::path& dir, std::size_t i);

/// Loads nodes 0..count-1 of a swarm credentials directory, connecting to `target`'s MQTT
/// host and port (the port in node.info is from the run that claimed them). Errors: those
/// of `cli::load_node_credentials`.
Result<std::vector<sim::SwarmNode>> load_swarm_nodes(const std::filesystem::path& dir,
                                                     std::size_t count, const Target& target);

/// The pid in `<data_dir>/runtime.json` (the running stratusd's); 0 if unreadable.
pid_t server_pid(const std::string& data_dir);

}  // namespace stratus::bench
