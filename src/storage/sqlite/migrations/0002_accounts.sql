-- Accounts (issue: the RainMaker user API). Times are Unix seconds.
CREATE TABLE users (
  user_id       TEXT PRIMARY KEY,             -- UUID v4, the RainMaker custom:user_id
  user_name     TEXT NOT NULL UNIQUE,         -- e-mail (lower-cased) or phone number (+digits)
  password_hash TEXT NOT NULL,                -- argon2id encoded string
  verified      INTEGER NOT NULL DEFAULT 0,
  super_admin   INTEGER NOT NULL DEFAULT 0,
  name          TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- One pending code per user and purpose; stored hashed, single use.
CREATE TABLE verification_codes (
  user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  purpose    TEXT NOT NULL CHECK (purpose IN ('signup', 'reset_password', 'delete_user')),
  code_hash  TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, purpose)
) WITHOUT ROWID;

-- A session is a refresh-token family: every refresh rotates the token; a
-- rotated token presented again revokes the whole session.
CREATE TABLE sessions (
  session_id   TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  revoked_at   INTEGER
);
CREATE INDEX sessions_by_user ON sessions(user_id);

-- A rotated token stays usable only while its successor has never been used:
-- the RainMaker CLI keeps its first refresh token forever (docs/adr/0003).
CREATE TABLE refresh_tokens (
  token_hash  TEXT PRIMARY KEY,               -- SHA-256 hex of the opaque token
  session_id  TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
  parent_hash TEXT,                           -- the token this one was rotated from
  created_at  INTEGER NOT NULL,
  rotated_at  INTEGER                         -- set when exchanged for a new one
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);
CREATE INDEX refresh_tokens_by_parent ON refresh_tokens(parent_hash);
