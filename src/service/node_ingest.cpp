#include "service/node_ingest.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <numeric>
#include <optional>

#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "model/node_config.hpp"
#include "model/params.hpp"
#include "service/command_service.hpp"
#include "service/node_mapping.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
using log::Channel;
using proto::rest::EventKind;

// `sp`: where the document's memory comes from (default: the heap).
std::optional<json::object> parse_object(std::string_view text, json::storage_ptr sp = {}) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, std::move(sp));
  if (ec || !v.is_object())
    return std::nullopt;
  return std::move(v.as_object());
}

// `{"<Device>.<Param>":"<data_type>"}` of the params marked `time_series`.
json::object time_series_params(const model::NodeConfig& config) {
  json::object out;
  for (const auto* list : {&config.devices, &config.services}) {
    for (const auto& device : *list) {
      for (const auto& param : device.params) {
        if (param.time_series)
          out[device.name + "." + param.name] = model::to_string(param.data_type);
      }
    }
  }
  return out;
}

storage::NodeInfoIndex index_config(std::string_view config_json) {
  auto config = model::parse_node_config(config_json);
  if (!config)
    return {};
  const auto& i = config->info;
  return {i.name,
          i.type,
          i.model,
          i.fw_version,
          i.platform,
          config->supports_cmd_resp(),
          json::serialize(time_series_params(*config))};
}

// Earliest point kept: 2001-01-01T00:00:00Z (a node without valid time reports 1970).
constexpr std::int64_t kEarliestPointS = 978307200;

// The stored form of a value already checked against `data_type`.
storage::TsPoint make_point(std::string name, const std::string& data_type, std::int64_t ts,
                            const json::value& v, std::string_view source) {
  storage::TsPoint p{std::move(name), ts, data_type, 0, {}, std::string(source)};
  if (v.is_bool())
    p.number = v.get_bool() ? 1 : 0;
  else if (v.is_number())
    p.number = v.to_number<double>();
  else if (v.is_string())
    p.text = std::string(v.get_string());
  else
    p.text = json::serialize(v);
  return p;
}

// `{"<member>":<json>}` around an already serialized JSON document.
std::string wrap(std::string_view member, std::string_view json_text, bool init = false) {
  std::string out;
  out.reserve(member.size() + json_text.size() + 24);
  out += "{\"";
  out += member;
  out += "\":";
  out += json_text;
  if (init)
    out += ",\"init\":true";
  out += '}';
  return out;
}

// First block of a batch's JSON arena; later blocks grow geometrically.
constexpr std::size_t kArenaFirstBlock = 64 * 1024;

// One node's params document while a batch is applied: read once, written once.
// A node's stored params document is at most this large (serialized). Reports merge any
// device and param into it, so without a bound one node could grow it report by report
// until every batch that holds the node spends its time parsing and writing it back.
// Firmware documents are a few KiB; 256 KiB leaves room for large nodes (bridges).
constexpr std::size_t kMaxParamsDocumentBytes = 256 * 1024;

struct PendingParams {
  json::object state;
  std::int64_t ms = 0;
  bool dirty = false;
  // At least the serialized size of `state`: the loaded text's, plus twice each merged
  // report's (a merge adds at most the report's members; re-serializing a number may
  // lengthen it a little). Measured exactly only when it passes the bound.
  std::size_t size_bound = 0;
};

// One node of a batch and what the batch gathers for it. Each event finds its node by
// index (`index_nodes`) instead of looking its id up in a map at every use: the batch's
// maps keyed by node id (`memcmp`, tree walks, sorting copied ids) were about a sixth of
// stratusd's CPU under two-instance ingest (bench/README.md, session 20).
struct BatchNode {
  std::string_view id;  // the events' own string: the batch outlives the attempt
  const storage::NodeBatchRow* row = nullptr;  // read in the transaction, or kept
  bool kept = false;                           // `row` is a kept one (docs/adr/0030)
  bool touched = false;  // an event changes the row besides its params: read, not kept
  bool ready = false;    // it showed it is subscribed: desired state waiting goes out
  std::optional<PendingParams> params;    // loaded by its first params report
  std::optional<json::object> ts_params;  // `{"<Device>.<Param>":"<data_type>"}`
  std::vector<storage::TsPoint> points;   // time-series points to store
};

