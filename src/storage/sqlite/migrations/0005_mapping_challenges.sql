-- Challenge-response user-node mapping (spec rainmaker.md §4.3): challenges
-- handed out by user/nodes/mapping/initiate, answered once through
-- user/nodes/mapping/verify. Times are Unix seconds. Rows stay after use or
-- expiry (so a late or repeated verify gets a precise answer) until a later
-- initiate purges those expired for more than a day.
CREATE TABLE mapping_challenges (
  request_id TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  challenge  TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER                                   -- NULL: not answered yet
) WITHOUT ROWID;
CREATE INDEX mapping_challenges_by_expiry ON mapping_challenges(expires_at);
