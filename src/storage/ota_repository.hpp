#pragma once
/// @file
/// Storage port for OTA firmware images, jobs and each targeted node's state (issue 17,
/// docs/adr/0013; rainmaker-cloud.md §6). The image bytes are not here: they are files
/// named by their SHA-256 (`service::OtaImageStore`). Times: `_ms` Unix milliseconds.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// One stored image.
struct OtaImageRecord {
  std::string image_id;
  std::string image_name;
  std::string sha256;  ///< 64 lower-case hex digits: the file's name
  std::string md5;     ///< 32 lower-case hex digits (the firmware's resume key)
  std::int64_t size = 0;
  std::string model, type;  ///< what the uploader declared it is for (may be empty)
  std::string fw_version, project_name, chip;  ///< from the image header
  std::int64_t secure_version = 0;
  std::string signature;  ///< optional detached signature, base64
  std::string uploaded_by;
  bool user_image = false;
  bool archived = false;
  std::int64_t created_ms = 0;
};

/// One job. `status`: active | paused | cancelled | finished.
struct OtaJobRecord {
  std::string job_id;
  std::string job_name;
  std::string image_id;
  std::string description;
  std::string status = "active";
  std::string pause_reason;
  std::string nodes_json = "[]";   ///< the requested node ids
  std::string groups_json = "[]";  ///< the requested group ids
  std::string node_model, node_type;
  std::int64_t priority = 5;
  bool force_push = false;
  bool user_approval = false;
  std::string metadata_json;
  bool has_rollout = false;
  std::optional<std::int64_t> rollout_batch;    ///< nodes per batch, resolved
  std::optional<std::int64_t> rollout_percent;  ///< as requested
  std::int64_t rollout_interval_s = 0;
  std::int64_t rollout_stop_percent = 100;
  std::int64_t batches_released = 0;
  std::int64_t next_batch_ms = 0;
  std::string created_by;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

/// One node's state in one job. `status`: pending | offered | in-progress | delayed |
/// success | failed | rejected | timed_out | cancelled. `batch` 0: not released yet.
struct OtaJobNodeRecord {
  std::string job_id;
  std::string node_id;
  std::string status = "pending";
  std::int64_t batch = 0;
  std::string additional_info;
  std::string ts_source = "CLOUD";
  std::int64_t updated_ms = 0;
  /// The primary user who approved the update (a job with `user_approval`); empty when
  /// nobody has. The approval holds only while that user is still the node's primary
  /// user and not disabled. `set_job_node` writes it only when set (an approval) and
  /// clears it with `pending`; other writes keep what is stored, so a write from an
  /// older read does not undo an approval made meanwhile.
  std::string approved_by;
};

/// What a node may be offered: an active job that released it, with its image.
struct OtaOffer {
  OtaJobRecord job;
  OtaImageRecord image;
  OtaJobNodeRecord node;
};

/// A node as the targeting sees it (from its latest `config`).
struct OtaTargetNode {
  std::string node_id;
  std::string model, type, fw_version, platform;
  bool connected = false;  ///< the node is online now
};

/// Counts by node status in one job.
struct OtaStatusCount {
  std::string status;
  std::int64_t count = 0;
};

/// Thread-safe; every call may block and may fail with errc::unavailable.
class OtaRepository {
 public:
  virtual ~OtaRepository() = default;

  // --- images --------------------------------------------------------------------
  virtual Result<void> add_image(const OtaImageRecord& image) = 0;
  /// nullopt: no such image.
  virtual Result<std::optional<OtaImageRecord>> image(std::string_view image_id) = 0;
  /// Images by id from `start_id` (inclusive), at most `limit`; archived ones only when
  /// `include_archived`; user images only when `include_user_images`.
  virtual Result<std::vector<OtaImageRecord>> images(std::string_view start_id, std::size_t limit,
                                                     bool include_archived,
                                                     bool include_user_images) = 0;
  /// Whether some image row names the file `sha256` (then the file must stay).
  virtual Result<bool> sha256_in_use(std::string_view sha256) = 0;
  virtual Result<void> set_image_archived(std::string_view image_id, bool archived) = 0;
  /// Deletes the image row. Errors: not_found; conflict when an active or paused job uses
  /// it (checked in the same transaction). Answers whether another image row still names
  /// the same file (then the file must stay).
  virtual Result<bool> remove_image(std::string_view image_id) = 0;

