#include "service/ota_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "core/base64.hpp"
#include "core/random.hpp"
#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "proto/ota.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using log::Channel;
using storage::OtaJobNodeRecord;
using storage::OtaJobRecord;

constexpr std::size_t kMaxJobNodes = 100;
constexpr std::size_t kMaxJobGroups = 10;
constexpr std::size_t kMaxNameBytes = 128;
constexpr std::size_t kMaxDescriptionBytes = 1024;

// Node states in which the node is still expected to act.
const std::vector<std::string> kOpen = {"pending", "offered", "in-progress", "delayed"};
// States an offer may (re)start from: open ones, and `failed` (the firmware retries).
const std::vector<std::string> kOfferable = {"pending", "offered", "in-progress", "delayed",
                                             "failed"};

Error image_error(int code, std::string what) {
  return Error{errc::invalid_argument, std::move(what), code};
}
Error job_error(int code, std::string what, errc c = errc::invalid_argument) {
  return Error{c, std::move(what), code};
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         std::none_of(name.begin(), name.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

std::string json_strings(const std::vector<std::string>& values) {
  return json::serialize(rest::strings_json(values));
}

std::vector<std::string> strings_of(std::string_view text) {
  std::vector<std::string> out;
  json::error_code ec;
  const auto v = json::parse(text, ec);
  if (!ec && v.is_array()) {
    for (const auto& item : v.as_array()) {
      if (item.is_string())
        out.emplace_back(item.as_string());
    }
  }
  return out;
}

// Why `node` may not take `image`, or empty when it may.
std::string mismatch(const storage::OtaImageRecord& image, const storage::OtaTargetNode& node) {
  if (!image.model.empty() && node.model != image.model)
    return "node model \"" + node.model + "\" is not the image's \"" + image.model + "\"";
  if (!image.type.empty() && node.type != image.type)
    return "node type \"" + node.type + "\" is not the image's \"" + image.type + "\"";
  if (!image.chip.empty() && !node.platform.empty() && node.platform != image.chip)
    return "node chip \"" + node.platform + "\" is not the image's \"" + image.chip + "\"";
  return {};
}

std::string state_for(proto::OtaState s) {
  switch (s) {
    case proto::OtaState::in_progress:
      return "in-progress";
    case proto::OtaState::success:
      return "success";
    case proto::OtaState::failed:
      return "failed";
    case proto::OtaState::delayed:
      return "delayed";
    case proto::OtaState::rejected:
      return "rejected";
  }
  return "failed";
}

rest::OtaImage to_rest(const storage::OtaImageRecord& r) {
  rest::OtaImage image;
  image.ota_image_id = r.image_id;
  image.image_name = r.image_name;
  image.type = r.type;
  image.model = r.model;
  image.fw_version = r.fw_version;
  image.project_name = r.project_name;
  image.chip = r.chip;
  image.file_size = r.size;
  image.file_md5 = r.md5;
  image.file_sha256 = r.sha256;
  image.upload_timestamp = r.created_ms / 1000;
  image.archived = r.archived;
  image.user_image = r.user_image;
  return image;
}

rest::OtaNodeStatus to_rest(const OtaJobNodeRecord& r) {
  return {r.node_id,         r.job_id,    r.status, r.updated_ms / 1000,
          r.additional_info, r.ts_source, r.batch};
}

}  // namespace

OtaService::OtaService(storage::OtaRepository& repository, storage::AccessRepository& access,
                       OtaImageStore& store, NodeMessenger& messenger, EventHub& hub,
                       std::shared_ptr<const OtaDownloadSigner> signer, const Clock& clock,
                       MetricsRegistry& metrics, OtaOptions options, AuditLog& audit)
    : repository_(repository),
      audit_(audit),
      access_(access),
      store_(store),
      messenger_(messenger),
      hub_(hub),
      signer_(std::move(signer)),
      clock_(clock),
      options_(options),
      metrics_(metrics),
      offers_fetch_(metrics.counter("stratus_ota_offers_total", "otaurl offers sent, by trigger",
                                    {{"how", "fetch"}})),
      offers_push_(metrics.counter("stratus_ota_offers_total", "otaurl offers sent, by trigger",
                                   {{"how", "push"}})),
      dropped_queue_(metrics.counter("stratus_ota_dropped_total",
                                     "OTA node messages and work dropped, by reason (node "
                                     "messages the full queue refuses are the link's to count)",
                                     {{"reason", "queue_full"}})),
      dropped_unknown_(metrics.counter("stratus_ota_dropped_total",
                                       "OTA node messages and work dropped, by reason (node "
                                       "messages the full queue refuses are the link's to count)",
                                       {{"reason", "unknown_job"}})),
      dropped_inactive_(metrics.counter("stratus_ota_dropped_total",
                                        "OTA node messages and work dropped, by reason (node "
                                        "messages the full queue refuses are the link's to count)",
                                        {{"reason", "job_inactive"}})),
      dropped_storage_(metrics.counter("stratus_ota_dropped_total",
                                       "OTA node messages and work dropped, by reason (node "
                                       "messages the full queue refuses are the link's to count)",
                                       {{"reason", "storage"}})),
      downloads_granted_(metrics.counter("stratus_ota_downloads_total",
                                         "OTA image downloads, by outcome",
                                         {{"outcome", "granted"}})),
      downloads_refused_(metrics.counter("stratus_ota_downloads_total",
                                         "OTA image downloads, by outcome",
                                         {{"outcome", "refused"}})) {}

std::shared_ptr<const OtaDownloadSigner> OtaService::signer() const {
  std::lock_guard lock(signer_mutex_);
  return signer_;
}

void OtaService::set_signer(std::shared_ptr<const OtaDownloadSigner> signer) {
  std::lock_guard lock(signer_mutex_);
  signer_ = std::move(signer);
}

OtaService::~OtaService() {
  stop();
}

std::int64_t OtaService::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
      .count();
}

// --- runner ------------------------------------------------------------------------

void OtaService::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_)
      return;
    started_ = true;
  }
  rest::EventFilter filter;
  filter.kinds = (1u << static_cast<unsigned>(rest::EventKind::connectivity)) |
                 (1u << static_cast<unsigned>(rest::EventKind::config));
  subscription_ = hub_.subscribe_all(std::move(filter), [this](const EventPtr& event) {
    // On the hub's dispatcher: read the one field needed, queue, return.
    Work work;
    work.node_id = event->node_id;
    json::error_code ec;
    const auto v = json::parse(event->text, ec);
    const auto* o = ec ? nullptr : v.if_object();
    const auto* data = o != nullptr ? o->if_contains("data") : nullptr;
    if (data == nullptr || !data->is_object())
      return true;
    if (event->kind == rest::EventKind::connectivity) {
      if (!rest::bool_or(data->as_object(), "connected"))
        return true;
      work.kind = Work::Kind::connected;
    } else {
      const auto* config = data->as_object().if_contains("config");
      const auto* info = config != nullptr && config->is_object()
                             ? config->as_object().if_contains("info")
                             : nullptr;
      if (info == nullptr || !info->is_object())
        return true;
      work.kind = Work::Kind::config;
      work.fw_version = rest::string_or(info->as_object(), "fw_version");
    }
    if (!enqueue(std::move(work)))
      dropped_queue_.inc();
    return true;
  });
  thread_ = std::thread([this] {
    core::name_this_thread("ota");
    run();
  });
}

