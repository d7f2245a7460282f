#pragma once
/// @file
/// OTA firmware updates (issue 17, docs/adr/0013; spec rainmaker.md §1.3, rainmaker-cloud.md
/// §6, rainmaker-device.md §8): images, jobs with staged rollout, and the node side of the
/// "OTA using topics" protocol.
///
/// - Images are checked (ESP structure, checksum, header against what the uploader declared)
///   and stored content-addressed by the `OtaImageStore`; rows in `OtaRepository`.
/// - A job targets nodes, groups (with sub-groups) or a model/type filter; nodes whose
///   reported model, type or chip does not match the image are left out at creation and
///   refused again at every offer. Each targeted node moves `pending → offered →
///   in-progress → success | failed | rejected | timed_out | cancelled` (`delayed` when the
///   node says so).
/// - Nodes are released in batches (`rollout`): the next batch waits until every node of
///   the previous one finished, `interval_s` passed, and the previous batch's failure share
///   is below `stop_on_failure_percent`; otherwise the job pauses with a reason.
/// - `otafetch` is answered on `otaurl` with the highest-priority offer that applies (a
///   node already running the image's version is marked `success` instead); with
///   `force_push` the offer is pushed when a batch is released and whenever a released node
///   comes online, and again by the sweep to an online node still `pending` after
///   `lost_push_grace` (that push was lost: a restart, a failover, a full queue).
///   `otastatus` updates the node's row; a `config` whose `fw_version` is the image's
///   confirms `success` even when the final `otastatus` was lost.
/// - The download URL is signed for one node and one image (`OtaDownloadSigner`) and
///   checked again at download time: a cancelled job or a finished node gets nothing.
///
/// Node messages, connectivity and config events are handled on the service's runner
/// thread (never on the MQTT or ingest threads); so are the rollout and the timeout sweep
/// (every `poll`). All state is in the database: a restarted stratusd resumes its jobs.
///
/// Metrics: `stratus_ota_offers_total{how}` (`fetch`, `push`),
/// `stratus_ota_node_status_total{status}`, `stratus_ota_dropped_total{reason}` (`queue_full`,
/// `unknown_job`, `job_inactive`, `storage`), `stratus_ota_downloads_total{outcome}` (`granted`,
/// `refused`).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "proto/payloads.hpp"
#include "proto/rest/ota.hpp"
#include "service/account_service.hpp"
#include "service/audit.hpp"
#include "service/cluster.hpp"
#include "service/event_hub.hpp"
#include "service/node_messenger.hpp"
#include "service/ota_download_token.hpp"
#include "service/ota_image_store.hpp"
#include "storage/access_repository.hpp"
#include "storage/ota_repository.hpp"

namespace stratus::service {

/// Limits and timings (config section `ota`).
struct OtaOptions {
  std::uint64_t max_image_bytes = 200ull << 20;   ///< largest image accepted
  std::chrono::seconds url_lifetime{3600};        ///< a node's download URL
  std::chrono::seconds user_url_lifetime{86400};  ///< a user's image URL (spec: 24 h)
  std::chrono::seconds node_timeout{
      3600};  ///< offered/in-progress/delayed without news → timed_out
  /// A `failed` node may still retry (the firmware refetches after 5 min); the job counts it
  /// as finished only after this long without news.
  std::chrono::seconds failed_grace{900};
  /// A released node of a `force_push` job still `pending` this long after its release (or
  /// its last push) while online is pushed again by the sweep: the push that follows a
  /// release is lost when the process stops or dies, or its work queue is full.
  std::chrono::seconds lost_push_grace{60};
  std::chrono::milliseconds poll{1000};  ///< rollout and timeout sweep period
  std::size_t queue_limit = 100000;      ///< node messages waiting for the runner
  /// Node rows of a job read at a time by the sweep and by a push of a job: every row is
  /// read, a page at a time, however many nodes the job has.
  std::size_t sweep_page = 10000;
  /// Who runs the rollout and timeout sweep (docs/adr/0021); null: a sole instance,
  /// always. Node messages are handled by whichever instance received them.
  const Leadership* leadership = nullptr;
};

/// An image upload's declared facts (admin: all optional; the header fills the rest).
struct OtaImageDeclaration {
  std::string image_name;
  std::optional<std::string> fw_version;
  std::optional<std::string> project_name;
  std::string model;
  std::string type;
  std::string signature;  ///< optional detached signature, base64, stored as given
};

/// What the download route serves.
struct OtaDownload {
  std::string path;  ///< the image file
  std::int64_t size = 0;
  std::string sha256;
};

/// Thread-safe. REST calls block (database, disk): call them from the blocking pool.
class OtaService {
 public:
  /// Every reference must outlive the service. `signer` is null when downloads cannot be
  /// offered (no HTTPS and plain HTTP not allowed): then jobs are refused with 105101.
  /// Image uploads, archiving and deletion, job creation, cancel and resume, and update
  /// approvals are recorded in `audit` (`ota.*`, docs/adr/0015).
  OtaService(storage::OtaRepository& repository, storage::AccessRepository& access,
             OtaImageStore& store, NodeMessenger& messenger, EventHub& hub,
             std::shared_ptr<const OtaDownloadSigner> signer, const Clock& clock,
             MetricsRegistry& metrics, OtaOptions options, AuditLog& audit);
  ~OtaService();
  OtaService(const OtaService&) = delete;
  OtaService& operator=(const OtaService&) = delete;

