// Proves the OTA use cases (issue 17, docs/adr/0013) with an injected clock: image uploads
// are checked against their ESP header and stored content-addressed; a job targets only the
// nodes whose model/type/chip match; `otafetch` gets a signed `otaurl` (an approval only
// while its user is still the node's primary user, docs/adr/0036); `otastatus` moves the
// node's state; a config with the new fw_version confirms success when the last otastatus
// was lost; a staged rollout releases the next batch only when the previous one finished,
// and pauses when its failure share reaches the threshold; a force-push job pushes to
// online nodes, to a node when it comes online, and again from the sweep when that push
// was lost; cancel withdraws offers and their download URLs; silent nodes time out; another
// node's URL is refused; a new service over the same database (a restart) carries on the
// rollout.
// How: real SQLite and image files in a temp dir, the real EventHub, the real file image
// store, a messenger that records otaurl offers, ManualClock, `sweep_now` for the rollout.
#include "service/ota_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "core/base64.hpp"
#include "proto/esp_image.hpp"
#include "proto/ota.hpp"
#include "proto/rest/error_codes.hpp"
#include "server/file_ota_image_store.hpp"
#include "storage/sql/access_repository.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "storage/sql/ota_repository.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using namespace std::chrono_literals;

class RecordingMessenger final : public NodeMessenger {
 public:
  Result<void> publish_params_remote(std::string_view, std::string_view) override { return {}; }
  Result<void> publish_to_node(std::string_view, std::string_view) override { return {}; }
  Result<void> publish_ota_url(std::string_view node_id, std::string_view payload) override {
    if (on_publish)
      on_publish(node_id);  // what a node downloading at once would see
    std::lock_guard lock(mutex_);
    offers_.emplace_back(node_id, payload);
    return {};
  }
  /// Called at each otaurl publish, before it is recorded (set before the service runs).
  std::function<void(std::string_view)> on_publish;
  std::vector<proto::OtaUrl> offers_to(std::string_view node) {
    std::lock_guard lock(mutex_);
    std::vector<proto::OtaUrl> out;
    for (const auto& [id, payload] : offers_) {
      if (id == node)
        out.push_back(*proto::parse_ota_url(payload));
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> offers_;
};

std::string image_bytes(const std::string& version, const std::string& project = "led_light",
                        std::uint16_t chip = 0x05) {
  return *proto::make_esp_image(
      {.chip_id = chip, .version = version, .project_name = project, .payload_bytes = 5000});
}

// The real repository, but `release_batch` (`set_job_node`) fails with `unavailable`
// while `failing_releases` (`failing_node_writes`) is above zero (a database blip).
class FlakyReleases final : public storage::OtaRepository {
 public:
  explicit FlakyReleases(storage::OtaRepository& real) : real_(real) {}
  Result<void> add_image(const storage::OtaImageRecord& image) override {
    return real_.add_image(image);
  }
  Result<std::optional<storage::OtaImageRecord>> image(std::string_view id) override {
    return real_.image(id);
  }
  Result<std::vector<storage::OtaImageRecord>> images(std::string_view start_id, std::size_t limit,
                                                      bool archived, bool user_images) override {
    return real_.images(start_id, limit, archived, user_images);
  }
  Result<bool> sha256_in_use(std::string_view sha256) override {
    return real_.sha256_in_use(sha256);
  }
  Result<void> set_image_archived(std::string_view id, bool archived) override {
    return real_.set_image_archived(id, archived);
  }
  Result<bool> remove_image(std::string_view id) override { return real_.remove_image(id); }
  Result<void> create_job(const storage::OtaJobRecord& job,
                          const std::vector<std::string>& node_ids) override {
    return real_.create_job(job, node_ids);
  }
  Result<std::optional<storage::OtaJobRecord>> job(std::string_view id) override {
    return real_.job(id);
  }
  Result<std::vector<storage::OtaJobRecord>> jobs(std::string_view start_id,
                                                  std::size_t limit) override {
    return real_.jobs(start_id, limit);
  }
  Result<std::vector<storage::OtaJobRecord>> active_jobs() override { return real_.active_jobs(); }
  Result<void> update_job(const storage::OtaJobRecord& job, std::string_view expected) override {
    return real_.update_job(job, expected);
  }
  Result<std::vector<std::string>> cancel_job(std::string_view id, std::int64_t now) override {
    return real_.cancel_job(id, now);
  }
  Result<std::vector<storage::OtaStatusCount>> status_counts(std::string_view id) override {
    return real_.status_counts(id);
  }
  Result<std::vector<storage::OtaStatusCount>> released_counts(std::string_view id) override {
    return real_.released_counts(id);
  }
  Result<std::vector<std::string>> release_batch(std::string_view id, std::int64_t batch,
                                                 std::int64_t count, std::int64_t next_batch_ms,
                                                 std::int64_t updated_ms) override {
    if (failing_releases > 0) {
      --failing_releases;
      return fail(errc::unavailable, "the database is restarting");
    }
    return real_.release_batch(id, batch, count, next_batch_ms, updated_ms);
  }
  Result<std::vector<storage::OtaJobNodeRecord>> job_nodes(std::string_view id,
                                                           std::string_view node_id,
                                                           std::string_view start,
                                                           std::size_t limit) override {
    return real_.job_nodes(id, node_id, start, limit);
  }
  Result<bool> set_job_node(const storage::OtaJobNodeRecord& state,
                            const std::vector<std::string>& from,
                            std::optional<std::int64_t> updated_before) override {
    if (failing_node_writes > 0) {
      --failing_node_writes;
      return fail(errc::unavailable, "the database is restarting");
    }
    return real_.set_job_node(state, from, updated_before);
  }
  Result<std::vector<storage::OtaOffer>> offers_for_node(std::string_view node_id) override {
    return real_.offers_for_node(node_id);
  }
  Result<std::vector<storage::OtaJobNodeRecord>> stale_job_nodes(
      const std::vector<std::string>& statuses, std::int64_t before_ms) override {
    return real_.stale_job_nodes(statuses, before_ms);
  }
  Result<std::vector<storage::OtaTargetNode>> target_nodes(const std::vector<std::string>& ids,
                                                           const std::vector<std::string>& groups,
                                                           std::string_view model,
                                                           std::string_view type) override {
    return real_.target_nodes(ids, groups, model, type);
  }
  Result<std::optional<storage::OtaTargetNode>> target_node(std::string_view node_id) override {
    return real_.target_node(node_id);
  }

  std::atomic<int> failing_releases{0};
  std::atomic<int> failing_node_writes{0};

 private:
  storage::OtaRepository& real_;
};

class OtaServiceTest : public ::testing::Test {
 protected:
  OtaServiceTest()
      : clock_(std::chrono::system_clock::time_point(std::chrono::seconds(1800000000))),
        db_(test::open_test_database(dir_, 3)),
        accounts_(db_),
        nodes_(db_),
        access_(db_),
        ota_repo_(db_),
        store_((dir_.path() / "ota").string()),
        hub_(node_access_lookup(access_), clock_, metrics_, EventHubOptions{}),
        signer_(std::make_shared<OtaDownloadSigner>(std::string(32, 'k'), "https://cloud:8080")) {
    EXPECT_TRUE(store_.open());
    EXPECT_TRUE(accounts_.create_user({"u1", "u1@example.com", "x", true, false, "", 1, 1}));
    EXPECT_TRUE(accounts_.create_user({"adm", "adm@example.com", "x", true, true, "", 1, 1}));
    for (const auto* node : {"n1", "n2", "n3", "n4"})
      add_node(node, "led_light", "esp32c3", true);
    add_node("other", "fan", "esp32c3", true);
    hub_.start();
  }
  ~OtaServiceTest() override { hub_.stop(); }

  void add_node(const std::string& node, const std::string& model, const std::string& chip,
                bool connected) {
    EXPECT_TRUE(nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
      if (auto r = w.ensure_node(node, 1); !r)
        return r;
      storage::NodeInfoIndex info;
      info.model = model;
      info.type = "Lightbulb";
      info.fw_version = "1.0";
      info.platform = chip;
      if (auto r = w.put_config(node, R"({"info":{"fw_version":"1.0"}})", info, 1); !r)
        return r;
      if (auto r = w.set_connectivity(node, connected, 1); !r)
        return fail(r.error());
      return w.add_user("u1", node, "primary", 1);
    }));
  }

