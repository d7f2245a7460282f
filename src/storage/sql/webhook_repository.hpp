#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the webhook storage port
/// (tables `webhooks` and `webhook_deliveries`, migration 0009; docs/adr/0010).

#include <memory>

#include "storage/sql/database.hpp"
#include "storage/webhook_repository.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlWebhookRepository final : public WebhookRepository {
 public:
  explicit SqlWebhookRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> create(const WebhookRecord& webhook) override;
  Result<std::vector<WebhookRecord>> list(std::string_view user_id) override;
  Result<std::vector<WebhookRecord>> enabled() override;
  Result<std::optional<WebhookRecord>> get(std::string_view webhook_id) override;
  Result<bool> remove(std::string_view user_id, std::string_view webhook_id) override;
  Result<std::int64_t> count(std::string_view user_id) override;
  Result<void> enqueue(const std::vector<WebhookDelivery>& deliveries) override;
  Result<std::vector<WebhookDelivery>> due(std::int64_t now_ms, std::size_t limit) override;
  Result<std::optional<std::int64_t>> next_due() override;
  Result<void> delivered(std::int64_t delivery_id, std::string_view webhook_id,
                         std::int64_t now_ms) override;
  Result<void> discard(std::int64_t delivery_id) override;
  Result<bool> failed(std::int64_t delivery_id, std::string_view webhook_id, std::string_view error,
                      std::int64_t retry_at_ms, std::int64_t max_failures) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