  /// Subscribes to connectivity and config events and starts the runner. Idempotent.
  void start();
  /// Stops the runner; queued node messages are dropped (nodes fetch again). Idempotent.
  void stop();
  /// Blocks until the runner handled everything queued before the call (tests). False on
  /// timeout.
  bool flush(std::chrono::milliseconds timeout);
  /// One rollout/timeout sweep on the caller's thread (tests with a manual clock).
  void sweep_now();

  // --- images (super-admin, except `add_user_image`) ------------------------------
  /// Adds an image from an uploaded file (moved into the store) or from bytes. Errors:
  /// forbidden (not a super-admin), the `ota_image_error` codes (name, structure, size,
  /// `declared_mismatch` when a declared fw_version or project differs from the header).
  Result<proto::rest::OtaImage> add_image(const Principal& who, const std::string& file_path,
                                          const OtaImageDeclaration& declared);
  /// `POST v1/admin/otaimage` with `base64_fwimage` (≤ 5 MB).
  Result<proto::rest::OtaImage> add_base64_image(const Principal& who,
                                                 const proto::rest::OtaImageUpload& upload);
  /// `POST v1/user/otaimage` (the RainMaker CLI's OTA-using-params flow): any user who is
  /// the primary user of at least one node; the answer's `image_url` is valid for
  /// `user_url_lifetime`. Errors: `user_upload_forbidden`, as `add_base64_image`.
  Result<proto::rest::OtaImage> add_user_image(const Principal& who,
                                               const proto::rest::OtaImageUpload& upload);
  /// Images by id (`include_archived`), user images included only for super-admins.
  Result<proto::rest::OtaImagePage> list_images(const Principal& who, std::string_view start_id,
                                                std::size_t limit, bool include_archived);
  /// One image with an `image_url` valid for `user_url_lifetime`. Errors: `not_found`.
  Result<proto::rest::OtaImage> get_image(const Principal& who, std::string_view image_id);
  Result<void> archive_image(const Principal& who, std::string_view image_id, bool archived);
  /// Errors: `not_found`, `in_use` while an active or paused job uses it.
  Result<void> delete_image(const Principal& who, std::string_view image_id);

  // --- jobs (super-admin) --------------------------------------------------------
  /// Validates (the `ota_job_error` codes), resolves the targets, stores the job and
  /// releases its first batch (pushed at once with `force_push`). Returns the job id.
  /// Once the job is stored the call succeeds: a first release that fails (storage) is
  /// left to the sweep, which releases it at its next run.
  Result<std::string> create_job(const Principal& who, const proto::rest::NewOtaJob& job);
  Result<proto::rest::OtaJobPage> list_jobs(const Principal& who, std::string_view start_id,
                                            std::size_t limit);
  /// The job with its per-status counts. Errors: `not_found`.
  Result<proto::rest::OtaJob> get_job(const Principal& who, std::string_view job_id);
  /// Cancels an active or paused job: its unfinished nodes become `cancelled` and their
  /// download URLs stop working. Errors: `not_found`, `inactive`.
  Result<void> cancel_job(const Principal& who, std::string_view job_id);
  /// Resumes a paused job (the rollout goes on with the next batch; a release that fails
  /// once the job is active again is left to the sweep). Errors: `inactive`.
  Result<void> resume_job(const Principal& who, std::string_view job_id);
  /// Node states of a job (`node_id` filters to one). Errors: `not_found`.
  Result<proto::rest::OtaNodeStatusPage> job_statuses(const Principal& who, std::string_view job_id,
                                                      std::string_view node_id,
                                                      std::string_view start_id, std::size_t limit);