  // `sweep_page`: node rows the sweep reads at a time (1: every row is a page of its own).
  // Over `repository` when given, else over the store itself.
  std::unique_ptr<OtaService> service(std::size_t sweep_page = 10000,
                                      storage::OtaRepository* repository = nullptr) {
    OtaOptions options;
    options.poll = 1h;  // the tests sweep by hand
    options.node_timeout = 600s;
    options.failed_grace = 0s;
    options.sweep_page = sweep_page;
    storage::OtaRepository& repo = repository != nullptr ? *repository : ota_repo_;
    auto s = std::make_unique<OtaService>(repo, access_, store_, messenger_, hub_, signer_, clock_,
                                          metrics_, options, audit_);
    s->start();
    return s;
  }

  std::string upload(OtaService& ota, const std::string& version, const std::string& model) {
    rest::OtaImageUpload upload{"fw-" + version, base64_encode(image_bytes(version)), version,
                                model, std::nullopt};
    auto image = ota.add_base64_image(admin_, upload);
    EXPECT_TRUE(image) << image.error().message();
    return image ? image->ota_image_id : "";
  }

  std::string job(OtaService& ota, const std::string& image_id, std::string_view extra) {
    auto body = json::parse(R"({"ota_job_name":"j)" + std::to_string(++jobs_) +
                            R"(","ota_image_id":")" + image_id + "\"" + std::string(extra) + "}")
                    .as_object();
    auto request = rest::parse_new_ota_job(body);
    EXPECT_TRUE(request) << request.error().message();
    auto id = ota.create_job(admin_, *request);
    EXPECT_TRUE(id) << id.error().message();
    return id.value_or("");
  }

  std::string status_of(OtaService& ota, const std::string& job_id, const std::string& node) {
    auto page = ota.job_statuses(admin_, job_id, node, "", 10);
    return page && !page->statuses.empty() ? page->statuses.front().status : "";
  }

  void fetch(OtaService& ota, const std::string& node, const std::string& version = "1.0") {
    ASSERT_TRUE(ota.on_fetch(node, proto::OtaFetch{node, version, std::nullopt}));
    ASSERT_TRUE(ota.flush(5s));
  }
  void report(OtaService& ota, const std::string& node, const std::string& job_id,
              proto::OtaState state, std::string info = "") {
    ASSERT_TRUE(
        ota.on_status(node, proto::OtaStatus{job_id, state, std::move(info), std::nullopt, {}}));
    ASSERT_TRUE(ota.flush(5s));
  }

  test::TempDir dir_;
  ManualClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  MetricsRegistry metrics_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository accounts_;
  storage::sql::SqlNodeRepository nodes_;
  storage::sql::SqlAccessRepository access_;
  storage::sql::SqlOtaRepository ota_repo_;
  server::FileOtaImageStore store_;
  RecordingMessenger messenger_;
  EventHub hub_;
  std::shared_ptr<const OtaDownloadSigner> signer_;
  const Principal admin_{"adm", "s", true, 0};
  const Principal u1_{"u1", "s", false, 0};
  int jobs_ = 0;
};

