#include "service/webhook_service.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "auth/secrets.hpp"
#include "core/random.hpp"
#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/events.hpp"

namespace stratus::service {
namespace {

namespace rest = proto::rest;
using log::Channel;

constexpr std::size_t kMinSecret = 16;
constexpr std::size_t kMaxSecret = 256;
constexpr std::size_t kMaxNodes = 100;
constexpr std::size_t kMaxUrl = 2048;
// The delivery thread's longest sleep: how soon it notices a delivery due later, or
// that this instance became the leader.
constexpr std::chrono::milliseconds kIdleWait{1000};

std::string_view type_of(const Event& e) {
  return rest::to_string(e.kind);
}

}  // namespace

WebhookService::WebhookService(storage::WebhookRepository& webhooks, storage::NodeRepository& nodes,
                               EventHub& hub, WebhookSender& sender, const Clock& clock,
                               MetricsRegistry& metrics, WebhookOptions options)
    : webhooks_(webhooks),
      nodes_(nodes),
      hub_(hub),
      sender_(sender),
      clock_(clock),
      options_(options),
      delivered_(metrics.counter("stratus_webhook_deliveries_total",
                                 "Webhook deliveries by outcome.", {{"outcome", "delivered"}})),
      failed_(metrics.counter("stratus_webhook_deliveries_total", "Webhook deliveries by outcome.",
                              {{"outcome", "failed"}})),
      discarded_(metrics.counter("stratus_webhook_deliveries_total",
                                 "Webhook deliveries by outcome.", {{"outcome", "discarded"}})),
      dropped_(metrics.counter("stratus_webhook_deliveries_total", "Webhook deliveries by outcome.",
                               {{"outcome", "dropped"}})) {}

WebhookService::~WebhookService() {
  stop();
}

Result<void> WebhookService::start() {
  auto enabled = webhooks_.enabled();
  if (!enabled)
    return fail(enabled.error());
  for (const auto& w : *enabled)
    subscribe(w);
  std::lock_guard lock(mutex_);
  if (thread_.joinable())
    return {};
  stopping_ = false;
  thread_ = std::thread([this] {
    core::name_this_thread("webhooks");
    run();
  });
  return {};
}

void WebhookService::stop() {
  std::map<std::string, std::unique_ptr<EventHub::Subscription>> gone;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    gone.swap(subscriptions_);
  }
  gone.clear();  // outside our lock: ending a subscription takes the hub's
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
  write_staged();
}

void WebhookService::subscribe(const storage::WebhookRecord& w) {
  rest::EventFilter filter;
  filter.node_ids = w.node_ids;
  filter.kinds = w.kinds;
  // The sink runs on the hub's dispatcher: it only stages (the outbox write is ours).
  auto sink = [this, id = w.webhook_id](const EventPtr& e) {
    if (e->id == 0)
      return true;  // ready / resync: nothing to deliver
    {
      std::lock_guard lock(mutex_);
      if (staged_.size() >= options_.staging_limit) {
        dropped_.inc();
        return true;  // a webhook is never cut off; the drop is counted
      }
      staged_.push_back(storage::WebhookDelivery{0, id, e->id, std::string(type_of(*e)), e->node_id,
                                                 e->text, 0, 0});
    }
    wake_.notify_one();
    return true;
  };
  // A consumer: each instance of a cluster stages the deliveries of the events it
  // committed, so relayed events are not given (else every instance would deliver each).
  auto subscription = hub_.subscribe(w.user_id, std::move(filter), std::move(sink),
                                     service::SubscribeOptions{.consumer = true});
  if (!subscription) {
    log::warn(Channel::service, "webhook_id={} not subscribed: {}", w.webhook_id,
              subscription.error().message());
    return;
  }
  std::unique_ptr<EventHub::Subscription> replaced;
  std::lock_guard lock(mutex_);
  replaced = std::exchange(subscriptions_[w.webhook_id], std::move(*subscription));
  owners_[w.webhook_id] = w.user_id;
}  // `lock` is released before `replaced` ends: ending a subscription takes the hub's lock,
   // and the hub's dispatcher holds that lock while a sink takes ours

void WebhookService::unsubscribe(const std::string& webhook_id) {
  std::unique_ptr<EventHub::Subscription> gone;
  std::lock_guard lock(mutex_);
  if (auto it = subscriptions_.find(webhook_id); it != subscriptions_.end()) {
    gone = std::move(it->second);
    subscriptions_.erase(it);
  }
  owners_.erase(webhook_id);
}  // `lock` is released before `gone` ends: ending a subscription takes the hub's lock