// The batch's nodes in id order, each once, and in `node_of[i]` the index of event i's
// node. One sort of the events' indices; no id is copied.
void index_nodes(const std::vector<NodeEvent>& batch, std::vector<BatchNode>& nodes,
                 std::vector<std::uint32_t>& node_of) {
  std::vector<std::uint32_t> order(batch.size());
  std::iota(order.begin(), order.end(), 0U);
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return batch[a].node_id < batch[b].node_id; });
  node_of.resize(batch.size());
  for (const std::uint32_t i : order) {
    if (nodes.empty() || nodes.back().id != batch[i].node_id)
      nodes.emplace_back().id = batch[i].node_id;
    node_of[i] = static_cast<std::uint32_t>(nodes.size() - 1);
  }
}

}  // namespace

NodeIngest::NodeIngest(storage::NodeRepository& repository, NodeMessenger& messenger,
                       CommandService& commands, EventPublisher& events, const Clock& clock,
                       MetricsRegistry& metrics, IngestOptions options, ExpectedReports* expected)
    : repository_(repository),
      messenger_(messenger),
      commands_(commands),
      events_(events),
      clock_(clock),
      options_(options),
      batches_(metrics.counter("stratus_ingest_batches_total", "Ingest transactions committed.")),
      committed_(
          metrics.counter("stratus_ingest_events_total", "Node events committed to storage.")),
      interactive_(metrics.counter(
          "stratus_ingest_interactive_total",
          "Params reports answering a set, applied ahead of the bulk queue (docs/adr/0026).")),
      interactive_wait_(metrics.histogram(
          "stratus_ingest_interactive_wait_seconds",
          "Interactive reports (docs/adr/0026): from their arrival until the writer takes them.",
          latency_bounds_seconds())),
      interactive_apply_(metrics.histogram("stratus_ingest_interactive_apply_seconds",
                                           "Interactive reports: from when the writer takes them "
                                           "until their batch is committed and published.",
                                           latency_bounds_seconds())),
      batch_seconds_(metrics.histogram(
          "stratus_ingest_batch_seconds",
          "Ingest batches: from when the writer takes one until it is committed and published.",
          latency_bounds_seconds())),
      batch_cpu_seconds_(
          metrics.histogram("stratus_ingest_batch_cpu_seconds",
                            "The ingest writer thread's CPU time per batch, over the same span.",
                            latency_bounds_seconds())),
      dropped_full_(metrics.counter("stratus_ingest_dropped_total",
                                    "Node events dropped before storage, by reason.",
                                    {{"reason", "queue_full"}})),
      dropped_invalid_(metrics.counter("stratus_ingest_dropped_total",
                                       "Node events dropped before storage, by reason.",
                                       {{"reason", "invalid"}})),
      dropped_too_large_(metrics.counter("stratus_ingest_dropped_total",
                                         "Node events dropped before storage, by reason.",
                                         {{"reason", "params_too_large"}})),
      desired_discarded_(metrics.counter(
          "stratus_desired_discarded_total",
          "Queued sets dropped because their user lost access to the node before delivery.")),
      failed_batches_(metrics.counter("stratus_ingest_failed_batches_total",
                                      "Ingest batches given up on: events the database refused "
                                      "(one node's, after splitting), or any while stopping "
                                      "with the database unavailable.")),
      retried_(metrics.counter("stratus_ingest_retries_total",
                               "Ingest batches written again after the database was unavailable.")),
      split_(metrics.counter("stratus_ingest_split_batches_total",
                             "Failed ingest batches split by node to find the node refused.")),
      ts_points_(metrics.counter("stratus_ts_points_total", "Time-series points stored.")),
      ts_too_old_(metrics.counter("stratus_ts_points_dropped_total",
                                  "Time-series points dropped before storage, by reason.",
                                  {{"reason", "before_2001"}})),
      ts_future_(metrics.counter("stratus_ts_points_dropped_total",
                                 "Time-series points dropped before storage, by reason.",
                                 {{"reason", "future"}})),
      ts_type_(metrics.counter("stratus_ts_points_dropped_total",
                               "Time-series points dropped before storage, by reason.",
                               {{"reason", "type_mismatch"}})),
      depth_(metrics.gauge("stratus_ingest_queue_depth", "Node events waiting for the writer.")),
      row_cache_stale_(metrics.counter(
          "stratus_ingest_row_cache_stale_total",
          "Kept node rows found changed when written; their batch was applied again with them "
          "read (docs/adr/0030).")),
      row_cache_size_(metrics.gauge("stratus_ingest_row_cache_nodes",
                                    "Node rows the ingest writer keeps between batches.")),
      expected_(expected) {}

NodeIngest::~NodeIngest() {
  stop();
}

void NodeIngest::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] {
    core::name_this_thread("ingest-writer");
    if (options_.writer_nice > 0) {
      const int nice = std::min(core::this_thread_nice() + options_.writer_nice, 19);
      if (auto r = core::set_this_thread_nice(nice); !r) {
        log::warn(Channel::service, "ingest writer keeps its CPU priority: {}",
                  r.error().message());
      }
    }
    run();
  });
}