void OtaService::stop() {
  subscription_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

bool OtaService::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto target = enqueued_;
  return drained_.wait_for(lock, timeout, [&] { return handled_ >= target || stopping_; });
}

bool OtaService::enqueue(Work work) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.queue_limit)
      return false;
    queue_.push_back(std::move(work));
    ++enqueued_;
  }
  wake_.notify_one();
  return true;
}

bool OtaService::on_fetch(std::string node_id, proto::OtaFetch fetch) {
  Work work;
  work.kind = Work::Kind::fetch;
  work.node_id = std::move(node_id);
  work.fw_version = std::move(fetch.fw_version);
  return enqueue(std::move(work));
}

bool OtaService::on_status(std::string node_id, proto::OtaStatus status) {
  Work work;
  work.kind = Work::Kind::status;
  work.node_id = std::move(node_id);
  work.status = std::move(status);
  return enqueue(std::move(work));
}

void OtaService::run() {
  auto next_sweep = clock_.steady_now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      if (clock_.steady_now() >= next_sweep) {
        lock.unlock();
        if (options_.leadership == nullptr || options_.leadership->is_leader())
          sweep();
        lock.lock();
        next_sweep = clock_.steady_now() + options_.poll;
        continue;
      }
      wake_.wait_for(lock, options_.poll);
      continue;
    }
    Work work = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    handle(work);
    lock.lock();
    ++handled_;
    if (queue_.empty())
      drained_.notify_all();
  }
  drained_.notify_all();
}

void OtaService::handle(const Work& work) {
  switch (work.kind) {
    case Work::Kind::fetch:
      offer(work.node_id, work.fw_version, false);
      return;
    case Work::Kind::connected:
      offer(work.node_id, std::nullopt, true);
      return;
    case Work::Kind::status:
      handle_status(work.node_id, work.status);
      return;
    case Work::Kind::config:
      confirm_by_config(work.node_id, work.fw_version);
      return;
    case Work::Kind::push_job: {
      auto job = repository_.job(work.job_id);
      if (!job || !*job || (*job)->status != "active")
        return;
      std::vector<std::string> released;
      if (auto read = each_job_node(work.job_id,
                                    [&](const OtaJobNodeRecord& n) {
                                      if (n.batch > 0 && n.status == "pending")
                                        released.push_back(n.node_id);
                                    });
          !read) {
        log::warn(Channel::service, "OTA job {} not pushed: {}", work.job_id,
                  read.error().message());
        return;
      }
      push_released(**job, released);
      return;
    }
  }
}

// --- node protocol -------------------------------------------------------------------

void OtaService::offer(const std::string& node_id, std::optional<std::string> fw_version,
                       bool push) {
  auto offers = repository_.offers_for_node(node_id);
  if (!offers) {
    dropped_storage_.inc();
    log::warn(Channel::service, "OTA offer for node_id={} failed: {}", node_id,
              offers.error().message());
    return;
  }
  if (offers->empty())
    return;
  auto node = repository_.target_node(node_id);
  if (!node || !*node) {
    dropped_storage_.inc();
    return;
  }
  const std::string running = fw_version.value_or((*node)->fw_version);
  for (const auto& o : *offers) {
    if (push && !o.job.force_push && !(o.job.user_approval && o.node.status == "offered"))
      continue;  // on connect only force-push (and approved) jobs are pushed
    // A node that reported progress runs the job: when it comes back (typically rebooting
    // into the new image) it reports the outcome, or fetches again at boot. A push now would
    // race its success report and start a second download of the same image.
    if (push && o.node.status == "in-progress")
      continue;
    if (o.job.user_approval && o.node.status == "pending")
      continue;  // waits for the user's approval
    if (o.job.user_approval) {
      // Queued work re-checks its requester: the approval holds only while its user is
      // still the node's primary user and not disabled (a transfer or removal since must
      // not install firmware the new owner never approved), whatever the node reported
      // since (offered, in progress, delayed, failed: each may be offered again).
      const auto stands = approval_stands(o.node);
      if (!stands) {
        dropped_storage_.inc();
        log::warn(Channel::service, "OTA approval of node_id={} not checked: {}", node_id,
                  stands.error().message());
        return;  // the next fetch or connect tries again
      }
      if (!*stands) {
        lapse_approval(o.node);
        continue;
      }
    }
    OtaJobNodeRecord state = o.node;
    state.updated_ms = now_ms();
    if (const auto why = mismatch(o.image, **node); !why.empty()) {
      state.status = "rejected";
      state.additional_info = "Stratus: " + why;
      set_node(state, kOfferable);
      continue;
    }
    if (!running.empty() && running == o.image.fw_version) {
      state.status = "success";
      state.additional_info = "the node already runs " + running;
      set_node(state, kOfferable);
      continue;
    }
    const auto signer = this->signer();
    if (signer == nullptr)
      return;
    proto::OtaUrl url;
    url.ota_job_id = o.job.job_id;
    url.url = signer->url(
        {o.image.image_id, OtaDownloadGrant::Kind::node, node_id,
         std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count() +
             options_.url_lifetime.count()});
    url.file_size = o.image.size;
    url.file_md5 = o.image.md5;
    url.fw_version = o.image.fw_version;
    url.file_sha256 = o.image.sha256;
    if (!o.job.metadata_json.empty())
      url.metadata = o.job.metadata_json;
    // Stored before the otaurl goes out: the node may download (and the download route
    // check the offer) before this thread returns from the publish.
    state.status = "offered";
    state.additional_info = push ? "pushed to the node" : "sent on otafetch";
    set_node(state, kOfferable);
    if (auto sent = messenger_.publish_ota_url(node_id, proto::encode_ota_url(url)); !sent) {
      log::warn(Channel::service, "otaurl to node_id={} not sent: {}", node_id,
                sent.error().message());
      OtaJobNodeRecord before = o.node;
      before.updated_ms = now_ms();
      set_node(before, {"offered"});  // unless the node has answered meanwhile
      return;
    }
    (push ? offers_push_ : offers_fetch_).inc();
    return;  // one job at a time: the firmware ignores offers while an OTA runs
  }
}

void OtaService::lapse_approval(const OtaJobNodeRecord& node) {
  OtaJobNodeRecord lapsed = node;
  lapsed.status = "pending";
  lapsed.additional_info = "the approval lapsed: its user is no longer the primary user";
  lapsed.approved_by.clear();
  lapsed.updated_ms = now_ms();
  // Unless the node moved on (or was approved again) since the read.
  set_node(lapsed, {node.status}, node.updated_ms + 1);
}

