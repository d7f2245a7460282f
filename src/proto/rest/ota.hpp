#pragma once
/// @file
/// OTA images and jobs (spec rainmaker-cloud.md §6; rainmaker.md §4.6; docs/adr/0013):
/// `v1/admin/otaimage`, `v1/admin/otajob`, `v1/admin/otajob/status`, `v1/user/otaimage`,
/// `v1/user/nodes/ota_status`, `v1/user/nodes/ota_update`. Keys are the spec's; the Stratus
/// additions (`file_sha256`, `project_name`, `chip`, `rollout`, per-node `pending`,
/// `offered`, `timed_out`, `cancelled` states, `pause_reason`) are marked. Requests are read
/// strictly (a wrong type is `invalid_request_body`); answers tolerantly. Conventions as
/// accounts.hpp. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// Largest `base64_fwimage` image, decoded bytes (spec: 5 MB; `104010` above).
inline constexpr std::size_t kMaxBase64ImageBytes = 5 * 1024 * 1024;

/// One stored image as `GET v1/admin/otaimage` shows it.
struct OtaImage {
  std::string ota_image_id;
  std::string image_name;
  std::string type;          ///< node type it is for (`esp.device.lightbulb`), may be empty
  std::string model;         ///< node model it is for, may be empty
  std::string fw_version;    ///< from the image header (a declared one must equal it)
  std::string project_name;  ///< Stratus: from the image header
  std::string chip;          ///< Stratus: chip name from the header (`esp32s3`)
  std::int64_t file_size = 0;
  std::string file_md5;
  std::string file_sha256;            ///< Stratus: the content address
  std::int64_t upload_timestamp = 0;  ///< Unix seconds
  bool archived = false;
  bool user_image = false;  ///< Stratus: uploaded through `v1/user/otaimage`
  std::string image_url;    ///< a download URL valid for 24 h, when the caller may have one
};
[[nodiscard]] boost::json::object to_json(const OtaImage& image);
/// Reads an image as a client (tolerant).
[[nodiscard]] OtaImage parse_ota_image(const boost::json::object& o);

/// `{"ota_images":[…],"next_id"?}`.
struct OtaImagePage {
  std::vector<OtaImage> images;
  std::string next_id;  ///< empty on the last page
};
[[nodiscard]] boost::json::object to_json(const OtaImagePage& page);
[[nodiscard]] OtaImagePage parse_ota_image_page(const boost::json::object& answer);

/// The body of `POST v1/admin/otaimage` and `POST v1/user/otaimage`:
/// `{"image_name","base64_fwimage","fw_version"?,"model"?,"type"?}`. The image stays
/// base64 text here (decoding is the service's, with its size check).
struct OtaImageUpload {
  std::string image_name;
  std::string base64_fwimage;
  std::optional<std::string> fw_version;
  std::optional<std::string> model;
  std::optional<std::string> type;
};
/// Errors: `invalid_body` for a member of another type than string. Missing members are
/// empty (the service answers 104001/104002).
[[nodiscard]] Result<OtaImageUpload> parse_ota_image_upload(const boost::json::object& body);
[[nodiscard]] boost::json::object to_json(const OtaImageUpload& upload);

/// The answer to an upload: `{"status":"success","ota_image_id","image_url"}` (the user
/// route has no `ota_image_id` in the spec; Stratus sends it too).
[[nodiscard]] boost::json::object ota_image_created_json(std::string_view ota_image_id,
                                                         std::string_view image_url);
/// Errors: internal when `image_url` is missing.
[[nodiscard]] Result<OtaImage> parse_ota_image_created(const boost::json::object& answer);

/// Staged rollout (Stratus): nodes are released in batches of `batch_size` nodes (or
/// `percent` of the targets, rounded up); the next batch starts `interval_s` after the
/// previous one was released and only when the failure share of the released nodes that
/// finished is below `stop_on_failure_percent` — otherwise the job pauses with a reason.
struct OtaRollout {
  std::optional<std::int64_t> batch_size;
  std::optional<std::int64_t> percent;
  std::int64_t interval_s = 0;
  std::int64_t stop_on_failure_percent = 100;  ///< 100: never pause
};

