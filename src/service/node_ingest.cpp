#include "service/node_ingest.hpp"

#include <boost/json.hpp>
#include <map>
#include <optional>

#include "log/log.hpp"
#include "model/node_config.hpp"
#include "model/params.hpp"
#include "service/command_service.hpp"
#include "service/node_mapping.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
using log::Channel;

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  return std::move(v.as_object());
}

storage::NodeInfoIndex index_config(std::string_view config_json) {
  auto config = model::parse_node_config(config_json);
  if (!config)
    return {};
  const auto& i = config->info;
  return {i.name, i.type, i.model, i.fw_version, i.platform, config->supports_cmd_resp()};
}

// One node's params document while a batch is applied: read once, written once.
struct PendingParams {
  json::object state;
  std::int64_t ms = 0;
  bool dirty = false;
};

}  // namespace

NodeIngest::NodeIngest(storage::NodeRepository& repository, NodeMessenger& messenger,
                       const Clock& clock, MetricsRegistry& metrics, IngestOptions options)
    : repository_(repository),
      messenger_(messenger),
      clock_(clock),
      options_(options),
      metrics_(metrics),
      batches_(metrics.counter("stratus_ingest_batches_total", "Ingest transactions committed.")),
      committed_(
          metrics.counter("stratus_ingest_events_total", "Node events committed to storage.")),
      dropped_full_(metrics.counter("stratus_ingest_dropped_total",
                                    "Node events dropped before storage, by reason.",
                                    {{"reason", "queue_full"}})),
      dropped_invalid_(metrics.counter("stratus_ingest_dropped_total",
                                       "Node events dropped before storage, by reason.",
                                       {{"reason", "invalid"}})),
      failed_batches_(metrics.counter("stratus_ingest_failed_batches_total",
                                      "Ingest transactions that failed and were rolled back.")),
      depth_(metrics.gauge("stratus_ingest_queue_depth", "Node events waiting for the writer.")) {}

NodeIngest::~NodeIngest() {
  stop();
}

void NodeIngest::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable())
    return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
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
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.queue_limit) {
      dropped_full_.inc();
      return false;
    }
    queue_.push_back(std::move(event));
    ++submitted_;
    depth_.set(static_cast<std::int64_t>(queue_.size()));
  }
  wake_.notify_one();
  return true;
}

bool NodeIngest::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto target = submitted_;
  wake_.notify_one();
  return drained_.wait_for(lock, timeout, [&] { return applied_ >= target; });
}

void NodeIngest::run() {
  std::vector<NodeEvent> batch;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_)
      break;
    // Group commit: give a burst a moment to accumulate, bounded by batch_max.
    if (queue_.size() < options_.batch_max && !stopping_ && options_.flush_delay.count() > 0) {
      wake_.wait_for(lock, options_.flush_delay,
                     [this] { return stopping_ || queue_.size() >= options_.batch_max; });
    }
    const std::size_t n = std::min(queue_.size(), options_.batch_max);
    batch.assign(std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    depth_.set(static_cast<std::int64_t>(queue_.size()));
    lock.unlock();
    apply(batch);
    lock.lock();
    applied_ += n;
    drained_.notify_all();
  }
}

