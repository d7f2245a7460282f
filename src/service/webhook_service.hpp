#pragma once
/// @file
/// Webhooks (issue 15, docs/adr/0010, docs/api.md "Webhooks"): a user registers a URL
/// for some event types; every such event the user may see is written to a durable
/// outbox and POSTed, signed, with retries and exponential backoff, until the receiver
/// answers 2xx — or the webhook is disabled after too many failures in a row.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "proto/rest/events.hpp"
#include "service/account_service.hpp"
#include "service/cluster.hpp"
#include "service/event_hub.hpp"
#include "storage/node_repository.hpp"
#include "storage/webhook_repository.hpp"

namespace stratus::service {

/// Sends webhook requests (implemented over libcurl in src/server). Thread-safe; calls
/// block (DNS, the network).
class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  /// Whether `url` may receive webhooks: an absolute http(s) URL whose host resolves, to
  /// no loopback, link-local, private or unspecified address unless the operator allows
  /// them. Errors: invalid_argument with `event_error::webhook_url_invalid` or
  /// `event_error::webhook_url_forbidden`.
  virtual Result<void> check_url(std::string_view url) = 0;
  /// POSTs `body` to `url` with `headers` (the destination is checked again, and pinned,
  /// at each send). Returns the HTTP status, whatever it is. Errors: unavailable (no
  /// connection, timeout, TLS) or invalid_argument (the destination became forbidden),
  /// with the cause in the text.
  virtual Result<int> post(std::string_view url, std::string_view body,
                           const std::vector<std::pair<std::string, std::string>>& headers) = 0;
};

/// Limits and pacing (config section `webhooks`).
struct WebhookOptions {
  std::size_t max_per_user = 10;
  std::int64_t max_failures = 10;                ///< consecutive failed deliveries before disabling
  std::chrono::milliseconds retry_min{10000};    ///< backoff after the first failure
  std::chrono::milliseconds retry_max{3600000};  ///< backoff cap
  std::size_t staging_limit = 100000;            ///< events waiting to be written to the outbox
  std::size_t batch = 50;                        ///< deliveries attempted per round
  /// Who delivers (docs/adr/0021): every instance writes its events' deliveries to the
  /// outbox, only the leader sends them, asking before each one (a round stops when the
  /// lease is lost); a follower reads the outbox no more than once per idle wait (1 s).
  /// Null: a sole instance, always.
  const Leadership* leadership = nullptr;
  /// Told when a webhook is added, removed or disabled, so that the other instances of
  /// a cluster subscribe it or end its subscription; null: a sole instance.
  ChangeNotices* notices = nullptr;
};

/// What `POST /v1/user/webhooks` asks for.
using NewWebhook = proto::rest::WebhookRequest;

/// Thread-safe. `add`/`list`/`remove` block (database, DNS): call them from the blocking
/// pool. Metrics: `stratus_webhook_deliveries_total{outcome}` (`delivered`, `failed`,
/// `discarded`: the owner lost access before delivery, `dropped`: the outbox writer fell
/// behind), gauge `stratus_webhooks_enabled`.
class WebhookService {
 public:
  /// Every reference must outlive the service.
  WebhookService(storage::WebhookRepository& webhooks, storage::NodeRepository& nodes,
                 EventHub& hub, WebhookSender& sender, const Clock& clock, MetricsRegistry& metrics,
                 WebhookOptions options);
  ~WebhookService();
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  /// Subscribes every enabled webhook and starts the delivery thread, which also sends
  /// what the outbox kept across a restart. Errors: storage.
  Result<void> start();
  /// Writes what is staged to the outbox and stops the thread. Idempotent.
  void stop();

  /// Registers a webhook for the caller. Errors (invalid_argument): `url` invalid or
  /// forbidden (the sender's check), `events` empty or unknown
  /// (`event_error::webhook_events_invalid`), `secret` not 16–256 bytes
  /// (`event_error::webhook_secret_invalid`), too many (`event_error::too_many_webhooks`);
  /// not_found (`node_error::node_not_found`) for a node id the caller cannot see.
  Result<storage::WebhookRecord> add(const Principal& who, const NewWebhook& webhook);
  /// The caller's webhooks, with their state (enabled, failures, disabled reason).
  Result<std::vector<storage::WebhookRecord>> list(const Principal& who);
  /// Removes the caller's webhook and what it has pending. Errors: not_found
  /// (`event_error::webhook_not_found`).
  Result<void> remove(const Principal& who, std::string_view webhook_id);

  /// Re-reads `webhook_id` and subscribes it (enabled) or ends its subscription (gone
  /// or disabled): another instance changed it (`ChangeNotices`). Blocks (database):
  /// call it from the blocking pool. Errors: storage (the subscription stays as it was).
  Result<void> reload(std::string_view webhook_id);

  /// Blocks until the outbox is empty of deliveries due now or `timeout` passes
  /// (tests). Returns whether it is.
  bool drain(std::chrono::milliseconds timeout);

 private:
  void subscribe(const storage::WebhookRecord& webhook);
  void unsubscribe(const std::string& webhook_id);
  void run();
  void write_staged();
  void deliver_due();
  std::chrono::milliseconds backoff(std::int64_t attempts) const;

  storage::WebhookRepository& webhooks_;
  storage::NodeRepository& nodes_;
  EventHub& hub_;
  WebhookSender& sender_;
  const Clock& clock_;
  WebhookOptions options_;
  Counter& delivered_;
  Counter& failed_;
  Counter& discarded_;
  Counter& dropped_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<storage::WebhookDelivery> staged_;
  std::map<std::string, std::unique_ptr<EventHub::Subscription>> subscriptions_;
  std::map<std::string, std::string> owners_;  // webhook id → user id
  bool stopping_ = false;
  bool idle_ = true;  // the thread found nothing due on its last round
  std::thread thread_;
};

}  // namespace stratus::service