Result<bool> OtaService::approval_stands(const OtaJobNodeRecord& node) {
  if (node.approved_by.empty())
    return false;  // approved before approvals named their user: asked for again
  bool stands = false;
  auto read = access_.read([&](storage::AccessStore& s) -> Result<void> {
    auto active = s.user_active(node.approved_by);
    if (!active)
      return fail(active.error());
    if (!*active)
      return {};
    auto rel = s.relation(node.approved_by, node.node_id);
    if (!rel)
      return fail(rel.error());
    stands = rel->has_value() && (*rel)->role == "primary";
    return {};
  });
  if (!read)
    return fail(read.error());
  return stands;
}

void OtaService::push_released(const OtaJobRecord& job, const std::vector<std::string>& nodes) {
  if (!job.force_push)
    return;
  for (const auto& node_id : nodes) {
    auto node = repository_.target_node(node_id);
    if (node && *node && (*node)->connected)
      offer(node_id, std::nullopt, true);
  }
}

void OtaService::push_again(const OtaJobRecord& job, const std::vector<OtaJobNodeRecord>& nodes) {
  std::vector<std::string> ids;
  ids.reserve(nodes.size());
  for (const auto& n : nodes)
    ids.push_back(n.node_id);
  auto targets = repository_.target_nodes(ids, {}, "", "");  // one read for the lot
  if (!targets) {
    dropped_storage_.inc();
    log::warn(Channel::service, "OTA job {}: lost pushes not retried: {}", job.job_id,
              targets.error().message());
    return;
  }
  std::set<std::string> online;
  for (const auto& t : *targets) {
    if (t.connected)
      online.insert(t.node_id);
  }
  for (const auto& n : nodes) {
    if (!online.contains(n.node_id))
      continue;
    // The claim: another instance's sweep, a connect's push or the node's news since the
    // read wins, and the row's new updated_ms holds the next retry off for a grace.
    OtaJobNodeRecord claimed = n;
    claimed.updated_ms = now_ms();
    auto won = repository_.set_job_node(claimed, {"pending"}, n.updated_ms + 1);
    if (!won || !*won)
      continue;
    log::info(Channel::service, "OTA job {}: node_id={} released but not pushed, pushing again",
              job.job_id, n.node_id);
    // The same path as every push: approval, model/chip and running version checked again.
    offer(n.node_id, std::nullopt, true);
  }
}

void OtaService::handle_status(const std::string& node_id, const proto::OtaStatus& status) {
  auto job = repository_.job(status.ota_job_id);
  if (!job) {
    dropped_storage_.inc();
    return;
  }
  auto rows = *job ? repository_.job_nodes(status.ota_job_id, node_id, "", 1)
                   : Result<std::vector<OtaJobNodeRecord>>{};
  if (!*job || !rows || rows->empty()) {
    dropped_unknown_.inc();
    log::info(Channel::service, "otastatus from node_id={} for unknown job {} dropped", node_id,
              status.ota_job_id);
    return;
  }
  if ((*job)->status == "cancelled") {
    dropped_inactive_.inc();
    return;
  }
  OtaJobNodeRecord state = rows->front();
  state.status = state_for(status.status);
  state.additional_info = status.additional_info;
  state.ts_source = status.ts_s && *status.ts_s > 0 ? "NODE" : "CLOUD";
  state.updated_ms = now_ms();
  // Never leave success (a late in-progress from before the reboot must not undo it).
  set_node(state, {"pending", "offered", "in-progress", "delayed", "failed", "timed_out"});
}

void OtaService::confirm_by_config(const std::string& node_id, const std::string& fw_version) {
  if (fw_version.empty())
    return;
  auto offers = repository_.offers_for_node(node_id);
  if (!offers)
    return;
  for (const auto& o : *offers) {
    if (o.node.status == "pending" || o.image.fw_version != fw_version)
      continue;
    OtaJobNodeRecord state = o.node;
    state.status = "success";
    state.additional_info = "confirmed by the node's config: it runs " + fw_version;
    state.updated_ms = now_ms();
    set_node(state, {"offered", "in-progress", "delayed", "failed"});
  }
}

bool OtaService::set_node(const OtaJobNodeRecord& state, const std::vector<std::string>& from,
                          std::optional<std::int64_t> updated_before) {
  OtaJobNodeRecord kept = state;
  kept.approved_by.clear();  // `set_job_node`: empty keeps the stored approver
  auto changed = store_node(kept, from, updated_before);
  if (!changed) {
    dropped_storage_.inc();
    log::warn(Channel::service, "OTA state of node_id={} job {} not stored: {}", state.node_id,
              state.job_id, changed.error().message());
    return false;
  }
  return *changed;
}

Result<bool> OtaService::store_node(const OtaJobNodeRecord& state,
                                    const std::vector<std::string>& from,
                                    std::optional<std::int64_t> updated_before) {
  auto changed = repository_.set_job_node(state, from, updated_before);
  if (!changed)
    return fail(changed.error());
  if (!*changed)
    return false;
  metrics_
      .counter("stratus_ota_node_status_total", "OTA node state changes, by new state",
               {{"status", state.status}})
      .inc();
  publish_node_event(state);
  return true;
}

void OtaService::publish_node_event(const OtaJobNodeRecord& state) {
  EventDraft event;
  event.kind = rest::EventKind::ota;
  event.node_id = state.node_id;
  event.timestamp_ms = state.updated_ms;
  event.data_json = json::serialize(json::object{{"ota_job_id", state.job_id},
                                                 {"status", state.status},
                                                 {"additional_info", state.additional_info}});
  hub_.publish({std::move(event)});
}

// --- rollout and timeouts ------------------------------------------------------------

void OtaService::sweep_now() {
  sweep();
}

void OtaService::sweep() {
  std::lock_guard lock(sweep_mutex_);
  auto jobs = repository_.active_jobs();
  if (!jobs) {
    log::warn(Channel::service, "OTA sweep: {}", jobs.error().message());
    return;
  }
  // Lost pushes are looked for once per grace, not every poll: the lookup reads the
  // connectivity of every node it finds, and an offline node stays `pending` until it
  // comes online (then the connect pushes).
  const auto now = now_ms();
  const bool repush = now >= next_repush_ms_;
  if (repush) {
    next_repush_ms_ =
        now +
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.lost_push_grace).count();
  }
  for (auto& job : *jobs)
    sweep_job(std::move(job), repush);
}

Result<void> OtaService::each_job_node(const std::string& job_id,
                                       const std::function<void(OtaJobNodeRecord&)>& each) {
  const std::size_t page = std::max<std::size_t>(options_.sweep_page, 1);
  std::string start;  // inclusive: the first row of the next page
  while (true) {
    auto rows = repository_.job_nodes(job_id, "", start, page + 1);
    if (!rows)
      return fail(rows.error());
    const bool more = rows->size() > page;
    if (more) {
      start = rows->back().node_id;
      rows->pop_back();
    }
    for (auto& n : *rows)
      each(n);
    if (!more)
      return {};
  }
}