void NodeIngest::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable())
      return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool NodeIngest::submit(NodeEvent event) {
  // Before the queue's lock: `take` costs one atomic load while nothing is expected.
  const bool interactive = expected_ != nullptr &&
                           std::holds_alternative<ParamsReported>(event.body) &&
                           expected_->take(event.node_id);
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.queue_limit) {
      dropped_full_.inc();
      return false;
    }
    const std::uint64_t seq = submitted_++;
    if (interactive) {
      interactive_nodes_.push_back(event.node_id);
      interactive_submitted_.push_back(std::chrono::steady_clock::now());
      interactive_last_ = seq;
    }
    queue_.push_back(Queued{seq, std::move(event)});
    depth_.set(static_cast<std::int64_t>(queue_.size()));
    // Wake the writer only when it waits for this: an idle writer for any report, a
    // filling batch when it is full or an interactive report came. A wake per report
    // would cost a futex call and a context switch per message under load (issue 24
    // profile).
    notify = writer_wait_ == WriterWait::idle || (writer_wait_ == WriterWait::filling &&
                                                  (interactive || queue_.size() >= fill_target_));
  }
  if (notify)
    wake_.notify_one();
  return true;
}

bool NodeIngest::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto target = submitted_;
  wake_.notify_one();
  return drained_.wait_for(lock, timeout, [&] { return oldest_pending() >= target; });
}

std::size_t NodeIngest::room() {
  std::lock_guard lock(mutex_);
  return queue_.size() >= options_.queue_limit ? 0 : options_.queue_limit - queue_.size();
}

std::uint64_t NodeIngest::submitted_mark() {
  std::lock_guard lock(mutex_);
  return submitted_;
}

bool NodeIngest::processed(std::uint64_t mark) {
  std::lock_guard lock(mutex_);
  return oldest_pending() >= mark;
}

std::uint64_t NodeIngest::oldest_pending() const {
  // The queue stays in submission order when interactive reports are taken out of it.
  std::uint64_t oldest = queue_.empty() ? submitted_ : queue_.front().seq;
  if (applying_from_)
    oldest = std::min(oldest, *applying_from_);
  return oldest;
}

std::uint64_t NodeIngest::take_interactive(std::vector<NodeEvent>& batch) {
  std::sort(interactive_nodes_.begin(), interactive_nodes_.end());
  std::uint64_t from = interactive_last_;
  auto kept = queue_.begin();
  auto it = queue_.begin();
  for (; it != queue_.end() && it->seq <= interactive_last_; ++it) {
    if (std::binary_search(interactive_nodes_.begin(), interactive_nodes_.end(),
                           it->event.node_id)) {
      from = std::min(from, it->seq);
      batch.push_back(std::move(it->event));
    } else {
      if (kept != it)
        *kept = std::move(*it);
      ++kept;
    }
  }
  queue_.erase(kept, it);
  interactive_nodes_.clear();
  return from;
}

void NodeIngest::run() {
  std::vector<NodeEvent> batch;
  // When the interactive reports of the batch were submitted (reused: no allocation per batch).
  std::vector<std::chrono::steady_clock::time_point> submitted;
  std::unique_lock lock(mutex_);
  // Adaptive group commit (issue 24): when the writer was idle, a report commits at once;
  // when reports were already waiting as the last batch committed (load), the writer gives
  // the next batch as long to fill as the last batch took to apply, at most `flush_delay`,
  // bounded by batch_max. Under light load a batch applies in well under a millisecond and
  // a report hardly waits; under heavy load the window grows with the batches, which
  // amortizes each commit (`nodes.ingest_flush_ms` = 0 cost 15 % more CPU per update).
  // An interactive report (docs/adr/0026) never waits for a batch to fill, and while one
  // is expected the bulk batches stay short.
  bool loaded = false;
  std::chrono::steady_clock::duration last_apply{};
  while (true) {
    writer_wait_ = WriterWait::idle;
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_)
      break;
    fill_target_ = expected_ != nullptr && expected_->pending()
                       ? std::min(options_.interactive_batch_max, options_.batch_max)
                       : options_.batch_max;
    if (loaded && interactive_nodes_.empty() && queue_.size() < fill_target_ && !stopping_ &&
        options_.flush_delay.count() > 0) {
      writer_wait_ = WriterWait::filling;
      wake_.wait_for(
          lock, std::min<std::chrono::steady_clock::duration>(options_.flush_delay, last_apply),
          [this] {
            return stopping_ || queue_.size() >= fill_target_ || !interactive_nodes_.empty();
          });
    }
    writer_wait_ = WriterWait::busy;
    batch.clear();
    submitted.clear();
    if (!interactive_nodes_.empty()) {
      interactive_.inc(interactive_nodes_.size());
      submitted.swap(interactive_submitted_);
      applying_from_ = take_interactive(batch);
    } else {
      const std::size_t n = std::min(queue_.size(), fill_target_);
      applying_from_ = queue_.front().seq;
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i)
        batch.push_back(std::move(queue_[i].event));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    depth_.set(static_cast<std::int64_t>(queue_.size()));
    lock.unlock();
    using Seconds = std::chrono::duration<double>;
    const auto began = std::chrono::steady_clock::now();
    const double cpu_began = core::this_thread_cpu_seconds();
    for (const auto at : submitted)
      interactive_wait_.observe(Seconds(began - at).count());
    apply(batch);
    last_apply = std::chrono::steady_clock::now() - began;
    const double applied_s = Seconds(last_apply).count();
    batch_seconds_.observe(applied_s);
    batch_cpu_seconds_.observe(core::this_thread_cpu_seconds() - cpu_began);
    for (std::size_t i = 0; i < submitted.size(); ++i)
      interactive_apply_.observe(applied_s);
    lock.lock();
    applying_from_.reset();
    loaded = !queue_.empty();
    drained_.notify_all();
  }
}

