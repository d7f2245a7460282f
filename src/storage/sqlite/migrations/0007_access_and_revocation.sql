-- Access is re-checked when queued work is delivered (docs/security.md, issue 13):
-- sets waiting for an offline node are kept per user, so a user who loses access
-- to the node loses their queued sets with it; node certificates can be revoked.

-- Sets waiting for an offline node, one merged document per (node, user).
CREATE TABLE node_desired (
  node_id     TEXT NOT NULL REFERENCES nodes(node_id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL,
  params      TEXT NOT NULL,             -- merged sets {device:{param:value}}
  updated_ms  INTEGER NOT NULL,          -- last set merged in; delivery merges in this order
  PRIMARY KEY (node_id, user_id)
) WITHOUT ROWID;

-- Sets queued before this migration were not attributed to a user: they go to the
-- node's primary user (the lowest user id when there are several); with no primary
-- user nobody may deliver them any more, so they are dropped.
INSERT INTO node_desired(node_id, user_id, params, updated_ms)
  SELECT n.node_id, MIN(u.user_id), n.desired, COALESCE(n.desired_ms, 0)
  FROM nodes n JOIN user_nodes u ON u.node_id = n.node_id AND u.role = 'primary'
  WHERE n.desired IS NOT NULL
  GROUP BY n.node_id;
UPDATE nodes SET desired = NULL, desired_ms = NULL;

-- A certificate is revoked when a newer one is issued for its node id (or by an
-- admin); the broker refuses revoked certificates at connect and drops their sessions.
ALTER TABLE claim_certificates ADD COLUMN revoked_at INTEGER;     -- NULL: valid
ALTER TABLE claim_certificates ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX claim_certificates_revoked ON claim_certificates(revoked_at)
  WHERE revoked_at IS NOT NULL;
