// Proves the pure parts of the OTA commands: `ota job create`'s options map onto the job
// request (targets, flags, priority, the staged rollout with its defaults, a generated
// name) and every bad combination is refused naming the flag; counts, the per-node
// table, the job view and otaupgrade's progress lines read as documented.
// How: plain inputs and expected outputs (times at 0 print as "-", so no time zone).
#include "cli/ota.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace stratus::cli {
namespace {

using std::chrono::system_clock;

const system_clock::time_point kNow{std::chrono::seconds(1796292900)};  // 2026-12-03T10:15:00Z

TEST(OtaJobArgs, MapOntoTheJobRequest) {
  OtaJobArgs a;
  a.image_id = "img1";
  a.nodes = "n1, n2,,n3";
  a.name = "spring";
  a.description = "Fixes the dimmer";
  a.force_push = true;
  a.priority = 2;
  auto job = new_ota_job(a, kNow);
  ASSERT_TRUE(job) << job.error().message();
  EXPECT_EQ(job->ota_image_id, "img1");
  EXPECT_EQ(job->ota_job_name, "spring");
  EXPECT_EQ(job->description, "Fixes the dimmer");
  EXPECT_EQ(job->nodes, (std::vector<std::string>{"n1", "n2", "n3"}));
  EXPECT_TRUE(job->groups.empty());
  EXPECT_TRUE(job->force_push);
  EXPECT_FALSE(job->user_approval);
  EXPECT_EQ(job->priority, 2);
  EXPECT_FALSE(job->rollout);

  OtaJobArgs model;
  model.image_id = "img1";
  model.model = "light-v2";
  model.type = "esp.device.lightbulb";
  model.percent = 10;
  model.interval_s = 600;
  job = new_ota_job(model, kNow);
  ASSERT_TRUE(job) << job.error().message();
  EXPECT_EQ(job->node_model, "light-v2");
  EXPECT_EQ(job->node_type, "esp.device.lightbulb");
  EXPECT_EQ(job->priority, 5) << "the server's default";
  EXPECT_EQ(job->ota_job_name, "ota-img1-20261203T101500Z");
  ASSERT_TRUE(job->rollout);
  EXPECT_EQ(job->rollout->percent, 10);
  EXPECT_FALSE(job->rollout->batch_size);
  EXPECT_EQ(job->rollout->interval_s, 600);
  EXPECT_EQ(job->rollout->stop_on_failure_percent, 100) << "never pause unless asked";

  OtaJobArgs groups;
  groups.image_id = "img1";
  groups.groups = "g1";
  groups.batch_size = 5;
  groups.stop_on_failure_percent = 20;
  groups.user_approval = true;
  job = new_ota_job(groups, kNow);
  ASSERT_TRUE(job) << job.error().message();
  EXPECT_EQ(job->groups, std::vector<std::string>{"g1"});
  EXPECT_TRUE(job->user_approval);
  EXPECT_EQ(job->rollout->batch_size, 5);
  EXPECT_EQ(job->rollout->interval_s, 0);
  EXPECT_EQ(job->rollout->stop_on_failure_percent, 20);
}

TEST(OtaJobArgs, BadCombinationsNameTheFlag) {
  // The error of `new_ota_job` for image "img1" and what `set` fills in.
  const auto error_of = [](const std::function<void(OtaJobArgs&)>& set) {
    OtaJobArgs a;
    a.image_id = "img1";
    set(a);
    auto job = new_ota_job(a, kNow);
    EXPECT_FALSE(job);
    if (job)
      return std::string();
    EXPECT_EQ(job.error().code, errc::invalid_argument);
    return job.error().context;
  };
  EXPECT_EQ(error_of([](OtaJobArgs& a) {
              a.image_id.clear();
              a.nodes = "n1";
            }),
            "--image is required");
  EXPECT_EQ(error_of([](OtaJobArgs&) {}), "name the targets: --nodes a,b, --groups g or --model M");
  EXPECT_EQ(error_of([](OtaJobArgs& a) { a.nodes = " , "; }),
            "name the targets: --nodes a,b, --groups g or --model M");
  EXPECT_EQ(error_of([](OtaJobArgs& a) {
              a.nodes = "n1";
              a.groups = "g1";
            }),
            "--nodes, --groups and --model exclude each other");
  EXPECT_EQ(error_of([](OtaJobArgs& a) {
              a.nodes = "n1";
              a.type = "t";
            }),
            "--type needs --model");
  EXPECT_EQ(error_of([](OtaJobArgs& a) {
              a.nodes = "n1";
              a.force_push = a.user_approval = true;
            }),
            "--force-push and --user-approval exclude each other");
  const std::vector<std::pair<std::function<void(OtaJobArgs&)>, std::string>> ranges{
      {[](OtaJobArgs& a) { a.priority = 0; }, "--priority must be 1-10"},
      {[](OtaJobArgs& a) { a.priority = 11; }, "--priority must be 1-10"},
      {[](OtaJobArgs& a) { a.batch_size = 0; }, "--batch-size must be 1-10000"},
      {[](OtaJobArgs& a) { a.percent = 101; }, "--percent must be 1-100"},
      {[](OtaJobArgs& a) {
         a.batch_size = 1;
         a.interval_s = -1;
       },
       "--interval must be 0-86400"},
      {[](OtaJobArgs& a) {
         a.batch_size = 1;
         a.stop_on_failure_percent = 120;
       },
       "--stop-on-failure must be 0-100"},
      {[](OtaJobArgs& a) {
         a.batch_size = 2;
         a.percent = 10;
       },
       "--batch-size and --percent exclude each other"},
      {[](OtaJobArgs& a) { a.interval_s = 60; },
       "--interval and --stop-on-failure need --batch-size or --percent"}};
  for (const auto& [set, expected] : ranges) {
    EXPECT_EQ(error_of([&](OtaJobArgs& a) {
                a.nodes = "n1";
                set(a);
              }),
              expected);
  }
}

TEST(OtaText, CountsListTheStatesThatHaveNodes) {
  EXPECT_EQ(ota_counts_text({}), "total 0");
  client::OtaJobCounts c;
  c.total = 10;
  c.pending = 4;
  c.in_progress = 2;
  c.success = 3;
  c.failed = 1;
  EXPECT_EQ(ota_counts_text(c), "total 10: pending 4, in-progress 2, success 3, failed 1");
  EXPECT_TRUE(ota_job_settled("finished"));
  EXPECT_TRUE(ota_job_settled("cancelled"));
  EXPECT_TRUE(ota_job_settled("paused"));
  EXPECT_FALSE(ota_job_settled("active"));
}

TEST(OtaText, TheJobViewAndTheNodeTable) {
  EXPECT_EQ(ota_node_table({}, kNow), "no nodes\n");
  client::OtaJob job;
  job.ota_job_id = "job1";
  job.ota_job_name = "spring";
  job.ota_image_id = "img1";
  job.fw_version = "1.2.0";
  job.status = "paused";
  job.pause_reason = "2 of 4 nodes failed";
  job.nodes = {"n1", "n2"};
  job.priority = 3;
  job.force_push = true;
  job.rollout = client::OtaRollout{2, std::nullopt, 120, 25};
  job.batches_released = 1;
  job.counts.total = 2;
  job.counts.failed = 1;
  job.counts.pending = 1;
  std::vector<client::OtaNodeStatus> statuses{
      {"n1", "job1", "failed", 0, "Image validation failed", "NODE", 1},
      {"n2", "job1", "pending", 0, "", "CLOUD", 0}};
  EXPECT_EQ(ota_job_view(job, statuses, kNow),
            "ota_job_id      job1\n"
            "name            spring\n"
            "image           img1 (1.2.0)\n"
            "status          paused: 2 of 4 nodes failed\n"
            "targets         nodes n1, n2\n"
            "options         priority 3, force push\n"
            "rollout         2 nodes per batch every 2 min, pause at 25% failed; 1 released\n"
            "created         -\n"
            "nodes by state  total 2: pending 1, failed 1\n"
            "\n"
            "NODE ID  STATUS   BATCH  UPDATED  INFO\n"
            "n1       failed   1      -        Image validation failed\n"
            "n2       pending  -      -        -\n");
}

TEST(OtaText, ProgressLines) {
  EXPECT_EQ(ota_params_progress_line({}), "(no status yet)");
  EXPECT_EQ(ota_params_progress_line({"in-progress", "Downloading 40%"}),
            "in-progress: Downloading 40%");
  EXPECT_EQ(ota_params_progress_line({"success", ""}), "success");
  EXPECT_EQ(ota_params_progress_line({"", "Starting"}), "Starting");
}

}  // namespace
}  // namespace stratus::cli