TEST_F(OtaServiceTest, ImagesAreCheckedAgainstTheirHeader) {
  auto ota = service();
  const auto bytes = image_bytes("2.0");
  auto image = ota->add_base64_image(admin_, {"fw", base64_encode(bytes), "2.0", "led_light", {}});
  ASSERT_TRUE(image) << image.error().message();
  EXPECT_EQ(image->fw_version, "2.0");
  EXPECT_EQ(image->project_name, "led_light");
  EXPECT_EQ(image->chip, "esp32c3");
  EXPECT_EQ(image->file_size, static_cast<std::int64_t>(bytes.size()));
  EXPECT_TRUE(std::filesystem::exists(store_.path_of(image->file_sha256)));
  EXPECT_TRUE(image->image_url.starts_with("https://cloud:8080/v1/ota/download?image="));

  auto mismatch = ota->add_base64_image(admin_, {"fw", base64_encode(bytes), "2.1", {}, {}});
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().reason, rest::ota_image_error::declared_mismatch);
  auto corrupt = bytes;
  corrupt[400] ^= 1;
  auto bad = ota->add_base64_image(admin_, {"fw", base64_encode(corrupt), {}, {}, {}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().reason, rest::ota_image_error::image_invalid);
  EXPECT_NE(bad.error().context.find("checksum"), std::string::npos);
  EXPECT_EQ(ota->add_base64_image(admin_, {"fw", "%%%", {}, {}, {}}).error().reason,
            rest::ota_image_error::base64_invalid);
  EXPECT_EQ(ota->add_base64_image(u1_, {"fw", base64_encode(bytes), {}, {}, {}}).error().code,
            errc::forbidden);
  // Nothing of the refused uploads stays on disk: one image file, no uploads left.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path() / "ota" / "images"),
                          std::filesystem::directory_iterator{}),
            1);
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "ota" / "uploads"));
  // A user image needs a node the caller is primary of.
  auto user_image = ota->add_user_image(u1_, {"mine", base64_encode(bytes), {}, {}, {}});
  ASSERT_TRUE(user_image) << user_image.error().message();
  const Principal stranger{"nobody", "s", false, 0};
  EXPECT_EQ(ota->add_user_image(stranger, {"x", base64_encode(bytes), {}, {}, {}}).error().reason,
            rest::ota_image_error::user_upload_forbidden);
}

TEST_F(OtaServiceTest, FetchGetsASignedOfferAndStatusMovesTheNode) {
  auto ota = service();
  const auto image = upload(*ota, "2.0", "led_light");
  const auto id = job(*ota, image, R"(,"nodes":["n1","n2","other"])");
  auto shown = ota->get_job(admin_, id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->counts.total, 2) << "the fan is not a led_light";
  EXPECT_TRUE(messenger_.offers_to("n1").empty()) << "no push without force_push";

  fetch(*ota, "n1");
  const auto offers = messenger_.offers_to("n1");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].ota_job_id, id);
  EXPECT_EQ(offers[0].fw_version, "2.0");
  EXPECT_EQ(status_of(*ota, id, "n1"), "offered");

  // The URL is the credential: it works for n1, not when edited for n2, not after expiry.
  const auto query = offers[0].url.substr(offers[0].url.find('?') + 1);
  std::map<std::string, std::string> q;
  for (const auto& part : std::vector<std::string>{"image", "node", "expires", "sig"}) {
    const auto at = query.find(part + "=");
    ASSERT_NE(at, std::string::npos);
    q[part] = query.substr(at + part.size() + 1, query.find('&', at) - at - part.size() - 1);
  }
  const auto now_s = unix_ms(clock_.now()) / 1000;
  auto grant = signer_->verify(q["image"], q["node"], std::nullopt, q["expires"], q["sig"], now_s);
  ASSERT_TRUE(grant) << grant.error().message();
  auto file = ota->authorize_download(*grant);
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_TRUE(std::filesystem::exists(file->path));
  EXPECT_FALSE(signer_->verify(q["image"], std::string_view("n2"), std::nullopt, q["expires"],
                               q["sig"], now_s));
  EXPECT_FALSE(
      signer_->verify(q["image"], q["node"], std::nullopt, q["expires"], q["sig"], now_s + 3601));
  // n2 was never offered anything: a URL made for it is refused at download time.
  auto n2_grant = OtaDownloadGrant{image, OtaDownloadGrant::Kind::node, "n2", now_s + 60};
  EXPECT_EQ(ota->authorize_download(n2_grant).error().reason,
            rest::ota_job_error::download_forbidden);

  report(*ota, "n1", id, proto::OtaState::in_progress, "Downloaded 50% Firmware Image");
  EXPECT_EQ(status_of(*ota, id, "n1"), "in-progress");
  report(*ota, "n1", id, proto::OtaState::success, "OTA Upgrade finished and verified");
  EXPECT_EQ(status_of(*ota, id, "n1"), "success");
  report(*ota, "n1", id, proto::OtaState::in_progress, "a late report");
  EXPECT_EQ(status_of(*ota, id, "n1"), "success") << "success is final";
  report(*ota, "n1", "no-such-job", proto::OtaState::failed);  // dropped, counted
  // A node already running the version is marked success, not offered.
  fetch(*ota, "n2", "2.0");
  EXPECT_TRUE(messenger_.offers_to("n2").empty());
  EXPECT_EQ(status_of(*ota, id, "n2"), "success");
  ota->sweep_now();
  EXPECT_EQ(ota->get_job(admin_, id)->status, "finished");
}

