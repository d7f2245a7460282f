#include "storage/sql/webhook_repository.hpp"

#include "core/strings.hpp"

namespace stratus::storage::sql {
namespace {

constexpr std::string_view kColumns =
    "SELECT webhook_id, user_id, url, kinds, node_ids, secret, enabled, failures, "
    "disabled_reason, created_ms, last_success_ms, last_error, (SELECT COUNT(*) FROM users u "
    "WHERE u.user_id = webhooks.user_id AND u.disabled = 0) FROM webhooks ";

WebhookRecord read_webhook(const Statement& s) {
  WebhookRecord w;
  w.webhook_id = s.text(0);
  w.user_id = s.text(1);
  w.url = s.text(2);
  w.kinds = static_cast<std::uint32_t>(s.integer(3));
  w.node_ids = split_list(s.text(4));
  w.secret = s.text(5);
  w.enabled = s.integer(6) != 0;
  w.failures = s.integer(7);
  w.disabled_reason = s.text(8);
  w.created_ms = s.integer(9);
  w.last_success_ms = s.integer(10);
  w.last_error = s.text(11);
  w.owner_active = s.integer(12) != 0;
  return w;
}

}  // namespace

Result<void> SqlWebhookRepository::create(const WebhookRecord& w) {
  return db_->with([&](Connection& c) {
    return c.execute(
        "INSERT INTO webhooks(webhook_id, user_id, url, kinds, node_ids, secret, enabled, "
        "created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
        w.webhook_id, w.user_id, w.url, static_cast<std::int64_t>(w.kinds), join_list(w.node_ids),
        w.secret, w.created_ms);
  });
}

Result<std::vector<WebhookRecord>> SqlWebhookRepository::list(std::string_view user_id) {
  return db_->with([&](Connection& c) {
    return c.query_all(std::string(kColumns) + "WHERE user_id = ?1 ORDER BY created_ms, webhook_id",
                       read_webhook, user_id);
  });
}

Result<std::vector<WebhookRecord>> SqlWebhookRepository::enabled() {
  return db_->with([&](Connection& c) {
    return c.query_all(std::string(kColumns) + "WHERE enabled = 1 ORDER BY created_ms",
                       read_webhook);
  });
}

Result<std::optional<WebhookRecord>> SqlWebhookRepository::get(std::string_view webhook_id) {
  return db_->with([&](Connection& c) -> Result<std::optional<WebhookRecord>> {
    auto rows =
        c.query_all(std::string(kColumns) + "WHERE webhook_id = ?1", read_webhook, webhook_id);
    if (!rows)
      return fail(rows.error());
    if (rows->empty())
      return std::optional<WebhookRecord>{};
    return std::optional<WebhookRecord>(std::move(rows->front()));
  });
}

Result<bool> SqlWebhookRepository::remove(std::string_view user_id, std::string_view webhook_id) {
  return db_->with([&](Connection& c) -> Result<bool> {
    auto r = c.execute("DELETE FROM webhooks WHERE webhook_id = ?1 AND user_id = ?2", webhook_id,
                       user_id);
    if (!r)
      return fail(r.error());
    return c.changes() > 0;
  });
}

Result<std::int64_t> SqlWebhookRepository::count(std::string_view user_id) {
  return db_->with([&](Connection& c) {
    return c.query_one(
        "SELECT COUNT(*) FROM webhooks WHERE user_id = ?1", {"no count"},
        [](const Statement& s) { return s.integer(0); }, user_id);
  });
}

Result<void> SqlWebhookRepository::enqueue(const std::vector<WebhookDelivery>& deliveries) {
  if (deliveries.empty())
    return {};
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      for (const auto& d : deliveries) {
        // A webhook removed meanwhile takes nothing (INSERT … SELECT finds no row).
        auto r = c.execute(
            "INSERT INTO webhook_deliveries(webhook_id, event_id, event_type, node_id, body, "
            "next_attempt_ms) SELECT webhook_id, ?2, ?3, ?4, ?5, ?6 FROM webhooks WHERE "
            "webhook_id = ?1 AND enabled = 1",
            d.webhook_id, static_cast<std::int64_t>(d.event_id), d.event_type, d.node_id, d.body,
            d.next_attempt_ms);
        if (!r)
          return r;
      }
      return {};
    });
  });
}