void OtaService::sweep_job(OtaJobRecord job, bool repush) {
  const auto now = now_ms();
  const auto timeout_before =
      now - std::chrono::duration_cast<std::chrono::milliseconds>(options_.node_timeout).count();
  const auto failed_before =
      now - std::chrono::duration_cast<std::chrono::milliseconds>(options_.failed_grace).count();
  const auto pushed_before =
      now - std::chrono::duration_cast<std::chrono::milliseconds>(options_.lost_push_grace).count();
  bool open = false;
  bool unreleased = false;
  std::int64_t last_done = 0, last_failed = 0, last_open = 0;
  std::vector<OtaJobNodeRecord> unpushed;
  const auto read = each_job_node(job.job_id, [&](OtaJobNodeRecord& n) {
    if (n.batch == 0) {
      unreleased = true;
      return;
    }
    // Released (the job's updated_ms is its last release: a row's is not touched by it)
    // and neither pushed nor heard of since: the push after the release was lost, and a
    // `pending` node never times out, so the batch would wait for the node's next fetch.
    if (repush && job.force_push && n.status == "pending" &&
        std::max(n.updated_ms, job.updated_ms) < pushed_before)
      unpushed.push_back(n);
    if (n.status != "pending" && std::find(kOpen.begin(), kOpen.end(), n.status) != kOpen.end() &&
        n.updated_ms < timeout_before) {
      auto timed_out = n;
      timed_out.status = "timed_out";
      timed_out.additional_info =
          "no news from the node for " + std::to_string(options_.node_timeout.count()) + " s";
      timed_out.updated_ms = now;
      // Only if its row is as read (no clock but the row's own: instances' clocks differ).
      if (set_node(timed_out, kOpen, n.updated_ms + 1)) {
        n = std::move(timed_out);
      } else {
        // The node sent news since the sweep read it: open until the next sweep reads it.
        open = true;
        if (n.batch == job.batches_released)
          ++last_open;
        return;
      }
    }
    const bool still_open = std::find(kOpen.begin(), kOpen.end(), n.status) != kOpen.end() ||
                            (n.status == "failed" && n.updated_ms >= failed_before);
    if (still_open)
      open = true;
    if (n.batch == job.batches_released) {
      if (still_open) {
        ++last_open;
      } else {
        ++last_done;
        if (n.status == "failed" || n.status == "rejected" || n.status == "timed_out")
          ++last_failed;
      }
    }
  });
  if (!read) {
    log::debug(Channel::service, "OTA job {} not swept: {}", job.job_id, read.error().message());
    return;  // decide nothing from some of its rows
  }
  if (!unpushed.empty())
    push_again(job, unpushed);
  if (!unreleased) {
    if (!open) {
      job.status = "finished";
      job.updated_ms = now;
      if (auto r = repository_.update_job(job, "active"); !r) {
        log::debug(Channel::service, "OTA job {} not finished: {}", job.job_id,
                   r.error().message());
        return;
      }
      log::info(Channel::service, "OTA job {} finished", job.job_id);
    }
    return;
  }
  if (last_open > 0 || now < job.next_batch_ms)
    return;  // the current batch is still running, or the interval has not passed
  if (job.rollout_stop_percent < 100 && last_done > 0 &&
      last_failed * 100 >= job.rollout_stop_percent * last_done) {
    job.status = "paused";
    job.pause_reason = "batch " + std::to_string(job.batches_released) + ": " +
                       std::to_string(last_failed) + " of " + std::to_string(last_done) +
                       " nodes failed, rejected or timed out (stop_on_failure_percent " +
                       std::to_string(job.rollout_stop_percent) + ")";
    job.updated_ms = now;
    if (auto r = repository_.update_job(job, "active"); !r) {
      log::debug(Channel::service, "OTA job {} not paused: {}", job.job_id, r.error().message());
      return;
    }
    log::warn(Channel::service, "OTA job {} paused: {}", job.job_id, job.pause_reason);
    return;
  }
  auto released = release_batch(job);
  if (released)
    push_released(job, *released);
}

Result<std::vector<std::string>> OtaService::release_batch(OtaJobRecord& job) {
  const std::int64_t batch = job.batches_released + 1;
  const std::int64_t now = now_ms();
  const std::int64_t next_batch_ms = now + job.rollout_interval_s * 1000;
  auto released = repository_.release_batch(job.job_id, batch, job.rollout_batch.value_or(1),
                                            next_batch_ms, now);
  if (!released && released.error().code == errc::conflict) {
    // Another release of this batch came first (the sweep against the job's creation or a
    // resume, or two instances' sweeps while the lease moves): it released and pushed. Or
    // the job was paused, cancelled or finished since it was read: nothing to release.
    log::debug(Channel::service, "OTA job {} batch {} not released: {}", job.job_id, batch,
               released.error().message());
    return std::vector<std::string>{};
  }
  if (!released)
    return released;
  job.batches_released = batch;
  job.next_batch_ms = next_batch_ms;
  job.updated_ms = now;
  log::info(Channel::service, "OTA job {} released batch {} ({} nodes)", job.job_id, batch,
            released->size());
  return released;
}

// --- images --------------------------------------------------------------------------

Result<void> OtaService::require_admin(const Principal& who) const {
  if (!who.super_admin) {
    return fail(Error{errc::forbidden, "a super-admin route", rest::request_error::not_authorized});
  }
  return {};
}

Result<rest::OtaImage> OtaService::store_image(const Principal& who, StoredImage stored,
                                               const OtaImageDeclaration& declared,
                                               bool user_image) {
  const auto refuse = [&](Error e) -> Result<rest::OtaImage> {
    // The file is kept only when an image row names it (the same bytes uploaded before).
    if (auto used = repository_.sha256_in_use(stored.sha256); used && !*used)
      (void)store_.remove(stored.sha256);
    return fail(std::move(e));
  };
  if (declared.fw_version && !declared.fw_version->empty() &&
      *declared.fw_version != stored.info.version) {
    return refuse(image_error(rest::ota_image_error::declared_mismatch,
                              "declared fw_version \"" + *declared.fw_version +
                                  "\" but the image header says \"" + stored.info.version + "\""));
  }
  if (declared.project_name && !declared.project_name->empty() &&
      *declared.project_name != stored.info.project_name) {
    return refuse(image_error(rest::ota_image_error::declared_mismatch,
                              "declared project_name \"" + *declared.project_name +
                                  "\" but the image header says \"" + stored.info.project_name +
                                  "\""));
  }
  if (stored.info.version.empty()) {
    return refuse(
        image_error(rest::ota_image_error::fw_version_missing, "the image header has no version"));
  }
  storage::OtaImageRecord record;
  record.image_id = uuid_v4();
  record.image_name = declared.image_name;
  record.sha256 = stored.sha256;
  record.md5 = stored.md5;
  record.size = stored.size;
  record.model = declared.model;
  record.type = declared.type;
  record.fw_version = stored.info.version;
  record.project_name = stored.info.project_name;
  record.chip = std::string(proto::esp_chip_name(stored.info.chip_id));
  record.secure_version = stored.info.secure_version;
  record.signature = declared.signature;
  record.uploaded_by = who.user_id;
  record.user_image = user_image;
  record.created_ms = now_ms();
  if (auto added = repository_.add_image(record); !added)
    return refuse(added.error());
  auto image = to_rest(record);
  if (const auto signer = this->signer()) {
    image.image_url = signer->url({record.image_id, OtaDownloadGrant::Kind::user, who.user_id,
                                   record.created_ms / 1000 + options_.user_url_lifetime.count()});
  }
  log::info(Channel::service, "OTA image {} added: {} {} bytes sha256={} by user_id={}",
            record.image_id, record.fw_version, record.size, record.sha256, who.user_id);
  return image;
}