TEST_F(OtaServiceTest, ConfigWithTheNewVersionConfirmsALostFinalStatus) {
  auto ota = service();
  const auto id = job(*ota, upload(*ota, "3.0", "led_light"), R"(,"nodes":["n1"])");
  fetch(*ota, "n1");
  report(*ota, "n1", id, proto::OtaState::in_progress, "Rebooting into new firmware");
  hub_.publish({EventDraft{rest::EventKind::config,
                           "n1",
                           {},
                           unix_ms(clock_.now()),
                           R"({"config":{"info":{"fw_version":"3.0"}}})"}});
  ASSERT_TRUE(hub_.flush(5s));
  ASSERT_TRUE(ota->flush(5s));
  EXPECT_EQ(status_of(*ota, id, "n1"), "success");
}

// The runner's sweep may release a job's next batch while the job's creation (or a resume,
// or another instance's sweep) releases the same one: the repository releases each batch
// once. Under load this test's neighbour once saw batch 1 released twice, the second time
// with n3 and n4.
TEST_F(OtaServiceTest, EachBatchIsReleasedOnceWhoeverAsksForIt) {
  auto ota = service();
  const auto id = job(*ota, upload(*ota, "2.0", "led_light"),
                      R"(,"nodes":["n1","n2","n3","n4"],"rollout":{"batch_size":2,)"
                      R"("interval_s":60,"stop_on_failure_percent":50})");
  ASSERT_EQ(ota->get_job(admin_, id)->batches_released, 1);
  const auto again = ota_repo_.release_batch(id, 1, 2, 0, 0);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::conflict);
  fetch(*ota, "n3");
  EXPECT_TRUE(messenger_.offers_to("n3").empty()) << "n3 was released with batch 1";
  const auto next = ota_repo_.release_batch(id, 2, 2, 0, 0);
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(*next, (std::vector<std::string>{"n3", "n4"}));
  EXPECT_EQ(ota->get_job(admin_, id)->batches_released, 2);
}

// A sweep reads a job active, then writes what it decided (pause, finish, the next
// batch). A cancel in between must stand: the writes are compare-and-set on the status,
// where a write of the whole row once brought a cancelled job back to life.
TEST_F(OtaServiceTest, ACancelBetweenASweepsReadAndItsWriteStands) {
  auto ota = service();
  const auto id = job(*ota, upload(*ota, "2.0", "led_light"),
                      R"(,"nodes":["n1","n2","n3","n4"],"rollout":{"batch_size":2,)"
                      R"("interval_s":60,"stop_on_failure_percent":50})");
  auto read = ota_repo_.job(id);
  ASSERT_TRUE(read && *read);
  auto stale = **read;
  ASSERT_EQ(stale.status, "active");
  ASSERT_TRUE(ota->cancel_job(admin_, id));

  stale.status = "paused";
  stale.pause_reason = "batch 1: 1 of 2 nodes failed";
  const auto paused = ota_repo_.update_job(stale, "active");
  ASSERT_FALSE(paused);
  EXPECT_EQ(paused.error().code, errc::conflict);
  const auto released = ota_repo_.release_batch(id, 2, 2, 0, 0);
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, errc::conflict);

  const auto shown = ota->get_job(admin_, id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, "cancelled");
  EXPECT_EQ(shown->batches_released, 1);
  EXPECT_TRUE(shown->pause_reason.empty()) << shown->pause_reason;
  fetch(*ota, "n3");
  EXPECT_TRUE(messenger_.offers_to("n3").empty()) << "n3 was released after the cancel";

  stale.job_id = "no-such-job";
  const auto missing = ota_repo_.update_job(stale, "active");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
}

