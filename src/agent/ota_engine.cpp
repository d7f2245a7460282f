#include "agent/ota_engine.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <utility>

#include "proto/esp_image.hpp"
#include "proto/ota.hpp"
#include "proto/topics.hpp"

namespace stratus::agent {
namespace {

namespace json = boost::json;
using proto::OtaState;
using proto::Suffix;

constexpr std::size_t kMaxStateBytes = 64 * 1024;
/// The service and params of OTA using params (spec §8.6).
constexpr std::string_view kOtaService = "OTA";
constexpr std::string_view kUrlParam = "URL";
constexpr std::string_view kInfoParam = "Info";
constexpr std::string_view kStatusParam = "Status";

bool equal_hex(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The firmware's text for an offer that does not parse (spec §8.2).
std::string_view offer_error_text(std::string_view context) {
  if (context.starts_with("otaurl: ota_job_id:")) {
    return "Aborted. OTA Updated ID not found in JSON";
  }
  if (context.starts_with("otaurl: url:")) {
    return "Aborted. URL not found in JSON";
  }
  return "Aborted. JSON Payload error";
}

}  // namespace

std::string encode_ota_state(const OtaPersistentState& state) {
  json::object o{{"fw_version", state.fw_version},
                 {"secure_version", state.secure_version},
                 {"pending_verify", state.pending_verify},
                 {"ota_job_id", state.ota_job_id}};
  return json::serialize(o);
}

Result<OtaPersistentState> parse_ota_state(std::string_view text) {
  auto o = proto::parse_json_object(text, kMaxStateBytes);
  if (!o) {
    return fail(errc::invalid_argument, "OTA state: " + o.error().context);
  }
  OtaPersistentState state;
  for (auto [key, target] :
       {std::pair<std::string_view, std::string*>{"fw_version", &state.fw_version},
        {"ota_job_id", &state.ota_job_id}}) {
    if (const auto* v = o->if_contains(key); v != nullptr) {
      if (!v->is_string()) {
        return fail(errc::invalid_argument,
                    "OTA state: " + std::string(key) + ": expected a string");
      }
      *target = std::string(v->get_string());
    }
  }
  if (const auto* v = o->if_contains("secure_version"); v != nullptr) {
    if (!(v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= UINT32_MAX) &&
        !(v->is_uint64() && v->get_uint64() <= UINT32_MAX)) {
      return fail(errc::invalid_argument, "OTA state: secure_version: expected 0..4294967295");
    }
    state.secure_version = v->to_number<std::uint32_t>();
  }
  if (const auto* v = o->if_contains("pending_verify"); v != nullptr) {
    if (!v->is_bool()) {
      return fail(errc::invalid_argument, "OTA state: pending_verify: expected a bool");
    }
    state.pending_verify = v->get_bool();
  }
  return state;
}

OtaEngine::OtaEngine(NodeModel& model, const Clock& clock, OtaOptions options,
                     bool basic_ingest_topics, std::function<void(MqttActions&)> report_params)
    : model_(model),
      clock_(clock),
      options_(std::move(options)),
      basic_ingest_topics_(basic_ingest_topics),
      report_params_(std::move(report_params)),
      otaurl_topic_(proto::topic_for(model.node_id(), Suffix::otaurl)) {
  options_.max_attempts = std::max(options_.max_attempts, 1);
  state_.fw_version = model_.config().info.fw_version;
  state_.secure_version = options_.secure_version;
}

void OtaEngine::restore(const OtaPersistentState& state) {
  state_ = state;
  if (state_.fw_version.empty()) {
    state_.fw_version = model_.config().info.fw_version;
  } else {
    model_.set_fw_version(state_.fw_version);
  }
}

const std::string& OtaEngine::project_name() const noexcept {
  return options_.project_name.empty() ? model_.config().info.project_name : options_.project_name;
}

std::int64_t OtaEngine::unix_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

void OtaEngine::on_connected(bool first_of_boot, MqttActions& out) {
  connected_ = true;
  if (options_.mode == OtaMode::topics) {
    out.push_back({MqttAction::Kind::subscribe, otaurl_topic_, {}});
  }
  if (!first_of_boot) {
    return;
  }
  if (state_.pending_verify) {
    // spec §8.3: MQTT is up, so the new image is marked valid and reported.
    const auto job_id = state_.ota_job_id;
    state_.pending_verify = false;
    state_.ota_job_id.clear();
    report_for(job_id, OtaState::success, "OTA Upgrade finished and verified successfully", out);
    save_state(out);
  }
  if (options_.mode == OtaMode::topics) {
    fetch_at_ = clock_.steady_now() + options_.fetch_delay;
  }
}

void OtaEngine::on_disconnected() noexcept {
  connected_ = false;
}

void OtaEngine::on_reboot() noexcept {
  connected_ = false;
  if (stage_ == Stage::installed) {
    model_.set_fw_version(state_.fw_version);
  }
  end_job();
  fetch_at_.reset();
  reboot_at_.reset();
}

void OtaEngine::end_job() noexcept {
  stage_ = Stage::idle;
  download_id_ = 0;
  attempt_ = 0;
  header_ok_ = false;
  progress_reported_ = 0;
}

void OtaEngine::save_state(MqttActions& out) const {
  out.push_back({MqttAction::Kind::save_ota_state, {}, encode_ota_state(state_)});
}

void OtaEngine::publish_fetch(MqttActions& out) {
  out.push_back(
      {MqttAction::Kind::publish,
       proto::node_publish_topic(model_.node_id(), Suffix::otafetch, basic_ingest_topics_),
       proto::encode_ota_fetch(model_.node_id(), model_.config().info.fw_version)});
  ++stats_.fetches;
}

void OtaEngine::report(OtaState status, std::string_view info, MqttActions& out) {
  report_for(job_id_, status, info, out);
}

void OtaEngine::report_for(std::string_view job_id, OtaState status, std::string_view info,
                           MqttActions& out) {
  last_report_ = std::string(proto::to_string(status)) + " " + std::string(info);
  if (options_.on_report) {
    options_.on_report(status, info);
  }
  if (options_.mode == OtaMode::params) {
    // spec §8.6: Info, then Status, each as a params report (sent once connected).
    (void)model_.update(kOtaService, kInfoParam, json::string(info));
    report_params_(out);
    (void)model_.update(kOtaService, kStatusParam, json::string(proto::to_string(status)));
    report_params_(out);
    ++stats_.reports;
    return;
  }
  if (!connected_) {
    ++stats_.dropped;
    return;
  }
  out.push_back(
      {MqttAction::Kind::publish,
       proto::node_publish_topic(model_.node_id(), Suffix::otastatus, basic_ingest_topics_),
       proto::encode_ota_status(job_id, status, info, unix_s())});
  ++stats_.reports;
}

bool OtaEngine::on_message(std::string_view topic, std::string_view payload, MqttActions& out) {
  if (options_.mode != OtaMode::topics || topic != otaurl_topic_) {
    return false;
  }
  if (stage_ != Stage::idle) {
    ++stats_.ignored;
    return true;
  }
  auto offer = proto::parse_ota_url(payload);
  if (!offer) {
    // Report under whatever job id can be read, as the firmware does.
    std::string job_id;
    if (auto o = proto::parse_json_object(payload, proto::kDefaultMaxMessageBytes); o) {
      if (const auto* id = o->if_contains("ota_job_id"); id != nullptr && id->is_string()) {
        job_id = std::string(id->get_string());
      }
    }
    report_for(job_id, OtaState::failed, offer_error_text(offer.error().context), out);
    return true;
  }
  std::optional<std::uint64_t> size;
  if (offer->file_size && *offer->file_size > 0) {
    size = static_cast<std::uint64_t>(*offer->file_size);
  }
  start_job(std::move(offer->ota_job_id), std::move(offer->url), size,
            std::move(offer->file_sha256), out);
  return true;
}

void OtaEngine::on_params_applied(const json::object& applied, MqttActions& out) {
  if (options_.mode != OtaMode::params) {
    return;
  }
  const auto* service = applied.if_contains(kOtaService);
  const auto* url = service != nullptr && service->is_object()
                        ? service->get_object().if_contains(kUrlParam)
                        : nullptr;
  if (url == nullptr || !url->is_string() || url->get_string().empty()) {
    return;
  }
  if (stage_ != Stage::idle) {
    ++stats_.ignored;
    return;
  }
  start_job({}, std::string(url->get_string()), std::nullopt, std::nullopt, out);
}

void OtaEngine::start_job(std::string job_id, std::string url,
                          std::optional<std::uint64_t> file_size,
                          std::optional<std::string> file_sha256, MqttActions& out) {
  ++stats_.offers;
  fetch_at_.reset();
  stage_ = Stage::downloading;
  job_id_ = std::move(job_id);
  url_ = std::move(url);
  file_size_ = file_size;
  file_sha256_ = std::move(file_sha256);
  attempt_ = 1;
  resume_next_ = false;
  start_attempt(out);
}

void OtaEngine::start_attempt(MqttActions& out) {
  // Bounded: each failed attempt increments attempt_, and fail_attempt stops at the last.
  ++stats_.attempts;
  header_ok_ = false;
  progress_reported_ = 0;
  report(OtaState::in_progress,
         "Starting OTA Upgrade (HTTPS attempt " + std::to_string(attempt_) + "/" +
             std::to_string(options_.max_attempts) + ")",
         out);
  if (options_.fault == OtaFault::download) {
    download_id_ = 0;
    fail_attempt("OTA failed: download failed (simulated: ota.fail = download)", out);
    return;
  }
  download_id_ = next_download_id_++;
  OtaDownload download;
  download.id = download_id_;
  download.url = url_;
  download.file_size = file_size_;
  download.file_sha256 = file_sha256_;
  download.resume = resume_next_;
  resume_next_ = false;
  out.push_back({MqttAction::Kind::download, {}, {}, std::move(download)});
}

void OtaEngine::fail_attempt(std::string_view reason, MqttActions& out) {
  download_id_ = 0;
  report(OtaState::failed,
         "OTA Attempt " + std::to_string(attempt_) + "/" + std::to_string(options_.max_attempts) +
             " failed: " + std::string(reason),
         out);
  if (attempt_ < options_.max_attempts) {
    ++attempt_;
    start_attempt(out);
    return;
  }
  end_job();
  if (options_.mode == OtaMode::topics) {
    fetch_at_ = clock_.steady_now() + options_.retry_fetch_delay;
  }
}

void OtaEngine::on_download_header(std::uint64_t id, std::span<const std::uint8_t> head,
                                   MqttActions& out) {
  if (stage_ != Stage::downloading || id == 0 || id != download_id_ || header_ok_) {
    return;
  }
  auto info = proto::parse_esp_image_header(head);
  if (!info) {
    out.push_back({MqttAction::Kind::cancel_download, {}, {}});
    fail_attempt("Failed to read image description: " + info.error().context, out);
    return;
  }
  std::string_view rejection;
  if (options_.fault == OtaFault::reject) {
    rejection = "Image rejected by the node (simulated: ota.fail = reject)";
  } else if (info->project_name != project_name()) {
    rejection = "Project Name mismatch";
  } else if (info->version == model_.config().info.fw_version) {
    rejection = "Same version received";
  } else if (info->secure_version < state_.secure_version) {
    rejection = "Lower secure version received";
  } else if (info->chip_id != options_.chip_id) {
    rejection = "Chip revision mismatch";
  }
  if (!rejection.empty()) {
    // spec §8.2: rejected ends the job: no retry, no refetch.
    out.push_back({MqttAction::Kind::cancel_download, {}, {}});
    report(OtaState::rejected, rejection, out);
    end_job();
    return;
  }
  header_ok_ = true;
  new_version_ = info->version;
  new_secure_version_ = info->secure_version;
  report(OtaState::in_progress, "Downloading Firmware Image", out);
}

void OtaEngine::on_download_progress(std::uint64_t id, std::uint64_t bytes, MqttActions& out) {
  if (stage_ != Stage::downloading || id == 0 || id != download_id_ || !header_ok_ || !file_size_ ||
      *file_size_ == 0) {
    return;
  }
  const auto percent =
      static_cast<int>(std::min<std::uint64_t>(bytes, *file_size_) * 100 / *file_size_);
  const int step = percent / 10 * 10;
  if (step > progress_reported_ && step > 0) {
    progress_reported_ = step;
    report(OtaState::in_progress, "Downloaded " + std::to_string(step) + "% Firmware Image", out);
  }
}

void OtaEngine::on_download_finished(std::uint64_t id, const Result<DownloadedImage>& result,
                                     MqttActions& out) {
  if (stage_ != Stage::downloading || id == 0 || id != download_id_) {
    return;
  }
  if (!result) {
    resume_next_ = true;  // the next attempt may go on from the bytes this one got
    fail_attempt(result.error().context, out);
    return;
  }
  if (!header_ok_) {
    // Shorter than a header, or the header event never came: nothing to install.
    fail_attempt("Image validation failed", out);
    return;
  }
  report(OtaState::in_progress, "Firmware Image download complete", out);
  if (file_size_ && result->bytes != *file_size_) {
    fail_attempt("Complete data was not received", out);
    return;
  }
  const bool sha_ok = !file_sha256_ || equal_hex(*file_sha256_, result->sha256_hex);
  if (!result->structure_error.empty() || !sha_ok || options_.fault == OtaFault::checksum) {
    fail_attempt("Image validation failed", out);
    return;
  }
  // spec §8.2, with app rollback: report, remember the job, reboot later.
  const auto attempts = attempt_;
  report(OtaState::in_progress,
         "Rebooting into new firmware (after " + std::to_string(attempts) + " HTTPS attempt" +
             (attempts == 1 ? "" : "s") + ")",
         out);
  download_id_ = 0;
  stage_ = Stage::installed;
  state_.fw_version = new_version_;
  state_.secure_version = new_secure_version_;
  state_.pending_verify = true;
  state_.ota_job_id = job_id_;
  ++stats_.installed;
  save_state(out);
  reboot_at_ = clock_.steady_now() + options_.reboot_delay;
}

void OtaEngine::tick(MqttActions& out) {
  const auto now = clock_.steady_now();
  if (reboot_at_ && now >= *reboot_at_) {
    reboot_at_.reset();
    out.push_back({MqttAction::Kind::reboot, {}, {}});
    return;
  }
  if (fetch_at_ && now >= *fetch_at_ && connected_ && stage_ == Stage::idle) {
    fetch_at_.reset();
    publish_fetch(out);
  }
}

std::optional<std::chrono::steady_clock::time_point> OtaEngine::next_deadline() const {
  if (reboot_at_ && fetch_at_) {
    return std::min(*reboot_at_, *fetch_at_);
  }
  return reboot_at_ ? reboot_at_ : fetch_at_;
}

}  // namespace stratus::agent
