-- OTA firmware images and jobs (issue 17, docs/adr/0013; rainmaker-cloud.md §6).
-- Times: *_ms Unix milliseconds. Image bytes live in <data_dir>/ota/<sha256> (content
-- addressed; several image rows may share one file).
CREATE TABLE ota_images (
  image_id        TEXT PRIMARY KEY,
  image_name      TEXT NOT NULL,
  sha256          TEXT NOT NULL,
  md5             TEXT NOT NULL,
  size            INTEGER NOT NULL,
  model           TEXT NOT NULL DEFAULT '',
  type            TEXT NOT NULL DEFAULT '',
  fw_version      TEXT NOT NULL,
  project_name    TEXT NOT NULL DEFAULT '',
  chip            TEXT NOT NULL DEFAULT '',
  secure_version  INTEGER NOT NULL DEFAULT 0,
  signature       TEXT NOT NULL DEFAULT '',   -- optional detached signature, base64
  uploaded_by     TEXT NOT NULL,              -- user id
  user_image      INTEGER NOT NULL DEFAULT 0, -- uploaded through v1/user/otaimage
  archived        INTEGER NOT NULL DEFAULT 0,
  created_ms      INTEGER NOT NULL
);
CREATE INDEX ota_images_by_sha256 ON ota_images(sha256);

CREATE TABLE ota_jobs (
  job_id            TEXT PRIMARY KEY,
  job_name          TEXT NOT NULL UNIQUE,
  image_id          TEXT NOT NULL REFERENCES ota_images(image_id),
  description       TEXT NOT NULL DEFAULT '',
  status            TEXT NOT NULL CHECK (status IN ('active', 'paused', 'cancelled', 'finished')),
  pause_reason      TEXT NOT NULL DEFAULT '',
  nodes             TEXT NOT NULL DEFAULT '[]', -- as requested (JSON array)
  groups_json       TEXT NOT NULL DEFAULT '[]',
  node_model        TEXT NOT NULL DEFAULT '',
  node_type         TEXT NOT NULL DEFAULT '',
  priority          INTEGER NOT NULL DEFAULT 5,
  force_push        INTEGER NOT NULL DEFAULT 0,
  user_approval     INTEGER NOT NULL DEFAULT 0,
  metadata          TEXT NOT NULL DEFAULT '',
  rollout_batch     INTEGER,                    -- nodes per batch (resolved from percent)
  rollout_percent   INTEGER,
  rollout_interval_s INTEGER NOT NULL DEFAULT 0,
  rollout_stop_percent INTEGER NOT NULL DEFAULT 100,
  has_rollout       INTEGER NOT NULL DEFAULT 0,
  batches_released  INTEGER NOT NULL DEFAULT 0,
  next_batch_ms     INTEGER NOT NULL DEFAULT 0,
  created_by        TEXT NOT NULL,
  created_ms        INTEGER NOT NULL,
  updated_ms        INTEGER NOT NULL
);
CREATE INDEX ota_jobs_active ON ota_jobs(status) WHERE status = 'active';

-- One row per targeted node. batch 0: not released yet by the rollout.
CREATE TABLE ota_job_nodes (
  job_id          TEXT NOT NULL REFERENCES ota_jobs(job_id) ON DELETE CASCADE,
  node_id         TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'offered', 'in-progress', 'delayed',
                    'success', 'failed', 'rejected', 'timed_out', 'cancelled')),
  batch           INTEGER NOT NULL DEFAULT 0,
  additional_info TEXT NOT NULL DEFAULT '',
  ts_source       TEXT NOT NULL DEFAULT 'CLOUD',
  updated_ms      INTEGER NOT NULL,
  PRIMARY KEY (job_id, node_id)
) WITHOUT ROWID;
CREATE INDEX ota_job_nodes_by_node ON ota_job_nodes(node_id);