void NodeIngest::apply(std::vector<NodeEvent>& batch) {
  const auto now_at =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  std::vector<std::pair<std::string, std::string>> deliveries;  // node_id, desired params
  std::vector<std::string> ready;                               // nodes to deliver to
  std::vector<std::string> polled;  // nodes whose pending commands are re-sent
  MappingMatcher matcher(options_.mapping_timeout);
  // Command answers are stored first (their own transactions; SQLite has one writer, so
  // not inside the batch's). A set-params answer becomes a params delta at its place.
  for (auto& event : batch) {
    auto* answer = std::get_if<CommandAnswered>(&event.body);
    if (answer == nullptr || commands_ == nullptr)
      continue;
    if (auto params = commands_->on_response(event.node_id, answer->response))
      event.body = ParamsReported{std::move(*params), false};
  }
  const auto result = repository_.write([&](storage::NodeWriter& w) -> Result<void> {
    std::map<std::string, PendingParams, std::less<>> params;
    const auto load = [&](const std::string& node_id) -> Result<PendingParams*> {
      auto it = params.find(node_id);
      if (it != params.end())
        return &it->second;
      auto stored = w.params(node_id);
      if (!stored)
        return fail(stored.error());
      PendingParams p;
      if (*stored) {
        if (auto o = parse_object(**stored))
          p.state = std::move(*o);
      }
      return &params.emplace(node_id, std::move(p)).first->second;
    };
    for (auto& event : batch) {
      if (auto r = w.ensure_node(event.node_id, now_at); !r)
        return r;
      Result<void> step{};
      std::visit(
          [&](auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, ConfigReported>) {
              step = w.put_config(event.node_id, body.config_json, index_config(body.config_json),
                                  now_at);
            } else if constexpr (std::is_same_v<T, ParamsReported>) {
              auto report = parse_object(body.params_json);
              if (!report) {
                dropped_invalid_.inc();
                return;
              }
              auto pending = load(event.node_id);
              if (!pending) {
                step = fail(pending.error());
                return;
              }
              if (body.init) {
                (*pending)->state = std::move(*report);
              } else {
                model::merge_report((*pending)->state, *report);
              }
              (*pending)->ms = event.received_ms;
              (*pending)->dirty = true;
              ready.push_back(event.node_id);
            } else if constexpr (std::is_same_v<T, PresenceChanged>) {
              auto changed = w.set_connectivity(event.node_id, body.connected, body.timestamp_ms);
              if (!changed)
                step = fail(changed.error());
            } else if constexpr (std::is_same_v<T, AlertRaised>) {
              step = w.add_alert(event.node_id, body.payload, event.received_ms);
            } else if constexpr (std::is_same_v<T, MappingReported>) {
              step = matcher.on_node_report(w, event.node_id, body, now_at);
            } else if constexpr (std::is_same_v<T, NodeReady>) {
              ready.push_back(event.node_id);
              polled.push_back(event.node_id);
            }
          },
          event.body);
      if (!step)
        return step;
    }
    for (auto& [node_id, p] : params) {
      if (!p.dirty)
        continue;
      if (auto r = w.put_params(node_id, json::serialize(p.state), p.ms); !r)
        return r;
    }
    // Desired state waiting for nodes that have shown they are subscribed.
    std::sort(ready.begin(), ready.end());
    ready.erase(std::unique(ready.begin(), ready.end()), ready.end());
    for (const auto& node_id : ready) {
      auto desired = w.desired(node_id);
      if (!desired)
        return fail(desired.error());
      if (!*desired)
        continue;
      if (auto r = w.put_desired(node_id, std::nullopt, 0); !r)
        return r;
      deliveries.emplace_back(node_id, std::move(**desired));
    }
    return {};
  });
  if (!result) {
    failed_batches_.inc();
    log::error(Channel::service, "ingest batch of {} events failed: {}", batch.size(),
               result.error().message());
    return;
  }
  batches_.inc();
  committed_.inc(batch.size());
  for (const auto& [node_id, payload] : deliveries) {
    if (auto sent = messenger_.publish_params_remote(node_id, payload); !sent) {
      // Put it back for the next chance rather than lose a user's set.
      log::warn(Channel::service, "desired state for node_id={} not sent: {}", node_id,
                sent.error().message());
      (void)repository_.write([&](storage::NodeWriter& w) -> Result<void> {
        return w.put_desired(node_id, payload, unix_ms(clock_.now()));
      });
    } else {
      log::info(Channel::service, "delivered queued params to node_id={}", node_id);
    }
  }
  if (commands_ != nullptr) {
    std::sort(polled.begin(), polled.end());
    polled.erase(std::unique(polled.begin(), polled.end()), polled.end());
    for (const auto& node_id : polled)
      commands_->on_poll(node_id);
  }
}

}  // namespace stratus::service
