-- `nodes.desired` and `nodes.desired_ms` came over from SQLite's schema (migration 1),
-- where migration 7 had already moved waiting sets to `node_desired`: always NULL here,
-- never read or written. Dropped, as SQLite's migration 19 drops them.
ALTER TABLE nodes DROP COLUMN desired, DROP COLUMN desired_ms;
