// `stratus-admin ota …`: OTA images and jobs for super-admins (rainmaker-cloud.md §6.2,
// §6.3; docs/adr/0013). Images are uploaded as they are (streamed, no base64); jobs
// target nodes, groups or a model, with Stratus's staged rollout.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <ctime>
#include <filesystem>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/groups.hpp"
#include "cli/format.hpp"
#include "cli/ota.hpp"
#include "proto/rest/ota.hpp"

namespace stratus::cli::detail {
namespace {

namespace json = boost::json;

// How often `ota job show --watch` reads the job again.
constexpr std::chrono::seconds kWatchInterval{2};

struct OtaOptions {
  // images
  std::string file;
  std::string image_id;
  std::string name;
  std::string model;
  std::string type;
  std::string version;
  std::string project;
  bool archived = false;
  bool undo = false;
  // jobs
  std::string job_id;
  bool watch = false;
  OtaJobArgs job;
};

// "14:02:07" in the local time zone: the time of a `--watch` line.
std::string clock_text(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

std::string size_text(std::int64_t bytes) {
  return std::to_string(bytes) + " bytes";
}

std::string image_view(const client::OtaImage& image, std::chrono::system_clock::time_point now) {
  std::vector<std::pair<std::string, std::string>> rows{
      {"ota_image_id", image.ota_image_id},
      {"image_name", image.image_name},
      {"fw_version", image.fw_version},
      {"model", image.model.empty() ? "-" : image.model},
      {"type", image.type.empty() ? "-" : image.type},
      {"project", image.project_name.empty() ? "-" : image.project_name},
      {"chip", image.chip.empty() ? "-" : image.chip},
      {"size", size_text(image.file_size)},
      {"md5", image.file_md5},
      {"sha256", image.file_sha256},
      {"uploaded", image.upload_timestamp > 0
                       ? format_local_time(std::chrono::system_clock::time_point(
                                               std::chrono::seconds(image.upload_timestamp)),
                                           now)
                       : "-"},
      {"archived", image.archived ? "yes" : "no"}};
  if (!image.image_url.empty())
    rows.emplace_back("image_url", image.image_url);
  return key_values(rows);
}

std::chrono::system_clock::time_point now_of(Context& ctx) {
  return ctx.clock().now();
}

int upload(Context& ctx, const OtaOptions& o) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(o.file, ec)) {
    return ctx.report(Error{errc::invalid_argument, o.file + " is not a readable file", 0});
  }
  client::OtaImageFile image;
  image.file = o.file;
  image.image_name = o.name.empty() ? std::filesystem::path(o.file).filename().string() : o.name;
  image.fw_version = o.version;
  image.model = o.model;
  image.type = o.type;
  image.project_name = o.project;
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto stored = s->upload_ota_image(image);
  if (!stored)
    return ctx.report_call(stored.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "uploaded OTA image " << stored->ota_image_id << '\n'
            << image_view(*stored, now_of(ctx));
  return 0;
}

int list_images(Context& ctx, const OtaOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto images = s->all_ota_images(o.archived);
  if (!images)
    return ctx.report_call(images.error());
  if (ctx.json()) {
    ctx.print_json(json::serialize(proto::rest::to_json(client::OtaImagePage{*images, {}})));
    return 0;
  }
  if (images->empty()) {
    ctx.out() << (o.archived ? "no archived OTA images\n" : "no OTA images\n");
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = now_of(ctx);
  for (const auto& i : *images) {
    rows.push_back({i.ota_image_id, i.image_name, i.fw_version, i.model.empty() ? "-" : i.model,
                    i.type.empty() ? "-" : i.type, std::to_string(i.file_size),
                    i.upload_timestamp > 0
                        ? format_local_time(std::chrono::system_clock::time_point(
                                                std::chrono::seconds(i.upload_timestamp)),
                                            now)
                        : "-"});
  }
  ctx.out() << render_table({"IMAGE ID", "NAME", "VERSION", "MODEL", "TYPE", "BYTES", "UPLOADED"},
                            rows);
  return 0;
}

int show_image(Context& ctx, const OtaOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto image = s->ota_image(o.image_id);
  if (!image)
    return ctx.report_call(image.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << image_view(*image, now_of(ctx));
  return 0;
}

int archive_image(Context& ctx, const OtaOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->archive_ota_image(o.image_id, !o.undo); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << (o.undo ? "unarchived" : "archived") << " OTA image " << o.image_id << '\n';
  return 0;
}

int delete_image(Context& ctx, const OtaOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->delete_ota_image(o.image_id); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "deleted OTA image " << o.image_id << '\n';
  return 0;
}

int create_job(Context& ctx, const OtaOptions& o) {
  auto job = new_ota_job(o.job, now_of(ctx));
  if (!job)
    return ctx.report(job.error());
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto id = s->create_ota_job(*job);
  if (!id)
    return ctx.report_call(id.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "OTA job created: " << *id << " (" << job->ota_job_name << ")\n"
            << "follow it with: " << ctx.program() << " ota job show " << *id << " --watch\n";
  return 0;
}

int list_jobs(Context& ctx) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto jobs = s->all_ota_jobs();
  if (!jobs)
    return ctx.report_call(jobs.error());
  if (ctx.json()) {
    ctx.print_json(json::serialize(proto::rest::to_json(client::OtaJobPage{*jobs, {}})));
    return 0;
  }
  if (jobs->empty()) {
    ctx.out() << "no OTA jobs\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  const auto now = now_of(ctx);
  for (const auto& j : *jobs) {
    rows.push_back({j.ota_job_id, j.ota_job_name, j.fw_version.empty() ? "-" : j.fw_version,
                    j.status,
                    std::to_string(j.counts.success) + "/" + std::to_string(j.counts.total),
                    j.triggered_timestamp > 0
                        ? format_local_time(std::chrono::system_clock::time_point(
                                                std::chrono::seconds(j.triggered_timestamp)),
                                            now)
                        : "-"});
  }
  ctx.out() << render_table({"JOB ID", "NAME", "VERSION", "STATUS", "UPDATED", "CREATED"}, rows);
  return 0;
}

// The job and every node's state in it.
struct JobState {
  client::OtaJob job;
  std::vector<client::OtaNodeStatus> statuses;
};

Result<JobState> read_job(client::Session& s, const std::string& id) {
  auto job = s.ota_job(id);
  if (!job)
    return fail(job.error());
  auto statuses = s.all_ota_job_statuses(id);
  if (!statuses)
    return fail(statuses.error());
  return JobState{std::move(*job), std::move(*statuses)};
}

void print_job_json(Context& ctx, const JobState& state) {
  json::array statuses;
  for (const auto& st : state.statuses)
    statuses.push_back(proto::rest::to_json(st));
  json::object o{{"ota_job", proto::rest::to_json(state.job)},
                 {"node_ota_status", std::move(statuses)}};
  ctx.print_json(json::serialize(o));
}

int show_job(Context& ctx, const OtaOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto state = read_job(*s, o.job_id);
  if (!state)
    return ctx.report_call(state.error());
  const auto end_line = [&] {
    return "job " + state->job.ota_job_id + " " + state->job.status +
           (state->job.pause_reason.empty() ? "" : ": " + state->job.pause_reason) + "\n";
  };
  if (!o.watch || ota_job_settled(state->job.status)) {
    if (ctx.json()) {
      print_job_json(ctx, *state);
      return 0;
    }
    ctx.out() << ota_job_view(state->job, state->statuses, now_of(ctx));
    // --watch on a job that has already settled ends as a watched one does.
    if (o.watch)
      ctx.out() << '\n' << end_line();
    return 0;
  }
  // --watch: the view once, a line whenever the status or the counts change, and the
  // nodes' table again when the job is finished, cancelled or paused.
  if (!ctx.json())
    ctx.out() << ota_job_view(state->job, state->statuses, now_of(ctx)) << std::flush;
  std::string last = state->job.status + " " + ota_counts_text(state->job.counts);
  while (!ota_job_settled(state->job.status)) {
    ctx.sleep(kWatchInterval);
    auto job = s->ota_job(o.job_id);
    if (!job)
      return ctx.report_call(job.error());
    state->job = std::move(*job);
    const std::string now_text = state->job.status + " " + ota_counts_text(state->job.counts);
    if (now_text != last && !ctx.json()) {
      ctx.out() << clock_text(now_of(ctx)) << "  " << now_text << '\n' << std::flush;
    }
    last = now_text;
  }
  auto statuses = s->all_ota_job_statuses(o.job_id);
  if (!statuses)
    return ctx.report_call(statuses.error());
  state->statuses = std::move(*statuses);
  if (ctx.json()) {
    print_job_json(ctx, *state);
    return 0;
  }
  ctx.out() << '\n' << end_line() << ota_node_table(state->statuses, now_of(ctx));
  return 0;
}

int cancel_job(Context& ctx, const OtaOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto job = s->cancel_ota_job(o.job_id);
  if (!job)
    return ctx.report_call(job.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "cancelled OTA job " << o.job_id << " (" << ota_counts_text(job->counts) << ")\n";
  return 0;
}

int resume_job(Context& ctx, const OtaOptions& o) {
  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  if (auto r = s->resume_ota_job(o.job_id); !r)
    return ctx.report_call(r.error());
  if (ctx.json()) {
    ctx.print_json(s->last_body());
    return 0;
  }
  ctx.out() << "resumed OTA job " << o.job_id << '\n';
  return 0;
}

void add_job_commands(CLI::App& ota, Context& ctx, const std::shared_ptr<OtaOptions>& o) {
  auto* job = ota.add_subcommand("job", "OTA jobs: which nodes get which image, and how fast");
  job->require_subcommand(1);

  auto& a = o->job;
  auto* create = job->add_subcommand("create", "Create a job (nodes start updating at once)");
  create->add_option("--image", a.image_id, "OTA image ID")->required();
  auto* nodes = create->add_option("--nodes", a.nodes, "Target nodes, comma-separated");
  auto* groups = create->add_option("--groups", a.groups, "Target groups, comma-separated");
  auto* model = create->add_option("--model", a.model, "Target every node of this model");
  create->add_option("--type", a.type, "With --model: only nodes of this type")->needs(model);
  nodes->excludes(groups)->excludes(model);
  groups->excludes(model);
  create->add_option("--name", a.name, "Job name (default: ota-<image>-<UTC time>)");
  create->add_option("--description", a.description, "Shown to users asked for approval");
  auto* force = create->add_flag("--force-push", a.force_push, "Nodes may not delay the update");
  create->add_flag("--user-approval", a.user_approval, "Each node's user approves its update")
      ->excludes(force);
  create->add_option("--priority", a.priority, "1 (highest) to 10; default 5")
      ->check(CLI::Range(1, 10));
  auto* batch = create->add_option("--batch-size", a.batch_size, "Staged rollout: nodes per batch");
  create->add_option("--percent", a.percent, "Staged rollout: percent of the nodes per batch")
      ->excludes(batch);
  create->add_option("--interval", a.interval_s, "Seconds between batches (default 0)");
  create->add_option("--stop-on-failure", a.stop_on_failure_percent,
                     "Pause when this percent of the finished nodes failed (default 100: never)");
  ctx.on(*create, [&ctx, o] { return create_job(ctx, *o); });

  ctx.on(*job->add_subcommand("list", "List the jobs"), [&ctx] { return list_jobs(ctx); });

  auto* show = job->add_subcommand("show", "A job: its counts by state and every node's state");
  show->add_option("ota_job_id", o->job_id, "OTA job ID")->required();
  show->add_flag("--watch", o->watch,
                 "Read it again every 2 s until it is finished, cancelled or paused");
  ctx.on(*show, [&ctx, o] { return show_job(ctx, *o); });

  auto* cancel = job->add_subcommand(
      "cancel", "Cancel a job (nodes not updated yet are no longer offered it)");
  cancel->add_option("ota_job_id", o->job_id, "OTA job ID")->required();
  ctx.on(*cancel, [&ctx, o] { return cancel_job(ctx, *o); });

  auto* resume = job->add_subcommand("resume", "Resume a paused rollout");
  resume->add_option("ota_job_id", o->job_id, "OTA job ID")->required();
  ctx.on(*resume, [&ctx, o] { return resume_job(ctx, *o); });
}

}  // namespace

void add_ota_admin(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<OtaOptions>();
  auto* ota = app.add_subcommand("ota", "OTA firmware updates: images and jobs");
  ota->require_subcommand(1);

  auto* up = ota->add_subcommand("upload", "Upload a firmware image (an ESP app image, .bin)");
  up->add_option("file", o->file, "The image file")->required();
  up->add_option("--model", o->model, "Node model the image is for")->required();
  up->add_option("--type", o->type, "Node type the image is for")->required();
  up->add_option("--version", o->version, "Firmware version (must match the image header)")
      ->required();
  up->add_option("--project", o->project, "Project name (must match the image header)");
  up->add_option("--name", o->name, "Image name (default: the file name)");
  ctx.on(*up, [&ctx, o] { return upload(ctx, *o); });

  auto* images = ota->add_subcommand("images", "List the images");
  images->add_flag("--archived", o->archived, "List the archived images instead");
  ctx.on(*images, [&ctx, o] { return list_images(ctx, *o); });

  auto* image = ota->add_subcommand("image", "Show an image, with a download URL valid 24 h");
  image->add_option("ota_image_id", o->image_id, "OTA image ID")->required();
  ctx.on(*image, [&ctx, o] { return show_image(ctx, *o); });

  auto* archive = ota->add_subcommand("archive", "Archive an image (new jobs cannot use it)");
  archive->add_option("ota_image_id", o->image_id, "OTA image ID")->required();
  archive->add_flag("--undo", o->undo, "Unarchive it");
  ctx.on(*archive, [&ctx, o] { return archive_image(ctx, *o); });

  auto* remove = ota->add_subcommand("delete", "Delete an image no active job uses");
  remove->add_option("ota_image_id", o->image_id, "OTA image ID")->required();
  ctx.on(*remove, [&ctx, o] { return delete_image(ctx, *o); });

  add_job_commands(*ota, ctx, o);
}

}  // namespace stratus::cli::detail