// The sweep times out a node only if its row is as the sweep read it: news committed
// since (a progress report) keeps it open.
TEST_F(OtaServiceTest, TheSweepTimesOutOnlyANodeWithNoNewsSinceItsRead) {
  auto ota = service();
  const auto id = job(*ota, upload(*ota, "2.0", "led_light"), R"(,"nodes":["n1"])");
  fetch(*ota, "n1");
  auto rows = ota_repo_.job_nodes(id, "n1", "", 1);
  ASSERT_TRUE(rows && rows->size() == 1);
  auto read = rows->front();
  ASSERT_EQ(read.status, "offered");
  auto timed_out = read;
  timed_out.status = "timed_out";
  timed_out.updated_ms = read.updated_ms + 1000;
  const std::vector<std::string> open = {"pending", "offered", "in-progress", "delayed"};
  // A report committed after the sweep's read moved updated_ms past its bound.
  auto changed = ota_repo_.set_job_node(timed_out, open, read.updated_ms);
  ASSERT_TRUE(changed) << changed.error().message();
  EXPECT_FALSE(*changed);
  EXPECT_EQ(status_of(*ota, id, "n1"), "offered");
  changed = ota_repo_.set_job_node(timed_out, open, read.updated_ms + 1);
  ASSERT_TRUE(changed) << changed.error().message();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(status_of(*ota, id, "n1"), "timed_out");
}

// Approving an update the node is already downloading does not restart it.
TEST_F(OtaServiceTest, ARepeatedApprovalLeavesARunningDownloadAlone) {
  auto ota = service();
  const auto id =
      job(*ota, upload(*ota, "2.0", "led_light"), R"(,"nodes":["n1"],"user_approval":true)");
  ASSERT_TRUE(ota->approve_update(u1_, "n1", id)) << "the first approval";
  EXPECT_EQ(status_of(*ota, id, "n1"), "offered");
  report(*ota, "n1", id, proto::OtaState::in_progress);
  ASSERT_EQ(status_of(*ota, id, "n1"), "in-progress");
  ASSERT_TRUE(ota->approve_update(u1_, "n1", id));
  ASSERT_TRUE(ota->flush(5s));
  EXPECT_EQ(status_of(*ota, id, "n1"), "in-progress");
}

// An approval is the approving user's: once that user is disabled, or no longer the
// node's primary user (a transfer, a removal), the node is not offered the update on its
// next fetch or connect; it waits for an approval again.
TEST_F(OtaServiceTest, AnApprovalLapsesOnceItsUserIsNoLongerThePrimaryUser) {
  auto ota = service();
  const auto id =
      job(*ota, upload(*ota, "2.0", "led_light"), R"(,"nodes":["n1"],"user_approval":true)");
  ASSERT_TRUE(ota->approve_update(u1_, "n1", id));
  ASSERT_TRUE(ota->flush(5s));
  ASSERT_EQ(messenger_.offers_to("n1").size(), 1u) << "pushed at once (n1 is online)";

  ASSERT_TRUE(accounts_.set_disabled("u1", true, 2));
  fetch(*ota, "n1");  // the node asks again (it rebooted before downloading)
  EXPECT_EQ(status_of(*ota, id, "n1"), "pending");
  EXPECT_EQ(messenger_.offers_to("n1").size(), 1u) << "no offer for a disabled approver";

  ASSERT_TRUE(accounts_.set_disabled("u1", false, 3));
  ASSERT_TRUE(ota->approve_update(u1_, "n1", id));
  ASSERT_TRUE(ota->flush(5s));
  ASSERT_EQ(messenger_.offers_to("n1").size(), 2u);
  ASSERT_TRUE(accounts_.create_user({"u2", "u2@example.com", "x", true, false, "", 1, 1}));
  ASSERT_TRUE(nodes_.write([](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.remove_user("u1", "n1", "test", 4); !r)
      return fail(r.error());
    return w.add_user("u2", "n1", "primary", 4);  // the node changed hands
  }));
  fetch(*ota, "n1");
  EXPECT_EQ(status_of(*ota, id, "n1"), "pending") << "u2 never approved it";
  EXPECT_EQ(messenger_.offers_to("n1").size(), 2u);
}

// A download URL outlives the checks made when it was signed, so each download checks
// again: a node's URL of a job with user_approval stops working once the node changed
// hands (its row back to `pending`); a user's image URL once the user is disabled.
TEST_F(OtaServiceTest, ADownloadChecksTheApprovalAndTheUserAgain) {
  auto ota = service();
  const auto image = upload(*ota, "2.0", "led_light");
  const auto id = job(*ota, image, R"(,"nodes":["n1"],"user_approval":true)");
  ASSERT_TRUE(ota->approve_update(u1_, "n1", id));
  ASSERT_TRUE(ota->flush(5s));
  ASSERT_EQ(status_of(*ota, id, "n1"), "offered");
  const auto now_s = unix_ms(clock_.now()) / 1000;
  const OtaDownloadGrant n1{image, OtaDownloadGrant::Kind::node, "n1", now_s + 60};
  EXPECT_TRUE(ota->authorize_download(n1)) << "approved by its primary user";
  ASSERT_TRUE(accounts_.create_user({"u2", "u2@example.com", "x", true, false, "", 1, 1}));
  ASSERT_TRUE(nodes_.write([](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.remove_user("u1", "n1", "test", 4); !r)
      return fail(r.error());
    return w.add_user("u2", "n1", "primary", 4);
  }));
  auto refused = ota->authorize_download(n1);
  ASSERT_FALSE(refused) << "u2 never approved it";
  EXPECT_EQ(refused.error().reason, rest::ota_job_error::download_forbidden);
  EXPECT_EQ(status_of(*ota, id, "n1"), "pending");

  const OtaDownloadGrant admin{image, OtaDownloadGrant::Kind::user, "adm", now_s + 60};
  EXPECT_TRUE(ota->authorize_download(admin));
  ASSERT_TRUE(accounts_.set_disabled("adm", true, 5));
  refused = ota->authorize_download(admin);
  ASSERT_FALSE(refused) << "a disabled user's URL";
  EXPECT_EQ(refused.error().reason, rest::ota_job_error::download_forbidden);
  const OtaDownloadGrant nobody{image, OtaDownloadGrant::Kind::user, "gone", now_s + 60};
  EXPECT_FALSE(ota->authorize_download(nobody)) << "a removed user's URL";
}

