-- Sharing and groups (issue 14, docs/adr/0009). Times: *_at Unix seconds.

-- Node groups; a sub-group names its parent (depth is bounded by the service).
CREATE TABLE node_groups (
  group_id            TEXT PRIMARY KEY,
  group_name          TEXT NOT NULL,
  parent_group_id     TEXT REFERENCES node_groups(group_id) ON DELETE CASCADE,
  type                TEXT NOT NULL DEFAULT '',
  description         TEXT NOT NULL DEFAULT '',
  mutually_exclusive  INTEGER NOT NULL DEFAULT 0,
  is_matter           INTEGER NOT NULL DEFAULT 0,
  custom_data         TEXT NOT NULL DEFAULT '{}',
  created_at          INTEGER NOT NULL
);
CREATE INDEX node_groups_by_parent ON node_groups(parent_group_id);

CREATE TABLE group_nodes (
  group_id  TEXT NOT NULL REFERENCES node_groups(group_id) ON DELETE CASCADE,
  node_id   TEXT NOT NULL REFERENCES nodes(node_id) ON DELETE CASCADE,
  added_at  INTEGER NOT NULL,
  PRIMARY KEY (group_id, node_id)
) WITHOUT ROWID;
CREATE INDEX group_nodes_by_node ON group_nodes(node_id);

-- Who may use a group: its creator (primary) and those it was shared with.
CREATE TABLE group_users (
  group_id  TEXT NOT NULL REFERENCES node_groups(group_id) ON DELETE CASCADE,
  user_id   TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  role      TEXT NOT NULL CHECK (role IN ('primary', 'secondary')),
  sub_role  INTEGER NOT NULL DEFAULT 0,
  added_at  INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_users_by_user ON group_users(user_id);

-- Sharing requests for nodes and for groups; 'expired' is derived from expires_at.
CREATE TABLE sharing_requests (
  request_id    TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('node', 'group')),
  from_user_id  TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  to_user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  role          TEXT NOT NULL CHECK (role IN ('primary', 'secondary')),
  sub_role      INTEGER NOT NULL DEFAULT 0,
  transfer      INTEGER NOT NULL DEFAULT 0,
  new_role      TEXT NOT NULL DEFAULT '',
  metadata      TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX sharing_requests_sent ON sharing_requests(from_user_id, kind, created_at);
CREATE INDEX sharing_requests_received ON sharing_requests(to_user_id, kind, created_at);

CREATE TABLE sharing_request_items (
  request_id  TEXT NOT NULL REFERENCES sharing_requests(request_id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  item_id     TEXT NOT NULL,
  PRIMARY KEY (request_id, position)
) WITHOUT ROWID;

-- Every (user, node) access: direct rows, and rows derived from groups. A user of a
-- group has secondary access to each node of the group of which some primary user of
-- the group is a primary user (direct). Readers pick the direct row when both exist
-- (ORDER BY direct DESC, or MAX(direct) with SQLite's bare-column rule).
CREATE VIEW node_access(user_id, node_id, role, sub_role, since_at, direct) AS
  SELECT user_id, node_id, role, sub_role, mapped_at, 1 FROM user_nodes
  UNION ALL
  SELECT gu.user_id, gn.node_id, 'secondary', gu.sub_role, gu.added_at, 0
  FROM group_users gu JOIN group_nodes gn ON gn.group_id = gu.group_id
  WHERE EXISTS (
    SELECT 1 FROM group_users owner
    JOIN user_nodes p ON p.user_id = owner.user_id AND p.node_id = gn.node_id
    WHERE owner.group_id = gu.group_id AND owner.role = 'primary' AND p.role = 'primary');
