-- Audit log and fleet administration (issue 18 items 5 and 6, docs/adr/0015).
-- The audit log is append-only: rows are inserted and read, never changed. The triggers
-- below refuse UPDATE and DELETE, so not even a bug in a repository can rewrite history.
-- Times: at_ms Unix milliseconds.
CREATE TABLE audit_log (
  audit_id       INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so next_id paging is stable
  actor_kind     TEXT NOT NULL CHECK (actor_kind IN ('user', 'admin', 'node', 'system')),
  actor_id       TEXT NOT NULL DEFAULT '',           -- user id, node id, or '' for the system
  action         TEXT NOT NULL,                      -- dotted name, e.g. 'node.params.set'
  object_kind    TEXT NOT NULL DEFAULT '',           -- 'node', 'user', 'ota_job', ...
  object_id      TEXT NOT NULL DEFAULT '',
  remote_address TEXT NOT NULL DEFAULT '',
  outcome        TEXT NOT NULL,                      -- 'ok' or the error (RainMaker code / errc)
  detail         TEXT NOT NULL DEFAULT '',           -- small JSON or text
  at_ms          INTEGER NOT NULL
);
CREATE INDEX audit_log_by_actor ON audit_log(actor_id, audit_id);
CREATE INDEX audit_log_by_object ON audit_log(object_id, audit_id);
CREATE INDEX audit_log_by_time ON audit_log(at_ms);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Fleet administration: a disabled user cannot log in or refresh, and its access tokens
-- are refused at their next use. node_quota: NULL = the operator's default
-- (accounts.default_node_quota), 0 = unlimited, N = at most N nodes as primary user.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN node_quota INTEGER;