TEST_F(OtaServiceTest, RolloutWaitsForEachBatchAndPausesOnFailures) {
  auto ota = service();
  const auto image = upload(*ota, "2.0", "led_light");
  const auto id = job(*ota, image,
                      R"(,"nodes":["n1","n2","n3","n4"],"rollout":{"batch_size":2,)"
                      R"("interval_s":60,"stop_on_failure_percent":50})");
  auto shown = ota->get_job(admin_, id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->batches_released, 1);
  EXPECT_EQ(shown->counts.total, 4);
  // Batch 1 is n1 and n2 (node id order); n3 is not released and gets nothing.
  fetch(*ota, "n3");
  EXPECT_TRUE(messenger_.offers_to("n3").empty());
  fetch(*ota, "n1");
  fetch(*ota, "n2");
  report(*ota, "n1", id, proto::OtaState::success);
  clock_.advance(120s);
  ota->sweep_now();
  EXPECT_EQ(ota->get_job(admin_, id)->batches_released, 1) << "n2 is still running";
  report(*ota, "n2", id, proto::OtaState::failed, "OTA Attempt 3/3 failed");
  clock_.advance(1s);
  ota->sweep_now();
  shown = ota->get_job(admin_, id);
  EXPECT_EQ(shown->status, "paused");
  EXPECT_NE(shown->pause_reason.find("1 of 2"), std::string::npos) << shown->pause_reason;
  EXPECT_EQ(shown->batches_released, 1);

  // Resumed, batch 2 goes out; a new service over the same database (a restart) carries on.
  ASSERT_TRUE(ota->resume_job(admin_, id));
  EXPECT_EQ(ota->get_job(admin_, id)->batches_released, 2);
  ota.reset();
  auto restarted = service();
  fetch(*restarted, "n3");
  EXPECT_EQ(messenger_.offers_to("n3").size(), 1u);
  report(*restarted, "n3", id, proto::OtaState::success);
  report(*restarted, "n4", id, proto::OtaState::rejected, "Same version received");
  restarted->sweep_now();
  EXPECT_EQ(restarted->get_job(admin_, id)->status, "finished");
}

// The sweep reads every node row of a job, a page at a time: a job larger than a page
// (here pages of one row) is not finished while rows past the first page are open, and
// its later batches are released.
TEST_F(OtaServiceTest, TheSweepReadsEveryPageOfAJobsNodes) {
  auto ota = service(1);
  const auto image = upload(*ota, "2.0", "led_light");
  const auto id = job(*ota, image, R"(,"nodes":["n1","n2","n3","n4"],"rollout":{"batch_size":2})");
  fetch(*ota, "n1");
  fetch(*ota, "n2");
  report(*ota, "n1", id, proto::OtaState::success);
  report(*ota, "n2", id, proto::OtaState::success);
  clock_.advance(1s);
  ota->sweep_now();
  auto shown = ota->get_job(admin_, id);
  EXPECT_EQ(shown->status, "active");
  EXPECT_EQ(shown->batches_released, 2) << "n3 and n4 were on later pages";
  fetch(*ota, "n3");
  EXPECT_EQ(messenger_.offers_to("n3").size(), 1u);
  report(*ota, "n3", id, proto::OtaState::success);
  clock_.advance(1s);
  ota->sweep_now();
  EXPECT_EQ(ota->get_job(admin_, id)->status, "active") << "n4 is still open";
  report(*ota, "n4", id, proto::OtaState::success);
  clock_.advance(1s);
  ota->sweep_now();
  EXPECT_EQ(ota->get_job(admin_, id)->status, "finished");
}

// Once a job is stored it exists: a first release that fails (a database blip) is left to
// the sweep, and the admin is answered with the job's id, not an error that would have
// them create it a second time. Likewise for a resume.
TEST_F(OtaServiceTest, AJobWhoseFirstReleaseFailsIsCreatedAndReleasedByTheSweep) {
  FlakyReleases flaky(ota_repo_);
  auto ota = service(10000, &flaky);
  const auto image = upload(*ota, "2.0", "led_light");
  flaky.failing_releases = 1;
  const auto id = job(*ota, image, R"(,"nodes":["n1","n2"],"rollout":{"batch_size":1})");
  ASSERT_FALSE(id.empty()) << "answered with its id";
  EXPECT_EQ(flaky.failing_releases, 0);
  EXPECT_EQ(ota->get_job(admin_, id)->batches_released, 0);
  ota->sweep_now();
  EXPECT_EQ(ota->get_job(admin_, id)->batches_released, 1) << "the sweep released batch 1";
  fetch(*ota, "n1");
  EXPECT_EQ(messenger_.offers_to("n1").size(), 1u);
}

