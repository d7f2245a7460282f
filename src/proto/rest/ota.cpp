#include "proto/rest/ota.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

// An optional integer member; absent or null → nullopt.
Result<std::optional<std::int64_t>> optional_int(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return std::optional<std::int64_t>{};
  const auto value = integer(*v);
  if (!value)
    return fail(invalid_body(std::string(key) + " must be an integer"));
  return value;
}

Result<OtaRollout> read_rollout(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr)
    return fail(invalid_body("rollout must be an object"));
  OtaRollout rollout;
  auto batch = optional_int(*o, "batch_size");
  auto percent = optional_int(*o, "percent");
  auto interval = optional_int(*o, "interval_s");
  auto stop = optional_int(*o, "stop_on_failure_percent");
  for (auto* r : {&batch, &percent, &interval, &stop}) {
    if (!*r)
      return fail(r->error());
  }
  rollout.batch_size = *batch;
  rollout.percent = *percent;
  rollout.interval_s = interval->value_or(0);
  rollout.stop_on_failure_percent = stop->value_or(100);
  return rollout;
}

json::object rollout_json(const OtaRollout& rollout) {
  json::object o;
  if (rollout.batch_size)
    o["batch_size"] = *rollout.batch_size;
  if (rollout.percent)
    o["percent"] = *rollout.percent;
  o["interval_s"] = rollout.interval_s;
  o["stop_on_failure_percent"] = rollout.stop_on_failure_percent;
  return o;
}

OtaRollout parse_rollout_answer(const json::object& o) {
  OtaRollout rollout;
  if (o.contains("batch_size"))
    rollout.batch_size = int_or(o, "batch_size");
  if (o.contains("percent"))
    rollout.percent = int_or(o, "percent");
  rollout.interval_s = int_or(o, "interval_s");
  rollout.stop_on_failure_percent = int_or(o, "stop_on_failure_percent", 100);
  return rollout;
}

template <class T, class F>
std::vector<T> parse_entries(const json::object& answer, std::string_view key, F parse) {
  std::vector<T> out;
  if (const auto* items = answer.if_contains(key); items != nullptr && items->is_array()) {
    for (const auto& item : items->as_array()) {
      if (const auto* o = item.if_object())
        out.push_back(parse(*o));
    }
  }
  return out;
}

void put_next_id(json::object& o, const std::string& next_id) {
  if (!next_id.empty())
    o["next_id"] = next_id;
}

}  // namespace

json::object to_json(const OtaImage& image) {
  json::object o;
  o["ota_image_id"] = image.ota_image_id;
  o["image_name"] = image.image_name;
  o["type"] = image.type;
  o["model"] = image.model;
  o["fw_version"] = image.fw_version;
  o["project_name"] = image.project_name;
  o["chip"] = image.chip;
  o["file_size"] = image.file_size;
  o["file_md5"] = image.file_md5;
  o["file_sha256"] = image.file_sha256;
  o["upload_timestamp"] = image.upload_timestamp;
  o["archived"] = image.archived;
  o["user_image"] = image.user_image;
  if (!image.image_url.empty())
    o["image_url"] = image.image_url;
  return o;
}

OtaImage parse_ota_image(const json::object& o) {
  OtaImage image;
  image.ota_image_id = string_or(o, "ota_image_id");
  image.image_name = string_or(o, "image_name");
  image.type = string_or(o, "type");
  image.model = string_or(o, "model");
  image.fw_version = string_or(o, "fw_version");
  image.project_name = string_or(o, "project_name");
  image.chip = string_or(o, "chip");
  image.file_size = int_or(o, "file_size");
  image.file_md5 = string_or(o, "file_md5");
  image.file_sha256 = string_or(o, "file_sha256");
  image.upload_timestamp = int_or(o, "upload_timestamp");
  image.archived = bool_or(o, "archived");
  image.user_image = bool_or(o, "user_image");
  image.image_url = string_or(o, "image_url");
  return image;
}

json::object to_json(const OtaImagePage& page) {
  json::array images;
  for (const auto& image : page.images)
    images.push_back(to_json(image));
  json::object o;
  o["ota_images"] = std::move(images);
  put_next_id(o, page.next_id);
  return o;
}

OtaImagePage parse_ota_image_page(const json::object& answer) {
  return {parse_entries<OtaImage>(answer, "ota_images", parse_ota_image),
          string_or(answer, "next_id")};
}

Result<OtaImageUpload> parse_ota_image_upload(const json::object& body) {
  auto fields = optional_string_fields<5>(
      body, {"image_name", "base64_fwimage", "fw_version", "model", "type"});
  if (!fields)
    return fail(fields.error());
  auto& [name, image, fw_version, model, type] = *fields;
  return OtaImageUpload{name.value_or(""), image.value_or(""), std::move(fw_version),
                        std::move(model), std::move(type)};
}

