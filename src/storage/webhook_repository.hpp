#pragma once
/// @file
/// Storage port for webhooks (issue 15, docs/adr/0010): the registrations and the
/// durable outbox of deliveries that survives restarts. Times: `_ms` Unix milliseconds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// A registered webhook.
struct WebhookRecord {
  std::string webhook_id;
  std::string user_id;                ///< its owner; deliveries follow the owner's access
  std::string url;                    ///< absolute http(s) URL
  std::uint32_t kinds = 0;            ///< mask of proto::rest::EventKind bits
  std::vector<std::string> node_ids;  ///< empty: every node the owner may see
  std::string secret;                 ///< HMAC key of the signatures
  bool enabled = true;
  std::int64_t failures = 0;    ///< consecutive failed deliveries
  std::string disabled_reason;  ///< set when `enabled` became false
  std::int64_t created_ms = 0;
  std::int64_t last_success_ms = 0;
  std::string last_error;  ///< of the newest failed attempt
  /// Its owner exists and is not disabled, when read (never written): deliveries are made
  /// only while it is (docs/security.md).
  bool owner_active = true;
};

/// One delivery waiting in the outbox.
struct WebhookDelivery {
  std::int64_t delivery_id = 0;
  std::string webhook_id;
  std::uint64_t event_id = 0;
  std::string event_type;
  std::string node_id;  ///< the event's node (empty for user-addressed events)
  std::string body;     ///< the event's JSON text, sent as is
  std::int64_t attempts = 0;
  std::int64_t next_attempt_ms = 0;
};

/// Thread-safe; every call may block and may fail with errc::unavailable.
class WebhookRepository {
 public:
  virtual ~WebhookRepository() = default;

  virtual Result<void> create(const WebhookRecord& webhook) = 0;
  /// The user's webhooks, oldest first.
  virtual Result<std::vector<WebhookRecord>> list(std::string_view user_id) = 0;
  /// Every enabled webhook (for subscribing at start-up).
  virtual Result<std::vector<WebhookRecord>> enabled() = 0;
  virtual Result<std::optional<WebhookRecord>> get(std::string_view webhook_id) = 0;
  /// Removes the user's webhook and its pending deliveries; false when there was none.
  virtual Result<bool> remove(std::string_view user_id, std::string_view webhook_id) = 0;
  virtual Result<std::int64_t> count(std::string_view user_id) = 0;

  /// Appends deliveries (one transaction).
  virtual Result<void> enqueue(const std::vector<WebhookDelivery>& deliveries) = 0;
  /// Deliveries of enabled webhooks due at `now_ms`, oldest first, at most `limit`.
  virtual Result<std::vector<WebhookDelivery>> due(std::int64_t now_ms, std::size_t limit) = 0;
  /// When the next delivery is due (nullopt: none waiting).
  virtual Result<std::optional<std::int64_t>> next_due() = 0;
  /// The delivery succeeded: it leaves the outbox, the webhook's failures reset.
  virtual Result<void> delivered(std::int64_t delivery_id, std::string_view webhook_id,
                                 std::int64_t now_ms) = 0;
  /// The delivery was dropped without sending (its user lost access): it leaves the outbox.
  virtual Result<void> discard(std::int64_t delivery_id) = 0;
  /// The attempt failed: the delivery and every other delivery of the webhook due before
  /// `retry_at_ms` wait until then (a receiver that is down is tried once per backoff,
  /// not once per waiting delivery), the webhook counts a failure; at `max_failures`
  /// consecutive failures it is disabled with `error` as the reason and its deliveries
  /// are dropped. Returns whether it was disabled. A delivery no
  /// longer in the outbox (another instance delivered or dropped it) changes nothing:
  /// returns false. One transaction.
  virtual Result<bool> failed(std::int64_t delivery_id, std::string_view webhook_id,
                              std::string_view error, std::int64_t retry_at_ms,
                              std::int64_t max_failures) = 0;
};

}  // namespace stratus::storage