Result<std::vector<WebhookDelivery>> SqlWebhookRepository::due(std::int64_t now_ms,
                                                               std::size_t limit) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT d.delivery_id, d.webhook_id, d.event_id, d.event_type, d.node_id, d.body, "
        "d.attempts, d.next_attempt_ms FROM webhook_deliveries d JOIN webhooks w ON "
        "w.webhook_id = d.webhook_id WHERE w.enabled = 1 AND d.next_attempt_ms <= ?1 ORDER BY "
        "d.next_attempt_ms, d.delivery_id LIMIT ?2",
        [](const Statement& s) {
          return WebhookDelivery{
              s.integer(0), s.text(1),   static_cast<std::uint64_t>(s.integer(2)),
              s.text(3),    s.text(4),   s.text(5),
              s.integer(6), s.integer(7)};
        },
        now_ms, static_cast<std::int64_t>(limit));
  });
}

Result<std::optional<std::int64_t>> SqlWebhookRepository::next_due() {
  return db_->with([&](Connection& c) -> Result<std::optional<std::int64_t>> {
    auto rows = c.query_all(
        "SELECT MIN(d.next_attempt_ms) FROM webhook_deliveries d JOIN webhooks w ON "
        "w.webhook_id = d.webhook_id WHERE w.enabled = 1",
        [](const Statement& s) -> std::optional<std::int64_t> {
          if (s.is_null(0))
            return std::nullopt;
          return s.integer(0);
        });
    if (!rows)
      return fail(rows.error());
    return rows->empty() ? std::nullopt : rows->front();
  });
}

Result<void> SqlWebhookRepository::delivered(std::int64_t delivery_id, std::string_view webhook_id,
                                             std::int64_t now_ms) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      if (auto r = c.execute("DELETE FROM webhook_deliveries WHERE delivery_id = ?1", delivery_id);
          !r)
        return r;
      return c.execute(
          "UPDATE webhooks SET failures = 0, last_success_ms = ?2 WHERE webhook_id = ?1",
          webhook_id, now_ms);
    });
  });
}

Result<void> SqlWebhookRepository::discard(std::int64_t delivery_id) {
  return db_->with([&](Connection& c) {
    return c.execute("DELETE FROM webhook_deliveries WHERE delivery_id = ?1", delivery_id);
  });
}

Result<bool> SqlWebhookRepository::failed(std::int64_t delivery_id, std::string_view webhook_id,
                                          std::string_view error, std::int64_t retry_at_ms,
                                          std::int64_t max_failures) {
  bool disabled = false;
  auto r = db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      disabled = false;
      if (auto u = c.execute(
              "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_ms = ?2 "
              "WHERE delivery_id = ?1",
              delivery_id, retry_at_ms);
          !u)
        return u;
      // Gone: another instance delivered or dropped it meanwhile; counting this failure
      // too would count one twice (or one already made good) and disable the webhook early.
      if (c.changes() == 0)
        return {};
      if (auto u = c.execute(
              "UPDATE webhook_deliveries SET next_attempt_ms = ?2 WHERE webhook_id = ?1 AND "
              "next_attempt_ms < ?2",
              webhook_id, retry_at_ms);
          !u)
        return u;
      if (auto u = c.execute(
              "UPDATE webhooks SET failures = failures + 1, last_error = ?2 WHERE webhook_id = ?1",
              webhook_id, error);
          !u)
        return u;
      auto failures = c.query_one(
          "SELECT failures FROM webhooks WHERE webhook_id = ?1", {"webhook not found"},
          [](const Statement& s) { return s.integer(0); }, webhook_id);
      if (!failures)
        return failures.error().code == errc::not_found ? Result<void>{} : fail(failures.error());
      if (*failures < max_failures)
        return {};
      disabled = true;
      const std::string reason = std::to_string(*failures) +
                                 " deliveries in a row failed; the last: " + std::string(error);
      if (auto u = c.execute(
              "UPDATE webhooks SET enabled = 0, disabled_reason = ?2 WHERE webhook_id = ?1",
              webhook_id, reason);
          !u)
        return u;
      return c.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ?1", webhook_id);
    });
  });
  if (!r)
    return fail(r.error());
  return disabled;
}

}  // namespace stratus::storage::sql
