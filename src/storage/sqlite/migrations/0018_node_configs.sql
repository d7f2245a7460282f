-- A node's config in a table of its own (issue 23 item 4, issue 24 item 1). The ingest
-- writer rewrites a reporting node's `nodes` row once per batch, and the config (1-4 KB,
-- replaced only when the node sends a new one) made that row ten times the size of what
-- changes: every batch wrote back one 4 KB page to the WAL for every one or two rows.
-- Without it a page holds a dozen or more rows and a batch writes a fraction of the pages
-- (bench/README.md, "The config out of the nodes row"). A database upgraded in place
-- keeps its pages (each row shrinks where it is, still about two to a page) until a
-- `VACUUM` packs them (`stratusd db compact`; the README's Operations table).
CREATE TABLE node_configs (
  node_id  TEXT PRIMARY KEY REFERENCES nodes(node_id) ON DELETE CASCADE,
  config   TEXT NOT NULL                  -- last config, verbatim
);
INSERT INTO node_configs(node_id, config) SELECT node_id, config FROM nodes WHERE config IS NOT NULL;
ALTER TABLE nodes DROP COLUMN config;