  // --- user routes -----------------------------------------------------------------
  /// `GET v1/user/nodes/ota_status?node_id&ota_job_id`: for users of the node. Errors:
  /// forbidden/not_found as node access, `status_not_found`.
  Result<proto::rest::OtaNodeStatus> node_status(const Principal& who, std::string_view node_id,
                                                 std::string_view job_id);
  /// `GET v1/user/nodes/ota_update?node_id`: the offer that applies to the node, if any.
  Result<proto::rest::OtaUpdateCheck> check_update(const Principal& who, std::string_view node_id);
  /// `POST v1/user/nodes/ota_update {ota_job_id,node_id}`: a primary user approves a
  /// user-approval job (or re-pushes any job) for the node; the offer is pushed. The
  /// approval names its user and lapses (back to `pending`, asked for again) once that
  /// user is no longer the node's primary user or is disabled. Errors:
  /// `job_not_for_node`, `invalid_job` (inactive), forbidden for secondaries.
  Result<void> approve_update(const Principal& who, std::string_view node_id,
                              std::string_view job_id);

  // --- downloads -------------------------------------------------------------------
  /// Checks a download request's grant and that it still stands: a node grant needs a
  /// live offer of that image to that node (active job, node not finished, and for a job
  /// with `user_approval` an approval whose user is still the node's primary user: one
  /// that lapsed puts the node's row back to `pending`); a user grant needs the image and
  /// its user not disabled or removed. Errors: `download_forbidden`, unavailable
  /// (storage).
  Result<OtaDownload> authorize_download(const OtaDownloadGrant& grant);
  /// The signer (null when downloads are unavailable). Thread-safe.
  [[nodiscard]] std::shared_ptr<const OtaDownloadSigner> signer() const;
  /// Sets the signer once the HTTP listener's address is known (the server starts node
  /// traffic before HTTP). Thread-safe.
  void set_signer(std::shared_ptr<const OtaDownloadSigner> signer);

  // --- node messages (any thread; queued for the runner) ---------------------------
  /// An `otafetch` from `node_id` (already checked against the topic). False when the
  /// runner's queue is full (`OtaOptions::queue_limit`): then nothing was taken or
  /// counted, and the caller keeps the message to offer it again (the ingest handoff,
  /// docs/adr/0025) or counts it dropped (MQTT forwarding).
  [[nodiscard]] bool on_fetch(std::string node_id, proto::OtaFetch fetch);
  /// An `otastatus` from `node_id`. False as for `on_fetch`.
  [[nodiscard]] bool on_status(std::string node_id, proto::OtaStatus status);

 private:
  struct Work {
    enum class Kind { fetch, status, connected, config, push_job } kind = Kind::fetch;
    std::string node_id;
    std::string fw_version;   // fetch, config
    proto::OtaStatus status;  // status
    std::string job_id;       // push_job
  };