json::object to_json(const OtaImageUpload& upload) {
  json::object o;
  o["image_name"] = upload.image_name;
  o["base64_fwimage"] = upload.base64_fwimage;
  if (upload.fw_version)
    o["fw_version"] = *upload.fw_version;
  if (upload.model)
    o["model"] = *upload.model;
  if (upload.type)
    o["type"] = *upload.type;
  return o;
}

json::object ota_image_created_json(std::string_view ota_image_id, std::string_view image_url) {
  json::object o;
  o["status"] = "success";
  o["ota_image_id"] = ota_image_id;
  o["image_url"] = image_url;
  return o;
}

Result<OtaImage> parse_ota_image_created(const json::object& answer) {
  if (!answer.contains("image_url"))
    return fail(errc::internal, "OTA image upload: the answer has no image_url");
  OtaImage image;
  image.ota_image_id = string_or(answer, "ota_image_id");
  image.image_url = string_or(answer, "image_url");
  return image;
}

Result<NewOtaJob> parse_new_ota_job(const json::object& body) {
  NewOtaJob job;
  auto fields = optional_string_fields<5>(
      body, {"ota_job_name", "ota_image_id", "description", "node_model", "node_type"});
  if (!fields)
    return fail(fields.error());
  auto& [name, image, description, model, type] = *fields;
  job.ota_job_name = name.value_or("");
  job.ota_image_id = image.value_or("");
  job.description = description.value_or("");
  job.node_model = model.value_or("");
  job.node_type = type.value_or("");
  auto nodes = optional_strings(body, "nodes");
  if (!nodes)
    return fail(nodes.error());
  auto groups = optional_strings(body, "groups");
  if (!groups)
    return fail(groups.error());
  job.nodes = std::move(*nodes);
  job.groups = std::move(*groups);
  auto priority = optional_int(body, "priority");
  if (!priority)
    return fail(priority.error());
  job.priority = priority->value_or(5);
  auto force = optional_bool(body, "force_push");
  if (!force)
    return fail(force.error());
  auto approval = optional_bool(body, "user_approval");
  if (!approval)
    return fail(approval.error());
  job.force_push = *force;
  job.user_approval = *approval;
  if (const auto* metadata = body.if_contains("metadata");
      metadata != nullptr && !metadata->is_null()) {
    if (!metadata->is_object())
      return fail(invalid_body("metadata must be an object"));
    job.metadata_json = json::serialize(*metadata);
  }
  if (const auto* rollout = body.if_contains("rollout");
      rollout != nullptr && !rollout->is_null()) {
    auto read = read_rollout(*rollout);
    if (!read)
      return fail(read.error());
    job.rollout = *read;
  }
  return job;
}

json::object to_json(const NewOtaJob& job) {
  json::object o;
  o["ota_job_name"] = job.ota_job_name;
  o["ota_image_id"] = job.ota_image_id;
  if (!job.description.empty())
    o["description"] = job.description;
  if (!job.nodes.empty())
    o["nodes"] = strings_json(job.nodes);
  if (!job.groups.empty())
    o["groups"] = strings_json(job.groups);
  if (!job.node_model.empty())
    o["node_model"] = job.node_model;
  if (!job.node_type.empty())
    o["node_type"] = job.node_type;
  o["priority"] = job.priority;
  o["force_push"] = job.force_push;
  o["user_approval"] = job.user_approval;
  if (!job.metadata_json.empty())
    o["metadata"] = document_value(job.metadata_json);
  if (job.rollout)
    o["rollout"] = rollout_json(*job.rollout);
  return o;
}

json::object to_json(const OtaJob& job) {
  json::object o;
  o["ota_job_id"] = job.ota_job_id;
  o["ota_job_name"] = job.ota_job_name;
  o["ota_image_id"] = job.ota_image_id;
  o["fw_version"] = job.fw_version;
  o["description"] = job.description;
  o["status"] = job.status;
  if (!job.pause_reason.empty())
    o["pause_reason"] = job.pause_reason;
  o["nodes"] = strings_json(job.nodes);
  o["groups"] = strings_json(job.groups);
  o["node_model"] = job.node_model;
  o["node_type"] = job.node_type;
  o["priority"] = job.priority;
  o["force_push"] = job.force_push;
  o["user_approval"] = job.user_approval;
  o["metadata"] =
      job.metadata_json.empty() ? json::value(json::object{}) : document_value(job.metadata_json);
  if (job.rollout)
    o["rollout"] = rollout_json(*job.rollout);
  o["batches_released"] = job.batches_released;
  o["triggered_timestamp"] = job.triggered_timestamp;
  const auto& c = job.counts;
  o["total_count"] = c.total;
  o["total_node"] = c.total;
  o["pending_count"] = c.pending;
  o["triggered_count"] = c.offered;
  o["started_count"] = c.offered + c.in_progress;
  o["in_progress_count"] = c.in_progress;
  o["delayed_count"] = c.delayed;
  o["success_count"] = c.success;
  o["failed_count"] = c.failed;
  o["rejected_count"] = c.rejected;
  o["timed_out_count"] = c.timed_out;
  o["cancelled_count"] = c.cancelled;
  o["completed_count"] = c.success + c.failed + c.rejected + c.timed_out + c.cancelled;
  return o;
}

