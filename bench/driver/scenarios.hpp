#pragma once
/// @file
/// The load scenarios `stratus-bench` drives against a running stratusd (bench/README.md).
/// Each returns the `params` and `results` objects of a result file; `bench/run` adds the
/// scenario name and the machine. Scenarios that need nothing but a process and a URL
/// (`rest` with wrk, `connections` with `stratus-node swarm`) are orchestrated in bench/run.

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "support.hpp"

namespace stratus::bench {

/// What a scenario measured: the parameters it ran with and its figures.
struct ScenarioOutput {
  boost::json::object params;
  boost::json::object results;
};

/// `claim`: certificates issued through `/claim/initiate` + `/claim/verify`.
struct ClaimArgs {
  Target target;
  std::string creds_dir;  ///< nodes go to `<creds_dir>/node-<i>`; existing ones are kept
  std::size_t count = 0;  ///< nodes 0..count-1 must exist afterwards
  int threads = 2;        ///< concurrent claimers, one session (one login) each
};

/// Claims the missing nodes of `creds_dir` with `threads` sessions in parallel. Results:
/// `claimed`, `elapsed_s` (claims only, logins excluded), `certs_per_s` (0 when nothing
/// was missing). Errors: login or claim failures (the first one).
Result<ScenarioOutput> run_claim(const ClaimArgs& args);

/// `prepare`: the bench user and nodes mapped to it (for `rest` and `control`).
struct PrepareArgs {
  Target target;
  std::string mapped_dir;  ///< credentials of the mapped nodes, swarm layout
  std::size_t count = 1;   ///< mapped nodes 0..count-1
};

/// Signs the bench user up if needed, claims and maps the nodes of `mapped_dir` (each runs
/// as a virtual light until its params are visible), then stops them. Results: `user_id`,
/// `access_token` (valid for the server's token lifetime), `node_ids`.
Result<ScenarioOutput> run_prepare(const PrepareArgs& args);

/// `ingest`: committed params reports per second against the raw broker ceiling.
struct IngestArgs {
  Target target;
  std::string creds_dir;     ///< swarm credentials (claimed beforehand)
  std::size_t count = 1000;  ///< swarm nodes
  double duration_s = 20;    ///< measured window, per phase
  double warmup_s = 5;       ///< after every node has connected, before the window
  int max_in_flight = 8;     ///< unacknowledged reports per node
  std::string model = "switch";
  std::uint16_t raw_port = 0;  ///< device port of the second mosquitto; 0 = skip the raw phase
  std::uint16_t raw_backend_port = 0;  ///< its backend listener
  std::string backend_password_file;   ///< pki/backend.secret
  std::string mapped_dir;              ///< the probe node (mapped node 0); empty = no probe
  double probe_rate = 10;              ///< probe reports per second
  /// How the probe's value is found visible: false (default) waits for the node's params
  /// event on a WebSocket stream, then confirms with one GET; true polls GET every 1 ms
  /// from the report on (the method before 2026-12-05, session 12).
  bool visible_by_poll = false;
  /// Flow control: reports sent and not yet taken by the subscriber (raw) or the link
  /// (stratusd), at most; under mosquitto's per-subscriber queue of 1000 so it never drops.
  double backlog_limit = 600;
  /// Flow control, stratusd phase: reports sent and not yet committed, at most.
  double committed_backlog_limit = 20000;
  /// More instances of a cluster sharing the ingest (docs/scale-out.md), as URLs: their
  /// /metrics are added to `target`'s.
  std::vector<std::string> other_servers;
};

/// Two phases with the same swarm load (as fast as the consumer behind the broker takes it,
/// steered every 100 ms, and `max_in_flight` per node; see `backlog_limit`): first
/// against the second mosquitto with a plain subscriber on its backend listener (the raw
/// broker ceiling, `raw_broker_msgs_per_s`), then against stratusd, whose
/// `stratus_ingest_events_total` gives `updates_per_s`; `ratio` = updates / raw. During the
/// stratusd window a mapped probe node reports a unique value `probe_rate` times a second;
/// once its params event carries the value, `GET /v1/user/nodes/params` confirms it (polled
/// every 1 ms should it not show yet; with `visible_by_poll`, polled from the report on):
/// `p50_ms`/`p99_ms` are that report → visible latency, an upper bound of report →
/// committed.
Result<ScenarioOutput> run_ingest(const IngestArgs& args);

/// `events`: the cost of many event-stream clients to ingest, and report → event latency.
struct EventsArgs {
  /// The flood, as `ingest` (its probe unused); with `raw_port`, phase 1 also measures the
  /// raw ceiling, and `model` picks the swarm's nodes (a time-series model stores points).
  IngestArgs ingest;
  std::string mapped_dir;      ///< mapped lights' credentials (claimed and mapped if missing)
  std::size_t clients = 1000;  ///< WebSocket clients of the bench user
  std::size_t mapped = 10;     ///< mapped lights reporting in the latency phase
  std::size_t watchers_per_node = 2;  ///< clients following each mapped light; the rest: alerts
  double report_rate = 1000;          ///< latency phase: reports per second, all lights
  double latency_s = 10;              ///< latency phase length
};

/// Three phases: the `ingest` flood with no stream open (`updates_per_s_alone`); the same
/// flood with `clients` streams open (`updates_per_s_with_clients`; `ratio` = with /
/// alone); then, the flood stopped and the streams still open, the mapped lights report a
/// unique `Light.Name` at `report_rate` and each following client times the report → event
/// read (`p50_ms`, `p99_ms`, over every delivery). Clients `i < mapped ×
/// watchers_per_node` follow light `i % mapped` (`node_ids` filter); the others ask for
/// alerts only, so they cost the hub a check per event but receive nothing. With a raw
/// broker, phase 1 first measures its ceiling: `raw_broker_msgs_per_s` and
/// `ratio_to_raw_alone` / `ratio_to_raw_with_clients` (updates / raw).
Result<ScenarioOutput> run_events(const EventsArgs& args);

/// `control`: REST set → node → report → visible in GET, at fixed rates.
struct ControlArgs {
  Target target;
  std::string mapped_dir;          ///< mapped nodes (from `prepare`)
  std::size_t nodes = 32;          ///< nodes used, a multiple of `workers`
  int workers = 16;                ///< concurrent operations at most
  std::vector<double> rates{200};  ///< operations per second, run in this order
  double duration_s = 10;          ///< per rate
  double p99_limit_ms = 50;        ///< a rate "holds" while p99 stays under this
  double timeout_ms = 2000;        ///< an operation not visible by then fails
  /// Background ingest (issue 24 item 3): swarm credentials; empty = an idle server.
  std::string ingest_creds_dir;
  std::size_t ingest_count = 1000;  ///< swarm nodes
  int ingest_max_in_flight = 8;     ///< unacknowledged reports per node
  /// The background's offered rate, as a fraction of the maximum measured first.
  double ingest_fraction = 0.8;
  double ingest_max_s = 15;  ///< window that measures the maximum (after a 5 s warm-up)
  /// Once the maximum is measured (at normal priority), the background swarm's thread
  /// offers the fixed rate under SCHED_IDLE: the simulated devices stand for hardware of
  /// their own and take no time slice the server or the control client wants. False: the
  /// swarm competes at normal priority throughout.
  bool ingest_idle_priority = true;
  /// How "visible" is found: false (default) waits for the node's params event on a
  /// WebSocket stream, then confirms with one GET; true polls GET from the start.
  bool visible_by_poll = false;
  /// With background ingest: the second mosquitto's device and backend ports (0 = no
  /// broker floor) and the backend password file (`pki/backend.secret`).
  std::uint16_t raw_port = 0;
  std::uint16_t raw_backend_port = 0;
  std::string backend_password_file;
};

/// For each rate, an open-loop schedule of operations (one every 1/rate s; latency counts
/// from the scheduled time, so a slow server cannot hide its queueing): `PUT
/// /v1/user/nodes/params` sets `Light.Name` to a unique value on a mapped virtual light;
/// the light applies it and re-reports; once the node's params event (one WebSocket stream
/// per node) carries the value, `GET /v1/user/nodes/params` confirms it (polled every 0.5 ms,
/// doubling up to 2 ms, until the value shows; with `visible_by_poll` the polling starts as
/// soon as the node has the set). Results per rate: latency
/// stats of the whole operation and of its two halves (set → node, node → visible),
/// failures; overall the first rate's `p50_ms`/`p99_ms`/`max_ms` and
/// `max_rate_p99_under_limit`. Stops early after the first rate over the limit.
///
/// With `ingest_creds_dir`, a swarm first floods stratusd under the `ingest` scenario's
/// flow control for a 5 s warm-up and `ingest_max_s` (its committed updates/s there is the
/// maximum), then offers `ingest_fraction` of that maximum at a fixed rate while the control
/// rates run; `background` in the results gives the maximum, the offered rate, the
/// committed rate during the control phase and the ingest queue at its end. The swarm runs
/// under SCHED_IDLE unless `ingest_idle_priority` is false (`params.background_swarm_priority`).
/// With `raw_port` too, `broker_floor` follows: the first rate's operation without stratusd
/// (a backend client of the second mosquitto publishes the set and receives the light's
/// answer) while the same swarm offers that broker, at a fixed rate, what stratusd
/// committed during the run, with nobody subscribed to it — the latency no server behind
/// this broker can go under on this machine at this load. Each rate and the floor record
/// the steal of their window (`steal_percent`); each rate lists its 20 slowest operations
/// in schedule order with their steps (`slowest`).
Result<ScenarioOutput> run_control(const ControlArgs& args);

/// `cmdresp`: a command request → the node's answer stored, at a fixed rate.
struct CmdRespArgs {
  Target target;
  std::string mapped_dir;  ///< mapped nodes (from `prepare`)
  std::size_t nodes = 32;  ///< nodes used, a multiple of `workers`
  int workers = 16;        ///< concurrent requests at most
  double rate = 100;       ///< requests per second
  double duration_s = 10;
  double timeout_ms = 5000;  ///< a request not answered (stored) by then fails
};

/// Open-loop schedule (latency counts from the scheduled time): `POST /v1/user/nodes/cmd`
/// with the virtual light's `configure` command (0x1003, `{"bench":"<unique>"}`) to one
/// node, then `GET /v1/user/nodes/cmd?request_id=` polled every 0.5 ms until its status is
/// `success`. Results: `p50_ms`, `p99_ms`, `max_ms` of request → answer stored, the POST
/// alone, failures.
Result<ScenarioOutput> run_cmdresp(const CmdRespArgs& args);

/// `ota`: one OTA job updating a swarm's firmware, against the download ceiling.
struct OtaArgs {
  Target target;
  std::string creds_dir;     ///< swarm credentials (claimed beforehand)
  std::size_t count = 1000;  ///< swarm nodes, all targeted by the job
  std::string admin_user;    ///< a super-admin (`stratusd user add --admin`)
  std::string admin_password;
  std::size_t image_bytes = 1024 * 1024;  ///< application bytes of the image
  std::int64_t batch_size = 100;          ///< rollout batch
  int download_workers = 8;               ///< the swarm's concurrent downloads (and the ceiling's)
  std::string model = "switch";
  double timeout_s = 1200;  ///< the job must end within this
  std::string ota_dir;      ///< where the swarm downloads (one file per node)
};

/// A swarm of `count` nodes with OTA connects; once all are connected an image of
/// `image_bytes` (project = model, a new version) is uploaded and a force-push job with
/// `batch_size` batches targets every node. The job is polled each second until every node
/// ended; stratusd's RSS is sampled then too. Then the ceiling: the same download pool
/// fetches the image from the admin download URL `min(count, 200)` times with nothing else
/// running. Results: `job_s` (job created → every node ended), `nodes_per_s`,
/// `download_mb_per_s` (image bytes × updated nodes / job_s), `ceiling_mb_per_s`, `ratio`,
/// per-state counts, the swarm's counters, stratusd `rss_before_kib`, `rss_peak_kib`,
/// `rss_after_kib`, `cpu_s`. Errors: setup failures, or a job that does not end in time.
Result<ScenarioOutput> run_ota(const OtaArgs& args);

}  // namespace stratus::bench
