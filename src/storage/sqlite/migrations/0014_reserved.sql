-- Placeholder on branch mfg-server only: version 14 belongs to the audit log (issue 18,
-- branch audit-fleet), and migrations must be numbered without gaps. Delete this file
-- when merging that branch's 0014.
SELECT 1;