Result<rest::OtaImage> OtaService::add_image_unaudited(const Principal& who,
                                                       const std::string& file_path,
                                                       const OtaImageDeclaration& declared) {
  const auto discard = [&] {
    std::error_code ec;
    std::filesystem::remove(file_path, ec);
  };
  if (auto admin = require_admin(who); !admin) {
    discard();
    return fail(admin.error());
  }
  if (declared.image_name.empty()) {
    discard();
    return fail(image_error(rest::ota_image_error::name_missing, "image_name is missing"));
  }
  if (!valid_name(declared.image_name)) {
    discard();
    return fail(image_error(rest::ota_image_error::name_invalid, "image_name is not valid"));
  }
  auto stored = store_.adopt_file(file_path, options_.max_image_bytes);
  if (!stored)
    return fail(stored.error());
  return store_image(who, std::move(*stored), declared, false);
}

Result<rest::OtaImage> OtaService::add_decoded(const Principal& who,
                                               const rest::OtaImageUpload& upload,
                                               bool user_image) {
  if (upload.image_name.empty())
    return fail(image_error(rest::ota_image_error::name_missing, "image_name is missing"));
  if (!valid_name(upload.image_name))
    return fail(image_error(rest::ota_image_error::name_invalid, "image_name is not valid"));
  if (upload.base64_fwimage.empty())
    return fail(image_error(rest::ota_image_error::image_missing, "base64_fwimage is missing"));
  if (upload.base64_fwimage.size() / 4 * 3 > rest::kMaxBase64ImageBytes + 3) {
    return fail(image_error(rest::ota_image_error::too_large_base64,
                            "base64_fwimage decodes to more than 5 MB"));
  }
  auto bytes = base64_decode(upload.base64_fwimage);
  if (!bytes)
    return fail(image_error(rest::ota_image_error::base64_invalid, "base64_fwimage is not base64"));
  if (bytes->size() > rest::kMaxBase64ImageBytes) {
    return fail(image_error(rest::ota_image_error::too_large_base64,
                            "base64_fwimage decodes to more than 5 MB"));
  }
  auto stored = store_.adopt_bytes(
      *bytes, std::min<std::uint64_t>(options_.max_image_bytes, rest::kMaxBase64ImageBytes));
  if (!stored)
    return fail(stored.error());
  OtaImageDeclaration declared;
  declared.image_name = upload.image_name;
  declared.fw_version = upload.fw_version;
  declared.model = upload.model.value_or("");
  declared.type = upload.type.value_or("");
  return store_image(who, std::move(*stored), declared, user_image);
}

Result<rest::OtaImage> OtaService::add_base64_image_unaudited(const Principal& who,
                                                              const rest::OtaImageUpload& upload) {
  if (auto admin = require_admin(who); !admin)
    return fail(admin.error());
  return add_decoded(who, upload, false);
}

Result<rest::OtaImage> OtaService::add_user_image_unaudited(const Principal& who,
                                                            const rest::OtaImageUpload& upload) {
  bool primary = false;
  auto read = access_.read([&](storage::AccessStore& s) -> Result<void> {
    auto ids = s.user_node_ids(who.user_id);
    if (!ids)
      return fail(ids.error());
    for (const auto& id : *ids) {
      auto rel = s.relation(who.user_id, id);
      if (!rel)
        return fail(rel.error());
      if (*rel && (*rel)->role == "primary" && (*rel)->direct) {
        primary = true;
        break;
      }
    }
    return {};
  });
  if (!read)
    return fail(read.error());
  if (!primary) {
    return fail(Error{errc::forbidden, "only a primary user of some node may upload an image",
                      rest::ota_image_error::user_upload_forbidden});
  }
  return add_decoded(who, upload, true);
}

Result<rest::OtaImagePage> OtaService::list_images(const Principal& who, std::string_view start_id,
                                                   std::size_t limit, bool include_archived) {
  if (auto admin = require_admin(who); !admin)
    return fail(admin.error());
  auto rows = repository_.images(start_id, limit + 1, include_archived, true);
  if (!rows)
    return fail(rows.error());
  rest::OtaImagePage page;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (i == limit) {
      page.next_id = (*rows)[i].image_id;
      break;
    }
    page.images.push_back(to_rest((*rows)[i]));
  }
  return page;
}

Result<rest::OtaImage> OtaService::get_image(const Principal& who, std::string_view image_id) {
  if (auto admin = require_admin(who); !admin)
    return fail(admin.error());
  auto row = repository_.image(image_id);
  if (!row)
    return fail(row.error());
  if (!*row)
    return fail(image_error(rest::ota_image_error::not_found, "no such OTA image"));
  auto image = to_rest(**row);
  if (const auto signer = this->signer()) {
    image.image_url = signer->url({image.ota_image_id, OtaDownloadGrant::Kind::user, who.user_id,
                                   now_ms() / 1000 + options_.user_url_lifetime.count()});
  }
  return image;
}

Result<void> OtaService::archive_image_unaudited(const Principal& who, std::string_view image_id,
                                                 bool archived) {
  if (auto admin = require_admin(who); !admin)
    return admin;
  auto r = repository_.set_image_archived(image_id, archived);
  if (!r && r.error().code == errc::not_found)
    return fail(Error{errc::not_found, "no such OTA image", rest::ota_image_error::not_found});
  return r;
}

Result<void> OtaService::delete_image_unaudited(const Principal& who, std::string_view image_id) {
  if (auto admin = require_admin(who); !admin)
    return admin;
  auto image = repository_.image(image_id);
  if (!image)
    return fail(image.error());
  if (!*image)
    return fail(Error{errc::not_found, "no such OTA image", rest::ota_image_error::not_found});
  auto shared = repository_.remove_image(image_id);
  if (!shared) {
    if (shared.error().code == errc::conflict)
      return fail(Error{errc::conflict, shared.error().context, rest::ota_image_error::in_use});
    return fail(shared.error());
  }
  if (!*shared)
    (void)store_.remove((*image)->sha256);
  return {};
}