// Moves `batch`'s events into two halves by node (each node's events together, in their
// order); false, with `batch` untouched, when it holds one node only.
bool NodeIngest::split_by_node(std::vector<NodeEvent>& batch, std::vector<NodeEvent>& first,
                               std::vector<NodeEvent>& second) {
  std::vector<std::string> nodes;
  nodes.reserve(batch.size());
  for (const auto& e : batch)
    nodes.push_back(e.node_id);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  if (nodes.size() < 2)
    return false;
  nodes.resize(nodes.size() / 2);  // the first half, by id
  for (auto& e : batch) {
    auto& half = std::binary_search(nodes.begin(), nodes.end(), e.node_id) ? first : second;
    half.push_back(std::move(e));
  }
  batch.clear();
  return true;
}

// What one attempt at a batch produced inside its transaction; used once it commits.
struct NodeIngest::BatchWork {
  struct Delivery {
    std::string node_id;
    json::object merged;                    // what is sent
    std::vector<storage::DesiredSet> sets;  // what it was merged from (put back on failure)
  };
  std::vector<Delivery> deliveries;
  std::int64_t discarded = 0;        // queued sets of users without access any more
  std::int64_t reset_cancelled = 0;  // command requests cancelled by node resets
  std::vector<std::string> polled;   // nodes whose pending commands are re-sent
  std::vector<EventDraft> events;    // published once the batch commits
  std::uint64_t points_stored = 0;
  // Dropped before storage (counted once, whatever the attempts).
  std::uint64_t invalid = 0, ts_too_old = 0, ts_future = 0, ts_type = 0, too_large = 0;
  // The row cache (docs/adr/0030): rows written to keep, nodes whose rows changed
  // otherwise (not kept), kept rows found changed when written (the attempt failed).
  std::vector<storage::NodeBatchRow> kept_rows;
  std::vector<std::string> touched;
  std::vector<std::string> stale;
};

void NodeIngest::apply(std::vector<NodeEvent>& batch) {
  // Command answers are stored first (their own transactions; SQLite has one writer, so
  // not inside the batch's). A set-params answer becomes a params delta at its place.
  for (auto& event : batch) {
    auto* answer = std::get_if<CommandAnswered>(&event.body);
    if (answer == nullptr)
      continue;
    if (auto params = commands_.on_response(event.node_id, answer->response))
      event.body = ParamsReported{std::move(*params), false};
  }
  commit(batch);
}

Result<void> NodeIngest::write_batch(std::vector<NodeEvent>& batch, BatchWork& work) {
  const auto now_at =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  // A kept row found changed when written rolls the attempt back; the batch is applied
  // again with those rows read. The last attempt keeps nothing from before, so under the
  // write lock it cannot meet a changed row (docs/adr/0030).
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    work = BatchWork{};
    auto result = repository_.write([&](storage::NodeWriter& w) {
      return apply_in(w, batch, now_at, attempt < kAttempts, work);
    });
    if (result || work.stale.empty() || attempt == kAttempts)
      return result;
    row_cache_stale_.inc(work.stale.size());
    for (const auto& node_id : work.stale)
      row_cache_.erase(node_id);
    row_cache_size_.set(static_cast<std::int64_t>(row_cache_.size()));
  }
}

