-- Live events, alerts and webhooks (issue 15, docs/adr/0010). Times: *_ms Unix ms.

-- Alerts are listed per node, newest first, paged by id.
CREATE INDEX alerts_by_node_id ON alerts(node_id, id);

-- Webhooks: a user's registration; `kinds` is a bit mask of event types, `node_ids` a
-- comma-separated list (empty: every node of the owner). Disabled after repeated failures.
CREATE TABLE webhooks (
  webhook_id       TEXT PRIMARY KEY,
  user_id          TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  url              TEXT NOT NULL,
  kinds            INTEGER NOT NULL,
  node_ids         TEXT NOT NULL DEFAULT '',
  secret           TEXT NOT NULL,
  enabled          INTEGER NOT NULL DEFAULT 1,
  failures         INTEGER NOT NULL DEFAULT 0,
  disabled_reason  TEXT NOT NULL DEFAULT '',
  created_ms       INTEGER NOT NULL,
  last_success_ms  INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhooks_by_user ON webhooks(user_id, created_ms);

-- The outbox: deliveries not yet acknowledged by the receiver, kept across restarts.
CREATE TABLE webhook_deliveries (
  delivery_id      INTEGER PRIMARY KEY,
  webhook_id       TEXT NOT NULL REFERENCES webhooks(webhook_id) ON DELETE CASCADE,
  event_id         INTEGER NOT NULL,
  event_type       TEXT NOT NULL,
  node_id          TEXT NOT NULL,
  body             TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_ms, delivery_id);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id);