OtaJob parse_ota_job(const json::object& o) {
  OtaJob job;
  job.ota_job_id = string_or(o, "ota_job_id");
  job.ota_job_name = string_or(o, "ota_job_name");
  job.ota_image_id = string_or(o, "ota_image_id");
  job.fw_version = string_or(o, "fw_version");
  job.description = string_or(o, "description");
  job.status = string_or(o, "status");
  job.pause_reason = string_or(o, "pause_reason");
  job.nodes = strings_or_empty(o, "nodes");
  job.groups = strings_or_empty(o, "groups");
  job.node_model = string_or(o, "node_model");
  job.node_type = string_or(o, "node_type");
  job.priority = int_or(o, "priority", 5);
  job.force_push = bool_or(o, "force_push");
  job.user_approval = bool_or(o, "user_approval");
  job.metadata_json = document_or_empty(o, "metadata");
  if (const auto* rollout = o.if_contains("rollout"); rollout != nullptr && rollout->is_object())
    job.rollout = parse_rollout_answer(rollout->as_object());
  job.batches_released = int_or(o, "batches_released");
  job.triggered_timestamp = int_or(o, "triggered_timestamp");
  auto& c = job.counts;
  c.total = int_or(o, "total_count");
  c.pending = int_or(o, "pending_count");
  c.offered = int_or(o, "triggered_count");
  c.in_progress = int_or(o, "in_progress_count");
  c.delayed = int_or(o, "delayed_count");
  c.success = int_or(o, "success_count");
  c.failed = int_or(o, "failed_count");
  c.rejected = int_or(o, "rejected_count");
  c.timed_out = int_or(o, "timed_out_count");
  c.cancelled = int_or(o, "cancelled_count");
  return job;
}

json::object to_json(const OtaJobPage& page) {
  json::array jobs;
  for (const auto& job : page.jobs)
    jobs.push_back(to_json(job));
  json::object o;
  o["ota_jobs"] = std::move(jobs);
  put_next_id(o, page.next_id);
  return o;
}

OtaJobPage parse_ota_job_page(const json::object& answer) {
  return {parse_entries<OtaJob>(answer, "ota_jobs", parse_ota_job), string_or(answer, "next_id")};
}

json::object to_json(const OtaNodeStatus& status) {
  json::object o;
  o["node_id"] = status.node_id;
  o["ota_job_id"] = status.ota_job_id;
  o["status"] = status.status;
  o["timestamp"] = status.timestamp;
  o["additional_info"] = status.additional_info;
  o["ts_source"] = status.ts_source;
  o["invalid_node_ts"] = false;
  o["batch"] = status.batch;
  return o;
}

OtaNodeStatus parse_ota_node_status(const json::object& o) {
  OtaNodeStatus s;
  s.node_id = string_or(o, "node_id");
  s.ota_job_id = string_or(o, "ota_job_id");
  s.status = string_or(o, "status");
  s.timestamp = int_or(o, "timestamp");
  s.additional_info = string_or(o, "additional_info");
  s.ts_source = string_or(o, "ts_source", "CLOUD");
  s.batch = int_or(o, "batch");
  return s;
}

json::object to_json(const OtaNodeStatusPage& page) {
  json::array statuses;
  for (const auto& status : page.statuses)
    statuses.push_back(to_json(status));
  json::object o;
  o["node_ota_status"] = std::move(statuses);
  put_next_id(o, page.next_id);
  return o;
}

OtaNodeStatusPage parse_ota_node_status_page(const json::object& answer) {
  return {parse_entries<OtaNodeStatus>(answer, "node_ota_status", parse_ota_node_status),
          string_or(answer, "next_id")};
}

json::object to_json(const OtaUpdateCheck& check) {
  json::object o;
  o["status"] = check.status;
  o["ota_available"] = check.ota_available;
  o["description"] = check.description;
  o["fw_version"] = check.fw_version;
  o["ota_job_id"] = check.ota_job_id;
  o["file_size"] = check.file_size;
  return o;
}

OtaUpdateCheck parse_ota_update_check(const json::object& answer) {
  OtaUpdateCheck check;
  check.ota_available = bool_or(answer, "ota_available");
  check.status = string_or(answer, "status");
  check.description = string_or(answer, "description");
  check.fw_version = string_or(answer, "fw_version");
  check.ota_job_id = string_or(answer, "ota_job_id");
  check.file_size = int_or(answer, "file_size");
  return check;
}

}  // namespace stratus::proto::rest