  // --- jobs ----------------------------------------------------------------------
  /// Inserts the job and one `pending` row (batch 0) per node of `node_ids`, atomically.
  /// Errors: already_exists when the job name is taken.
  virtual Result<void> create_job(const OtaJobRecord& job,
                                  const std::vector<std::string>& node_ids) = 0;
  virtual Result<std::optional<OtaJobRecord>> job(std::string_view job_id) = 0;
  /// Jobs by id from `start_id`, at most `limit`.
  virtual Result<std::vector<OtaJobRecord>> jobs(std::string_view start_id, std::size_t limit) = 0;
  /// Jobs in state active (the rollout's and the sweep's work list).
  virtual Result<std::vector<OtaJobRecord>> active_jobs() = 0;
  /// Writes `job`'s status, pause_reason, next_batch_ms and updated_ms if the stored job
  /// is still in `expected_status` (a compare-and-set: a sweep that read the job active
  /// does not bring back one cancelled meanwhile). `batches_released` is written only by
  /// `release_batch`. Errors: conflict when the stored status differs; not_found when
  /// there is no such job; nothing changes then.
  virtual Result<void> update_job(const OtaJobRecord& job, std::string_view expected_status) = 0;
  /// Marks the job cancelled and every node of it not yet finished (pending, offered,
  /// in-progress, delayed) `cancelled`, atomically. Answers the node ids cancelled.
  virtual Result<std::vector<std::string>> cancel_job(std::string_view job_id,
                                                      std::int64_t now_ms) = 0;
  virtual Result<std::vector<OtaStatusCount>> status_counts(std::string_view job_id) = 0;
  /// Released nodes of the job that finished, by status (for the rollout's failure rate).
  virtual Result<std::vector<OtaStatusCount>> released_counts(std::string_view job_id) = 0;
  /// Releases up to `count` unreleased nodes (batch 0, ordered by node id) into `batch`
  /// and records `batch` as the job's `batches_released`, `next_batch_ms` (ms since the
  /// epoch) and `updated_ms`, atomically, if the job is `active` and its
  /// `batches_released` was `batch - 1`; answers the node ids released. Errors: conflict
  /// when it was not (another sweep, the job's creation or a resume released it first, or
  /// the job was paused, cancelled or finished meanwhile) or there is no such job;
  /// nothing changes then.
  virtual Result<std::vector<std::string>> release_batch(std::string_view job_id,
                                                         std::int64_t batch, std::int64_t count,
                                                         std::int64_t next_batch_ms,
                                                         std::int64_t updated_ms) = 0;

  // --- job nodes -----------------------------------------------------------------
  /// Node states of a job by node id from `start_node_id`, at most `limit`; only
  /// `node_id`'s when not empty.
  virtual Result<std::vector<OtaJobNodeRecord>> job_nodes(std::string_view job_id,
                                                          std::string_view node_id,
                                                          std::string_view start_node_id,
                                                          std::size_t limit) = 0;
  /// Writes status, additional_info, ts_source and updated_ms of one row when its
  /// current status is one of `from` (empty: any) and, if `updated_before` is given, its
  /// updated_ms (ms since the epoch) is still below it (the sweep times out only a node
  /// that has sent no news since it was read). Answers whether a row changed.
  virtual Result<bool> set_job_node(const OtaJobNodeRecord& state,
                                    const std::vector<std::string>& from,
                                    std::optional<std::int64_t> updated_before = {}) = 0;
  /// Offers that apply to the node: active jobs that released it (batch > 0) in state
  /// pending, offered, in-progress, delayed or failed, highest priority (lowest number)
  /// first, then oldest.
  virtual Result<std::vector<OtaOffer>> offers_for_node(std::string_view node_id) = 0;
  /// Node rows of `statuses` updated before `before_ms` in active jobs (the sweep).
  virtual Result<std::vector<OtaJobNodeRecord>> stale_job_nodes(
      const std::vector<std::string>& statuses, std::int64_t before_ms) = 0;

  // --- targeting -----------------------------------------------------------------
  /// Nodes known to the cloud among `node_ids`, plus the nodes of `group_ids` (and their
  /// sub-groups), plus, when `model` is not empty, every node of that model (and `type`
  /// when not empty); each once, ordered by node id.
  virtual Result<std::vector<OtaTargetNode>> target_nodes(const std::vector<std::string>& node_ids,
                                                          const std::vector<std::string>& group_ids,
                                                          std::string_view model,
                                                          std::string_view type) = 0;
  /// The node's model, type, fw_version and platform; nullopt for an unknown node.
  virtual Result<std::optional<OtaTargetNode>> target_node(std::string_view node_id) = 0;
};

}  // namespace stratus::storage
