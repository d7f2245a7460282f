-- The params edges fired in a cluster (docs/adr/0021): one row per node_params automation
-- and edge: the trigger report's `timestamp_ms`, and which of the automation's edges on
-- reports of that millisecond it is (0 for the first). Two instances that both believe
-- they lead for a moment judge the same report; the one whose row goes in first fires
-- it. Rows older than an hour are deleted as the automation's next edge is claimed.
CREATE TABLE automation_edges (
  automation_id TEXT NOT NULL REFERENCES automations(automation_id) ON DELETE CASCADE,
  report_ms     BIGINT NOT NULL,
  ordinal       BIGINT NOT NULL,
  claimed_ms    BIGINT NOT NULL,
  PRIMARY KEY (automation_id, report_ms, ordinal)
);