Result<storage::WebhookRecord> WebhookService::add(const Principal& who, const NewWebhook& w) {
  if (w.url.empty() || w.url.size() > kMaxUrl) {
    return fail(errc::invalid_argument, rest::event_error::webhook_url_invalid,
                "url must be an absolute http(s) URL of at most 2048 bytes");
  }
  if (w.secret.size() < kMinSecret || w.secret.size() > kMaxSecret) {
    return fail(errc::invalid_argument, rest::event_error::webhook_secret_invalid,
                "secret must be 16 to 256 bytes");
  }
  if (w.events.empty()) {
    return fail(errc::invalid_argument, rest::event_error::webhook_events_invalid,
                "events must name at least one event type");
  }
  std::uint32_t kinds = 0;
  for (const auto& name : w.events) {
    auto kind = rest::parse_event_kind(name);
    if (!kind) {
      return fail(errc::invalid_argument, rest::event_error::webhook_events_invalid,
                  "unknown event type '" + name + "'");
    }
    kinds |= 1u << static_cast<unsigned>(*kind);
  }
  if (w.node_ids.size() > kMaxNodes) {
    return fail(errc::invalid_argument, rest::request_error::invalid_request_body,
                "at most 100 node ids");
  }
  for (const auto& node_id : w.node_ids) {
    if (auto node = nodes_.get_user_node(who.user_id, node_id); !node) {
      if (node.error().code == errc::not_found) {
        return fail(errc::not_found, rest::node_error::node_not_found,
                    "node not found: " + node_id);
      }
      return fail(node.error());
    }
  }
  auto count = webhooks_.count(who.user_id);
  if (!count)
    return fail(count.error());
  if (static_cast<std::size_t>(*count) >= options_.max_per_user) {
    return fail(errc::invalid_argument, rest::event_error::too_many_webhooks,
                "you have " + std::to_string(*count) + " webhooks already (the limit)");
  }
  if (auto ok = sender_.check_url(w.url); !ok)
    return fail(ok.error());
  storage::WebhookRecord record;
  record.webhook_id = random_alnum(20);
  record.user_id = who.user_id;
  record.url = w.url;
  record.kinds = kinds;
  record.node_ids = w.node_ids;
  record.secret = w.secret;
  record.created_ms = unix_ms(clock_.now());
  if (auto r = webhooks_.create(record); !r)
    return fail(r.error());
  subscribe(record);
  if (options_.notices != nullptr)
    options_.notices->changed(Cached::webhook, record.webhook_id);
  log::info(Channel::service, "webhook_id={} added by user_id={}", record.webhook_id, who.user_id);
  return record;
}

Result<std::vector<storage::WebhookRecord>> WebhookService::list(const Principal& who) {
  return webhooks_.list(who.user_id);
}

Result<void> WebhookService::remove(const Principal& who, std::string_view webhook_id) {
  auto removed = webhooks_.remove(who.user_id, webhook_id);
  if (!removed)
    return fail(removed.error());
  if (!*removed) {
    return fail(errc::not_found, rest::event_error::webhook_not_found,
                "no such webhook: " + std::string(webhook_id));
  }
  unsubscribe(std::string(webhook_id));
  if (options_.notices != nullptr)
    options_.notices->changed(Cached::webhook, webhook_id);
  return {};
}

Result<void> WebhookService::reload(std::string_view webhook_id) {
  auto record = webhooks_.get(webhook_id);
  if (!record)
    return fail(record.error());
  unsubscribe(std::string(webhook_id));
  if (*record && (*record)->enabled)
    subscribe(**record);
  return {};
}

bool WebhookService::drain(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    {
      std::lock_guard lock(mutex_);
      if (staged_.empty() && idle_)
        return true;
    }
    wake_.notify_one();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::chrono::milliseconds WebhookService::backoff(std::int64_t attempts) const {
  auto delay = options_.retry_min;
  for (std::int64_t i = 1; i < attempts && delay < options_.retry_max; ++i)
    delay *= 2;
  return std::min(delay, options_.retry_max);
}

void WebhookService::write_staged() {
  std::vector<storage::WebhookDelivery> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(staged_);
  }
  if (batch.empty())
    return;
  const auto now = unix_ms(clock_.now());
  for (auto& d : batch)
    d.next_attempt_ms = now;
  if (auto r = webhooks_.enqueue(batch); !r) {
    dropped_.inc(batch.size());
    log::error(Channel::service, "{} webhook deliveries lost: the outbox is not writable: {}",
               batch.size(), r.error().message());
  }
}