// --- jobs ----------------------------------------------------------------------------

Result<std::string> OtaService::create_job_unaudited(const Principal& who,
                                                     const rest::NewOtaJob& request) {
  if (auto admin = require_admin(who); !admin)
    return fail(admin.error());
  if (request.ota_job_name.empty())
    return fail(job_error(rest::ota_job_error::name_missing, "ota_job_name is missing"));
  if (!valid_name(request.ota_job_name))
    return fail(job_error(rest::ota_job_error::invalid_job, "ota_job_name is not valid"));
  if (request.ota_image_id.empty())
    return fail(image_error(rest::ota_image_error::id_missing, "ota_image_id is missing"));
  if (request.priority < 1 || request.priority > 10)
    return fail(job_error(rest::ota_job_error::priority_invalid, "priority must be 1-10"));
  if (request.force_push && request.user_approval) {
    return fail(job_error(rest::ota_job_error::invalid_job,
                          "force_push cannot be combined with user_approval"));
  }
  // The metadata goes into every node's `otaurl` message: one the broker refuses would
  // leave the job active, delivering nothing.
  if (request.metadata_json.size() > rest::limits::kMaxMetadataBytes) {
    return fail(
        job_error(rest::ota_job_error::invalid_job, "metadata is limited to 16 KiB (serialized)"));
  }
  if (request.description.size() > kMaxDescriptionBytes) {
    return fail(
        job_error(rest::ota_job_error::invalid_job, "description is limited to 1024 bytes"));
  }
  if (request.nodes.size() > kMaxJobNodes)
    return fail(job_error(rest::ota_job_error::too_many_nodes, "more than 100 nodes"));
  if (request.groups.size() > kMaxJobGroups)
    return fail(job_error(rest::ota_job_error::too_many_groups, "more than 10 groups"));
  if (request.nodes.empty() && request.groups.empty() && request.node_model.empty()) {
    return fail(
        job_error(rest::ota_job_error::targets_missing, "name nodes, groups or a node_model"));
  }
  if (request.rollout) {
    const auto& r = *request.rollout;
    const bool one = r.batch_size.has_value() != r.percent.has_value();
    const bool ok = one && (!r.batch_size || (*r.batch_size >= 1 && *r.batch_size <= 10000)) &&
                    (!r.percent || (*r.percent >= 1 && *r.percent <= 100)) && r.interval_s >= 0 &&
                    r.interval_s <= 86400 && r.stop_on_failure_percent >= 0 &&
                    r.stop_on_failure_percent <= 100;
    if (!ok)
      return fail(job_error(rest::ota_job_error::rollout_invalid, "rollout is not valid"));
  }
  if (signer() == nullptr) {
    return fail(job_error(rest::ota_job_error::downloads_unavailable,
                          "no download URL can be offered: enable http.tls or "
                          "ota.allow_plain_http"));
  }
  auto image = repository_.image(request.ota_image_id);
  if (!image)
    return fail(image.error());
  if (!*image)
    return fail(image_error(rest::ota_image_error::not_found, "no such OTA image"));
  if ((*image)->archived)
    return fail(image_error(rest::ota_image_error::archived, "the image is archived"));
  auto candidates = repository_.target_nodes(request.nodes, request.groups, request.node_model,
                                             request.node_type);
  if (!candidates)
    return fail(candidates.error());
  std::vector<std::string> targets;
  for (const auto& node : *candidates) {
    if (mismatch(**image, node).empty())
      targets.push_back(node.node_id);
  }
  if (targets.empty()) {
    return fail(job_error(rest::ota_job_error::no_valid_nodes,
                          "no target node matches the image's model, type and chip"));
  }
  OtaJobRecord job;
  job.job_id = uuid_v4();
  job.job_name = request.ota_job_name;
  job.image_id = request.ota_image_id;
  job.description = request.description;
  job.nodes_json = json_strings(request.nodes);
  job.groups_json = json_strings(request.groups);
  job.node_model = request.node_model;
  job.node_type = request.node_type;
  job.priority = request.priority;
  job.force_push = request.force_push;
  job.user_approval = request.user_approval;
  job.metadata_json = request.metadata_json;
  const auto n = static_cast<std::int64_t>(targets.size());
  if (request.rollout) {
    job.has_rollout = true;
    job.rollout_percent = request.rollout->percent;
    job.rollout_batch = request.rollout->batch_size
                            ? *request.rollout->batch_size
                            : std::max<std::int64_t>(1, (n * *request.rollout->percent + 99) / 100);
    job.rollout_interval_s = request.rollout->interval_s;
    job.rollout_stop_percent = request.rollout->stop_on_failure_percent;
  } else {
    job.rollout_batch = n;
  }
  job.created_by = who.user_id;
  job.created_ms = job.updated_ms = now_ms();
  if (auto created = repository_.create_job(job, targets); !created) {
    if (created.error().code == errc::already_exists)
      return fail(
          job_error(rest::ota_job_error::name_exists, "ota_job_name exists", errc::already_exists));
    return fail(created.error());
  }
  // The job is stored and active: a failed first release is the sweep's to make again,
  // and the answer must say the job exists (an error would have the admin create it twice).
  if (auto released = release_batch(job); !released) {
    log::warn(Channel::service, "OTA job {}: batch 1 is left to the sweep: {}", job.job_id,
              released.error().message());
  }
  log::info(Channel::service, "OTA job {} created by user_id={}: image {} to {} nodes", job.job_id,
            who.user_id, job.image_id, targets.size());
  Work push;
  push.kind = Work::Kind::push_job;
  push.job_id = job.job_id;
  if (!enqueue(std::move(push)))
    dropped_queue_.inc();
  return job.job_id;
}

Result<rest::OtaJob> OtaService::describe_job(const OtaJobRecord& r) {
  rest::OtaJob job;
  job.ota_job_id = r.job_id;
  job.ota_job_name = r.job_name;
  job.ota_image_id = r.image_id;
  job.description = r.description;
  job.status = r.status;
  job.pause_reason = r.pause_reason;
  job.nodes = strings_of(r.nodes_json);
  job.groups = strings_of(r.groups_json);
  job.node_model = r.node_model;
  job.node_type = r.node_type;
  job.priority = r.priority;
  job.force_push = r.force_push;
  job.user_approval = r.user_approval;
  job.metadata_json = r.metadata_json;
  if (r.has_rollout) {
    rest::OtaRollout rollout;
    if (r.rollout_percent)
      rollout.percent = r.rollout_percent;
    else
      rollout.batch_size = r.rollout_batch;
    rollout.interval_s = r.rollout_interval_s;
    rollout.stop_on_failure_percent = r.rollout_stop_percent;
    job.rollout = rollout;
  }
  job.batches_released = r.batches_released;
  job.triggered_timestamp = r.created_ms / 1000;
  if (auto image = repository_.image(r.image_id); image && *image)
    job.fw_version = (*image)->fw_version;
  auto counts = repository_.status_counts(r.job_id);
  if (!counts)
    return fail(counts.error());
  auto& c = job.counts;
  for (const auto& [status, count] : *counts) {
    c.total += count;
    if (status == "pending")
      c.pending = count;
    else if (status == "offered")
      c.offered = count;
    else if (status == "in-progress")
      c.in_progress = count;
    else if (status == "delayed")
      c.delayed = count;
    else if (status == "success")
      c.success = count;
    else if (status == "failed")
      c.failed = count;
    else if (status == "rejected")
      c.rejected = count;
    else if (status == "timed_out")
      c.timed_out = count;
    else if (status == "cancelled")
      c.cancelled = count;
  }
  return job;
}