/// The request of `POST v1/admin/otajob` (body keys as the spec; the flags may also come
/// in the query as the spec has them, which the route merges in).
struct NewOtaJob {
  std::string ota_job_name;
  std::string ota_image_id;
  std::string description;
  std::vector<std::string> nodes;
  std::vector<std::string> groups;
  std::string node_model;  ///< dynamic target: every node of this model (and type, if set)
  std::string node_type;
  std::int64_t priority = 5;  ///< 1 (highest) – 10
  bool force_push = false;
  bool user_approval = false;
  std::string metadata_json;  ///< object text (`validity`, `download_window`), forwarded
  std::optional<OtaRollout> rollout;
};
/// Errors: `invalid_body` for wrong types (`nodes`/`groups` not string arrays, `priority`
/// not an integer, `metadata`/`rollout` not objects, rollout members not integers, flags
/// not booleans).
[[nodiscard]] Result<NewOtaJob> parse_new_ota_job(const boost::json::object& body);
[[nodiscard]] boost::json::object to_json(const NewOtaJob& job);

/// Per-node counts of a job, by state.
struct OtaJobCounts {
  std::int64_t total = 0, pending = 0, offered = 0, in_progress = 0, delayed = 0, success = 0,
               failed = 0, rejected = 0, timed_out = 0, cancelled = 0;
};

/// One job as `GET v1/admin/otajob` shows it. `status`: `active`, `paused` (Stratus:
/// rollout stopped on failures, `pause_reason` says why), `cancelled`, `finished`.
struct OtaJob {
  std::string ota_job_id;
  std::string ota_job_name;
  std::string ota_image_id;
  std::string fw_version;  ///< the image's
  std::string description;
  std::string status = "active";
  std::string pause_reason;
  std::vector<std::string> nodes;
  std::vector<std::string> groups;
  std::string node_model, node_type;
  std::int64_t priority = 5;
  bool force_push = false;
  bool user_approval = false;
  std::string metadata_json;
  std::optional<OtaRollout> rollout;
  std::int64_t batches_released = 0;
  std::int64_t triggered_timestamp = 0;  ///< creation, Unix seconds
  OtaJobCounts counts;
};
[[nodiscard]] boost::json::object to_json(const OtaJob& job);
[[nodiscard]] OtaJob parse_ota_job(const boost::json::object& o);

/// `{"ota_jobs":[…],"next_id"?}`.
struct OtaJobPage {
  std::vector<OtaJob> jobs;
  std::string next_id;
};
[[nodiscard]] boost::json::object to_json(const OtaJobPage& page);
[[nodiscard]] OtaJobPage parse_ota_job_page(const boost::json::object& answer);

/// One node's state in a job: `{node_id,status,timestamp,additional_info,ts_source}`.
/// `status`: pending, offered, in-progress, delayed, success, failed, rejected,
/// timed_out, cancelled; `timestamp` Unix seconds (a number, as the Android app reads it);
/// `ts_source` `NODE` when the node's own `ts` was used, else `CLOUD`.
struct OtaNodeStatus {
  std::string node_id;
  std::string ota_job_id;
  std::string status;
  std::int64_t timestamp = 0;
  std::string additional_info;
  std::string ts_source = "CLOUD";
  std::int64_t batch = 0;  ///< Stratus: rollout batch (1-based; 0 = not released yet)
};
[[nodiscard]] boost::json::object to_json(const OtaNodeStatus& status);
[[nodiscard]] OtaNodeStatus parse_ota_node_status(const boost::json::object& o);

/// `{"node_ota_status":[…],"next_id"?}` (`GET v1/admin/otajob/status`).
struct OtaNodeStatusPage {
  std::vector<OtaNodeStatus> statuses;
  std::string next_id;
};
[[nodiscard]] boost::json::object to_json(const OtaNodeStatusPage& page);
[[nodiscard]] OtaNodeStatusPage parse_ota_node_status_page(const boost::json::object& answer);

/// `GET v1/user/nodes/ota_update?node_id=`: whether an update is offered to the node.
struct OtaUpdateCheck {
  bool ota_available = false;
  std::string status;  ///< the node's state in that job, or empty
  std::string description;
  std::string fw_version;
  std::string ota_job_id;
  std::int64_t file_size = 0;
};
[[nodiscard]] boost::json::object to_json(const OtaUpdateCheck& check);
[[nodiscard]] OtaUpdateCheck parse_ota_update_check(const boost::json::object& answer);

}  // namespace stratus::proto::rest
