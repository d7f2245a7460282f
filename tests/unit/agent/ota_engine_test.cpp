// Proves that a NodeSession with OTA behaves as RainMaker firmware with app rollback (spec
// rainmaker-device.md §8): otafetch 5 s after the first connect, the firmware's texts for
// bad offers, every rejection rule, progress every 10 %, three attempts then a refetch after
// 5 min, resume only after a download error, the job id kept across the reboot and `success`
// after the reconnect, and OTA using params. How: feed events (connects, otaurl, download
// events) with a ManualClock and compare the actions produced.
#include "agent/ota_engine.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "agent/node_session.hpp"
#include "agent/standard.hpp"
#include "proto/esp_image.hpp"
#include "proto/ota.hpp"

namespace stratus::agent {
namespace {

namespace json = boost::json;
using proto::OtaState;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr auto kStart = std::chrono::system_clock::time_point(seconds(1'700'000'000));
constexpr std::uint64_t kImageBytes = 100'000;

std::unique_ptr<NodeModel> lamp(bool ota_service = false) {
  model::NodeInfo info;
  info.name = "Lamp";
  info.fw_version = "1.0.0";
  info.type = "Lightbulb";
  info.project_name = "lamp";
  auto node = std::make_unique<NodeModel>("N1", info);
  model::DeviceSpec light;
  light.name = "Light";
  light.params = {standard::power_param()};
  EXPECT_TRUE(node->add_device(light, {{"Power", false}}).has_value());
  if (ota_service) {
    EXPECT_TRUE(
        node->add_service(standard::ota_service(), {{"Status", ""}, {"Info", ""}, {"URL", ""}})
            .has_value());
  }
  return node;
}

std::vector<std::uint8_t> header_of(const proto::EspImageSpec& spec) {
  auto image = proto::make_esp_image(spec);
  EXPECT_TRUE(image.has_value());
  return {image->begin(), image->begin() + proto::kEspImageHeaderBytes};
}

proto::EspImageSpec image(std::string version, std::string project = "lamp") {
  proto::EspImageSpec spec;
  spec.version = std::move(version);
  spec.project_name = std::move(project);
  return spec;
}

// A params report of the OTA service: `fields` is the service's object.
std::string local(std::string_view fields) {
  return "pub node/N1/params/local {\"OTA\":" + std::string(fields) + "}";
}

DownloadedImage good_image() {
  return {kImageBytes, std::string(64, 'a'), {}};
}

// One readable line per action: "pub <topic> <payload>", "sub <filter>", "download <url>
// resume=<0|1> size=<n|->", "cancel", "save <state>", "reboot".
std::string line(const MqttAction& a) {
  switch (a.kind) {
    case MqttAction::Kind::publish:
      return "pub " + a.topic + " " + a.payload;
    case MqttAction::Kind::subscribe:
      return "sub " + a.topic;
    case MqttAction::Kind::download:
      return "download " + a.download->url + " resume=" + (a.download->resume ? "1" : "0") +
             " size=" + (a.download->file_size ? std::to_string(*a.download->file_size) : "-");
    case MqttAction::Kind::cancel_download:
      return "cancel";
    case MqttAction::Kind::save_ota_state:
      return "save " + a.payload;
    case MqttAction::Kind::reboot:
      return "reboot";
  }
  return "?";
}

class OtaEngineTest : public ::testing::Test {
 protected:
  ManualClock clock{kStart};
  std::unique_ptr<NodeModel> node = lamp();
  std::unique_ptr<NodeSession> session;
  MqttActions out;

  void make_session(OtaOptions ota = {}, bool basic_ingest = false) {
    ota.reboot_delay = seconds(1);
    SessionOptions options;
    options.cmd_resp = false;
    options.basic_ingest_topics = basic_ingest;
    options.ota = std::move(ota);
    session = std::make_unique<NodeSession>(*node, clock, options);
  }

  void SetUp() override { make_session(); }

  std::uint64_t last_id_ = 0;  // id of the last download action taken

  std::vector<std::string> take() {
    std::vector<std::string> l;
    for (const auto& a : out) {
      l.push_back(line(a));
      if (a.kind == MqttAction::Kind::download) {
        last_id_ = a.download->id;
      }
    }
    out.clear();
    return l;
  }

  // The OTA lines only (no config, init, params subscriptions).
  std::vector<std::string> take_ota() {
    std::vector<std::string> l;
    for (auto& s : take()) {
      if (s.find("/ota") != std::string::npos ||
          (!s.starts_with("pub ") && !s.starts_with("sub "))) {
        l.push_back(std::move(s));
      }
    }
    return l;
  }

  std::string status(std::string_view job, OtaState state, std::string_view info) const {
    const auto ts = std::chrono::duration_cast<seconds>(clock.now().time_since_epoch()).count();
    return "pub node/N1/otastatus " + proto::encode_ota_status(job, state, info, ts);
  }

  // The id of the newest download action, pending in `out` or already taken.
  std::uint64_t last_download_id() const {
    for (auto it = out.rbegin(); it != out.rend(); ++it) {
      if (it->kind == MqttAction::Kind::download) {
        return it->download->id;
      }
    }
    return last_id_;
  }

  // Connects, lets the first otafetch go, and offers job J1.
  std::uint64_t offer(std::string extra = R"(,"file_size":100000)") {
    session->on_connected(out);
    clock.advance(seconds(5));
    session->tick(out);
    take();
    session->on_message("node/N1/otaurl",
                        R"({"ota_job_id":"J1","url":"https://ota.test/fw.bin")" + extra + "}", out);
    return last_download_id();
  }
};

TEST_F(OtaEngineTest, SubscribesOtaurlOnEveryConnectAndFetchesFiveSecondsAfterTheFirst) {
  session->on_connected(out);
  auto l = take_ota();
  EXPECT_EQ(l, std::vector<std::string>{"sub node/N1/otaurl"});
  clock.advance(milliseconds(4999));
  session->tick(out);
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(session->next_deadline().has_value());
  clock.advance(milliseconds(1));
  session->tick(out);
  EXPECT_EQ(take(), std::vector<std::string>{
                        R"(pub node/N1/otafetch {"node_id":"N1","fw_version":"1.0.0"})"});
  session->on_disconnected();
  session->on_connected(out);
  EXPECT_EQ(take_ota(), std::vector<std::string>{"sub node/N1/otaurl"});
  clock.advance(minutes(10));
  session->tick(out);
  EXPECT_TRUE(out.empty()) << "once per boot";
  EXPECT_FALSE(session->next_deadline().has_value());
}

TEST_F(OtaEngineTest, FetchWaitsForTheConnectionAndUsesBasicIngestTopics) {
  make_session({}, /*basic_ingest=*/true);
  session->on_connected(out);
  take();
  session->on_disconnected();
  clock.advance(seconds(6));
  session->tick(out);
  EXPECT_TRUE(out.empty()) << "offline: the fetch waits";
  session->on_connected(out);
  take();
  session->tick(out);
  EXPECT_EQ(take(), std::vector<std::string>{"pub $aws/rules/esp_node_otafetch/node/N1/otafetch "
                                             R"({"node_id":"N1","fw_version":"1.0.0"})"});
  session->on_message("node/N1/otaurl", "{}", out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].topic, "$aws/rules/esp_node_otastatus/node/N1/otastatus");
}

TEST_F(OtaEngineTest, OffersThatDoNotParseFailWithTheFirmwaresTexts) {
  session->on_connected(out);
  take();
  session->on_message("node/N1/otaurl", "not json", out);
  session->on_message("node/N1/otaurl", R"({"url":"https://x/fw.bin"})", out);
  session->on_message("node/N1/otaurl", R"({"ota_job_id":"J9"})", out);
  session->on_message("node/N1/otaurl", R"({"ota_job_id":"J9","url":"u","file_size":"big"})", out);
  EXPECT_EQ(take(), (std::vector<std::string>{
                        status("", OtaState::failed, "Aborted. JSON Payload error"),
                        status("", OtaState::failed, "Aborted. OTA Updated ID not found in JSON"),
                        status("J9", OtaState::failed, "Aborted. URL not found in JSON"),
                        status("J9", OtaState::failed, "Aborted. JSON Payload error"),
                    }));
  EXPECT_FALSE(session->ota()->busy());
}

TEST_F(OtaEngineTest, SuccessfulJobReportsProgressRebootsAndReportsSuccessAfterReconnect) {
  const auto id = offer(R"(,"file_size":100000,"file_sha256":")" + std::string(64, 'A') + "\"");
  EXPECT_EQ(take(),
            (std::vector<std::string>{
                status("J1", OtaState::in_progress, "Starting OTA Upgrade (HTTPS attempt 1/3)"),
                "download https://ota.test/fw.bin resume=0 size=100000"}));
  session->on_message("node/N1/otaurl", R"({"ota_job_id":"J2","url":"https://x"})", out);
  EXPECT_TRUE(out.empty()) << "ignored while a job runs";

  session->on_download_header(id, header_of(image("1.1.0")), out);
  EXPECT_EQ(take(), std::vector<std::string>{
                        status("J1", OtaState::in_progress, "Downloading Firmware Image")});
  for (const std::uint64_t bytes : {5'000U, 25'000U, 27'000U, 29'999U, 30'000U, 99'000U}) {
    session->on_download_progress(id, bytes, out);
  }
  session->on_download_progress(id + 1, 50'000, out);  // another download: ignored
  EXPECT_EQ(take(), (std::vector<std::string>{
                        status("J1", OtaState::in_progress, "Downloaded 20% Firmware Image"),
                        status("J1", OtaState::in_progress, "Downloaded 30% Firmware Image"),
                        status("J1", OtaState::in_progress, "Downloaded 90% Firmware Image")}));

  session->on_download_finished(id, good_image(), out);
  const std::string saved =
      R"({"fw_version":"1.1.0","secure_version":0,"pending_verify":true,"ota_job_id":"J1"})";
  EXPECT_EQ(take(), (std::vector<std::string>{
                        status("J1", OtaState::in_progress, "Firmware Image download complete"),
                        status("J1", OtaState::in_progress,
                               "Rebooting into new firmware (after 1 HTTPS attempt)"),
                        "save " + saved}));
  EXPECT_EQ(node->config().info.fw_version, "1.0.0") << "the new image runs after the reboot";
  clock.advance(milliseconds(999));
  session->tick(out);
  EXPECT_TRUE(out.empty());
  clock.advance(milliseconds(1));
  session->tick(out);
  EXPECT_EQ(take(), std::vector<std::string>{"reboot"});

  session->reboot();
  EXPECT_EQ(node->config().info.fw_version, "1.1.0");
  session->on_connected(out);
  auto l = take();
  EXPECT_NE(l[0].find(R"("fw_version":"1.1.0")"), std::string::npos) << l[0];
  EXPECT_EQ(l.back(), "save " + std::string(R"({"fw_version":"1.1.0","secure_version":0,)"
                                            R"("pending_verify":false,"ota_job_id":""})"));
  EXPECT_EQ(l[l.size() - 2],
            status("J1", OtaState::success, "OTA Upgrade finished and verified successfully"));
  clock.advance(seconds(5));
  session->tick(out);
  EXPECT_EQ(take(), std::vector<std::string>{
                        R"(pub node/N1/otafetch {"node_id":"N1","fw_version":"1.1.0"})"});
}

TEST_F(OtaEngineTest, EveryRejectionRuleEndsTheJobWithoutRetryOrRefetch) {
  struct Case {
    proto::EspImageSpec spec;
    std::uint32_t running_secure_version;
    OtaFault fault;
    std::string text;
  };
  auto s3 = image("1.1.0");
  s3.chip_id = 0x09;
  auto old_secure = image("1.1.0");
  old_secure.secure_version = 1;
  const Case cases[] = {
      {image("1.1.0", "other"), 0, OtaFault::none, "Project Name mismatch"},
      {image("1.0.0"), 0, OtaFault::none, "Same version received"},
      {old_secure, 2, OtaFault::none, "Lower secure version received"},
      {s3, 0, OtaFault::none, "Chip revision mismatch"},
      {image("1.1.0"), 0, OtaFault::reject,
       "Image rejected by the node (simulated: ota.fail = reject)"},
  };
  for (const auto& c : cases) {
    OtaOptions ota;
    ota.secure_version = c.running_secure_version;
    ota.fault = c.fault;
    make_session(ota);
    const auto id = offer();
    take();
    session->on_download_header(id, header_of(c.spec), out);
    EXPECT_EQ(take(),
              (std::vector<std::string>{"cancel", status("J1", OtaState::rejected, c.text)}))
        << c.text;
    EXPECT_FALSE(session->ota()->busy());
    session->on_download_finished(id, good_image(), out);
    EXPECT_TRUE(out.empty()) << "the cancelled download's end is ignored";
    clock.advance(minutes(30));
    session->tick(out);
    EXPECT_TRUE(out.empty()) << c.text << ": no refetch";
  }
}

TEST_F(OtaEngineTest, ThreeAttemptsResumeAfterDownloadErrorsThenRefetchAfterFiveMinutes) {
  auto id = offer();
  take();
  session->on_download_header(id, header_of(image("1.1.0")), out);
  take();
  session->on_download_finished(id, fail(errc::unavailable, "Complete data was not received"), out);
  id = last_download_id();
  auto l = take();
  EXPECT_EQ(
      l,
      (std::vector<std::string>{
          status("J1", OtaState::failed, "OTA Attempt 1/3 failed: Complete data was not received"),
          status("J1", OtaState::in_progress, "Starting OTA Upgrade (HTTPS attempt 2/3)"),
          "download https://ota.test/fw.bin resume=1 size=100000"}));
  session->on_download_finished(id, fail(errc::unavailable, "OTA failed: HTTP 503"), out);
  id = last_download_id();
  take();
  session->on_download_finished(id, fail(errc::unavailable, "OTA failed: HTTP 503"), out);
  EXPECT_EQ(take(), std::vector<std::string>{status(
                        "J1", OtaState::failed, "OTA Attempt 3/3 failed: OTA failed: HTTP 503")});
  EXPECT_FALSE(session->ota()->busy());
  clock.advance(minutes(5) - milliseconds(1));
  session->tick(out);
  EXPECT_TRUE(out.empty());
  clock.advance(milliseconds(1));
  session->tick(out);
  EXPECT_EQ(take(), std::vector<std::string>{
                        R"(pub node/N1/otafetch {"node_id":"N1","fw_version":"1.0.0"})"});
}

TEST_F(OtaEngineTest, BadImagesFailValidationAndTheRetryStartsOver) {
  for (const auto fault : {OtaFault::none, OtaFault::checksum}) {
    OtaOptions ota;
    ota.fault = fault;
    make_session(ota);
    const std::string sha(64, 'b');
    const auto id = offer(R"(,"file_sha256":")" + sha + "\"");
    take();
    session->on_download_header(id, header_of(image("1.1.0")), out);
    take();
    auto downloaded = good_image();
    if (fault == OtaFault::checksum) {
      downloaded.sha256_hex = sha;  // right, and still refused
    }
    session->on_download_finished(id, downloaded, out);
    EXPECT_EQ(take(),
              (std::vector<std::string>{
                  status("J1", OtaState::in_progress, "Firmware Image download complete"),
                  status("J1", OtaState::failed, "OTA Attempt 1/3 failed: Image validation failed"),
                  status("J1", OtaState::in_progress, "Starting OTA Upgrade (HTTPS attempt 2/3)"),
                  "download https://ota.test/fw.bin resume=0 size=-"}));
  }
  // A malformed image, and an image shorter than its header.
  const auto id = last_download_id();
  session->on_download_header(id, header_of(image("1.1.0")), out);
  take();
  session->on_download_finished(id, DownloadedImage{kImageBytes, "x", "checksum mismatch"}, out);
  EXPECT_EQ(take()[1],
            status("J1", OtaState::failed, "OTA Attempt 2/3 failed: Image validation failed"));
  session->on_download_finished(last_download_id(), DownloadedImage{10, "x", "truncated"}, out);
  EXPECT_EQ(take()[0],
            status("J1", OtaState::failed, "OTA Attempt 3/3 failed: Image validation failed"));
}

TEST_F(OtaEngineTest, SizeMismatchAndUnreadableHeaderFailTheAttempt) {
  auto id = offer();
  take();
  session->on_download_header(id, std::vector<std::uint8_t>(proto::kEspImageHeaderBytes, 0), out);
  auto l = take();
  ASSERT_GE(l.size(), 2U);
  EXPECT_EQ(l[0], "cancel");
  EXPECT_EQ(l[1].find(status("J1", OtaState::failed,
                             "OTA Attempt 1/3 failed: Failed to read image description: ")
                          .substr(0, 60)),
            0U)
      << l[1];
  id = last_download_id();
  session->on_download_header(id, header_of(image("1.1.0")), out);
  take();
  auto short_image = good_image();
  short_image.bytes = kImageBytes - 1;
  session->on_download_finished(id, short_image, out);
  EXPECT_EQ(take()[1], status("J1", OtaState::failed,
                              "OTA Attempt 2/3 failed: Complete data was not received"));
}

TEST_F(OtaEngineTest, SimulatedDownloadFaultFailsEveryAttempt) {
  OtaOptions ota;
  ota.fault = OtaFault::download;
  make_session(ota);
  offer();
  const auto l = take();
  ASSERT_EQ(l.size(), 6U);
  for (int n = 1; n <= 3; ++n) {
    const auto attempt = std::to_string(n) + "/3";
    EXPECT_EQ(l[static_cast<std::size_t>(2 * n - 2)],
              status("J1", OtaState::in_progress,
                     "Starting OTA Upgrade (HTTPS attempt " + attempt + ")"));
    EXPECT_EQ(l[static_cast<std::size_t>(2 * n - 1)],
              status("J1", OtaState::failed,
                     "OTA Attempt " + attempt +
                         " failed: OTA failed: download failed (simulated: ota.fail = download)"));
  }
}

TEST_F(OtaEngineTest, PendingImageFromAnEarlierRunIsReportedOnceConnected) {
  auto state = parse_ota_state(
      R"({"fw_version":"2.0.0","secure_version":3,"pending_verify":true,"ota_job_id":"J7"})");
  ASSERT_TRUE(state.has_value());
  session->restore_ota(*state);
  EXPECT_EQ(node->config().info.fw_version, "2.0.0");
  session->on_connected(out);
  const auto l = take_ota();
  ASSERT_EQ(l.size(), 3U);
  EXPECT_EQ(l[1],
            status("J7", OtaState::success, "OTA Upgrade finished and verified successfully"));
  EXPECT_EQ(l[2], "save " + encode_ota_state({"2.0.0", 3, false, ""}));
  // A lower secure version is now refused.
  clock.advance(seconds(5));
  session->tick(out);
  take();
  session->on_message("node/N1/otaurl", R"({"ota_job_id":"J8","url":"http://x/fw"})", out);
  const auto id = last_download_id();
  take();
  auto older = image("2.1.0");
  older.secure_version = 2;
  session->on_download_header(id, header_of(older), out);
  EXPECT_EQ(take()[1], status("J8", OtaState::rejected, "Lower secure version received"));
}

TEST(OtaState, RoundTripAndBadInput) {
  const OtaPersistentState state{"1.2.3", 7, true, "J1"};
  auto back = parse_ota_state(encode_ota_state(state));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->fw_version, "1.2.3");
  EXPECT_EQ(back->secure_version, 7U);
  EXPECT_TRUE(back->pending_verify);
  EXPECT_EQ(back->ota_job_id, "J1");
  EXPECT_TRUE(parse_ota_state("{}").has_value());
  for (const auto* bad : {"", "[]", "nope", R"({"fw_version":1})", R"({"secure_version":-1})",
                          R"({"secure_version":5000000000})", R"({"pending_verify":"yes"})"}) {
    EXPECT_FALSE(parse_ota_state(bad).has_value()) << bad;
  }
}

TEST(OtaParams, UrlWriteRunsTheJobAndReportsInfoThenStatusAsParams) {
  ManualClock clock{kStart};
  auto node = lamp(/*ota_service=*/true);
  OtaOptions ota;
  ota.mode = OtaMode::params;
  ota.reboot_delay = seconds(0);
  SessionOptions options;
  options.ota = ota;
  NodeSession session(*node, clock, options);
  MqttActions out;
  session.on_connected(out);
  for (const auto& a : out) {
    EXPECT_EQ(a.topic.find("ota"), std::string::npos) << "no otaurl, no otafetch: " << a.topic;
  }
  out.clear();
  clock.advance(minutes(1));
  session.tick(out);
  EXPECT_TRUE(out.empty());

  session.on_message("node/N1/params/remote", R"({"OTA":{"URL":"http://h/fw.bin"}})", out);
  std::vector<std::string> l;
  for (const auto& a : out) {
    l.push_back(line(a));
  }
  out.clear();
  EXPECT_EQ(l, (std::vector<std::string>{
                   local(R"({"URL":"http://h/fw.bin"})"),
                   local(R"j({"Info":"Starting OTA Upgrade (HTTPS attempt 1/3)"})j"),
                   local(R"({"Status":"in-progress"})"),
                   "download http://h/fw.bin resume=0 size=-",
               }));
  session.on_message("node/N1/params/remote", R"({"OTA":{"URL":"http://h/other.bin"}})", out);
  for (const auto& a : out) {
    EXPECT_NE(a.kind, MqttAction::Kind::download) << "ignored while a job runs";
  }
  out.clear();
  const std::uint64_t id = 1;  // the first download of the session
  session.on_download_header(id, header_of(image("1.1.0")), out);
  session.on_download_progress(id, 60'000, out);  // size unknown: no progress reports
  session.on_download_finished(id, good_image(), out);
  l.clear();
  for (const auto& a : out) {
    l.push_back(line(a));
  }
  out.clear();
  EXPECT_EQ(l, (std::vector<std::string>{
                   local(R"({"Info":"Downloading Firmware Image"})"),
                   local(R"({"Info":"Firmware Image download complete"})"),
                   local(R"j({"Info":"Rebooting into new firmware (after 1 HTTPS attempt)"})j"),
                   "save " + encode_ota_state({"1.1.0", 0, true, ""}),
               }));
  session.tick(out);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].kind, MqttAction::Kind::reboot);
  out.clear();
  session.reboot();
  session.on_connected(out);
  l.clear();
  for (const auto& a : out) {
    l.push_back(line(a));
  }
  ASSERT_GE(l.size(), 3U);
  EXPECT_EQ(l[l.size() - 3], local(R"({"Info":"OTA Upgrade finished and verified successfully"})"));
  EXPECT_EQ(l[l.size() - 2], local(R"({"Status":"success"})"));
  EXPECT_EQ(node->config().info.fw_version, "1.1.0");
}

}  // namespace
}  // namespace stratus::agent