Result<rest::OtaJobPage> OtaService::list_jobs(const Principal& who, std::string_view start_id,
                                               std::size_t limit) {
  if (auto admin = require_admin(who); !admin)
    return fail(admin.error());
  auto rows = repository_.jobs(start_id, limit + 1);
  if (!rows)
    return fail(rows.error());
  rest::OtaJobPage page;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (i == limit) {
      page.next_id = (*rows)[i].job_id;
      break;
    }
    auto job = describe_job((*rows)[i]);
    if (!job)
      return fail(job.error());
    page.jobs.push_back(std::move(*job));
  }
  return page;
}

Result<rest::OtaJob> OtaService::get_job(const Principal& who, std::string_view job_id) {
  if (auto admin = require_admin(who); !admin)
    return fail(admin.error());
  if (job_id.empty())
    return fail(job_error(rest::ota_job_error::id_missing, "ota_job_id is missing"));
  auto row = repository_.job(job_id);
  if (!row)
    return fail(row.error());
  if (!*row)
    return fail(job_error(rest::ota_job_error::not_found, "no such OTA job", errc::not_found));
  return describe_job(**row);
}

Result<void> OtaService::cancel_job_unaudited(const Principal& who, std::string_view job_id) {
  auto job = get_job(who, job_id);
  if (!job)
    return fail(job.error());
  if (job->status != "active" && job->status != "paused")
    return fail(job_error(rest::ota_job_error::inactive, "the job is " + job->status));
  auto cancelled = repository_.cancel_job(job_id, now_ms());
  if (!cancelled) {
    if (cancelled.error().code == errc::not_found)
      return fail(job_error(rest::ota_job_error::inactive, "the job is not active"));
    return fail(cancelled.error());
  }
  for (const auto& node_id : *cancelled) {
    OtaJobNodeRecord state;
    state.job_id = std::string(job_id);
    state.node_id = node_id;
    state.status = "cancelled";
    state.additional_info = "job cancelled";
    state.updated_ms = now_ms();
    publish_node_event(state);
  }
  log::info(Channel::service, "OTA job {} cancelled by user_id={} ({} nodes not finished)", job_id,
            who.user_id, cancelled->size());
  return {};
}

Result<void> OtaService::resume_job_unaudited(const Principal& who, std::string_view job_id) {
  if (auto admin = require_admin(who); !admin)
    return admin;
  auto row = repository_.job(job_id);
  if (!row)
    return fail(row.error());
  if (!*row)
    return fail(job_error(rest::ota_job_error::not_found, "no such OTA job", errc::not_found));
  auto job = **row;
  if (job.status != "paused")
    return fail(job_error(rest::ota_job_error::inactive, "only a paused job resumes"));
  job.status = "active";
  job.pause_reason.clear();
  job.next_batch_ms = 0;
  job.updated_ms = now_ms();
  if (auto updated = repository_.update_job(job, "paused"); !updated) {
    if (updated.error().code == errc::conflict)  // cancelled or resumed meanwhile
      return fail(job_error(rest::ota_job_error::inactive, "only a paused job resumes"));
    return updated;
  }
  // Resumed (stored): a failed release is the sweep's to make again, as at creation.
  if (auto released = release_batch(job); !released) {
    log::warn(Channel::service, "OTA job {}: batch {} is left to the sweep: {}", job.job_id,
              job.batches_released + 1, released.error().message());
  }
  Work push;
  push.kind = Work::Kind::push_job;
  push.job_id = job.job_id;
  if (!enqueue(std::move(push)))
    dropped_queue_.inc();
  return {};
}

Result<rest::OtaNodeStatusPage> OtaService::job_statuses(const Principal& who,
                                                         std::string_view job_id,
                                                         std::string_view node_id,
                                                         std::string_view start_id,
                                                         std::size_t limit) {
  auto job = get_job(who, job_id);
  if (!job)
    return fail(job.error());
  auto rows = repository_.job_nodes(job_id, node_id, start_id, limit + 1);
  if (!rows)
    return fail(rows.error());
  rest::OtaNodeStatusPage page;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (i == limit) {
      page.next_id = (*rows)[i].node_id;
      break;
    }
    page.statuses.push_back(to_rest((*rows)[i]));
  }
  return page;
}

// --- user routes ---------------------------------------------------------------------

namespace {

// The caller's relation to the node; not_found (108005) when there is none.
Result<storage::NodeUser> relation_of(storage::AccessRepository& access, const Principal& who,
                                      std::string_view node_id) {
  if (node_id.empty())
    return fail(job_error(rest::ota_job_error::node_id_missing, "node_id is missing"));
  std::optional<storage::NodeUser> found;
  auto read = access.read([&](storage::AccessStore& s) -> Result<void> {
    auto rel = s.relation(who.user_id, node_id);
    if (!rel)
      return fail(rel.error());
    found = std::move(*rel);
    return {};
  });
  if (!read)
    return fail(read.error());
  if (!found) {
    return fail(
        Error{errc::not_found, "no such node of the caller", rest::node_error::node_not_found});
  }
  return std::move(*found);
}

}  // namespace

Result<rest::OtaNodeStatus> OtaService::node_status(const Principal& who, std::string_view node_id,
                                                    std::string_view job_id) {
  if (auto rel = relation_of(access_, who, node_id); !rel)
    return fail(rel.error());
  if (job_id.empty())
    return fail(job_error(rest::ota_job_error::id_missing, "ota_job_id is missing"));
  auto rows = repository_.job_nodes(job_id, node_id, "", 1);
  if (!rows)
    return fail(rows.error());
  if (rows->empty()) {
    return fail(job_error(rest::ota_job_error::status_not_found, "no OTA status of that node",
                          errc::not_found));
  }
  return to_rest(rows->front());
}

Result<rest::OtaUpdateCheck> OtaService::check_update(const Principal& who,
                                                      std::string_view node_id) {
  if (auto rel = relation_of(access_, who, node_id); !rel)
    return fail(rel.error());
  auto offers = repository_.offers_for_node(node_id);
  if (!offers)
    return fail(offers.error());
  rest::OtaUpdateCheck check;
  if (offers->empty()) {
    check.description = "no update for the node";
    return check;
  }
  const auto& o = offers->front();
  check.ota_available = true;
  check.status = o.node.status;
  check.description = o.job.description;
  check.fw_version = o.image.fw_version;
  check.ota_job_id = o.job.job_id;
  check.file_size = o.image.size;
  return check;
}

