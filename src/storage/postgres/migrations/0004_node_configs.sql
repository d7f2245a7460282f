-- A node's config in a table of its own (issue 23 item 4, issue 24 item 1). The ingest
-- writer rewrites a reporting node's `nodes` row once per batch; with the config (1-4 KB,
-- replaced only when the node sends a new one) in it, every update copied, logged and
-- pruned a row ten times the size of what changes (session 14 measured an update of the
-- 1.3 KB row at 5.0-6.7 us against 3.0-3.2 us for a 136-byte one). Rows written before
-- this migration keep the dropped column's bytes until their next update, which writes
-- the row without them, but on the page it had (`stratusd db compact`, a `VACUUM FULL
-- nodes`, rewrites them all at once, packed).
CREATE TABLE node_configs (
  node_id  TEXT PRIMARY KEY REFERENCES nodes(node_id) ON DELETE CASCADE,
  config   TEXT NOT NULL                  -- last config, verbatim
);
INSERT INTO node_configs(node_id, config) SELECT node_id, config FROM nodes WHERE config IS NOT NULL;
ALTER TABLE nodes DROP COLUMN config;
