#pragma once
/// @file
/// The pure parts of the OTA commands (`stratus-admin ota …`, `stratus otaupgrade`):
/// the options of `ota job create` → the job request, and the text people read — counts
/// by state, the per-node table, the job view, the progress line of an OTA-using-params
/// update (rainmaker-cloud.md §6, rainmaker.md §4.6). Pure; thread-safe.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/types.hpp"
#include "core/error.hpp"

namespace stratus::cli {

/// `stratus-admin ota job create` as typed (before any request).
struct OtaJobArgs {
  std::string image_id;  ///< `--image`, required
  std::string name;      ///< `--name`; empty = `default_ota_job_name`
  std::string description;
  std::string nodes;   ///< `--nodes a,b` (comma-separated node ids)
  std::string groups;  ///< `--groups g1,g2` (comma-separated group ids)
  std::string model;   ///< `--model M`: every node of this model (a dynamic target)
  std::string type;    ///< `--type T`: with `--model` only
  bool force_push = false;
  bool user_approval = false;
  std::optional<std::int64_t> priority;                 ///< 1 (highest) – 10; unset = 5
  std::optional<std::int64_t> batch_size;               ///< staged rollout: nodes per batch
  std::optional<std::int64_t> percent;                  ///< or: percent of the targets per batch
  std::optional<std::int64_t> interval_s;               ///< between batches, 0–86400 s
  std::optional<std::int64_t> stop_on_failure_percent;  ///< pause at this failure share, 0–100
};

/// "ota-<image id>-<UTC time as 20261203T101500Z>": a job name nobody chose, unique
/// per image and second.
[[nodiscard]] std::string default_ota_job_name(std::string_view image_id,
                                               std::chrono::system_clock::time_point now);

/// The request for `args`. Exactly one target kind: `--nodes`, `--groups` or `--model`
/// (`--type` only with `--model`); `--batch-size` or `--percent`, not both, and
/// `--interval`/`--stop-on-failure` only with one of them (then `rollout` is set, with
/// `interval_s` 0 and `stop_on_failure_percent` 100 unless given); `--force-push` not with
/// `--user-approval`; ranges as the server checks them (priority 1–10, batch size
/// 1–10000, percent 1–100, interval 0–86400, stop-on-failure 0–100). Errors:
/// invalid_argument naming the flag. `now` names an unnamed job.
[[nodiscard]] Result<client::NewOtaJob> new_ota_job(const OtaJobArgs& args,
                                                    std::chrono::system_clock::time_point now);

/// The counts of a job as one line: "total 10: success 3, in-progress 2, failed 1,
/// pending 4" — the states with a count above 0 in the order pending, offered,
/// in-progress, delayed, success, failed, rejected, timed_out, cancelled; "total 0" for
/// none.
[[nodiscard]] std::string ota_counts_text(const client::OtaJobCounts& counts);

/// Whether `ota job show --watch` stops at this job status: `finished`, `cancelled` or
/// `paused` (a paused rollout waits for `ota job resume`).
[[nodiscard]] bool ota_job_settled(std::string_view status) noexcept;

/// The per-node table: NODE ID, STATUS, BATCH ("-" before release), UPDATED
/// (`format_local_time`, "-" for 0), INFO ("-" when empty); "no nodes\n" for none.
[[nodiscard]] std::string ota_node_table(const std::vector<client::OtaNodeStatus>& statuses,
                                         std::chrono::system_clock::time_point now);

/// `ota job show`: the job as key/value lines (id, name, image, version, status — with
/// the pause reason —, targets, options, rollout, created), its counts line and
/// `ota_node_table`.
[[nodiscard]] std::string ota_job_view(const client::OtaJob& job,
                                       const std::vector<client::OtaNodeStatus>& statuses,
                                       std::chrono::system_clock::time_point now);

/// One progress line of `otaupgrade`: "<status>: <info>", "<status>" without info,
/// "(no status yet)" when both are empty.
[[nodiscard]] std::string ota_params_progress_line(const client::OtaParamsProgress& progress);

}  // namespace stratus::cli