// An approval answered with success is stored: one that storage did not take is an
// error for the user to retry, not a 200 that is then lost.
TEST_F(OtaServiceTest, AnApprovalStorageRefusedIsAnError) {
  FlakyReleases flaky(ota_repo_);
  auto ota = service(10000, &flaky);
  const auto id =
      job(*ota, upload(*ota, "2.0", "led_light"), R"(,"nodes":["n1"],"user_approval":true)");
  flaky.failing_node_writes = 1;
  const auto refused = ota->approve_update(u1_, "n1", id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::unavailable);
  EXPECT_EQ(status_of(*ota, id, "n1"), "pending");
  ASSERT_TRUE(ota->approve_update(u1_, "n1", id));
  ASSERT_TRUE(ota->flush(5s));
  EXPECT_EQ(status_of(*ota, id, "n1"), "offered");
}

TEST_F(OtaServiceTest, ForcePushReachesOnlineNodesAndNodesComingOnline) {
  add_node("n5", "led_light", "esp32c3", false);
  // The offer is stored before the otaurl goes out: a node that downloads at once (before
  // the publish returns) finds its offer live, not still "pending" (the download is refused).
  std::vector<std::string> at_publish;
  messenger_.on_publish = [&](std::string_view node) {
    auto offers = ota_repo_.offers_for_node(std::string(node));
    at_publish.push_back(offers && !offers->empty() ? offers->front().node.status : "none");
  };
  auto ota = service();
  const auto id =
      job(*ota, upload(*ota, "2.0", "led_light"), R"(,"nodes":["n1","n5"],"force_push":true)");
  ASSERT_TRUE(ota->flush(5s));
  EXPECT_EQ(at_publish, std::vector<std::string>{"offered"});
  EXPECT_EQ(messenger_.offers_to("n1").size(), 1u);
  EXPECT_TRUE(messenger_.offers_to("n5").empty()) << "offline";
  EXPECT_EQ(status_of(*ota, id, "n5"), "pending");
  hub_.publish({EventDraft{rest::EventKind::connectivity,
                           "n5",
                           {},
                           unix_ms(clock_.now()),
                           R"({"connected":true,"timestamp":1})"}});
  ASSERT_TRUE(hub_.flush(5s));
  ASSERT_TRUE(ota->flush(5s));
  EXPECT_EQ(messenger_.offers_to("n5").size(), 1u);
  EXPECT_EQ(status_of(*ota, id, "n5"), "offered");

  // n1 works on the job and reboots into the new image: coming back it is not pushed the
  // job again (that would race its success report and start a second download).
  report(*ota, "n1", id, proto::OtaState::in_progress, "Rebooting into new firmware");
  const auto reconnect = [&](const char* node) {
    hub_.publish({EventDraft{rest::EventKind::connectivity,
                             node,
                             {},
                             unix_ms(clock_.now()),
                             R"({"connected":true,"timestamp":2})"}});
    ASSERT_TRUE(hub_.flush(5s));
    ASSERT_TRUE(ota->flush(5s));
  };
  reconnect("n1");
  EXPECT_EQ(messenger_.offers_to("n1").size(), 1u) << "no second push";
  report(*ota, "n1", id, proto::OtaState::success, "OTA Upgrade finished and verified");
  EXPECT_EQ(status_of(*ota, id, "n1"), "success");
  // n5 had the offer but never started: it gets it again when it reconnects.
  reconnect("n5");
  EXPECT_EQ(messenger_.offers_to("n5").size(), 2u);
}

// The push that follows a release is work for the runner: a stop (queued work is dropped),
// a crash, a full queue or a failover loses it. A `pending` node never times out, so the
// batch, and with it the rollout, waited for the node's next fetch. The sweep pushes again,
// once, to an online node left `pending` past the grace.
TEST_F(OtaServiceTest, TheSweepPushesAgainAForcePushTheRunnerLost) {
  auto ota = service();
  const auto image = upload(*ota, "2.0", "led_light");
  ota->stop();  // the job's push is queued for a runner that no longer runs
  const auto id = job(*ota, image,
                      R"(,"nodes":["n1","n2"],"force_push":true,)"
                      R"("rollout":{"batch_size":1,"interval_s":60})");
  ota.reset();
  ASSERT_TRUE(messenger_.offers_to("n1").empty()) << "the push was lost";

  auto restarted = service();  // a restart, or another instance taking the lead
  restarted->sweep_now();
  EXPECT_TRUE(messenger_.offers_to("n1").empty()) << "within the grace the push may be on its way";
  EXPECT_EQ(status_of(*restarted, id, "n1"), "pending");
  clock_.advance(61s);
  restarted->sweep_now();
  const auto offers = messenger_.offers_to("n1");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].ota_job_id, id);
  EXPECT_EQ(status_of(*restarted, id, "n1"), "offered");
  clock_.advance(61s);
  restarted->sweep_now();
  EXPECT_EQ(messenger_.offers_to("n1").size(), 1u) << "offered: not pushed again";

  report(*restarted, "n1", id, proto::OtaState::success, "OTA Upgrade finished and verified");
  restarted->sweep_now();
  EXPECT_EQ(restarted->get_job(admin_, id)->batches_released, 2);
  EXPECT_EQ(messenger_.offers_to("n2").size(), 1u) << "the next batch goes out";
}

