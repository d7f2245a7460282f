-- Facts about this Stratus installation: a stable instance id (used in logs,
-- metrics and, later, as a cluster member name) and when it was created.
CREATE TABLE instance (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO instance(key, value) VALUES
  ('instance_id', lower(hex(randomblob(16)))),
  ('created_at', CAST(strftime('%s', 'now') AS TEXT));