void WebhookService::deliver_due() {
  const auto now = unix_ms(clock_.now());
  auto due = webhooks_.due(now, options_.batch);
  if (!due) {
    log::warn(Channel::service, "webhook outbox not readable: {}", due.error().message());
    return;
  }
  std::map<std::string, storage::WebhookRecord> cache;
  // Webhooks whose delivery failed in this round: their other deliveries wait for the
  // retry (the repository postponed them), so an outage costs one failure per backoff.
  std::set<std::string, std::less<>> held;
  for (const auto& d : *due) {
    // A round (up to `batch` POSTs of up to the send timeout each) can outlast the
    // leader lease; the new leader reads these same rows, so a deposed one stops here
    // rather than send them twice (ADR 0021). `is_leader` is an atomic read.
    if (options_.leadership != nullptr && !options_.leadership->is_leader())
      return;
    if (held.contains(d.webhook_id))
      continue;
    auto found = cache.find(d.webhook_id);
    if (found == cache.end()) {
      auto w = webhooks_.get(d.webhook_id);
      if (!w || !*w || !(*w)->enabled)
        continue;
      found = cache.emplace(d.webhook_id, std::move(**w)).first;
    }
    auto& w = found->second;
    if (!w.enabled)
      continue;
    // Queued work re-checks its requester (issue 13): the owner must not be disabled and
    // must still see the node.
    if (!w.owner_active) {
      discarded_.inc();
      (void)webhooks_.discard(d.delivery_id);
      continue;
    }
    if (!d.node_id.empty()) {
      auto access = nodes_.get_user_node(w.user_id, d.node_id);
      if (!access && access.error().code == errc::not_found) {
        discarded_.inc();
        (void)webhooks_.discard(d.delivery_id);
        continue;
      }
      if (!access)
        return;  // storage trouble: try again next round
    }
    const auto timestamp = std::to_string(now / 1000);
    const std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"},
        {"User-Agent", "stratus-webhooks"},
        {"X-Stratus-Event", d.event_type},
        {"X-Stratus-Delivery", std::to_string(d.delivery_id)},
        {"X-Stratus-Timestamp", timestamp},
        {"X-Stratus-Signature",
         "sha256=" + auth::hmac_sha256_hex(w.secret, timestamp + "." + d.body)}};
    auto status = sender_.post(w.url, d.body, headers);
    if (status && *status >= 200 && *status < 300) {
      delivered_.inc();
      if (auto r = webhooks_.delivered(d.delivery_id, w.webhook_id, unix_ms(clock_.now())); !r)
        log::warn(Channel::service, "webhook delivery not marked: {}", r.error().message());
      continue;
    }
    failed_.inc();
    const std::string error = status ? "HTTP " + std::to_string(*status) : status.error().context;
    // The wait grows with the webhook's failures in a row, not the delivery's attempts:
    // a delivery that waited behind another's failures is no first try for the receiver.
    const auto retry_at =
        unix_ms(clock_.now()) + backoff(std::max(d.attempts, w.failures) + 1).count();
    held.insert(w.webhook_id);
    ++w.failures;
    auto disabled =
        webhooks_.failed(d.delivery_id, w.webhook_id, error, retry_at, options_.max_failures);
    log::info(Channel::service, "webhook_id={} delivery {} failed ({}), attempt {}", w.webhook_id,
              d.delivery_id, error, d.attempts + 1);
    if (disabled && *disabled) {
      log::warn(Channel::service, "webhook_id={} disabled after {} failures in a row", w.webhook_id,
                options_.max_failures);
      found->second.enabled = false;
      unsubscribe(w.webhook_id);
      if (options_.notices != nullptr)
        options_.notices->changed(Cached::webhook, w.webhook_id);
    }
  }
}

void WebhookService::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    idle_ = false;
    lock.unlock();
    write_staged();
    const bool leader = options_.leadership == nullptr || options_.leadership->is_leader();
    if (leader)
      deliver_due();
    // Only the leader empties the outbox: to a follower what is due stays due, so it
    // would query next_due every 10 ms; it sleeps the idle wait and asks again instead.
    auto next = leader ? webhooks_.next_due() : Result<std::optional<std::int64_t>>{std::nullopt};
    lock.lock();
    const auto now = unix_ms(clock_.now());
    std::chrono::milliseconds wait = kIdleWait;
    if (next && *next) {
      wait = std::clamp(std::chrono::milliseconds(**next - now), std::chrono::milliseconds(10),
                        kIdleWait);
    }
    if (!staged_.empty())
      continue;
    idle_ = true;
    wake_.wait_for(lock, wait, [this] { return stopping_ || !staged_.empty(); });
  }
}

}  // namespace stratus::service
