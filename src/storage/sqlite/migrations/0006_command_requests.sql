-- Command requests (cmd-resp, spec rainmaker.md §3): one row per (request, node).
-- A POST writes all of its rows in one transaction before it answers. Times are Unix
-- milliseconds (REST shows seconds); expiration_ms NULL = no timeout (timeout -1).
-- request_data/response_data are the raw bytes sent to / received from the node.
CREATE TABLE command_requests (
  id                  INTEGER PRIMARY KEY,       -- creation order: re-send order, paging
  request_id          TEXT NOT NULL,             -- 22 characters [A-Za-z0-9]
  node_id             TEXT NOT NULL,
  user_id             TEXT NOT NULL,             -- the caller (kept when the user goes)
  user_name           TEXT NOT NULL,
  cmd                 INTEGER NOT NULL CHECK (cmd BETWEEN 0 AND 65535),
  request_data        BLOB NOT NULL,
  is_base64           INTEGER NOT NULL DEFAULT 0,
  role                INTEGER NOT NULL,          -- the TLV role byte sent
  status              TEXT NOT NULL CHECK (status IN ('requested', 'in_progress', 'success',
                        'failure', 'timed_out', 'overridden', 'cancelled')),
  device_status       INTEGER,                   -- the node's TLV status byte
  status_description  TEXT NOT NULL DEFAULT '',
  response_data       BLOB,
  request_ms          INTEGER NOT NULL,
  response_ms         INTEGER,                   -- when the row became final
  expiration_ms       INTEGER,
  UNIQUE (request_id, node_id)
);
CREATE INDEX command_requests_by_node ON command_requests(node_id, status);
CREATE INDEX command_requests_expiring ON command_requests(expiration_ms)
  WHERE status IN ('requested', 'in_progress') AND expiration_ms IS NOT NULL;
