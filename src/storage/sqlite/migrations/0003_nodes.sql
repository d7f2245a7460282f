-- Nodes: what they report (config, params, presence, alerts), who may use them
-- (user_nodes), and user-node mapping requests. Times: *_at in Unix seconds,
-- *_ms in Unix milliseconds (RainMaker connectivity timestamps are ms).
CREATE TABLE nodes (
  node_id           TEXT PRIMARY KEY,
  config            TEXT,                   -- last config, verbatim
  name              TEXT NOT NULL DEFAULT '',
  type              TEXT NOT NULL DEFAULT '',
  model             TEXT NOT NULL DEFAULT '',
  fw_version        TEXT NOT NULL DEFAULT '',
  platform          TEXT NOT NULL DEFAULT '',
  cmd_resp          INTEGER NOT NULL DEFAULT 0,
  config_at         INTEGER,
  params            TEXT,                   -- reported state {device:{param:value}}
  params_ms         INTEGER,
  connected         INTEGER NOT NULL DEFAULT 0,
  connectivity_ms   INTEGER NOT NULL DEFAULT 0,
  desired           TEXT,                   -- sets waiting for an offline node (merged)
  desired_ms        INTEGER,
  tags              TEXT NOT NULL DEFAULT '[]',
  metadata          TEXT NOT NULL DEFAULT '{}',
  created_at        INTEGER NOT NULL
);

CREATE TABLE user_nodes (
  user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  node_id    TEXT NOT NULL REFERENCES nodes(node_id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('primary', 'secondary')),
  sub_role   INTEGER NOT NULL DEFAULT 0,
  mapped_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, node_id)
) WITHOUT ROWID;
CREATE INDEX user_nodes_by_node ON user_nodes(node_id);

CREATE TABLE mapping_requests (
  request_id  TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  node_id     TEXT NOT NULL,
  secret_key  TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('requested', 'confirmed', 'timedout', 'discarded')),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX mapping_requests_by_node ON mapping_requests(node_id, status);

-- The node's side of a mapping when it arrives before the REST request.
CREATE TABLE node_mapping_reports (
  node_id      TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL,
  secret_key   TEXT NOT NULL,
  received_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE alerts (
  id          INTEGER PRIMARY KEY,
  node_id     TEXT NOT NULL,
  payload     TEXT NOT NULL,
  received_ms INTEGER NOT NULL
);
CREATE INDEX alerts_by_node ON alerts(node_id, received_ms);
