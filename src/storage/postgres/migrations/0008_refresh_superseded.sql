-- A refresh token's unused successor is marked superseded, not deleted, when its parent
-- comes back (docs/adr/0003, tolerant rotation): a superseded token presented later is a
-- replay of the family, and the session is revoked. SQLite migration 0022.
ALTER TABLE refresh_tokens ADD COLUMN superseded_at BIGINT;
