-- Automations (issue 16, docs/adr/0012; rainmaker-cloud.md §3). Times: *_ms Unix ms.
-- events/actions/metadata/last_results are JSON texts as the API shows them.
CREATE TABLE automations (
  automation_id  TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  event_type     TEXT NOT NULL CHECK (event_type IN ('node_params', 'daylight', 'weather')),
  node_id        TEXT NOT NULL DEFAULT '',   -- node_params: the trigger node; else ''
  latitude       TEXT NOT NULL DEFAULT '',   -- daylight, weather: as the client wrote them
  longitude      TEXT NOT NULL DEFAULT '',
  events         TEXT NOT NULL,
  event_operator TEXT NOT NULL DEFAULT 'and' CHECK (event_operator IN ('and', 'or')),
  actions        TEXT NOT NULL,
  retrigger      INTEGER NOT NULL DEFAULT 0,
  enabled        INTEGER NOT NULL DEFAULT 1,
  metadata       TEXT NOT NULL DEFAULT '{}',
  created_ms     INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL,
  last_fired_ms  INTEGER,                    -- the newest firing
  last_cause     TEXT NOT NULL DEFAULT '',
  last_results   TEXT NOT NULL DEFAULT '[]'
);
-- A name is unique per user and trigger node (127010).
CREATE UNIQUE INDEX automations_name ON automations(user_id, node_id, name);
CREATE INDEX automations_by_node ON automations(node_id) WHERE node_id <> '';
