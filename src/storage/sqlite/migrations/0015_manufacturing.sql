-- Manufacturing (issue 18; spec rainmaker.md §7, docs/adr/0014): node ids reserved for
-- production batches, uploaded node-certificate files and their registration jobs,
-- registered manufacturing CAs, admin node groups, and admin revocations of nodes.
-- Times are Unix seconds.

-- claim_certificates gains the method 'manufactured' (a certificate registered from a
-- node_certs.csv, signed by a manufacturing CA or the Stratus CA). SQLite cannot change a
-- CHECK constraint in place: the table is rebuilt with the same rows.
CREATE TABLE claim_certificates_new (
  id              INTEGER PRIMARY KEY,
  node_id         TEXT NOT NULL,
  user_id         TEXT,                                          -- NULL: self claiming, manufactured
  serial_hex      TEXT NOT NULL,
  fingerprint_hex TEXT NOT NULL,
  not_after       INTEGER NOT NULL,
  issued_at       INTEGER NOT NULL,
  method          TEXT NOT NULL CHECK (method IN ('assisted', 'self', 'manufactured')),
  client_address  TEXT NOT NULL DEFAULT '',
  certificate_pem TEXT NOT NULL DEFAULT '',
  revoked_at      INTEGER,                                       -- NULL: valid
  revoked_reason  TEXT NOT NULL DEFAULT ''
);
INSERT INTO claim_certificates_new(id, node_id, user_id, serial_hex, fingerprint_hex, not_after,
                                   issued_at, method, client_address, certificate_pem, revoked_at,
                                   revoked_reason)
  SELECT id, node_id, user_id, serial_hex, fingerprint_hex, not_after, issued_at, method,
         client_address, certificate_pem, revoked_at, revoked_reason
  FROM claim_certificates;
DROP TABLE claim_certificates;
ALTER TABLE claim_certificates_new RENAME TO claim_certificates;
CREATE INDEX claim_certificates_by_node ON claim_certificates(node_id);
CREATE INDEX claim_certificates_revoked ON claim_certificates(revoked_at)
  WHERE revoked_at IS NOT NULL;
CREATE INDEX claim_certificates_by_fingerprint ON claim_certificates(fingerprint_hex);

-- Node ids handed out by POST /v1/admin/node_ids (the admin CLI's --cloud generation).
CREATE TABLE mfg_node_ids (
  node_id    TEXT PRIMARY KEY,
  request_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX mfg_node_ids_by_request ON mfg_node_ids(request_id);

CREATE TABLE mfg_node_id_requests (
  request_id TEXT PRIMARY KEY,
  node_count INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One node_certs.csv upload and its registration job.
CREATE TABLE mfg_registrations (
  request_id  TEXT PRIMARY KEY,
  file_name   TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('awaiting_upload', 'uploaded', 'queued',
                                             'in_progress', 'success', 'partial_success',
                                             'failure')),
  options     TEXT NOT NULL DEFAULT '{}',  -- group, type, model, subtype, tags, force, ...
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  total       INTEGER NOT NULL DEFAULT 0,
  registered  INTEGER NOT NULL DEFAULT 0,
  failed      INTEGER NOT NULL DEFAULT 0,
  description TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX mfg_registrations_by_state ON mfg_registrations(state);

-- Manufacturing CAs whose node certificates the broker accepts for registered nodes.
CREATE TABLE mfg_cas (
  fingerprint_hex TEXT PRIMARY KEY,        -- SHA-256 of the CA certificate's DER
  subject         TEXT NOT NULL,
  certificate_pem TEXT NOT NULL,
  not_after       INTEGER NOT NULL,
  added_by        TEXT NOT NULL,
  added_at        INTEGER NOT NULL
) WITHOUT ROWID;

-- Admin node groups (the admin CLI's --groupname / --parent_groupname).
CREATE TABLE mfg_groups (
  group_id        TEXT PRIMARY KEY,
  group_name      TEXT NOT NULL,
  parent_group_id TEXT REFERENCES mfg_groups(group_id),
  created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX mfg_groups_by_name ON mfg_groups(group_name, COALESCE(parent_group_id, ''));

CREATE TABLE mfg_group_nodes (
  group_id TEXT NOT NULL REFERENCES mfg_groups(group_id) ON DELETE CASCADE,
  node_id  TEXT NOT NULL,
  PRIMARY KEY (group_id, node_id)
) WITHOUT ROWID;

-- Registered (manufactured) nodes: the attributes the registration gave them.
CREATE TABLE mfg_nodes (
  node_id       TEXT PRIMARY KEY,
  request_id    TEXT NOT NULL,
  type          TEXT NOT NULL DEFAULT '',
  model         TEXT NOT NULL DEFAULT '',
  subtype       TEXT NOT NULL DEFAULT '',
  qrcode        TEXT NOT NULL DEFAULT '',
  registered_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Admin revocations: while a row has reclaim_allowed = 0, claiming the node id again
-- issues no certificate; an admin's allow_reclaim sets it, the next issued
-- certificate removes the row.
CREATE TABLE node_revocations (
  node_id         TEXT PRIMARY KEY,
  reason          TEXT NOT NULL,
  revoked_by      TEXT NOT NULL,
  revoked_at      INTEGER NOT NULL,
  reclaim_allowed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
