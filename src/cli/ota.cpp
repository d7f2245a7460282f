#include "cli/ota.hpp"

#include <algorithm>
#include <ctime>
#include <utility>

#include "cli/format.hpp"
#include "core/strings.hpp"

namespace stratus::cli {
namespace {

Result<void> check_range(const std::optional<std::int64_t>& value, std::string_view flag,
                         std::int64_t low, std::int64_t high) {
  if (value && (*value < low || *value > high)) {
    return fail(errc::invalid_argument,
                std::string(flag) + " must be " + std::to_string(low) + "-" + std::to_string(high));
  }
  return {};
}

std::string time_text(std::int64_t unix_s, std::chrono::system_clock::time_point now) {
  if (unix_s <= 0)
    return "-";
  return format_local_time(std::chrono::system_clock::time_point(std::chrono::seconds(unix_s)),
                           now);
}

}  // namespace

std::string default_ota_job_name(std::string_view image_id,
                                 std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return "ota-" + std::string(image_id) + "-" + stamp;
}

Result<client::NewOtaJob> new_ota_job(const OtaJobArgs& args,
                                      std::chrono::system_clock::time_point now) {
  if (args.image_id.empty())
    return fail(errc::invalid_argument, "--image is required");
  client::NewOtaJob job;
  job.ota_image_id = args.image_id;
  job.ota_job_name = args.name.empty() ? default_ota_job_name(args.image_id, now) : args.name;
  job.description = args.description;
  job.nodes = split_list(args.nodes);
  job.groups = split_list(args.groups);
  job.node_model = args.model;
  job.node_type = args.type;
  const int kinds =
      (job.nodes.empty() ? 0 : 1) + (job.groups.empty() ? 0 : 1) + (job.node_model.empty() ? 0 : 1);
  if (kinds != 1) {
    return fail(errc::invalid_argument,
                kinds == 0 ? "name the targets: --nodes a,b, --groups g or --model M"
                           : "--nodes, --groups and --model exclude each other");
  }
  if (!job.node_type.empty() && job.node_model.empty())
    return fail(errc::invalid_argument, "--type needs --model");
  if (args.force_push && args.user_approval)
    return fail(errc::invalid_argument, "--force-push and --user-approval exclude each other");
  job.force_push = args.force_push;
  job.user_approval = args.user_approval;
  for (auto check : {check_range(args.priority, "--priority", 1, 10),
                     check_range(args.batch_size, "--batch-size", 1, 10000),
                     check_range(args.percent, "--percent", 1, 100),
                     check_range(args.interval_s, "--interval", 0, 86400),
                     check_range(args.stop_on_failure_percent, "--stop-on-failure", 0, 100)}) {
    if (!check)
      return fail(check.error());
  }
  job.priority = args.priority.value_or(5);
  if (args.batch_size && args.percent)
    return fail(errc::invalid_argument, "--batch-size and --percent exclude each other");
  if (args.batch_size || args.percent) {
    client::OtaRollout rollout;
    rollout.batch_size = args.batch_size;
    rollout.percent = args.percent;
    rollout.interval_s = args.interval_s.value_or(0);
    rollout.stop_on_failure_percent = args.stop_on_failure_percent.value_or(100);
    job.rollout = rollout;
  } else if (args.interval_s || args.stop_on_failure_percent) {
    return fail(errc::invalid_argument,
                "--interval and --stop-on-failure need --batch-size or --percent");
  }
  return job;
}

std::string ota_counts_text(const client::OtaJobCounts& c) {
  std::string text = "total " + std::to_string(c.total);
  const std::pair<const char*, std::int64_t> states[] = {
      {"pending", c.pending},   {"offered", c.offered},     {"in-progress", c.in_progress},
      {"delayed", c.delayed},   {"success", c.success},     {"failed", c.failed},
      {"rejected", c.rejected}, {"timed_out", c.timed_out}, {"cancelled", c.cancelled}};
  bool first = true;
  for (const auto& [name, n] : states) {
    if (n <= 0)
      continue;
    text += first ? ": " : ", ";
    first = false;
    text += std::string(name) + " " + std::to_string(n);
  }
  return text;
}

bool ota_job_settled(std::string_view status) noexcept {
  return status == "finished" || status == "cancelled" || status == "paused";
}

std::string ota_node_table(const std::vector<client::OtaNodeStatus>& statuses,
                           std::chrono::system_clock::time_point now) {
  if (statuses.empty())
    return "no nodes\n";
  std::vector<std::vector<std::string>> rows;
  rows.reserve(statuses.size());
  for (const auto& s : statuses) {
    rows.push_back({s.node_id, s.status, s.batch > 0 ? std::to_string(s.batch) : "-",
                    time_text(s.timestamp, now),
                    s.additional_info.empty() ? "-" : s.additional_info});
  }
  return render_table({"NODE ID", "STATUS", "BATCH", "UPDATED", "INFO"}, rows);
}

std::string ota_job_view(const client::OtaJob& job,
                         const std::vector<client::OtaNodeStatus>& statuses,
                         std::chrono::system_clock::time_point now) {
  std::vector<std::pair<std::string, std::string>> rows{
      {"ota_job_id", job.ota_job_id},
      {"name", job.ota_job_name},
      {"image", job.ota_image_id + (job.fw_version.empty() ? "" : " (" + job.fw_version + ")")},
      {"status", job.status + (job.pause_reason.empty() ? "" : ": " + job.pause_reason)}};
  if (!job.description.empty())
    rows.emplace_back("description", job.description);
  std::string targets;
  if (!job.nodes.empty())
    targets = "nodes " + list_text(job.nodes);
  if (!job.groups.empty())
    targets += (targets.empty() ? "" : "; ") + std::string("groups ") + list_text(job.groups);
  if (!job.node_model.empty()) {
    targets += (targets.empty() ? "" : "; ") + std::string("model ") + job.node_model +
               (job.node_type.empty() ? "" : ", type " + job.node_type);
  }
  rows.emplace_back("targets", targets.empty() ? "-" : targets);
  std::string options = "priority " + std::to_string(job.priority);
  if (job.force_push)
    options += ", force push";
  if (job.user_approval)
    options += ", user approval";
  rows.emplace_back("options", options);
  if (job.rollout) {
    const auto& r = *job.rollout;
    std::string text = r.batch_size ? std::to_string(*r.batch_size) + " nodes"
                                    : std::to_string(r.percent.value_or(0)) + "%";
    text += " per batch every " + format_duration(std::chrono::seconds(r.interval_s));
    if (r.stop_on_failure_percent < 100)
      text += ", pause at " + std::to_string(r.stop_on_failure_percent) + "% failed";
    text += "; " + std::to_string(job.batches_released) + " released";
    rows.emplace_back("rollout", text);
  }
  rows.emplace_back("created", time_text(job.triggered_timestamp, now));
  rows.emplace_back("nodes by state", ota_counts_text(job.counts));
  std::string view;
  std::size_t width = 0;
  for (const auto& row : rows)
    width = std::max(width, row.first.size());
  for (const auto& [k, v] : rows)
    view += k + std::string(width - k.size() + 2, ' ') + v + '\n';
  view += '\n';
  view += ota_node_table(statuses, now);
  return view;
}

std::string ota_params_progress_line(const client::OtaParamsProgress& progress) {
  if (progress.status.empty() && progress.info.empty())
    return "(no status yet)";
  if (progress.info.empty())
    return progress.status;
  if (progress.status.empty())
    return progress.info;
  return progress.status + ": " + progress.info;
}

}  // namespace stratus::cli
