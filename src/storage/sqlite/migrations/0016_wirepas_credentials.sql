-- Wirepas gateways and operators on the embedded broker (issue 20 item 3, docs/adr/0018).
-- The password itself is never stored: mac = HMAC-SHA-256(salt, password), both lower-case
-- hex. Names are unique across both roles (they are MQTT user names). Times: Unix ms.
CREATE TABLE wirepas_credentials (
  name       TEXT PRIMARY KEY,
  role       TEXT NOT NULL CHECK (role IN ('gateway', 'operator')),
  salt       TEXT NOT NULL,
  mac        TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',  -- the admin's user id
  created_ms INTEGER NOT NULL
);
