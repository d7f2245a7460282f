-- Claiming (spec rainmaker.md §6). Times are Unix seconds.

-- Node ids handed out by claim/initiate (user claiming: a random id per user
-- and MAC) or certified by self claiming (node id = MAC, no user).
CREATE TABLE claimed_nodes (
  node_id    TEXT PRIMARY KEY,
  user_id    TEXT REFERENCES users(user_id) ON DELETE CASCADE,  -- NULL: self claiming
  mac_addr   TEXT NOT NULL CHECK (length(mac_addr) = 12),        -- upper-case hex
  platform   TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('initiated', 'certified')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX claimed_nodes_by_user_mac ON claimed_nodes(user_id, mac_addr)
  WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX claimed_nodes_self_by_mac ON claimed_nodes(mac_addr)
  WHERE user_id IS NULL;

-- Pending self-claim challenges: single use, one per MAC, short-lived.
CREATE TABLE claim_challenges (
  auth_id    TEXT PRIMARY KEY,
  mac_addr   TEXT NOT NULL,
  node_id    TEXT NOT NULL,
  platform   TEXT NOT NULL,
  challenge  TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX claim_challenges_by_mac ON claim_challenges(mac_addr);
CREATE INDEX claim_challenges_by_expiry ON claim_challenges(expires_at);

-- Audit: one row per issued node certificate. No foreign keys: the trail
-- outlives users and claims. The latest row of a node holds the public key
-- that challenge-response mapping checks node signatures with.
CREATE TABLE claim_certificates (
  id              INTEGER PRIMARY KEY,
  node_id         TEXT NOT NULL,
  user_id         TEXT,                                          -- NULL: self claiming
  serial_hex      TEXT NOT NULL,
  fingerprint_hex TEXT NOT NULL,
  not_after       INTEGER NOT NULL,
  issued_at       INTEGER NOT NULL,
  method          TEXT NOT NULL CHECK (method IN ('assisted', 'self')),
  client_address  TEXT NOT NULL DEFAULT '',
  certificate_pem TEXT NOT NULL DEFAULT ''                       -- the issued certificate
);
CREATE INDEX claim_certificates_by_node ON claim_certificates(node_id);
