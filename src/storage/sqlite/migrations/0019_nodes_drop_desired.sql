-- `nodes.desired` and `nodes.desired_ms` held the sets waiting for an offline node until
-- migration 7 moved them to `node_desired` (one row per user, so that each is re-checked
-- for access when it is delivered) and emptied them. Nothing has read or written them
-- since; they are dropped so that the schema shows one place for desired state.
ALTER TABLE nodes DROP COLUMN desired;
ALTER TABLE nodes DROP COLUMN desired_ms;