TEST_F(OtaServiceTest, CancelWithdrawsOffersAndSilentNodesTimeOut) {
  auto ota = service();
  const auto image = upload(*ota, "2.0", "led_light");
  const auto id = job(*ota, image, R"(,"nodes":["n1","n2"])");
  fetch(*ota, "n1");
  fetch(*ota, "n2");
  clock_.advance(601s);
  report(*ota, "n2", id, proto::OtaState::in_progress);
  ota->sweep_now();
  EXPECT_EQ(status_of(*ota, id, "n1"), "timed_out");
  EXPECT_EQ(status_of(*ota, id, "n2"), "in-progress");

  const auto now_s = unix_ms(clock_.now()) / 1000;
  const OtaDownloadGrant n2{image, OtaDownloadGrant::Kind::node, "n2", now_s + 60};
  EXPECT_TRUE(ota->authorize_download(n2));
  ASSERT_TRUE(ota->cancel_job(admin_, id));
  EXPECT_EQ(status_of(*ota, id, "n2"), "cancelled");
  EXPECT_EQ(ota->authorize_download(n2).error().reason, rest::ota_job_error::download_forbidden);
  report(*ota, "n2", id, proto::OtaState::success);
  EXPECT_EQ(status_of(*ota, id, "n2"), "cancelled") << "a cancelled job takes no reports";
  EXPECT_EQ(ota->cancel_job(admin_, id).error().reason, rest::ota_job_error::inactive);
  // The image is free again: it can be deleted, and its file goes with it.
  const auto path = store_.path_of(ota->get_image(admin_, image)->file_sha256);
  ASSERT_TRUE(ota->delete_image(admin_, image));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(OtaServiceTest, JobRequestsAreValidated) {
  auto ota = service();
  const auto image = upload(*ota, "2.0", "led_light");
  const auto error_of = [&](std::string_view body) {
    auto request = rest::parse_new_ota_job(json::parse(body).as_object());
    EXPECT_TRUE(request);
    auto id = ota->create_job(admin_, *request);
    return id ? 0 : id.error().reason;
  };
  const std::string img = R"("ota_image_id":")" + image + "\"";
  EXPECT_EQ(error_of(R"({)" + img + R"(,"nodes":["n1"]})"), rest::ota_job_error::name_missing);
  EXPECT_EQ(error_of(R"({"ota_job_name":"a",)" + img + "}"), rest::ota_job_error::targets_missing);
  EXPECT_EQ(error_of(R"({"ota_job_name":"a",)" + img + R"(,"nodes":["other"]})"),
            rest::ota_job_error::no_valid_nodes);
  EXPECT_EQ(error_of(R"({"ota_job_name":"a",)" + img + R"(,"nodes":["n1"],"priority":11})"),
            rest::ota_job_error::priority_invalid);
  EXPECT_EQ(error_of(R"({"ota_job_name":"a",)" + img +
                     R"(,"nodes":["n1"],"force_push":true,"user_approval":true})"),
            rest::ota_job_error::invalid_job);
  EXPECT_EQ(error_of(R"({"ota_job_name":"a",)" + img +
                     R"(,"nodes":["n1"],"rollout":{"batch_size":2,"percent":5}})"),
            rest::ota_job_error::rollout_invalid);
  EXPECT_EQ(error_of(R"({"ota_job_name":"a","ota_image_id":"nope","nodes":["n1"]})"),
            rest::ota_image_error::not_found);
  // The metadata rides in every otaurl message: more than 16 KiB is refused, not stored.
  const std::string big(16 * 1024, 'x');
  EXPECT_EQ(error_of(R"({"ota_job_name":"big",)" + img + R"(,"nodes":["n1"],"metadata":{"m":")" +
                     big + R"("}})"),
            rest::ota_job_error::invalid_job);
  EXPECT_EQ(error_of(R"({"ota_job_name":"big",)" + img + R"(,"nodes":["n1"],"description":")" +
                     std::string(1025, 'd') + R"("})"),
            rest::ota_job_error::invalid_job);
  EXPECT_EQ(ota->list_jobs(admin_, "", 10)->jobs.size(), 0u) << "nothing stored";
  EXPECT_EQ(error_of(R"({"ota_job_name":"a",)" + img + R"(,"nodes":["n1"]})"), 0);
  EXPECT_EQ(error_of(R"({"ota_job_name":"a",)" + img + R"(,"nodes":["n1"]})"),
            rest::ota_job_error::name_exists);
  EXPECT_EQ(ota->delete_image(admin_, image).error().reason, rest::ota_image_error::in_use);
  // A model filter finds every led_light, not the fan.
  EXPECT_EQ(ota->get_job(admin_, job(*ota, image, R"(,"node_model":"led_light")"))->counts.total,
            4);
}

}  // namespace
}  // namespace stratus::service
