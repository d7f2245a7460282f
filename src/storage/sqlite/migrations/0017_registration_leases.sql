-- A registration job's worker and lease (issue 23 item 3, docs/adr/0014 "Workers"): the
-- worker that holds an `in_progress` job (an id unique to one worker's run) and until
-- when (Unix seconds). The worker renews the lease while it runs the job; once it has
-- ended (the instance died), any instance's worker may take the job again. A job left
-- `in_progress` by an older version has no lease and is taken at the next start.
ALTER TABLE mfg_registrations ADD COLUMN worker TEXT NOT NULL DEFAULT '';
ALTER TABLE mfg_registrations ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