  Result<proto::rest::OtaImage> add_image_unaudited(const Principal& who,
                                                    const std::string& file_path,
                                                    const OtaImageDeclaration& declared);
  Result<proto::rest::OtaImage> add_base64_image_unaudited(
      const Principal& who, const proto::rest::OtaImageUpload& upload);
  Result<proto::rest::OtaImage> add_user_image_unaudited(const Principal& who,
                                                         const proto::rest::OtaImageUpload& upload);
  Result<void> archive_image_unaudited(const Principal& who, std::string_view image_id,
                                       bool archived);
  Result<void> delete_image_unaudited(const Principal& who, std::string_view image_id);
  Result<std::string> create_job_unaudited(const Principal& who, const proto::rest::NewOtaJob& job);
  Result<void> cancel_job_unaudited(const Principal& who, std::string_view job_id);
  Result<void> resume_job_unaudited(const Principal& who, std::string_view job_id);
  Result<void> approve_update_unaudited(const Principal& who, std::string_view node_id,
                                        std::string_view job_id);
  Result<void> require_admin(const Principal& who) const;
  Result<proto::rest::OtaImage> store_image(const Principal& who, StoredImage stored,
                                            const OtaImageDeclaration& declared, bool user_image);
  Result<proto::rest::OtaImage> add_decoded(const Principal& who,
                                            const proto::rest::OtaImageUpload& upload,
                                            bool user_image);
  Result<proto::rest::OtaJob> describe_job(const storage::OtaJobRecord& record);
  [[nodiscard]] std::int64_t now_ms() const;
  // Whether the user who approved the node's update (`approved_by`) is still its primary
  // user and not disabled; false when nobody recorded is. Errors: the access read's.
  Result<bool> approval_stands(const storage::OtaJobNodeRecord& node);
  // The approval of `node` (as read) lapsed: its row goes back to `pending`, approver
  // cleared, unless it moved on or was approved again since the read.
  void lapse_approval(const storage::OtaJobNodeRecord& node);
  // False (nothing queued, nothing counted) when the queue is full.
  [[nodiscard]] bool enqueue(Work work);
  void run();
  void handle(const Work& work);
  // Offers the first applicable job to the node; `how` labels the metric.
  void offer(const std::string& node_id, std::optional<std::string> fw_version, bool push);
  void push_released(const storage::OtaJobRecord& job, const std::vector<std::string>& nodes);
  // Pushes again to the online ones of `nodes` (released, still `pending`, as read): each
  // row is claimed first (its updated_ms moved to now, if unchanged since the read), so one
  // sweep of one instance pushes, at most once per `lost_push_grace`.
  void push_again(const storage::OtaJobRecord& job,
                  const std::vector<storage::OtaJobNodeRecord>& nodes);
  void handle_status(const std::string& node_id, const proto::OtaStatus& status);
  void confirm_by_config(const std::string& node_id, const std::string& fw_version);
  void sweep();
  // `repush`: look for released force-push nodes whose push was lost (`push_again`).
  void sweep_job(storage::OtaJobRecord job, bool repush);
  // Calls `each` for every node row of `job_id` in node id order, reading
  // `options_.sweep_page` rows at a time. Errors: storage (then `each` has seen only
  // some rows, and the caller must decide nothing from them).
  Result<void> each_job_node(const std::string& job_id,
                             const std::function<void(storage::OtaJobNodeRecord&)>& each);
  // Releases the job's next batch and records it in `job`; answers the nodes released,
  // none when another release of that batch came first (it pushes them) or the job is no
  // longer active.
  Result<std::vector<std::string>> release_batch(storage::OtaJobRecord& job);
  // Stores `state` if the node's status is one of `from` (and, if given, its row was last
  // updated before `updated_before`), counts and publishes the change; answers whether
  // the row changed (a storage error is logged and counted: false). Never an approval:
  // the stored approver is kept (or cleared by a move to `pending`), whatever `state`
  // read, so a write that read the row before a newer approval cannot undo it.
  bool set_node(const storage::OtaJobNodeRecord& state, const std::vector<std::string>& from,
                std::optional<std::int64_t> updated_before = {});
  // As `set_node`, `state.approved_by` included (an approval). Errors: storage.
  Result<bool> store_node(const storage::OtaJobNodeRecord& state,
                          const std::vector<std::string>& from,
                          std::optional<std::int64_t> updated_before = {});
  void publish_node_event(const storage::OtaJobNodeRecord& state);

  storage::OtaRepository& repository_;
  AuditLog& audit_;
  storage::AccessRepository& access_;
  OtaImageStore& store_;
  NodeMessenger& messenger_;
  EventHub& hub_;
  mutable std::mutex signer_mutex_;
  std::shared_ptr<const OtaDownloadSigner> signer_;
  const Clock& clock_;
  OtaOptions options_;
  MetricsRegistry& metrics_;
  Counter& offers_fetch_;
  Counter& offers_push_;
  Counter& dropped_queue_;
  Counter& dropped_unknown_;
  Counter& dropped_inactive_;
  Counter& dropped_storage_;
  Counter& downloads_granted_;
  Counter& downloads_refused_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Work> queue_;
  std::uint64_t enqueued_ = 0, handled_ = 0;
  bool stopping_ = false;
  bool started_ = false;
  std::unique_ptr<EventHub::Subscription> subscription_;
  std::thread thread_;
  std::mutex sweep_mutex_;  // one sweep at a time (runner or sweep_now)
  // When the sweep next looks for lost pushes (ms since the epoch); under sweep_mutex_.
  std::int64_t next_repush_ms_ = 0;
};

}  // namespace stratus::service
