-- A refresh token's unused successor is marked superseded, not deleted, when its parent
-- comes back (docs/adr/0003, tolerant rotation): a superseded token presented later is a
-- replay of the family (the parent was used by someone else after the successor was
-- issued), and the session is revoked. Deleted, it was only "unknown", and the session
-- went on for whoever presented the parent.
ALTER TABLE refresh_tokens ADD COLUMN superseded_at INTEGER;