Result<void> OtaService::approve_update_unaudited(const Principal& who, std::string_view node_id,
                                                  std::string_view job_id) {
  auto rel = relation_of(access_, who, node_id);
  if (!rel)
    return fail(rel.error());
  if (rel->role != "primary") {
    return fail(Error{errc::forbidden, "only a primary user may start an update",
                      rest::request_error::not_authorized});
  }
  if (job_id.empty())
    return fail(job_error(rest::ota_job_error::id_missing, "ota_job_id is missing"));
  auto offers = repository_.offers_for_node(node_id);
  if (!offers)
    return fail(offers.error());
  const auto it = std::find_if(offers->begin(), offers->end(),
                               [&](const storage::OtaOffer& o) { return o.job.job_id == job_id; });
  if (it == offers->end()) {
    return fail(job_error(rest::ota_job_error::job_not_for_node,
                          "no active job of that id offers an update to the node"));
  }
  OtaJobNodeRecord state = it->node;
  state.status = "offered";
  state.additional_info = "approved by the user";
  state.approved_by = who.user_id;  // holds while it stays the primary user (`offer`)
  state.updated_ms = now_ms();
  // Not from in-progress: a repeated approval (or one racing the node's progress
  // report) must not restart a download that is running. A storage error is the
  // caller's: an approval answered 200 must be stored.
  if (auto stored = store_node(state, {"pending", "offered", "delayed", "failed"}); !stored)
    return fail(stored.error());
  Work work;
  work.kind = Work::Kind::connected;  // push now, as on connect
  work.node_id = std::string(node_id);
  if (!enqueue(std::move(work)))
    dropped_queue_.inc();
  return {};
}

// --- downloads -----------------------------------------------------------------------

Result<OtaDownload> OtaService::authorize_download(const OtaDownloadGrant& grant) {
  const auto refuse = [&](std::string why) -> Result<OtaDownload> {
    downloads_refused_.inc();
    log::info(Channel::service, "OTA download refused image={} {}={}: {}", grant.image_id,
              grant.kind == OtaDownloadGrant::Kind::node ? "node_id" : "user_id", grant.subject,
              why);
    return fail(Error{errc::forbidden, "OTA download refused: " + why,
                      rest::ota_job_error::download_forbidden});
  };
  auto image = repository_.image(grant.image_id);
  if (!image)
    return fail(image.error());
  if (!*image)
    return refuse("no such image");
  // Authorization at use: a URL outlives the checks made when it was signed.
  if (grant.kind == OtaDownloadGrant::Kind::node) {
    auto offers = repository_.offers_for_node(grant.subject);
    if (!offers)
      return fail(offers.error());
    bool live = false;
    for (const auto& o : *offers) {
      if (o.image.image_id != grant.image_id || o.node.status == "pending")
        continue;
      if (!o.job.user_approval) {
        live = true;
        break;
      }
      // The approval holds only while its user is the node's primary user (as in `offer`).
      auto stands = approval_stands(o.node);
      if (!stands)
        return fail(stands.error());
      if (*stands) {
        live = true;
        break;
      }
      lapse_approval(o.node);
    }
    if (!live)
      return refuse("the offer to this node was withdrawn, is finished or lost its approval");
  } else {
    bool active = false;
    auto read = access_.read([&](storage::AccessStore& s) -> Result<void> {
      auto r = s.user_active(grant.subject);
      if (!r)
        return fail(r.error());
      active = *r;
      return {};
    });
    if (!read)
      return fail(read.error());
    if (!active)
      return refuse("the user is disabled or gone");
  }
  downloads_granted_.inc();
  return OtaDownload{store_.path_of((*image)->sha256), (*image)->size, (*image)->sha256};
}

// --- audited entry points (docs/adr/0015) ----------------------------------------------

namespace {

std::string image_id_of(const Result<rest::OtaImage>& image) {
  return image ? image->ota_image_id : std::string();
}

}  // namespace

Result<rest::OtaImage> OtaService::add_image(const Principal& who, const std::string& file_path,
                                             const OtaImageDeclaration& declared) {
  auto r = add_image_unaudited(who, file_path, declared);
  std::string id = image_id_of(r);
  return audited(audit_, who, "ota.image.upload", "ota_image", std::move(id), std::move(r),
                 "image_name=" + declared.image_name);
}

Result<rest::OtaImage> OtaService::add_base64_image(const Principal& who,
                                                    const rest::OtaImageUpload& upload) {
  auto r = add_base64_image_unaudited(who, upload);
  std::string id = image_id_of(r);
  return audited(audit_, who, "ota.image.upload", "ota_image", std::move(id), std::move(r),
                 "image_name=" + upload.image_name);
}

Result<rest::OtaImage> OtaService::add_user_image(const Principal& who,
                                                  const rest::OtaImageUpload& upload) {
  auto r = add_user_image_unaudited(who, upload);
  std::string id = image_id_of(r);
  return audited(audit_, who, "ota.image.user_upload", "ota_image", std::move(id), std::move(r),
                 "image_name=" + upload.image_name);
}

Result<void> OtaService::archive_image(const Principal& who, std::string_view image_id,
                                       bool archived) {
  return audited(audit_, who, archived ? "ota.image.archive" : "ota.image.unarchive", "ota_image",
                 std::string(image_id), archive_image_unaudited(who, image_id, archived));
}

Result<void> OtaService::delete_image(const Principal& who, std::string_view image_id) {
  return audited(audit_, who, "ota.image.delete", "ota_image", std::string(image_id),
                 delete_image_unaudited(who, image_id));
}

Result<std::string> OtaService::create_job(const Principal& who, const rest::NewOtaJob& job) {
  auto r = create_job_unaudited(who, job);
  std::string id = r ? *r : std::string();
  return audited(audit_, who, "ota.job.create", "ota_job", std::move(id), std::move(r),
                 "name=" + job.ota_job_name + " image=" + job.ota_image_id);
}

Result<void> OtaService::cancel_job(const Principal& who, std::string_view job_id) {
  return audited(audit_, who, "ota.job.cancel", "ota_job", std::string(job_id),
                 cancel_job_unaudited(who, job_id));
}

Result<void> OtaService::resume_job(const Principal& who, std::string_view job_id) {
  return audited(audit_, who, "ota.job.resume", "ota_job", std::string(job_id),
                 resume_job_unaudited(who, job_id));
}

Result<void> OtaService::approve_update(const Principal& who, std::string_view node_id,
                                        std::string_view job_id) {
  return audited(audit_, who, "ota.update.approve", "node", std::string(node_id),
                 approve_update_unaudited(who, node_id, job_id),
                 "ota_job_id=" + std::string(job_id));
}

}  // namespace stratus::service