void NodeIngest::commit(std::vector<NodeEvent>& batch) {
  BatchWork work;
  Result<void> result;
  auto backoff = options_.retry_first;
  for (;;) {
    result = write_batch(batch, work);
    if (result || result.error().code != errc::unavailable)
      break;
    // The database is away (restarting, failing over, out of disk): the batch waits for
    // it instead of being given up. Nothing in it counts as processed meanwhile, so the
    // ingest handoff acknowledges none of it, the queue fills, and the broker plugin
    // holds the rest (docs/adr/0025). Only a stopping writer gives up.
    retried_.inc();
    log::warn(Channel::service, "ingest batch of {} events not written, again in {} ms: {}",
              batch.size(), backoff.count(), result.error().message());
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, backoff, [this] { return stopping_; }))
      break;
    backoff = std::min(backoff * 2, options_.retry_max);
  }
  if (!result) {
    std::vector<NodeEvent> first;
    std::vector<NodeEvent> second;
    if (result.error().code != errc::unavailable && split_by_node(batch, first, second)) {
      // An error another attempt would repeat: some node's events cause it (a value the
      // database refuses). Halves, each node's events together and in order, until the
      // node is found; the other nodes' events are written.
      split_.inc();
      commit(first);
      commit(second);
      return;
    }
    failed_batches_.inc();
    // Not unavailable: one node's events, found by the splits above.
    const bool one_node = result.error().code != errc::unavailable && !batch.empty();
    log::error(Channel::service, "ingest batch of {} events given up{}: {}", batch.size(),
               one_node ? " (node_id=" + batch.front().node_id + ")" : std::string(),
               result.error().message());
    return;
  }
  if (work.invalid > 0)
    dropped_invalid_.inc(work.invalid);
  if (work.ts_too_old > 0)
    ts_too_old_.inc(work.ts_too_old);
  if (work.ts_future > 0)
    ts_future_.inc(work.ts_future);
  if (work.ts_type > 0)
    ts_type_.inc(work.ts_type);
  if (work.too_large > 0)
    dropped_too_large_.inc(work.too_large);
  for (const auto& node_id : work.touched)
    row_cache_.erase(node_id);
  if (row_cache_.size() + work.kept_rows.size() > options_.row_cache_max)
    row_cache_.clear();  // rare (more nodes report than are kept): read them again
  for (auto& row : work.kept_rows) {
    if (row_cache_.size() >= options_.row_cache_max)
      break;
    auto id = row.node_id;
    row_cache_.insert_or_assign(std::move(id), std::move(row));
  }
  row_cache_size_.set(static_cast<std::int64_t>(row_cache_.size()));
  batches_.inc();
  const auto dropped = work.invalid + work.too_large;
  committed_.inc(batch.size() - std::min<std::size_t>(batch.size(), dropped));
  if (work.points_stored > 0)
    ts_points_.inc(work.points_stored);
  events_.publish(std::move(work.events));
  if (work.discarded > 0)
    desired_discarded_.inc(static_cast<std::uint64_t>(work.discarded));
  if (work.reset_cancelled > 0)
    commands_.count_cancelled(work.reset_cancelled);
  for (const auto& d : work.deliveries) {
    if (auto sent = messenger_.publish_params_remote(d.node_id, json::serialize(d.merged)); sent) {
      log::info(Channel::service, "delivered queued params of {} users to node_id={}",
                d.sets.size(), d.node_id);
      continue;
    }
    // Put them back for the next chance rather than lose a user's set; a set queued
    // meanwhile is newer and wins over what is put back.
    log::warn(Channel::service, "queued params for node_id={} not sent: broker unreachable",
              d.node_id);
    auto kept = repository_.write([&](storage::NodeWriter& w) -> Result<void> {
      // Only for users who still have access: one removed meanwhile (its sets went with
      // the relation) must not get them back, to be delivered should it regain access,
      // nor one disabled meanwhile (docs/adr/0036).
      auto users = w.users_of(d.node_id);
      if (!users)
        return fail(users.error());
      for (const auto& set : d.sets) {
        if (std::none_of(users->begin(), users->end(),
                         [&](const auto& u) { return u.first == set.user_id; }))
          continue;
        auto active = w.user_active(set.user_id);
        if (!active)
          return fail(active.error());
        if (!*active)
          continue;
        auto back = parse_object(set.params).value_or(json::object());
        auto newer = w.desired(d.node_id, set.user_id);
        if (!newer)
          return fail(newer.error());
        std::int64_t ms = set.updated_ms;
        if (*newer) {
          if (auto o = parse_object(**newer))
            model::merge_report(back, *o);
          ms = unix_ms(clock_.now());
        }
        if (auto r = w.put_desired(d.node_id, set.user_id, json::serialize(back), ms); !r)
          return r;
      }
      return {};
    });
    if (!kept) {
      log::error(Channel::service, "queued params for node_id={} lost: not sent and not kept: {}",
                 d.node_id, kept.error().message());
    }
  }
  std::sort(work.polled.begin(), work.polled.end());
  work.polled.erase(std::unique(work.polled.begin(), work.polled.end()), work.polled.end());
  for (const auto& node_id : work.polled)
    commands_.on_poll(node_id);
}

