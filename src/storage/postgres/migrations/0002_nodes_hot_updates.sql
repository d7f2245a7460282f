-- The ingest writer rewrites each reporting node's row (params, params_ms) once per batch,
-- many times a second across a fleet. With every page full (the default fillfactor 100)
-- an updated row goes to another page with a new index entry, and autovacuum's default
-- threshold (20 % of the table) lets the dead versions pile up: 1 000 nodes grew the
-- table from 3 MB to 228 MB in 30 s of `bench/run ingest --database postgres`, with 17 %
-- of updates HOT. Half of each page left free keeps the new version on its page (a HOT
-- update: no index entry, pruned in place by the next update); with it, the same run
-- made 100 % HOT updates and the table stayed at 8.5 MB (bench/README.md). Autovacuum
-- then starts after 2 000 dead rows whatever the table's size.
-- PostgreSQL only: SQLite updates rows in place. Pages written before this migration
-- keep their layout until rewritten (`VACUUM FULL nodes`, docs/scale-out.md).
ALTER TABLE nodes SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,
                       autovacuum_vacuum_threshold = 2000);
