-- Time series (issue 15 item 4, docs/adr/0011). Times: ts and bucket in Unix seconds.

-- The params of a node whose config marks them `time_series`: a JSON object
-- {"<Device>.<Param>":"<data_type>"} indexed when the config is stored, read by the
-- ingest writer for every params report (no per-instance cache: several stratusd may
-- share one database).
ALTER TABLE nodes ADD COLUMN ts_params TEXT NOT NULL DEFAULT '{}';

-- Raw points. One row per (node, param, second): the same second reported by
-- params/local and by tsdata is stored once, the later write wins. `num` holds int,
-- float and bool (0/1) values; `txt` holds strings and the JSON text of objects and
-- arrays. `source`: tsdata | simple | params.
CREATE TABLE ts_points (
  node_id     TEXT NOT NULL,
  param_name  TEXT NOT NULL,
  ts          INTEGER NOT NULL,
  data_type   TEXT NOT NULL CHECK (data_type IN ('int', 'float', 'bool', 'string', 'object', 'array')),
  num         REAL,
  txt         TEXT,
  source      TEXT NOT NULL CHECK (source IN ('tsdata', 'simple', 'params')),
  PRIMARY KEY (node_id, param_name, ts)
) WITHOUT ROWID;
-- The retention prune walks points by age.
CREATE INDEX ts_points_by_ts ON ts_points(ts);

-- Quarter-hour (900 s, UTC-aligned) rollups of numeric points, recomputed from the raw
-- points of the bucket in the transaction that writes them. Every IANA offset is a
-- multiple of 15 minutes, so any local day, week, month or year is a whole number of
-- these buckets.
CREATE TABLE ts_rollups (
  node_id      TEXT NOT NULL,
  param_name   TEXT NOT NULL,
  data_type    TEXT NOT NULL,
  bucket       INTEGER NOT NULL,  -- start of the quarter hour
  count        INTEGER NOT NULL,
  sum          REAL NOT NULL,
  min          REAL NOT NULL,
  max          REAL NOT NULL,
  first_ts     INTEGER NOT NULL,
  first_value  REAL NOT NULL,
  last_ts      INTEGER NOT NULL,
  last_value   REAL NOT NULL,
  PRIMARY KEY (node_id, param_name, bucket, data_type)
) WITHOUT ROWID;
CREATE INDEX ts_rollups_by_bucket ON ts_rollups(bucket);

-- Which data types each param has been stored with (type checks of queries without
-- scanning points).
CREATE TABLE ts_param_types (
  node_id     TEXT NOT NULL,
  param_name  TEXT NOT NULL,
  data_type   TEXT NOT NULL,
  PRIMARY KEY (node_id, param_name, data_type)
) WITHOUT ROWID;