Result<void> NodeIngest::apply_in(storage::NodeWriter& w, std::vector<NodeEvent>& batch,
                                  std::int64_t now_at, bool use_cache, BatchWork& work) {
  const std::int64_t latest_point = now_at + options_.ts_future_skew.count();
  MappingMatcher matcher(options_.default_node_quota);
  // The batch's JSON documents (stored params, reports, time-series params) live in one
  // arena released with the batch: no malloc/free per value (issue 24 profile). It holds
  // at most a few times the batch's payload bytes, which the queue already bounds.
  json::monotonic_resource arena(kArenaFirstBlock);
  const json::storage_ptr sp(&arena);
  // Every node of the batch has its row, and its params and time-series params are
  // read, in as few statements as the backend allows (issue 23 item 4): one for a
  // batch of known nodes.
  std::vector<BatchNode> nodes;
  std::vector<std::uint32_t> node_of;
  index_nodes(batch, nodes, node_of);
  // The rows written by the last batches are kept (docs/adr/0030): only the others are
  // read, and a kept row is written only if its version is still the kept one. A node
  // whose row an event of this batch changes besides its params (a config, a presence
  // change, which every instance applies, a mapping report) is read, not taken from
  // what is kept, and not kept after the batch.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& body = batch[i].body;
    if (std::holds_alternative<ConfigReported>(body) ||
        std::holds_alternative<PresenceChanged>(body) ||
        std::holds_alternative<MappingReported>(body)) {
      nodes[node_of[i]].touched = true;
    }
  }
  std::vector<std::string> to_read;
  for (auto& node : nodes) {
    if (node.touched)
      work.touched.emplace_back(node.id);
    const auto kept = use_cache && !node.touched ? row_cache_.find(node.id) : row_cache_.end();
    if (kept != row_cache_.end()) {
      node.row = &kept->second;
      node.kept = true;
    } else {
      to_read.emplace_back(node.id);
    }
  }
  std::vector<storage::NodeBatchRow> rows;
  if (!to_read.empty()) {
    auto read = w.ensure_and_read(to_read, now_at);
    if (!read)
      return fail(read.error());
    rows = std::move(*read);
  }
  const auto node_named = [&](std::string_view id) -> BatchNode* {
    auto it = std::lower_bound(nodes.begin(), nodes.end(), id,
                               [](const BatchNode& n, std::string_view v) { return n.id < v; });
    return it != nodes.end() && it->id == id ? &*it : nullptr;
  };
  for (const auto& row : rows) {
    if (auto* node = node_named(row.node_id)) {
      node->row = &row;
      node->kept = false;
    }
  }
  const auto keep = [&](BatchNode& node, storage::TsPoint p) {
    if (p.ts < kEarliestPointS) {
      ++work.ts_too_old;
    } else if (p.ts > latest_point) {
      ++work.ts_future;
    } else {
      node.points.push_back(std::move(p));
    }
  };
  // Each node's `time_series` params: read once per batch, replaced by a config in it.
  const auto time_series_of = [&](BatchNode& node) -> Result<const json::object*> {
    if (!node.ts_params) {
      std::string text;
      if (node.row != nullptr) {
        text = node.row->time_series_params;
      } else if (auto read = w.time_series_params(node.id); read) {
        text = std::move(*read);
      } else {
        return fail(read.error());
      }
      node.ts_params = parse_object(text, sp).value_or(json::object(sp));
    }
    return &*node.ts_params;
  };
  // Every value of `report` whose param is marked `time_series`, stamped `ts`.
  const auto params_points = [&](BatchNode& node, const json::object& report,
                                 std::int64_t ts) -> Result<void> {
    auto marked = time_series_of(node);
    if (!marked)
      return fail(marked.error());
    if ((*marked)->empty())
      return {};
    for (const auto& [device, values] : report) {
      if (!values.is_object())
        continue;
      for (const auto& [param, value] : values.get_object()) {
        std::string name = std::string(device) + "." + std::string(param);
        const auto* type = (*marked)->if_contains(name);
        if (type == nullptr || !type->is_string())
          continue;
        const std::string data_type(type->get_string());
        if (!proto::ts_value_matches(data_type, value)) {
          ++work.ts_type;
          continue;
        }
        keep(node, make_point(std::move(name), data_type, ts, value, "params"));
      }
    }
    return {};
  };
  const auto load = [&](BatchNode& node) -> Result<PendingParams*> {
    if (node.params)
      return &*node.params;
    std::optional<std::string> text;
    if (node.row != nullptr) {
      text = node.row->params;
    } else if (auto read = w.params(node.id); read) {
      text = std::move(*read);
    } else {
      return fail(read.error());
    }
    auto& p = node.params.emplace(PendingParams{json::object(sp)});
    if (text) {
      if (auto o = parse_object(*text, sp)) {
        p.state = std::move(*o);
        p.size_bound = text->size();
      }
    }
    return &p;
  };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& event = batch[i];
    BatchNode& node = nodes[node_of[i]];
    Result<void> step{};
    std::visit(
        [&](auto& body) {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, ConfigReported>) {
            auto index = index_config(body.config_json);
            node.ts_params = parse_object(index.time_series_params, sp).value_or(json::object(sp));
            step = w.put_config(event.node_id, body.config_json, index, now_at);
            work.events.push_back({EventKind::config,
                                   event.node_id,
                                   {},
                                   event.received_ms,
                                   wrap("config", body.config_json)});
          } else if constexpr (std::is_same_v<T, ParamsReported>) {
            auto report = parse_object(body.params_json, sp);
            if (!report) {
              ++work.invalid;
              return;
            }
            auto pending = load(node);
            if (!pending) {
              step = fail(pending.error());
              return;
            }
            auto& params = **pending;
            // Near the bound, the merged document is measured and kept only if it fits.
            std::optional<json::object> measured;
            std::size_t init_size = body.params_json.size();
            if (body.init) {
              // Serialized again, a number may come out longer than it came in.
              if (2 * init_size > kMaxParamsDocumentBytes)
                init_size = json::serialize(*report).size();
              if (init_size > kMaxParamsDocumentBytes) {
                ++work.too_large;
                return;
              }
            } else if (params.size_bound + 2 * body.params_json.size() > kMaxParamsDocumentBytes) {
              measured.emplace(params.state, sp);
              model::merge_report(*measured, *report);
              const auto size = json::serialize(*measured).size();
              // A document already over the bound (stored before there was one) still
              // takes reports that do not make it larger.
              if (size > kMaxParamsDocumentBytes && size > json::serialize(params.state).size()) {
                ++work.too_large;
                log::warn(Channel::service,
                          "params report of node_id={} dropped: the node's params would be "
                          "{} bytes, over {}",
                          event.node_id, size, kMaxParamsDocumentBytes);
                return;
              }
              params.size_bound = size;
            }
            step = params_points(node, *report, event.received_ms / 1000);
            if (!step)
              return;
            if (body.init) {
              params.state = std::move(*report);
              params.size_bound = 2 * init_size;
            } else if (measured) {
              params.state = std::move(*measured);
            } else {
              model::merge_report(params.state, *report);
              params.size_bound += 2 * body.params_json.size();
            }
            (*pending)->ms = event.received_ms;
            (*pending)->dirty = true;
            node.ready = true;
            work.events.push_back({EventKind::params,
                                   event.node_id,
                                   {},
                                   event.received_ms,
                                   wrap("payload", body.params_json, body.init)});
          } else if constexpr (std::is_same_v<T, PresenceChanged>) {
            auto changed = w.set_connectivity(event.node_id, body.connected, body.timestamp_ms);
            if (!changed) {
              step = fail(changed.error());
            } else if (*changed) {
              work.events.push_back(
                  {EventKind::connectivity,
                   event.node_id,
                   {},
                   body.timestamp_ms,
                   json::serialize(json::object{{"connected", body.connected},
                                                {"timestamp", body.timestamp_ms}})});
            }
          } else if constexpr (std::is_same_v<T, AlertRaised>) {
            auto alert_id = w.add_alert(event.node_id, body.payload, event.received_ms);
            if (!alert_id) {
              step = fail(alert_id.error());
              return;
            }
            work.events.push_back({EventKind::alert,
                                   event.node_id,
                                   {},
                                   event.received_ms,
                                   "{\"alert_id\":" + std::to_string(*alert_id) +
                                       ",\"payload\":" + body.payload + "}"});
          } else if constexpr (std::is_same_v<T, MappingReported>) {
            auto before = w.users_of(event.node_id);
            if (!before) {
              step = fail(before.error());
              return;
            }
            auto removed = matcher.on_node_report(w, event.node_id, body, now_at);
            if (!removed) {
              step = fail(removed.error());
              return;
            }
            auto after = w.users_of(event.node_id);
            if (!after) {
              step = fail(after.error());
              return;
            }
            auto changes = access_change_events(event.node_id, *before, *after, event.received_ms);
            std::move(changes.begin(), changes.end(), std::back_inserter(work.events));
            work.discarded += removed->desired_discarded;
            work.reset_cancelled += removed->commands_cancelled;
          } else if constexpr (std::is_same_v<T, TimeSeriesReported>) {
            const std::string_view source = body.simple ? "simple" : "tsdata";
            for (const auto& r : body.records)
              keep(node, make_point(r.name, r.data_type, r.t, r.value, source));
          } else if constexpr (std::is_same_v<T, ParamsSubscribed>) {
            node.ready = true;
          } else if constexpr (std::is_same_v<T, NodeReady>) {
            node.ready = true;
            work.polled.push_back(event.node_id);
          }
        },
        event.body);
    if (!step)
      return step;
  }
  std::vector<storage::ParamsWrite> writes;
  std::vector<const BatchNode*> written_from;  // writes[i] is of written_from[i]
  for (const auto& node : nodes) {
    if (!node.params || !node.params->dirty)
      continue;
    // A row read in this transaction needs no check: the write lock is held.
    writes.push_back({std::string(node.id), json::serialize(node.params->state), node.params->ms,
                      node.kept ? node.row->version : std::string()});
    written_from.push_back(&node);
  }
  auto written = w.put_params_many(writes);
  if (!written)
    return fail(written.error());
  // A write missing from the answer found its row changed since it was kept (another
  // instance's presence update, an operator's edit): the batch is applied again with
  // those rows read (see `apply`).
  if (written->size() < writes.size()) {
    std::vector<std::string_view> done;
    done.reserve(written->size());
    for (const auto& row : *written)
      done.push_back(row.node_id);
    std::sort(done.begin(), done.end());
    for (const auto& write : writes) {
      if (!write.expected_version.empty() &&
          !std::binary_search(done.begin(), done.end(), std::string_view(write.node_id))) {
        work.stale.push_back(write.node_id);
      }
    }
    if (!work.stale.empty())
      return fail(errc::conflict, std::to_string(work.stale.size()) + " kept rows changed");
  }
  // What to keep: every row written that no other event of the batch changed, with the
  // document written and the version the write gave it. One statement wrote them all in
  // this transaction, so they share that version (the transaction's id); when the answer
  // does not say so (a row gone, never seen here), nothing is kept from this batch.
  if (const auto version = storage::common_version(*written, writes.size())) {
    for (std::size_t i = 0; i < writes.size(); ++i) {
      const BatchNode& from = *written_from[i];
      if (from.row == nullptr || from.touched)
        continue;
      work.kept_rows.push_back({std::move(writes[i].node_id), std::move(writes[i].json),
                                from.row->time_series_params, std::string(*version)});
    }
  }
  work.points_stored = 0;
  std::vector<storage::NodePoints> node_points;
  std::vector<std::string> ready;  // nodes to deliver to, in id order
  for (const auto& node : nodes) {
    if (!node.points.empty()) {
      node_points.push_back({node.id, node.points});
      work.points_stored += node.points.size();
    }
    if (node.ready)
      ready.emplace_back(node.id);
  }
  if (auto r = w.add_points(node_points); !r)
    return r;
  // Desired state waiting for nodes that have shown they are subscribed: only the
  // sets of users who still have access are delivered (issue 13: queued work
  // re-checks its requester when it is delivered).
  auto waiting = w.with_desired(ready);
  if (!waiting)
    return fail(waiting.error());
  for (const auto& node_id : *waiting) {
    auto sets = w.take_desired(node_id);
    if (!sets)
      return fail(sets.error());
    if (sets->empty())
      continue;
    BatchWork::Delivery delivery{node_id, {}, {}};
    for (auto& set : *sets) {
      if (!set.has_access) {
        ++work.discarded;
        log::info(Channel::service,
                  "queued params of user_id={} for node_id={} discarded: no access any more",
                  set.user_id, node_id);
        continue;
      }
      if (auto o = parse_object(set.params))
        model::merge_report(delivery.merged, *o);
      delivery.sets.push_back(std::move(set));
    }
    if (!delivery.sets.empty())
      work.deliveries.push_back(std::move(delivery));
  }
  return {};
}

}  // namespace stratus::service
